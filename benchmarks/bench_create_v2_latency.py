"""Detection to buy sent for `create_v2` coins (Token-2022, v3 buy) beside legacy `create` coins (SPL
Token), for the same running bot, same chain, same rate: the legacy coins are the baseline and the
ratio create_v2 / create is printed. Batches of each kind alternate (`--rounds`) so drift on a busy
machine falls on both. Clocks and the chain process as in benchmarks/bench_detection_latency.py.

    .venv/bin/python -m benchmarks.bench_create_v2_latency [--launches 20] [--rounds 2] [--rate 2] [--mode fast]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.bench_detection_latency import ChainProcess, measure, newest, pcts, wait_until_streaming
from tests.bot.harness import SOL, Bot, bot_settings, new_bot_wallet

KINDS = ("create", "create_v2")


def run(launches: int, rounds: int, rate: float, mode: str) -> dict[str, dict]:
    """kind -> {"detect_sent": [ms...], "buys": n, "launches": n, "sent_received": [ms...]}."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-create-v2-"))
    bot = Bot()   # before any thread: its admin is forked
    chain = ChainProcess()
    samples = {kind: {"detect_sent": [], "sent_received": [], "buys": 0, "launches": 0} for kind in KINDS}
    try:
        key, path = new_bot_wallet(tmp / "bot")
        chain.ask(cmd="fund", to=str(key.pubkey()), lamports=50 * SOL)
        settings = bot_settings(chain, path, tmp / "runs", **{
            "trading.max_active_positions": 1_000, "trading.max_hold_seconds": 2, "analysis.workers": 4,
            "analysis.mode": mode, "trading.instruction_set": "auto", "chain.rugcheck_url": chain.node.api_url,
            "chain.jupiter_url": chain.node.api_url, "run.run_dir": str(tmp / "log")})
        print(f"log in {tmp / 'log'}", flush=True)
        bot.start(settings)
        wait_until_streaming(bot, chain)
        for _ in range(rounds):
            for kind in KINDS:
                before = bot.status().buys_total
                bot.resume_buying()
                time.sleep(0.5)    # the spares refill

                def buys_of(before=before):
                    status = bot.status()
                    return newest(status.buys, status.buys_total - before)
                figures = measure(chain, launches, rate, buys_of, kind)
                bot.pause_buying()
                bot.wait_for(lambda s: s.active_positions == 0, timeout=120)
                sample = samples[kind]
                sample["buys"] += figures["buys"]
                sample["launches"] += launches
                sample["detect_sent"] += figures.pop("detect_sent_ms")
                sample["sent_received"] += figures.pop("sent_received_ms")
    finally:
        bot.stop()
        chain.stop()
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
    parser.add_argument("--launches", type=int, default=20, help="launches per batch")
    parser.add_argument("--rounds", type=int, default=2, help="batches of each kind, alternating")
    parser.add_argument("--rate", type=float, default=2.0, help="launches per second")
    parser.add_argument("--mode", default="fast", choices=("fast", "full"), help="the bot's analysis mode")
    args = parser.parse_args()
    print(report(run(args.launches, args.rounds, args.rate, args.mode)))


if __name__ == "__main__":
    main()
