"""actors/hot_threads.py on this kernel: the slice and the nice a thread asks for are what
sched_getattr / getpriority read back, a thread it starts gets the defaults, 0 restores the default
slice, and a refusal is a quiet False. The slice tests are skipped where the kernel has no
per-thread slice (before Linux 6.12, or not Linux); the raised nice needs the privilege (root here)."""
from __future__ import annotations

import os
import resource
import threading
from types import SimpleNamespace

import pytest

from actors.hot_threads import (burst_thread, hot_thread, raise_allowed, realtime_allowed, set_thread_slice,
                                thread_slice_us)
from tests.bot.test_process_logging import in_forked_child


def in_thread(fn):
    """fn's result, run in a fresh thread of this process (the test's own thread keeps its slice)."""
    result = []
    thread = threading.Thread(target=lambda: result.append(fn()))
    thread.start()
    thread.join()
    return result[0]


def knob(microseconds: int, nice: int = 0, realtime: int = 0):
    return SimpleNamespace(run=SimpleNamespace(hot_slice_us=microseconds, hot_nice=nice, hot_realtime=realtime))


def custom_slices_supported() -> bool:
    def probe():
        return set_thread_slice(300) and thread_slice_us() == 300
    return thread_slice_us() is not None and in_thread(probe)


needs_slices = pytest.mark.skipif(not custom_slices_supported(), reason="no per-thread slice here")


@needs_slices
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


@needs_slices
def test_zero_leaves_the_default_and_restores_it():
    default = in_thread(thread_slice_us)
    assert in_thread(lambda: (hot_thread(knob(0)), thread_slice_us())) == (False, default)
    assert in_thread(lambda: (set_thread_slice(400), set_thread_slice(0), thread_slice_us())) \
        == (True, True, default)


@needs_slices
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


@needs_slices
def test_a_thread_that_does_not_exist_is_refused_quietly():
    gone = in_thread(threading.get_native_id)   # that thread has ended
    assert set_thread_slice(300, tid=gone) is False


def nice_of_this_thread() -> int:
    return os.getpriority(os.PRIO_PROCESS, 0)   # Linux: the calling thread's own


@pytest.mark.skipif(not raise_allowed(-10), reason="raising a priority needs CAP_SYS_NICE or ulimit -e")
def test_a_hot_thread_runs_at_hot_nice_and_what_it_starts_does_not():
    def hot():
        asked = hot_thread(knob(0, nice=-7))
        return asked, nice_of_this_thread(), in_thread(nice_of_this_thread)

    assert in_thread(hot) == (True, -7, 0)
    assert nice_of_this_thread() == 0 and in_thread(nice_of_this_thread) == 0   # only that thread


@pytest.mark.skipif(not raise_allowed(-10), reason="raising a priority needs CAP_SYS_NICE or ulimit -e")
def test_the_burst_slice_keeps_the_raised_nice():
    def hot():
        hot_thread(knob(300, nice=-5))
        burst_thread(knob(300, nice=-5))
        return nice_of_this_thread()

    assert in_thread(hot) == -5


@pytest.mark.skipif(os.geteuid() != 0 or not hasattr(os, "fork"), reason="drops root's privilege in a child")
def test_without_the_privilege_the_thread_keeps_its_defaults():
    """A child that gave up root (no CAP_SYS_NICE, RLIMIT_NICE 0) is refused quietly."""
    def unprivileged():
        resource.setrlimit(resource.RLIMIT_NICE, (0, 0))
        resource.setrlimit(resource.RLIMIT_RTPRIO, (0, 0))
        os.setuid(65534)
        return [raise_allowed(-10), realtime_allowed(1), hot_thread(knob(0, nice=-10, realtime=1)),
                nice_of_this_thread(), os.sched_getscheduler(0)]

    assert in_forked_child(unprivileged) == [False, False, False, 0, os.SCHED_OTHER]


@pytest.mark.skipif(not realtime_allowed(1), reason="SCHED_FIFO needs CAP_SYS_NICE or ulimit -r")
def test_a_hot_thread_runs_sched_fifo_where_allowed_and_what_it_starts_does_not():
    def hot():
        asked = hot_thread(knob(300, nice=-5, realtime=2))
        burst_thread(knob(300, nice=-5, realtime=2))   # no slice to give back: a FIFO thread has none
        return asked, os.sched_getscheduler(0) & ~os.SCHED_RESET_ON_FORK, os.sched_getparam(0).sched_priority, \
            in_thread(lambda: os.sched_getscheduler(0))

    assert in_thread(hot) == (True, os.SCHED_FIFO, 2, os.SCHED_OTHER)
    assert os.sched_getscheduler(0) == os.SCHED_OTHER   # only that thread
