"""Limits and lifecycle counters (pure): max active = live PositionActors, max buys = buys sent."""
from __future__ import annotations

from actors.director import Director, LivePosition
from actors.director_ledger import Ledger
from config.settings import load_settings
from messages.position import PositionClosed, TxSent
from tests.bot.test_messages import make_launch


def director(max_active: int, max_buys: int) -> Director:
    d = Director()
    d.settings = load_settings(env={}, overrides={"trading.max_active_positions": max_active,
                                                  "trading.max_buys": max_buys})
    d.ledger.started_at = 0.0   # the made-up TxSent times below count from 0: this run's orders
    return d


def test_max_active_counts_live_position_actors():
    d = director(max_active=2, max_buys=0)
    assert d._why_not_buy("A") == ""
    d.positions["A"] = LivePosition("addr-a", make_launch("A"), "pos-a", buy_sent=True)
    d.analysing["B"] = 0.0   # a decision on its way holds a slot too
    assert d._why_not_buy("C") == "limit: max active positions"
    assert d._why_not_buy("A") == "already held or being analysed"
    del d.analysing["B"]
    assert d._why_not_buy("C") == ""


def test_max_buys_counts_buys_sent_once():
    d = director(max_active=10, max_buys=2)
    d.positions["A"] = LivePosition("addr-a", make_launch("A"), "pos-a")
    d.receiveMsg_TxSent(TxSent("A", "SIG-A", "buy", 2.0, 1.0), None)
    d.receiveMsg_TxSent(TxSent("A", "SIG-A", "buy", 2.0, 1.0), None)   # a duplicate report
    d.receiveMsg_TxSent(TxSent("A", "SIG-S", "sell", 3.0), None)
    assert d.ledger.bought == 1 and d.positions["A"].buy_sent
    assert d._why_not_buy("B") == ""
    d.positions["B"] = LivePosition("addr-b", make_launch("B"), "pos-b")   # its buy not sent yet
    assert d._why_not_buy("C") == "limit: max buys"   # 1 sent + 1 about to be sent = max_buys


def test_skipped_launches_are_counted_by_reason():
    """The summary's `skipped:` line: every launch not bought says why."""
    from actors.policy.breaker import BreakerState
    from messages.stream import LaunchBatch
    d = director(max_active=1, max_buys=0)
    d.positions["A"] = LivePosition("addr-a", make_launch("A"), "pos-a", buy_sent=True)
    d.receiveMsg_LaunchBatch(LaunchBatch((make_launch("A"), make_launch("B"), make_launch("C"))), None)
    d.buying = False
    d.positions.clear()
    d.receiveMsg_LaunchBatch(LaunchBatch((make_launch("D"),)), None)
    d.buying = True
    d.ledger.breaker = BreakerState(tripped="3 losses in a row")
    d.receiveMsg_LaunchBatch(LaunchBatch((make_launch("E"),)), None)
    assert d.ledger.skips == {"already held or being analysed": 1, "limit: max active positions": 2,
                              "buying paused": 1, "circuit breaker open": 1}
    assert d.ledger.coins_seen == 5 and not d.analysing


def test_presell_outcomes_are_counted():
    ledger = Ledger()
    for presell, outcome, state in [("presell_both_landed", "sold", "closed"),
                                    ("presell_retried", "sold", "closed"),
                                    ("presell_buy_failed", "buy_failed", "failed"),
                                    ("", "buy_failed", "failed"), ("", "sold", "closed")]:
        ledger.on_position_closed(PositionClosed("r", "M", outcome, 0, 0, state=state, presell=presell))
    counts = ledger.lifecycle
    assert counts["presell_sent"] == 3 and counts["buy_failed_before_sell"] == 1
    assert counts["presell_both_landed"] == counts["presell_retried"] == counts["presell_buy_failed"] == 1
    assert (counts["closed"], counts["failed"]) == (3, 2) and ledger.sold == 3
