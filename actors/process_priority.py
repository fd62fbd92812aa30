"""A lower CPU priority (nice) for the bot's processes that are off the hot path, so that on a
busy machine the kernel gives the cores to the stream, the armed spares and the live positions'
sells first (bench_detection_latency's CPU-by-process table shows what else runs during a launch).
One place decides which processes: each calls lower_if_background() as it starts (with its
logging, trading_io.process_logging). `run.background_nice` (default 5, 0 = off) is the step; a
process can only lower its own priority, never raise it back, so only kinds that never become hot
are listed."""
from __future__ import annotations

import os

from loguru import logger

# process names as given to process_logging; never "stream", "position" (spares and positions);
# the analysers only in fast mode (in full mode the buy waits for them); never the Director or the
# root either: a forked child inherits its parent's niceness, and they fork the stream and spares;
# not the wallet: a slower wallet refresh widened the balance monitor's window between its holdings
# read and its live-mints question, and positions closed meanwhile were swept as stray tokens
_lowered = False   # this process (or the parent it was forked from) lowered it already
BACKGROUND_PROCESSES = frozenset({"seller", "analyzer", "balance_monitor", "chain_cache"})


def lower_if_background(settings, process_name: str) -> int:
    """Lower this process's priority by run.background_nice when it is off the hot path; the
    niceness now (unchanged for a hot process or with the setting at 0)."""
    step = settings.run.background_nice
    gating = process_name == "analyzer" and settings.analysis.mode != "fast"   # full mode waits for it
    global _lowered
    if process_name not in BACKGROUND_PROCESSES or gating or step <= 0 or _lowered:
        return os.nice(0)
    try:
        _lowered = True
        return os.nice(step)
    except OSError as exc:   # not allowed here: the process keeps its priority
        logger.debug("{}: priority unchanged ({!r})", process_name, exc)
        return os.nice(0)


def lower_thread(settings, tid: int) -> int | None:
    """One thread that is never hot, in a process that may be (the stream's creator-history
    writer, a live position's I/O loop once its buy is written), run.background_nice nicer: Linux
    keeps a nice per thread. Its niceness now; None with the setting at 0 or where refused. Never
    asked of a thread that forks or may become hot: it cannot be raised back unprivileged."""
    step = settings.run.background_nice
    if step <= 0 or not tid:
        return None
    try:
        niceness = min(19, os.getpriority(os.PRIO_PROCESS, tid) + step)
        os.setpriority(os.PRIO_PROCESS, tid, niceness)
        return niceness
    except OSError as exc:   # not allowed here, or the thread ended
        logger.debug("thread {}: priority unchanged ({!r})", tid, exc)
        return None
