"""At most one message per interval to one receiver; what comes meanwhile goes together.

Why: thespian sends to one receiver one message at a time, each waiting for the receiver's
acknowledgement (~0.4-1.7 ms a message, 600-1,000 messages/s per pair: bench_actor_hop). Past
that the sender's queue grows and every turn of its transport loop scans it, so CPU per message
and the wait both grow with the backlog (bench_analysis at 500 launches/s, one message every
2 ms: the Director's stand-in spent 0.85-1.1 ms of CPU per launch, 0.3-0.4 ms with 5 ms between
sends). A batch arriving after a quiet interval is sent at once: pacing only costs latency when
launches come faster than one per interval."""
from __future__ import annotations

import time


class SendPacer:
    def __init__(self, interval_s: float, clock=time.monotonic):
        self.interval_s = interval_s
        self.clock = clock
        self.pending: list = []
        self.last_sent = float("-inf")
        self.flush_scheduled = False

    def offer(self, items) -> tuple[list, float | None]:
        """Queue items. Returns (what to send now, seconds until a wake-up must call due(), or
        None when none is needed: nothing waits, or a wake-up is already scheduled)."""
        self.pending.extend(items)
        wait = self.last_sent + self.interval_s - self.clock()
        if wait <= 0 and not self.flush_scheduled:
            return self._take(), None
        if self.flush_scheduled or not self.pending:
            return [], None
        self.flush_scheduled = True
        return [], wait

    def due(self) -> list:
        """At the scheduled wake-up: what waited (may be empty)."""
        self.flush_scheduled = False
        return self._take() if self.pending else []

    def _take(self) -> list:
        taken, self.pending = self.pending, []
        self.last_sent = self.clock()
        return taken
