"""Restart policy for a parent actor's children (the OTP idea: one place decides restarts).

A child that dies (ChildActorExited: SIGKILL, crash, os._exit) is restarted with a fresh process and
its Start message; the first restart in a window is immediate, later ones wait an exponentially
growing, bounded delay (wakeupAfter carrying a generation number, since timers cannot be cancelled).
More than `max_restarts` within `window_seconds` means the child cannot live: the supervisor gives
up, logs it and tells the parent. Supervision handles process death, not Python exceptions (those
are caught in handlers). Actors created with a global name are not supervised this way: thespian
sends no ChildActorExited for them.

Optional parent hooks: child_start_message(name) -> msg (fresh state for the restart; default: the
original init message), on_child_restarted(name, address), on_child_gave_up(name, reason).
"""
from __future__ import annotations

import collections
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from loguru import logger
from thespian.actors import ActorExitRequest, ChildActorExited, WakeupMessage

RESTART_TIMER = 'supervisor-restart'


@dataclass
class ChildRecord:
    name: str
    actor_class: Any
    init_message: Any
    global_name: str | None
    address: Any = None
    generation: int = 0            # bumped on every exit/stop: stale restart timers are ignored
    restarts: int = 0
    recent_exits: collections.deque = field(default_factory=collections.deque)
    gave_up: bool = False
    stopping: bool = False
    retry_after: float | None = None   # restart_uncounted(): its exit is restarted after this, uncounted


class Supervisor:
    """Helper owned by a parent actor; call it from the parent's own handlers only."""

    def __init__(self, parent, max_restarts: int = 5, window_seconds: float = 60.0,
                 backoff_seconds: float = 0.1, backoff_max_seconds: float = 5.0):
        self.parent = parent
        self.max_restarts, self.window_seconds = max_restarts, window_seconds
        self.backoff_seconds, self.backoff_max_seconds = backoff_seconds, backoff_max_seconds
        self.children: dict[str, ChildRecord] = {}
        self.shutting_down = False

    # ---- starting and stopping -------------------------------------------------------------------
    def start_child(self, name: str, actor_class, init_message, global_name: str | None = None):
        """Create the child, send it init_message, and supervise it under `name`."""
        if name in self.children and self.children[name].address is not None:
            raise ValueError(f'child {name!r} is already running')
        record = ChildRecord(name, actor_class, init_message, global_name)
        self.children[name] = record
        self._launch(record)
        return record.address

    def stop_child(self, name: str) -> None:
        """Ask a child to exit on purpose: its exit will not be restarted."""
        record = self.children.get(name)
        if record is not None:
            record.stopping = True
            record.generation += 1
            if record.address is not None:
                self.parent.send(record.address, ActorExitRequest())

    def restart_uncounted(self, name: str, delay_seconds: float) -> None:
        """Stop a child that cannot work yet for an outside reason (its journal read-only a while)
        and start it again after delay_seconds, without spending its restart budget: the budget is
        for a child that keeps dying, and a wait for the outside world must not exhaust it."""
        record = self.children.get(name)
        if record is not None and record.address is not None and not record.stopping:
            record.retry_after = delay_seconds
            self.parent.send(record.address, ActorExitRequest())

    def shutdown(self) -> None:
        """Call from the parent's ActorExitRequest handler: no restart may race the shutdown."""
        self.shutting_down = True
        for record in self.children.values():
            record.generation += 1

    # ---- events from the parent's handlers -------------------------------------------------------
    def on_child_exited(self, msg: ChildActorExited) -> bool:
        """Handle a child's death; False if the address is not a supervised child."""
        record = self._record_at(msg.childAddress)
        if record is None:
            return False
        record.address = None
        record.generation += 1
        if record.stopping or self.shutting_down:
            return True
        if record.retry_after is not None:   # asked for by restart_uncounted: no budget spent
            delay, record.retry_after = record.retry_after, None
            logger.warning('supervisor: {} stopped to retry in {:.2f}s (not counted)', record.name, delay)
            self.parent.wakeupAfter(timedelta(seconds=delay), payload=(RESTART_TIMER, record.name, record.generation))
            return True
        now = time.monotonic()
        record.recent_exits.append(now)
        while record.recent_exits and now - record.recent_exits[0] > self.window_seconds:
            record.recent_exits.popleft()
        exits_in_window = len(record.recent_exits)
        if exits_in_window > self.max_restarts:
            self._give_up(record, f'{exits_in_window} exits within {self.window_seconds:g}s')
            return True
        if exits_in_window == 1:
            logger.warning('supervisor: {} died; restarting now', record.name)
            self._restart(record)
        else:
            delay = min(self.backoff_seconds * 2 ** (exits_in_window - 2), self.backoff_max_seconds)
            logger.warning('supervisor: {} died again ({} in window); restarting in {:.2f}s',
                           record.name, exits_in_window, delay)
            self.parent.wakeupAfter(timedelta(seconds=delay),
                                    payload=(RESTART_TIMER, record.name, record.generation))
        return True

    def on_wakeup(self, msg: WakeupMessage) -> bool:
        """Handle a restart timer; False if the wakeup is not one of ours."""
        payload = msg.payload
        if not (isinstance(payload, tuple) and len(payload) == 3 and payload[0] == RESTART_TIMER):
            return False
        record = self.children.get(payload[1])
        if (record is not None and record.generation == payload[2] and record.address is None
                and not record.gave_up and not self.shutting_down):
            self._restart(record)
        return True

    # ---- queries ---------------------------------------------------------------------------------
    def address_of(self, name: str):
        record = self.children.get(name)
        return None if record is None else record.address

    def restart_counts(self) -> dict[str, int]:
        return {name: r.restarts for name, r in self.children.items() if r.restarts}

    def given_up(self) -> list[str]:
        return [name for name, r in self.children.items() if r.gave_up]

    # ---- internals -------------------------------------------------------------------------------
    def _record_at(self, address) -> ChildRecord | None:
        return next((r for r in self.children.values() if r.address == address), None)

    def _launch(self, record: ChildRecord) -> None:
        record.address = self.parent.createActor(record.actor_class, globalName=record.global_name)
        self.parent.send(record.address, record.init_message)

    def _restart(self, record: ChildRecord) -> None:
        hook = getattr(self.parent, 'child_start_message', None)
        if hook is not None:
            try:
                record.init_message = hook(record.name)
            except Exception:
                logger.exception('supervisor: start message for {} failed; reusing the last one',
                                 record.name)
        self._launch(record)
        record.restarts += 1
        logger.warning('supervisor: {} restarted (restart #{})', record.name, record.restarts)
        self._call_parent('on_child_restarted', record.name, record.address)

    def _give_up(self, record: ChildRecord, reason: str) -> None:
        record.gave_up = True
        logger.error('supervisor: giving up on {}: {}', record.name, reason)
        self._call_parent('on_child_gave_up', record.name, reason)

    def _call_parent(self, hook_name: str, *args) -> None:
        hook = getattr(self.parent, hook_name, None)
        if hook is not None:
            try:
                hook(*args)
            except Exception:
                logger.exception('supervisor: parent hook {} failed', hook_name)
