"""Warm spare PositionActors follow the launch rate: a used spare's replacement takes a while to
fork and warm up (about a second under load), so at 10 launches/s a fixed handful runs out and
buys wait on the normal path. The Director keeps enough spares to cover SPARE_COVER_SECONDS of
launches at the rate seen over the last RATE_WINDOW_SECONDS, at least trading.min_warm_spares and at most
trading.max_warm_spares; when the rate falls it retires idle spares (never one the fast path may
hold), one per message, down to the target."""
from __future__ import annotations

import collections
import math
import time

from thespian.actors import ActorExitRequest

SPARE_COVER_SECONDS = 2.0    # launches a spare set must absorb before replacements are warm
RATE_WINDOW_SECONDS = 2.0   # short: a burst must grow the spares while it lasts
SAMPLE_SECONDS = 0.25
RETIRE_SLACK = 4             # spares beyond the target kept anyway (no fork/exit churn on noise)


def spares_wanted(launches_per_second: float, floor: int, ceiling: int) -> int:
    return max(floor, min(ceiling, math.ceil(launches_per_second * SPARE_COVER_SECONDS)))


class LaunchRateSpares:
    """Mixin of Director: call spares_follow_rate() after each message."""

    def _rate_samples(self) -> collections.deque:
        if not hasattr(self, "_launch_samples"):
            self._launch_samples = collections.deque()   # (monotonic time, coins seen)
        return self._launch_samples

    def launch_rate(self) -> float:
        samples = self._rate_samples()
        now, seen = time.monotonic(), self.ledger.coins_seen
        if not samples or now - samples[-1][0] >= SAMPLE_SECONDS:
            samples.append((now, seen))
            while len(samples) > 1 and now - samples[0][0] > RATE_WINDOW_SECONDS:
                samples.popleft()
        first_at, first_seen = samples[0]
        return (seen - first_seen) / max(now - first_at, 1.0)

    def spares_follow_rate(self) -> None:
        if self.settings is None or self.shutting_down or self.supervisor is None:
            return
        floor = self.settings.trading.min_warm_spares
        want = spares_wanted(self.launch_rate(), floor, max(floor, self.settings.trading.max_warm_spares))
        while len(self.spares) + self.spare_replacements_due() < want:   # forks after a buy: director_fastpath.py
            self._make_spare()
        if len(self.spares) > want + RETIRE_SLACK:
            held = self.spare_ids_held_by_fast_path()
            idle = next((s for s in self.spares if id(s) not in held), None)
            if idle is not None:
                self.spares.remove(idle)   # before it exits: its ChildActorExited is no death
                self.send(idle, ActorExitRequest())
