"""The fast path in a running bot on the local chain (analysis.mode = "fast"): the Director arms
spares (funds reserved ahead), the StreamActor opens each passing launch on one of them (one hop
from detection), and the books stay exact: PnL equals the wallet's change, every token is sold,
the limits hold."""
from __future__ import annotations

import time

import pytest

from tests.bot.harness import SOL, Bot, ChainThread, Market, bot_settings, new_bot_wallet
from tests.bot.test_e2e import assert_books_balance, trade_session
from actors.system import group_processes
from app.summary import summary_text

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def world(tmp_path):
    bot = Bot()
    chain = None
    try:
        chain = ChainThread().start()
        market = Market(chain)
        keypair, path = new_bot_wallet(tmp_path)
        chain.run(market.fund(keypair.pubkey(), 2 * SOL))
        settings = bot_settings(chain, path, tmp_path / "runs", **{"analysis.mode": "fast"})
        yield bot, chain, market, keypair, settings
    finally:
        pgid = bot.system.pgid
        bot.stop()
        if chain is not None:
            chain.stop()
        assert group_processes(pgid) == [], "an actor process outlived the test"


def test_fast_path_buys_on_armed_spares_with_exact_pnl(world, tmp_path):
    bot, chain, market, keypair, settings = world
    start_balance = chain.run(market.balance(keypair.pubkey()))
    bot.start(settings)
    bot.wait_until_streaming(chain, market)
    status, _ = trade_session(bot, chain, market, 3)
    assert status.bought >= 2 and status.sold == status.bought, status
    assert status.lifecycle.get("fast_path_opens", 0) == status.bought, status.lifecycle
    assert not status.failures, status.failures
    assert_books_balance(chain, market, keypair, start_balance, status)
    # the summary's hot-path lines: where the buys landed, how fast exits turned into sells
    assert sum(status.landing_slots.values()) == status.bought, status.landing_slots
    assert status.exit_to_sell_histogram.count >= status.sold, status.exit_to_sell_histogram
    text = summary_text(status, "test", tmp_path)
    assert "buy landed slots after create: p50" in text and "exit-to-sell-sent p50" in text, text


def test_fast_path_keeps_max_active_positions(world):
    bot, chain, market, keypair, settings = world
    start_balance = chain.run(market.balance(keypair.pubkey()))
    bot.start(settings.replace(**{"trading.max_active_positions": 1, "trading.max_hold_seconds": 30}))
    bot.wait_until_streaming(chain, market)
    creator = chain.run(market.new_wallet(SOL))
    for index in range(10):   # until one is held (the wallet refuses buys until its first read)
        chain.run(market.launch(creator, f"Lim{index}"))
        time.sleep(0.5)
        if bot.status().bought:
            break
    before = bot.status()
    for index in range(2):    # two more launches while that position is held
        chain.run(market.launch(creator, f"More{index}"))
    held = bot.wait_for(lambda s: s.coins_seen >= before.coins_seen + 2, timeout=20)
    time.sleep(0.5)
    held = bot.status()
    assert held.bought == 1 and held.active_positions == 1, held
    limited = held.skips.get("limit: max active positions", 0)
    assert limited >= before.skips.get("limit: max active positions", 0) + 2, held.skips
    bot.close_all()
    final = bot.wait_for(lambda s: s.active_positions == 0 and s.unresolved_signatures == 0, timeout=60)
    assert_books_balance(chain, market, keypair, start_balance, final)
