"""A short scheduler slice for the bot's hot threads (run.hot_slice_us, 0 = off).

Why: on two shared cores the fast path's stages wait for a core, not for work: the armed spare's
buy row + write took 9.5-26 ms wall p99 for ~1 ms of CPU, and about half the buys were preempted
between signing and the send (bench_detection_latency, "buy row ... preempted"). Linux >= 6.12
(EEVDF) lets a SCHED_OTHER thread ask for a shorter slice through sched_setattr(2)'s sched_runtime:
its virtual deadline comes earlier, so when it wakes it preempts a thread with the default slice
(1.4 ms here) and is picked first, with the same CPU share (weight is nice's, unchanged).

Which threads: the stream's I/O thread (decodes and hands launches to spares) and an armed
spare's lane thread (signs, journals and writes the buy), which takes the default slice back while
it buys (burst_thread). Each asks for itself (tid 0 = the calling thread). Not the positions'
actor threads (their exits): at 10 launches/s the live positions' trade handling is a quarter of
the machine, and with them on the short slice the warming spares armed late (bench at 10/s:
10-18 of 100 launches found no armed spare).

Set with SCHED_FLAG_RESET_ON_FORK, so a thread or process started from a hot thread gets the
default slice again (a spare's I/O loop, the stream's history writer). Allowed unprivileged (the
thread keeps its nice: raising a lowered one back would need CAP_SYS_NICE). Anywhere it is refused
(another OS, an older kernel, a seccomp filter) the thread keeps its default: one debug line."""
from __future__ import annotations

import ctypes
import os
import platform

from loguru import logger

SCHED_OTHER, SCHED_BATCH = 0, 3
SCHED_FLAG_RESET_ON_FORK = 0x01
# (sched_setattr, sched_getattr) per architecture (unistd.h)
SYSCALLS = {"x86_64": (314, 315), "aarch64": (274, 275)}
NS_PER_US = 1_000


class SchedAttr(ctypes.Structure):
    """struct sched_attr (SCHED_ATTR_SIZE_VER1, 56 bytes)."""
    _fields_ = [("size", ctypes.c_uint32), ("sched_policy", ctypes.c_uint32),
                ("sched_flags", ctypes.c_uint64), ("sched_nice", ctypes.c_int32),
                ("sched_priority", ctypes.c_uint32), ("sched_runtime", ctypes.c_uint64),
                ("sched_deadline", ctypes.c_uint64), ("sched_period", ctypes.c_uint64),
                ("sched_util_min", ctypes.c_uint32), ("sched_util_max", ctypes.c_uint32)]


_libc = None
_refusal_logged = False


def _syscall():
    global _libc
    numbers = SYSCALLS.get(platform.machine())
    if numbers is None or not hasattr(ctypes, "CDLL"):
        return None, None
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc.syscall, numbers


def sched_attr(tid: int = 0) -> SchedAttr | None:
    """The thread's scheduling attributes (tid 0: the calling thread), or None where unreadable."""
    call, numbers = _syscall()
    if call is None:
        return None
    attr = SchedAttr()
    if call(numbers[1], tid, ctypes.byref(attr), ctypes.sizeof(attr), 0) != 0:
        return None
    return attr


def thread_slice_us(tid: int = 0) -> int | None:
    """The thread's slice in microseconds (its custom one, else the kernel's base slice)."""
    attr = sched_attr(tid)
    return None if attr is None else attr.sched_runtime // NS_PER_US


def set_thread_slice(microseconds: int, tid: int = 0) -> bool:
    """Ask for a slice of `microseconds` (0: the kernel's default again) for one thread; the
    thread's policy and nice are kept. False where refused (logged once, at debug)."""
    attr = sched_attr(tid)
    if attr is None or attr.sched_policy not in (SCHED_OTHER, SCHED_BATCH):
        return _refused(tid, "no SCHED_OTHER attributes to change")   # e.g. a real-time thread
    attr.size = ctypes.sizeof(attr)
    attr.sched_runtime = microseconds * NS_PER_US
    attr.sched_flags = SCHED_FLAG_RESET_ON_FORK
    call, numbers = _syscall()
    if call(numbers[0], tid, ctypes.byref(attr), 0) != 0:
        return _refused(tid, os.strerror(ctypes.get_errno()))
    return True


def _slice_us(settings) -> int:
    """run.hot_slice_us; 0 without settings (an actor used before its start, as unit tests do)."""
    return settings.run.hot_slice_us if settings is not None else 0


def hot_thread(settings, tid: int = 0) -> bool:
    """The calling thread (or `tid`) does hot-path work: give it run.hot_slice_us (0: nothing)."""
    microseconds = _slice_us(settings)
    return microseconds > 0 and set_thread_slice(microseconds, tid)


def burst_thread(settings) -> None:
    """The calling hot thread has its core and starts a burst of ~1 ms (a buy): the default slice
    for it, so it runs in one piece. On the short slice the buy was cut into 200 µs pieces, each
    able to wait behind a default-slice thread (bench_detection_latency at 10/s: signed ->
    journal_locked p50 0.43 -> 1.9 ms); a longer slice than the default would let every
    default-slice wake-up preempt it (EEVDF's PREEMPT_SHORT)."""
    if _slice_us(settings) > 0:
        set_thread_slice(0)


def _refused(tid: int, why: str) -> bool:
    global _refusal_logged
    if not _refusal_logged:
        _refusal_logged = True
        logger.debug("thread {}: scheduler slice unchanged ({})", tid or "self", why)
    return False
