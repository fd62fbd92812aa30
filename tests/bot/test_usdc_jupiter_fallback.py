"""A graduated USDC-paired coin whose pool sells keep failing: the must-sell ladder's Jupiter rung asks
the Jupiter-compatible API for USDC out (the coin's own quote; there is no coin->SOL route), the
sale's USDC lands in the wallet's USDC account and is booked as usdc_delta, and the emptied token
account is closed after it. A running bot against the local chain; the pool sells fail because a
whale front-runs each of them (FrontRunPoolSells, a fault the network can do to us)."""
from __future__ import annotations

import pytest
from solders.pubkey import Pubkey

from actors.trading_io import token_accounts
from adapters.pumpfun import addresses as pump
from adapters.pumpfun import curve as curve_math
from adapters.pumpfun import venue
from localnet.programs.pumpswap_setup import migrate_graduated_coin
from tests.bot.harness import SOL, bot_world
from tests.bot.test_graduation_race import journal_row
from tests.bot.test_mainnet_mix_e2e import fund_usdc, usdc_held
from messages.seller import SellSucceeded, SellTokens
from tests.bot.test_must_sell import start_trading_actors
from tests.bot.test_pool_sell import T22, FrontRunPoolSells, failed_fees, pool_instructions, world  # noqa: F401
from tests.bot.test_usdc_pool_sell import buy_out_usdc_curve
from tests.bot.test_usdc_trades import launch_usdc_coin

pytestmark = pytest.mark.timeout(120)
USDC_BUY = 5 * 10**6


async def buy_usdc_coin(market, buyer, mint: str, usdc_budget: int) -> None:
    """buy_v2 (BUY.md, USDC as quote) of what `usdc_budget` raw USDC buys at the live curve."""
    global_, state = await market._global(), await market._curve(Pubkey.from_string(mint))
    kind = venue.CoinKind.of_curve(mint, T22, state)
    tokens = curve_math.tokens_for_sol(state, global_, usdc_budget)
    ixs = venue.buy_instructions("v2", buyer.pubkey(), kind, venue.FeeAccounts.of_global(global_), tokens,
                                 usdc_budget * 2)
    await market.send_tx(buyer, ixs, [buyer])


def test_a_usdc_coin_whose_pool_sells_fail_is_sold_for_usdc_through_jupiter(tmp_path):
    journal_path = tmp_path / "journal.sqlite3"
    with bot_world(tmp_path, jupiter=True, **{
            "trading.usdc_buy_amount": USDC_BUY, "analysis.mode": "fast", "trading.slippage_bps": 100,
            "trading.take_profit_pct": 100_000, "trading.stop_loss_pct": 100, "trading.max_hold_seconds": 600,
            "trading.max_active_positions": 1, "balance.interval_seconds": 3_600,
            "run.journal_path": str(journal_path)}) as env:
        bot, chain, market, keypair = env.bot, env.chain, env.market, env.keypair
        owner = keypair.pubkey()
        fund_usdc(chain, market, owner, 50 * 10**6)
        sol_before, usdc_before = chain.run(market.balance(owner)), usdc_held(chain, owner)
        bot.start(env.settings)
        bot.wait_until_streaming(chain, market)
        creator = chain.run(market.new_wallet(SOL))
        mint = chain.run(launch_usdc_coin(market, creator))
        bot.wait_for(lambda s: s.bought >= 1, timeout=30)
        bot.pause_buying()
        whale = chain.run(market.new_wallet(10 * SOL))
        fund_usdc(chain, market, whale.pubkey(), 100_000 * 10**6)
        chain.run(buy_out_usdc_curve(market, whale, mint))
        migrate_graduated_coin(chain.node.chain, Pubkey.from_string(mint))
        gate = FrontRunPoolSells(chain.node.chain, owner, whale, mint, T22, pump.USDC_MINT, limit=3)
        chain.node.chain.submit_gate = gate

        bot.close_all()
        final = bot.wait_for(lambda s: s.active_positions == 0 and s.unresolved_signatures == 0, timeout=60)

        row = journal_row(journal_path, mint)
        assert row["state"] == "closed" and row["sold_tokens"] == row["bought_tokens"] > 0, row
        settled = [(o["kind"], o["state"], [a for a, _ in pool_instructions(chain, o["signature"])])
                   for o in row["sell_orders"]]
        # three pool sells front-run (24 accounts, failed), Jupiter's USDC pool route, the close
        assert gate.front_runs == 3 and settled == [("sell", "FAILED", [24])] * 3 + [
            ("sell", "CONFIRMED", [24]), ("close", "CONFIRMED", [])], settled
        assert final.pnl_usdc == usdc_held(chain, owner) - usdc_before != 0          # USDC booked, to the unit
        assert final.pnl_lamports == chain.run(market.balance(owner)) - sol_before   # SOL apart, exact
        left = chain.run(token_accounts(chain.rpc, owner))
        assert {m for _, m, _, _ in left} == {str(pump.USDC_MINT)}, left           # nothing stranded


def test_the_seller_sells_a_usdc_coin_for_usdc_through_jupiter(world):
    """The SellerActor (sweeps, run.py --sell) knows only the mint: the Jupiter rung reads the coin's
    quote from its curve, asks for USDC, and closes the emptied account after the sale."""
    bot, chain, market, keypair, settings = world
    owner = keypair.pubkey()
    fund_usdc(chain, market, owner, 50 * 10**6)
    creator = chain.run(market.new_wallet(SOL))
    mint = chain.run(launch_usdc_coin(market, creator))
    chain.run(buy_usdc_coin(market, keypair, mint, 5 * 10**6))
    held = chain.run(market.holding(owner, mint))
    whale = chain.run(market.new_wallet(10 * SOL))
    fund_usdc(chain, market, whale.pubkey(), 100_000 * 10**6)
    chain.run(buy_out_usdc_curve(market, whale, mint))
    migrate_graduated_coin(chain.node.chain, Pubkey.from_string(mint))
    _, seller, _ = start_trading_actors(bot, settings.replace(**{"trading.slippage_bps": 100}))
    gate = FrontRunPoolSells(chain.node.chain, owner, whale, mint, T22, pump.USDC_MINT, limit=3)
    chain.node.chain.submit_gate = gate
    sol_before, usdc_before = chain.run(market.balance(owner)), usdc_held(chain, owner)

    reply = bot.system.ask(seller, SellTokens("usdc-jup", mint, reason="test"), timeout=90)

    assert isinstance(reply, SellSucceeded), reply
    assert gate.front_runs == 3 and reply.attempts == 4 and reply.tokens_sold == held
    assert [a for a, _ in pool_instructions(chain, reply.signature)] == [24]   # Jupiter's USDC pool route (the current list)
    assert usdc_held(chain, owner) > usdc_before                              # paid in USDC
    fees = failed_fees(chain, owner)
    assert chain.run(market.balance(owner)) - sol_before == reply.lamport_delta - fees   # rent back included
    assert {m for _, m, _, _ in chain.run(token_accounts(chain.rpc, owner))} == {str(pump.USDC_MINT)}
