"""Detection-to-buy-sent latency: a launch's stream update received by the StreamActor, to the buy's
sendTransaction received (and executed) by the local chain.

Two launch rates: the local market's default (0.5/s, about mainnet's average) and 10 launches/s. The baseline, in the same run and against the same chain, is the floor
of this path without actors or analysis: one asyncio task that subscribes to the same stream
(Yellowstone gRPC), decodes with the same code and sends the same signed buy the moment a launch
arrives. Printed: p50/p99 of
both, and the bot/baseline ratio.

The chain records when it executed each transaction (a listener on the in-process chain, wall
clock); the bot reports (signature, detected_at) per buy in its Status.

    .venv/bin/python -m benchmarks.bench_detection_latency [--launches 12]
"""
from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import time
from pathlib import Path

from actors.stream import websocket_log_updates, yellowstone_updates
from actors.trading_io import ChainAccess
from localnet.market.config import MarketConfig
from messages.stream import Launch
from tests.bot.harness import SOL, Bot, ChainThread, Market, bot_settings, new_bot_wallet

DEFAULT_LAUNCHES_PER_SECOND = MarketConfig().launch_rate   # the local market's default (0.5/s)
FAST_LAUNCHES_PER_SECOND = 10.0


class ExecutionClock:
    """Chain listener: wall time at which each transaction was executed, by signature."""

    def __init__(self):
        self.executed_at: dict[str, float] = {}

    def on_transaction(self, record) -> None:
        self.executed_at[str(record.signature)] = time.time()

    def on_slot(self, *args) -> None:
        pass


class Baseline:
    """Detect and buy with no actors: the bot's stream source and ChainAccess on one loop in a thread."""

    def __init__(self, settings):
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="baseline", daemon=True)
        self.buys: list[tuple[str, float]] = []     # (signature, detected_at)
        self.enabled = False
        self.task = None

    def start(self) -> None:
        self.thread.start()
        self.chain = ChainAccess(self.settings)
        asyncio.run_coroutine_threadsafe(self.chain.warm_up(), self.loop).result(10)
        self.task = asyncio.run_coroutine_threadsafe(self._run(), self.loop)

    async def _run(self) -> None:
        chain = self.settings.chain
        source = (yellowstone_updates(chain, lambda _subscriber: None) if chain.grpc_endpoint
                  else websocket_log_updates(chain.ws_url))
        async for received_at, decode in source:
            if not self.enabled:
                continue
            for item in decode():
                if isinstance(item, Launch):
                    prepared = await self.chain.prepare_buy(item)
                    self.buys.append((prepared.signature, item.received_at))
                    asyncio.ensure_future(self.chain.rpc.send_raw(prepared.raw))

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            asyncio.run_coroutine_threadsafe(asyncio.sleep(0.2), self.loop).result(5)
        asyncio.run_coroutine_threadsafe(self.chain.close(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


async def launch_series(market: Market, creators: list, rate: float) -> None:
    """One launch every 1/rate seconds (fire and forget, so the cadence holds)."""
    tasks = []
    start = time.monotonic()
    for index, creator in enumerate(creators):
        delay = start + index / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(market.launch(creator, f"B{index}")))
    await asyncio.gather(*tasks)


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    if not ordered:
        return {"n": 0, "p50": float("nan"), "p99": float("nan")}
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return {"n": len(ordered), "p50": pick(0.50), "p99": pick(0.99)}


def newest(window: tuple, count: int) -> tuple:
    """The last `count` entries of a status window (all of them if it holds fewer)."""
    return window[len(window) - min(count, len(window)):]


def latencies_ms(buys, clock: ExecutionClock) -> list[float]:
    return [(clock.executed_at[sig] - detected) * 1000 for sig, detected, *_ in buys
            if sig in clock.executed_at]


def run(launches: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    bot = Bot()                                  # before any thread: the actor admin is forked
    chain = ChainThread().start()
    clock = ExecutionClock()
    chain.node.chain.add_listener(clock)
    market = Market(chain)
    results = {}
    baseline = None
    try:
        bot_key, bot_path = new_bot_wallet(tmp)
        base_key, base_path = new_bot_wallet(tmp / "baseline")
        chain.run(market.fund(bot_key.pubkey(), 20 * SOL))
        chain.run(market.fund(base_key.pubkey(), 20 * SOL))
        common = {"trading.max_active_positions": 1_000, "trading.max_hold_seconds": 2,
                  "analysis.workers": 4}
        settings = bot_settings(chain, bot_path, tmp / "runs", **common)
        baseline = Baseline(bot_settings(chain, base_path, tmp / "runs", **common))
        baseline.start()
        bot.start(settings)
        bot.wait_until_streaming(chain, market)
        for rate in (DEFAULT_LAUNCHES_PER_SECOND, FAST_LAUNCHES_PER_SECOND):
            for who in ("baseline", "bot"):
                creators = [chain.run(market.new_wallet(SOL // 10)) for _ in range(launches)]
                status = bot.status()   # the bot's windows hold the last 1,024: count by totals
                before = status.buys_total if who == "bot" else len(baseline.buys)
                decided_before = status.decision_histogram.count
                baseline.enabled = who == "baseline"
                chain.run(launch_series(market, creators, rate), timeout=launches / rate + 30)
                time.sleep(2.0)   # let the last buys reach the chain
                baseline.enabled = False
                status = bot.status()
                buys = (newest(status.buys, status.buys_total - before) if who == "bot"
                        else baseline.buys[before:])
                results[(who, rate)] = percentiles(latencies_ms(buys, clock))
                results[(who, rate)]["launches"] = launches
                if who == "bot":   # the part spent inside the bot: detection to just before send
                    inside = percentiles([(sent - detected) * 1000 for _, detected, sent in buys])
                    results[(who, rate)]["inside_p50"] = inside["p50"]
                    decided = percentiles(list(newest(status.decision_ms,
                                                      status.decision_histogram.count - decided_before)))
                    results[(who, rate)]["decision_p50"] = decided["p50"]
        bot.pause_buying()
        bot.wait_for(lambda s: s.active_positions == 0, timeout=60)
    finally:
        if baseline is not None:
            baseline.stop()
        bot.stop()
        chain.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=10, help="launches per rate and contender")
    args = parser.parse_args()
    results = run(args.launches)
    print(f"{'rate/s':>7} {'who':>9} {'buys':>5} {'p50 ms':>8} {'p99 ms':>8} {'p50 ratio':>9}"
          f" {'in-bot p50':>10} {'decided p50':>11}")
    for rate in (DEFAULT_LAUNCHES_PER_SECOND, FAST_LAUNCHES_PER_SECOND):
        base = results[("baseline", rate)]
        for who in ("baseline", "bot"):
            r = results[(who, rate)]
            ratio = r["p50"] / base["p50"] if base["p50"] else float("nan")
            print(f"{rate:>7.1f} {who:>9} {r['n']:>3}/{r['launches']:<2}"
                  f"{r['p50']:>8.1f} {r['p99']:>8.1f} {ratio:>9.2f} {r.get('inside_p50', 0):>10.1f} {r.get('decision_p50', 0):>11.1f}")


if __name__ == "__main__":
    main()
