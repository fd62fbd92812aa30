"""Analysis throughput and latency: the actor pool (AnalyzerPool, N worker processes) against a
single-process asyncio semaphore pool running the same Analyst and checks, in the same run.

Every source answers in ~50 ms, on the server side in world processes of their own
(benchmarks/analysis_world.py): the HTTP sources (metadata JSON, RugCheck, Jupiter Tokens) and the
local chain's RPC (once the coins are launched) answer 50 ms after a request arrives, their work
included (--latency-model answer_at, a provider quoted at 50 ms; wait_then_work: 50 ms, then the
work, so the local chain's serial batch work adds to every token); the sources have a process
of their own (--world-processes 2, as separate services on mainnet) or share the chain's loop (1). Figures: tokens/s over all tokens, p50/p99 of the per-token analysis
time (from the analyser taking a token with a slot free to its decision: for the actor pools from
the job's arrival in the worker's actor thread, for the asyncio pool from the task's creation, so
the loop's turn before it first runs counts as the actors' hop into their loop does), CPU us per token of the analysing processes,
of the asker's side (actors) and of the world (chain + sources, not charged to the analysis), the
whole machine's busy cores, tokens/s as a multiple of asyncio's, and the tokens/s projected with the
world on other cores. A verdict names the best row, the CPU one token costs here (bot + world) and
so the most tokens/s these cores allow, and whether the projection meets --goal.

    python -m benchmarks.bench_analysis [--tokens 400] [--sizes 4,8,16,32] [--rate 0] [--no-honeypot]
                                        [--pools asyncio,actors,actors2x,actors1,direct1] [--goal 500] [--profile]
                                        [--trace] [--world-processes 2] [--latency-model answer_at]
                                        [--sources-server lean|aiohttp] [--send-interval-ms 5]
                                        [--world-cores 0]

--world-cores N pins every thread of the world to the last N of this process's cores and the bot
(this process, the actor system and its pools) to the others: the world on other cores, as on
mainnet, measured instead of projected (0, the default: everything shares every core).

BENCH_WORLD_PROFILE=1 prints a cProfile of each world process's loop (the chain's, the sources') when
it stops. --trace stamps every request of the asyncio pool in the bot and the world and prints where
a token's time goes (benchmarks/analysis_trace.py).

Pool size = analyses in flight at once: asyncio.Semaphore(size) in one process; "actors" = size
worker processes running one analysis each (the troupe shape); "actors2x" = 2 worker processes
(one per core here) running size/2 analyses each; "actors1" = the in-process analyser
(analysis.workers = 0): one actor process, the pool and its worker at once, running size analyses,
fed thespian messages; "direct1" = the same analyser fed over its analysis channel
(actors/analysis_channel.py), as the Director feeds it: no message per launch, answered from its
loop. Launches go as the Director sends them: at most one batch per send interval (5 ms).
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

from benchmarks.analysis_world import SOURCE_LATENCY_S, Delay   # noqa: E402  (aiohttp and psutil only: no thread)

STREAM_TICK_S = 0.002   # the feeder offers what is due each wake-up (>= 2 ms apart), like a stream's batches


def split_cores(available, world_cores: int) -> tuple[set[int], set[int]]:
    """(the bot's cores, the world's): the world takes the last world_cores of `available`;
    0: both use them all."""
    ordered = sorted(available)
    if not world_cores:
        return set(ordered), set(ordered)
    if not 0 < world_cores < len(ordered):
        raise ValueError(f"--world-cores {world_cores}: between 0 and {len(ordered) - 1} here "
                         f"(the bot needs one of the {len(ordered)} cores this process may use)")
    return set(ordered[:-world_cores]), set(ordered[-world_cores:])


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def due_by_now(count: int, rate: float, started: float) -> int:
    """How many of `count` tokens offered at `rate` per second (0: a burst) are due by now."""
    return count if not rate else min(count, int((time.monotonic() - started) * rate) + 1)


def run_asyncio_pool(settings, launches, size: int, rate: float = 0, tracer=None) -> dict:
    """One process, one Analyst, asyncio.Semaphore(size): the seed's TaskPoolManager shape.
    tracer (benchmarks/analysis_trace.py): every request and token stamped."""
    from actors.analyzer import freeze_start_up_heap
    from actors.policy.analysis import decide
    from adapters.analysis.gather import Analyst

    async def main():
        if tracer is None:
            analyst = Analyst(settings)
        else:
            from benchmarks.analysis_trace import TracedAnalyst
            analyst = TracedAnalyst(settings, tracer=tracer)
        await analyst.warm_up()
        freeze_start_up_heap()   # as an analyser process does at start-up: the pools compared alike
        semaphore = asyncio.Semaphore(size)
        times, buys = [], 0

        async def one(launch, handed: float):
            nonlocal buys
            slot_free = not semaphore.locked()
            async with semaphore:
                # as the actor pools count (from the analyser taking the token, its wait for a free
                # slot left out): with a slot free, from when the token was handed over, so the
                # loop's turn before the task first runs counts as the actors' hop into the loop does
                started = handed if slot_free else time.monotonic()
                facts = await analyst.gather(launch, settings.analysis.deadline_ms / 1000)
                buys += decide(facts, settings.analysis).buy
                ended = time.monotonic()
                times.append((ended - started) * 1000)
                if tracer is not None:
                    tracer.token(launch.mint, started, ended)
        cpu0, wall0 = time.process_time(), time.monotonic()   # the world runs in its own process
        tasks = []
        while len(tasks) < len(launches):   # what is due each wake-up, started together (as the actor feeder)
            due = due_by_now(len(launches), rate, wall0)
            handed = time.monotonic()
            tasks += [asyncio.ensure_future(one(launch, handed)) for launch in launches[len(tasks):due]]
            if len(tasks) < len(launches):
                await asyncio.sleep(max(STREAM_TICK_S, wall0 + len(tasks) / rate - time.monotonic()))
        await asyncio.gather(*tasks)
        wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
        await analyst.close()
        return times, wall, cpu, buys
    times, wall, cpu, buys = asyncio.run(main())
    return {"tokens_per_s": len(launches) / wall, "p50": percentile(times, 0.5), "p99": percentile(times, 0.99),
            "cpu_us": cpu / len(launches) * 1e6, "asker_us": 0.0, "buys": buys, "answered": len(times)}


def cpu_seconds(processes) -> float:
    total = 0.0
    for process in processes:
        try:
            total += sum(process.cpu_times()[:2])
        except psutil.NoSuchProcess:
            pass
    return total


def run_actor_pool(system, settings, launches, size: int, jobs_per_worker: int = 1, rate: float = 0) -> dict:
    """The AnalyzerPool with `size` workers (0: the in-process analyser, actors/analyzer_inproc.py),
    fed by an actor standing in for the Director."""
    from actors.analyzer_inproc import analyzer_class
    from benchmarks.analysis_feeder import FeedDone, FeedLaunches, LaunchFeeder
    from messages.analysis import AnalyzeLaunch, PoolWorkersRequest
    from messages.start import Peers, StartAnalyzer
    from messages.status import PidRequest
    from thespian.actors import ActorExitRequest
    settings = settings.replace(**{"analysis.workers": size, "analysis.jobs_per_worker": jobs_per_worker})
    pool, feeder = system.create_actor(analyzer_class(settings)), system.create_actor(LaunchFeeder)
    system.tell(pool, StartAnalyzer(settings, Peers()))
    deadline = time.monotonic() + 60
    while len((reply := system.ask(pool, PoolWorkersRequest("w"), timeout=10)).pids) < size:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(reply.pids)} of {size} workers started")
        time.sleep(0.1)
    time.sleep(1.0)   # warm-up (clients opened) on every worker
    pool_pid = system.ask(pool, PidRequest("p"), timeout=10).pid
    # the dispatcher's CPU counts too (in-process: it is the one analysing process, counted once)
    workers = [psutil.Process(pid) for pid in dict.fromkeys((pool_pid, *reply.pids))]
    requests = tuple(AnalyzeLaunch(f"b{index}", launch, None) for index, launch in enumerate(launches))   # as the Director
    cpu0 = cpu_seconds(workers)
    done = system.ask(feeder, FeedLaunches(pool, requests, rate, STREAM_TICK_S,
                                                 settings.analysis.send_interval_ms / 1000), timeout=600)
    cpu = cpu_seconds(workers) - cpu0
    for actor in (pool, feeder):
        system.tell(actor, ActorExitRequest())
    if not isinstance(done, FeedDone):
        raise TimeoutError(f"the feeder did not report: {done!r}")
    times = [elapsed for elapsed, _ in done.decisions]
    return {"tokens_per_s": len(launches) / done.wall_s, "p50": percentile(times, 0.5), "p99": percentile(times, 0.99),
            "cpu_us": cpu / len(launches) * 1e6, "asker_us": done.cpu_s / len(launches) * 1e6,
            "buys": sum(buy for _, buy in done.decisions), "answered": len(times)}


def run_direct_pool(system, settings, launches, size: int, rate: float, send_interval_s: float) -> dict:
    """The in-process analyser fed over its analysis channel, as the Director does (no thespian
    message per launch): this process writes what is due every send interval and reads the
    decisions (its CPU is the asker's)."""
    from actors.analyzer_inproc import analyzer_class
    from messages.start import Peers, StartAnalyzer
    from messages.status import PidRequest
    from thespian.actors import ActorExitRequest
    settings = settings.replace(**{"analysis.workers": 0, "analysis.jobs_per_worker": size})
    analyser = system.create_actor(analyzer_class(settings))
    system.tell(analyser, StartAnalyzer(settings, Peers()))
    time.sleep(1.0)
    pid = system.ask(analyser, PidRequest("p"), timeout=10).pid
    from messages.analysis import OpenAnalysisChannel
    channel = system.ask(analyser, OpenAnalysisChannel("c"), timeout=10)
    port, token = channel.port, channel.token
    worker = psutil.Process(pid)

    async def main():
        from actors.analysis_channel import FrameBuffer, decode_answer, launches_frame
        from messages.analysis import AnalyzeLaunch
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(token)
        requests = [AnalyzeLaunch(f"b{index}", launch, None) for index, launch in enumerate(launches)]
        times, buys, frames = [], 0, FrameBuffer()

        async def read_all():
            nonlocal buys
            while len(times) < len(launches):
                for answer in map(decode_answer, frames.feed(await reader.read(1 << 20))):
                    times.append(getattr(answer, "elapsed_ms", 0))
                    buys += bool(getattr(answer, "buy", False))
        reading = asyncio.ensure_future(read_all())
        cpu0, wcpu0, wall0 = time.process_time(), cpu_seconds([worker]), time.monotonic()
        sent = 0
        while sent < len(launches):
            due = due_by_now(len(launches), rate, wall0)
            if due > sent:
                writer.write(launches_frame(requests[sent:due]))
                sent = due
            if sent < len(launches):
                await asyncio.sleep(max(send_interval_s, STREAM_TICK_S))
        await reading
        wall = time.monotonic() - wall0
        cpu, wcpu = time.process_time() - cpu0, cpu_seconds([worker]) - wcpu0
        writer.close()
        return times, wall, cpu, wcpu, buys
    times, wall, cpu, wcpu, buys = asyncio.run(main())
    system.tell(analyser, ActorExitRequest())
    return {"tokens_per_s": len(launches) / wall, "p50": percentile(times, 0.5), "p99": percentile(times, 0.99),
            "cpu_us": wcpu / len(launches) * 1e6, "asker_us": cpu / len(launches) * 1e6, "buys": buys,
            "answered": len(times)}


def profile(settings, launches, size: int, rate: float = 0) -> None:
    import cProfile
    import pstats
    profiler = cProfile.Profile(time.thread_time)   # CPU, not wall: waits for a core left out
    profiler.enable()
    r = run_asyncio_pool(settings, launches, size, rate)
    profiler.disable()
    print(f"asyncio {size}: {r['tokens_per_s']:.1f} tokens/s, {r['cpu_us']:.0f} cpu us/token (profiled)")
    pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "tottime")).print_stats(os.environ.get("BENCH_PROFILE_FILTER", ""), 30)


def trace(settings, launches, sizes: list[int], rate: float = 0) -> None:
    from benchmarks.analysis_trace import Tracer, decomposition
    for size in sizes:
        tracer = Tracer()
        r = run_asyncio_pool(settings, launches, size, rate, tracer)
        print(f"asyncio {size}: {r['tokens_per_s']:.1f} tokens/s, p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, "
              f"{r['cpu_us']:.0f} cpu us/token (traced), load average {os.getloadavg()[0]:.1f}")
        print(decomposition(tracer), flush=True)


def _listed(cores) -> str:
    return ",".join(str(core) for core in sorted(cores))


def machine_busy() -> tuple[float, float]:
    """(busy CPU seconds of the whole machine, wall clock): every process, other helpers' too."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0), time.monotonic()


def projected(row: dict, size: int, cores: int) -> float:
    """Tokens/s with the world (chain and sources) on other cores: the fewer of what the bot's
    own CPU allows on the cores it can use (one for the asyncio pool: one process) and what
    `size` analyses in flight allow at the sources' latency."""
    usable = 1 if row["pool"] == "asyncio" else min(cores, row["processes"])
    own_us = row["cpu_us"] + row["asker_us"]
    return min(usable / (own_us / 1e6) if own_us else float("inf"), size / SOURCE_LATENCY_S)


HEADER = (f"{'pool':<9}{'size':>5}{'tokens/s':>10}{'p50 ms':>8}{'p99 ms':>8}{'bot us/tok':>11}{'asker':>7}"
          f"{'world':>7}{'chain':>7}{'busy cores':>11}{'load':>6}{'buys':>6}{'x asyncio':>10}{'projected':>10}")


def row_line(row: dict, baseline: float) -> str:
    return (f"{row['pool']:<9}{row['size']:>5}{row['tokens_per_s']:>10.1f}{row['p50']:>8.1f}{row['p99']:>8.1f}"
            f"{row['cpu_us']:>11.0f}{row['asker_us']:>7.0f}{row['world_us']:>7.0f}{row['chain_us']:>7.0f}{row['busy_cores']:>11.2f}"
            f"{row['load']:>6.1f}{row['buys']:>6}{row['tokens_per_s'] / baseline:>10.2f}{row['projected']:>10.0f}")


LEGEND = """bot us/tok: CPU of the analysing processes per token (asyncio: its one process; actors: the pool and
its workers); asker: the actor standing in for the Director (benchmarks/analysis_feeder.py: sends
what is due each wake-up as one AnalyzeLaunches, collects the answers); world: the chain and
sources' processes (the outside world, elsewhere on mainnet), of which chain: the chain's process
(with --world-processes 1 the sources are served there too); busy cores: the whole machine's busy CPU
over the run (other processes too), of {cores}; projected: tokens/s with the world on other cores =
min(usable cores / (bot + asker CPU per token), size / source latency); usable cores: 1 for asyncio
(one process), min({cores}, processes) for actors."""


P99_GOAL_MS = SOURCE_LATENCY_S * 1000 + 20     # the slowest source plus 20 ms
UNSATURATED_BUSY = 0.8                 # share of the cores the whole machine may use for a row to count as unsaturated


def unsaturated(row: dict, rate: float, cores: int) -> bool:
    """The pool kept up with the offered rate and the machine had CPU to spare: only then is p99
    the analysis's own latency rather than a queue's or the scheduler's."""
    return bool(rate) and row["tokens_per_s"] >= 0.95 * rate and row["busy_cores"] < UNSATURATED_BUSY * cores


def latency_verdict(rows: list[dict], rate: float, cores: int) -> str:
    calm = [row for row in rows if unsaturated(row, rate, cores)]
    if not rate:
        return "p99 goal not judged: a burst (--rate 0) measures queueing; offer a rate the pools keep up with"
    if not calm:
        busiest = max(row["busy_cores"] for row in rows)
        return (f"p99 goal not judged: no row was unsaturated (kept up with {rate:g}/s while the machine used "
                f"< {UNSATURATED_BUSY * cores:.1f} cores; busiest {busiest:.2f})")
    return "p99 where unsaturated: " + ", ".join(
        f"{row['pool']} {row['size']}: {row['p99']:.0f} ms ({'meets' if row['p99'] <= P99_GOAL_MS else 'misses'})"
        for row in calm) + f" (goal <= {P99_GOAL_MS:.0f} ms)"


def verdict(rows: list[dict], cores: int, goal: float) -> str:
    """Where the goal stands, from the rows measured: the CPU a token costs here (bot + world)
    bounds tokens/s on this machine's cores whatever the pool does."""
    lines = []
    for row in rows:
        total_us = row["cpu_us"] + row["asker_us"] + row["world_us"]
        row["ceiling"] = cores / (total_us / 1e6)
    best = max(rows, key=lambda r: r["tokens_per_s"])
    cheapest = min(rows, key=lambda r: r["cpu_us"] + r["asker_us"] + r["world_us"])
    total_us = cheapest["cpu_us"] + cheapest["asker_us"] + cheapest["world_us"]
    lines.append(f"best measured: {best['pool']} at {best['size']} in flight, {best['tokens_per_s']:.0f} tokens/s "
                 f"(goal {goal:.0f}; load average {os.getloadavg()[0]:.1f} at the end)")
    lines.append(f"cheapest token: {cheapest['pool']} at {cheapest['size']}: bot {cheapest['cpu_us'] + cheapest['asker_us']:.0f} us"
                 f" + world {cheapest['world_us']:.0f} us = {total_us:.0f} us of CPU, so {cores} cores wholly free "
                 f"for this run allow at most {cheapest['ceiling']:.0f} tokens/s here")
    top = max(rows, key=lambda r: r["projected"])
    lines.append(f"with the world on other cores: {top['pool']} at {top['size']} projects {top['projected']:.0f} tokens/s "
                 f"({'meets' if top['projected'] >= goal else 'misses'} the goal)")
    return "\n".join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=400)
    parser.add_argument("--sizes", default="4,8,16,32")
    parser.add_argument("--no-honeypot", action="store_true")
    parser.add_argument("--rate", type=float, default=0,
                        help="tokens offered per second (0: all at once); p50/p99 at a rate the pool keeps up "
                             "with are the per-token latency, in a burst they include the queueing")
    parser.add_argument("--pools", default="asyncio,actors,actors2x,actors1,direct1", help="which pools to run")
    parser.add_argument("--batch-window-ms", type=int, default=0,
                        help="analysis.batch_window_ms: coins asking within it share one RPC batch / Jupiter query")
    parser.add_argument("--send-interval-ms", type=int, default=None,
                        help="analysis.send_interval_ms: the Director (feeder) sends launches to the actor pools "
                             "at most once per this many ms (default: the config's)")
    parser.add_argument("--goal", type=float, default=500, help="tokens/s the verdict line measures against")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the asyncio pool at the first size (and --rate) and print the top functions")
    parser.add_argument("--trace", action="store_true",
                        help="run the asyncio pool at each size with every request stamped (bot and world) and print "
                             "where a token's time goes (benchmarks/analysis_trace.py)")
    parser.add_argument("--rpc-first", choices=("on", "off"), default="on",
                        help="off: the HTTP sources' GETs no longer wait for the turn's RPC batch to go out "
                             "(Analyst.rpc_first; before/after in one checkout; asyncio pool and --trace only)")
    parser.add_argument("--latency-model", choices=Delay.MODELS, default="answer_at",
                        help="answer_at: each source answers 50 ms after a request arrives, its work included "
                             "(a provider quoted at 50 ms); wait_then_work: 50 ms, then its work")
    parser.add_argument("--sources-server", choices=("lean", "aiohttp"), default="lean",
                        help="the world's HTTP sources on a lean asyncio server (default; less harness CPU on the "
                             "shared cores) or on aiohttp.web (before/after in one checkout)")
    parser.add_argument("--world-cores", type=int, default=0,
                        help="pin the world to the last N cores and the bot to the others (0: all share every core)")
    parser.add_argument("--world-processes", type=int, choices=(1, 2), default=2,
                        help="1: the sources on the chain's loop, one world process; 2: the sources in their own "
                             "process (as on mainnet: separate services)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    run(parse_args(argv))
    return 0


def run(args) -> list[dict] | None:
    """Every (size, pool) row measured (printed as they come); None when profiling or tracing."""
    from actors.system import BotActorSystem
    if not args.world_cores:
        return _run(args, BotActorSystem(start_method="fork").start(), set(), set())   # fork: no thread yet
    if not hasattr(os, "sched_setaffinity"):
        raise SystemExit("--world-cores: pinning needs Linux (os.sched_setaffinity); run without it here")
    all_cores = os.sched_getaffinity(0)
    bot_cores, world_cores = split_cores(all_cores, args.world_cores)
    # before any thread exists: the actor system, its pools and this process's threads inherit it
    os.sched_setaffinity(0, bot_cores)
    try:
        return _run(args, BotActorSystem(start_method="fork").start(), bot_cores, world_cores)
    finally:
        os.sched_setaffinity(0, all_cores)


def _run(args, system, bot_cores: set[int], world_cores: set[int]) -> list[dict] | None:
    from benchmarks.analysis_world import World
    from tests.bot.harness import bot_settings, new_bot_wallet
    tmp = Path(tempfile.mkdtemp(prefix="bench-analysis-"))
    keypair, path = new_bot_wallet(tmp)
    try:
        world = World.start(args.tokens, str(keypair.pubkey()), args.world_processes, args.latency_model,
                            args.sources_server, world_cores if args.world_cores else None)
    except BaseException:
        system.stop()
        raise
    from adapters.analysis.gather import Analyst
    Analyst.rpc_first = args.rpc_first == "on"   # this process's Analysts (the actor workers were forked before)
    cores, rows = os.cpu_count() or 1, []
    pool_cores = len(bot_cores) if args.world_cores else cores   # pinned: what the bot's pools can use
    try:
        url, launches = world.sources_url, world.launches
        settings = bot_settings(world, path, tmp / "runs", **{
            "chain.rugcheck_url": url, "chain.jupiter_url": url, "analysis.deadline_ms": 2_000,
            "analysis.honeypot_check": not args.no_honeypot, "analysis.batch_window_ms": args.batch_window_ms,
            **({} if args.send_interval_ms is None else {"analysis.send_interval_ms": args.send_interval_ms}),
            "analysis.rpc_rate_per_second": 100_000, "analysis.rugcheck_rate_per_second": 100_000,
            "analysis.jupiter_rate_per_second": 100_000, "analysis.uri_rate_per_second": 100_000})
        print(f"{len(launches)} tokens, every source ~{SOURCE_LATENCY_S * 1000:.0f} ms ({args.latency_model}, server side, world in "
              f"{world.processes} process{'es' if world.processes > 1 else ''}), honeypot {'on' if not args.no_honeypot else 'off'}, {cores} cores, "
              f"{f'offered at {args.rate:g}/s' if args.rate else 'all at once'}, "
              f"batch window {args.batch_window_ms} ms, launches sent at most every {settings.analysis.send_interval_ms} ms, sources on {args.sources_server}, load average {os.getloadavg()[0]:.1f} at the start")
        if args.world_cores:
            print(f"pinned: the bot on cores {_listed(bot_cores)}, every thread of the world on {_listed(world.affinity())}")
        if args.profile:
            profile(settings, launches, int(args.sizes.split(",")[0]), args.rate)
            return None
        if args.trace:
            trace(settings, launches, [int(s) for s in args.sizes.split(",")], args.rate)
            return None
        print(HEADER)
        for size in [int(s) for s in args.sizes.split(",")]:
            # pool size = analyses at once: asyncio.Semaphore(size); actors: size workers x 1 job
            # (the troupe shape), and 2 workers (the cores) x size/2 jobs each
            baseline = None
            rate = args.rate
            for name, processes, measure in (
                    ("asyncio", 1, lambda: run_asyncio_pool(settings, launches, size, rate)),
                    ("actors", size + 1, lambda: run_actor_pool(system, settings, launches, size, 1, rate)),
                    ("actors2x", 3, lambda: run_actor_pool(system, settings, launches, 2, max(1, size // 2), rate)),
                    ("actors1", 1, lambda: run_actor_pool(system, settings, launches, 0, size, rate)),
                    ("direct1", 1, lambda: run_direct_pool(system, settings, launches, size, rate,
                                                           settings.analysis.send_interval_ms / 1000))):
                if name not in args.pools.split(","):
                    continue
                world0, (busy0, wall0) = world.cpu_parts(), machine_busy()
                row = measure()
                busy1, wall1 = machine_busy()
                world1 = world.cpu_parts()
                spent = {part: (world1[part] - world0[part]) / len(launches) * 1e6 for part in world1}
                row.update(pool=name, size=size, processes=processes, load=os.getloadavg()[0],
                           world_us=sum(spent.values()), chain_us=spent["chain"],
                           busy_cores=(busy1 - busy0) / max(wall1 - wall0, 1e-9))
                row["projected"] = projected(row, size, pool_cores)
                baseline = baseline or row["tokens_per_s"]   # asyncio's, when it runs
                print(row_line(row, baseline), flush=True)
                rows.append(row)
        print(LEGEND.format(cores=pool_cores))
        if rows:
            print(verdict(rows, cores, args.goal))
            print(latency_verdict(rows, args.rate, cores))
    finally:
        print(f"source requests served: {world.stop()}")
        system.stop()
    return rows


if __name__ == "__main__":
    sys.exit(main())
