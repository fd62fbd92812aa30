"""The local PumpSwap program checks a current sell's accounts past the 17th as the real program does
(localnet/programs/pumpswap_sell_accounts.h): idl/pump_amm.json accounts 18-21 (coin creator vault ATA
and authority, fee_config, fee_program), the cashback pair of a cashback pool (PUMP_CASHBACK_README.md),
then pool-v2, a buyback fee recipient GlobalConfig lists and its quote ATA (BREAKING_FEE_RECIPIENT.md).
The account lists are the docs-written ones of tests/test_pumpswap_sell_v2.py; a USDC-quoted pool
(migrate_v2) is the market's graduated USDC coin, and its quote ATAs are USDC's."""
from __future__ import annotations

import struct

import pytest
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from adapters.pumpswap.instructions_v2 import PoolKeys
from tests.localnet.test_pump_migrate_v2 import (CURVE_TOKENS, PUMP_AMM, VTOK, canonical_pool, migrate_v2_accounts,
                                                 token_amount)
from tests.localnet.test_pump_usdc import USDC, USDC_VIRTUAL, fund_usdc
from tests.localnet.test_pump_v2 import (GLOBAL, PUMP, TOKEN, TOKEN_2022, Chain, ata, create_user_ata, create_v2, disc,
                                         pda, quote_fees, ro, v2_accounts, w)
from tests.test_pumpswap_sell_v2 import BUYBACK, PROTOCOL, SELL_DISCRIMINATOR, expected

OTHER = Keypair().pubkey()
# (what is swapped into the list, the error the program answers): Anchor's ConstraintSeeds 2006,
# ConstraintAddress 2012, ConstraintMut 2000, AccountNotEnoughKeys 3005
SEEDS, ADDRESS, MUT, NOT_ENOUGH = 2006, 2012, 2000, 3005


def graduated_usdc_coin(chain: Chain, cashback: bool) -> tuple[PoolKeys, Pubkey]:
    """create_v2 (cashback as asked) paired with USDC, its curve bought out, migrate_v2: (pool keys, creator)."""
    creator, mint = Pubkey.new_unique(), Keypair()
    curve = pda(b"bonding-curve", bytes(mint.pubkey()))
    ix = create_v2(mint.pubkey(), chain.user.pubkey(), creator, cashback=cashback)
    chain.ok([Instruction(PUMP, bytes(ix.data), list(ix.accounts) + [ro(USDC), w(ata(curve, USDC, TOKEN)), ro(TOKEN)])],
             [mint])
    user, mint = chain.user.pubkey(), mint.pubkey()
    fund_usdc(chain, user, 20_000 * 10**6)
    chain.ok([create_user_ata(user, mint, TOKEN_2022)])
    cost = USDC_VIRTUAL * CURVE_TOKENS // (VTOK - CURVE_TOKENS) + 1
    fee, creator_fee, _ = quote_fees(cost)
    chain.ok([Instruction(PUMP, disc("buy_v2") + struct.pack("<QQ", CURVE_TOKENS, 2 * (cost + fee + creator_fee)),
                          v2_accounts(user, mint, creator, TOKEN_2022, quote_mint=USDC))])
    withdraw_authority = Pubkey(bytes(chain.account(GLOBAL).data[113:145]))      # Global.withdraw_authority
    chain.ok([Instruction(PUMP, disc("migrate_v2"), migrate_v2_accounts(user, mint, withdraw_authority))])
    pool = canonical_pool(mint, USDC)
    keys = PoolKeys(pool, mint, USDC, ata(pool, mint, TOKEN_2022), ata(pool, USDC, TOKEN), creator, TOKEN_2022, TOKEN,
                    cashback)
    return keys, creator


def sell(accounts: list[tuple], amount: int = 10**12) -> Instruction:
    metas = [AccountMeta(key, is_signer=signer, is_writable=writable) for key, writable, signer in accounts]
    return Instruction(PUMP_AMM, SELL_DISCRIMINATOR + struct.pack("<QQ", amount, 0), metas)


def replaced(rows: list[tuple], index: int, key=None, writable=None) -> list[tuple]:
    old_key, old_writable, signer = rows[index]
    return rows[:index] + [(old_key if key is None else key, old_writable if writable is None else writable, signer)] \
        + rows[index + 1:]


@pytest.mark.parametrize("cashback", [False, True], ids=["plain", "cashback"])
def test_a_sell_with_a_wrong_account_past_the_17th_is_refused(cashback):
    chain = Chain()
    keys, _ = graduated_usdc_coin(chain, cashback)
    user = chain.user.pubkey()
    rows = expected(user, keys, cashback, quote=USDC)
    assert len(rows) == (26 if cashback else 24)
    at = 23 if cashback else 21                       # pool-v2's index: after the cashback pair, if any
    wrong = [  # (index, key or None, writable or None, error)
        (17, OTHER, None, SEEDS), (17, None, False, MUT),                       # coin creator vault ATA
        (18, OTHER, None, SEEDS),                                               # coin creator vault authority
        (19, OTHER, None, SEEDS), (20, OTHER, None, ADDRESS),                  # fee_config, fee_program
        (at, OTHER, None, SEEDS),                                               # pool-v2
        (at + 1, PROTOCOL, None, ADDRESS),                                      # not a buyback fee recipient
        (at + 2, ata(BUYBACK, keys.base_mint, TOKEN_2022), None, SEEDS),        # not its quote ATA
        (at + 2, None, False, MUT),
    ]
    if cashback:
        other_accumulator = pda(b"user_volume_accumulator", bytes(OTHER), program=PUMP_AMM)
        wrong += [(21, ata(other_accumulator, USDC, TOKEN), None, SEEDS), (22, other_accumulator, None, SEEDS),
                  (22, None, False, MUT)]
    refused = [(index, chain.error_code([sell(replaced(rows, index, key, writable))]))
               for index, key, writable, _ in wrong]
    assert refused == [(index, error) for index, _, _, error in wrong]
    assert chain.error_code([sell(rows[:-1])]) == NOT_ENOUGH                  # a list cut short
    assert chain.error_code([sell(rows[:20])]) == NOT_ENOUGH
    if cashback:   # a cashback pool's sell without the cashback pair is not the current list
        assert chain.error_code([sell(rows[:21] + rows[23:])]) == NOT_ENOUGH

    held = token_amount(chain, ata(user, keys.base_mint, TOKEN_2022))
    chain.ok([sell(rows)])                                                     # the docs' list is taken
    chain.ok([sell(rows[:17])])                          # and the pre-upgrade 17 (the local Jupiter route's)
    assert token_amount(chain, ata(user, keys.base_mint, TOKEN_2022)) == held - 2 * 10**12
