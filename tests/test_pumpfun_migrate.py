"""pump.fun `migrate` in LiteSVM: a complete curve's tokens and SOL (less Global.pool_migration_fee,
paid to Global.withdraw_authority) move into the coin's canonical PumpSwap pool by CPI, in one
signed transaction that anyone may send; a live curve cannot migrate, a migrated one only once."""
from __future__ import annotations

import re

import pytest
from solders.account import Account
from solders.compute_budget import set_compute_unit_limit
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.token.state import Mint, TokenAccount

from adapters.pumpfun import addresses as addr
from adapters.pumpfun.events import EVENT_IX_TAG
from adapters.pumpfun.instructions import MIGRATE_DISCRIMINATOR, build_migrate
from adapters.pumpfun.layout_v1 import GLOBAL, anchor_discriminator
from adapters.pumpswap import addresses as amm
from adapters.pumpswap.layout import POOL
from localnet.programs import PROGRAM_DIR, POOL_MIGRATION_FEE
from localnet.programs.pumpswap_setup import MIGRATE_COMPUTE_UNITS, migration_authority
from tests.test_pumpfun_program import SOL, Chain

CURVE_TOKENS = 793_100_000_000_000
SUPPLY = 1_000_000_000_000_000
MIGRATION_EVENT = anchor_discriminator("event", "CompletePumpAmmMigrationEvent")


@pytest.fixture()
def chain() -> Chain:
    chain = Chain()
    if chain.svm.get_account(amm.WSOL_MINT) is None:        # the local chain's genesis has it; a bare LiteSVM not
        native = Mint(mint_authority=None, supply=0, decimals=9, is_initialized=True, freeze_authority=None)
        chain.svm.set_account(amm.WSOL_MINT, Account(lamports=SOL, data=bytes(native), owner=addr.TOKEN_PROGRAM,
                                                     executable=False, rent_epoch=0))
    return chain


def withdraw_authority(chain: Chain) -> Pubkey:
    return GLOBAL.decode(bytes(chain.svm.get_account(addr.GLOBAL).data)).withdraw_authority


def completed_coin(chain: Chain) -> Pubkey:
    creator = Pubkey.new_unique()
    mint, _ = chain.create_coin(creator)
    chain.ok(chain.buy(mint, creator, CURVE_TOKENS, 200 * SOL), [chain.trader])
    assert chain.curve(mint).complete
    return mint


def migrate(chain: Chain, mint: Pubkey, user: Keypair, authority: Pubkey | None = None) -> list:
    return [set_compute_unit_limit(MIGRATE_COMPUTE_UNITS),
            build_migrate(user.pubkey(), mint, authority or withdraw_authority(chain))]


def token_amount(chain: Chain, account: Pubkey) -> int:
    return TokenAccount.from_bytes(bytes(chain.svm.get_account(account).data)).amount


def funded_user(chain: Chain) -> Keypair:
    user = Keypair()
    chain.svm.airdrop(user.pubkey(), 10 * SOL)
    return user


def test_migrate_moves_exact_reserves_and_pays_the_fee_to_the_withdraw_authority(chain):
    mint = completed_coin(chain)
    curve_key, curve_ata = addr.bonding_curve(mint), addr.associated_bonding_curve(mint)
    real_sol, curve_lamports = chain.curve(mint).real_sol_reserves, chain.lamports(curve_key)
    authority = withdraw_authority(chain)
    assert authority == migration_authority().pubkey()
    authority_before = chain.lamports(authority)
    user = funded_user(chain)                       # permissionless: any signer may migrate

    result = chain.ok(migrate(chain, mint, user), [user])

    assert chain.lamports(authority) - authority_before == POOL_MIGRATION_FEE
    assert chain.lamports(curve_key) == curve_lamports - real_sol      # the curve keeps its rent only
    assert token_amount(chain, curve_ata) == 0
    pool_key = amm.canonical_pool(mint)
    pool = POOL.decode(bytes(chain.svm.get_account(pool_key).data))
    assert (pool.base_mint, pool.quote_mint, pool.creator) == (mint, amm.WSOL_MINT, amm.pool_authority(mint))
    pool_base, pool_quote = amm.pool_vaults(pool_key, mint)
    assert token_amount(chain, pool_base) == SUPPLY - CURVE_TOKENS
    assert token_amount(chain, pool_quote) == real_sol - POOL_MIGRATION_FEE
    staging = amm.pool_authority(mint)
    assert token_amount(chain, addr.associated_token_address(staging, mint)) == 0
    assert token_amount(chain, addr.associated_token_address(staging, amm.WSOL_MINT)) == 0
    state = chain.curve(mint)
    assert state.complete and (state.real_sol_reserves, state.real_token_reserves) == (0, 0)

    (event,) = [d[16:] for d in _inner_datas(result) if d[:16] == EVENT_IX_TAG + MIGRATION_EVENT]
    assert (Pubkey(event[0:32]), Pubkey(event[32:64])) == (user.pubkey(), mint)
    assert [int.from_bytes(event[i:i + 8], "little") for i in (64, 72, 80)] == \
        [SUPPLY - CURVE_TOKENS, real_sol - POOL_MIGRATION_FEE, POOL_MIGRATION_FEE]
    assert (Pubkey(event[88:120]), Pubkey(event[128:160])) == (curve_key, pool_key)
    print("migrate compute units:", result.compute_units_consumed())
    assert result.compute_units_consumed() < MIGRATE_COMPUTE_UNITS


def _inner_datas(result) -> list[bytes]:
    return [bytes(inner.instruction().data) for group in result.inner_instructions() for inner in group]


def test_a_live_curve_cannot_migrate(chain):
    creator = Pubkey.new_unique()
    mint, _ = chain.create_coin(creator)
    chain.ok(chain.buy(mint, creator, 10**12, SOL), [chain.trader])
    user = funded_user(chain)
    assert chain.custom_error(migrate(chain, mint, user), [user]) == 6006     # BondingCurveNotComplete
    assert chain.svm.get_account(amm.canonical_pool(mint)) is None


def test_a_coin_migrates_only_once(chain):
    mint = completed_coin(chain)
    user = funded_user(chain)
    chain.ok(migrate(chain, mint, user), [user])
    pool_base, pool_quote = amm.pool_vaults(amm.canonical_pool(mint), mint)
    reserves = (token_amount(chain, pool_base), token_amount(chain, pool_quote))
    authority, curve_key = withdraw_authority(chain), addr.bonding_curve(mint)
    balances = (chain.lamports(authority), chain.lamports(curve_key))

    again = chain.ok(migrate(chain, mint, user), [user])        # a no-op, as on mainnet
    assert any("already migrated" in line for line in again.logs())
    assert (token_amount(chain, pool_base), token_amount(chain, pool_quote)) == reserves
    assert (chain.lamports(authority), chain.lamports(curve_key)) == balances


def test_the_fee_goes_only_to_the_global_withdraw_authority(chain):
    mint = completed_coin(chain)
    user = funded_user(chain)
    assert chain.custom_error(migrate(chain, mint, user, authority=user.pubkey()), [user]) == 2001   # ConstraintHasOne
    assert chain.curve(mint).real_sol_reserves > 0


def test_the_pool_program_accepts_a_pool_only_from_pump(chain):
    """PumpSwap's migrate needs the pool-authority PDA's signature, which only pump can give."""
    mint = completed_coin(chain)
    user = funded_user(chain)
    pump_migrate = build_migrate(user.pubkey(), mint, withdraw_authority(chain))
    keys = {meta.pubkey: meta for meta in pump_migrate.accounts}
    pool, authority = amm.canonical_pool(mint), amm.pool_authority(mint)
    order = [user.pubkey(), amm.GLOBAL_CONFIG, pool, authority, mint, amm.WSOL_MINT, addr.bonding_curve(mint),
             addr.associated_token_address(authority, mint), addr.associated_token_address(authority, amm.WSOL_MINT),
             *amm.pool_vaults(pool, mint), addr.SYSTEM_PROGRAM, addr.TOKEN_PROGRAM, amm.EVENT_AUTHORITY, amm.PROGRAM]
    metas = [AccountMeta(k, is_signer=k == user.pubkey(), is_writable=keys[k].is_writable if k in keys else False)
             for k in order]
    data = MIGRATE_DISCRIMINATOR + (1).to_bytes(8, "little") + (1).to_bytes(8, "little")
    assert chain.custom_error([Instruction(amm.PROGRAM, data, metas)], [user]) == 3010       # AccountNotSigner
    assert chain.svm.get_account(pool) is None


def test_c_pump_amm_constants_match_the_python_ones():
    expected = {"PUMP_AMM_PROGRAM_ID": amm.PROGRAM, "PUMP_AMM_GLOBAL_CONFIG": amm.GLOBAL_CONFIG,
                "PUMP_AMM_EVENT_AUTHORITY": amm.EVENT_AUTHORITY, "WSOL_MINT": amm.WSOL_MINT}
    header = (PROGRAM_DIR / "pump_amm_ids.h").read_text()
    found = {name: Pubkey(bytes(int(b) for b in body.split(",")))
             for name, body in re.findall(r"SolPubkey (\w+) = \{\{([\d, ]+)\}\}", header)}
    assert found == expected
    assert MIGRATE_DISCRIMINATOR == bytes.fromhex("9beae792ec9ea21e")
