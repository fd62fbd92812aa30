"""The short CI version of benchmarks/bench_pipeline_throughput.py: at one launch rate the asyncio
bots (one coin at a time, and a few at once) and our bot each trade the local market, their landed
buys are counted on chain and the report prints the ratios (numbers are not judged)."""
from __future__ import annotations

import pytest

from benchmarks.bench_pipeline_throughput import report, run

pytestmark = pytest.mark.timeout(240)


def test_pipeline_throughput_benchmark_counts_each_contenders_landed_buys():
    results = run([2.0], seconds=3, concurrent=4)
    assert set(results) == {"asyncio-1", "asyncio-4", "bot"}
    for name, by_rate in results.items():
        row = by_rate[2.0]
        assert row["launches"] == 6 and row["window"] > 0, (name, row)
        assert 1 <= row["buys"] <= row["launches"], (name, row)   # each contender lands its buys
    printed = report(results, [2.0])
    assert "bot/asyncio-1" in printed and "bot/asyncio-4" in printed
