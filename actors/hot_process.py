"""Interpreter setting for the armed spares (the fast path's buy and sell run in their actor thread).

A spare holds two threads (the actor's and its I/O loop's): with CPython's default 5 ms switch
interval a thread that has work may wait up to 5 ms for the other to give up the GIL, the whole
latency budget. A spare's threads are rarely busy at once, so a short interval costs nothing.
Not done, after measuring: gc.collect() + gc.freeze() in each forked spare writes to every object
header it inherited (copy-on-write of the whole heap) -- at 10 launches/s the bot then bought
45-64 of 100 coins instead of 94-100 (bench_pipeline_throughput); and a short interval in the
StreamActor, whose loop thread decodes the whole market, only makes its two busy threads trade
the GIL."""
from __future__ import annotations

import sys

HOT_SWITCH_INTERVAL_SECONDS = 0.0002


def tune_hot_process() -> None:
    sys.setswitchinterval(HOT_SWITCH_INTERVAL_SECONDS)
