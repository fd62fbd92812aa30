"""Detection to buy sent for `create_v2` coins (Token-2022, v3 buy) beside legacy `create` coins (SPL
Token), for the same running bot, same chain, same rate: the legacy coins are the baseline and the
ratio create_v2 / create is printed. The two kinds alternate launch by launch in one stream, so load
on a busy machine falls on both alike; each buy is told apart by the mint its transaction names.
Clocks and the chain process as in benchmarks/bench_detection_latency.py.

    .venv/bin/python -m benchmarks.bench_create_v2_latency [--launches 40] [--rate 2] [--mode fast]
"""
from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path

from benchmarks.bench_detection_latency import ChainProcess, newest, pcts, wait_until_streaming
from tests.bot.harness import SOL, Bot, bot_settings, new_bot_wallet

KINDS = ("create", "create_v2")


def split_by_kind(buys, records: dict, kind_of: dict) -> dict[str, dict]:
    """buys [(signature, detected_at, sent_at)] and the chain's records by signature -> per kind the
    detect->sent and sent->received samples (ms) and the count of buys."""
    samples = {kind: {"detect_sent": [], "sent_received": [], "buys": 0} for kind in KINDS}
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


def run(launches: int, rate: float, mode: str) -> dict[str, dict]:
    """`launches` coins of each kind, alternating -> kind -> samples (split_by_kind) and "launches"."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-create-v2-"))
    bot = Bot()   # before any thread: its admin is forked
    chain = ChainProcess()
    try:
        key, path = new_bot_wallet(tmp / "bot")
        chain.fund(str(key.pubkey()), 50 * SOL)
        settings = bot_settings(chain, path, tmp / "runs", **{
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
        mints = chain.ask(cmd="launch", count=2 * launches, rate=rate, kind=list(KINDS))["mints"]
        with contextlib.suppress(TimeoutError):   # a coin not bought is counted as such, not waited for
            bot.wait_for(lambda s: s.buys_total - before >= 2 * launches, timeout=15, poll=0.1)
        time.sleep(1.0)            # let the last buys reach the chain
        records = {r["signature"]: r for r in chain.ask(cmd="records")["records"]}
        status = bot.status()
        kind_of = {mint: KINDS[index % len(KINDS)] for index, mint in enumerate(mints)}
        samples = split_by_kind(newest(status.buys, status.buys_total - before), records, kind_of)
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
    for kind in KINDS:
        s = samples[kind]
        ds, sr = pcts(s["detect_sent"]), pcts(s["sent_received"])
        p50[kind] = (ds[0], ds[1])
        lines.append(f"{kind:>10} {s['buys']:>3}/{s['launches']:<3} {ds[0]:>10.2f} /{ds[1]:>8.2f} "
                     f"{sr[0]:>10.2f} /{sr[1]:>8.2f}")
    (legacy50, legacy99), (v2_50, v2_99) = p50["create"], p50["create_v2"]
    lines.append(f"ratio create_v2/create: p50 {v2_50 / legacy50:.2f}  p99 {v2_99 / legacy99:.2f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=40, help="launches of each kind")
    parser.add_argument("--rate", type=float, default=2.0, help="launches per second")
    parser.add_argument("--mode", default="fast", choices=("fast", "full"), help="the bot's analysis mode")
    args = parser.parse_args()
    print(report(run(args.launches, args.rate, args.mode)))


if __name__ == "__main__":
    main()
