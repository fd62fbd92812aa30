"""A coin graduates off its pump.fun curve into the PumpSwap-compatible pool, then is bought and sold
there over JSON-RPC with the current account lists (adapters/pumpswap/buy_v2.py, instructions_v2.py):
exact constant-product amounts with the lp, protocol and coin-creator fees, slippage errors, one
migration only."""
from __future__ import annotations

import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.core import RPCException
from solders.keypair import Keypair

from adapters.pumpfun import addresses as pump
from adapters.pumpfun import instructions as pump_ix
from adapters.pumpfun.layout_v1 import BONDING_CURVE
from adapters.pumpswap import addresses as addr
from adapters.pumpswap import amm
from adapters.pumpswap.buy_v2 import build_buy as build_current_buy
from adapters.pumpswap.instructions_v2 import PoolKeys, build_sell as build_current_sell
from adapters.pumpswap.events import swap_events_from_logs
from adapters.pumpswap.layout import POOL
from adapters.pumpswap.wsol import build_wrap
from localnet.programs.pumpswap_setup import MigrationError, migrate_graduated_coin

from tests.localnet.helpers import SOL, funded, pool_fee_rates_now, send, until_committed

CURVE_TOKENS = 793_100_000_000_000
SUPPLY = 1_000_000_000_000_000
MIGRATION_FEE = 15_000_001
FEE_RECIPIENT = addr.MAINNET_PROTOCOL_FEE_RECIPIENTS[3]
BUYBACK_RECIPIENT = addr.MAINNET_POOL_BUYBACK_FEE_RECIPIENTS[2]


def pool_keys(chain, mint, base_program=pump.TOKEN_PROGRAM) -> PoolKeys:
    pool = addr.canonical_pool(mint)
    return PoolKeys.of_pool(pool, POOL.decode(bytes(chain.get_account(pool).data)), base_program)


def pool_swaps(chain):
    """(sell, buy) builders of the current lists for this chain's canonical pools:
    sell(user, mint, fee_recipient, amount, min_out[, base_program]), buy(..., amount, max_in[, ...])."""
    def sell(user, mint, fee_recipient, amount, min_out, base_program=pump.TOKEN_PROGRAM):
        return build_current_sell(user, pool_keys(chain, mint, base_program), fee_recipient, BUYBACK_RECIPIENT,
                                  amount, min_out)

    def buy(user, mint, fee_recipient, amount, max_in, base_program=pump.TOKEN_PROGRAM):
        return build_current_buy(user, pool_keys(chain, mint, base_program), fee_recipient, BUYBACK_RECIPIENT,
                                 amount, max_in)
    return sell, buy


async def create_coin(client: AsyncClient, creator: Keypair) -> Keypair:
    mint = Keypair()
    await send(client, [pump_ix.build_create(mint.pubkey(), creator.pubkey(), "Grad", "GRD", "https://x.invalid/g.json")],
               [creator, mint])
    return mint


async def graduate_new_coin(localnet, client: AsyncClient) -> tuple[Keypair, Keypair, int]:
    """Create a coin, buy out its curve (completing it), migrate it; returns (mint, whale, real SOL raised)."""
    creator, whale = await funded(client), await funded(client, 200 * SOL)
    mint = await create_coin(client, creator)
    fee_recipient = localnet.chain.pumpfun.global_state.fee_recipient
    await send(client, pump_ix.build_buy_with_ata(whale.pubkey(), mint.pubkey(), creator.pubkey(), fee_recipient,
                                                  CURVE_TOKENS, 150 * SOL), [whale])
    curve = BONDING_CURVE.decode(bytes(localnet.chain.get_account(pump.bonding_curve(mint.pubkey())).data))
    assert curve.complete and curve.real_token_reserves == 0
    migrate_graduated_coin(localnet.chain, mint.pubkey())
    await until_committed(localnet.chain, localnet.chain.slot)   # the pool is read at `confirmed`
    return mint, whale, curve.real_sol_reserves


async def token_balance(client: AsyncClient, owner, mint) -> int:
    answer = await client.get_token_account_balance(addr.associated_token_address(owner, mint))
    return int(answer.value.amount)


async def pool_reserves(client: AsyncClient, mint) -> amm.Reserves:
    pool = addr.canonical_pool(mint)
    return amm.Reserves(await token_balance(client, pool, mint), await token_balance(client, pool, addr.WSOL_MINT))


def wrap_sol(owner: Keypair, lamports: int) -> list:
    return build_wrap(owner.pubkey(), lamports)


async def test_migration_seeds_the_canonical_pool_with_the_curve_reserves(localnet):
    async with AsyncClient(localnet.rpc_url, commitment="confirmed") as client:
        mint, _, real_sol = await graduate_new_coin(localnet, client)
        pool_key = addr.canonical_pool(mint.pubkey())
        pool = POOL.decode(bytes((await client.get_account_info(pool_key)).value.data))
        assert (pool.base_mint, pool.quote_mint, pool.index) == (mint.pubkey(), addr.WSOL_MINT, 0)
        assert pool.creator == addr.pool_authority(mint.pubkey())
        reserves = await pool_reserves(client, mint.pubkey())
        assert reserves == amm.Reserves(SUPPLY - CURVE_TOKENS, real_sol - MIGRATION_FEE)
        with pytest.raises(MigrationError, match="already migrated"):
            migrate_graduated_coin(localnet.chain, mint.pubkey())
        live = await create_coin(client, await funded(client))
        with pytest.raises(MigrationError, match="still live"):
            migrate_graduated_coin(localnet.chain, live.pubkey())


async def test_pool_buy_and_sell_move_exact_amounts(localnet):
    async with AsyncClient(localnet.rpc_url, commitment="confirmed") as client:
        mint, whale, _ = await graduate_new_coin(localnet, client)
        m, user = mint.pubkey(), whale.pubkey()
        pool_sell, pool_buy = pool_swaps(localnet.chain)
        fees = pool_fee_rates_now(localnet.chain, m)
        creator = addr.coin_creator_vault_ata(POOL.decode(bytes(
            (await client.get_account_info(addr.canonical_pool(m))).value.data)).coin_creator)

        before = await pool_reserves(client, m)
        sold = 10_000_000_000_000
        expected = amm.sell_base_in(before, sold, *fees)
        tokens_before = await token_balance(client, user, m)
        recipient_before = await token_balance(client, FEE_RECIPIENT, addr.WSOL_MINT)
        signature = await send(client, [pump_ix.build_create_ata_idempotent(user, user, addr.WSOL_MINT),
                                        pool_sell(user, m, FEE_RECIPIENT, sold, expected.user_quote_amount)], [whale])
        logs = (await client.get_transaction(signature, "json", "confirmed", 0)).value.transaction.meta.log_messages
        (event,) = swap_events_from_logs(logs)
        assert (event.is_buy, event.base_amount, event.user_quote_amount, event.lp_fee, event.user) == (
            False, sold, expected.user_quote_amount, expected.lp_fee, user)
        assert (event.pool_base_token_reserves, event.pool_quote_token_reserves) == (before.base, before.quote)
        assert await token_balance(client, user, addr.WSOL_MINT) == expected.user_quote_amount
        assert await token_balance(client, user, m) == tokens_before - sold
        assert await token_balance(client, FEE_RECIPIENT, addr.WSOL_MINT) == recipient_before + expected.protocol_fee
        assert expected.coin_creator_fee > 0 and (event.coin_creator_fee_basis_points, event.coin_creator_fee) == (
            fees.coin_creator_fee_bps, expected.coin_creator_fee)
        assert int((await client.get_token_account_balance(creator)).value.amount) == expected.coin_creator_fee
        after_sell = await pool_reserves(client, m)
        assert after_sell == expected.reserves_after(before, is_buy=False)

        bought = 1_000_000_000_000
        buy = amm.buy_base_out(after_sell, bought, *fees)
        wsol_before = await token_balance(client, user, addr.WSOL_MINT)
        signature = await send(client, [*wrap_sol(whale, buy.user_quote_amount),
                                        pool_buy(user, m, FEE_RECIPIENT, bought, buy.user_quote_amount)], [whale])
        logs = (await client.get_transaction(signature, "json", "confirmed", 0)).value.transaction.meta.log_messages
        (event,) = swap_events_from_logs(logs)
        assert (event.is_buy, event.base_amount, event.quote_amount, event.protocol_fee, event.coin_creator_fee) == (
            True, bought, buy.quote_amount, buy.protocol_fee, buy.coin_creator_fee)
        assert int((await client.get_token_account_balance(creator)).value.amount) == (
            expected.coin_creator_fee + buy.coin_creator_fee)
        assert await token_balance(client, user, addr.WSOL_MINT) == wsol_before
        assert await token_balance(client, user, m) == tokens_before - sold + bought
        assert await pool_reserves(client, m) == buy.reserves_after(after_sell, is_buy=True)


async def test_slippage_limits_fail_with_exceeded_slippage(localnet):
    async with AsyncClient(localnet.rpc_url, commitment="confirmed") as client:
        mint, whale, _ = await graduate_new_coin(localnet, client)
        m, user = mint.pubkey(), whale.pubkey()
        pool_sell, pool_buy = pool_swaps(localnet.chain)
        reserves = await pool_reserves(client, m)
        fees = pool_fee_rates_now(localnet.chain, m)
        sell = amm.sell_base_in(reserves, 5_000_000, *fees)
        buy = amm.buy_base_out(reserves, 5_000_000, *fees)
        attempts = [
            [pump_ix.build_create_ata_idempotent(user, user, addr.WSOL_MINT),
             pool_sell(user, m, FEE_RECIPIENT, 5_000_000, sell.user_quote_amount + 1)],
            [*wrap_sol(whale, buy.user_quote_amount), pool_buy(user, m, FEE_RECIPIENT, 5_000_000, buy.user_quote_amount - 1)],
            [*wrap_sol(whale, SOL), pool_buy(user, m, FEE_RECIPIENT, reserves.base, 10**18)],
        ]
        for instructions, error in zip(attempts, ("ExceededSlippage", "ExceededSlippage", "TooLittlePoolTokenLiquidity")):
            with pytest.raises(RPCException) as failure:
                await send(client, instructions, [whale])
            assert error in str(failure.value)
        assert await pool_reserves(client, m) == reserves


def test_pool_math_rounds_like_the_program():
    reserves = amm.Reserves(base=1_000, quote=10_000)
    buy = amm.buy_base_out(reserves, 100, 20, 5)
    assert (buy.quote_amount, buy.lp_fee, buy.protocol_fee, buy.user_quote_amount) == (1112, 3, 1, 1116)
    sell = amm.sell_base_in(reserves, 100, 20, 5)
    assert (sell.quote_amount, sell.lp_fee, sell.protocol_fee, sell.user_quote_amount) == (909, 2, 1, 906)
    best = amm.buy_base_for_quote(reserves, 1116, 20, 5)
    assert best.base_amount == 100
    with pytest.raises(amm.PoolMathError):
        amm.buy_base_out(reserves, 1_000, 20, 5)
    with pytest.raises(amm.PoolMathError):
        amm.sell_base_in(reserves, 0, 20, 5)
    # the creator fee is its own rounded-up fee (not folded into the protocol rate): 1112 * 5 bps -> 1
    with_creator = amm.buy_base_out(reserves, 100, 20, 5, 5)
    assert (with_creator.coin_creator_fee, with_creator.user_quote_amount) == (1, 1117)
    assert amm.sell_base_in(reserves, 100, 20, 5, 5).user_quote_amount == 905


async def test_a_token_2022_coin_graduates_and_swaps_on_its_pool(localnet):
    """A create_v2 (Token-2022) coin: bought out on its curve, migrated into a pool whose base vault is
    a Token-2022 account, then sold and bought there with exact constant-product amounts."""
    from adapters.pumpfun import instructions_v2 as v2
    async with AsyncClient(localnet.rpc_url, commitment="confirmed") as client:
        creator, whale = await funded(client), await funded(client, 200 * SOL)
        mint = Keypair()
        await send(client, [v2.build_create_v2(mint.pubkey(), creator.pubkey(), "Grad22", "G22", "https://x.invalid/g")],
                   [creator, mint])
        m, user, t22 = mint.pubkey(), whale.pubkey(), pump.TOKEN_2022_PROGRAM
        pool_sell, pool_buy = pool_swaps(localnet.chain)
        fee_recipient = localnet.chain.pumpfun.global_state.fee_recipient
        await send(client, pump_ix.build_buy_with_ata(user, m, creator.pubkey(), fee_recipient, CURVE_TOKENS, 150 * SOL, t22),
                   [whale])
        real_sol = BONDING_CURVE.decode(bytes(localnet.chain.get_account(pump.bonding_curve(m)).data)).real_sol_reserves
        migrate_graduated_coin(localnet.chain, m)
        await until_committed(localnet.chain, localnet.chain.slot)
        pool = addr.canonical_pool(m)
        base_vault, _ = addr.pool_vaults(pool, m, base_token_program=t22)
        assert (await client.get_account_info(base_vault)).value.owner == t22

        async def held(owner, mint_key, program=t22) -> int:
            answer = await client.get_token_account_balance(pump.associated_token_address(owner, mint_key, program))
            return int(answer.value.amount)
        before = amm.Reserves(await held(pool, m), await held(pool, addr.WSOL_MINT, pump.TOKEN_PROGRAM))
        assert before == amm.Reserves(SUPPLY - CURVE_TOKENS, real_sol - MIGRATION_FEE)
        fees = pool_fee_rates_now(localnet.chain, m)
        sold = 10_000_000_000_000
        expected = amm.sell_base_in(before, sold, *fees)
        await send(client, [pump_ix.build_create_ata_idempotent(user, user, addr.WSOL_MINT),
                            pool_sell(user, m, FEE_RECIPIENT, sold, expected.user_quote_amount, t22)], [whale])
        assert await held(user, addr.WSOL_MINT, pump.TOKEN_PROGRAM) == expected.user_quote_amount
        assert await held(user, m) == CURVE_TOKENS - sold
        after = amm.Reserves(await held(pool, m), await held(pool, addr.WSOL_MINT, pump.TOKEN_PROGRAM))
        assert after == expected.reserves_after(before, is_buy=False)
        bought = 1_000_000_000_000
        buy = amm.buy_base_out(after, bought, *fees)
        await send(client, [*wrap_sol(whale, buy.user_quote_amount),
                            pool_buy(user, m, FEE_RECIPIENT, bought, buy.user_quote_amount, t22)], [whale])
        assert await held(user, m) == CURVE_TOKENS - sold + bought
        # naming SPL Token for this coin's base is refused
        with pytest.raises(RPCException):
            await send(client, [pool_sell(user, m, FEE_RECIPIENT, 1, 0)], [whale])
