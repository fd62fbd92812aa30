"""The short CI version of benchmarks/bench_copy_latency.py: three copies, three snipes and two pool
copies of each kind on one stream; every copy is sent and lands, with its slot difference measured (numbers are
not judged)."""
from __future__ import annotations

import pytest

from benchmarks.bench_copy_latency import run

pytestmark = pytest.mark.timeout(120)


def test_copy_latency_benchmark_measures_every_copy():
    results = run(trades=3, rate=4.0, pool_trades=2)
    copy, snipe = results["copy"], results["snipe"]
    assert copy["trades"] == 3 and copy["buys"] == 3, results["copy_books"]
    assert isinstance(copy["slots_p50"], int) and copy["slots_p50"] >= 0
    assert 0 < copy["in_bot_p50"] <= copy["in_bot_p99"]
    assert copy["executed_p50"] >= copy["in_bot_p50"]   # each buy lands after it was sent
    assert snipe["trades"] == 3 and snipe["buys"] >= 1   # analysis may veto a probe-like coin
    for phase in ("pool", "pool-cold"):   # priced from the stream's pool state / from an RPC read
        pool = results[phase]
        assert pool["trades"] == 2 and pool["buys"] == 2 and isinstance(pool["slots_p50"], int), results["copy_books"]
