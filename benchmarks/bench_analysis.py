"""Analysis throughput and latency: the actor pool (AnalyzerPool, N worker processes) against a
single-process asyncio semaphore pool running the same Analyst and checks, in the same run.

Every source answers in ~50 ms: the HTTP sources (metadata JSON, RugCheck, Jupiter Tokens) come from
an aiohttp server in this benchmark that sleeps 50 ms per request; RPC goes to the local chain with
the fault injector's fixed 50 ms latency (switched on after the coins are launched). Figures:
tokens/s over a burst of all tokens, p50/p99 of the per-token analysis time (from a worker starting
a token to its decision), CPU us per token (analysing processes/thread only, not the chain).

    python -m benchmarks.bench_analysis [--tokens 400] [--sizes 4,8,16,32] [--no-honeypot]

Pool size = analyses in flight at once: asyncio.Semaphore(size) in one process; "actors" = size
worker processes running one analysis each (the troupe shape); "actors2x" = 2 worker processes
(one per core here) running size/2 analyses each.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ''):   # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil   # noqa: E402
from aiohttp import web   # noqa: E402

SOURCE_LATENCY_S = 0.050


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
        mint = request.match_info["mint"]
        name = self.names.get(mint, "?")
        return web.json_response({"name": name, "symbol": name[:4].upper(), "image": "https://i/x.png",
                                  "twitter": "https://x.com/x"})

    async def rugcheck(self, request):
        await self._slow()
        return web.json_response({"score": 300, "score_normalised": 5, "risks": []})

    async def search(self, request):
        await self._slow()
        mint = request.query.get("query", "")
        return web.json_response([{"id": mint, "organicScore": 55.0}])

    async def start(self):
        from localnet.rpc_server import serve_app
        app = web.Application()
        app.router.add_get("/coins/{mint}.json", self.coin)
        app.router.add_get("/v1/tokens/{mint}/report/summary", self.rugcheck)
        app.router.add_get("/tokens/v2/search", self.search)
        self.runner, port = await serve_app(app, "127.0.0.1", 0)
        return f"http://127.0.0.1:{port}"


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def launch_coins(market, count: int, url: str, sources: SlowSources) -> list:
    from messages.stream import Launch
    from adapters.pumpfun import instructions
    from solders.keypair import Keypair
    creators = [await market.new_wallet(10**9) for _ in range(8)]
    launches = []

    async def one(index):
        creator, mint = creators[index % len(creators)], Keypair()
        name = f"Bench{index}"
        uri = f"{url}/coins/{mint.pubkey()}.json"
        sources.names[str(mint.pubkey())] = name
        ix = instructions.build_create(mint.pubkey(), creator.pubkey(), name, name[:4].upper(), uri)
        await market.send_tx(creator, [ix], [creator, mint])
        launches.append(Launch(str(mint.pubkey()), "", str(creator.pubkey()), str(creator.pubkey()), name,
                               name[:4].upper(), uri, "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
                               1_073_000_000_000_000, 30_000_000_000, 793_100_000_000_000, "", 0, time.time()))
    for start in range(0, count, 50):
        await asyncio.gather(*(one(i) for i in range(start, min(count, start + 50))))
    return launches


def run_asyncio_pool(settings, launches, size: int) -> dict:
    """One process, one Analyst, asyncio.Semaphore(size): the seed's TaskPoolManager shape."""
    from actors.policy.analysis import decide
    from adapters.analysis.gather import Analyst

    async def main():
        analyst = Analyst(settings, workers=1)
        await analyst.warm_up()
        semaphore = asyncio.Semaphore(size)
        times, buys = [], 0

        async def one(launch):
            nonlocal buys
            async with semaphore:
                started = time.monotonic()
                facts = await analyst.gather(launch, settings.analysis.deadline_ms / 1000)
                buys += decide(facts, settings.analysis).buy
                times.append((time.monotonic() - started) * 1000)
        cpu0, wall0 = time.thread_time(), time.monotonic()
        await asyncio.gather(*(one(launch) for launch in launches))
        wall, cpu = time.monotonic() - wall0, time.thread_time() - cpu0
        await analyst.close()
        return times, wall, cpu, buys
    times, wall, cpu, buys = asyncio.run(main())
    return {"tokens_per_s": len(launches) / wall, "p50": percentile(times, 0.5), "p99": percentile(times, 0.99),
            "cpu_us": cpu / len(launches) * 1e6, "buys": buys}


def cpu_seconds(processes) -> float:
    total = 0.0
    for process in processes:
        try:
            total += sum(process.cpu_times()[:2])
        except psutil.NoSuchProcess:
            pass
    return total


def run_actor_pool(system, settings, launches, size: int, jobs_per_worker: int = 1) -> dict:
    from actors.analyzer import AnalyzerPool
    from messages.analysis import AnalysisDecision, AnalyzeLaunch, PoolWorkersRequest
    from messages.start import Peers, StartAnalyzer
    from thespian.actors import ActorExitRequest
    settings = settings.replace(**{"analysis.workers": size, "analysis.jobs_per_worker": jobs_per_worker})
    pool = system.create_actor(AnalyzerPool)
    system.tell(pool, StartAnalyzer(settings, Peers()))
    deadline = time.monotonic() + 60
    while len((reply := system.ask(pool, PoolWorkersRequest("w"), timeout=10)).pids) < size:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(reply.pids)} of {size} workers started")
        time.sleep(0.1)
    time.sleep(1.0)   # warm-up (clients opened) on every worker
    workers = [psutil.Process(pid) for pid in reply.pids]
    cpu0 = cpu_seconds(workers)
    times, buys = [], 0
    with system.asys.private() as private:
        wall0 = time.monotonic()
        for index, launch in enumerate(launches):
            private.tell(pool, AnalyzeLaunch(f"b{index}", launch, settings))
        for _ in launches:
            answer = private.listen(timeout=60)
            if isinstance(answer, AnalysisDecision):
                times.append(answer.elapsed_ms)
                buys += answer.buy
        wall = time.monotonic() - wall0
    cpu = cpu_seconds(workers) - cpu0
    system.tell(pool, ActorExitRequest())
    return {"tokens_per_s": len(launches) / wall, "p50": percentile(times, 0.5), "p99": percentile(times, 0.99),
            "cpu_us": cpu / len(launches) * 1e6, "buys": buys, "answered": len(times)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=400)
    parser.add_argument("--sizes", default="4,8,16,32")
    parser.add_argument("--no-honeypot", action="store_true")
    args = parser.parse_args(argv)
    from actors.system import BotActorSystem
    system = BotActorSystem(start_method="fork").start()   # before any thread exists (fork)
    from localnet.faults import FaultPlan
    from tests.bot.harness import SOL, ChainThread, Market, bot_settings, new_bot_wallet
    plan = FaultPlan()
    chain = ChainThread(faults=plan).start()
    tmp = Path(tempfile.mkdtemp(prefix="bench-analysis-"))
    try:
        sources = SlowSources()
        url = chain.run(sources.start())
        market = Market(chain)
        keypair, path = new_bot_wallet(tmp)
        chain.run(market.fund(keypair.pubkey(), 2 * SOL))
        launches = chain.run(launch_coins(market, args.tokens, url, sources), timeout=600)
        plan.update({"rpc": {"latency": f"fixed:{int(SOURCE_LATENCY_S * 1000)}"}})
        settings = bot_settings(chain, path, tmp / "runs", **{
            "chain.rugcheck_url": url, "chain.jupiter_url": url, "analysis.deadline_ms": 2_000,
            "analysis.honeypot_check": not args.no_honeypot,
            "analysis.rpc_rate_per_second": 100_000, "analysis.rugcheck_rate_per_second": 100_000,
            "analysis.jupiter_rate_per_second": 100_000, "analysis.uri_rate_per_second": 100_000})
        print(f"{len(launches)} tokens, every source ~{SOURCE_LATENCY_S * 1000:.0f} ms, "
              f"honeypot {'on' if not args.no_honeypot else 'off'}")
        print(f"{'pool':<8}{'size':>5}{'tokens/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'cpu us/token':>14}{'buys':>6}")
        for size in [int(s) for s in args.sizes.split(",")]:
            # pool size = analyses at once: asyncio.Semaphore(size); actors: size workers x 1 job
            # (the troupe shape), and 2 workers (the cores) x size/2 jobs each
            for name, run in (("asyncio", lambda: run_asyncio_pool(settings, launches, size)),
                              ("actors", lambda: run_actor_pool(system, settings, launches, size)),
                              ("actors2x", lambda: run_actor_pool(system, settings, launches, 2, max(1, size // 2)))):
                r = run()
                print(f"{name:<8}{size:>5}{r['tokens_per_s']:>10.1f}{r['p50']:>9.1f}{r['p99']:>9.1f}"
                      f"{r['cpu_us']:>14.0f}{r['buys']:>6}", flush=True)
        print(f"source requests served: {sources.requests}")
    finally:
        chain.run(sources.runner.cleanup())
        chain.stop()
        system.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
