"""End to end: the whole actor tree against a real local chain, coins launched and traded over RPC.

The bot must buy and sell several coins, its reported PnL must equal the wallet's on-chain lamport
change exactly (fees and rent included), SIGKILL of any one actor must be survived (restart, every
bought token still sold), and no actor process may outlive the test.
"""
from __future__ import annotations

import os
import signal
import time

import pytest

from messages import new_request_id
from messages.status import ChildPids, ChildPidsRequest
from tests.bot.harness import SOL, Bot, ChainThread, Market, bot_world

COINS = 3
pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def world(tmp_path):
    """(bot, chain, market, wallet keypair, settings); the actor system starts before the chain thread."""
    with bot_world(tmp_path) as world:
        yield world.bot, world.chain, world.market, world.keypair, world.settings


def child_pids(bot: Bot) -> dict:
    reply = bot.system.ask(bot.director, ChildPidsRequest(new_request_id("pids")), timeout=10)
    assert isinstance(reply, ChildPids), reply
    return reply.pids


def trade_session(bot: Bot, chain: ChainThread, market: Market, coins: int, kill: str | None = None):
    """Launch `coins` coins (a trader buys into each); optionally SIGKILL one actor after the first buy.
    Returns the final Status once every position is closed and every signature settled."""
    creator = chain.run(market.new_wallet(1 * SOL))
    trader = chain.run(market.new_wallet(5 * SOL))
    killed = None
    for index in range(coins):
        mint = chain.run(market.launch(creator, f"Coin{index}"))
        time.sleep(0.2)
        chain.run(market.buy(trader, mint, 200_000_000))
        if kill and killed is None:
            bot.wait_for(lambda s: s.bought >= 1 and s.active_positions >= 1, timeout=20, poll=0.05)
            pids = child_pids(bot)
            name = next(n for n in pids if n == kill or n.startswith(f"{kill}:"))
            killed = (name, pids[name])
            os.kill(pids[name], signal.SIGKILL)
            time.sleep(0.3)
        time.sleep(0.4)
    bot.wait_for(lambda s: s.bought >= coins - 1, timeout=30)
    bot.close_all()   # stop buying, sell what is open now (what run.py does before a shutdown)
    final = bot.wait_for(lambda s: s.active_positions == 0 and s.unresolved_signatures == 0,
                         timeout=60)
    return final, killed


def assert_books_balance(chain, market, keypair, start_balance, status):
    end_balance = chain.run(market.balance(keypair.pubkey()))
    assert status.pnl_lamports == end_balance - start_balance   # exact, fees and rent included
    assert chain.run(market.holdings(keypair.pubkey())) == {}    # every bought token was sold


@pytest.mark.parametrize("stream", ["grpc", "ws", "blocks"])
def test_buys_and_sells_with_exact_pnl(world, stream, tmp_path):
    bot, chain, market, keypair, settings = world
    settings = settings.replace(**{"chain.grpc_endpoint": chain.node.grpc_addr if stream == "grpc" else None,
                                   "chain.stream_source": "blocks" if stream == "blocks" else "auto"})
    start_balance = chain.run(market.balance(keypair.pubkey()))
    bot.start(settings)
    bot.wait_until_streaming(chain, market)
    status, _ = trade_session(bot, chain, market, COINS)
    assert status.bought >= COINS - 1 and status.sold == status.bought
    assert status.coins_seen >= COINS and status.analysed >= status.bought
    assert len(status.latencies_ms) == status.bought
    assert status.stream["launches"] >= COINS and status.stream["malformed"] == 0
    assert_books_balance(chain, market, keypair, start_balance, status)
    if stream == "ws":
        # someone else buys into our wallet: the monitor reports the stray token, and the wallet,
        # seeing SOL leave that no transaction of ours explains, refuses further buys
        creator = chain.run(market.new_wallet(SOL))
        stray = chain.run(market.launch(creator, "Stray"))
        chain.run(market.buy(keypair, stray, 20_000_000))
        after = bot.wait_for(lambda s: s.stray_tokens and s.safety_mode, timeout=15)
        assert [mint for mint, _ in after.stray_tokens] == [stray]


@pytest.mark.parametrize("victim", ["position", "seller", "wallet", "stream", "balance_monitor"])
def test_sigkill_of_one_actor_is_survived(world, victim):
    bot, chain, market, keypair, settings = world
    start_balance = chain.run(market.balance(keypair.pubkey()))
    bot.start(settings)
    bot.wait_until_streaming(chain, market)
    status, killed = trade_session(bot, chain, market, COINS, kill=victim)
    assert killed is not None
    if victim == "position":
        assert status.failures.get("position_restarted", 0) >= 1
    else:
        assert status.restarts.get(victim, 0) >= 1, status
    new_pids = child_pids(bot)
    assert killed[1] not in new_pids.values()
    assert status.bought >= 1 and status.sold + status.failures.get("nothing_held", 0) >= 1
    assert_books_balance(chain, market, keypair, start_balance, status)
