"""Per-stage timestamps of the hot paths (launch -> buy sent, exit -> sell sent), for the benchmarks.

Off unless the environment names a trace file (PUMPSNIPE_HOT_TRACE, inherited by every actor process
when set before the actor system starts). Stamps are wall-clock times kept in memory and written as
one JSON line per key (a mint) with one O_APPEND write, after the bytes are on their way, so the
measured path pays only for time.time() and a dict store."""
from __future__ import annotations

import json
import os
import threading
import time

TRACE_ENV = "PUMPSNIPE_HOT_TRACE"
MAX_PENDING = 1_024   # keys stamped but never written (a launch skipped later): bounded


class HotTrace:
    def __init__(self, path: str | None = None):
        path = path if path is not None else os.environ.get(TRACE_ENV, "")
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600) if path else None
        self.pending: dict[str, dict] = {}
        self.sched_fds = threading.local()

    @property
    def on(self) -> bool:
        return self.fd is not None

    def stamp(self, key: str, stage: str, at: float | None = None) -> None:
        if self.fd is None:
            return
        stamps = self.pending.get(key)
        if stamps is None:
            if len(self.pending) >= MAX_PENDING:
                self.pending.pop(next(iter(self.pending)))
            stamps = self.pending[key] = {}
        stamps[stage] = time.time() if at is None else at

    def write(self, key: str, **extra) -> None:
        """Write the key's stamps (with `extra` fields) as one line and forget them."""
        if self.fd is None:
            return
        stamps = self.pending.pop(key, None)
        if stamps:
            os.write(self.fd, (json.dumps({"key": key, **extra, "stamps": stamps}) + "\n").encode())


    def run_queue_ns(self) -> int:
        """ns the calling thread has spent runnable but waiting for a CPU (preempted), from
        /proc/thread-self/schedstat (kept open per thread: a read is ~1 us; its on-CPU field only
        moves at ticks and switches, so CPU time is time.thread_time()'s); 0 when off."""
        if self.fd is None:
            return 0
        fd = getattr(self.sched_fds, "fd", None)
        try:
            if fd is None:
                fd = self.sched_fds.fd = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
            return int(os.pread(fd, 128, 0).split()[1])
        except (OSError, ValueError, IndexError):
            return 0


_TRACE: HotTrace | None = None


def hot_trace() -> HotTrace:
    """The process's trace (created on first use, after the fork that made the actor)."""
    global _TRACE
    if _TRACE is None or (_TRACE.fd is None and os.environ.get(TRACE_ENV)):
        _TRACE = HotTrace()
    return _TRACE


def trace_lines(path) -> list[dict]:
    """Every line written (key, extra fields, stamps), in order; a line cut by a killed process is skipped."""
    try:
        text = open(path).read()
    except FileNotFoundError:
        return []
    rows = []
    for line in text.splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue
    return rows


def read_trace(path) -> dict[str, dict]:
    """key -> every stage stamped under it, merged over the processes that wrote lines for it."""
    merged: dict[str, dict] = {}
    for row in trace_lines(path):
        merged.setdefault(row["key"], {}).update(row["stamps"])
    return merged
