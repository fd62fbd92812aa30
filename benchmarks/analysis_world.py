"""The analysis benchmark's world, in its own process so its CPU is never charged to the analysis:
the local chain (RPC answers delayed 50 ms by the chain's own fault injector, on the server side)
and the HTTP sources (metadata JSON, RugCheck summary, Jupiter search), each answering after 50 ms.

    world = World.start(tokens=400, wallet=pubkey)   # spawns the process, launches the coins
    world.launches, world.rpc_url, world.sources_url, world.cpu_seconds()
    world.stop()                                      # -> source requests served
"""
from __future__ import annotations

import asyncio
import multiprocessing
import time

import orjson
import psutil
from aiohttp import web

SOURCE_LATENCY_S = 0.050
TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"


def _json(payload) -> web.Response:
    return web.Response(body=orjson.dumps(payload), content_type="application/json")


class SlowSources:
    """Metadata JSON, RugCheck summary and Jupiter search, each answered after 50 ms."""

    def __init__(self):
        self.names: dict[str, str] = {}
        self.requests = 0

    async def _slow(self):
        self.requests += 1
        await asyncio.sleep(SOURCE_LATENCY_S)

    async def coin(self, request):
        await self._slow()
        name = self.names.get(request.match_info["mint"], "?")
        return _json({"name": name, "symbol": name[:4].upper(), "image": "https://i/x.png",
                      "twitter": "https://x.com/x"})

    async def rugcheck(self, request):
        await self._slow()
        return _json({"score": 300, "score_normalised": 5, "risks": []})

    async def search(self, request):
        """Jupiter Tokens V2 search: comma-separated mints, one entry per known mint."""
        await self._slow()
        mints = [m for m in request.query.get("query", "").split(",") if m in self.names]
        return _json([{"id": mint, "organicScore": 55.0} for mint in mints])

    async def start(self) -> str:
        from localnet.rpc_server import serve_app
        app = web.Application()
        app.router.add_get("/coins/{mint}.json", self.coin)
        app.router.add_get("/v1/tokens/{mint}/report/summary", self.rugcheck)
        app.router.add_get("/tokens/v2/search", self.search)
        self.runner, port = await serve_app(app, "127.0.0.1", 0)
        return f"http://127.0.0.1:{port}"


async def launch_coins(market, count: int, url: str, sources: SlowSources) -> list:
    from solders.keypair import Keypair

    from adapters.pumpfun import instructions
    from messages.stream import Launch
    creators = [await market.new_wallet(10**9) for _ in range(max(8, count // 25))]   # ~0.02 SOL per create
    launches = []

    async def one(index):
        creator, mint = creators[index % len(creators)], Keypair()
        name = f"Bench{index}"
        uri = f"{url}/coins/{mint.pubkey()}.json"
        sources.names[str(mint.pubkey())] = name
        ix = instructions.build_create(mint.pubkey(), creator.pubkey(), name, name[:4].upper(), uri)
        await market.send_tx(creator, [ix], [creator, mint])
        launches.append(Launch(str(mint.pubkey()), "", str(creator.pubkey()), str(creator.pubkey()), name,
                               name[:4].upper(), uri, TOKEN_PROGRAM, 1_073_000_000_000_000, 30_000_000_000,
                               793_100_000_000_000, "", 0, time.time()))
    for start in range(0, count, 50):
        await asyncio.gather(*(one(i) for i in range(start, min(count, start + 50))))
    return launches


async def _profile_this_thread(profiler, on: bool) -> None:
    profiler.enable() if on else profiler.disable()


def _profiler_from_env(chain):
    """BENCH_WORLD_PROFILE=1: cProfile the chain's loop thread (RPC and the sources are served
    there) while the pools run, printed when the world stops: where its CPU per token goes."""
    import os
    if not os.environ.get("BENCH_WORLD_PROFILE"):
        return None
    import cProfile
    profiler = cProfile.Profile()
    chain.run(_profile_this_thread(profiler, True))
    return profiler


def _print_profile(chain, profiler) -> None:
    import os
    import pstats
    chain.run(_profile_this_thread(profiler, False))
    pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "tottime")).print_stats(40)


def _serve(conn, tokens: int, wallet: str) -> None:
    """The world process: build, report, serve until told to stop."""
    from solders.pubkey import Pubkey

    from localnet.faults import FaultPlan
    from tests.bot.harness import SOL, ChainThread, Market
    plan = FaultPlan()
    chain = ChainThread(faults=plan).start()
    sources = SlowSources()
    try:
        url = chain.run(sources.start())
        market = Market(chain)
        chain.run(market.fund(Pubkey.from_string(wallet), 2 * SOL))
        launches = chain.run(launch_coins(market, tokens, url, sources), timeout=900)
        sources.requests = 0
        plan.update({"rpc": {"latency": f"fixed:{int(SOURCE_LATENCY_S * 1000)}"}})
        conn.send({"rpc_url": chain.node.rpc_url, "ws_url": chain.node.ws_url,
                   "grpc_addr": chain.node.grpc_addr, "sources_url": url, "launches": launches})
        profiler = _profiler_from_env(chain)
        conn.recv()
        if profiler is not None:
            _print_profile(chain, profiler)
        conn.send(sources.requests)
    finally:
        chain.run(sources.runner.cleanup())
        chain.stop()


class _Node:
    """What tests.bot.harness.bot_settings reads of a chain (chain.node.*)."""

    def __init__(self, info: dict):
        self.rpc_url, self.ws_url, self.grpc_addr = info["rpc_url"], info["ws_url"], info["grpc_addr"]


class World:
    def __init__(self, process, conn, info: dict):
        self.process, self.conn = process, conn
        self.node = _Node(info)
        self.sources_url, self.launches = info["sources_url"], info["launches"]
        self.rpc_url = info["rpc_url"]
        self.psutil = psutil.Process(process.pid)

    @classmethod
    def start(cls, tokens: int, wallet: str) -> "World":
        context = multiprocessing.get_context("spawn")   # a fresh interpreter: no thread or actor state
        ours, theirs = context.Pipe()
        process = context.Process(target=_serve, args=(theirs, tokens, wallet), daemon=True)
        process.start()
        deadline = time.monotonic() + 900
        while not ours.poll(1):
            if not process.is_alive() or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the benchmark world did not start (see its traceback above)")
        return cls(process, ours, ours.recv())

    def cpu_seconds(self) -> float:
        times = self.psutil.cpu_times()
        return times.user + times.system

    def stop(self) -> int:
        try:
            self.conn.send("stop")
            requests = self.conn.recv() if self.conn.poll(10) else -1
        finally:
            self.process.join(10)
            if self.process.is_alive():
                self.process.kill()
        return requests
