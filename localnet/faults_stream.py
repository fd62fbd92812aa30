"""Yellowstone stream faults: every stream closed every N seconds, updates duplicated or sent after
the update that follows them, and a smaller per-subscriber queue so slow subscribers are cut off.

Pings and pongs pass untouched (they are keepalives, not data); the server's own cut-off counter
is the count of slow subscribers cut off.
"""
from __future__ import annotations

import asyncio
import random
import weakref

from loguru import logger

REORDER_MAX_HOLD_S = 0.2   # a held-back update goes out at the latest this late, if nothing follows it
_KEEPALIVES = ("ping", "pong")


class StreamFaults:
    """Driven by `plan.settings.stream`, counting into `plan.counters`; `apply()` after each change."""

    def __init__(self, plan, geyser_server, rng: random.Random):
        self.plan = plan
        self.server = geyser_server
        self.rng = rng
        self.normal_queue_size = geyser_server.queue_size
        self._held: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()   # subscriber -> held-back update
        self._disconnector: asyncio.Task | None = None
        self._disconnect_every_s = 0.0

    def apply(self) -> None:
        faults = self.plan.settings.stream
        self.server.stream_faults = self if faults.shapes_updates else None
        if not faults.reorder_rate:
            self._release_all()
        self.server.queue_size = faults.queue_size or self.normal_queue_size   # applies to new streams
        if faults.disconnect_every_s != self._disconnect_every_s:
            self._stop_disconnector()
            self._disconnect_every_s = faults.disconnect_every_s
            if faults.disconnect_every_s:
                self._disconnector = asyncio.get_running_loop().create_task(self._disconnect_periodically())

    def detach(self) -> None:
        self.server.stream_faults = None
        self.server.queue_size = self.normal_queue_size
        self._release_all()
        self._stop_disconnector()
        self._disconnect_every_s = 0.0

    def _stop_disconnector(self) -> None:
        if self._disconnector is not None:
            self._disconnector.cancel()
            self._disconnector = None

    async def _disconnect_periodically(self) -> None:
        while True:
            await asyncio.sleep(self._disconnect_every_s)
            try:
                closed = self.server.disconnect_all("injected fault: stream disconnected")
            except Exception:
                logger.exception("injected stream disconnect failed")
                continue
            self.plan.counters.stream_disconnects += closed

    # ---- called by the server for each update instead of a plain enqueue ----------------------
    def shape(self, subscriber, update) -> None:
        if update.WhichOneof("update_oneof") in _KEEPALIVES:
            subscriber.enqueue(update)
            return
        faults, counters = self.plan.settings.stream, self.plan.counters
        held = self._held.pop(subscriber, None)
        if held is None and faults.reorder_rate and self.rng.random() < faults.reorder_rate:
            self._held[subscriber] = update
            asyncio.get_running_loop().call_later(REORDER_MAX_HOLD_S, self._release_late, subscriber, update)
            return
        subscriber.enqueue(update)
        if faults.dup_rate and self.rng.random() < faults.dup_rate:
            counters.stream_duplicated += 1
            subscriber.enqueue(update)
        if held is not None:
            counters.stream_reordered += 1
            subscriber.enqueue(held)

    def _release_late(self, subscriber, update) -> None:
        if self._held.get(subscriber) is update:
            del self._held[subscriber]
            subscriber.enqueue(update)

    def _release_all(self) -> None:
        for subscriber, update in list(self._held.items()):
            subscriber.enqueue(update)
        self._held.clear()
