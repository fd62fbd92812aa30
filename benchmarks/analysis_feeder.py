"""The analysis benchmark's stand-in for the Director: an actor that offers launches to the
AnalyzerPool at a rate, what is due at each wake-up paced as the Director paces it (at most one
AnalyzeLaunches per analysis.send_interval_ms: actors/send_pacer.py), and collects the answers.
Asking from outside the actor system instead would route every launch and answer through
thespian's admin process, a hop the bot does not have."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

from thespian.actors import Actor, WakeupMessage

from actors.send_pacer import SendPacer
from messages.analysis import AnalysisDecision, bundled, unbundled
from messages.status import PidReply, PidRequest


@dataclass(frozen=True)
class FeedLaunches:
    """Bench -> feeder: offer these AnalyzeLaunch requests to `pool` at `rate` per second (0: at once),
    sent at most once per send_interval_s (the Director's analysis.send_interval_ms)."""
    pool: object
    requests: tuple
    rate: float
    tick_s: float
    send_interval_s: float = 0.0


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
        self.pacer = SendPacer(0)

    def receiveMessage(self, msg, sender):
        if isinstance(msg, PidRequest):
            self.send(sender, PidReply(msg.request_id, os.getpid()))
        elif isinstance(msg, FeedLaunches):
            self.feed, self.asker, self.started = msg, sender, time.monotonic()
            self.cpu_started = time.process_time()
            self.sent, self.decisions, self.failures = 0, [], 0
            self.pacer = SendPacer(msg.send_interval_s)
            self._offer()
        elif isinstance(msg, WakeupMessage) and msg.payload == "paced":
            self._send(self.pacer.due(), None)
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
            self._send(*self.pacer.offer(feed.requests[self.sent:due]))
            self.sent = due
        if self.sent < count:   # wake when the next one is due (no empty wake-ups: the Director has none)
            next_due = self.started + self.sent / feed.rate
            self.wakeupAfter(max(feed.tick_s, next_due - time.monotonic()))

    def _send(self, requests: list, wake_in: float | None) -> None:
        if requests:
            self.send(self.feed.pool, bundled(requests))
        if wake_in is not None:
            self.wakeupAfter(wake_in, payload="paced")
