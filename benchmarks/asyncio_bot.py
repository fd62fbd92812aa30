"""A plain single-process asyncio sniper: the baseline of benchmarks/bench_pipeline_throughput.py.

The design of the popular single-process bot (and of the seed's plan for it): one task reads the
stream into a queue; `max_active` worker tasks take coins from it, each running the whole pipeline
for one coin at a time: fast checks (the same ones as our fast mode: the create event and the local
creator history, no RPC), sign, send, wait for the buy to confirm, hold `max_hold_seconds`, sell,
wait for the sell. max_active = 1 is the popular bot (one coin at a time; the others wait in the
queue); more is the seed's concurrent variant (a task per position up to max_active_mints).
Coins that waited longer than `max_token_age_seconds` are skipped, as the popular bot does.
It reuses the bot's own stream decoder and transaction code (ChainAccess), so only the
architecture differs: no actors, one process, one event loop.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from loguru import logger


@dataclass
class AsyncioBotCounts:
    seen: int = 0
    bought: int = 0          # buys confirmed on chain
    sold: int = 0
    failed: int = 0          # buys or sells that did not land
    stale: int = 0           # skipped: waited in the queue past max_token_age_seconds
    refused: int = 0         # skipped by the checks
    buy_signatures: list = field(default_factory=list)


class AsyncioBot:
    def __init__(self, settings, max_active: int, max_token_age_seconds: float):
        self.settings = settings
        self.max_active = max_active
        self.max_token_age = max_token_age_seconds
        self.counts = AsyncioBotCounts()
        self.taking = True

    async def run(self, ready, stop) -> AsyncioBotCounts:
        """Trade until `stop()` is true; `ready()` is called once the stream is subscribed."""
        from actors.stream import yellowstone_updates
        from actors.trading_io import ChainAccess
        from adapters.analysis.creators import CreatorHistory, default_path
        self.chain = ChainAccess(self.settings)
        self.creators = CreatorHistory(default_path(self.settings))
        await self.chain.warm_up()
        queue: asyncio.Queue = asyncio.Queue()

        async def read() -> None:
            from messages.stream import Launch
            async for _received_at, decode in yellowstone_updates(self.settings.chain, lambda _s: None):
                for item in decode():
                    if isinstance(item, Launch) and self.taking:
                        self.counts.seen += 1
                        queue.put_nowait(item)

        async def refresh() -> None:   # as the popular bot does: a blockhash kept fresh in the background
            while True:
                await asyncio.sleep(1.0)
                await self.chain.recent_blockhash(max_age=0.0)

        reader = asyncio.ensure_future(read())
        refresher = asyncio.ensure_future(refresh())
        workers = [asyncio.ensure_future(self._work(queue)) for _ in range(self.max_active)]
        await asyncio.sleep(1.0)   # the subscription is open
        ready()
        while not stop():
            await asyncio.sleep(0.1)
        self.taking = False
        while not queue.empty():
            queue.get_nowait()
        for _ in workers:
            queue.put_nowait(None)
        await asyncio.gather(*workers)   # positions still open are held and sold to the end
        reader.cancel()
        refresher.cancel()
        await self.chain.close()
        self.creators.close()
        return self.counts

    async def _work(self, queue: asyncio.Queue) -> None:
        from actors.policy.analysis import decide
        from adapters.analysis.gather import fast_facts
        from adapters.pumpfun import venue
        while (launch := await queue.get()) is not None:
            if time.time() - launch.received_at > self.max_token_age:
                self.counts.stale += 1
                continue
            if venue.policy_refusal(launch, self.settings.trading) \
                    or not decide(fast_facts(launch, self.creators), self.settings.analysis, "fast").buy:
                self.counts.refused += 1
                continue
            try:
                await self._trade(launch)
            except Exception as exc:   # one coin's failure never stops the bot
                self.counts.failed += 1
                logger.warning("asyncio bot: {} failed: {!r}", launch.mint, exc)

    async def _trade(self, launch) -> None:
        buy = await self.chain.prepare_buy(launch)
        self.counts.buy_signatures.append(buy.signature)
        settled = await self.chain.send_and_settle(buy, launch.mint)
        if not settled.ok:
            self.counts.failed += 1
            return
        self.counts.bought += 1
        await asyncio.sleep(self.settings.trading.max_hold_seconds)
        sell = await self.chain.prepare_sell(launch.mint, launch.token_program, buy.amount)
        sold = await self.chain.send_and_settle(sell, launch.mint)
        if sold.ok:
            self.counts.sold += 1
        else:
            self.counts.failed += 1


def run_in_process(settings, max_active: int, max_token_age_seconds: float, ready_event, stop_event,
                   results) -> None:
    """multiprocessing target: the bot in its own process; its counts go back on `results`."""
    logger.remove()
    bot = AsyncioBot(settings, max_active, max_token_age_seconds)
    counts = asyncio.run(bot.run(ready_event.set, stop_event.is_set))
    results.put(counts.__dict__)
