"""Buys per second of the bot (fast mode) against a plain single-process asyncio bot doing the same
pipeline (benchmarks/asyncio_bot.py), on the same local market at rising launch rates.

The chain runs in its own process and launches the coins (benchmarks/timed_chain.py); each
contender trades alone in its turn, with its own funded wallet, the same checks (fast mode: the
create event and the creator history), the same buy size and the same exit (sell after
max_hold_seconds; take profit and stop loss out of reach). A buy counts when the chain executed it
successfully inside the launch window (first launch to last launch + 1 s); buys/s is that count over
the window. Contenders:
- asyncio-1: one coin at a time (the popular bot: buy, confirm, hold, sell, confirm, next coin);
- asyncio-N: the same with N coins at once (the seed's plan: a task per position up to a bound);
- bot: our actor bot, analysis.mode = "fast".
An asyncio bot is saturated at a rate where it buys under 90 % of the coins launched; the printed
ratio is bot / asyncio bot buys/s at each rate, and again for every saturated rate.

    .venv/bin/python -m benchmarks.bench_pipeline_throughput [--rates 0.5,1,2,5,10] [--seconds 10]
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
from pathlib import Path

from benchmarks.bench_detection_latency import ChainProcess, newest
from tests.bot.harness import SOL, Bot, bot_settings, new_bot_wallet

SATURATED_SHARE = 0.9     # buys under this share of the launches: the contender no longer keeps up
GRACE_SECONDS = 1.0       # after the last launch, buys still count for this long
HOLD_SECONDS = 2
CONCURRENT_TASKS = 64


def common_settings(chain: ChainProcess) -> dict:
    return {"analysis.mode": "fast", "trading.max_active_positions": 1_000,
            "trading.max_hold_seconds": HOLD_SECONDS, "trading.take_profit_pct": 10_000,
            "trading.stop_loss_pct": 99, "chain.rugcheck_url": chain.node.api_url,
            "chain.jupiter_url": chain.node.api_url}


def landed_buys(chain: ChainProcess, signatures: set, start: float, end: float) -> int:
    """Buys among `signatures` the chain executed without error between start and end (wall)."""
    records = chain.ask(cmd="records")["records"]
    return sum(1 for r in records if r["signature"] in signatures and not r["err"]
               and start <= r["executed_at"] <= end)


def launch_window(chain: ChainProcess, rate: float, seconds: float) -> tuple[int, float, float]:
    """Launch for `seconds` at `rate`; (launches, window start, window end) in wall time."""
    count = max(4, round(rate * seconds))
    chain.ask(cmd="records")   # forget what came before
    start = time.time()
    chain.ask(cmd="launch", count=count, rate=rate)
    return count, start, time.time() + GRACE_SECONDS


def run_asyncio(chain: ChainProcess, tmp: Path, max_active: int, rates: list[float],
                seconds: float) -> dict:
    from benchmarks.asyncio_bot import run_in_process
    key, path = new_bot_wallet(tmp / f"asyncio-{max_active}")
    chain.fund(str(key.pubkey()), 50 * SOL)
    settings = bot_settings(chain, path, tmp / f"runs-asyncio-{max_active}", **common_settings(chain))
    context = multiprocessing.get_context("spawn")
    results = {}
    for rate in rates:
        ready, stop, counts = context.Event(), context.Event(), context.Queue()
        process = context.Process(target=run_in_process, daemon=True,
                                  args=(settings, max_active, 5.0, ready, stop, counts))
        process.start()
        try:
            if not ready.wait(60):
                raise RuntimeError("the asyncio bot did not start")
            launches, start, end = launch_window(chain, rate, seconds)
            time.sleep(max(0.0, end - time.time()))
            stop.set()
            reply = counts.get(timeout=120)
            bought = landed_buys(chain, set(reply["buy_signatures"]), start, end)
            results[rate] = {"launches": launches, "window": end - start, "buys": bought,
                             "stale": reply["stale"], "failed": reply["failed"]}
        finally:
            process.join(30)
            if process.is_alive():
                process.kill()
    return results


def run_bot(bot: Bot, chain: ChainProcess, tmp: Path, rates: list[float], seconds: float) -> dict:
    key, path = new_bot_wallet(tmp / "bot")
    chain.fund(str(key.pubkey()), 50 * SOL)
    settings = bot_settings(chain, path, tmp / "runs-bot", **common_settings(chain),
                            **{"run.run_dir": str(tmp / "log-bot")})
    results = {}
    bot.start(settings)   # the caller stops it
    bot.pause_buying()
    deadline = time.monotonic() + 30
    while bot.status().coins_seen == 0:   # probe launches until the stream is live
        if time.monotonic() > deadline:
            raise TimeoutError("the bot's stream saw no launch")
        chain.ask(cmd="launch", count=1, rate=1.0)
        time.sleep(0.3)
    for rate in rates:
        before = bot.status().buys_total
        bot.resume_buying()
        time.sleep(1.0)    # the spares arm
        launches, start, end = launch_window(chain, rate, seconds)
        time.sleep(max(0.0, end - time.time()))
        bot.pause_buying()
        status = bot.status()
        signatures = {buy[0] for buy in newest(status.buys, status.buys_total - before)}
        results[rate] = {"launches": launches, "window": end - start,
                         "buys": landed_buys(chain, signatures, start, end)}
        print(f"bot at {rate}/s: {len(signatures)} buys sent, {results[rate]['buys']} landed in the "
              f"window; skips {dict(status.skips)}; fast-path opens "
              f"{status.lifecycle.get('fast_path_opens', 0)}", flush=True)
        bot.wait_for(lambda s: s.active_positions == 0, timeout=120)
    return results


def saturated_rates(results: dict) -> list[float]:
    """Rates at which the contender bought under SATURATED_SHARE of the coins launched."""
    return [rate for rate in sorted(results)
            if results[rate]["buys"] < SATURATED_SHARE * results[rate]["launches"]]


def report(results: dict, rates: list[float]) -> str:
    names = list(results)
    lines = [f"{'rate/s':>6} " + " ".join(f"{name + ' buys/s':>18}" for name in names)
             + "".join(f" {'bot/' + name:>14}" for name in names if name != "bot")]
    for rate in rates:
        row = f"{rate:>6.1f} "
        per_s = {name: results[name][rate]["buys"] / results[name][rate]["window"] for name in names}
        row += " ".join(f"{per_s[name]:>8.2f} ({results[name][rate]['buys']:>3}/{results[name][rate]['launches']:<3})"
                        for name in names)
        row += "".join(f" {per_s['bot'] / per_s[name] if per_s[name] else float('inf'):>14.2f}"
                       for name in names if name != "bot")
        lines.append(row)
    for name in names:
        if name == "bot":
            continue
        rates_saturated = saturated_rates(results[name])
        if not rates_saturated:
            lines.append(f"{name}: kept up at every rate measured (no saturation seen)")
            continue
        ratios = ", ".join(
            f"{rate:g}/s {results['bot'][rate]['buys'] / results['bot'][rate]['window']:.2f} vs "
            f"{results[name][rate]['buys'] / results[name][rate]['window']:.2f} "
            f"(x{(results['bot'][rate]['buys'] / results['bot'][rate]['window']) / max(results[name][rate]['buys'] / results[name][rate]['window'], 1e-9):.2f})"
            for rate in rates_saturated)
        lines.append(f"{name} saturated (buys < {SATURATED_SHARE:.0%} of launches) at: bot vs {name} "
                     f"buys/s {ratios}; goal x1.5")
    lines.append(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return "\n".join(lines)


def run(rates: list[float], seconds: float, concurrent: int = CONCURRENT_TASKS) -> dict:
    """{contender: {rate: {launches, window, buys, ...}}} for asyncio-1, asyncio-<concurrent> (unless 0)
    and the bot, each trading the same chain alone in its turn."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    bot = Bot()   # before any thread: its admin is forked
    chain = ChainProcess()
    results = {}
    try:
        results["asyncio-1"] = run_asyncio(chain, tmp, 1, rates, seconds)
        print(f"asyncio-1 done: {results['asyncio-1']}", flush=True)
        if concurrent:
            name = f"asyncio-{concurrent}"
            results[name] = run_asyncio(chain, tmp, concurrent, rates, seconds)
            print(f"{name} done: {results[name]}", flush=True)
        results["bot"] = run_bot(bot, chain, tmp, rates, seconds)
    finally:
        bot.stop()
        chain.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="0.5,1,2,5,10", help="launches per second, rising")
    parser.add_argument("--seconds", type=float, default=10, help="launch window per rate")
    parser.add_argument("--concurrent", type=int, default=CONCURRENT_TASKS,
                        help="tasks of the concurrent asyncio bot (0: skip it)")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    print(report(run(rates, args.seconds, args.concurrent), rates))


if __name__ == "__main__":
    main()
