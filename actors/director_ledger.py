"""The Director's bookkeeping, free of thespian so it is unit-testable: counters, PnL ledger, latencies.

PnL is the sum of the wallet's exact lamport change per transaction of ours, each signature counted
once, whoever (position, seller, a restarted position) reports it.
"""
from __future__ import annotations

import collections
from dataclasses import dataclass, field

from messages.position import PositionClosed, TxSent, TxSettled


@dataclass
class Ledger:
    coins_seen: int = 0
    analysed: int = 0
    bought: int = 0
    sold: int = 0
    pnl_lamports: int = 0
    failures: collections.Counter = field(default_factory=collections.Counter)
    latencies_ms: list = field(default_factory=list)
    buys: list = field(default_factory=list)           # (signature, detected_at, sent_at)
    decision_ms: list = field(default_factory=list)    # detection to analysis decision, per launch
    unresolved: dict = field(default_factory=dict)     # signature -> TxSent
    settled: dict = field(default_factory=dict)        # signature -> lamport delta
    lifecycle: collections.Counter = field(default_factory=collections.Counter)

    def on_tx_sent(self, msg: TxSent) -> bool:
        """Returns True for a buy seen for the first time (max buys counts buys sent)."""
        if msg.signature in self.settled or msg.signature in self.unresolved:
            return False
        self.unresolved[msg.signature] = msg
        if msg.kind != "buy":
            return False
        self.bought += 1
        self.lifecycle["buys_sent"] += 1
        if msg.detected_at:
            self.latencies_ms.append(round((msg.sent_at - msg.detected_at) * 1000, 3))
            self.buys.append((msg.signature, msg.detected_at, msg.sent_at))
        return True

    def on_tx_settled(self, msg: TxSettled) -> bool:
        """Books the delta once; returns False for a duplicate report."""
        if msg.signature in self.settled:
            return False
        self.unresolved.pop(msg.signature, None)
        self.settled[msg.signature] = msg.lamport_delta
        self.pnl_lamports += msg.lamport_delta
        if not msg.ok:
            self.failures[f"{msg.kind}_tx_failed"] += 1
        return True

    def on_position_closed(self, msg: PositionClosed) -> None:
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

    def pending_for(self, mint: str) -> tuple:
        return tuple(sig for sig, sent in self.unresolved.items() if sent.mint == mint)
