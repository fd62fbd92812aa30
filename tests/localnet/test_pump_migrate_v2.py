"""A USDC-paired coin graduates with `migrate_v2` (idl/pump.json, 27 accounts) into a PumpSwap pool
quoted in USDC, then trades there (idl/pump_amm.json buy with BREAKING_FEE_RECIPIENT.md's 26 accounts,
tests/test_pumpswap_buy_v2.py's docs-written list). Client written from the docs
(pump-fun/pump-public-docs), not from adapters/ or localnet/ builders."""
from __future__ import annotations

import struct

import pytest
from solders.account import Account
from solders.compute_budget import set_compute_unit_limit
from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from solders.token.state import Mint, TokenAccount

from tests.localnet.test_pump_usdc import USDC, USDC_VIRTUAL, create_usdc_coin, fund_usdc, usdc_balance
from tests.localnet.test_pump_v2 import (
    ATA_PROGRAM, GLOBAL, K, PUMP, SYSTEM, TOKEN, TOKEN_2022, Chain, ata, create_user_ata, disc, pda, quote_fees, ro,
    signer, v2_accounts, w)

PUMP_AMM = K("pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA")
RENT = K("SysvarRent111111111111111111111111111111111")
AMM_FEE_RECIPIENT = K("62qc2CNXwrYqQScmEdiZFFAnJR262PxWEuNQtxfafNgV")   # PumpSwap protocol fee recipient (mainnet)
CURVE_TOKENS, VTOK, SUPPLY = 793_100_000_000_000, 1_073_000_000_000_000, 10**15
# a random mint's PDA bumps can take migrate_v2 past the default 200,000 compute units (the chain's
# migrator asks for 400,000 too)
MIGRATE_BUDGET = set_compute_unit_limit(400_000)
WSOL = K("So11111111111111111111111111111111111111112")
# docs/fees.png, PumpSwap below a 420 SOL market cap (this pool: ~55 "SOL" of USDC units, the lamport tiers
# applied to USDC raw units as the fee config has no stable tiers): 0.02 % lp, 0.93 % protocol, 0.30 % creator
LP_BPS, PROTOCOL_BPS, CREATOR_BPS = 2, 93, 30


def amm_pda(*seeds: bytes) -> Pubkey:
    return Pubkey.find_program_address(list(seeds), PUMP_AMM)[0]


def canonical_pool(mint: Pubkey, quote: Pubkey) -> Pubkey:
    """idl/pump.json migrate_v2.pool: ["pool", [0, 0], pool_authority, base_mint, quote_mint] under pump_amm."""
    return amm_pda(b"pool", bytes([0, 0]), bytes(pda(b"pool-authority", bytes(mint))), bytes(mint), bytes(quote))


def migrate_v2_accounts(user: Pubkey, mint: Pubkey, withdraw_authority: Pubkey, quote=USDC) -> list[AccountMeta]:
    curve, authority = pda(b"bonding-curve", bytes(mint)), pda(b"pool-authority", bytes(mint))
    pool = canonical_pool(mint, quote)
    lp_mint = amm_pda(b"pool_lp_mint", bytes(pool))
    return [ro(GLOBAL), w(withdraw_authority), ro(mint), ro(quote), w(curve), w(ata(curve, mint, TOKEN_2022)),
            w(ata(curve, quote, TOKEN)), signer(user), ro(SYSTEM), ro(PUMP_AMM), w(pool), w(authority),
            w(ata(authority, mint, TOKEN_2022)), w(ata(authority, quote, TOKEN)), ro(amm_pda(b"global_config")),
            w(lp_mint), w(ata(authority, lp_mint, TOKEN_2022)), w(ata(pool, mint, TOKEN_2022)), w(ata(pool, quote, TOKEN)),
            ro(TOKEN_2022), ro(TOKEN), ro(TOKEN_2022), ro(ATA_PROGRAM), ro(amm_pda(b"__event_authority")), ro(RENT),
            ro(pda(b"__event_authority")), ro(PUMP)]


def amm_buy_accounts(user: Pubkey, mint: Pubkey, creator: Pubkey) -> list[AccountMeta]:
    """The current buy of the coin's USDC pool (no cashback), as tests/test_pumpswap_buy_v2.py writes it."""
    from adapters.pumpswap.instructions_v2 import PoolKeys     # a plain holder of the pool's keys
    from tests.test_pumpswap_buy_v2 import expected
    pool = canonical_pool(mint, USDC)
    keys = PoolKeys(pool, mint, USDC, ata(pool, mint, TOKEN_2022), ata(pool, USDC, TOKEN), creator, TOKEN_2022, TOKEN)
    return [AccountMeta(key, is_signer=is_signer, is_writable=writable)
            for key, writable, is_signer in expected(user, keys, False, quote=USDC)]


def token_amount(chain: Chain, key: Pubkey) -> int:
    return TokenAccount.from_bytes(bytes(chain.account(key).data[:165])).amount


@pytest.fixture()
def chain():
    return Chain()


def test_a_usdc_coin_graduates_into_a_usdc_pool_and_trades_there(chain):
    creator = Pubkey.new_unique()
    mint, _ = create_usdc_coin(chain, creator)
    user = chain.user.pubkey()
    curve = pda(b"bonding-curve", bytes(mint))
    fund_usdc(chain, user, 20_000 * 10**6)
    chain.ok([create_user_ata(user, mint, TOKEN_2022)])
    cost = USDC_VIRTUAL * CURVE_TOKENS // (VTOK - CURVE_TOKENS) + 1
    fee, creator_fee, _ = quote_fees(cost)
    chain.ok([Instruction(PUMP, disc("buy_v2") + struct.pack("<QQ", CURVE_TOKENS, cost + fee + creator_fee),
                          v2_accounts(user, mint, creator, TOKEN_2022, quote_mint=USDC))])
    assert chain.curve(mint).complete and usdc_balance(chain, curve) == cost
    withdraw_authority = Pubkey(bytes(chain.account(GLOBAL).data[113:145]))      # Global.withdraw_authority
    accounts = migrate_v2_accounts(user, mint, withdraw_authority)
    assert chain.error_code([Instruction(PUMP, disc("migrate_v2"), accounts[:26])]) == 3005
    wrong_quote = accounts[:3] + [ro(WSOL)] + accounts[4:]
    assert chain.error_code([Instruction(PUMP, disc("migrate_v2"), wrong_quote)]) == 6063   # not the curve's quote
    before_authority = chain.lamports(withdraw_authority)
    chain.ok([MIGRATE_BUDGET, Instruction(PUMP, disc("migrate_v2"), accounts)])
    pool = canonical_pool(mint, USDC)
    assert chain.account(pool).owner == PUMP_AMM
    reserves = (token_amount(chain, ata(pool, mint, TOKEN_2022)), token_amount(chain, ata(pool, USDC, TOKEN)))
    assert reserves == (SUPPLY - CURVE_TOKENS, cost)          # every USDC raised; no lamport migration fee
    assert usdc_balance(chain, curve) == 0 and chain.lamports(withdraw_authority) == before_authority
    state = chain.curve(mint)
    assert (state.real_sol_reserves, state.real_token_reserves) == (0, 0)
    chain.ok([MIGRATE_BUDGET, Instruction(PUMP, disc("migrate_v2"), accounts)])                  # idempotent: nothing left to move

    # PUMP_SWAP_README.md buy: quote in = ceil(Q * b / (B - b)), LP, protocol and coin-creator fees
    # (PUMP_SWAP_CREATOR_FEE_README.md) rounded up on top; the creator's goes to its vault's USDC ATA
    base, quote = reserves
    bought = 10**12
    quote_in = -(-quote * bought // (base - bought))
    lp_fee, protocol_fee, creator_fee = (-(-quote_in * bps // 10_000) for bps in (LP_BPS, PROTOCOL_BPS, CREATOR_BPS))
    usdc_before, fee_before = usdc_balance(chain, user), usdc_balance(chain, AMM_FEE_RECIPIENT)
    total = quote_in + lp_fee + protocol_fee + creator_fee
    buy = Instruction(PUMP_AMM, disc("buy") + struct.pack("<QQ", bought, total), amm_buy_accounts(user, mint, creator))
    chain.ok([buy])
    assert usdc_before - usdc_balance(chain, user) == total
    assert usdc_balance(chain, AMM_FEE_RECIPIENT) - fee_before == protocol_fee
    assert usdc_balance(chain, amm_pda(b"creator_vault", bytes(creator))) == creator_fee
    assert token_amount(chain, ata(pool, USDC, TOKEN)) == quote + quote_in + lp_fee
    held = token_amount(chain, ata(user, mint, TOKEN_2022))
    assert held == CURVE_TOKENS + bought


def test_migrate_v2_graduates_a_sol_paired_coin_into_its_wsol_pool(chain):
    """The same list with WSOL as quote mint: real SOL less Global.pool_migration_fee (15,000,001 lamports,
    PUMP_PROGRAM_README.md) to the pool, the fee to the withdraw authority."""
    native_mint = bytes(Mint(mint_authority=None, supply=0, decimals=9, is_initialized=True, freeze_authority=None))
    chain.svm.set_account(WSOL, Account(lamports=chain.svm.minimum_balance_for_rent_exemption(82), data=native_mint,
                                        owner=TOKEN, executable=False, rent_epoch=0))   # as on any cluster (the node has it)
    creator = Pubkey.new_unique()
    mint, token_program, _ = chain.new_coin("create_v2", creator)
    user = chain.user.pubkey()
    chain.ok([create_user_ata(user, mint, token_program)])
    cost = 30 * 10**9 * CURVE_TOKENS // (VTOK - CURVE_TOKENS) + 1
    chain.ok([Instruction(PUMP, disc("buy_v2") + struct.pack("<QQ", CURVE_TOKENS, 2 * cost),
                          v2_accounts(user, mint, creator, token_program))])
    withdraw_authority = Pubkey(bytes(chain.account(GLOBAL).data[113:145]))
    before = chain.lamports(withdraw_authority)
    chain.ok([MIGRATE_BUDGET,
              Instruction(PUMP, disc("migrate_v2"), migrate_v2_accounts(user, mint, withdraw_authority, quote=WSOL))])
    pool = canonical_pool(mint, WSOL)
    assert token_amount(chain, ata(pool, WSOL, TOKEN)) == cost - 15_000_001
    assert token_amount(chain, ata(pool, mint, TOKEN_2022)) == SUPPLY - CURVE_TOKENS
    assert chain.lamports(withdraw_authority) - before == 15_000_001
