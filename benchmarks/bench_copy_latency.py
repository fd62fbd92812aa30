"""Copy latency: a target wallet's buy seen by the StreamActor, to our copied buy sent, p50/p99, and
how many slots after theirs our buy landed.

The bot runs in trading.mode "both" (analysis fast) against the local chain. Phase "copy": a target
the benchmark drives buys coins launched beforehand (while buying was paused), one every
1/rate seconds; the bot copies each. Baseline, same run, same stream, same bot: phase "snipe", where
creators launch coins and the bot snipes them (detection -> buy sent). Printed per phase: in-bot
p50/p99 (stream receive -> just before sendTransaction), receive -> executed p50/p99, the slot
difference (our buy's slot - the slot of the transaction we reacted to) p50/max, and copy/snipe
ratios. Phase "pool": the target buys graduated coins on their PumpSwap pools and the bot copies
each on the pool, priced from the pool state the stream passed with their swap
(actors/copy_pool_state.py: the coin's pool facts were read when the target first traded it, in a
small buy below copy.min_lamports). Phase "pool-cold": coins the target never traded before, whose
copy reads the pool over RPC before signing (actors/pool_buy.py).

    .venv/bin/python -m benchmarks.bench_copy_latency [--trades 10] [--rate 2] [--pool-trades 5]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from solders.keypair import Keypair

from adapters.pumpfun import instructions
from benchmarks.bench_detection_latency import newest, pcts
from tests.bot.harness import SOL, Bot, ChainThread, Market, bot_settings, new_bot_wallet
from tests.bot.test_copy_pool import pool_buy
from tests.bot.test_pool_sell import SPL, graduate


WARM_UP_LAMPORTS = SOL // 1_000   # copy.min_lamports: the warm-up pool buys (x ratio 0.1) stay below it


class SlotClock:
    """Chain listener: wall time, slot and account keys of each executed transaction, by signature."""

    def __init__(self):
        self.executed: dict[str, tuple[float, int, frozenset]] = {}

    def on_transaction(self, record) -> None:
        keys = frozenset(str(k) for k in record.transaction.message.account_keys)
        self.executed[str(record.signature)] = (time.time(), record.slot, keys)

    def on_slot(self, *args) -> None:
        pass


async def paced(calls, rate: float) -> list:
    """Run the coroutine factories one every 1/rate seconds (fire and forget); their results."""
    tasks, start = [], time.monotonic()
    for index, call in enumerate(calls):
        delay = start + index / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(call()))
    return await asyncio.gather(*tasks)


def copied_figures(bot, clock, before: int, coins: list[str], signatures: list[str]) -> dict:
    """Wait for one copy of each target trade (coins[i] traded by signatures[i]), then its figures."""
    wait_for_buys(bot, before + len(coins))
    status = bot.status()
    copied = newest(status.buys, status.buys_total - before)
    their_slots = {mint: clock.executed[sig][1] for mint, sig in zip(coins, signatures) if sig in clock.executed}
    return {**phase_figures(copied, their_slots, clock), "trades": len(their_slots)}


def phase_figures(buys, slot_by_mint: dict, clock: SlotClock) -> dict:
    """buys: ((our signature, detected_at, sent_at), ...); slot_by_mint: mint -> the slot of the
    transaction the bot reacted to (their buy of it, or its launch)."""
    inside = dict(zip(("p50", "p99", "n"), pcts([(sent - detected) * 1000 for _, detected, sent in buys])))
    executed, slots = [], []
    for signature, detected, _ in buys:
        if signature not in clock.executed:
            continue
        at, slot, keys = clock.executed[signature]
        executed.append((at - detected) * 1000)
        slots += [slot - slot_by_mint[mint] for mint in keys & slot_by_mint.keys()]
    executed_p = dict(zip(("p50", "p99", "n"), pcts(executed)))
    slots.sort()
    return {"buys": len(buys), "in_bot_p50": inside["p50"], "in_bot_p99": inside["p99"],
            "executed_p50": executed_p["p50"], "executed_p99": executed_p["p99"],
            "slots_p50": slots[len(slots) // 2] if slots else "-", "slots_max": slots[-1] if slots else "-"}


def run(trades: int, rate: float, pool_trades: int = 5) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-copy-"))
    bot = Bot()                                  # before any thread: the actor admin is forked
    chain = ChainThread().start()
    clock = SlotClock()
    chain.node.chain.add_listener(clock)
    market = Market(chain)
    results = {}
    try:
        key, path = new_bot_wallet(tmp)
        chain.run(market.fund(key.pubkey(), 50 * SOL))
        target = chain.run(market.new_wallet(20 * SOL))
        settings = bot_settings(chain, path, tmp / "runs", **{
            "trading.mode": "both", "copy.targets": [str(target.pubkey())], "copy.ratio": "0.1",
            "copy.max_lamports": 0, "copy.max_total_lamports": 0, "copy.max_price_move_bps": 0,
            "copy.min_lamports": WARM_UP_LAMPORTS,
            "analysis.mode": "fast", "trading.max_active_positions": 1_000,
            "trading.max_hold_seconds": 2, "run.run_dir": str(tmp / "run")})
        # graduated coins for the pool phase, before the bot starts (none of them is sniped)
        pool_creator = chain.run(market.new_wallet(SOL))
        pool_coins = [chain.run(market.launch(pool_creator, f"P{index}")) for index in range(pool_trades)]
        cold_coins = [chain.run(market.launch(pool_creator, f"C{index}")) for index in range(pool_trades)]
        for mint in pool_coins + cold_coins:
            graduate(chain, market, mint, SPL)
        bot.start(settings)
        bot.wait_until_streaming(chain, market)

        # copy phase: coins launched while paused (not sniped), then bought by the target
        bot.pause_buying()
        bot.wait_for(lambda status: not status.buying, timeout=10, poll=0.05)
        time.sleep(1.0)   # armed spares (fast analysis) are disarmed after the pause: none snipes these
        creator = chain.run(market.new_wallet(5 * SOL))
        coins = [chain.run(market.launch(creator, f"T{index}")) for index in range(trades)]
        time.sleep(1.0)
        bot.resume_buying()
        before = bot.wait_for(lambda status: status.buying, timeout=10, poll=0.05).buys_total   # the tell landed
        signatures = chain.run(paced([lambda mint=mint: market.trade(target, mint, buy_lamports=SOL // 10)
                                      for mint in coins], rate), timeout=trades / rate + 30)
        results["copy"] = copied_figures(bot, clock, before, coins, signatures)

        # snipe phase (baseline): launches sniped on the same stream by the same bot
        before = bot.status().buys_total
        creators = [chain.run(market.new_wallet(SOL // 10)) for _ in range(trades)]
        launches = chain.run(paced([lambda c=c, i=i: launch_with_signature(market, c, f"S{i}")
                                    for i, c in enumerate(creators)], rate), timeout=trades / rate + 30)
        time.sleep(2.0)
        status = bot.status()
        sniped = newest(status.buys, status.buys_total - before)
        launch_slots = {mint: clock.executed[sig][1] for mint, sig in launches if sig in clock.executed}
        results["snipe"] = phase_figures(sniped, launch_slots, clock)
        results["snipe"]["trades"] = len(launch_slots)

        # pool phases: the target buys graduated coins on their pools; the bot copies on the pools
        if pool_coins:
            # warm-up: a buy too small to copy (x ratio < copy.min_lamports) makes the stream read each pool
            chain.run(paced([lambda mint=mint: market.send_tx(target, *pool_buy_args(chain, target, mint, WARM_UP_LAMPORTS))
                             for mint in pool_coins], rate), timeout=pool_trades / rate + 30)
            time.sleep(1.0)
            for phase, coins_ in (("pool", pool_coins), ("pool-cold", cold_coins)):
                before = bot.status().buys_total
                signatures = chain.run(paced([lambda mint=mint: market.send_tx(target, *pool_buy_args(chain, target, mint))
                                              for mint in coins_], rate), timeout=pool_trades / rate + 30)
                results[phase] = copied_figures(bot, clock, before, coins_, signatures)
        results["copy_books"] = bot.status().copy   # skips by reason, if a copy was not made
        bot.pause_buying()
        bot.wait_for(lambda s: s.active_positions == 0, timeout=60)
    finally:
        bot.stop()
        chain.stop()
    return results


def wait_for_buys(bot: Bot, total: int, timeout: float = 15.0) -> None:
    """Until the bot has sent `total` buys (a busy machine may take seconds), or the timeout; then
    a moment for them to land."""
    try:
        bot.wait_for(lambda status: status.buys_total >= total, timeout=timeout, poll=0.1)
    except TimeoutError:
        pass   # the figures then show fewer buys than trades
    time.sleep(1.0)


def pool_buy_args(chain, target, mint: str, lamports: int = SOL // 10) -> tuple[list, list]:
    ixs, _ = pool_buy(chain, target, mint, lamports)
    return ixs, [target]


async def launch_with_signature(market: Market, creator, name: str) -> tuple[str, str]:
    """Launch a coin: (mint, the create transaction's signature)."""
    mint = Keypair()
    ix = instructions.build_create(mint.pubkey(), creator.pubkey(), name, name[:4].upper(),
                                   f"https://example.invalid/{name}.json")
    return str(mint.pubkey()), await market.send_tx(creator, [ix], [creator, mint])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trades", type=int, default=10, help="target buys (and launches) per phase")
    parser.add_argument("--rate", type=float, default=2.0, help="target buys (launches) per second")
    parser.add_argument("--pool-trades", type=int, default=5, help="target buys on graduated coins' pools")
    args = parser.parse_args()
    load_before = os.getloadavg()
    results = run(args.trades, args.rate, args.pool_trades)
    print("load average (1/5/15 min) before: {:.2f} {:.2f} {:.2f}, after: {:.2f} {:.2f} {:.2f}".format(
        *load_before, *os.getloadavg()))
    print(f"{'phase':>9} {'buys':>7} {'in-bot p50':>10} {'p99':>7} {'to-exec p50':>11} {'p99':>7}"
          f" {'slots p50':>9} {'max':>4} {'p50 / snipe':>11} {'/ copy':>6}")
    base = results["snipe"]
    for phase in ("snipe", "copy", "pool", "pool-cold"):
        if phase not in results:
            continue
        r = results[phase]
        ratio = r["in_bot_p50"] / base["in_bot_p50"] if base["in_bot_p50"] else float("nan")
        to_copy = r["in_bot_p50"] / results["copy"]["in_bot_p50"] if results["copy"]["in_bot_p50"] else float("nan")
        print(f"{phase:>9} {r['buys']:>3}/{r['trades']:<3} {r['in_bot_p50']:>10.1f} {r['in_bot_p99']:>7.1f}"
              f" {r['executed_p50']:>11.1f} {r['executed_p99']:>7.1f} {r['slots_p50']!s:>9} {r['slots_max']!s:>4}"
              f" {ratio:>11.2f} {to_copy:>6.2f}")


if __name__ == "__main__":
    main()
