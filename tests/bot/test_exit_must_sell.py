"""run.py's exit never abandons a sell silently: with the network dropping every transaction at
exit, close-all waits up to run.close_timeout_seconds, then names each mint still held with its
amount (read from the chain) and exits 1. Faults are switched on through the local chain's
POST /admin/faults once the bot holds tokens, as an operator would."""
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest

from benchmarks.bench_faulty_trading import API_URL, post_faults
from tests.bot.test_run_cli import RUN_PY, assert_nothing_left, run_env

pytestmark = pytest.mark.timeout(150)
STATUS = re.compile(r"bought (\d+) sold (\d+) open (\d+)")
LEFT = re.compile(r"LEFT IN THE WALLET: (\w+) (\d+) raw tokens \(position still open\)")


def test_exit_with_sells_dropped_reports_what_is_left_and_exits_1(tmp_path):
    marker = uuid.uuid4().hex
    faults = tmp_path / "faults.toml"
    faults.write_text("seed = 3\n")   # no fault yet: the admin API is there to switch them on
    env = {**run_env(tmp_path, marker), "LOCALNET_FAULTS": str(faults),
           "PUMPSNIPE__RUN__CLOSE_TIMEOUT_SECONDS": "4", "PUMPSNIPE__ANALYSIS__MODE": "fast",
           "PUMPSNIPE__LOCALNET__LAUNCH_RATE": "2", "PUMPSNIPE__TRADING__MAX_HOLD_SECONDS": "600",
           "PUMPSNIPE__TRADING__TAKE_PROFIT_PCT": "100000", "PUMPSNIPE__TRADING__STOP_LOSS_PCT": "100"}
    process = subprocess.Popen([sys.executable, str(RUN_PY)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    api, out = {}, []

    def read_stderr():
        for line in process.stderr:
            found = API_URL.search(line)
            if found:
                api.setdefault("url", found.group(1))
    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        held_since = None
        for line in process.stdout:   # wait until positions are held (bought, none sold) a while
            out.append(line)
            found = STATUS.search(line)
            if found and int(found.group(3)) >= 1 and held_since is None:
                held_since = time.monotonic()
            if held_since is not None and time.monotonic() - held_since > 3:
                break
        post_faults(api["url"], {"tx": {"drop_rate": 1.0}, "chain": {"blockhash_window": 10}})
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
    text = "".join(out) + rest
    assert "--- summary (stopped: SIGTERM) ---" in text
    left = LEFT.findall(text)
    assert left and any(int(amount) > 0 for _, amount in left), text[-2000:]
    assert process.returncode == 1
    assert_nothing_left(marker)
