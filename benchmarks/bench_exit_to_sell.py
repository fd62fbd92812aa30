"""Exit signal to sell sent: with a pre-confirmation sell versus waiting for the buy to confirm.

On the local chain at its default slot time (400 ms), a real PositionActor buys a fresh coin; the
exit signal (ExitNow) arrives as soon as its buy is SENT (journaled and on its way), which is when a
sniper's fast exits fire. Two clocks, both in the actor: the journal's sell sent_at minus its
exit_at (sent_at is stamped before the journal write), and, from the stage trace
(actors/hot_trace.py), the exit signal to the moment the sell's bytes are written.
`python -m benchmarks.bench_exit_to_sell --coins 8`

Measured (2026-11-23, 2 shared cores, 8 coins per mode): pre-confirmation sell p50 7.4 ms
(6.1-11.1), waiting for the buy to confirm p50 255.4 ms (227.2-284.3): 248 ms saved at p50.
An earlier run of 6 coins: 12.9 ms vs 213.5 ms.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from actors.hot_trace import TRACE_ENV, read_trace
from adapters.stats import nearest_rank
from messages.position import ExitNow
from tests.bot.harness import Bot, ChainThread
from tests.bot.test_lifecycle import World

DEFAULT_SLOT_MS = 400   # LocalNode's default, as on mainnet


def one_exit(world: World, settings, name: str) -> float:
    launch = world.launch(name)
    position_id = f"pos-{name}"
    actor = world.open(launch, settings=settings, position_id=position_id)
    deadline = time.monotonic() + 20
    while (row := world.row(position_id)) is None or row["buy_order"] is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name}: the buy was never sent")
        time.sleep(0.002)
    world.system.tell(actor, ExitNow("benchmark exit"))
    world.closed(launch.mint, timeout=30)
    row = world.row(position_id)
    assert row["state"] == "closed" and row["bought_tokens"] == row["sold_tokens"], row
    return (row["sell_orders"][0]["sent_at"] - row["exit_at"]) * 1000, launch.mint


def written_after_exit(trace_path, mints: list[str]) -> list[float]:
    """Exit signal -> the sell's bytes written (hot_trace stamps in the position), ms."""
    rows = read_trace(trace_path)
    for m in mints[:3]:   # where the time goes, for the first few
        stamps = rows.get(m, {})
        if "exit_signal" in stamps:
            print("   ", "  ".join(f"{k} +{(v - stamps['exit_signal']) * 1000:.2f}" for k, v in
                              sorted(stamps.items(), key=lambda kv: kv[1]) if v >= stamps["exit_signal"]))
    return [(rows[m]["sell_send_start"] - rows[m]["exit_signal"]) * 1000 for m in mints
            if "sell_send_start" in rows.get(m, {}) and "exit_signal" in rows.get(m, {})]


def measure(coins: int, slot_ms: int, hot_slice_us: int | None = None) -> dict:
    trace_path = Path(tempfile.mkdtemp(prefix="bench-exit-")) / "stages.jsonl"
    os.environ[TRACE_ENV] = str(trace_path)   # before the actor system forks
    bot = Bot()
    chain = ChainThread(slot_ms=slot_ms).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            world = World(bot, chain, Path(tmp))
            results = {}
            for presell in (True, False):
                settings = world.settings.replace(**{"trading.sell_before_buy_confirms": presell})
                if hot_slice_us is not None:   # else the setting's default
                    settings = settings.replace(**{"run.hot_slice_us": hot_slice_us})
                label = "pre-confirmation sell" if presell else "wait for buy confirm"
                exits = [one_exit(world, settings, f"B{int(presell)}x{i}") for i in range(coins)]
                results[label] = [ms for ms, _ in exits]
                results[f"{label}, bytes written"] = written_after_exit(trace_path, [m for _, m in exits])
            return results
    finally:
        bot.stop()
        chain.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coins", type=int, default=8, help="positions per mode")
    parser.add_argument("--slot-ms", type=int, default=DEFAULT_SLOT_MS)
    parser.add_argument("--hot-slice-us", type=int, default=None,
                        help="run.hot_slice_us for the positions (0: off; default: the setting's default)")
    args = parser.parse_args()
    results = measure(args.coins, args.slot_ms, args.hot_slice_us)
    print(f"exit signal -> sell sent, local chain slot {args.slot_ms} ms, {args.coins} coins per mode;"
          f" run.hot_slice_us {'default' if args.hot_slice_us is None else args.hot_slice_us};"
          f" load average {os.getloadavg()}")
    medians = {}
    for label, values in results.items():
        if not values:
            print(f"  {label:40s} no figures")
            continue
        ordered = sorted(values)
        medians[label] = statistics.median(values)
        print(f"  {label:40s} p50 {medians[label]:8.2f} ms  p99 {nearest_rank(ordered, 0.99):8.2f}  "
              f"min {min(values):8.2f}  max {max(values):8.2f}")
    fast, slow = medians["pre-confirmation sell"], medians["wait for buy confirm"]
    print(f"  difference (p50): {slow - fast:.1f} ms saved by selling before the buy confirms")


if __name__ == "__main__":
    main()
