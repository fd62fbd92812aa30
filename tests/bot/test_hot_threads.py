"""In a running bot the hot threads ask for run.hot_slice_us (actors/hot_threads.py): read back
with sched_getattr from this process for every thread of the stream and of each armed spare; and
the threads that are never hot run nicer (actors/process_priority.lower_thread)."""
from __future__ import annotations

import os
import threading
import time

import pytest

from actors.hot_threads import SCHED_FIFO, raise_allowed, realtime_allowed, thread_slice_us
from tests.bot.harness import bot_world
from tests.bot.test_e2e import child_pids

pytestmark = pytest.mark.timeout(120)


def slices(pid: int) -> dict[int, int]:
    """tid -> its slice in µs, for each thread of the process."""
    found = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        value = thread_slice_us(int(tid))
        if value is not None:
            found[int(tid)] = value
    return found


def default_slice_us() -> int:
    """The kernel's default, as a fresh thread of this process has it."""
    seen = []
    thread = threading.Thread(target=lambda: seen.append(thread_slice_us()))
    thread.start()
    thread.join()
    return seen[0]


@pytest.mark.skipif(thread_slice_us() is None, reason="no sched_getattr here")
@pytest.mark.parametrize("hot_slice_us,hot_nice,hot_realtime", [(300, -10, 0), (0, 0, 1)])
def test_hot_threads_have_the_short_slice_and_the_others_the_default(tmp_path, monkeypatch, hot_slice_us, hot_nice,
                                                                     hot_realtime):
    """...and the raised nice (run.hot_nice) or SCHED_FIFO (run.hot_realtime), where this process
    may raise them (root here)."""
    from actors.hot_trace import TRACE_ENV, trace_lines
    trace = tmp_path / "stages.jsonl"
    monkeypatch.setenv(TRACE_ENV, str(trace))   # before the actor system forks: armings are traced
    default = default_slice_us()
    with bot_world(tmp_path, **{"analysis.mode": "fast", "trading.min_warm_spares": 2,
                                "trading.max_warm_spares": 2, "run.hot_slice_us": hot_slice_us,
                                "run.hot_nice": hot_nice, "run.hot_realtime": hot_realtime}) as world:
        world.bot.start(world.settings)
        world.bot.wait_until_streaming(world.chain, world.market)
        deadline = time.monotonic() + 30
        while not trace.exists() or sum(row.get("kind") == "spare" for row in trace_lines(trace)) < 2:
            assert time.monotonic() < deadline, "the spares were never armed"
            time.sleep(0.1)
        pids = child_pids(world.bot)
        spares = [pid for name, pid in pids.items() if name.startswith("spare:")]
        assert spares, pids
        raised = hot_nice < 0 and raise_allowed(hot_nice)
        realtime = hot_realtime and realtime_allowed(hot_realtime)
        for name, pid in [("stream", pids["stream"])] + [(f"spare {pid}", pid) for pid in spares]:
            fifo = [tid for tid, policy in policies(pid).items() if policy == SCHED_FIFO]
            if realtime:   # the stream: its I/O thread; an armed spare: its lane thread
                assert len(fifo) == 1 and pid not in fifo, (name, policies(pid))
                continue
            assert not fifo, (name, policies(pid))
            nices = niceness(pid)
            if raised:   # the same one thread as has the short slice, below
                assert sorted(nices.values()).count(hot_nice) == 1 and nices[pid] == 0, (name, nices)
            else:
                assert min(nices.values()) >= 0, (name, nices)
            by_thread = slices(pid)
            short = sorted(tid for tid, value in by_thread.items() if value == hot_slice_us)
            others = {tid: value for tid, value in by_thread.items() if value != hot_slice_us}
            if hot_slice_us == 0:
                assert all(value == default for value in by_thread.values()), (name, by_thread)
                continue
            # the stream: its I/O thread; an armed spare: its lane thread (not its actor thread: tid = pid)
            assert len(short) == 1 and pid not in short, (name, by_thread)
            assert others and all(value == default for value in others.values()), (name, by_thread)
        for name in ("director", "wallet"):   # never hot: the default everywhere
            assert set(slices(pids[name]).values()) == {default}, (name, slices(pids[name]))
            assert set(policies(pids[name]).values()) == {0}, (name, policies(pids[name]))
            assert min(niceness(pids[name]).values()) >= 0, name


def policies(pid: int) -> dict[int, int]:
    """tid -> its scheduling policy (0: SCHED_OTHER; the reset-on-fork flag left out), for each
    thread of the process."""
    return {int(tid): os.sched_getscheduler(int(tid)) & ~os.SCHED_RESET_ON_FORK
            for tid in os.listdir(f"/proc/{pid}/task")}


def niceness(pid: int) -> dict[int, int]:
    """tid -> its nice relative to this process's, for each thread of the process."""
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    return {int(tid): os.getpriority(os.PRIO_PROCESS, int(tid)) - ours for tid in os.listdir(f"/proc/{pid}/task")}


def test_a_live_positions_io_thread_and_the_history_writer_run_nicer(tmp_path):
    """run.background_nice per thread (actors/process_priority.lower_thread): once an armed spare's
    buy is written its I/O loop (replies, confirmations) runs nicer, its actor thread (the sell)
    does not; the stream's creator-history writer runs nicer, its I/O thread does not."""
    with bot_world(tmp_path, **{"analysis.mode": "fast", "run.background_nice": 5,
                                "trading.max_hold_seconds": 30}) as world:
        world.bot.start(world.settings)
        world.bot.wait_until_streaming(world.chain, world.market)
        creator = world.chain.run(world.market.new_wallet(10**9))
        world.chain.run(world.market.launch(creator, "Nicer"))
        world.bot.wait_for(lambda s: s.bought >= 1 and s.active_positions >= 1, timeout=20)
        pids = child_pids(world.bot)
        positions = [pid for name, pid in pids.items() if name.startswith("position")]
        assert positions, pids
        for pid in positions + [pids["stream"]]:
            by_thread = niceness(pid)
            assert by_thread[pid] == 0 and 5 in by_thread.values(), (pid, by_thread)
        for name in ("director", "wallet"):
            assert set(niceness(pids[name]).values()) == {0}, name
