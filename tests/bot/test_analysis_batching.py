"""The analyses of one loop turn share requests: one JSON-RPC batch POST for every coin's account
reads, holders and honeypot probe, one Jupiter Tokens search for every coin's mint (the local
chain's Jupiter-compatible service, comma-separated query); each coin keeps its own answer, so a
coin that does not exist fails alone. Rate limits: an RPC batch counts each request (providers
bill each), a Jupiter query counts once (Jupiter limits requests per API key)."""
from __future__ import annotations

import asyncio
import dataclasses

import pytest
from solders.keypair import Keypair

from adapters.analysis.coalesce import Coalescer
from adapters.analysis.gather import Analyst
from adapters.analysis.limits import TokenBucket
from tests.bot.harness import SOL, ChainThread, Market, bot_settings, new_bot_wallet
from tests.bot.test_messages import make_launch

pytestmark = pytest.mark.timeout(60)
TOKEN = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("batching")
    chain = ChainThread(api_port=0).start()          # with the RugCheck/Jupiter-compatible services
    try:
        market = Market(chain)
        keypair, path = new_bot_wallet(tmp)
        chain.run(market.fund(keypair.pubkey(), 2 * SOL))
        creator = chain.run(market.new_wallet(SOL))
        launches = []
        for index in range(6):
            name = f"Batch{index}"
            mint = chain.run(market.launch(creator, name))
            launches.append(dataclasses.replace(make_launch(mint=mint), creator=str(creator.pubkey()), name=name,
                                                symbol=name[:4].upper(), uri="", token_program=TOKEN))
        settings = bot_settings(chain, path, tmp / "runs", **{
            "chain.jupiter_url": chain.node.api_url, "analysis.deadline_ms": 3_000})
        yield chain, launches, settings
    finally:
        chain.stop()


def gather_turns(settings, turns, prepare=lambda analyst: None, trace_configs=()):
    """Each turn's launches gathered at once (one loop turn); -> (results per turn, analyst counters)."""
    async def run():
        analyst = Analyst(settings)
        analyst.trace_configs = trace_configs
        await analyst.warm_up()
        prepare(analyst)
        posts0 = analyst.rpc_batches.requests
        results = []
        for launches in turns:
            results.append(await asyncio.gather(*(analyst.gather(launch, 3.0) for launch in launches),
                                                return_exceptions=True))
        counts = {"posts": analyst.rpc_batches.requests - posts0, "searches": analyst.searches.requests,
                  "rpc_tokens": analyst.rpc_source.bucket.tokens, "jupiter_tokens": analyst.jupiter_source.bucket.tokens}
        await analyst.close()
        return results, counts
    return asyncio.run(run())


def test_a_turns_coins_share_one_batch_and_one_search_and_a_missing_coin_fails_alone(world):
    _chain, launches, settings = world
    ghost = dataclasses.replace(launches[0], mint=str(Keypair().pubkey()))   # no such mint on the chain
    turn = [launches[0], ghost, launches[1], launches[2]]
    (results,), counts = gather_turns(settings, [turn])
    assert counts["posts"] == 1 and counts["searches"] == 1
    assert isinstance(results[1], LookupError)                  # the ghost: its own failure only
    for launch, facts in zip(turn, results):
        if launch is ghost:
            continue
        assert facts["mint"].supply > 0 and "holders" in facts
        sells, _loss_bps, _error = facts["honeypot"]             # its own probe, from the shared batch
        assert sells
        assert facts["organic"]["id"] == launch.mint             # its own entry of the shared search


def test_a_batch_counts_each_rpc_request_but_a_jupiter_query_once(world):
    _chain, launches, settings = world
    settings = settings.replace(**{"analysis.honeypot_check": False})   # 2 RPC requests per coin
    frozen = lambda: 1_000.0      # noqa: E731  no refill: the buckets show exactly what was taken

    def fixed_buckets(analyst):
        analyst.rpc_source.bucket = TokenBucket(10, clock=frozen)
        analyst.jupiter_source.bucket = TokenBucket(10, clock=frozen)
    (results,), counts = gather_turns(settings, [launches[3:6]], fixed_buckets)
    assert all(facts["organic"]["id"] == launch.mint for launch, facts in zip(launches[3:6], results))
    assert counts["posts"] == 1 and counts["searches"] == 1
    assert counts["rpc_tokens"] == 10 - 3 * 2                    # getMultipleAccounts + getTokenLargestAccounts each
    assert counts["jupiter_tokens"] == 10 - 1                    # one query for the three mints


def test_the_coalescer_splits_at_its_limit_and_a_failed_request_fails_only_its_members():
    sent = []

    async def send(items):
        sent.append(list(items))
        if "boom" in items:
            raise ConnectionError("request failed")
        return [ValueError(item) if item.startswith("bad") else item.upper() for item in items]

    async def run():
        coalescer = Coalescer(send, max_weight=3)
        futures = [coalescer.ask(item) for item in ("a", "bad-b", "c", "d", "boom", "e")]
        return await asyncio.gather(*futures, return_exceptions=True)
    results = asyncio.run(run())
    assert sent == [["a", "bad-b", "c"], ["d", "boom", "e"]]
    assert results[0] == "A" and results[2] == "C" and isinstance(results[1], ValueError)
    assert all(isinstance(result, ConnectionError) for result in results[3:])


def test_a_full_post_stays_under_agaves_request_body_cap(world):
    """MAX_RPC_CALLS_PER_POST: 16 coins with the probe fit in Agave's 50 KiB JSON-RPC body."""
    import orjson

    from actors.trading_io import curve_from_launch
    from adapters.analysis import honeypot, sources
    from adapters.analysis.coalesce import MAX_RPC_CALLS_PER_POST
    _chain, launches, settings = world

    async def calls_per_coin():
        analyst = Analyst(settings)
        await analyst.warm_up()
        launch = launches[0]
        probe, _plan = honeypot.probe_calls(analyst.owner, launch, curve_from_launch(launch), analyst.global_,
                                            settings.analysis.honeypot_probe_lamports)
        await analyst.close()
        return sources.chain_calls(launch) + probe
    calls = asyncio.run(calls_per_coin())
    coins = MAX_RPC_CALLS_PER_POST // len(calls)
    body = orjson.dumps([{"jsonrpc": "2.0", "id": i, "method": method, "params": params}
                         for i, (method, params) in enumerate(calls * coins)])
    assert coins == 16 and len(body) < 50 * 1024, len(body)


def test_a_window_joins_asks_of_later_turns_and_none_joins_only_one_turn():
    async def run(window_s):
        sent = []

        async def send(items):
            sent.append(list(items))
            return items
        coalescer = Coalescer(send, max_weight=10, window_s=window_s)
        first = coalescer.ask("a")
        await asyncio.sleep(0.005)                  # a later turn, inside a 50 ms window
        await asyncio.gather(first, coalescer.ask("b"))
        return sent
    assert asyncio.run(run(0.05)) == [["a", "b"]]
    assert asyncio.run(run(0.0)) == [["a"], ["b"]]


def test_a_turns_rpc_batch_is_written_before_its_http_sources_requests(world):
    """The RPC answer comes last (the honeypot simulation), so the turn's RPC POST leaves before
    its GETs, and its one Jupiter search before the per-coin GETs (RugCheck): a burst's GETs would
    otherwise spend the bot's CPU ahead of them (`bench_analysis --trace`: ~10-15 ms at 32 coins).
    Seen on the wire by aiohttp's request tracing."""
    import aiohttp
    chain, launches, settings = world
    settings = settings.replace(**{"chain.rugcheck_url": chain.node.api_url})
    written = []

    async def body_written(_session, _context, params):
        written.append(params.method)

    async def headers_written(_session, _context, params):
        if params.method == "GET":        # a POST's headers wait for its body (one write)
            written.append("search" if params.url.path.endswith("/search") else "GET")
    tracing = aiohttp.TraceConfig()
    tracing.on_request_chunk_sent.append(body_written)
    tracing.on_request_headers_sent.append(headers_written)
    # the first turn opens the keep-alive connections (a GET that must connect first would lose anyway)
    (first, second), _counts = gather_turns(settings, [launches[:3], launches[3:6]],
                                            lambda _analyst: written.clear(), (tracing,))
    assert all(not isinstance(facts, Exception) and "rugcheck" in facts for facts in first + second)
    assert len(written) == 10, written        # per turn: 1 POST, 3 RugCheck summaries, 1 search
    # the turn's two shared requests (either first: both are small to write) before any per-coin GET
    assert sorted(written[5:7]) == ["POST", "search"] and written[7:] == ["GET"] * 3, written


def test_a_workers_jobs_settling_in_one_turn_are_decided_in_one_wake_up_and_answered_in_one_message(world):
    """The coins of one JSON-RPC batch (and one search) settle in one loop turn: the worker hands
    them to its actor thread in one post, which answers the asker in one AnalysisDecisions and the
    pool in one JobDone. The worker runs outside an actor system here: its post and send are
    recorded (the addresses are plain strings), its Analyst is the real one on the local chain."""
    import time

    from actors.analyzer import AnalyzerWorker
    from messages.analysis import AnalysisDecisions, AnalysisJob, AnalyzeLaunch, JobDone
    chain, launches, settings = world
    worker, posts, sent = AnalyzerWorker(), [], []
    worker.post = lambda fn, *args: posts.append((fn, args))
    worker.send = lambda to, msg: sent.append((to, msg))
    jobs = [AnalysisJob(AnalyzeLaunch(f"r{i}", launch, settings), "asker") for i, launch in enumerate(launches[:4])]

    async def run():
        analyst = Analyst(settings)
        await analyst.warm_up()
        await worker._gather_each(analyst, jobs, "pool", time.monotonic())
        await asyncio.sleep(0)   # the post is queued behind the turn's settlings
        await analyst.close()
    asyncio.run(run())
    assert [fn.__name__ for fn, _ in posts] == ["_settled"], posts
    while posts:                 # as the actor thread drains its completions
        fn, args = posts.pop(0)
        fn(*args)
    assert [to for to, _ in sent] == ["asker", "pool"], sent
    decisions, done = sent[0][1], sent[1][1]
    assert isinstance(decisions, AnalysisDecisions) and isinstance(done, JobDone)
    assert sorted(d.request_id for d in decisions.answers) == ["r0", "r1", "r2", "r3"], decisions
    assert sorted((done.request_id, *done.more)) == ["r0", "r1", "r2", "r3"]
