"""The current PumpSwap sell, checked against lists written here from pump-public-docs alone (not from
adapters/): idl/pump_amm.json `sell` (21 accounts, discriminator, args), PUMP_CASHBACK_README.md
(cashback remaining accounts), BREAKING_FEE_RECIPIENT.md (pool-v2, buyback fee recipient and its
quote ATA: 24 accounts, 26 for cashback coins). pool-v2's seeds ["pool-v2", base_mint] are
pump-swap-sdk's poolV2Pda (the docs name the account, not its seeds)."""
from __future__ import annotations

import struct

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from adapters.pumpswap.instructions_v2 import PoolKeys, build_sell, pick_recipient
from adapters.pumpswap.layout import POOL

AMM = Pubkey.from_string("pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA")
FEE_PROGRAM = Pubkey.from_string("pfeeUxB6jkeY1Hxd7CsFCAjcbHA9rWtchMGdZ6VojVZ")
SPL = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
T22 = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
ATA_PROGRAM = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
SYSTEM = Pubkey.from_string("11111111111111111111111111111111")
WSOL = Pubkey.from_string("So11111111111111111111111111111111111111112")
USDC = Pubkey.from_string("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")   # instructions/BUY.md, an SPL Token mint
GLOBAL_CONFIG = Pubkey.from_string("ADyA8hdefvWN2dbGGWFotbzWxrAvLW83WG6QCVXvJKqw")   # PUMP_SWAP_README.md
SELL_DISCRIMINATOR = bytes([51, 230, 133, 164, 1, 127, 131, 173])                 # idl sell.discriminator
BUYBACK = Pubkey.from_string("5YxQFdt3Tr9zJLvkFccqXVUwhdTWJQc1fFg2YPbxvxeD")          # BREAKING_FEE_RECIPIENT.md
PROTOCOL = Pubkey.from_string("62qc2CNXwrYqQScmEdiZFFAnJR262PxWEuNQtxfafNgV")         # PUMP_SWAP_README.md


def pda(seeds, program=AMM) -> Pubkey:
    return Pubkey.find_program_address(seeds, program)[0]


def ata(owner, mint, program=SPL) -> Pubkey:
    return pda([bytes(owner), bytes(program), bytes(mint)], ATA_PROGRAM)


def keys_for(base_program, cashback=False, quote=WSOL):
    mint, pool, creator = (Keypair().pubkey() for _ in range(3))
    return PoolKeys(pool, mint, quote, ata(pool, mint, base_program), ata(pool, quote), creator, base_program, SPL,
                    cashback)


def expected(user, keys, cashback, quote=WSOL):
    """Every quote-mint account (user's, fee recipients', creator vault's, accumulator's) is the ATA
    of `quote` under the quote token program (SPL Token for WSOL and USDC)."""
    vault_authority = pda([b"creator_vault", bytes(keys.coin_creator)])
    rows = [  # (key, writable, signer) in idl/pump_amm.json order
        (keys.pool, True, False), (user, True, True), (GLOBAL_CONFIG, False, False),
        (keys.base_mint, False, False), (quote, False, False),
        (ata(user, keys.base_mint, keys.base_token_program), True, False), (ata(user, quote), True, False),
        (keys.pool_base_token_account, True, False), (keys.pool_quote_token_account, True, False),
        (PROTOCOL, False, False), (ata(PROTOCOL, quote), True, False),
        (keys.base_token_program, False, False), (SPL, False, False), (SYSTEM, False, False),
        (ATA_PROGRAM, False, False), (pda([b"__event_authority"]), False, False), (AMM, False, False),
        (ata(vault_authority, quote), True, False), (vault_authority, False, False),
        (pda([b"fee_config", bytes(AMM)], FEE_PROGRAM), False, False), (FEE_PROGRAM, False, False),
    ]
    if cashback:
        accumulator = pda([b"user_volume_accumulator", bytes(user)])
        rows += [(ata(accumulator, quote), True, False), (accumulator, True, False)]
    rows += [(pda([b"pool-v2", bytes(keys.base_mint)]), False, False), (BUYBACK, False, False),
             (ata(BUYBACK, quote), True, False)]
    return rows


@pytest.mark.parametrize("base_program", [SPL, T22], ids=["spl", "token-2022"])
@pytest.mark.parametrize("cashback", [False, True], ids=["plain", "cashback"])
def test_sell_accounts_and_bytes_follow_the_docs(base_program, cashback):
    user = Keypair().pubkey()
    keys = keys_for(base_program, cashback)
    ix = build_sell(user, keys, PROTOCOL, BUYBACK, 123_456_789, 987_654)
    got = [(m.pubkey, m.is_writable, m.is_signer) for m in ix.accounts]
    assert len(got) == (26 if cashback else 24)          # BREAKING_FEE_RECIPIENT.md counts
    assert got == expected(user, keys, cashback)
    assert ix.program_id == AMM
    assert bytes(ix.data) == SELL_DISCRIMINATOR + struct.pack("<QQ", 123_456_789, 987_654)


@pytest.mark.parametrize("cashback", [False, True], ids=["plain", "cashback"])
def test_a_usdc_pool_sell_names_usdc_in_every_quote_account(cashback):
    """A USDC-paired coin's pool (migrate_v2): quote_mint USDC, the user's USDC ATA, the protocol and
    buyback fee recipients' USDC ATAs, the coin creator vault's USDC ATA (PUMP_SWAP_CREATOR_FEE_README.md),
    the cashback accumulator's USDC ATA."""
    user = Keypair().pubkey()
    keys = keys_for(T22, cashback, quote=USDC)
    ix = build_sell(user, keys, PROTOCOL, BUYBACK, 5_000, 1)
    got = [(m.pubkey, m.is_writable, m.is_signer) for m in ix.accounts]
    assert got == expected(user, keys, cashback, quote=USDC)
    vault_authority = pda([b"creator_vault", bytes(keys.coin_creator)])
    usdc_accounts = {ata(user, USDC), ata(PROTOCOL, USDC), ata(BUYBACK, USDC), ata(vault_authority, USDC)}
    assert usdc_accounts <= {key for key, _, _ in got} and WSOL not in {key for key, _, _ in got}
    assert (got[4][0], got[6][0], got[10][0], got[17][0]) == (USDC, ata(user, USDC), ata(PROTOCOL, USDC),
                                                              ata(vault_authority, USDC))


def test_proceeds_may_go_to_another_quote_account_and_amounts_are_checked():
    user, elsewhere = Keypair().pubkey(), Keypair().pubkey()
    ix = build_sell(user, keys_for(SPL), PROTOCOL, BUYBACK, 1, 0, user_quote_token_account=elsewhere)
    assert ix.accounts[6].pubkey == elsewhere and ix.accounts[6].is_writable
    with pytest.raises(ValueError, match="base_amount_in"):
        build_sell(user, keys_for(SPL), PROTOCOL, BUYBACK, -1, 0)
    with pytest.raises(ValueError, match="min_quote_amount_out"):
        build_sell(user, keys_for(SPL), PROTOCOL, BUYBACK, 1, 2**64)


def test_pool_account_reads_the_idl_fields():
    """Pool per idl/pump_amm.json: bump u8, index u16, 6 keys, lp_supply u64, coin_creator, two bools."""
    keys = [Keypair().pubkey() for _ in range(7)]
    body = bytes([254]) + struct.pack("<H", 0) + b"".join(bytes(k) for k in keys[:6]) + struct.pack("<Q", 42) \
        + bytes(keys[6]) + bytes([0, 1])
    import hashlib
    pool = POOL.decode(hashlib.sha256(b"account:Pool").digest()[:8] + body)
    assert (pool.base_mint, pool.coin_creator, pool.lp_supply) == (keys[1], keys[6], 42)
    assert (pool.is_mayhem_mode, pool.is_cashback_coin) == (False, True)


def test_pick_recipient_skips_unset_keys_and_falls_back():
    zero = Pubkey.default()
    assert pick_recipient((zero, BUYBACK, zero), b"\x05") == BUYBACK
    assert pick_recipient((zero,) * 8, b"\x00", fallback=(PROTOCOL,)) == PROTOCOL
    with pytest.raises(LookupError):
        pick_recipient((zero,), b"")
