"""Per-source rate limit shared by every analyser process, 429 back-off, and a per-mint cache.

A source's rate is the bot's: its token bucket (tokens, refill stamp, 429 pause) is a slot of a
small file every analyser process maps (SharedTokenBucket), changed under flock. A request pays two
flock calls and a 24-byte read and write (a few microseconds), and a worker that is sent more
launches than another can use what the other leaves. A 429 pauses the source for every worker for
the Retry-After (or a doubling back-off) and the request is retried while the deadline allows.
The cache stays per process: a mint is analysed by one worker.
"""
from __future__ import annotations

import asyncio
import contextlib
import fcntl
import mmap
import os
import struct
import time
from pathlib import Path

BACKOFF_START_S = 0.05
BACKOFF_MAX_S = 2.0
MAX_ATTEMPTS = 5        # a cached lookup outlives its token's deadline (shielded): it must end


class RateLimited(Exception):
    """The source answered 429; retry_after in seconds (None: not said)."""

    def __init__(self, source: str, retry_after: float | None):
        super().__init__(f"{source}: 429 rate limited")
        self.retry_after = retry_after


class TokenBucket:
    """`rate` tokens per second, bursts up to `burst`; acquire() waits for a token."""

    def __init__(self, rate: float, burst: float | None = None, clock=time.monotonic):
        self.rate = max(rate, 1e-6)
        self.burst = burst if burst is not None else max(1.0, rate)
        self.tokens = self.burst
        self.clock = clock
        self.stamp = clock()
        self.paused_until = 0.0

    def _shared_state(self):
        """Where tokens, stamp and paused_until are read and written: here, this object."""
        return contextlib.nullcontext()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_seconds(self, cost: int = 1) -> float:
        """0 if a token can be taken now (and takes `cost`), else how long to wait. A request
        worth more than one (a JSON-RPC batch) may leave the bucket in debt, paid by the next
        requests' wait: the rate holds on average whatever the cost and the burst."""
        with self._shared_state():
            self._refill()
            pause = self.paused_until - self.clock()
            if pause > 0:
                return pause
            if self.tokens >= 1 - 1e-9:   # float refill: 0.1 s at 10/s is one token, give or take
                self.tokens = max(0.0, self.tokens - 1) - (cost - 1)
                return 0.0
            return (1 - self.tokens) / self.rate

    async def acquire(self, cost: int = 1) -> None:
        while (delay := self.wait_seconds(cost)) > 0:
            await asyncio.sleep(delay)

    def pause(self, seconds: float) -> None:
        with self._shared_state():
            self.paused_until = max(self.paused_until, self.clock() + seconds)


class SharedTokenBucket(TokenBucket):
    """A TokenBucket whose state is 24 bytes of a file (slot `slot`), shared by every process that
    opens the file: the rate is the bot's, whichever worker asks. CLOCK_MONOTONIC is one clock for
    all processes of a boot; a stamp ahead of it (a file from before a reboot) starts the bucket
    full. Rate and burst are the caller's (config), not stored. The whole file is locked (one lock
    for the few buckets in it); each bucket opens its own file description, so flock excludes
    threads of one process too."""

    STATE = struct.Struct("<ddd")    # tokens, stamp, paused_until

    def __init__(self, path: Path, slot: int, rate: float, burst: float | None = None, clock=time.monotonic):
        super().__init__(rate, burst, clock)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._offset = slot * self.STATE.size
        with self._flocked():
            if os.fstat(self._fd).st_size < self._offset + self.STATE.size:   # zeros: read as a new bucket
                os.ftruncate(self._fd, self._offset + self.STATE.size)
        self._map = mmap.mmap(self._fd, self._offset + self.STATE.size)

    @contextlib.contextmanager
    def _flocked(self):
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def _shared_state(self):
        with self._flocked():
            tokens, stamp, paused_until = self.STATE.unpack_from(self._map, self._offset)
            if 0 < stamp <= self.clock():
                self.tokens, self.stamp, self.paused_until = tokens, stamp, paused_until
            else:                                  # new file, or written before a reboot
                self.tokens, self.stamp, self.paused_until = self.burst, self.clock(), 0.0
            yield
            self.STATE.pack_into(self._map, self._offset, self.tokens, self.stamp, self.paused_until)

    def close(self) -> None:
        if self._fd >= 0:
            self._map.close()
            os.close(self._fd)
            self._fd = -1


class SharedLimits:
    """The bot's rate-limit file: one SharedTokenBucket slot per source name, in a fixed order."""

    def __init__(self, path: Path, names: tuple[str, ...]):
        self.path, self.names = Path(path), names

    def bucket(self, name: str, rate: float) -> SharedTokenBucket:
        return SharedTokenBucket(self.path, self.names.index(name), rate)


class TtlCache:
    """mint -> value for ttl seconds; in-flight lookups of one key are shared (one request)."""

    def __init__(self, ttl: float, max_items: int = 10_000, clock=time.monotonic):
        self.ttl, self.max_items, self.clock = ttl, max_items, clock
        self._items: dict = {}
        self._pending: dict = {}
        self.hits = self.misses = 0

    def lookup(self, key, load) -> asyncio.Future:
        """The key's shared lookup: a done future for a fresh cached value, else the one task
        loading it (started here when none is). Callers must not cancel it (others may share
        it); it ends on its own (the sources' timeouts, Source's attempts)."""
        found = self._items.get(key)
        if found is not None and found[0] > self.clock():
            self.hits += 1
            done = asyncio.get_running_loop().create_future()
            done.set_result(found[1])
            return done
        pending = self._pending.get(key)
        if pending is not None:
            self.hits += 1
            return pending
        self.misses += 1
        task = asyncio.ensure_future(load())
        self._pending[key] = task
        task.add_done_callback(lambda settled: self._settled(key, settled))
        return task

    async def get(self, key, load):
        """lookup() for one asker that may be cancelled (the shared lookup goes on)."""
        return await asyncio.shield(self.lookup(key, load))

    def _settled(self, key, task: asyncio.Future) -> None:
        self._pending.pop(key, None)
        # reading the exception marks it seen: an asker past its deadline no longer awaits it,
        # and an unread one is logged as an error at garbage collection
        if task.cancelled() or task.exception() is not None or self.ttl <= 0:
            return
        self._forget_expired()
        if len(self._items) >= self.max_items:
            del self._items[next(iter(self._items))]
        self._items.pop(key, None)   # re-added at the end: the dict stays in expiry order
        self._items[key] = (self.clock() + self.ttl, task.result())

    def _forget_expired(self) -> None:
        """Expired entries are dropped as new ones come (the 24 h soak saw a worker grow by 1.3 MB
        per simulated hour while entries waited for max_items): memory follows rate x ttl."""
        now = self.clock()
        while self._items:
            oldest = next(iter(self._items))
            if self._items[oldest][0] > now:
                return
            del self._items[oldest]


class Source:
    """One source's gate: cache, then bucket, then the call, backing off and retrying on 429.
    limits: the bot's shared buckets (None: a bucket of this process alone)."""

    def __init__(self, name: str, rate: float, ttl: float, limits: SharedLimits | None = None):
        self.name = name
        self.bucket = TokenBucket(rate) if limits is None else limits.bucket(name, rate)
        self.cache = TtlCache(ttl)
        self.rate_limited = 0

    def close(self) -> None:
        if isinstance(self.bucket, SharedTokenBucket):
            self.bucket.close()

    def lookup(self, key, call, cost: int = 1) -> asyncio.Future:
        """The shared future of this key's answer (see TtlCache.lookup: never cancel it)."""
        return self.cache.lookup(key, lambda: self._call(call, cost))

    async def fetch(self, key, call, cost: int = 1):
        return await self.cache.get(key, lambda: self._call(call, cost))

    async def _call(self, call, cost: int):
        backoff = BACKOFF_START_S
        for attempt in range(MAX_ATTEMPTS):
            if cost:   # 0: the call takes its own tokens (a request shared by several keys)
                await self.bucket.acquire(cost)
            try:
                return await call()
            except RateLimited as limited:
                self.rate_limited += 1
                if attempt == MAX_ATTEMPTS - 1:
                    raise
                wait = limited.retry_after if limited.retry_after is not None else backoff
                self.bucket.pause(min(wait, BACKOFF_MAX_S))
                backoff = min(backoff * 2, BACKOFF_MAX_S)
