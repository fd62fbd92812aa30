"""Bounded run statistics: memory that stays flat however long the bot runs.

LatencyHistogram  fixed log-spaced buckets: exact count/sum/min/max, quantiles within one bucket's
                  width (BUCKET_GROWTH, 5 % relative); mergeable and subtractable, so a reader can
                  take the histogram of a window as (now - earlier snapshot).
RollingWindow     the last N values, exact quantiles over them.
BoundedSet        remembers the most recent N keys (for "seen this signature once" checks).
BoundedDict       an insertion/refresh-ordered dict that forgets its oldest entries past N.

All are plain picklable objects without thespian, so actors can put them into messages.
"""
from __future__ import annotations

import bisect
import collections
import math
from typing import Iterable

BUCKET_GROWTH = 1.05              # each bucket is 5 % wider than the one below
LOWEST_EDGE = 0.01                # ms; values at or below it share the first bucket
HIGHEST_EDGE = 3_600_000.0        # ms (1 h); values above it share the overflow bucket


def _edges() -> tuple:
    count = math.ceil(math.log(HIGHEST_EDGE / LOWEST_EDGE) / math.log(BUCKET_GROWTH))
    return tuple(LOWEST_EDGE * BUCKET_GROWTH ** i for i in range(count + 1))


BUCKET_EDGES = _edges()           # bucket i holds (edges[i-1], edges[i]]; bucket 0 holds <= edges[0]


def nearest_rank(sorted_values: list, q: float) -> float:
    """The nearest-rank q-quantile (the value at rank ceil(q*n), 1-based) of sorted values."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def _check_q(q: float) -> None:
    if not 0 < q <= 1:
        raise ValueError(f"quantile must be in (0, 1], got {q}")


class LatencyHistogram:
    """Counts of values (ms) in fixed buckets: memory is len(BUCKET_EDGES)+1 ints, whatever the count."""

    __slots__ = ("counts", "count", "total", "low", "high")

    def __init__(self):
        self.counts = [0] * (len(BUCKET_EDGES) + 1)   # the last one: above HIGHEST_EDGE
        self.count = 0
        self.total = 0.0
        self.low = math.inf
        self.high = -math.inf

    def add(self, value: float) -> None:
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"a latency must be a finite number >= 0, got {value!r}")
        self.counts[bisect.bisect_left(BUCKET_EDGES, value)] += 1
        self.count += 1
        self.total += value
        self.low = min(self.low, value)
        self.high = max(self.high, value)

    def extend(self, values: Iterable[float]) -> "LatencyHistogram":
        for value in values:
            self.add(value)
        return self

    @staticmethod
    def bucket_bounds(index: int) -> tuple[float, float]:
        """(lower, upper] of bucket `index` (the overflow bucket's upper bound is infinite)."""
        lower = BUCKET_EDGES[index - 1] if index > 0 else 0.0
        upper = BUCKET_EDGES[index] if index < len(BUCKET_EDGES) else math.inf
        return lower, upper

    def quantile(self, q: float) -> float | None:
        """The nearest-rank q-quantile to within the width of the bucket holding it: the bucket's
        upper edge clamped to [min, max] (so p100 is the exact max). None when empty."""
        _check_q(q)
        if self.count == 0:
            return None
        rank = max(1, math.ceil(q * self.count))
        seen = 0
        for index, n in enumerate(self.counts):
            seen += n
            if seen >= rank:
                return min(max(self.bucket_bounds(index)[1], self.low), self.high)
        return self.high   # unreachable: counts sum to count

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    def copy(self) -> "LatencyHistogram":
        other = LatencyHistogram()
        other.counts, other.count, other.total = list(self.counts), self.count, self.total
        other.low, other.high = self.low, self.high
        return other

    def merge(self, other: "LatencyHistogram") -> "LatencyHistogram":
        for index, n in enumerate(other.counts):
            self.counts[index] += n
        self.count += other.count
        self.total += other.total
        self.low, self.high = min(self.low, other.low), max(self.high, other.high)
        return self

    def since(self, earlier: "LatencyHistogram") -> "LatencyHistogram":
        """The values added after `earlier` (an older copy of this histogram). min/max are those of
        the bucket range then: the window's exact extremes are not known."""
        window = LatencyHistogram()
        window.counts = [now - then for now, then in zip(self.counts, earlier.counts)]
        if any(n < 0 for n in window.counts):
            raise ValueError("`earlier` is not an older copy of this histogram")
        window.count = self.count - earlier.count
        window.total = self.total - earlier.total
        filled = [i for i, n in enumerate(window.counts) if n]
        if filled:
            window.low = max(self.bucket_bounds(filled[0])[0], self.low)
            window.high = min(self.bucket_bounds(filled[-1])[1], self.high)
        return window

    def summary(self) -> dict:
        """count, mean, min, p50, p90, p99, max (ms), for logs and the run summary."""
        if self.count == 0:
            return {"count": 0}
        return {"count": self.count, "mean": round(self.mean, 3), "min": self.low,
                "p50": self.quantile(0.5), "p90": self.quantile(0.9), "p99": self.quantile(0.99),
                "max": self.high}

    def __getstate__(self):
        return {"counts": {i: n for i, n in enumerate(self.counts) if n}, "count": self.count,
                "total": self.total, "low": self.low, "high": self.high}

    def __setstate__(self, state):
        self.counts = [0] * (len(BUCKET_EDGES) + 1)
        for index, n in state["counts"].items():
            self.counts[index] = n
        self.count, self.total, self.low, self.high = (state["count"], state["total"], state["low"],
                                                       state["high"])

    def __eq__(self, other):
        return isinstance(other, LatencyHistogram) and self.__getstate__() == other.__getstate__()

    def __repr__(self):
        return f"LatencyHistogram({self.summary()})"


class RollingWindow:
    """The last `size` values, oldest first; exact quantiles over them."""

    def __init__(self, size: int):
        if size < 1:
            raise ValueError("a rolling window needs size >= 1")
        self.values: collections.deque = collections.deque(maxlen=size)
        self.added = 0            # every value ever added (the window holds the last min(added, size))

    def add(self, value) -> None:
        self.values.append(value)
        self.added += 1

    def __len__(self):
        return len(self.values)

    def __iter__(self):
        return iter(self.values)

    def quantile(self, q: float, key=None) -> float | None:
        _check_q(q)
        if not self.values:
            return None
        return nearest_rank(sorted(self.values if key is None else map(key, self.values)), q)

    def as_tuple(self) -> tuple:
        return tuple(self.values)


class BoundedDict(collections.OrderedDict):
    """A dict holding at most `max_items` entries: adding past that forgets the oldest (least
    recently set, or touched with touch()). `evicted` counts what was forgotten."""

    def __init__(self, max_items: int, *args, **kwargs):
        if max_items < 1:
            raise ValueError("a bounded dict needs max_items >= 1")
        self.max_items = max_items
        self.evicted = 0
        super().__init__(*args, **kwargs)

    def __setitem__(self, key, value):
        self.put(key, value)

    def put(self, key, value) -> list:
        """Set key and return the (key, value) entries this forgot, oldest first (so an owner can
        keep a watermark of what it no longer remembers)."""
        if key in self:
            self.move_to_end(key)
        super().__setitem__(key, value)
        forgotten = []
        while len(self) > self.max_items:
            forgotten.append(self.popitem(last=False))
            self.evicted += 1
        return forgotten

    def touch(self, key) -> None:
        """Mark `key` as recently used (kept longest)."""
        self.move_to_end(key)

    def __reduce__(self):
        return (self.__class__, (self.max_items, list(self.items())), {"evicted": self.evicted})

    def copy(self):
        return self.__class__(self.max_items, self.items())


class BoundedSet:
    """The most recent `max_items` keys: add() returns True for a key not seen among them."""

    def __init__(self, max_items: int, items: Iterable = ()):
        self._keys = BoundedDict(max_items)
        for item in items:
            self.add(item)

    @property
    def max_items(self) -> int:
        return self._keys.max_items

    @property
    def evicted(self) -> int:
        return self._keys.evicted

    def add(self, key) -> bool:
        new = key not in self._keys
        self._keys[key] = None
        return new

    def discard(self, key) -> None:
        self._keys.pop(key, None)

    def __contains__(self, key):
        return key in self._keys

    def __len__(self):
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def copy(self) -> "BoundedSet":
        return BoundedSet(self.max_items, self._keys)
