"""actors/thread_slice.py on this kernel: the slice a thread asks for is what sched_getattr reads
back, a thread it starts gets the default, 0 restores the default, and a refusal is a quiet False.
Skipped where the kernel has no per-thread slice (before Linux 6.12, or not Linux)."""
from __future__ import annotations

import os
import threading
from types import SimpleNamespace

import pytest

from actors.thread_slice import burst_thread, hot_thread, set_thread_slice, thread_slice_us


def in_thread(fn):
    """fn's result, run in a fresh thread of this process (the test's own thread keeps its slice)."""
    result = []
    thread = threading.Thread(target=lambda: result.append(fn()))
    thread.start()
    thread.join()
    return result[0]


def knob(microseconds: int):
    return SimpleNamespace(run=SimpleNamespace(hot_slice_us=microseconds))


def custom_slices_supported() -> bool:
    def probe():
        return set_thread_slice(300) and thread_slice_us() == 300
    return thread_slice_us() is not None and in_thread(probe)


pytestmark = pytest.mark.skipif(not custom_slices_supported(), reason="no per-thread slice here")


def test_a_hot_thread_reads_back_its_slice_and_keeps_its_nice():
    default = in_thread(thread_slice_us)

    def hot():
        os.setpriority(os.PRIO_PROCESS, 0, os.getpriority(os.PRIO_PROCESS, 0) + 1)   # this thread only
        nice = os.getpriority(os.PRIO_PROCESS, 0)
        asked = hot_thread(knob(250))
        started_here = in_thread(thread_slice_us)   # reset on fork: a thread it starts is not hot
        return asked, thread_slice_us(), os.getpriority(os.PRIO_PROCESS, 0) == nice, started_here

    assert in_thread(hot) == (True, 250, True, default)
    assert default != 250


def test_zero_leaves_the_default_and_restores_it():
    default = in_thread(thread_slice_us)
    assert in_thread(lambda: (hot_thread(knob(0)), thread_slice_us())) == (False, default)
    assert in_thread(lambda: (set_thread_slice(400), set_thread_slice(0), thread_slice_us())) \
        == (True, True, default)


def test_a_hot_thread_runs_its_burst_on_the_default_slice_and_waits_on_the_short_one():
    default = in_thread(thread_slice_us)

    def wait_buy_wait():
        hot_thread(knob(300))   # waiting for a launch
        waiting = thread_slice_us()
        burst_thread(knob(300))   # the buy
        buying = thread_slice_us()
        hot_thread(knob(300))
        return waiting, buying, thread_slice_us()

    assert in_thread(wait_buy_wait) == (300, default, 300)


def test_a_thread_that_does_not_exist_is_refused_quietly():
    gone = in_thread(threading.get_native_id)   # that thread has ended
    assert set_thread_slice(300, tid=gone) is False
