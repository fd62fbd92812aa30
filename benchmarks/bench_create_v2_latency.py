"""Detection to buy sent for `create_v2` coins (Token-2022, v3 buy) beside legacy `create` coins (SPL
Token), for the same running bot, same chain, same rate: the legacy coins are the baseline and the
ratio create_v2 / create is printed. The two kinds alternate launch by launch in one stream, so load
on a busy machine falls on both alike; each buy is told apart by the mint its transaction names.
`--usdc` adds USDC-paired create_v2 coins (paid from the wallet's USDC: on an armed spare the buy
waits for its USDC reservation) and their ratio to the legacy coins.
Clocks and the chain process as in benchmarks/bench_detection_latency.py.

    .venv/bin/python -m benchmarks.bench_create_v2_latency [--launches 40] [--rate 2] [--mode fast] [--usdc]
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks.bench_detection_latency import ChainProcess, newest, pcts, wait_until_streaming
from tests.bot.harness import SOL, Bot, bot_settings, new_bot_wallet

KINDS = ("create", "create_v2")
USDC_KIND = "usdc"
USDC_BUY = 1_000_000            # raw USDC (1 USDC) per buy of a USDC-paired coin


def split_by_kind(buys, records: dict, kind_of: dict, kinds: tuple = KINDS) -> dict[str, dict]:
    """buys [(signature, detected_at, sent_at)] and the chain's records by signature -> per kind the
    detect->sent and sent->received samples (ms) and the count of buys."""
    samples = {kind: {"detect_sent": [], "sent_received": [], "buys": 0} for kind in kinds}
    for signature, detected, sent in buys:
        record = records.get(signature)
        kind = kind_of.get(record["mint"]) if record else None
        if kind is None:   # never reached the chain: its coin is unknown
            continue
        sample = samples[kind]
        sample["buys"] += 1
        sample["detect_sent"].append((sent - detected) * 1000)
        if record["received_at"] is not None:
            sample["sent_received"].append((record["received_at"] - sent) * 1000)
    return samples


def fund_usdc(rpc_url: str, owner: str, amount: int, timeout: float = 15.0) -> None:
    """The chain's USDC faucet (requestUsdcAirdrop), then wait until a `confirmed` read shows it."""
    def rpc(method: str, params: list) -> dict:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
        request = urllib.request.Request(rpc_url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as answer:
            return json.loads(answer.read())
    rpc("requestUsdcAirdrop", [owner, amount])
    from adapters.pumpfun.addresses import USDC_MINT, associated_token_address
    from solders.pubkey import Pubkey
    account = str(associated_token_address(Pubkey.from_string(owner), USDC_MINT))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = rpc("getTokenAccountBalance", [account, {"commitment": "confirmed"}]).get("result")
        if value and int(value["value"]["amount"]) >= amount:
            return
        time.sleep(0.1)
    raise TimeoutError(f"{amount} raw USDC to {owner} not visible at confirmed after {timeout} s")


def run(launches: int, rate: float, mode: str, usdc: bool = False) -> dict[str, dict]:
    """`launches` coins of each kind, alternating -> kind -> samples (split_by_kind) and "launches"."""
    kinds = KINDS + ((USDC_KIND,) if usdc else ())
    tmp = Path(tempfile.mkdtemp(prefix="bench-create-v2-"))
    bot = Bot()   # before any thread: its admin is forked
    chain = ChainProcess()
    try:
        key, path = new_bot_wallet(tmp / "bot")
        chain.fund(str(key.pubkey()), 50 * SOL)
        if usdc:
            fund_usdc(chain.node.rpc_url, str(key.pubkey()), 4 * launches * USDC_BUY)
        settings = bot_settings(chain, path, tmp / "runs", **{
            "trading.usdc_buy_amount": USDC_BUY if usdc else 0,
            "trading.max_active_positions": 1_000, "trading.max_hold_seconds": 2, "analysis.workers": 4,
            "analysis.mode": mode, "trading.instruction_set": "auto", "chain.rugcheck_url": chain.node.api_url,
            "chain.jupiter_url": chain.node.api_url, "run.run_dir": str(tmp / "log")})
        print(f"log in {tmp / 'log'}", flush=True)
        bot.start(settings)
        wait_until_streaming(bot, chain)
        before = bot.status().buys_total
        bot.resume_buying()
        bot.wait_for(lambda s: s.buying, timeout=10, poll=0.05)   # the resume landed
        time.sleep(0.5)            # the spares refill after the probes
        chain.ask(cmd="records")   # forget what came before
        total = len(kinds) * launches
        mints = chain.ask(cmd="launch", count=total, rate=rate, kind=list(kinds))["mints"]
        with contextlib.suppress(TimeoutError):   # a coin not bought is counted as such, not waited for
            bot.wait_for(lambda s: s.buys_total - before >= total, timeout=15, poll=0.1)
        time.sleep(1.0)            # let the last buys reach the chain
        records = {r["signature"]: r for r in chain.ask(cmd="records")["records"]}
        status = bot.status()
        kind_of = {mint: kinds[index % len(kinds)] for index, mint in enumerate(mints)}
        samples = split_by_kind(newest(status.buys, status.buys_total - before), records, kind_of, kinds)
        bot.pause_buying()
        bot.wait_for(lambda s: s.active_positions == 0, timeout=120)
    finally:
        bot.stop()
        chain.stop()
    for sample in samples.values():
        sample["launches"] = launches
    return samples


def report(samples: dict[str, dict]) -> str:
    lines = [f"{'kind':>10} {'buys':>7} {'det->sent p50/p99 ms':>21} {'sent->recv p50/p99 ms':>22}"]
    p50 = {}
    for kind in samples:
        s = samples[kind]
        ds, sr = pcts(s["detect_sent"]), pcts(s["sent_received"])
        p50[kind] = (ds[0], ds[1])
        lines.append(f"{kind:>10} {s['buys']:>3}/{s['launches']:<3} {ds[0]:>10.2f} /{ds[1]:>8.2f} "
                     f"{sr[0]:>10.2f} /{sr[1]:>8.2f}")
    legacy50, legacy99 = p50["create"]
    for kind in [k for k in samples if k != "create"]:
        kind50, kind99 = p50[kind]
        lines.append(f"ratio {kind}/create: p50 {kind50 / legacy50:.2f}  p99 {kind99 / legacy99:.2f}")
    lines.append(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=40, help="launches of each kind")
    parser.add_argument("--rate", type=float, default=2.0, help="launches per second")
    parser.add_argument("--mode", default="fast", choices=("fast", "full"), help="the bot's analysis mode")
    parser.add_argument("--usdc", action="store_true", help="USDC-paired coins too (paid in USDC)")
    args = parser.parse_args()
    print(report(run(args.launches, args.rate, args.mode, args.usdc)))


if __name__ == "__main__":
    main()
