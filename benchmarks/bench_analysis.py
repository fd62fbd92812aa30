"""Analysis throughput and latency: the actor pool (AnalyzerPool, N worker processes) against a
single-process asyncio semaphore pool running the same Analyst and checks, in the same run.

Every source answers in ~50 ms, delayed on the server side in a separate world process
(benchmarks/analysis_world.py): the HTTP sources (metadata JSON, RugCheck, Jupiter Tokens) sleep 50 ms
per request; RPC goes to the local chain with the fault injector's fixed 50 ms latency (switched on
after the coins are launched). Figures: tokens/s over a burst of all tokens, p50/p99 of the
per-token analysis time (from a worker starting a token to its decision), CPU us per token of the
analysing processes (asyncio: this process; actors: the pool and its workers), the world's CPU us
per token (chain + sources, not charged to the analysis), and tokens/s as a multiple of asyncio's.

    python -m benchmarks.bench_analysis [--tokens 400] [--sizes 4,8,16,32] [--rate 0] [--no-honeypot]
                                        [--pools asyncio,actors,actors2x] [--profile]

Pool size = analyses in flight at once: asyncio.Semaphore(size) in one process; "actors" = size
worker processes running one analysis each (the troupe shape); "actors2x" = 2 worker processes
(one per core here) running size/2 analyses each.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ''):   # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil   # noqa: E402

STREAM_TICK_S = 0.002   # launches offered at a rate are sent in one batch per 2 ms, like a stream's wake-ups


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def pause_before(index: int, rate: float, started: float) -> float:
    """Seconds to wait so that token `index` goes out at `rate` per second (0: a burst)."""
    return max(0.0, started + index / rate - time.monotonic()) if rate else 0.0


def launch_batches(count: int, rate: float, started: float, tick_s: float = STREAM_TICK_S):
    """Indexes of the launches due at each stream wake-up (every tick_s), waiting until then: a
    burst (rate 0) is one batch, as a StreamActor hands the Director one LaunchBatch per wake-up."""
    if not rate:
        yield range(count)
        return
    sent = 0
    while sent < count:
        due = min(count, int((time.monotonic() - started) * rate) + 1)
        if due > sent:
            yield range(sent, due)
            sent = due
        time.sleep(min(tick_s, max(0.0, started + sent / rate - time.monotonic())))


def run_asyncio_pool(settings, launches, size: int, rate: float = 0) -> dict:
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
        cpu0, wall0 = time.process_time(), time.monotonic()   # the world runs in its own process
        tasks = []
        for index, launch in enumerate(launches):
            await asyncio.sleep(pause_before(index, rate, wall0))
            tasks.append(asyncio.ensure_future(one(launch)))
        await asyncio.gather(*tasks)
        wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
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


def run_actor_pool(system, settings, launches, size: int, jobs_per_worker: int = 1, rate: float = 0) -> dict:
    from actors.analyzer import AnalyzerPool
    from messages.analysis import AnalysisDecision, AnalyzeLaunch, PoolWorkersRequest, bundled, unbundled
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
    from messages.status import PidRequest
    pool_pid = system.ask(pool, PidRequest("p"), timeout=10).pid
    workers = [psutil.Process(pid) for pid in (pool_pid, *reply.pids)]   # the dispatcher's CPU counts too
    cpu0 = cpu_seconds(workers)
    times, buys = [], 0
    requests = [AnalyzeLaunch(f"b{index}", launch, settings) for index, launch in enumerate(launches)]
    with system.asys.private() as private:
        wall0 = time.monotonic()
        for batch in launch_batches(len(requests), rate, wall0):
            private.tell(pool, bundled([requests[i] for i in batch]))   # as the Director sends a LaunchBatch
        answered = 0
        while answered < len(launches) and (answer := private.listen(timeout=60)) is not None:
            for one in unbundled(answer):
                answered += 1
                if isinstance(one, AnalysisDecision):
                    times.append(one.elapsed_ms)
                    buys += one.buy
        wall = time.monotonic() - wall0
    cpu = cpu_seconds(workers) - cpu0
    system.tell(pool, ActorExitRequest())
    return {"tokens_per_s": len(launches) / wall, "p50": percentile(times, 0.5), "p99": percentile(times, 0.99),
            "cpu_us": cpu / len(launches) * 1e6, "buys": buys, "answered": len(times)}


def profile(settings, launches, size: int) -> None:
    import cProfile
    import pstats
    profiler = cProfile.Profile()
    profiler.enable()
    r = run_asyncio_pool(settings, launches, size)
    profiler.disable()
    print(f"asyncio {size}: {r['tokens_per_s']:.1f} tokens/s, {r['cpu_us']:.0f} cpu us/token (profiled)")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=400)
    parser.add_argument("--sizes", default="4,8,16,32")
    parser.add_argument("--no-honeypot", action="store_true")
    parser.add_argument("--rate", type=float, default=0,
                        help="tokens offered per second (0: all at once); p50/p99 at a rate the pool keeps up "
                             "with are the per-token latency, in a burst they include the queueing")
    parser.add_argument("--pools", default="asyncio,actors,actors2x", help="which pools to run")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the asyncio pool at the first size and print the top functions")
    args = parser.parse_args(argv)
    from actors.system import BotActorSystem
    system = BotActorSystem(start_method="fork").start()   # before any thread exists (fork)
    from benchmarks.analysis_world import SOURCE_LATENCY_S, World
    from tests.bot.harness import bot_settings, new_bot_wallet
    tmp = Path(tempfile.mkdtemp(prefix="bench-analysis-"))
    keypair, path = new_bot_wallet(tmp)
    world = World.start(args.tokens, str(keypair.pubkey()))
    try:
        url, launches = world.sources_url, world.launches
        settings = bot_settings(world, path, tmp / "runs", **{
            "chain.rugcheck_url": url, "chain.jupiter_url": url, "analysis.deadline_ms": 2_000,
            "analysis.honeypot_check": not args.no_honeypot,
            "analysis.rpc_rate_per_second": 100_000, "analysis.rugcheck_rate_per_second": 100_000,
            "analysis.jupiter_rate_per_second": 100_000, "analysis.uri_rate_per_second": 100_000})
        print(f"{len(launches)} tokens, every source ~{SOURCE_LATENCY_S * 1000:.0f} ms (server side, own "
              f"process), honeypot {'on' if not args.no_honeypot else 'off'}, {os.cpu_count()} cores, "
              f"{f'offered at {args.rate:g}/s' if args.rate else 'all at once'}")
        print(f"{'pool':<9}{'size':>5}{'tokens/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'cpu us/token':>14}"
              f"{'world us/token':>16}{'buys':>6}{'x asyncio':>11}")
        if args.profile:
            profile(settings, launches, int(args.sizes.split(",")[0]))
            return 0
        for size in [int(s) for s in args.sizes.split(",")]:
            # pool size = analyses at once: asyncio.Semaphore(size); actors: size workers x 1 job
            # (the troupe shape), and 2 workers (the cores) x size/2 jobs each
            baseline = None
            rate = args.rate
            for name, run in (("asyncio", lambda: run_asyncio_pool(settings, launches, size, rate)),
                              ("actors", lambda: run_actor_pool(system, settings, launches, size, 1, rate)),
                              ("actors2x", lambda: run_actor_pool(system, settings, launches, 2, max(1, size // 2), rate))):
                if name not in args.pools.split(","):
                    continue
                world0 = world.cpu_seconds()
                r = run()
                world_us = (world.cpu_seconds() - world0) / len(launches) * 1e6
                baseline = baseline or r["tokens_per_s"]   # asyncio's, when it runs
                print(f"{name:<9}{size:>5}{r['tokens_per_s']:>10.1f}{r['p50']:>9.1f}{r['p99']:>9.1f}"
                      f"{r['cpu_us']:>14.0f}{world_us:>16.0f}{r['buys']:>6}{r['tokens_per_s'] / baseline:>11.2f}",
                      flush=True)
    finally:
        print(f"source requests served: {world.stop()}")
        system.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
