"""The analysis benchmark's stand-in for the Director: an actor that offers launches to the
AnalyzerPool at a rate, one AnalyzeLaunches per wake-up (as the Director forwards a stream's
LaunchBatch), and collects the answers. Asking from outside the actor system instead would route
every launch and answer through thespian's admin process, a hop the bot does not have."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

from thespian.actors import Actor, WakeupMessage

from messages.analysis import AnalysisDecision, bundled, unbundled
from messages.status import PidReply, PidRequest


@dataclass(frozen=True)
class FeedLaunches:
    """Bench -> feeder: offer these AnalyzeLaunch requests to `pool` at `rate` per second (0: at once)."""
    pool: object
    requests: tuple
    rate: float
    tick_s: float


@dataclass(frozen=True)
class FeedDone:
    """Feeder -> bench: every request answered: (elapsed ms, buy) per decision, failures, wall seconds,
    and the feeder's own CPU seconds over the feed (the process CPU clock: psutil's counters move
    in 10 ms ticks, more than a short feed costs)."""
    decisions: tuple
    failures: int
    wall_s: float
    cpu_s: float


class LaunchFeeder(Actor):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.feed: FeedLaunches | None = None
        self.asker = None
        self.started = 0.0
        self.cpu_started = 0.0
        self.sent = 0
        self.decisions: list = []
        self.failures = 0

    def receiveMessage(self, msg, sender):
        if isinstance(msg, PidRequest):
            self.send(sender, PidReply(msg.request_id, os.getpid()))
        elif isinstance(msg, FeedLaunches):
            self.feed, self.asker, self.started = msg, sender, time.monotonic()
            self.cpu_started = time.process_time()
            self.sent, self.decisions, self.failures = 0, [], 0
            self._offer()
        elif isinstance(msg, WakeupMessage):
            self._offer()
        else:
            for answer in unbundled(msg):
                if isinstance(answer, AnalysisDecision):
                    self.decisions.append((answer.elapsed_ms, answer.buy))
                else:
                    self.failures += 1
            if self.feed is not None and len(self.decisions) + self.failures >= len(self.feed.requests):
                self.send(self.asker, FeedDone(tuple(self.decisions), self.failures, time.monotonic() - self.started,
                                               time.process_time() - self.cpu_started))
                self.feed = None

    def _offer(self) -> None:
        """Send what is due by now in one message; wake again while launches remain."""
        feed = self.feed
        if feed is None or self.sent >= len(feed.requests):
            return
        count = len(feed.requests)
        due = count if not feed.rate else min(count, int((time.monotonic() - self.started) * feed.rate) + 1)
        if due > self.sent:
            self.send(feed.pool, bundled(list(feed.requests[self.sent:due])))
            self.sent = due
        if self.sent < count:   # wake when the next one is due (no empty wake-ups: the Director has none)
            next_due = self.started + self.sent / feed.rate
            self.wakeupAfter(max(feed.tick_s, next_due - time.monotonic()))
