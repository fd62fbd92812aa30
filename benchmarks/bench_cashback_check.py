"""What the cashback check adds to each balance-monitor cycle: one getMultipleAccounts of six accounts
(actors/cashback.py read_unclaimed), beside the wallet refresh every cycle already does (getBalance with
its slot + getTokenAccountsByOwner for both token programs), both against the local chain over JSON-RPC
in the same run, after the wallet earned cashback on a cashback coin. Prints medians, p99s, the ratio
and the load average. Usage: python benchmarks/bench_cashback_check.py [--rounds N]"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def percentile(values: list[float], pct: float) -> float:
    from adapters.stats import nearest_rank
    return nearest_rank(sorted(values), pct / 100)


async def timed(make, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        await make()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    rounds = parser.parse_args().rounds
    from actors.cashback import read_unclaimed
    from actors.trading_io import token_holdings
    from tests.bot.harness import SOL, ChainThread, Market
    from tests.bot.test_todays_pumpfun import launch_v2
    chain = ChainThread().start()
    try:
        market = Market(chain)
        wallet, creator = chain.run(market.new_wallet(SOL)), chain.run(market.new_wallet(SOL))
        mint = chain.run(launch_v2(market, creator, "Bench", cashback=True))
        chain.run(market.trade(wallet, mint, buy_lamports=50_000_000, generation="v2"))
        owner, rpc = wallet.pubkey(), chain.rpc
        waiting = chain.run(read_unclaimed(rpc, owner))
        assert waiting.lamports > 0, waiting

        async def refresh():
            await rpc.get_balance_and_slot(owner)
            await token_holdings(rpc, owner)

        async def both():
            return await timed(refresh, rounds), await timed(lambda: read_unclaimed(rpc, owner), rounds)
        baseline, check = chain.run(both(), timeout=600)
    finally:
        chain.stop()
    print(f"unclaimed cashback read: {waiting.lamports} lamports; {rounds} rounds each")
    for name, values in (("wallet refresh (baseline)", baseline), ("cashback check", check)):
        print(f"{name:26s} p50 {percentile(values, 50):.3f} ms  p99 {percentile(values, 99):.3f} ms")
    print(f"ratio cashback check / wallet refresh (p50): {percentile(check, 50) / percentile(baseline, 50):.2f}")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
