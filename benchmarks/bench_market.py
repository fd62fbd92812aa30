"""Does the local chain's slot clock keep up with the market, and what CPU does the market take?

Runs `python -m localnet` in its own process three times for the same wall time: idle (the
baseline), with the market at the mainnet launch rate (0.5/s), and at 50 launches/s with the trade
rate the fates give per coin. For each run: slots produced vs expected (slot_ms clock), the
node process's CPU (psutil: user+system, in cores), and the market's launches and trades per
second from /market/wallets. The market's CPU share is the run's CPU minus the idle baseline.
Usage: python benchmarks/bench_market.py [--seconds 20] [--rates 0.5,50]
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import aiohttp
import orjson
import psutil

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SLOT_MS = 400


async def _rpc(http: aiohttp.ClientSession, url: str, method: str) -> object:
    body = orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": []})
    async with http.post(url, data=body, headers={"Content-Type": "application/json"}) as response:
        return orjson.loads(await response.read())["result"]


async def measure(seconds: float, launch_rate: float | None) -> dict:
    flags = ["--rpc-port", "0", "--ws-port", "0", "--grpc-port", "0", "--slot-ms", str(SLOT_MS), "--quiet"]
    if launch_rate is not None:
        flags += ["--market", "--launch-rate", str(launch_rate), "--seed", "1", "--metadata-port", "0"]
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "localnet", *flags, cwd=PROJECT_ROOT,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    try:
        lines = []
        while not lines or not lines[-1].startswith("READY"):
            line = await asyncio.wait_for(process.stdout.readline(), 30)
            if not line:
                raise RuntimeError("localnet exited before READY")
            lines.append(line.decode().strip())
        rpc_url = dict(p.split("=", 1) for p in lines[-1].split()[1:])["rpc"]
        metadata = next((line.split()[2] for line in lines if line.startswith("market metadata")), None)
        node = psutil.Process(process.pid)
        async with aiohttp.ClientSession() as http:
            async def market() -> dict:
                if metadata is None:
                    return {}
                async with http.get(f"{metadata}/market/wallets") as response:
                    return await response.json()
            async def snapshot() -> tuple:
                return sum(node.cpu_times()[:2]), await _rpc(http, rpc_url, "getSlot"), await market(), time.monotonic()
            cpu0, slot0, market0, t0 = await snapshot()
            await asyncio.sleep(seconds)
            cpu1, slot1, market1, t1 = await snapshot()
        wall = t1 - t0
        result = {"rate": launch_rate, "wall_s": wall, "cpu_cores": (cpu1 - cpu0) / wall,
                  "slots": slot1 - slot0, "slots_expected": wall * 1000 / SLOT_MS}
        if market1:
            result.update(launches_per_s=(market1["launched"] - market0["launched"]) / wall,
                          trades_per_s=(market1["trades"] - market0["trades"]) / wall,
                          failed=market1["failed"], max_lag_s=market1["max_lag_s"], live=market1["live"],
                          graduated=market1["graduated"])
        return result
    finally:
        process.terminate()
        await process.wait()


def report(result: dict, idle: dict) -> str:
    behind = 1 - result["slots"] / result["slots_expected"]
    label = "idle" if result["rate"] is None else f"{result['rate']:g}/s"
    text = (f"{label:>7}: "
            f"slots {result['slots']}/{result['slots_expected']:.0f} ({behind:+.1%} behind)  "
            f"CPU {result['cpu_cores']:.2f} cores (market {result['cpu_cores'] - idle['cpu_cores']:+.2f})")
    if "trades_per_s" in result:
        text += (f"  launches {result['launches_per_s']:.1f}/s  trades {result['trades_per_s']:.0f}/s"
                 f"  script lag max {result['max_lag_s']:.1f} s  live {result['live']}  graduated {result['graduated']}"
                 f"  failed {result['failed']}")
    return text


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rates", default="0.5,50")
    args = parser.parse_args()
    idle = await measure(args.seconds, None)
    print(report(idle, idle), flush=True)
    for rate in (float(r) for r in args.rates.split(",")):
        print(report(await measure(args.seconds, rate), idle), flush=True)
    print(f"machine: {psutil.cpu_count()} cores")


if __name__ == "__main__":
    asyncio.run(main())
