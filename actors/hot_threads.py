"""The bot's hot threads get the cores first: the real-time policy SCHED_FIFO (run.hot_realtime)
or else a higher priority (run.hot_nice) where the OS allows it, and optionally a short
scheduler slice (run.hot_slice_us, 0 = off).

Which threads: the stream's I/O thread (decodes and hands launches to spares) and an armed
spare's lane thread (signs, journals and writes the buy, then its position's exits). Each asks
for itself (tid 0 = the calling thread). Not the positions' actor threads: at 10 launches/s the
live positions' trade handling is a quarter of the machine.

Priority: on two shared cores the fast path's stages wait for a core, not for work (the armed
spare's buy row + write took 9.5-26 ms wall p99 for ~1 ms of CPU; a third of the buys were
preempted). A SCHED_FIFO thread takes a core from any SCHED_OTHER thread the moment it wakes and
keeps it until it sleeps (bench_detection_latency at 10/s: no buy preempted, p99 13.6 -> 2.3 ms).
A negative nice (weight 9548 at -10 against 1024 at 0) only weighs the choice: EEVDF still lets
the running thread finish its slice (p99 6.1 ms). The hot threads sleep between launches, and
Linux keeps 5 % of each second for other threads (sched_rt_runtime_us), so a runaway hot thread
cannot lock the box. Both need CAP_SYS_NICE (root has it) or a resource limit that allows them
(`ulimit -r` for SCHED_FIFO, `ulimit -e` for nice; limits.conf "rtprio" / "nice"); elsewhere the
threads keep their defaults and the start-up log says so once (`hot_priority`).

Slice: Linux >= 6.12 (EEVDF) lets a SCHED_OTHER thread ask for a shorter slice through
sched_setattr(2)'s sched_runtime: its virtual deadline comes earlier, so when it wakes it
preempts a thread with the default slice and is picked first. Measured slower here, so off by
default; while it buys, the lane thread takes the default slice back (burst_thread).

Both are set with SCHED_FLAG_RESET_ON_FORK, so a thread or process started from a hot thread
gets nice 0 and the default slice again (a spare's I/O loop, the stream's history writer).
Anywhere refused (another OS, an older kernel, a seccomp filter, no privilege) the thread keeps
its defaults: one debug line."""
from __future__ import annotations

import ctypes
import os
import platform
import resource

from loguru import logger

SCHED_OTHER, SCHED_FIFO, SCHED_BATCH = 0, 1, 3
SCHED_FLAG_RESET_ON_FORK = 0x01
CAP_SYS_NICE = 23
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


def _set_attributes(tid: int, change, ordinary_only: bool = True) -> bool:
    """Read one thread's attributes, let `change` edit them, write them back with reset on fork.
    False where refused (logged once, at debug); with `ordinary_only`, also for a thread that is
    not SCHED_OTHER / SCHED_BATCH (e.g. a real-time one: no slice or nice to change)."""
    attr = sched_attr(tid)
    if attr is None or (ordinary_only and attr.sched_policy not in (SCHED_OTHER, SCHED_BATCH)):
        return _refused(tid, "no SCHED_OTHER attributes to change")
    attr.size = ctypes.sizeof(attr)
    change(attr)
    attr.sched_flags = SCHED_FLAG_RESET_ON_FORK
    call, numbers = _syscall()
    if call(numbers[0], tid, ctypes.byref(attr), 0) != 0:
        return _refused(tid, os.strerror(ctypes.get_errno()))
    return True


def set_thread_slice(microseconds: int, tid: int = 0) -> bool:
    """Ask for a slice of `microseconds` (0: the kernel's default again) for one thread; the
    thread's policy and nice are kept. False where refused."""
    def change(attr):
        attr.sched_runtime = microseconds * NS_PER_US
    return _set_attributes(tid, change)


def set_thread_nice(nice: int, tid: int = 0) -> bool:
    """Give one thread `nice` (its slice, as read, and policy kept). False where refused (a raise
    without the privilege)."""
    def change(attr):
        attr.sched_nice = nice
    return _set_attributes(tid, change)


def set_thread_realtime(priority: int, tid: int = 0) -> bool:
    """Put one thread in SCHED_FIFO at `priority` (1-99). False where refused (without the
    privilege)."""
    def change(attr):
        attr.sched_policy, attr.sched_priority = SCHED_FIFO, priority
        attr.sched_nice, attr.sched_runtime = 0, 0
    return _set_attributes(tid, change, ordinary_only=False)


def _has_cap_sys_nice() -> bool:
    try:
        with open("/proc/self/status") as status:
            effective = next(line for line in status if line.startswith("CapEff:"))
    except (OSError, StopIteration):
        return False
    return bool(int(effective.split()[1], 16) >> CAP_SYS_NICE & 1)


def raise_allowed(nice: int) -> bool:
    """Whether this process may give a thread `nice` (< 0): CAP_SYS_NICE, or RLIMIT_NICE's
    ceiling (20 - its soft limit) at or below `nice`."""
    if nice >= 0:
        return True
    soft, _ = resource.getrlimit(resource.RLIMIT_NICE)
    return soft == resource.RLIM_INFINITY or 20 - soft <= nice or _has_cap_sys_nice()


def realtime_allowed(priority: int) -> bool:
    """Whether this process may put a thread in SCHED_FIFO at `priority`: CAP_SYS_NICE, or an
    RLIMIT_RTPRIO at or above it."""
    soft, _ = resource.getrlimit(resource.RLIMIT_RTPRIO)
    return soft == resource.RLIM_INFINITY or soft >= priority or _has_cap_sys_nice()


def hot_priority(settings) -> str:
    """What the hot threads get under these settings in this process, for the start-up log; ""
    where neither is asked for or allowed (they keep nice 0)."""
    run = settings.run
    if run.hot_realtime and realtime_allowed(run.hot_realtime):
        return f"SCHED_FIFO {run.hot_realtime}"
    if run.hot_nice < 0 and raise_allowed(run.hot_nice):
        return f"nice {run.hot_nice}"
    return ""


def _slice_us(settings) -> int:
    """run.hot_slice_us; 0 without settings (an actor used before its start, as unit tests do)."""
    return settings.run.hot_slice_us if settings is not None else 0


def hot_thread(settings, tid: int = 0) -> bool:
    """The calling thread (or `tid`) does hot-path work: SCHED_FIFO at run.hot_realtime where
    allowed, else run.hot_nice where allowed, and run.hot_slice_us for a SCHED_OTHER thread
    (0: leave each). True if anything was set."""
    if settings is None:   # an actor used before its start, as unit tests do
        return False
    run = settings.run   # the kernel decides what is allowed: a refusal changes nothing
    if run.hot_realtime and set_thread_realtime(run.hot_realtime, tid):
        return True
    raised = run.hot_nice < 0 and set_thread_nice(run.hot_nice, tid)
    sliced = run.hot_slice_us > 0 and set_thread_slice(run.hot_slice_us, tid)
    return raised or sliced


def burst_thread(settings) -> None:
    """The calling hot thread has its core and starts a burst of ~1 ms (a buy): the default slice
    for it, so it runs in one piece. On the short slice the buy was cut into 200 µs pieces, each
    able to wait behind a default-slice thread (bench_detection_latency at 10/s: signed ->
    journal_locked p50 0.43 -> 1.9 ms); a longer slice than the default would let every
    default-slice wake-up preempt it (EEVDF's PREEMPT_SHORT)."""
    if _slice_us(settings) > 0:   # refused quietly for a SCHED_FIFO thread: it has no slice
        set_thread_slice(0)


def _refused(tid: int, why: str) -> bool:
    global _refusal_logged
    if not _refusal_logged:
        _refusal_logged = True
        logger.debug("thread {}: scheduling unchanged ({})", tid or "self", why)
    return False
