"""Analysis sources over real loopback HTTP: rate limit, 429 back-off, per-mint cache, the per-token
deadline with a hanging source, and the creator history surviving a restart."""
from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from aiohttp import web

from actors.policy.analysis import decide
from adapters.analysis import sources
from adapters.analysis.creators import CreatorHistory
from adapters.analysis.gather import Analyst
from adapters.analysis.limits import Source, TokenBucket, TtlCache
from config.settings import load_settings
from localnet.rpc_server import serve_app
from tests.bot.harness import SOL, ChainThread, Market
from tests.bot.test_messages import make_launch

pytestmark = pytest.mark.timeout(60)


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_token_bucket_refills_at_its_rate_and_pauses():
    clock = Clock()
    bucket = TokenBucket(rate=10, burst=2, clock=clock)
    assert bucket.wait_seconds() == 0 and bucket.wait_seconds() == 0    # the burst
    assert bucket.wait_seconds() == pytest.approx(0.1)
    clock.now += 0.1
    assert bucket.wait_seconds() == 0
    bucket.pause(1.5)
    assert bucket.wait_seconds() == pytest.approx(1.5)


def test_a_batch_costs_one_token_per_request_and_its_debt_is_waited_out():
    clock = Clock()
    bucket = TokenBucket(rate=2, clock=clock)          # burst 2, a batch of 4 requests
    assert bucket.wait_seconds(4) == 0                 # goes out at once, leaves a debt of 2
    assert bucket.wait_seconds(4) == pytest.approx(1.5)   # (1 - (-2)) / 2 per second
    clock.now += 1.5
    assert bucket.wait_seconds(4) == 0
    clock.now += 10                                    # refill stops at the burst
    assert bucket.wait_seconds(1) == 0 and bucket.wait_seconds(1) == 0
    assert bucket.wait_seconds(1) > 0


def test_cache_expires_after_ttl_and_shares_inflight_lookups():
    clock, calls = Clock(), []

    async def load():
        calls.append(1)
        await asyncio.sleep(0.01)
        return len(calls)

    async def run():
        cache = TtlCache(ttl=5, clock=clock)
        first = await asyncio.gather(*(cache.get("m", load) for _ in range(3)))
        again = await cache.get("m", load)
        clock.now += 6
        expired = await cache.get("m", load)
        return first, again, expired, cache.hits, cache.misses
    assert asyncio.run(run()) == ([1, 1, 1], 1, 2, 3, 2)


def test_cache_forgets_expired_entries_as_new_ones_come():
    """Memory follows the launch rate times the ttl, not the run's length."""
    clock = Clock()

    async def load():
        return "facts"

    async def run():
        cache = TtlCache(ttl=5, clock=clock)
        for second in range(100):
            clock.now += 1
            await cache.get(f"mint-{second}", load)
        return len(cache._items)
    assert asyncio.run(run()) <= 6


class Service:
    """A loopback HTTP service answering 429 `limited` times, then the document; or hanging."""

    def __init__(self, limited: int = 0, hang: bool = False, retry_after: str | None = "0.1"):
        self.limited, self.hang, self.retry_after = limited, hang, retry_after
        self.requests = 0

    async def handle(self, request):
        self.requests += 1
        if self.hang:
            await asyncio.sleep(30)
        if self.limited > 0:
            self.limited -= 1
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            return web.json_response({"error": "slow down"}, status=429, headers=headers)
        return web.json_response({"score_normalised": 7, "mint": request.match_info.get("mint")})

    async def start(self):
        app = web.Application()
        app.router.add_get("/v1/tokens/{mint}/report/summary", self.handle)
        app.router.add_post("/", self.handle)
        self.runner, port = await serve_app(app, "127.0.0.1", 0)
        return f"http://127.0.0.1:{port}"


def test_429_backs_off_then_succeeds_and_the_answer_is_cached():
    async def run():
        service = Service(limited=2)
        url = await service.start()
        source = Source("rugcheck", rate=100, ttl=30)
        async with aiohttp.ClientSession() as session:
            started = time.monotonic()
            report = await source.fetch("M1", lambda: sources.rugcheck_summary(session, url, "M1"))
            elapsed = time.monotonic() - started
            cached = await source.fetch("M1", lambda: sources.rugcheck_summary(session, url, "M1"))
        await service.runner.cleanup()
        return report, cached, elapsed, service.requests, source.rate_limited, source.cache.hits
    report, cached, elapsed, requests, limited, hits = asyncio.run(run())
    assert report == cached == {"score_normalised": 7, "mint": "M1"}
    assert limited == 2 and requests == 3 and hits == 1       # the cached answer asked nobody
    assert elapsed >= 0.2                                    # two Retry-After pauses of 0.1 s


def test_429_without_retry_after_doubles_its_backoff():
    async def run():
        service = Service(limited=3, retry_after=None)
        url = await service.start()
        source = Source("rugcheck", rate=100, ttl=0)
        async with aiohttp.ClientSession() as session:
            started = time.monotonic()
            await source.fetch("M", lambda: sources.rugcheck_summary(session, url, "M"))
            elapsed = time.monotonic() - started
        await service.runner.cleanup()
        return elapsed
    assert asyncio.run(run()) >= 0.05 + 0.1 + 0.2 - 0.01    # 50, 100, 200 ms


@pytest.fixture
def chain():
    chain = ChainThread().start()
    yield chain
    chain.stop()


def test_a_hanging_source_leaves_a_partial_result_decided_by_policy(chain, tmp_path):
    market = Market(chain)
    creator = chain.run(market.new_wallet(SOL))
    mint = chain.run(market.launch(creator, "Part"))
    hanging = Service(hang=True)
    hang_url = chain.run(hanging.start())
    settings = load_settings(env={}, overrides={
        "chain.rpc_urls": [chain.node.rpc_url], "chain.rugcheck_url": hang_url,
        "analysis.honeypot_check": False, "run.runs_dir": str(tmp_path)})
    launch = make_launch(mint=mint)
    launch = launch.__class__(**{**launch.__dict__, "creator": str(creator.pubkey()),
                                 "token_program": "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
                                 "name": "Part", "symbol": "PART"})

    async def gather(settings_):
        analyst = Analyst(settings_)
        analyst.open()      # a worker opens its clients when it starts, not on the first launch
        try:
            started = time.monotonic()
            facts = await analyst.gather(launch, 0.3)
            return facts, time.monotonic() - started
        finally:
            await analyst.close()

    facts, elapsed = asyncio.run(gather(settings))         # own loop, as in a worker process
    assert elapsed < 1.3    # the 0.3 s deadline, not the 30 s hang (slack for a loaded CI machine)
    assert "rugcheck" not in facts and "mint" in facts and "holders" in facts
    decision = decide(facts, settings.analysis)
    assert decision.buy and "rugcheck" in decision.missing  # optional: weights renormalised
    # the chain itself hangs: the critical checks are missing, so no buy
    dead_chain = settings.replace(**{"chain.rpc_urls": (hang_url,)})
    facts, elapsed = asyncio.run(gather(dead_chain))
    assert elapsed < 1.3 and "mint" not in facts
    decision = decide(facts, dead_chain.analysis)
    assert not decision.buy
    assert {"missing_authority", "missing_holders"} <= set(decision.skip_keys)
    chain.run(hanging.runner.cleanup())


def test_creator_history_survives_a_restart(tmp_path):
    path = tmp_path / "creators.sqlite3"
    history = CreatorHistory(path)
    for mint in ("A", "B", "B", "C"):                       # B re-analysed: counted once
        history.record_launch(mint, "creator1")
    history.record_launch("D", "creator2")
    history.mark_rug("C", "creator1")
    history.close()
    reopened = CreatorHistory(path)
    assert reopened.history("creator1") == (3, 1)
    assert reopened.history("creator1", excluding_mint="A") == (2, 1)
    assert reopened.history("creator2") == (1, 0) and reopened.history("nobody") == (0, 0)
    reopened.close()


def test_launches_recorded_on_the_writer_thread_count_before_and_after_they_are_written(tmp_path):
    """LaunchRecorder (the stream's creator-history writes): while another process holds the
    file's write lock the caller is not stalled and the queued launches still count; once the lock
    is free they are in the file, and close() waits for them."""
    import sqlite3
    from adapters.analysis.creators import LaunchRecorder
    path = tmp_path / "creators.sqlite3"
    CreatorHistory(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    recorder = LaunchRecorder(path)
    for mint in ("A", "B"):   # queued (a write now would wait for the lock, then fail)
        recorder.record_launch(mint, "creator1")
    assert recorder.unwritten("creator1") == 2 and recorder.unwritten("creator1", excluding_mint="A") == 1
    holder.execute("COMMIT")
    recorder.close()
    assert recorder.unwritten("creator1") == 0 and recorder.failures == 0
    history = CreatorHistory(path)
    assert history.history("creator1") == (2, 0)
    history.close()


def test_a_source_that_always_answers_429_gives_up():
    async def run():
        service = Service(limited=100, retry_after="0.01")
        url = await service.start()
        source = Source("rugcheck", rate=1000, ttl=30)
        async with aiohttp.ClientSession() as session:
            with pytest.raises(Exception, match="429"):
                await source.fetch("M", lambda: sources.rugcheck_summary(session, url, "M"))
        await service.runner.cleanup()
        return service.requests
    assert asyncio.run(run()) == 5


async def test_a_lookup_that_fails_after_its_asker_gave_up_leaves_no_unread_error():
    """The per-token deadline cancels the asker; the shared lookup fails later: no 'Task exception
    was never retrieved' (asyncio logs that at garbage collection)."""
    import asyncio
    import gc

    from adapters.analysis.limits import TtlCache
    errors = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: errors.append(context.get("message")))

    async def fails_later():
        await asyncio.sleep(0.05)
        raise TimeoutError("source timed out")

    cache = TtlCache(ttl=30)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(cache.get("mint", fails_later), timeout=0.01)
    await asyncio.sleep(0.1)
    gc.collect()
    await asyncio.sleep(0)
    assert errors == []
