"""Bounded statistics (adapters/stats.py), property-tested against plain lists and sets."""
from __future__ import annotations

import math
import pickle

import pytest
from hypothesis import given, strategies as st

from adapters.stats import (BUCKET_EDGES, BoundedDict, BoundedSet, LatencyHistogram, RollingWindow,
                            nearest_rank)

latencies = st.floats(min_value=0, max_value=5_000_000, allow_nan=False, allow_infinity=False)
quantiles = st.floats(min_value=0.001, max_value=1.0)


def bucket_of(value: float) -> int:
    return next((i for i, edge in enumerate(BUCKET_EDGES) if value <= edge), len(BUCKET_EDGES))


@given(st.lists(latencies, min_size=1, max_size=300), quantiles)
def test_quantile_lies_in_the_bucket_of_the_exact_nearest_rank_quantile(values, q):
    histogram = LatencyHistogram().extend(values)
    exact = nearest_rank(sorted(values), q)
    lower, upper = LatencyHistogram.bucket_bounds(bucket_of(exact))
    estimate = histogram.quantile(q)
    assert lower <= estimate <= upper
    assert abs(estimate - exact) <= (upper - lower if math.isfinite(upper) else max(values) - lower)
    assert min(values) <= estimate <= max(values)


def test_bucket_width_is_five_percent_of_its_value():
    # a 100 ms p99 is reported within 5 ms; 1 ms within 0.05 ms
    for value in (1.0, 100.0, 2_500.0):
        lower, upper = LatencyHistogram.bucket_bounds(bucket_of(value))
        assert upper - lower <= 0.0501 * value + 1e-9


@given(st.lists(latencies, max_size=200))
def test_count_sum_min_max_are_exact_and_memory_is_fixed(values):
    histogram = LatencyHistogram().extend(values)
    assert histogram.count == len(values)
    assert histogram.total == pytest.approx(sum(values))
    if values:
        assert (histogram.low, histogram.high) == (min(values), max(values))
        assert histogram.quantile(1.0) == max(values)
    else:
        assert histogram.quantile(0.5) is None and histogram.summary() == {"count": 0}
    assert len(histogram.counts) == len(BUCKET_EDGES) + 1


@given(st.lists(latencies, max_size=100), st.lists(latencies, min_size=1, max_size=100), quantiles)
def test_a_window_is_the_difference_of_two_snapshots(before, during, q):
    histogram = LatencyHistogram().extend(before)
    snapshot = histogram.copy()
    histogram.extend(during)
    window = histogram.since(snapshot)
    alone = LatencyHistogram().extend(during)
    assert window.counts == alone.counts and window.count == len(during)
    exact = nearest_rank(sorted(during), q)
    lower, upper = LatencyHistogram.bucket_bounds(bucket_of(exact))
    assert lower <= window.quantile(q) <= upper
    with pytest.raises(ValueError):
        snapshot.since(histogram)


@given(st.lists(latencies, max_size=50), st.lists(latencies, max_size=50))
def test_merge_equals_one_histogram_of_both(first, second):
    merged = LatencyHistogram().extend(first).merge(LatencyHistogram().extend(second))
    both = LatencyHistogram().extend(first + second)
    assert merged.counts == both.counts and merged.count == both.count


@given(st.lists(latencies, max_size=50))
def test_pickles_round_trip_small(values):
    histogram = LatencyHistogram().extend(values)
    again = pickle.loads(pickle.dumps(histogram))
    assert again == histogram and again.counts == histogram.counts
    assert len(pickle.dumps(histogram)) < 200 + 30 * len(values)   # only filled buckets travel


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_a_bad_latency_is_refused(bad):
    with pytest.raises(ValueError):
        LatencyHistogram().add(bad)
    with pytest.raises(ValueError):
        LatencyHistogram().quantile(0)


@given(st.integers(min_value=1, max_value=20), st.lists(st.integers(), max_size=100), quantiles)
def test_rolling_window_is_the_last_n_values(size, values, q):
    window = RollingWindow(size)
    for value in values:
        window.add(value)
    assert window.as_tuple() == tuple(values[-size:]) and window.added == len(values)
    assert window.quantile(q) == (nearest_rank(sorted(values[-size:]), q) if values else None)


@given(st.integers(min_value=1, max_value=10), st.lists(st.integers(0, 30), max_size=200))
def test_bounded_set_remembers_exactly_the_most_recent_keys(size, keys):
    bounded, model = BoundedSet(size), []      # model: distinct keys, least recently added first
    for key in keys:
        assert bounded.add(key) == (key not in model)
        if key in model:
            model.remove(key)
        model.append(key)
        del model[:-size]
        assert list(bounded) == model and len(bounded) <= size
    assert all(key in bounded for key in model)


@given(st.integers(min_value=1, max_value=10), st.lists(st.tuples(st.integers(0, 30), st.integers()), max_size=200))
def test_bounded_dict_keeps_the_newest_entries_and_pickles(size, writes):
    bounded, model = BoundedDict(size), {}
    for key, value in writes:
        bounded[key] = value
        model.pop(key, None)
        model[key] = value
        while len(model) > size:
            del model[next(iter(model))]
    assert dict(bounded) == model and list(bounded) == list(model)
    again = pickle.loads(pickle.dumps(bounded))
    assert dict(again) == model and again.max_items == size and again.evicted == bounded.evicted
    again[object()] = 1
    assert len(again) <= size


def test_bounded_dict_put_returns_what_it_forgot_for_a_watermark():
    settled = BoundedDict(2)
    assert settled.put("a", (10, 1.0)) == [] and settled.put("b", (20, 2.0)) == []
    assert settled.put("c", (30, 3.0)) == [("a", (10, 1.0))]
    booked_through = max(sent_at for _, (_, sent_at) in [("a", (10, 1.0))])
    assert booked_through == 1.0 and list(settled) == ["b", "c"] and settled.evicted == 1
