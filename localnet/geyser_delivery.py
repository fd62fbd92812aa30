"""Where the Yellowstone server writes its streams: an event loop of its own, on its own thread.

The chain, its JSON-RPC and PubSub servers and its slot clock share one asyncio loop; a stream
writer on that loop waits behind every request being served (the bot's confirmation polling put
4.5-10 ms p50 and 15-115 ms p99 between a create and its update at 10 launches/s). The chain's
listener still filters and builds each update on the chain's thread, at execution time, and puts
it in the subscriber's Outbox; the writer on the delivery loop takes it from there, waiting only
for the interpreter lock (a few ms at most; see DELIVERY_SWITCH_INTERVAL_S), not for the requests.
"""
from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import gc
import json
import os
import sys
import threading
import time

# A thread that wakes for an update waits for the lock at most this long (CPython's default is
# 5 ms): the delivery thread takes it from a chain thread busy serving a request at this interval.
DELIVERY_SWITCH_INTERVAL_S = 0.0005
THREAD_STOP_SECONDS = 5.0      # how long stop() waits for the delivery thread to end


_switch_interval_users = [0, None]   # delivery threads running, the interval before the first


def _short_switch_interval(change: int) -> None:
    """The short interval while a delivery thread runs, the process's own again after the last:
    the tests fork actor systems from this process, and the bot must not inherit the node's."""
    users, before = _switch_interval_users
    if change > 0 and users == 0:
        _switch_interval_users[1] = sys.getswitchinterval()
        sys.setswitchinterval(min(_switch_interval_users[1], DELIVERY_SWITCH_INTERVAL_S))
    _switch_interval_users[0] = max(0, users + change)
    if change < 0 and users == 1 and before is not None:
        sys.setswitchinterval(before)


class LoopThread:
    """An asyncio loop running on a daemon thread of its own (or, `own_thread=False`, the loop of
    whoever starts it: everything then runs inline on that one loop, as before)."""

    def __init__(self, name: str, own_thread: bool = True):
        self.name = name
        self.own_thread = own_thread
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread_id: int | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if not self.own_thread:
            self.loop, self.thread_id = asyncio.get_running_loop(), threading.get_ident()
            return
        ready = threading.Event()

        def run() -> None:
            self.loop = asyncio.new_event_loop()
            self.thread_id = threading.get_ident()
            asyncio.set_event_loop(self.loop)
            ready.set()
            try:
                self.loop.run_forever()
            finally:
                self.loop.close()
        self._thread = threading.Thread(target=run, name=self.name, daemon=True)
        self._thread.start()
        ready.wait()
        _short_switch_interval(+1)

    def in_loop(self) -> bool:
        return threading.get_ident() == self.thread_id

    def call_soon(self, fn, *args) -> None:
        """fn(*args) on this loop; from its own thread at once (keeps the caller's order)."""
        if self.in_loop():
            fn(*args)
        else:
            self.loop.call_soon_threadsafe(fn, *args)

    async def run(self, coro):
        """Await `coro` on this loop, from any other loop."""
        if self.in_loop():
            return await coro
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    async def stop(self) -> None:
        if self._thread is None:
            return
        thread, self._thread = self._thread, None

        async def cancel_the_rest() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        await self.run(cancel_the_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        # polled, not joined in an executor: an executor's idle thread would outlive the node, and
        # the tests fork actor systems from this process (THESPIAN_NOTES: no forking with threads)
        give_up_at = time.monotonic() + THREAD_STOP_SECONDS
        while thread.is_alive() and time.monotonic() < give_up_at:
            await asyncio.sleep(0.005)
        _short_switch_interval(-1)


async def call_on(loop: asyncio.AbstractEventLoop, fn, *args):
    """fn(*args) run on another loop's thread (the chain's), awaited from this one; inline when
    this is that loop. Exceptions come back to the caller."""
    if loop is asyncio.get_running_loop():
        return fn(*args)
    done: concurrent.futures.Future = concurrent.futures.Future()

    def call() -> None:
        try:
            done.set_result(fn(*args))
        except BaseException as failure:   # handed back to the awaiting side
            done.set_exception(failure)
    loop.call_soon_threadsafe(call)
    return await asyncio.wrap_future(done)


class Outbox:
    """One subscriber's bounded queue: `put` from any thread, `get` by one writer on `owner`'s loop.
    A deque's append/popleft are atomic; the writer is woken only when it sleeps."""

    def __init__(self, owner: LoopThread, maxsize: int):
        self.owner = owner
        self.maxsize = maxsize
        self._items: collections.deque = collections.deque()
        self._ready = asyncio.Event()
        self._sleeping = False

    def __len__(self) -> int:
        return len(self._items)

    def put(self, update) -> bool:
        """False when full (nothing added)."""
        if len(self._items) >= self.maxsize:
            return False
        self._items.append((update, time.perf_counter()))
        if self._sleeping:
            self._sleeping = False
            self.owner.call_soon(self._ready.set)
        return True

    async def get(self) -> tuple[object, float]:
        """(update, perf_counter when it was put)."""
        while not self._items:
            self._ready.clear()
            self._sleeping = True
            if not self._items:   # re-checked after raising the flag: a put in between wakes us
                await self._ready.wait()
            self._sleeping = False
        return self._items.popleft()


DELIVERY_TRACE_ENV = "LOCALNET_GEYSER_TRACE"   # a file: what DeliveryTrace writes when the server stops


class DeliveryTrace:
    """Per transaction update written: its signature, signers (a create's mint is one), the stream
    (a number per subscriber) and when it was queued, its write started and ended (perf_counter);
    and the interpreter's generation 1 and 2 collections meanwhile (they stop every thread).
    `close` appends both to `path` as JSON lines with wall-clock stamps."""

    def __init__(self, path: str | None = None):
        self.path = path
        self.rows: dict[bytes, tuple[float, float, float]] = {}   # signature -> stamps (the first stream's)
        self._lines: list[tuple] = []
        self._streams: dict[int, int] = {}
        self.collections: list[tuple[int, float, float]] = []
        self._gc_started = 0.0
        gc.callbacks.append(self._on_gc)

    @classmethod
    def from_env(cls) -> "DeliveryTrace | None":
        path = os.environ.get(DELIVERY_TRACE_ENV)
        return cls(path) if path else None

    def add(self, subscriber, transaction_info, queued: float, started: float, written: float) -> None:
        stream = self._streams.setdefault(id(subscriber), len(self._streams))
        self.rows.setdefault(transaction_info.signature, (queued, started, written))
        if self.path is not None:
            message = transaction_info.transaction.message
            signers = list(message.account_keys[:message.header.num_required_signatures])
            self._lines.append((transaction_info.signature, signers, stream, queued, started, written))

    def _on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif info["generation"] >= 1:
            self.collections.append((info["generation"], self._gc_started, time.perf_counter()))

    def close(self) -> None:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        if self.path is None:
            return
        from solders.pubkey import Pubkey
        from solders.signature import Signature
        to_wall = time.time() - time.perf_counter()   # the benchmarks' records are wall-clock
        with open(self.path, "a") as out:
            for signature, signers, stream, queued, started, written in self._lines:
                out.write(json.dumps({
                    "signature": str(Signature.from_bytes(signature)), "signers": [str(Pubkey.from_bytes(k)) for k in signers],
                    "stream": stream, "queued": queued + to_wall, "write_started": started + to_wall,
                    "written": written + to_wall}) + "\n")
            for generation, started, ended in self.collections:
                out.write(json.dumps({"gc": generation, "started": started + to_wall, "ended": ended + to_wall}) + "\n")
