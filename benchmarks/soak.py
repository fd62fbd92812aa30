"""Stability soak: the bot trades the local market for H simulated hours, S times faster than real
time, while per-process resources, message lag, buy latency and the books are sampled.

    python -m benchmarks.soak --hours 24 --speed 16 [--faults FILE] [--sample-seconds 10] [--out DIR]

The chain runs as its own process (`python -m localnet --market --speed S`, as run.py starts it);
its launch rate is per simulated second, so real launches are launch_rate * S per second and the
third-party rate limits are scaled by S too. The bot is the real actor tree (tests/bot/harness.Bot:
the same Root -> Director tree run.py starts) in its own process group, which this runner asks for
Status (lag = its round trip) and ChildPids (names of the processes it samples).

At the end it sells everything and checks: no token stranded, reported PnL == the wallet's lamport
change on chain, and no metric trending up beyond benchmarks/soak_trend.py's tolerances.
Exit 0 when all hold, 1 otherwise. Samples go to --out as CSV, the verdict as summary.json.
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

from app.local_chain import ChainChild
from benchmarks.soak_sampler import ProcessSampler, label_processes, sample_all
from benchmarks.soak_trend import table, trends
from localnet.chain import DEFAULT_RECORD_CAPACITY
from localnet.jupiter_limits import FREE_TIER_REQUESTS
from localnet.market.config import MAX_LAUNCH_RATE

SOL = 1_000_000_000
WALLET_LAMPORTS = 50 * SOL
READY_TIMEOUT_S = 60
CLOSE_TIMEOUT_S = 180
MAX_STATUS_FAILURES_IN_A_ROW = 5   # the bot stopped answering: a crash


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, required=True, help="simulated hours to trade")
    parser.add_argument("--speed", type=float, default=16.0, help="simulated seconds per real second")
    parser.add_argument("--faults", default=None, help="fault plan TOML for the chain (localnet/faults.example.toml)")
    parser.add_argument("--sample-seconds", type=float, default=10.0, help="real seconds between samples")
    parser.add_argument("--out", type=Path, default=None, help="directory for samples (default runs/soak-<time>)")
    parser.add_argument("--launch-rate", type=float, default=0.5, help="launches per simulated second")
    parser.add_argument("--warmup-fraction", type=float, default=0.25, help="share of the run left out of trends")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if not args.hours > 0 or not args.speed > 0 or not args.sample_seconds > 0:
        parser.error("need --hours, --speed and --sample-seconds > 0")
    if not 0 < args.launch_rate <= MAX_LAUNCH_RATE:
        parser.error(f"--launch-rate must be in (0, {MAX_LAUNCH_RATE:g}]")
    if not 0 <= args.warmup_fraction < 1:
        parser.error("--warmup-fraction must be in [0, 1)")
    if args.faults and not Path(args.faults).is_file():
        parser.error(f"fault plan not found: {args.faults}")
    args.out = args.out or Path("runs") / time.strftime("soak-%Y%m%d-%H%M%S")
    if any((args.out / name).exists() for name in ("windows.csv", "processes.csv", "summary.json")):
        parser.error(f"--out {args.out} already holds a soak's samples (they would mix); choose a new directory")
    return args


class ChainProcess(ChainChild):
    """`python -m localnet` with the market at the soak's speed; its metadata server gives the market's
    counters."""

    def __init__(self, args, log_path: Path):
        rate_limit = str(int(FREE_TIER_REQUESTS * args.speed))     # third-party limits scale with time
        command = [sys.executable, "-m", "localnet", "--rpc-port", "0", "--ws-port", "0", "--grpc-port", "0",
                   "--api-port", "0", "--metadata-port", "0", "--seed", str(args.seed), "--quiet", "--market",
                   "--launch-rate", str(args.launch_rate), "--speed", str(args.speed),
                   "--jupiter-rate", rate_limit, "--safety-rate", rate_limit]
        if args.faults:
            command += ["--faults", args.faults]
        super().__init__(command, log_path)
        self.pid = self.process.pid

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> dict:
        return super().wait_ready(timeout)

    @property
    def market_url(self) -> str | None:
        return next((line.split()[2] for line in self.banner if line.startswith("market metadata ")), None)

    def market_status(self) -> dict:
        """The market's counters (launched, trades, transactions, lag behind its script) from its
        HTTP endpoint on loopback; {} when unavailable."""
        if not self.market_url:
            return {}
        import urllib.request
        try:
            with urllib.request.urlopen(f"{self.market_url}/market/wallets", timeout=5) as answer:
                status = json.loads(answer.read())
        except (OSError, ValueError):
            return {}
        status.pop("wallets", None)
        return status


class Books:
    """The wallet's balance and holdings on chain, read over JSON-RPC on a private loop."""

    def __init__(self, rpc_url: str, owner):
        from adapters.solana_rpc import RpcClient
        self.loop = asyncio.new_event_loop()
        self.owner = owner
        self.rpc = self.loop.run_until_complete(self._client(RpcClient, rpc_url))

    @staticmethod
    async def _client(cls, url):
        return cls([url], commitment="confirmed", timeout_ms=10_000)

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def airdrop(self, lamports: int) -> None:
        self.run(self.rpc.call("requestAirdrop", lambda c: c.request_airdrop(self.owner, lamports)))
        deadline = time.monotonic() + 30
        while self.balance() < lamports:
            if time.monotonic() > deadline:
                raise RuntimeError("the soak wallet's airdrop did not arrive")
            time.sleep(0.1)

    def balance(self) -> int:
        return self.run(self.rpc.get_balance(self.owner))

    def holdings(self) -> dict[str, int]:
        from actors.trading_io import token_holdings
        return {mint: raw for mint, raw in self.run(token_holdings(self.rpc, self.owner)).items() if raw}

    def close(self) -> None:
        self.run(self.rpc.close())
        self.loop.close()


def bot_settings(endpoints: dict, wallet_path: Path, runs_dir: Path, speed: float):
    from config.settings import load_settings
    return load_settings(env={}, overrides={
        "chain.mode": "live", "chain.rpc_urls": [endpoints["rpc"]], "chain.ws_url": endpoints["ws"],
        "chain.grpc_endpoint": endpoints.get("grpc") or None, "chain.jupiter_url": endpoints.get("api") or None,
        "chain.rugcheck_url": endpoints.get("api") or None, "wallet.keypair_path": str(wallet_path),
        "trading.max_hold_seconds": max(3, round(60 / speed)),   # the default 60 simulated seconds
        # the simulated market has 16 creators: past 5 launches each, the default would veto every coin
        "analysis.max_creator_launches": 1_000_000,
        "analysis.deadline_ms": 1_000,   # a shared 2-core CI box answers the analysis sources slower
        "run.runs_dir": str(runs_dir), "run.quiet": True})


class Soak:
    def __init__(self, args):
        self.args = args
        self.samples: list[dict] = []
        self.windows: list[dict] = []
        self.series: dict = {}
        self.sampler = ProcessSampler()
        self.started = time.monotonic()
        self.latencies_seen = 0
        self.histogram_seen = None
        self.status_failures = 0
        self.max_status_failures = 0
        self.chain_full_at_hours: float | None = None   # when the chain's record store filled up

    def sim_hours(self) -> float:
        return (time.monotonic() - self.started) * self.args.speed / 3600

    def _add(self, subject: str, metric: str, hours: float, value) -> None:
        self.series.setdefault((subject, metric), []).append((hours, value))

    def sample(self, bot, books: Books, chain: ChainProcess, start_balance: int) -> None:
        from messages import new_request_id
        from messages.status import ChildPids, ChildPidsRequest
        hours, now = self.sim_hours(), time.monotonic()
        asked = time.perf_counter()
        try:
            status = bot.status()
        except Exception as problem:          # a restarting Director may miss one; many in a row = crash
            self.status_failures += 1
            self.max_status_failures = max(self.max_status_failures, self.status_failures)
            print(f"soak: status failed ({self.status_failures} in a row): {problem}", file=sys.stderr)
            return
        lag_ms = (time.perf_counter() - asked) * 1000
        self.status_failures = 0
        pids = bot.system.ask(bot.director, ChildPidsRequest(new_request_id("pids")), timeout=15)
        named = pids.pids if isinstance(pids, ChildPids) else {}
        for process in sample_all(self.sampler, label_processes(bot.system.pgid, named), chain.pid, now):
            row = {"t_real_s": round(now - self.started, 2), "sim_hours": round(hours, 4), **asdict(process)}
            self.samples.append(row)
            self._append("processes.csv", row)
            for metric in ("rss_mb", "fds", "threads", "cpu_pct"):
                self._add(process.name, metric, hours, getattr(process, metric))
        window = self._window_latencies(status)
        wallet_delta = books.balance() - start_balance
        row = {"t_real_s": round(now - self.started, 2), "sim_hours": round(hours, 4), "lag_ms": round(lag_ms, 2),
               "buys_in_window": window["count"], "buy_p50_ms": window.get("p50"), "buy_p99_ms": window.get("p99"),
               "coins_seen": status.coins_seen, "bought": status.bought, "sold": status.sold,
               "active_positions": status.active_positions, "pnl_lamports": status.pnl_lamports,
               "wallet_delta_lamports": wallet_delta, "books_gap_lamports": wallet_delta - status.pnl_lamports,
               "unresolved": status.unresolved_signatures, "restarts": sum(status.restarts.values()),
               **self._market_columns(chain.market_status(), hours)}
        self.windows.append(row)
        self._append("windows.csv", row)
        self._add("bot", "lag_ms", hours, lag_ms)
        self._add("bot", "buy_p50_ms", hours, window.get("p50"))
        self._add("bot", "buy_p99_ms", hours, window.get("p99"))

    def _market_columns(self, market: dict, hours: float) -> dict:
        transactions = market.get("transactions") or {}
        landed = transactions.get("succeeded", 0) + transactions.get("failed", 0)
        if self.chain_full_at_hours is None and landed >= DEFAULT_RECORD_CAPACITY:
            self.chain_full_at_hours = hours
        return {"market_launched": market.get("launched"), "market_trades": market.get("trades"),
                "market_txs_landed": landed, "market_lag_s": market.get("max_lag_s")}

    def _window_latencies(self, status) -> dict:
        """Detection-to-buy-sent of the buys since the last sample: from a cumulative histogram when
        the Status carries one (latency_histogram), else from the new tail of latencies_ms."""
        from adapters.stats import LatencyHistogram
        histogram = getattr(status, "latency_histogram", None)
        if isinstance(histogram, LatencyHistogram):
            window = histogram.since(self.histogram_seen) if self.histogram_seen else histogram
            self.histogram_seen = histogram
            return window.summary()
        latencies = list(status.latencies_ms)
        fresh = latencies[self.latencies_seen:] if len(latencies) >= self.latencies_seen else latencies
        self.latencies_seen = len(latencies)
        return LatencyHistogram().extend(fresh).summary()

    def _append(self, name: str, row: dict) -> None:
        """Samples reach the disk as they are taken: a soak cut short still leaves its data."""
        path = self.args.out / name
        new_file = not path.exists()
        with open(path, "a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(row), extrasaction="ignore")
            if new_file:
                writer.writeheader()
            writer.writerow(row)

    def write(self, out: Path, summary: dict) -> None:
        (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))


def run(args) -> int:
    from solders.keypair import Keypair
    from adapters.keys import write_keypair_file
    from tests.bot.harness import Bot
    args.out.mkdir(parents=True, exist_ok=True)
    bot = Bot()                       # forked before this process has any thread (harness docstring)
    chain = books = None
    soak = Soak(args)
    failures: list[str] = []
    try:
        chain = ChainProcess(args, args.out / "localnet.log")
        endpoints = chain.wait_ready()
        keypair = Keypair()
        wallet_path = write_keypair_file(keypair, args.out / "wallet.json")
        books = Books(endpoints["rpc"], keypair.pubkey())
        books.airdrop(WALLET_LAMPORTS)
        start_balance = books.balance()
        bot.start(bot_settings(endpoints, wallet_path, args.out / "runs", args.speed))
        real_seconds = args.hours * 3600 / args.speed
        print(f"soak: {args.hours:g} simulated h at x{args.speed:g} = {real_seconds:.0f} real s; "
              f"{args.launch_rate * args.speed:g} launches per real s; samples every {args.sample_seconds:g} s "
              f"into {args.out}", flush=True)
        soak.started = time.monotonic()
        deadline = soak.started + real_seconds
        while time.monotonic() < deadline:
            tick = time.monotonic()
            soak.sample(bot, books, chain, start_balance)
            if soak.status_failures >= MAX_STATUS_FAILURES_IN_A_ROW:
                failures.append(f"the bot stopped answering Status ({soak.status_failures} failures in a row)")
                break
            if chain.process.poll() is not None:
                failures.append(f"the local chain exited with code {chain.process.returncode}")
                break
            time.sleep(max(0.0, min(args.sample_seconds - (time.monotonic() - tick), deadline - time.monotonic())))
        final = close_everything(bot, failures)
        end_balance, stranded = books.balance(), books.holdings()
        if final is not None and final.pnl_lamports != end_balance - start_balance:
            failures.append(f"books: reported PnL {final.pnl_lamports} != wallet change "
                            f"{end_balance - start_balance} lamports")
        if stranded:
            failures.append(f"stranded tokens: {stranded}")
        found = trends(soak.series, args.hours * args.warmup_fraction, args.launch_rate, soak.chain_full_at_hours)
        failures += [f"{t.subject} {t.metric} grows {t.slope_per_hour:.3g} {t.tolerance.unit}/sim-h"
                     for t in found if t.verdict == "FAIL"]
        print(table(found))
        last = soak.windows[-1] if soak.windows else {}
        print(f"market: launched {last.get('market_launched')}, trades {last.get('market_trades')}, "
              f"max lag behind its script {last.get('market_lag_s')} simulated s; chain record store "
              + (f"full at {soak.chain_full_at_hours:.2f} sim-h (chain RSS gated after it)"
                 if soak.chain_full_at_hours is not None else
                 f"still filling ({last.get('market_txs_landed')}/{DEFAULT_RECORD_CAPACITY}): chain RSS not gated"))
        if (last.get("market_lag_s") or 0) > 0.05 * args.hours * 3600:
            print(f"soak: WARNING the market ran up to {last['market_lag_s']:.0f} simulated s behind its script: "
                  f"this machine cannot keep up with x{args.speed:g}; fewer simulated hours were traded")
        print(f"bot: coins seen {last.get('coins_seen')}, bought {last.get('bought')}, sold {last.get('sold')}, "
              f"restarts {last.get('restarts')}; final PnL {getattr(final, 'pnl_lamports', None)} lamports, "
              f"wallet change {end_balance - start_balance}, stranded {len(stranded)}")
        reasons = sorted(getattr(final, "failures", {}).items(), key=lambda kv: -kv[1])[:6]
        print("bot: top reasons not bought / failed: " + (", ".join(f"{k} {v}" for k, v in reasons) or "none"))
        summary = {"args": {k: str(v) for k, v in vars(args).items()}, "failures": failures,
                   "trends": [{**asdict(t), "verdict": t.verdict} for t in found],
                   "final": {"pnl_lamports": getattr(final, "pnl_lamports", None),
                             "wallet_change_lamports": end_balance - start_balance, "stranded": stranded},
                   "bot_failures": dict(getattr(final, "failures", {})),
                   "max_status_failures_in_a_row": soak.max_status_failures}
        soak.write(args.out, summary)
    except Exception as problem:
        failures.append(f"soak aborted: {problem!r}")
    finally:
        bot.stop()
        if books is not None:
            books.close()
        if chain is not None:
            chain.stop()
    for failure in failures:
        print(f"FAIL: {failure}")
    print("soak: PASS" if not failures else f"soak: FAIL ({len(failures)})", flush=True)
    return 1 if failures else 0


def close_everything(bot, failures: list[str]):
    """Stop buying, sell every position, wait until nothing is open or unresolved."""
    try:
        bot.close_all()
        return bot.wait_for(lambda s: s.active_positions == 0 and s.unresolved_signatures == 0,
                            timeout=CLOSE_TIMEOUT_S, poll=1.0)
    except Exception as problem:
        failures.append(f"closing every position failed: {problem}")
        return None


def main(argv=None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
