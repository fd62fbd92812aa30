"""An armed spare SIGKILLed right after its buy row is written (journal before send): before its
bytes leave, or right after. The Director restarts the position from its row: the journaled buy is
rebroadcast (never signed again) or confirmed, the position is booked and sold, and the books
balance to the lamport (analysis.mode = "fast", the buy written from the spare's lane thread)."""
from __future__ import annotations

import os
import signal

import pytest

from actors.position import PositionActor
from adapters.journal import OPEN_STATES, Journal, journal_path
from tests.bot.harness import bot_world
from tests.bot.test_e2e import assert_books_balance, trade_session

pytestmark = pytest.mark.timeout(150)


def die_at_the_first_armed_buy(monkeypatch, marker, moment: str) -> None:
    """The one crash the local chain cannot make: the process killed between two lines of its own.
    Patched before the actor system forks, so every PositionActor carries it; the first armed
    spare to write a buy (the marker file is created exclusively) dies there, before or after
    writing the bytes; every other write, the restarted position's included, is the real one."""
    write = PositionActor._write

    def write_or_die(self, prepared, order):
        if order.kind == "buy" and self.spare_id:
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return write(self, prepared, order)
            if moment == "after_send":
                write(self, prepared, order)
            os.kill(os.getpid(), signal.SIGKILL)
        return write(self, prepared, order)

    monkeypatch.setattr(PositionActor, "_write", write_or_die)


@pytest.mark.parametrize("moment", ["before_send", "after_send"])
def test_a_spare_killed_after_its_buy_row_is_recovered_booked_and_sold(tmp_path, monkeypatch, moment):
    marker = tmp_path / "killed"
    die_at_the_first_armed_buy(monkeypatch, marker, moment)
    with bot_world(tmp_path, **{"analysis.mode": "fast", "trading.max_hold_seconds": 3}) as world:
        start_balance = world.chain.run(world.market.balance(world.keypair.pubkey()))
        world.bot.start(world.settings)
        world.bot.wait_until_streaming(world.chain, world.market)
        status, _ = trade_session(world.bot, world.chain, world.market, 2)
        assert marker.exists(), "no armed spare wrote a buy"
        assert status.failures.get("position_restarted", 0) >= 1, status.failures
        assert status.bought >= 2 and status.sold == status.bought, status
        assert_books_balance(world.chain, world.market, world.keypair, start_balance, status)
        journal = Journal(journal_path(world.settings))
        rows = journal.all_positions()
        journal.close()
    assert not [row for row in rows if row["state"] in OPEN_STATES], rows
    signatures = [row["buy_order"]["signature"] for row in rows if row["buy_order"]]
    assert len(signatures) == len(set(signatures)) == status.bought, rows   # none bought twice
