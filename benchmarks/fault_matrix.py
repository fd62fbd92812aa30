"""Fault matrix: N short runs of the real bot on the local market, each under a random mix of faults
drawn from the seed, each judged against the chain afterwards.

    python -m benchmarks.fault_matrix --runs 30 --seed 1 [--window 20] [--start I | --only I] [--out DIR]

A run: the local chain with its market (its own process), a fresh funded wallet, `python run.py` in
live mode against it (benchmarks/fault_bot.py); during --window seconds of trading the faults of
benchmarks/fault_plan.py: SIGKILL of an actor process of every type (Director, root, stream,
analyzer and its workers, wallet, seller, balance monitor, spare and live PositionActors by journal
state), a whole-bot kill -9 and restart on the same journal, RPC 429/5xx, dropped and delayed
transactions, stream disconnects (POST <api>/admin/faults), the journal made read-only (chattr +i on the database and its WAL,
since root ignores file modes). Then SIGTERM (the bot sells and exits), every chain fault off, and
the checks of benchmarks/fault_audit.py: tokens stranded, double buys or sells, books, lamports
unaccounted, leftover processes. A table by fault kind follows; exit 1 on any violation.
`--only I` repeats run I of the seed alone.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from benchmarks.fault_audit import (VIOLATION_KINDS, ChainReader, Violation, check_leftovers, check_lamports,
                                    check_stranded, check_trades, summary_scope_change)
from benchmarks.fault_bot import BotProcess, write_config
from benchmarks.fault_plan import CHAIN_KINDS, FAULT_KINDS, FaultEvent, draw_plan

SOL = 1_000_000_000
WALLET_LAMPORTS = 20 * SOL
POLL_S = 0.2
CHAIN_FAULT_OFF = {"rpc_errors": {"rpc": {"rate_429": 0.0, "rate_5xx": 0.0}},
                   "tx_drop": {"tx": {"drop_rate": 0.0}},
                   "tx_delay": {"tx": {"delay_slots": 0}},
                   "stream_disconnect": {"stream": {"disconnect_every_s": 0.0}}}
KILL_NAMES = {"kill:director": "director", "kill:root": "root", "kill:stream": "stream",
              "kill:analyzer": "analyzer", "kill:wallet": "wallet", "kill:seller": "seller",
              "kill:balance_monitor": "balance_monitor"}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fault_matrix", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="how many runs (run indexes 0..N-1)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the fault plans and of the market")
    parser.add_argument("--window", type=float, default=20.0, help="real seconds of trading under faults per run")
    parser.add_argument("--start", type=int, default=0, help="first run index (continue a matrix: --start 30)")
    parser.add_argument("--only", type=int, default=None, help="repeat this one run index of the seed")
    parser.add_argument("--hold-seconds", type=int, default=5, help="trading.max_hold_seconds of the bot")
    parser.add_argument("--close-timeout", type=int, default=60, help="run.close_timeout_seconds of the bot")
    parser.add_argument("--launch-rate", type=float, default=1.0, help="launches per second of the market")
    parser.add_argument("--table", type=Path, nargs="+", default=None, metavar="RESULTS_JSONL",
                        help="only print the table of earlier runs from their results.jsonl files")
    parser.add_argument("--out", type=Path, default=None, help="directory for logs (default runs/fault-matrix-<time>)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.start < 0 or args.window <= 0 or args.hold_seconds < 1 or args.close_timeout < 1:
        parser.error("need --runs >= 1, --start >= 0, --window > 0, --hold-seconds >= 1 and --close-timeout >= 1")
    args.out = args.out or Path("runs") / time.strftime("fault-matrix-%Y%m%d-%H%M%S")
    return args


@dataclass
class RunResult:
    index: int
    seed: int
    plan: list[FaultEvent]
    injected: dict = field(default_factory=dict)      # kind -> what happened ('done', 'not reached: ...')
    violations: list[Violation] = field(default_factory=list)
    buys: int = 0
    sells: int = 0
    exit_codes: list = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""
    checks: list = field(default_factory=list)        # the checkers that ran on this run

    def line(self) -> str:
        faults = ", ".join(f"{e.describe()} [{self.injected.get(e.kind, 'not run')}]" for e in self.plan)
        verdict = "ok" if not self.violations and not self.error else f"{len(self.violations)} VIOLATION(S)"
        return (f"run {self.index} (seed {self.seed}): {self.seconds:.0f} s, buys {self.buys}, sells {self.sells}, "
                f"exit {self.exit_codes}: {verdict}{' ERROR ' + self.error if self.error else ''}\n  faults: {faults}"
                + "".join(f"\n  {v.kind}: {v.detail}" for v in self.violations))


class FaultInjector:
    """Carries out one run's plan against a running bot and chain; undoes what lasts (faults, chattr)."""

    def __init__(self, bot: BotProcess, api_url: str, journal_path: Path, result: RunResult, rng_seed: str):
        self.bot, self.api_url, self.journal_path, self.result = bot, api_url, journal_path, result
        self.pending = list(result.plan)
        self.undo: list[tuple[float, str, FaultEvent]] = []    # (when, what, event)
        self.started = time.monotonic()
        import random
        self.rng = random.Random(rng_seed)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def step(self) -> None:
        self.end_due()
        now = self.elapsed()
        for event in [e for e in self.pending if e.at_s <= now]:
            try:
                outcome = self._inject(event)
            except Exception as problem:   # a kill racing the bot's own restarts: say so, go on
                outcome = f"failed: {problem!r}"[:120]
            if outcome is not None:
                self.pending.remove(event)
                self.result.injected[event.kind] = outcome

    def finish(self) -> None:
        """The window is over: kills that found no victim are recorded; lasting faults last their
        planned time, into the bot's close-all if need be (end_due while it exits); `clear` ends
        whatever is left."""
        for event in self.pending:
            self.result.injected.setdefault(event.kind, "not reached: no such process in the window")
        self.pending = []
        self.end_due()   # a step late past the window's end must still end what was due

    def end_due(self) -> None:
        """End the lasting faults whose time is up (also while the bot sells and exits: a fault
        lasts its planned time, no longer)."""
        now = self.elapsed()
        for when, what, event in [u for u in self.undo if u[0] <= now]:
            self.undo.remove((when, what, event))
            self._end(event)

    def clear(self) -> None:
        for _, _, event in list(self.undo):
            if event.kind == "journal_readonly":
                self._end(event)
        self.undo = []
        post_faults(self.api_url, {"clear": True})

    def _inject(self, event: FaultEvent) -> str | None:
        """None: not yet (no process in the wanted state); else what was done."""
        kind = event.kind
        if kind in CHAIN_KINDS:
            post_faults(self.api_url, event.settings)
            self.undo.append((event.at_s + event.duration_s, "off", event))
            return "done"
        if kind == "journal_readonly":
            chattr("+i", journal_data_files(self.journal_path))
            self.undo.append((event.at_s + event.duration_s, "writable", event))
            return "done"
        if kind == "bot_restart":
            killed = self.bot.kill_whole()
            self.bot.start(while_waiting=self.end_due)
            return f"done ({killed} processes killed, restarted)"
        victim = self._victim(kind)
        if victim is None:
            return None
        name, pid = victim
        os.kill(pid, signal.SIGKILL)
        return f"done ({name})"

    def _victim(self, kind: str) -> tuple[str, int] | None:
        processes = self.bot.labelled()
        if kind in KILL_NAMES:
            wanted = [n for n in processes if n == KILL_NAMES[kind]]
        elif kind == "kill:analyzer_worker":
            wanted = [n for n in processes if n.startswith("analyzer/child")]
        elif kind == "kill:spare":
            wanted = [n for n in processes if n.startswith("spare:")]
        else:   # kill:position_<state>
            state = kind.split("_", 1)[1]
            states = journal_states(self.journal_path)
            wanted = [n for n in processes if n.startswith("position:") and states.get(n.split(":", 1)[1]) == state]
        if not wanted:
            return None
        name = self.rng.choice(sorted(wanted))
        return name, processes[name]

    def _end(self, event: FaultEvent) -> None:
        if event.kind == "journal_readonly":
            chattr("-i", journal_files(self.journal_path))
        else:
            post_faults(self.api_url, CHAIN_FAULT_OFF[event.kind])


def post_faults(api_url: str, body: dict) -> dict:
    request = urllib.request.Request(f"{api_url}/admin/faults", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def journal_files(path: Path) -> list[Path]:
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


def journal_data_files(path: Path) -> list[Path]:
    """What the read-only fault freezes: the database and its WAL, not the -shm index. SQLite maps
    the -shm file shared and writable; on an immutable inode the kernel answers a write fault on a
    page of it with SIGBUS or leaves the writer spinning in SQLite's lock retries, a failure of the
    injector (no real journal loses write access to a live mapping), not of the journal's storage."""
    return [p for p in journal_files(path) if not p.name.endswith("-shm")]


def chattr(flag: str, paths: list[Path]) -> None:
    """+i: not even root may write (file modes do not stop root); -i: writable again."""
    if paths:
        subprocess.run(["chattr", flag, *map(str, paths)], check=True, capture_output=True)


def journal_states(path: Path) -> dict[str, str]:
    """mint -> state of its newest row, read-only (the bot keeps writing)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)) as db:
            return {mint: state for mint, state in db.execute("SELECT mint, state FROM positions ORDER BY opened_at")}
    except sqlite3.Error:
        return {}


def wait_for_first_buy(journal_path: Path, timeout_s: float) -> None:
    """Until the journal holds a position (a buy was sent), at most timeout_s: faults then hit a
    bot that trades, however slow the machine is (the CI run; 0 = start the window at once)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not journal_states(journal_path):
        time.sleep(POLL_S)


def journal_rows(path: Path) -> list[dict]:
    from adapters.journal import Journal
    journal = Journal(path)
    try:
        return journal.all_positions()
    finally:
        journal.close()


def run_once(args, index: int, plan: list[FaultEvent] | None = None) -> RunResult:
    """One run; `plan` replaces the one drawn from (seed, index) (the CI test names its faults)."""
    from solders.keypair import Keypair
    from adapters.keys import write_keypair_file
    from benchmarks.soak import Books, ChainProcess
    result = RunResult(index, args.seed, plan if plan is not None else draw_plan(args.seed, index, args.window))
    run_dir = args.out / f"run-{index:03d}"
    run_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    chain_args = SimpleNamespace(launch_rate=args.launch_rate, speed=1.0, seed=args.seed * 1000 + index, faults=None)
    chain = ChainProcess(chain_args, run_dir / "localnet.log")
    books = bot = injector = None
    try:
        endpoints = chain.wait_ready()
        keypair = Keypair()
        wallet_path = write_keypair_file(keypair, run_dir / "wallet.json")
        books = Books(endpoints["rpc"], keypair.pubkey())
        books.airdrop(WALLET_LAMPORTS)
        start_balance = books.balance()
        journal_path = run_dir / "journal.sqlite3"
        config = write_config(run_dir / "bot.toml", endpoints, wallet_path, run_dir / "runs", journal_path,
                              args.hold_seconds, args.close_timeout)
        bot = BotProcess(config, endpoints, run_dir / "runs", run_dir)
        bot.start()
        wait_for_first_buy(journal_path, getattr(args, "first_buy_timeout", 0.0))
        injector = FaultInjector(bot, endpoints["api"], journal_path, result, f"victims:{args.seed}:{index}")
        while injector.elapsed() < args.window:
            injector.step()
            if bot.process.poll() is not None:
                result.error = f"run.py exited by itself with {bot.process.returncode} during the window"
                break
            time.sleep(POLL_S)
        injector.finish()
        result.exit_codes = [None] * (bot.incarnations - 1) + [bot.stop(args.close_timeout, injector.end_due)]
        injector.clear()
        result.violations = audit(bot, books, endpoints["rpc"], str(keypair.pubkey()), start_balance,
                                  journal_path, result)
    except Exception as problem:
        result.error = repr(problem)[:300]
    finally:
        if injector is not None:
            with contextlib.suppress(Exception):
                injector.clear()
        with contextlib.suppress(Exception):
            chattr("-i", journal_files(run_dir / "journal.sqlite3"))
        if bot is not None:
            bot.kill_whole()
        if books is not None:
            books.close()
        chain.stop()
    result.seconds = time.monotonic() - started
    return result


def audit(bot: BotProcess, books, rpc_url: str, owner: str, start_balance: int, journal_path: Path,
          result: RunResult) -> list[Violation]:
    reader = ChainReader(rpc_url)
    txs = reader.wallet_txs(owner)
    txs = [tx for tx in txs if not (tx.lamport_delta == WALLET_LAMPORTS and not tx.token_deltas)]   # the airdrop
    rows = journal_rows(journal_path)
    result.buys = sum(1 for tx in txs for _, kind in tx.trades if kind == "buy")
    result.sells = sum(1 for tx in txs for _, kind in tx.trades if kind == "sell")
    # a restarted bot's summary covers its own positions (recovered ones whole), not the killed one's
    summary_expected = None if bot.incarnations == 1 else summary_scope_change(txs, rows, bot.started_at)
    found = check_stranded(books.holdings(), bot.last_output(), result.exit_codes[-1] if result.exit_codes else None)
    found += check_trades(txs, rows)
    found += check_lamports(reader.balance(owner) - start_balance, txs, rows, bot.summary_pnl(), summary_expected)
    if bot.summary_pnl() is None:
        found.append(Violation("books", "run.py printed no summary PnL"))
    found += check_leftovers(bot.leftovers())
    result.checks = ["stranded", "trades", "lamports", "leftovers"]
    return found


def table(results: list[RunResult]) -> str:
    """Runs and violations of each kind, by fault kind (a run counts under every fault it carried)."""
    header = f"{'fault kind':24} {'runs':>5} {'reached':>8} " + " ".join(f"{k:>11}" for k in VIOLATION_KINDS) + f" {'errors':>7}"
    lines = [header, "-" * len(header)]
    for kind in FAULT_KINDS + ("(all runs)",):
        runs = [r for r in results if kind == "(all runs)" or any(e.kind == kind for e in r.plan)]
        reached = sum(1 for r in runs if kind == "(all runs)" or str(r.injected.get(kind, "")).startswith("done"))
        counts = Counter(v.kind for r in runs for v in r.violations)
        errors = sum(1 for r in runs if r.error)
        lines.append(f"{kind:24} {len(runs):>5} {reached:>8} " + " ".join(f"{counts[k]:>11}" for k in VIOLATION_KINDS)
                     + f" {errors:>7}")
    return "\n".join(lines)


def results_from_files(paths: list[Path]) -> list[RunResult]:
    """RunResults back from results.jsonl files (`--table`: one table over matrices run in parts)."""
    results = []
    for path in paths:
        for line in Path(path).read_text().splitlines():
            row = json.loads(line)
            plan = [FaultEvent(text.split("@", 1)[0], 0.0) for text in row["plan"]]
            results.append(RunResult(row["index"], row["seed"], plan, row["injected"],
                                     [Violation(kind, detail) for kind, detail in row["violations"]],
                                     row["buys"], row["sells"], row["exit_codes"], row["seconds"], row["error"]))
    return results


def run(args) -> int:
    if args.table:
        results = results_from_files(args.table)
        print(table(results))
        bad = [(r.seed, r.index) for r in results if r.violations or r.error]
        print(f"{len(results)} runs, {sum(r.seconds for r in results) / max(1, len(results)):.1f} s per run; "
              f"violations or errors in (seed, run): {bad}")
        return 1 if bad else 0
    args.out.mkdir(parents=True, exist_ok=True)
    indexes = [args.only] if args.only is not None else list(range(args.start, args.start + args.runs))
    results = []
    print(f"fault matrix: {len(indexes)} run(s), seed {args.seed}, {args.window:g} s of trading each; logs in {args.out}",
          flush=True)
    for index in indexes:
        result = run_once(args, index)
        results.append(result)
        print(result.line(), flush=True)
        with open(args.out / "results.jsonl", "a") as sink:
            sink.write(json.dumps({"index": index, "seed": args.seed, "seconds": round(result.seconds, 1),
                                   "plan": [e.describe() for e in result.plan], "injected": result.injected,
                                   "buys": result.buys, "sells": result.sells, "exit_codes": result.exit_codes,
                                   "error": result.error,
                                   "violations": [[v.kind, v.detail] for v in result.violations]}) + "\n")
    print(table(results))
    seconds = [r.seconds for r in results]
    bad = [r for r in results if r.violations or r.error]
    print(f"fault matrix: {len(results)} runs, {sum(seconds) / len(seconds):.1f} s per run on average, "
          f"{sum(r.buys for r in results)} buys and {sum(r.sells for r in results)} sells landed, "
          f"{sum(len(r.violations) for r in results)} violation(s) in {len(bad)} run(s)"
          + (f"; repeat one with --seed {args.seed} --only I, I in {[r.index for r in bad]}" if bad else ""), flush=True)
    return 1 if bad else 0


def main(argv=None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
