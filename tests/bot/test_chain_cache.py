"""The bot's shared chain values (actors/chain_cache.py, actors/chain_refresher.py) in a running bot
on the local chain: spares and live positions warm up from them instead of each reading the chain,
their buys and sells land with exact books, a killed ChainCacheActor is restarted while the
positions read the chain themselves, and a value past its age is never used."""
from __future__ import annotations

import collections
import json
import time

import orjson
import pytest
from aiohttp import web

from actors.chain_cache import SHARED_MAX_AGE_SECONDS, SharedChainValues, cache_path, write_cache
from actors.trading_io import ChainAccess, account_data
from adapters.pumpfun import addresses
from localnet.faults_rpc import WORLD_TRAFFIC_HEADER
from tests.bot.harness import bot_world
from tests.bot.test_e2e import assert_books_balance, child_pids, trade_session

pytestmark = pytest.mark.timeout(120)
SPARES = 8


def bot_rpc_counter():
    """(aiohttp middleware, Counter): JSON-RPC methods the bot asked for (the market's own traffic,
    marked with WORLD_TRAFFIC_HEADER, is not counted)."""
    calls = collections.Counter()

    @web.middleware
    async def count(request: web.Request, handler):
        if request.headers.get(WORLD_TRAFFIC_HEADER) != "1":
            try:
                body = orjson.loads(await request.read())
                for item in body if isinstance(body, list) else [body]:
                    calls[item.get("method")] += 1
            except (ValueError, AttributeError):
                pass
        return await handler(request)
    return count, calls


def blockhash_reads_over(calls, seconds: float) -> int:
    before = calls["getLatestBlockhash"]
    time.sleep(seconds)
    return calls["getLatestBlockhash"] - before


@pytest.fixture
def counted_world(tmp_path):
    middleware, calls = bot_rpc_counter()
    with bot_world(tmp_path, chain_options={"rpc_middlewares": (middleware,)},
                   **{"analysis.mode": "fast", "trading.min_warm_spares": SPARES}) as world:
        yield world, calls


def test_spares_and_positions_warm_from_the_shared_values_and_trade_exactly(counted_world):
    world, calls = counted_world
    start_balance = world.chain.run(world.market.balance(world.keypair.pubkey()))
    world.bot.start(world.settings)
    world.bot.wait_until_streaming(world.chain, world.market)
    path = cache_path(world.settings)
    assert path is not None and path.exists()
    # 8 warm spares used to read a blockhash each every second (16+ in 2 s); now one reader, twice a second
    assert blockhash_reads_over(calls, 2.0) <= 6, calls
    status, _ = trade_session(world.bot, world.chain, world.market, 3)
    assert status.bought >= 2 and status.sold == status.bought, status
    assert status.lifecycle.get("fast_path_opens", 0) == status.bought, status.lifecycle
    assert not status.failures, status.failures
    assert_books_balance(world.chain, world.market, world.keypair, start_balance, status)


def test_a_killed_chain_cache_is_restarted_and_positions_read_the_chain_meanwhile(counted_world):
    world, calls = counted_world
    start_balance = world.chain.run(world.market.balance(world.keypair.pubkey()))
    world.bot.start(world.settings)
    world.bot.wait_until_streaming(world.chain, world.market)
    first = child_pids(world.bot)["chain_cache"]
    status, killed = trade_session(world.bot, world.chain, world.market, 3, kill="chain_cache")
    assert killed == ("chain_cache", first)
    assert status.bought >= 2 and status.sold == status.bought, status
    assert status.restarts.get("chain_cache") == 1, status.restarts
    assert_books_balance(world.chain, world.market, world.keypair, start_balance, status)
    restarted = child_pids(world.bot)["chain_cache"]
    assert restarted != first
    world.bot.resume_buying()
    assert blockhash_reads_over(calls, 2.0) <= 6, calls   # the restarted one serves the spares again


def test_a_value_past_its_age_is_never_used(tmp_path):
    """Without a writer the file ages out: a reader refuses it and leaves its own values alone."""
    with bot_world(tmp_path) as world:
        settings = world.settings
        chain = ChainAccess(settings)
        world.chain.run(chain.warm_up())   # no file yet: read from the chain
        own = chain._blockhash
        assert chain.shared.misses == 1 and chain.shared.uses == 0
        writer = ChainAccess(settings, shared=False)
        world.chain.run(writer.warm_up())
        data = world.chain.run(account_data(writer.rpc, addresses.GLOBAL))
        recent = writer._blockhash[1]
        cache_path(settings).parent.mkdir(parents=True, exist_ok=True)
        write_cache(cache_path(settings), recent, data, time.time(), 7, time.time())
        assert SharedChainValues(cache_path(settings)).apply(chain)   # fresh: taken
        assert chain._blockhash[1].blockhash == recent.blockhash
        chain._blockhash = own
        values = json.loads(cache_path(settings).read_text())
        values["blockhash_read_at"] -= SHARED_MAX_AGE_SECONDS + 0.1   # the writer stopped refreshing
        cache_path(settings).write_text(json.dumps(values))
        assert not chain.warm_from_shared() and chain._blockhash is own
        world.chain.run(chain.close())
        world.chain.run(writer.close())
