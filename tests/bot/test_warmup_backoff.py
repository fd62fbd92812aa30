"""An RPC endpoint that dies mid-run: the warm spare PositionActors back off, and the run's log holds
one warm-up warning per backoff step, not one per spare (8 spares once warned 8 times a second)."""
from __future__ import annotations

import collections
import re
import time

import pytest

from tests.bot.harness import Bot, ChainThread, bot_settings, new_bot_wallet

pytestmark = pytest.mark.timeout(120)
WARNING = re.compile(r"\| WARNING \| .*position: warm-up failed \((\d+) in a row\)")


def test_a_dead_rpc_gives_one_warm_up_warning_per_backoff_step(tmp_path):
    bot = Bot()   # the actor system first: its admin must not be forked from a threaded process
    chain = ChainThread().start()
    try:
        _, path = new_bot_wallet(tmp_path)
        run_dir = tmp_path / "run"
        run_dir.mkdir()
        bot.start(bot_settings(chain, path, tmp_path / "runs", **{"run.run_dir": str(run_dir)}))
        time.sleep(2.0)                      # the spares warm up against the live chain
        chain.stop()                         # the endpoint dies
        time.sleep(16.0)                     # backoff 2, 4, 8 s: steps 1-3 (maybe 4)
        log = (run_dir / "bot.log").read_text()
    finally:
        bot.stop()
        chain.stop()
    steps = collections.Counter(int(m.group(1)) for m in WARNING.finditer(log))
    assert steps, "the dead endpoint was never reported"
    assert max(steps.values()) == 1, f"more than one warning for a step: {dict(steps)}"
    assert set(steps) <= {1, 2, 3, 4}, f"no backoff: {dict(steps)}"
