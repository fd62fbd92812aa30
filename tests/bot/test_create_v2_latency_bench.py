"""The short CI version of benchmarks/bench_create_v2_latency.py: a few legacy and create_v2 launches;
the bot buys each and every kind (USDC-paired ones too) gets a detection-to-sent figure and a ratio
(numbers are not judged)."""
from __future__ import annotations

import pytest

from benchmarks.bench_create_v2_latency import report, run

pytestmark = pytest.mark.timeout(120)


def test_create_v2_latency_benchmark_measures_every_kind():
    samples = run(launches=2, rate=2.0, mode="fast", usdc=True)
    for kind in ("create", "create_v2", "usdc"):
        assert samples[kind]["launches"] == 2 and samples[kind]["buys"] == 2, samples
        assert len(samples[kind]["detect_sent"]) == 2 and all(ms > 0 for ms in samples[kind]["detect_sent"])
    text = report(samples)
    assert "ratio create_v2/create: p50" in text and "ratio usdc/create: p50" in text and "load average" in text
