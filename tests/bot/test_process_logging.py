"""process_logging (actors/trading_io.py) in a forked actor process: with its parent's settings it
keeps the inherited sinks (no new set-up, which cost every new spare ~9 ms of CPU) and only takes
its own name; its lines still reach the run's log, redacted; other settings get their own sinks."""
from __future__ import annotations

import json
import os
import sys

import pytest
from loguru import logger

from actors import trading_io
from adapters import logs
from config.settings import load_settings

SECRET = "sekretJupiterKey-4242"


@pytest.fixture
def clean_logging(monkeypatch):
    monkeypatch.setattr(trading_io, "_logging_from", None)
    monkeypatch.setattr(logs, "_secrets", set())
    monkeypatch.setattr(logs, "_ordered", [])
    try:
        yield
    finally:
        logger.remove()
        logger.add(sys.stderr)


def settings_in(run_dir, tmp_path):
    return load_settings(env={}, overrides={"run.run_dir": str(run_dir), "run.runs_dir": str(tmp_path),
                                            "run.quiet": True, "chain.jupiter_api_key": SECRET})


def in_forked_child(work) -> dict:
    """Run work() in a forked child (as thespian starts an actor); its JSON-able result."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:   # the child: report, then leave as an actor process does (no atexit)
        os.close(read)
        try:
            os.write(write, json.dumps(work()).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        reply = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(reply)


def sink_ids() -> list:
    return sorted(logger._core.handlers)   # loguru's own table of this process's sinks


def test_a_forked_actor_keeps_its_parents_sinks_and_takes_its_own_name(tmp_path, clean_logging):
    settings = settings_in(tmp_path / "run", tmp_path)
    trading_io.process_logging(settings, "director")
    parent_sinks = sink_ids()

    def child():
        trading_io.process_logging(settings, "position")
        logger.info("child line with {}", SECRET)
        return {"sinks": sink_ids(), "pid": os.getpid()}
    reply = in_forked_child(child)
    assert reply["sinks"] == parent_sinks   # no new set-up: the inherited sinks
    logger.info("parent line")
    text = (tmp_path / "run" / logs.LOG_FILE_NAME).read_text()
    assert f"position:{reply['pid']}" in text and "child line with ***" in text
    assert SECRET not in text
    assert f"director:{os.getpid()}" in text   # the parent keeps its own name


def test_other_settings_in_a_forked_actor_get_their_own_sinks(tmp_path, clean_logging):
    trading_io.process_logging(settings_in(tmp_path / "run", tmp_path), "director")
    other = settings_in(tmp_path / "other", tmp_path)

    def child():
        before = sink_ids()
        trading_io.process_logging(other, "position")
        logger.info("to the other run")
        return {"replaced": sink_ids() != before}
    assert in_forked_child(child)["replaced"]
    assert "to the other run" in (tmp_path / "other" / logs.LOG_FILE_NAME).read_text()
