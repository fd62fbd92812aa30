"""The current PumpSwap buy, checked against lists written here from pump-public-docs alone (not from
adapters/): idl/pump_amm.json `buy` (23 accounts, discriminator, args base_amount_out u64,
max_quote_amount_in u64, track_volume OptionBool = struct {bool}), PUMP_CASHBACK_README.md ("Pump
Swap Buy Instruction": the WSOL ATA of the AMM UserVolumeAccumulator at remaining account 0) and
BREAKING_FEE_RECIPIENT.md (pool-v2, then a buyback fee recipient and its quote ATA: 26 accounts,
27 for cashback coins). Shared constants and PDA helpers come from the sell's docs test."""
from __future__ import annotations

import struct

import pytest
from solders.keypair import Keypair

from adapters.pumpswap.buy_v2 import build_buy
from tests.test_pumpswap_sell_v2 import (AMM, ATA_PROGRAM, BUYBACK, FEE_PROGRAM, GLOBAL_CONFIG, PROTOCOL, SPL,
                                         SYSTEM, T22, WSOL, ata, keys_for, pda)

BUY_DISCRIMINATOR = bytes([102, 6, 61, 18, 1, 218, 235, 234])     # idl buy.discriminator
# idl buy.accounts[21] fee_config seeds: "fee_config" and these 32 bytes (the AMM program id), under fee_program
FEE_CONFIG_SEED = bytes([12, 20, 222, 252, 130, 94, 198, 118, 148, 37, 8, 24, 187, 101, 64, 101, 244, 41, 141, 49,
                         86, 213, 113, 180, 212, 248, 9, 12, 24, 233, 168, 99])


def expected(user, keys, cashback, quote=WSOL):
    vault_authority = pda([b"creator_vault", bytes(keys.coin_creator)])
    accumulator = pda([b"user_volume_accumulator", bytes(user)])
    rows = [  # (key, writable, signer) in idl/pump_amm.json buy order
        (keys.pool, True, False), (user, True, True), (GLOBAL_CONFIG, False, False),
        (keys.base_mint, False, False), (quote, False, False),
        (ata(user, keys.base_mint, keys.base_token_program), True, False), (ata(user, quote), True, False),
        (keys.pool_base_token_account, True, False), (keys.pool_quote_token_account, True, False),
        (PROTOCOL, False, False), (ata(PROTOCOL, quote), True, False),
        (keys.base_token_program, False, False), (SPL, False, False), (SYSTEM, False, False),
        (ATA_PROGRAM, False, False), (pda([b"__event_authority"]), False, False), (AMM, False, False),
        (ata(vault_authority, quote), True, False), (vault_authority, False, False),
        (pda([b"global_volume_accumulator"]), False, False), (accumulator, True, False),
        (pda([b"fee_config", FEE_CONFIG_SEED], FEE_PROGRAM), False, False), (FEE_PROGRAM, False, False),
    ]
    if cashback:
        rows.append((ata(accumulator, quote), True, False))
    rows += [(pda([b"pool-v2", bytes(keys.base_mint)]), False, False), (BUYBACK, False, False),
             (ata(BUYBACK, quote), True, False)]
    return rows


def test_the_fee_config_seed_is_the_amm_program():
    assert FEE_CONFIG_SEED == bytes(AMM)


@pytest.mark.parametrize("base_program", [SPL, T22], ids=["spl", "token-2022"])
@pytest.mark.parametrize("cashback", [False, True], ids=["plain", "cashback"])
def test_buy_accounts_and_bytes_follow_the_docs(base_program, cashback):
    user = Keypair().pubkey()
    keys = keys_for(base_program, cashback)
    ix = build_buy(user, keys, PROTOCOL, BUYBACK, 123_456_789, 987_654)
    got = [(m.pubkey, m.is_writable, m.is_signer) for m in ix.accounts]
    assert len(got) == (27 if cashback else 26)          # BREAKING_FEE_RECIPIENT.md counts
    assert got == expected(user, keys, cashback)
    assert ix.program_id == AMM
    assert bytes(ix.data) == BUY_DISCRIMINATOR + struct.pack("<QQ", 123_456_789, 987_654) + bytes([0])
    tracked = build_buy(user, keys, PROTOCOL, BUYBACK, 1, 2, track_volume=True)
    assert bytes(tracked.data) == BUY_DISCRIMINATOR + struct.pack("<QQ", 1, 2) + bytes([1])


def test_the_quote_may_come_from_another_account_and_amounts_are_checked():
    user, elsewhere = Keypair().pubkey(), Keypair().pubkey()
    ix = build_buy(user, keys_for(SPL), PROTOCOL, BUYBACK, 1, 1, user_quote_token_account=elsewhere)
    assert ix.accounts[6].pubkey == elsewhere and ix.accounts[6].is_writable
    with pytest.raises(ValueError, match="base_amount_out"):
        build_buy(user, keys_for(SPL), PROTOCOL, BUYBACK, -1, 0)
    with pytest.raises(ValueError, match="max_quote_amount_in"):
        build_buy(user, keys_for(SPL), PROTOCOL, BUYBACK, 1, 2**64)
