"""The stability soak (benchmarks/soak.py): its trend gate on synthetic series, and a short real run
in CI (a few simulated minutes at x8: the bot trades the local market in its own processes)."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.soak_trend import slope, trends

ROOT = Path(__file__).resolve().parents[2]


def test_least_squares_slope():
    assert slope([0, 1, 2, 3], [1, 3, 5, 7]) == pytest.approx(2.0)
    assert slope([0, 1], [1, 2]) is None          # too few points to call a trend


def series(per_hour: float, hours: float = 24, noise: float = 0.0) -> list:
    return [(h / 10, 60 + per_hour * h / 10 + (noise if h % 2 else -noise)) for h in range(int(hours * 10) + 1)]


def verdicts(found) -> dict:
    return {(t.subject, t.metric): t.verdict for t in found}


def test_a_leaking_process_fails_and_a_flat_one_passes():
    found = verdicts(trends({("wallet", "rss_mb"): series(2.0), ("stream", "rss_mb"): series(0.0, noise=3.0),
                             ("seller", "fds"): series(1.5), ("bot", "lag_ms"): series(0.5),
                             ("positions(sum)", "rss_mb"): series(50.0)}, warmup_hours=2, launch_rate=0.5))
    assert found[("wallet", "rss_mb")] == "FAIL"         # 2 MB per simulated hour for a day
    assert found[("stream", "rss_mb")] == "ok"           # noisy but flat
    assert found[("seller", "fds")] == "FAIL"
    assert found[("bot", "lag_ms")] == "ok"
    assert found[("positions(sum)", "rss_mb")] == "info"  # transient actors are reported, not gated


def test_the_warm_up_is_left_out_and_short_runs_are_held_to_the_noise_floor():
    warm = [(0.0, 10.0), (0.1, 60.0)] + [(h / 10, 60.0) for h in range(2, 30)]
    assert verdicts(trends({("wallet", "rss_mb"): warm}, 0.15, 0.5))[("wallet", "rss_mb")] == "ok"
    short = [(h / 100, 60 + 50 * h / 100) for h in range(10)]     # 50 MB/h over 0.09 h = 4.5 MB
    assert verdicts(trends({("wallet", "rss_mb"): short}, 0, 0.5))[("wallet", "rss_mb")] == "ok"
    steep = [(h / 100, 60 + 500 * h / 100) for h in range(10)]    # 45 MB in a few minutes
    assert verdicts(trends({("wallet", "rss_mb"): steep}, 0, 0.5))[("wallet", "rss_mb")] == "FAIL"


@pytest.mark.soak
@pytest.mark.timeout(240)
def test_short_soak_completes_prints_the_table_and_balances_its_books(tmp_path):
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "benchmarks.soak", "--hours", "0.08", "--speed", "8",
                           "--sample-seconds", "3", "--warmup-fraction", "0.4", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=220)
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "slope/sim-h" in done.stdout and "soak: PASS" in done.stdout
    for name in ("wallet", "stream", "director", "chain"):
        assert f"\n{name} " in done.stdout, f"no row for {name}"
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["failures"] == [] and summary["final"]["stranded"] == {}
    assert summary["final"]["pnl_lamports"] == summary["final"]["wallet_change_lamports"]
    with open(tmp_path / "windows.csv") as handle:
        windows = list(csv.DictReader(handle))
    assert len(windows) >= 10 and int(windows[-1]["coins_seen"]) > 0
    assert elapsed < 150, f"the short soak took {elapsed:.0f} s"


def test_an_out_directory_holding_samples_is_refused(tmp_path, capsys):
    from benchmarks.soak import parse_args
    (tmp_path / "windows.csv").write_text("t_real_s\n0.0\n")
    with pytest.raises(SystemExit) as exited:
        parse_args(["--hours", "1", "--out", str(tmp_path)])
    assert exited.value.code == 2
    assert "already holds a soak's samples" in capsys.readouterr().err
    assert parse_args(["--hours", "1", "--out", str(tmp_path / "fresh")]).out == tmp_path / "fresh"
