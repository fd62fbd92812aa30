"""Per-stage timestamps of the hot paths (launch -> buy sent, exit -> sell sent), for the benchmarks.

Off unless the environment names a trace file (PUMPSNIPE_HOT_TRACE, inherited by every actor process
when set before the actor system starts). Stamps are wall-clock times kept in memory and written as
one JSON line per key (a mint) with one O_APPEND write, after the bytes are on their way, so the
measured path pays only for time.time() and a dict store."""
from __future__ import annotations

import json
import os
import resource
import time

TRACE_ENV = "PUMPSNIPE_HOT_TRACE"
MAX_PENDING = 1_024   # keys stamped but never written (a launch skipped later): bounded


class HotTrace:
    def __init__(self, path: str | None = None):
        path = path if path is not None else os.environ.get(TRACE_ENV, "")
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600) if path else None
        self.pending: dict[str, dict] = {}

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


    def thread_clock(self) -> tuple | None:
        """(wall, thread CPU, the thread's rusage) for thread_cost(); None when off. None of these
        calls releases the GIL, so measuring a step does not hand the GIL to another thread."""
        if self.fd is None:
            return None
        return time.perf_counter(), time.thread_time(), resource.getrusage(resource.RUSAGE_THREAD)

    def thread_cost(self, before: tuple | None, name: str) -> dict:
        """The calling thread's step since thread_clock(): {name}_wall_ms, _cpu_ms, _preempted
        (involuntary context switches: another task took the core) and _slept (voluntary ones: a
        lock, I/O, the GIL); {} when off."""
        if before is None:
            return {}
        wall, cpu, usage = before
        now = resource.getrusage(resource.RUSAGE_THREAD)
        return {f"{name}_wall_ms": (time.perf_counter() - wall) * 1000,
                f"{name}_cpu_ms": (time.thread_time() - cpu) * 1000,
                f"{name}_preempted": now.ru_nivcsw - usage.ru_nivcsw,
                f"{name}_slept": now.ru_nvcsw - usage.ru_nvcsw}


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
