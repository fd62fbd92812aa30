"""Does the bot still trade under heavy faults? Buys and sells completed in a fixed window.

Runs `python run.py` on the embedded local chain (its simulated market) with 30 % of RPC requests
answered HTTP 429 and 20 % of sent transactions dropped (switched on through the chain's
POST /admin/faults once the bot runs) for --seconds (default 90), and counts the buys and sells
completed inside the window (status lines) and after close-all (the final summary).
The baseline is the same benchmark on another git ref (default `main`), unpacked with `git archive`
into a temporary directory and run in the same session, so both numbers come from one machine state.

    python -m benchmarks.bench_faulty_trading                     # this tree vs main, 90 s each
    python -m benchmarks.bench_faulty_trading --seconds 30 --baseline-ref ''   # this tree only
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAULTS_TOML = "seed = {seed}\n"   # faults off at start-up; switched on once the bot runs
API_URL = re.compile(r" api (http://\S+?);")
STARTUP_TIMEOUT_SECONDS = 120
CLOSE_TIMEOUT_SECONDS = 900
STATUS = re.compile(r"bought (\d+) sold (\d+) open (\d+)")
SUMMARY = re.compile(r"bought (\d+), sold (\d+), still open (\d+)")


def run_once(tree: Path, seconds: float, seed: int, rate_429: float, drop_rate: float,
             work: Path) -> dict:
    """One run.py run in `tree`: faults switched on (POST /admin/faults) once the bot runs, then
    `seconds` of trading, then SIGTERM (close-all and summary). Returns bought/sold at the end of
    the window (last status line) and after close-all (summary)."""
    work.mkdir(parents=True, exist_ok=True)
    faults = work / "faults.toml"
    faults.write_text(FAULTS_TOML.format(seed=seed))   # the node's admin API needs a fault plan
    env = {**os.environ, "LOCALNET_FAULTS": str(faults), "RUNS_DIR": str(work / "runs")}
    process = subprocess.Popen([sys.executable, str(tree / "run.py"), "--seed", str(seed)],
                               cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    stdout: list[tuple[float, str]] = []
    api = {}
    ready = threading.Event()

    def read_stdout():
        for line in process.stdout:
            stdout.append((time.monotonic(), line))

    def read_stderr():
        for line in process.stderr:
            found = API_URL.search(line)
            if found:
                api["url"] = found.group(1)
            if "bot running" in line:
                ready.set()
    threads = [threading.Thread(target=fn, daemon=True) for fn in (read_stdout, read_stderr)]
    for thread in threads:
        thread.start()
    try:
        if not ready.wait(STARTUP_TIMEOUT_SECONDS) or "url" not in api:
            raise RuntimeError(f"{tree}: the bot did not start")
        post_faults(api["url"], {"rpc": {"rate_429": rate_429}, "tx": {"drop_rate": drop_rate}})
        window_start = time.monotonic()
        time.sleep(seconds)
        window_end = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=CLOSE_TIMEOUT_SECONDS)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for thread in threads:
            thread.join(5)
    in_window = [STATUS.search(line) for at, line in stdout if at <= window_end]
    in_window = [found for found in in_window if found] or [None]
    start_counts = [STATUS.search(line) for at, line in stdout if at <= window_start]
    start_counts = [found for found in start_counts if found] or [None]
    final = SUMMARY.search("".join(line for _, line in stdout))
    if final is None:
        raise RuntimeError(f"no summary from {tree} (exit {process.returncode})")

    def counts(found):
        return (0, 0) if found is None else (int(found.group(1)), int(found.group(2)))
    (bought_end, sold_end), (bought_start, sold_start) = counts(in_window[-1]), counts(start_counts[-1])
    return {"bought_in_window": bought_end - bought_start, "sold_in_window": sold_end - sold_start,
            "bought": int(final.group(1)), "sold": int(final.group(2)),
            "still_open": int(final.group(3)), "exit_code": process.returncode,
            "wall_seconds": time.monotonic() - window_start}


def post_faults(api_url: str, faults: dict) -> None:
    request = urllib.request.Request(f"{api_url}/admin/faults", data=json.dumps(faults).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()


def unpack_ref(ref: str, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def describe(name: str, numbers: dict) -> str:
    return (f"{name:<10} in {numbers['window']:.0f} s: bought {numbers['bought_in_window']:>3} "
            f"sold {numbers['sold_in_window']:>3} | after close-all: bought {numbers['bought']:>3} "
            f"sold {numbers['sold']:>3} still open {numbers['still_open']} "
            f"(exit {numbers['exit_code']}, {numbers['wall_seconds']:.0f} s wall)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rate-429", type=float, default=0.30)
    parser.add_argument("--drop-rate", type=float, default=0.20)
    parser.add_argument("--baseline-ref", default="main", help="git ref to compare with ('' = none)")
    args = parser.parse_args(argv)
    print(f"faults: {args.rate_429:.0%} HTTP 429, {args.drop_rate:.0%} dropped transactions; "
          f"window {args.seconds:.0f} s; seed {args.seed}", flush=True)
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-faulty-") as tmp:
        trees = [("this tree", ROOT)]
        if args.baseline_ref:
            trees.insert(0, (args.baseline_ref, unpack_ref(args.baseline_ref, Path(tmp) / "baseline")))
        for index, (name, tree) in enumerate(trees):
            numbers = run_once(tree, args.seconds, args.seed, args.rate_429, args.drop_rate,
                               Path(tmp) / f"work{index}")
            numbers["window"] = args.seconds
            results[name] = numbers
            print(describe(name, numbers), flush=True)
    if args.baseline_ref:
        base, now = results[args.baseline_ref], results["this tree"]
        for key in ("bought_in_window", "sold_in_window"):
            ratio = "inf" if base[key] == 0 else f"{now[key] / base[key]:.2f}x"
            print(f"{key}: {base[key]} -> {now[key]} ({ratio} the baseline)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
