"""A journal that fails mid-run puts the whole bot in safety mode: no new buys, the open position
goes on from memory and still sells, and Status names the failure and the unjournaled mint.
The failure is real: another process holds the journal's SQLite write lock (BEGIN EXCLUSIVE), so
every write of the bot times out, as on a journal that cannot be written."""
from __future__ import annotations

import sqlite3
import time

import pytest

from tests.bot.harness import SOL, bot_world

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def world(tmp_path):
    journal = tmp_path / "journal.sqlite3"
    with bot_world(tmp_path, **{"run.journal_path": str(journal), "trading.max_hold_seconds": 4,
                                "trading.max_active_positions": 1, "balance.interval_seconds": 3_600}) as world:
        yield world.bot, world.chain, world.market, world.keypair, world.settings, journal


def test_a_failing_journal_stops_buying_and_the_open_position_still_sells(world):
    bot, chain, market, keypair, settings, journal = world
    bot.start(settings)
    bot.wait_until_streaming(chain, market)
    creator = chain.run(market.new_wallet(SOL))
    first = chain.run(market.launch(creator, "Held"))
    status = bot.wait_for(lambda s: s.active_positions == 1 and s.bought == 1, timeout=20)

    lock = sqlite3.connect(str(journal), isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")   # every write of the bot now fails after its busy timeout
    try:
        # max hold (4 s) exits the position: its journal write fails, and still it sells
        status = bot.wait_for(lambda s: s.journal_failure and s.sold == 1, timeout=40)
        assert status.unjournaled_mints == (first,) and not status.buying
        assert first not in chain.run(market.holdings(keypair.pubkey()))   # sold on the chain
        for index in range(3):   # new launches are seen but never bought
            chain.run(market.launch(creator, f"After{index}"))
        status = bot.wait_for(lambda s: s.skips.get("journal failed: safety mode", 0) >= 1, timeout=20)
        time.sleep(1.0)
        status = bot.status()
        assert status.bought == 1 and status.active_positions == 0
        assert status.failures["journal_failed"] >= 1
    finally:
        lock.rollback()
        lock.close()
