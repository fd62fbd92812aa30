"""A restarted Director's ledger: the root's copy plus what the journal shows that the copy missed.
Rows are written by the position model, as PositionActors journal them."""
from __future__ import annotations

import pickle

from actors.director_ledger import Ledger
from actors.position_model import CLOSED, CONFIRMED, EXPIRED, POSITION_FAILED, Order, Position
from messages.position import TxSent, TxSettled
from tests.bot.test_messages import make_launch

STARTED = 1_000.0


def position(pid: str, mint: str, opened_at: float, buy: Order | None, sells=()) -> Position:
    p = Position(pid, make_launch(mint, received_at=opened_at - 0.5), opened_at=opened_at)
    p.buy_order, p.sell_orders = buy, list(sells)
    return p


def settled(order: Order, state: str, lamports: int, tokens: int) -> Order:
    order.settle(state, '' if state == CONFIRMED else 'x', lamports, tokens)
    return order


def test_the_journal_books_what_the_mirrored_copy_missed_and_nothing_twice():
    ledger = Ledger(started_at=STARTED)
    # seen by the dead Director (mirrored): a buy sent and settled, position A still open
    ledger.on_tx_sent(TxSent("A", "sigA-buy", "buy", STARTED + 2, STARTED + 1))
    ledger.on_tx_settled(TxSettled("A", "sigA-buy", "buy", -10_300_000, True, 500))
    ledger.position_ids.add("pos-A")
    copy = pickle.loads(pickle.dumps(ledger.copy()))   # what the root hands the new Director

    # after the copy: A's sell landed and A closed; B bought (report lost) and its buy still flies;
    # C's buy expired and C failed; D is an earlier run's closed row; E an earlier run's open row
    # (this run resumes it: its earlier buy counts in the PnL, not as a buy sent by this run)
    a = position("pos-A", "A", STARTED + 1,
                 settled(Order("buy", "sigA-buy", 500, 99, STARTED + 2), CONFIRMED, -10_300_000, 500),
                 [settled(Order("sell", "sigA-sell", 500, 99, STARTED + 5), CONFIRMED, 9_900_000, -500)])
    a.bought_tokens, a.sold_tokens, a.pnl_lamports, a.state, a.outcome = 500, 500, -400_000, CLOSED, "sold"
    b = position("pos-B", "B", STARTED + 3, Order("buy", "sigB-buy", 700, 99, STARTED + 4))
    c = position("pos-C", "C", STARTED + 3,
                 settled(Order("buy", "sigC-buy", 700, 99, STARTED + 4), EXPIRED, 0, 0))
    c.state, c.outcome = POSITION_FAILED, "buy_failed"
    d = position("pos-D", "D", STARTED - 50,
                 settled(Order("buy", "sigD-buy", 1, 9, STARTED - 49), CONFIRMED, -5, 1))
    d.state, d.outcome = CLOSED, "sold"
    e = position("pos-E", "E", STARTED - 40,
                 settled(Order("buy", "sigE-buy", 1, 9, STARTED - 39), CONFIRMED, -7, 1))
    rows = [p.to_row() for p in (a, b, c, d, e)]
    rows[3]["updated_at"] = STARTED - 48                   # D was closed by that earlier run

    booked = copy.reconcile_with_journal(rows)
    assert booked == 8   # A: sell sent+settled, closed; B: buy sent; C: buy sent+settled, closed; E: buy settled
    assert copy.bought == 3 and copy.sold == 1
    assert copy.pnl_lamports == -10_300_000 + 9_900_000 - 7   # each signature once; D not this run's
    assert set(copy.unresolved) == {"sigB-buy"} and copy.pending_for("B") == ("sigB-buy",)
    assert copy.failures == {"buy_tx_failed": 1, "buy_failed": 1}
    assert set(copy.closed_ids) == {("pos-A", "A"), ("pos-C", "C")}
    assert set(copy.position_ids) == {"pos-A", "pos-B", "pos-C", "pos-E"} and copy.lifecycle["recovered"] == 1
    assert copy.reconcile_with_journal(rows) == 0          # idempotent: a second restart books nothing
    # the position's own late reports, after the journal booked them, change nothing
    assert not copy.on_tx_settled(TxSettled("A", "sigA-sell", "sell", 9_900_000, True, -500))
    assert ledger.pnl_lamports == -10_300_000                # the copy is independent of the original


def recovered_row_sold_in_this_run() -> dict:
    """An earlier run bought E and died holding it; this run recovered E and sold it."""
    e = position("pos-E", "E", STARTED - 40,
                 settled(Order("buy", "sigE-buy", 1, 9, STARTED - 39), CONFIRMED, -7, 1),
                 [settled(Order("sell", "sigE-sell", 1, 9, STARTED + 3), CONFIRMED, 6, -1)])
    e.state, e.outcome = CLOSED, "sold"
    return e.to_row()


def test_a_row_recovered_from_an_earlier_run_counts_whole_but_its_buy_is_not_this_runs():
    ledger = Ledger(started_at=STARTED)
    ledger.position_ids.add("pos-E")                         # recovered at this run's start
    ledger.reconcile_with_journal([recovered_row_sold_in_this_run()])
    assert ledger.bought == 0 and ledger.pnl_lamports == 6 - 7 and ledger.sold == 1


def test_a_root_restarted_after_a_whole_bot_restart_still_books_the_recovered_rows():
    """run.py restarted after a kill -9 recovers E and sells it; then its root dies and the new
    Director starts from a fresh ledger (app/root_watch.py): position_ids is empty, yet E is this
    run's (written since it started) and its PnL must be in the summary, as on chain (-7 + 6)."""
    fresh = Ledger(started_at=STARTED)
    closed_before_this_run = recovered_row_sold_in_this_run()
    closed_before_this_run.update(position_id="pos-D", mint="D", updated_at=STARTED - 30)
    booked = fresh.reconcile_with_journal([recovered_row_sold_in_this_run(), closed_before_this_run])
    assert booked == 4 and fresh.pnl_lamports == 6 - 7   # buy settled, sell sent+settled, closed
    assert fresh.pnl_lamports == 6 - 7 and fresh.sold == 1 and fresh.bought == 0
    assert set(fresh.position_ids) == {"pos-E"} and fresh.lifecycle["recovered"] == 1


def test_a_long_run_keeps_the_ledger_bounded_and_books_nothing_twice_after_forgetting():
    """100k buys and sells: memory stays at the bounds, the journal reconcile books nothing that
    the ledger booked and forgot (watermark), and a copy carries the breaker state."""
    from actors.director_ledger import RECENT_VALUES, REMEMBERED_KEYS
    from actors.policy.breaker import BreakerState
    from messages.position import PositionClosed
    ledger = Ledger(started_at=STARTED)
    rows = []
    for n in range(2 * REMEMBERED_KEYS):
        at = STARTED + 1 + n
        buy = Order("buy", f"b{n}", 100, 1, at)
        ledger.on_tx_sent(TxSent(f"M{n}", f"b{n}", "buy", at, at - 0.01))
        ledger.on_tx_settled(TxSettled(f"M{n}", f"b{n}", "buy", -1_000, True, 100))
        p = position(f"p{n}", f"M{n}", at, settled(buy, CONFIRMED, -1_000, 100))
        p.state = CLOSED
        row = dict(p.to_row(), state="closed", outcome="sold", updated_at=at)
        ledger.on_position_closed(PositionClosed(f"p{n}", f"M{n}", "sold", 100, -1_000))
        rows.append(row)
    assert len(ledger.settled) == REMEMBERED_KEYS and len(ledger.closed_ids) == REMEMBERED_KEYS
    assert len(ledger.latencies_ms) == RECENT_VALUES and ledger.latency_histogram.count == 2 * REMEMBERED_KEYS
    assert ledger.buys.added == ledger.bought == 2 * REMEMBERED_KEYS
    pnl, sold = ledger.pnl_lamports, ledger.sold
    ledger.breaker = BreakerState(consecutive_losses=3, tripped="3 in a row")
    restarted = pickle.loads(pickle.dumps(ledger.copy()))
    assert restarted.reconcile_with_journal(rows) == 0
    assert (restarted.pnl_lamports, restarted.sold, restarted.bought) == (pnl, sold, 2 * REMEMBERED_KEYS)
    assert restarted.breaker.tripped == "3 in a row"


def test_a_settled_order_retold_by_a_restarted_position_is_booked_once():
    """A position killed after journaling an order's outcome but before its TxSettled left tells it
    again from the journal as it recovers (PositionActor._retell_settled): booked if the Director never
    heard it, skipped if it did, and skipped if it was sent before what the ledger booked and forgot."""
    from actors.director_ledger import REMEMBERED_KEYS
    ledger = Ledger(started_at=STARTED)
    ledger.on_tx_sent(TxSent("A", "lost", "buy", STARTED + 2, STARTED + 1))   # its TxSettled was lost
    assert ledger.on_tx_settled(TxSettled("A", "lost", "buy", -10_300_000, True, 500, sent_at=STARTED + 2))
    assert not ledger.on_tx_settled(TxSettled("A", "lost", "buy", -10_300_000, True, 500, sent_at=STARTED + 2))
    assert ledger.pnl_lamports == -10_300_000
    for n in range(REMEMBERED_KEYS + 1):   # later settlements push "lost" out of memory
        at = STARTED + 3 + n
        ledger.on_tx_sent(TxSent(f"M{n}", f"s{n}", "buy", at, at))
        ledger.on_tx_settled(TxSettled(f"M{n}", f"s{n}", "buy", -1, True, 1))
    assert "lost" not in ledger.settled and ledger.settled_through >= STARTED + 2
    pnl = ledger.pnl_lamports
    assert not ledger.on_tx_settled(TxSettled("A", "lost", "buy", -10_300_000, True, 500, sent_at=STARTED + 2))
    assert ledger.pnl_lamports == pnl
