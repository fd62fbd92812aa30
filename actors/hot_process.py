"""Interpreter settings for the processes on the fast path (StreamActor, spare PositionActors).

Each holds two threads (the actor's and its I/O loop's): with CPython's default 5 ms switch interval
a thread that has work waits up to 5 ms for the other to give up the GIL, which is the whole latency
budget (bench_detection_latency, stage journaled_sent -> buy_send_start). A shorter interval costs a
little throughput when both threads are busy, which on the hot path they rarely are.
gc.freeze() after start-up moves the objects alive by then (modules, settings, clients) out of the
collector's reach, so a collection triggered on the path scans only what was made since."""
from __future__ import annotations

import gc
import sys

HOT_SWITCH_INTERVAL_SECONDS = 0.0002


def tune_hot_process() -> None:
    sys.setswitchinterval(HOT_SWITCH_INTERVAL_SECONDS)
    gc.collect()
    gc.freeze()
