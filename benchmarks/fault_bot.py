"""The bot as a user runs it, for the fault matrix: `python run.py --config <file>` in live mode against a
local chain this runner started, found again by an environment marker every process of it inherits.

It is started, asked for its actor processes over its control socket (`--control pids`), SIGKILLed
whole (every marked process at once, as a power cut would) and started again on the same journal
and wallet, or stopped with SIGTERM like Ctrl-C (it then sells what is open and prints its summary).
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil

from app.control import ControlError, send_command
from benchmarks.soak_sampler import label_processes

PROJECT_ROOT = Path(__file__).resolve().parents[1]
READY_TIMEOUT_S = 60.0
STOP_GRACE_S = 30.0         # beyond run.close_timeout_seconds, for the summary and the sweep
KILL_ROUNDS = 5             # a whole-bot kill lists and kills again until nothing of it is left
MARKER_VARIABLE = "PUMPSNIPE_FAULT_MATRIX_MARKER"
SUMMARY_PNL = re.compile(r"^PnL -?[0-9.]+ SOL \((-?\d+) lamports\)", re.M)


def write_config(path: Path, endpoints: dict, wallet_path: Path, runs_dir: Path, journal_path: Path,
                 hold_seconds: int, close_timeout_s: int) -> Path:
    """A live-mode TOML pointing at the local chain (the RPC and WS URLs go in the environment: secrets)."""
    path.write_text(f"""[chain]
mode = "live"
grpc_endpoint = "{endpoints['grpc']}"
jupiter_url = "{endpoints['api']}"
rugcheck_url = "{endpoints['api']}"

[wallet]
keypair_path = "{wallet_path}"

[trading]
max_hold_seconds = {hold_seconds}

[analysis]
max_creator_launches = 1000000   # the simulated market has few creators
deadline_ms = 1000               # a loaded 2-core box answers the sources slower

[run]
runs_dir = "{runs_dir}"
journal_path = "{journal_path}"
quiet = true
close_timeout_seconds = {close_timeout_s}
""")
    return path


def marked_processes(marker: str) -> list[psutil.Process]:
    """Every live process that inherited this marker, whatever session or group it moved to."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get(MARKER_VARIABLE) == marker and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except psutil.Error:
            continue
    return found


class BotProcess:
    """One bot (one or more incarnations of run.py on the same config, journal and wallet)."""

    def __init__(self, config: Path, endpoints: dict, runs_dir: Path, log_dir: Path):
        self.config, self.runs_dir, self.log_dir = config, runs_dir, log_dir
        self.marker = uuid.uuid4().hex
        self.env = {**os.environ, "RPC_URLS": endpoints["rpc"], "WS_URL": endpoints["ws"],
                    MARKER_VARIABLE: self.marker}
        self.process: subprocess.Popen | None = None
        self.run_dir: Path | None = None
        self.incarnations = 0
        self.outputs: list[Path] = []
        self.started_at = 0.0    # time.time() as the last incarnation was started: its summary's scope

    def start(self, while_waiting=None) -> None:
        """run.py again; returns once its control socket answers a status request. `while_waiting()`
        runs on each poll meanwhile (the injector ends faults that are due: a journal read-only while
        run.py waits for it must become writable on time)."""
        self.incarnations += 1
        self.started_at = time.time()
        output = self.log_dir / f"run_py_{self.incarnations}.out"
        self.outputs.append(output)
        known = set(self.runs_dir.glob("*")) if self.runs_dir.exists() else set()
        with open(output, "wb") as sink:
            self.process = subprocess.Popen([sys.executable, str(PROJECT_ROOT / "run.py"), "--config",
                                             str(self.config)], stdout=sink, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, cwd=PROJECT_ROOT, env=self.env,
                                            start_new_session=True)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"run.py exited with {self.process.returncode} at start: "
                                   f"{output.read_text(errors='replace')[-600:]}")
            fresh = [p for p in self.runs_dir.glob("*") if p not in known and p.is_dir()] if self.runs_dir.exists() else []
            if fresh:
                self.run_dir = max(fresh, key=lambda p: p.name)
                try:
                    ok, _ = send_command(self.run_dir, "status", timeout=5)
                    if ok:
                        return
                except ControlError:
                    pass
            if while_waiting is not None:
                while_waiting()
            time.sleep(0.2)
        raise RuntimeError(f"run.py did not answer on its control socket within {READY_TIMEOUT_S:.0f} s")

    def pids(self) -> dict[str, int]:
        ok, message = send_command(self.run_dir, "pids", timeout=10)
        if not ok:
            raise RuntimeError(message)
        return json.loads(message)

    def labelled(self) -> dict[str, int]:
        """Every process of the actor system by name (director, root, analyzer/child0, spare:0...)."""
        named = self.pids()
        pgid = os.getpgid(named["director"])
        return {name: proc.pid for proc_pid, (name, proc) in label_processes(pgid, named).items()}

    def kill_whole(self) -> int:
        """SIGKILL every process of the bot, as a power cut would; returns how many there were.
        Listing and killing is not atomic: a process forked meanwhile (a spare, say) is missed by
        one round, so rounds repeat until none is left."""
        killed = 0
        for _ in range(KILL_ROUNDS):
            victims = marked_processes(self.marker)
            if not victims:
                break
            for proc in victims:
                try:
                    proc.kill()
                except psutil.Error:
                    continue
            killed += len(victims)
            psutil.wait_procs(victims, timeout=5)
        if self.process is not None:
            self.process.wait()
        return killed

    def stop(self, close_timeout_s: float, while_waiting=None) -> int | None:
        """SIGTERM as a user's Ctrl-C would; the exit code, or None when it hung (then it is killed).
        `while_waiting()` is called every 0.2 s until it exits (the matrix ends faults on time)."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + close_timeout_s + STOP_GRACE_S
        while time.monotonic() < deadline:
            try:
                return self.process.wait(0.2)
            except subprocess.TimeoutExpired:
                if while_waiting is not None:
                    while_waiting()
        self.kill_whole()
        return None

    def leftovers(self, grace_s: float = 5.0) -> list[psutil.Process]:
        deadline = time.monotonic() + grace_s
        while marked_processes(self.marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        return marked_processes(self.marker)

    def last_output(self) -> str:
        return self.outputs[-1].read_text(errors="replace") if self.outputs else ""

    def summary_pnl(self) -> int | None:
        """The PnL of the last incarnation's summary, in lamports; None when it printed none."""
        found = SUMMARY_PNL.findall(self.last_output())
        return int(found[-1]) if found else None
