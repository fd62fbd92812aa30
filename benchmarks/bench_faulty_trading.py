"""Does the bot still trade under heavy faults? Buys and sells completed in a fixed window.

Runs `python run.py` on the embedded local chain (its simulated market) with 30 % of RPC requests
answered HTTP 429 and 20 % of sent transactions dropped, for --seconds (default 90), and reads the
last status line inside the window (bought / sold at that moment) and the final summary.
The baseline is the same benchmark on another git ref (default `main`), unpacked with `git archive`
into a temporary directory and run in the same session, so both numbers come from one machine state.

    python -m benchmarks.bench_faulty_trading                     # this tree vs main, 90 s each
    python -m benchmarks.bench_faulty_trading --seconds 30 --baseline-ref ''   # this tree only
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAULTS_TOML = """seed = {seed}
[rpc]
rate_429 = {rate_429}
[tx]
drop_rate = {drop_rate}
"""
STATUS = re.compile(r"bought (\d+) sold (\d+) open (\d+)")
SUMMARY = re.compile(r"bought (\d+), sold (\d+), still open (\d+)")


def run_once(tree: Path, seconds: float, seed: int, rate_429: float, drop_rate: float,
             work: Path) -> dict:
    """One run.py run in `tree`; returns bought/sold inside the window and at the end."""
    work.mkdir(parents=True, exist_ok=True)
    faults = work / "faults.toml"
    faults.write_text(FAULTS_TOML.format(seed=seed, rate_429=rate_429, drop_rate=drop_rate))
    env = {**os.environ, "LOCALNET_FAULTS": str(faults), "RUNS_DIR": str(work / "runs")}
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(tree / "run.py"), "--duration", str(seconds),
                             "--seed", str(seed)], cwd=tree, env=env, capture_output=True,
                            text=True, timeout=seconds + 900)
    elapsed = time.monotonic() - started
    statuses = STATUS.findall(result.stdout)
    final = SUMMARY.search(result.stdout)
    if final is None:
        raise RuntimeError(f"no summary from {tree} (exit {result.returncode}):\n"
                           f"{result.stdout[-1500:]}\n{result.stderr[-1500:]}")
    in_window = statuses[-1] if statuses else ("0", "0", "0")
    return {"bought_in_window": int(in_window[0]), "sold_in_window": int(in_window[1]),
            "bought": int(final.group(1)), "sold": int(final.group(2)),
            "still_open": int(final.group(3)), "exit_code": result.returncode,
            "wall_seconds": elapsed}


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
