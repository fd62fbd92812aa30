"""In a running bot, the processes off the hot path run nicer (actors/process_priority.py) and every
actor process names itself by its kind (actors/process_kind.py); the stream and the spares keep
the bot's priority."""
from __future__ import annotations

import os

import psutil
import pytest

from actors.process_kind import kind_of
from actors.process_priority import BACKGROUND_PROCESSES
from tests.bot.harness import bot_world
from tests.bot.test_e2e import child_pids

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("step", [5, 0])
def test_background_processes_run_nicer_and_hot_ones_do_not(tmp_path, step):
    with bot_world(tmp_path, **{"analysis.mode": "fast", "run.background_nice": step}) as world:
        world.bot.start(world.settings)
        world.bot.wait_for(lambda s: s.buying, timeout=20)
        ours = os.nice(0)
        pids = child_pids(world.bot)
        niceness = {name: psutil.Process(pid).nice() - ours for name, pid in pids.items()}
        kinds = {name: kind_of(psutil.Process(pid).name()) for name, pid in pids.items()}
        background = {"seller", "balance_monitor", "chain_cache"} & BACKGROUND_PROCESSES
        assert background and all(niceness[name] == step for name in background), niceness
        hot = ["director", "wallet", "stream", *(name for name in pids if name.startswith("spare:"))]
        assert len(hot) > 1 and all(niceness[name] == 0 for name in hot), niceness
        assert kinds["stream"] == "stream" and kinds["seller"] == "seller", kinds
        assert {kinds[name] for name in pids if name.startswith("spare:")} <= {"spare", "armed"}, kinds
