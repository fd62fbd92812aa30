"""The short CI version of benchmarks/bench_analysis.py: a dozen coins through the asyncio pool,
the two-process actor pool and the in-process analyser (fed messages, and over its channel) against sources that each wait 50 ms; every coin is answered, the
figures are plausible and the verdict is printed (tokens/s are not judged: the machine is shared)."""
from __future__ import annotations

import os
import re

import pytest

from benchmarks.bench_analysis import parse_args, run, split_cores

pytestmark = pytest.mark.timeout(240)


def test_analysis_benchmark_answers_every_coin_and_reports_cpu_and_a_projection(capsys):
    rows = run(parse_args(["--tokens", "12", "--sizes", "4", "--pools", "asyncio,actors2x,actors1,direct1"]))
    assert [(row["pool"], row["size"]) for row in rows] == [("asyncio", 4), ("actors2x", 4), ("actors1", 4),
                                                             ("direct1", 4)]
    for row in rows:
        assert row["answered"] == 12 and row["buys"] == 12, row   # clean coins: every one a buy
        assert row["p50"] >= 50, row   # each source answers after 50 ms, server side
        assert row["cpu_us"] > 0 and row["world_us"] > 0 and 0 < row["projected"] <= 4 / 0.050, row
    assert rows[0]["asker_us"] == 0 and all(row["asker_us"] > 0 for row in rows[1:])
    printed = capsys.readouterr().out
    assert "cheapest token:" in printed and "with the world on other cores:" in printed


def test_the_p99_goal_is_judged_only_where_the_pool_kept_up_and_the_machine_had_cpu_to_spare():
    from benchmarks.bench_analysis import latency_verdict
    calm = {"pool": "asyncio", "size": 8, "tokens_per_s": 99.0, "busy_cores": 0.9, "p99": 64.0}
    slow = {**calm, "pool": "actors", "p99": 90.0}
    behind = {**calm, "pool": "actors2x", "tokens_per_s": 60.0, "p99": 55.0}
    busy = {**calm, "size": 16, "busy_cores": 1.9}
    assert latency_verdict([calm, slow, behind, busy], 100, 2) == \
        "p99 where unsaturated: asyncio 8: 64 ms (meets), actors 8: 90 ms (misses) (goal <= 70 ms)"
    assert latency_verdict([busy], 100, 2).startswith("p99 goal not judged: no row was unsaturated")
    assert latency_verdict([calm], 0, 2).startswith("p99 goal not judged: a burst")


def test_the_trace_names_every_tokens_stretches_in_the_bot_and_the_world(capsys):
    """--trace: each source request of each token stamped in the bot and in the world (here the
    one-process world: the sources on the chain's loop), and the critical fact named per token."""
    assert run(parse_args(["--tokens", "8", "--sizes", "4", "--trace", "--world-processes", "1"])) is None
    printed = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in printed.splitlines()
            if line.split() and line.split()[0] in ("rpc", "uri_json", "rugcheck", "organic", "critical")}
    assert set(rows) == {"rpc", "uri_json", "rugcheck", "organic", "critical"}, printed
    assert all(row[1] == "8" for row in rows.values()), printed          # every token, every fact
    medians = [float(median) for median, _p90 in re.findall(r"(-?[\d.]+) \(\s*(-?[\d.]+)\)", " ".join(rows["critical"]))]
    assert len(medians) == 6 and min(medians) > -1.0, printed            # times on one clock: no stretch runs backwards
    assert "tokens 8: start to decision" in printed, printed


def test_world_cores_split_the_machine_between_the_bot_and_the_world():
    assert split_cores({0, 1, 2, 3}, 1) == ({0, 1, 2}, {3})
    assert split_cores({2, 5, 7}, 2) == ({2}, {5, 7})
    assert split_cores({0, 1}, 0) == ({0, 1}, {0, 1})            # 0: both share every core
    for wrong in (2, -1):
        with pytest.raises(ValueError, match=f"--world-cores {wrong}: between 0 and 1 here"):
            split_cores({0, 1}, wrong)


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
                    reason="pinning needs Linux and two cores")
def test_a_pinned_world_runs_on_its_own_cores_and_the_bot_gets_the_rest_back_after(capsys):
    """--world-cores 1: every thread of the world's two processes on the last core (asked of the
    kernel per thread while they run), the bot's pool on the others; this process's cores are
    given back when the benchmark ends."""
    before = os.sched_getaffinity(0)
    bot, world = split_cores(before, 1)
    rows = run(parse_args(["--tokens", "4", "--sizes", "2", "--pools", "asyncio,actors1", "--world-cores", "1"]))
    assert [row["answered"] for row in rows] == [4, 4]
    printed = capsys.readouterr().out
    listed = ",".join(map(str, sorted(bot)))
    assert f"pinned: the bot on cores {listed}, every thread of the world on {max(world)}\n" in printed, printed
    assert os.sched_getaffinity(0) == before
