"""The sources' rate limits are the bot's, shared by every analyser process through one small file,
a slot per source (adapters/analysis/limits.py SharedTokenBucket): real processes, real files."""
from __future__ import annotations

import multiprocessing
import time

import pytest

from adapters.analysis.gather import Analyst, limits_path
from adapters.analysis.limits import SharedTokenBucket
from config.settings import load_settings

pytestmark = pytest.mark.timeout(60)

RATE, BURST, SECONDS = 40, 4, 1.0


def take_until(path: str, start_at: float, stop_at: float) -> int:
    """In a process of its own: take tokens one by one, waiting as the bucket says, until stop_at."""
    bucket = SharedTokenBucket(path, 2, RATE, BURST)
    while time.monotonic() < start_at:
        time.sleep(0.001)
    taken = 0
    while True:
        wait = bucket.wait_seconds()
        if wait == 0:
            if time.monotonic() >= stop_at:
                return taken
            taken += 1
        elif time.monotonic() + wait >= stop_at:
            return taken
        else:
            time.sleep(wait)


def test_two_processes_share_one_rate(tmp_path):
    path = str(tmp_path / "limits.bin")
    start_at = time.monotonic() + 0.5          # both processes started and waiting
    with multiprocessing.get_context("fork").Pool(2) as pool:
        taken = pool.starmap(take_until, [(path, start_at, start_at + SECONDS)] * 2)
    # one bucket: the burst plus the rate for the second, whoever asks; a bucket each would
    # have given about twice that
    assert BURST + RATE * SECONDS - 6 <= sum(taken) <= BURST + RATE * SECONDS + 2, taken
    assert min(taken) > 0, taken


def test_a_429_pause_holds_every_holder_of_the_file(tmp_path):
    path = tmp_path / "limits.bin"
    one, other = SharedTokenBucket(path, 3, 10), SharedTokenBucket(path, 3, 10)
    assert other.wait_seconds() == 0
    one.pause(0.5)
    assert 0.4 < other.wait_seconds() <= 0.5
    one.close(), other.close()


def test_a_file_from_before_a_reboot_starts_full(tmp_path):
    path = tmp_path / "limits.bin"
    before = SharedTokenBucket(path, 1, 2, clock=lambda: 5_000.0)
    assert before.wait_seconds() == 0 and before.wait_seconds() == 0 and before.wait_seconds() > 0
    before.pause(100)
    after = SharedTokenBucket(path, 1, 2, clock=lambda: 10.0)    # the monotonic clock began again
    assert after.wait_seconds() == 0 and after.wait_seconds() == 0
    before.close(), after.close()


def test_analysts_of_one_bot_draw_on_the_same_buckets(tmp_path):
    settings = load_settings(env={}, overrides={"run.runs_dir": str(tmp_path / "runs"),
                                                "analysis.rugcheck_rate_per_second": 3,
                                                "analysis.honeypot_check": False})
    first, second = Analyst(settings), Analyst(settings)
    try:
        assert [first.rugcheck_source.bucket.wait_seconds() for _ in range(3)] == [0, 0, 0]   # the burst
        assert second.rugcheck_source.bucket.wait_seconds() > 0     # what the first took is gone
        assert second.uri_source.bucket.wait_seconds() == 0          # each source its own slot
        assert limits_path(settings).stat().st_size == 4 * 24         # one file, four slots
        assert not [p for p in (tmp_path / "runs").iterdir() if p.is_dir()]   # a folder there reads as a run
    finally:
        for analyst in (first, second):
            for source in analyst.sources:
                source.close()
