"""Requests asked for in one event-loop turn go out together: the analyses of one dispatch (an
AnalysisJobs, started in one turn by the worker) share one JSON-RPC batch POST and one Jupiter
search GET instead of one request each: a request costs the bot and the server ~100-250 us of CPU.

Each asker gets its own answer or its own exception: one member's JSON-RPC error, or a mint the
search does not know, leaves the others' answers intact. A request that fails as a whole (transport,
HTTP status, 429) fails each of its members, which retry on their own (limits.Source)."""
from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

MAX_RPC_CALLS_PER_POST = 64     # ~16 coins with the probe: ~30 kB, under Agave's 50 KiB request body cap
MAX_SEARCH_MINTS = 100          # Jupiter Tokens V2 search: "Limit to 100 mint addresses in query"


class Coalescer:
    """ask(item) -> future of that item's answer; the items of one loop turn are sent by
    send(items) -> [answer or Exception per item] in groups of at most max_weight."""

    def __init__(self, send: Callable[[list], Awaitable[list]], max_weight: int,
                 weight: Callable[[object], int] = lambda _item: 1, window_s: float = 0.0):
        self.send, self.max_weight, self.weight, self.window_s = send, max_weight, weight, window_s
        self.pending: list[tuple[object, asyncio.Future]] = []
        self.waiting: list[asyncio.Future] = []   # sent()'s: released once the pending requests started
        self.sending: set[asyncio.Task] = set()   # the loop keeps only weak references to tasks
        self.requests = 0          # requests sent (for the benchmark and the tests)

    def ask(self, item) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        if not self.pending:       # flushed after the callbacks already queued in this turn (or the window)
            if self.window_s > 0:
                loop.call_later(self.window_s, self._flush)
            else:
                loop.call_soon(self._flush)
        future = loop.create_future()
        self.pending.append((item, future))
        return future

    def sent(self) -> asyncio.Future | None:
        """None when nothing waits to be sent; else a future done once the requests asked so far
        have started (their tasks' first steps, which write them, run before it is released)."""
        if not self.pending:
            return None
        waiter = asyncio.get_running_loop().create_future()
        self.waiting.append(waiter)
        return waiter

    def _flush(self) -> None:
        pending, self.pending = self.pending, []
        group, weight = [], 0
        for entry in pending:
            item_weight = self.weight(entry[0])
            if group and weight + item_weight > self.max_weight:
                self._start(group)
                group, weight = [], 0
            group.append(entry)
            weight += item_weight
        if group:
            self._start(group)
        if self.waiting:   # queued behind the send tasks just made: their requests go out first
            waiting, self.waiting = self.waiting, []
            asyncio.get_running_loop().call_soon(_release, waiting)

    def _start(self, group: list) -> None:
        task = asyncio.ensure_future(self._send(group))
        self.sending.add(task)
        task.add_done_callback(self.sending.discard)

    async def _send(self, group: list) -> None:
        self.requests += 1
        try:
            answers = await self.send([item for item, _ in group])
        except Exception as exc:   # the request as a whole failed: each member retries on its own
            answers = [exc] * len(group)
        for (_, future), answer in zip(group, answers):
            if future.done():      # its asker gave up (the per-token deadline)
                continue
            if isinstance(answer, BaseException):
                future.set_exception(answer)
                future.exception()   # retrieved here: an asker gone by now must not leave a logged error
            else:
                future.set_result(answer)


def _release(waiting: list) -> None:
    for waiter in waiting:
        if not waiter.done():    # its asker may have been cancelled
            waiter.set_result(None)


def rpc_coalescer(rpc, window_s: float = 0.0) -> Coalescer:
    """Each item is one coin's list of (method, params); its answer is the list of their answers
    (adapters/analysis/rpc.py: a value or an RpcCallError each)."""

    async def send(call_lists: list) -> list:
        answers = await rpc.batch([call for calls in call_lists for call in calls])
        split, start = [], 0
        for calls in call_lists:
            split.append(answers[start:start + len(calls)])
            start += len(calls)
        return split
    return Coalescer(send, MAX_RPC_CALLS_PER_POST, weight=len, window_s=window_s)


def search_coalescer(search: Callable[[list], Awaitable[dict]], window_s: float = 0.0) -> Coalescer:
    """Each item is a mint; search(mints) -> {mint: entry} from one query; a mint left out is None."""

    async def send(mints: list) -> list:
        found = await search(list(dict.fromkeys(mints)))
        return [found.get(mint) for mint in mints]
    return Coalescer(send, MAX_SEARCH_MINTS, window_s=window_s)
