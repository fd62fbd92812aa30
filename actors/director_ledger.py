"""The Director's bookkeeping, free of thespian so it is unit-testable: counters, PnL ledger, latencies.

PnL is the sum of the wallet's exact lamport change per transaction of ours, each signature counted
once, whoever (position, seller, a restarted position) reports it.

The ledger outlives a Director: the Director mirrors it to the root actor (actors/root.py), and a
restarted Director starts from that copy, then reconcile_with_journal() books what the copy missed
(reports lost in flight to the dead Director) from the journal, where every order is written before
it is sent. So the summary still equals the chain after the Director was killed at any moment.
"""
from __future__ import annotations

import collections
import dataclasses
import time
from dataclasses import dataclass, field

from actors.policy.breaker import BreakerState
from adapters.stats import BoundedDict, BoundedSet, LatencyHistogram, RollingWindow
from messages.position import PositionClosed, TxSent, TxSettled

JOURNAL_SETTLED_STATES = ('CONFIRMED', 'FAILED', 'EXPIRED')
JOURNAL_CLOSED_STATES = ('closed', 'failed')
RECENT_VALUES = 1_024            # latencies and buys kept verbatim; histograms keep the rest
REMEMBERED_KEYS = 10_000         # signatures / closures remembered; older ones are below a watermark


@dataclass
class Ledger:
    coins_seen: int = 0
    analysed: int = 0
    bought: int = 0
    sold: int = 0
    pnl_lamports: int = 0
    pnl_usdc: int = 0          # raw USDC, from USDC-paired coins
    failures: collections.Counter = field(default_factory=collections.Counter)
    skips: collections.Counter = field(default_factory=collections.Counter)   # why a coin was not bought
    # every collection is bounded, so a 48-hour run keeps a flat memory and a small Status
    latency_histogram: LatencyHistogram = field(default_factory=LatencyHistogram)   # detection -> buy sent
    latencies_ms: RollingWindow = field(default_factory=lambda: RollingWindow(RECENT_VALUES))
    buys: RollingWindow = field(default_factory=lambda: RollingWindow(RECENT_VALUES))  # (sig, detected, sent)
    decision_histogram: LatencyHistogram = field(default_factory=LatencyHistogram)
    decision_ms: RollingWindow = field(default_factory=lambda: RollingWindow(RECENT_VALUES))
    unresolved: BoundedDict = field(default_factory=lambda: BoundedDict(REMEMBERED_KEYS))  # sig -> TxSent
    settled: BoundedDict = field(default_factory=lambda: BoundedDict(REMEMBERED_KEYS))     # sig -> delta
    settled_through: float = 0.0   # every order sent at or before this was booked (forgotten since)
    lifecycle: collections.Counter = field(default_factory=collections.Counter)
    started_at: float = field(default_factory=time.time)   # this run's start: its journal rows (reconcile)
    position_ids: BoundedSet = field(default_factory=lambda: BoundedSet(REMEMBERED_KEYS))  # rows managed
    closed_ids: BoundedDict = field(default_factory=lambda: BoundedDict(REMEMBERED_KEYS))  # (id, mint) -> booked at
    closed_through: float = 0.0    # closures journaled at or before this were booked (forgotten since)
    breaker: BreakerState = field(default_factory=BreakerState)   # survives a Director restart
    exit_to_sell_histogram: LatencyHistogram = field(default_factory=LatencyHistogram)   # exit -> sell sent
    landing_slots: collections.Counter = field(default_factory=collections.Counter)   # buy slot - create slot
    copy_skips: dict = field(default_factory=dict)   # copy target -> Counter of skip reasons (CopyDesk books)
    # copy trading: each settled delta of a copied coin is its target's, so the targets' PnL sums to
    # the ledger's by construction (a sweep's sale of a copy's leftovers included)
    copy_pnl: collections.Counter = field(default_factory=collections.Counter)   # target -> lamports
    copy_mints: BoundedDict = field(default_factory=lambda: BoundedDict(REMEMBERED_KEYS))  # mint -> target
    rent_reclaimed: int = 0   # lamports of housekeeping's account closes (kind "close": no coin, no target)
    copy_last_seen: dict = field(default_factory=dict)   # target -> its last trade's signature (copy_gaps.py)
    # claimed cashback (kind "cashback", actors/cashback.py): net of the claim's fee, in pnl_lamports / pnl_usdc
    cashback_lamports: int = 0
    cashback_usdc: int = 0

    def on_tx_sent(self, msg: TxSent) -> bool:
        """Returns True for a buy seen for the first time (max buys counts buys sent). An order sent
        before this run started (a previous run's, re-told by a position resumed from the journal)
        is not this run's, as reconcile_with_journal() has it."""
        if msg.signature in self.settled or msg.signature in self.unresolved or msg.sent_at < self.started_at:
            return False
        if self.unresolved.put(msg.signature, msg):   # 10,000 outcomes unknown: a lost report
            self.failures["unresolved_forgotten"] += 1
        if msg.kind != "buy":
            if msg.detected_at:   # a position's sell: detected_at is its exit signal
                self.exit_to_sell_histogram.add(max(0.0, (msg.sent_at - msg.detected_at) * 1000))
            return False
        self.bought += 1
        self.lifecycle["buys_sent"] += 1
        if msg.detected_at:
            latency = round((msg.sent_at - msg.detected_at) * 1000, 3)
            self.latency_histogram.add(max(0.0, latency))
            self.latencies_ms.add(latency)
            self.buys.add((msg.signature, msg.detected_at, msg.sent_at))
        return True

    def on_decision(self, elapsed_ms: float) -> None:
        """Detection to analysis decision, for one launch."""
        self.analysed += 1
        self.decision_histogram.add(max(0.0, elapsed_ms))
        self.decision_ms.add(round(elapsed_ms, 3))

    def on_tx_settled(self, msg: TxSettled) -> bool:
        """Books the delta once; returns False for a duplicate report (one re-told from the journal
        whose order was sent before what was booked and forgotten since counts as one)."""
        if msg.signature in self.settled or (msg.sent_at and msg.sent_at <= self.settled_through):
            return False
        sent = self.unresolved.pop(msg.signature, None)
        sent_at = sent.sent_at if sent is not None else time.time()
        for _, (_, forgotten_sent_at) in self.settled.put(msg.signature, (msg.lamport_delta, sent_at)):
            self.settled_through = max(self.settled_through, forgotten_sent_at)
        self.pnl_lamports += msg.lamport_delta
        self.pnl_usdc += msg.usdc_delta
        target = self.copy_mints.get(msg.mint)
        if target:
            self.copy_pnl[target] += msg.lamport_delta
        elif msg.kind == "close":
            self.rent_reclaimed += msg.lamport_delta
        elif msg.kind == "cashback":
            self.cashback_lamports += msg.lamport_delta
            self.cashback_usdc += msg.usdc_delta
        if msg.ok and getattr(msg, "slots_after_create", -1) >= 0:   # bounded: 10+ is one bucket
            self.landing_slots[min(msg.slots_after_create, 10)] += 1
        if not msg.ok:
            self.failures[f"{msg.kind}_tx_failed"] += 1
        return True

    def on_position_closed(self, msg: PositionClosed) -> None:
        """Books a closure (the Director books each live position's once)."""
        self._remember_closure((msg.request_id, msg.mint), time.time())
        if msg.outcome == "sold":
            self.sold += 1
        elif msg.outcome != "nothing_held":
            self.failures[msg.outcome] += 1
        self.lifecycle[msg.state or "closed"] += 1
        if msg.presell:   # a sell went out before the buy confirmed: which of the three cases
            self.lifecycle["presell_sent"] += 1
            self.lifecycle[msg.presell] += 1
        elif msg.outcome == "buy_failed":
            self.lifecycle["buy_failed_before_sell"] += 1

    def _remember_closure(self, key: tuple, booked_at: float) -> None:
        # a row is journaled closed before its closure is reported, so a forgotten booking's time
        # bounds the journal times of closures already booked
        for _, forgotten_booked_at in self.closed_ids.put(key, booked_at):
            self.closed_through = max(self.closed_through, forgotten_booked_at)

    def note_position(self, mint: str, copy_target: str) -> None:
        """Whose coin `mint` is from now on: a copy's target, or '' (sniped: nobody's)."""
        if copy_target:
            self.copy_mints.put(mint, copy_target)
        else:
            self.copy_mints.pop(mint, None)

    def pending_for(self, mint: str) -> tuple:
        return tuple(sig for sig, sent in self.unresolved.items() if sent.mint == mint)

    def copy(self) -> Ledger:
        """A deep copy to hand to another actor (the root keeps the last one)."""
        def window(values: RollingWindow) -> RollingWindow:
            twin = RollingWindow(values.values.maxlen)
            twin.values.extend(values.values)
            twin.added = values.added
            return twin
        return dataclasses.replace(
            self, failures=collections.Counter(self.failures), skips=collections.Counter(self.skips),
            latency_histogram=self.latency_histogram.copy(), latencies_ms=window(self.latencies_ms),
            buys=window(self.buys), decision_histogram=self.decision_histogram.copy(),
            decision_ms=window(self.decision_ms), unresolved=self.unresolved.copy(),
            settled=self.settled.copy(), lifecycle=collections.Counter(self.lifecycle),
            position_ids=self.position_ids.copy(), closed_ids=self.closed_ids.copy(),
            exit_to_sell_histogram=self.exit_to_sell_histogram.copy(),
            landing_slots=collections.Counter(self.landing_slots),
            copy_pnl=collections.Counter(self.copy_pnl), copy_mints=self.copy_mints.copy(),
            copy_last_seen=dict(self.copy_last_seen),
            copy_skips={target: collections.Counter(skips) for target, skips in self.copy_skips.items()})

    def reconcile_with_journal(self, rows: list) -> int:
        """Book from journal rows what this ledger has not seen: the orders (sent, settled) and
        closures of this run's positions. A run's positions: those opened since started_at, and
        those an earlier run left open, which this run recovered (open now, managed, or written
        since started_at): their earlier orders count too (a recovered position's whole PnL, its
        buy included), though only orders sent in this run count as buys sent. Chosen by the row,
        not by when it was opened, so a root restarted after a whole-bot restart still books the
        positions that bot recovered. Returns how many entries were booked."""
        from actors.policy.copy import copy_target_of
        from actors.position_model import Position, presell_outcome
        from messages.stream import Launch
        booked = 0
        for row in rows:
            recovered = row['opened_at'] < self.started_at
            if recovered and not (row['position_id'] in self.position_ids
                                  or row['state'] not in JOURNAL_CLOSED_STATES
                                  or row['updated_at'] >= self.started_at):
                continue   # an earlier run's position, closed by it (that run booked it)
            if recovered and row['position_id'] not in self.position_ids:
                self.lifecycle['recovered'] += 1
            self.position_ids.add(row['position_id'])
            mint = row['mint']
            if row.get('launch'):
                self.note_position(mint, copy_target_of(Launch(**row['launch'])))
            detected_at = (row.get('launch') or {}).get('received_at', 0.0)
            orders = ([row['buy_order']] if row.get('buy_order') else []) + list(row.get('sell_orders') or [])
            for order in orders:
                if order['sent_at'] <= self.settled_through:
                    continue   # booked and forgotten since
                signature = order['signature']
                sent_in_this_run = order['sent_at'] >= self.started_at
                if sent_in_this_run and signature not in self.settled and signature not in self.unresolved:
                    self.on_tx_sent(TxSent(mint, signature, order['kind'], order['sent_at'],
                                           detected_at if order['kind'] == 'buy' else 0.0))
                    booked += 1
                if order['state'] in JOURNAL_SETTLED_STATES and signature not in self.settled:
                    self.on_tx_settled(TxSettled(mint, signature, order['kind'], order['lamport_delta'],
                                                 order['state'] == 'CONFIRMED', order.get('token_delta', 0),
                                                 order.get('error', ''), order.get('usdc_delta', 0)))
                    booked += 1
            if (row['state'] in JOURNAL_CLOSED_STATES and (row['position_id'], mint) not in self.closed_ids
                    and row['updated_at'] > self.closed_through):
                position = Position.from_row(row)
                booked += 1
                self.on_position_closed(PositionClosed(
                    row['position_id'], mint, row['outcome'], row['bought_tokens'], row['pnl_lamports'],
                    row['exit_reason'], 'booked from the journal', row['state'],
                    presell_outcome(position)))
        return booked
