"""The analysis benchmark's world, in processes of its own so its CPU is never charged to the
analysis: the local chain (JSON-RPC) and the HTTP sources (metadata JSON, RugCheck summary, Jupiter
search), each answering 50 ms after a request arrives, its work included (Delay's models).

processes=1 serves the sources on the chain's loop (one process, one loop: every request of a
burst queues behind the others'); processes=2 gives the sources a process of their own, as on
mainnet, where the RPC provider and each source are separate services.

    world = World.start(tokens=400, wallet=pubkey, processes=2, model="answer_at",
                        sources_server="lean", cores={1})           # spawns, launches
    world.launches, world.rpc_url, world.sources_url, world.cpu_seconds(), world.cpu_parts()
    world.affinity()                                               # -> the cores its threads may use
    world.stop()                                                   # -> source requests served

cores: the CPUs every thread of the world's processes is pinned to (None: any), so a machine with
cores to spare can give the bot cores the world never takes, as on mainnet.

A request carrying the TRACE_HEADER is answered with the world's own times in that header
(time.monotonic(), the machine-wide clock every process shares): received (the middleware started:
the server has read and parsed the request), worked (seconds the handler took: for RPC the batch's
methods) and answered (the answer about to be written, the latency served).
benchmarks/analysis_trace.py reads them.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from urllib.parse import parse_qs

import orjson
import psutil
from aiohttp import web

SOURCE_LATENCY_S = 0.050
TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
TRACE_HEADER = "x-bench-trace"


class Delay:
    """An aiohttp middleware giving every request (while `on`) the source's latency, in one of two
    models, and stamping it when traced; counts the requests it delayed.

    answer_at (default): the answer leaves `seconds` after the request arrived, the handler's work
        included, as a provider quoted at 50 ms answers: the work runs first, then the rest of the
        50 ms is slept (work longer than 50 ms answers late: the world is then the queue).
    wait_then_work: the request sleeps `seconds`, then the handler works: 50 ms plus the work (the
        model before; a serial chain's batch work then adds to every token's time)."""

    MODELS = ("answer_at", "wait_then_work")

    def __init__(self, seconds: float, on: bool = True, model: str = "answer_at"):
        if model not in self.MODELS:
            raise ValueError(f"latency model {model!r}: one of {', '.join(self.MODELS)}")
        self.seconds, self.on, self.model, self.requests = seconds, on, model, 0

    @web.middleware
    async def middleware(self, request: web.Request, handler):
        received = time.monotonic()
        if self.on:
            self.requests += 1
        if self.on and self.model == "wait_then_work":
            await asyncio.sleep(self.seconds)
        work_started = time.monotonic()
        response = await handler(request)
        worked = time.monotonic() - work_started
        if self.on and self.model == "answer_at":
            await asyncio.sleep(max(0.0, received + self.seconds - time.monotonic()))
        if TRACE_HEADER in request.headers:
            response.headers[TRACE_HEADER] = f"{received:.6f},{worked:.6f},{time.monotonic():.6f}"
        return response


class SlowSources:
    """Metadata JSON, RugCheck summary and Jupiter search, each answered after 50 ms; served by the
    lean server (benchmarks/analysis_sources_server.py, the default) or aiohttp.web ("aiohttp")."""

    SERVERS = ("lean", "aiohttp")

    def __init__(self, model: str = "answer_at", server: str = "lean"):
        if server not in self.SERVERS:
            raise ValueError(f"sources server {server!r}: one of {', '.join(self.SERVERS)}")
        self.names: dict[str, str] = {}
        self.model, self.server = model, server
        self.delay = Delay(SOURCE_LATENCY_S, model=model)
        self.lean = None

    @property
    def requests(self) -> int:
        return self.lean.requests if self.lean is not None else self.delay.requests

    def route(self, path: str, query: str) -> tuple[int, bytes]:
        """(status, JSON body) of a GET: the sources' answers, whichever server carries them."""
        if path.startswith("/coins/") and path.endswith(".json"):
            name = self.names.get(path[len("/coins/"):-len(".json")], "?")
            return 200, orjson.dumps({"name": name, "symbol": name[:4].upper(), "image": "https://i/x.png",
                                      "twitter": "https://x.com/x"})
        if path.startswith("/v1/tokens/") and path.endswith("/report/summary"):
            return 200, orjson.dumps({"score": 300, "score_normalised": 5, "risks": []})
        if path == "/tokens/v2/search":   # Jupiter Tokens V2: comma-separated mints, one entry per known mint
            wanted = parse_qs(query).get("query", [""])[0]
            return 200, orjson.dumps([{"id": mint, "organicScore": 55.0}
                                      for mint in wanted.split(",") if mint in self.names])
        return 404, b'{"error":"not found"}'

    async def _aiohttp_route(self, request):
        status, body = self.route(request.path, request.query_string)
        return web.Response(status=status, body=body, content_type="application/json")

    async def start(self) -> str:
        if self.server == "lean":
            from benchmarks.analysis_sources_server import LeanServer
            self.lean = LeanServer(self.route, SOURCE_LATENCY_S, self.model, TRACE_HEADER)
            return await self.lean.start()
        from localnet.rpc_server import serve_app
        app = web.Application(middlewares=[self.delay.middleware])
        app.router.add_get("/{tail:.*}", self._aiohttp_route)
        self.runner, port = await serve_app(app, "127.0.0.1", 0)
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.lean is not None:
            await self.lean.stop()
        else:
            await self.runner.cleanup()


async def launch_coins(market, count: int, url: str) -> tuple[list, dict]:
    """(the Launch events, {mint: name}) of `count` coins whose metadata uri is on `url`."""
    from solders.keypair import Keypair

    from adapters.pumpfun import instructions
    from messages.stream import Launch
    creators = [await market.new_wallet(10**9) for _ in range(max(8, count // 25))]   # ~0.02 SOL per create
    launches, names = [], {}

    async def one(index):
        creator, mint = creators[index % len(creators)], Keypair()
        name = f"Bench{index}"
        uri = f"{url}/coins/{mint.pubkey()}.json"
        names[str(mint.pubkey())] = name
        ix = instructions.build_create(mint.pubkey(), creator.pubkey(), name, name[:4].upper(), uri)
        await market.send_tx(creator, [ix], [creator, mint])
        launches.append(Launch(str(mint.pubkey()), "", str(creator.pubkey()), str(creator.pubkey()), name,
                               name[:4].upper(), uri, TOKEN_PROGRAM, 1_073_000_000_000_000, 30_000_000_000,
                               793_100_000_000_000, "", 0, time.time()))
    for start in range(0, count, 50):
        await asyncio.gather(*(one(i) for i in range(start, min(count, start + 50))))
    return launches, names


async def _profile_this_thread(profiler, on: bool) -> None:
    profiler.enable() if on else profiler.disable()


def _profiler_from_env(run):
    """BENCH_WORLD_PROFILE=1: cProfile a world process's loop thread (run: runs a coroutine on it)
    while the pools run, printed when the world stops: where its CPU per token goes."""
    if not os.environ.get("BENCH_WORLD_PROFILE"):
        return None
    import cProfile
    profiler = cProfile.Profile(time.thread_time)   # CPU, not wall: waits for a core left out
    run(_profile_this_thread(profiler, True))
    return profiler


def _print_profile(run, profiler, title: str) -> None:
    import pstats
    run(_profile_this_thread(profiler, False))
    print(f"--- world profile: {title}")
    pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "tottime")).print_stats(40)


def _pin(cores) -> None:
    """Pin this process before it starts a thread: its threads inherit the main thread's cores."""
    if cores:
        os.sched_setaffinity(0, cores)


def _freeze_set_up() -> None:
    """The world's set-up (the chain's 100-200k objects after launching the coins) out of the
    cyclic GC's reach: a full collection scanning it paused the chain 40-130 ms in a run, a
    stall of our stand-in for providers, not of the bot."""
    import gc
    gc.collect()
    gc.freeze()


def _serve_chain(conn, tokens: int, wallet: str, sources_url: str | None, model: str,
                 sources_server: str = "lean", cores=None) -> None:
    """The chain's process: build, launch, report, serve until told to stop. With sources_url
    None the sources are served here too, on the chain's loop."""
    _pin(cores)
    from solders.pubkey import Pubkey

    from tests.bot.harness import SOL, ChainThread, Market
    rpc_delay = Delay(SOURCE_LATENCY_S, on=False, model=model)    # on once the coins are launched
    chain = ChainThread(rpc_middlewares=(rpc_delay.middleware,)).start()
    sources = SlowSources(model, sources_server) if sources_url is None else None
    try:
        url = chain.run(sources.start()) if sources is not None else sources_url
        market = Market(chain)
        chain.run(market.fund(Pubkey.from_string(wallet), 2 * SOL))
        launches, names = chain.run(launch_coins(market, tokens, url), timeout=900)
        if sources is not None:
            sources.names = names
        rpc_delay.on = True
        _freeze_set_up()
        conn.send({"rpc_url": chain.node.rpc_url, "ws_url": chain.node.ws_url, "grpc_addr": chain.node.grpc_addr,
                   "sources_url": url, "launches": launches, "names": names})
        profiler = _profiler_from_env(chain.run)
        conn.recv()
        if profiler is not None:
            _print_profile(chain.run, profiler, "the chain" + (" and the sources" if sources else ""))
        conn.send(sources.requests if sources is not None else None)
    finally:
        if sources is not None:
            chain.run(sources.stop())
        chain.stop()


def _serve_sources(conn, model: str, sources_server: str = "lean", cores=None) -> None:
    """The sources' process: serve on its own loop; names of the coins come once launched."""
    _pin(cores)
    loop = asyncio.new_event_loop()
    sources = SlowSources(model, sources_server)
    try:
        conn.send(loop.run_until_complete(sources.start()))
        sources.names = loop.run_until_complete(loop.run_in_executor(None, conn.recv))
        _freeze_set_up()
        profiler = _profiler_from_env(loop.run_until_complete)
        loop.run_until_complete(loop.run_in_executor(None, conn.recv))   # "stop"
        if profiler is not None:
            _print_profile(loop.run_until_complete, profiler, "the sources")
        conn.send(sources.requests)
    finally:
        loop.run_until_complete(sources.stop())
        loop.close()


class _Node:
    """What tests.bot.harness.bot_settings reads of a chain (chain.node.*)."""

    def __init__(self, info: dict):
        self.rpc_url, self.ws_url, self.grpc_addr = info["rpc_url"], info["ws_url"], info["grpc_addr"]


def _spawn(target, args: tuple, what: str):
    """(process, our end of its pipe, its first message)."""
    context = multiprocessing.get_context("spawn")   # a fresh interpreter: no thread or actor state
    ours, theirs = context.Pipe()
    process = context.Process(target=target, args=(theirs, *args), daemon=True)
    process.start()
    deadline = time.monotonic() + 900
    while not ours.poll(1):
        if not process.is_alive() or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the benchmark world's {what} did not start (see its traceback above)")
    return process, ours, ours.recv()


class World:
    def __init__(self, chain: tuple, sources: tuple | None, info: dict):
        self.parts = {"chain": chain, **({"sources": sources} if sources else {})}   # name: (process, conn)
        self.node = _Node(info)
        self.sources_url, self.launches = info["sources_url"], info["launches"]
        self.rpc_url = info["rpc_url"]
        self.psutil = {name: psutil.Process(process.pid) for name, (process, _) in self.parts.items()}

    @property
    def processes(self) -> int:
        return len(self.parts)

    @classmethod
    def start(cls, tokens: int, wallet: str, processes: int = 1, model: str = "answer_at",
              sources_server: str = "lean", cores=None) -> "World":
        sources = None
        if processes == 2:
            *sources, url = _spawn(_serve_sources, (model, sources_server, cores), "sources")
        chain_process, chain_conn, info = _spawn(_serve_chain, (tokens, wallet, url if sources else None, model,
                                                                sources_server, cores),
                                                 "chain")
        if sources:
            sources[1].send(info["names"])
        return cls((chain_process, chain_conn), tuple(sources) if sources else None, info)

    def cpu_parts(self) -> dict[str, float]:
        """CPU seconds of each world process so far: {"chain": s[, "sources": s]}."""
        parts = {}
        for name, process in self.psutil.items():
            times = process.cpu_times()
            parts[name] = times.user + times.system
        return parts

    def affinity(self) -> set[int]:
        """The cores any thread of the world's processes may run on (every thread asked)."""
        cores: set[int] = set()
        for process in self.psutil.values():
            for thread in process.threads():
                cores |= os.sched_getaffinity(thread.id)
        return cores

    def cpu_seconds(self) -> float:
        return sum(self.cpu_parts().values())

    def stop(self) -> int:
        served = 0
        for process, conn in self.parts.values():
            try:
                conn.send("stop")
                answer = conn.recv() if conn.poll(10) else -1
                served += answer if answer is not None else 0
            finally:
                process.join(10)
                if process.is_alive():
                    process.kill()
        return served
