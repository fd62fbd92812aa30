"""Shared fixtures: a whole local node (chain, JSON-RPC, PubSub, gRPC) in-process on free ports."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from localnet.node import LocalNode

REPO_ROOT = Path(__file__).resolve().parents[1]
OUTSIDE_READS: list[str] = []


BESIDE_THE_CLONE = REPO_ROOT.parent / "shared"   # the project's material that a user's clone lacks


def _beside_the_clone(path) -> bool:
    """True for a file under ../shared: a fresh clone has nothing beside it."""
    try:
        return Path(os.fsdecode(path)).resolve().is_relative_to(BESIDE_THE_CLONE)
    except (TypeError, ValueError, OSError):
        return False


def _audit_open(event: str, args) -> None:
    if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        if _beside_the_clone(args[0]):
            OUTSIDE_READS.append(os.fsdecode(args[0]))


sys.addaudithook(_audit_open)   # tests must pass in a fresh clone: nothing is read from beside it


@pytest.fixture(autouse=True)
def _no_reads_beside_the_clone():
    before = len(OUTSIDE_READS)
    yield
    read = OUTSIDE_READS[before:]
    assert not read, f"a test read files outside the repository (a fresh clone has none): {read}"


FAST_SLOT_MS = 50  # fast slots keep confirmation waits short; lags stay as on mainnet


@pytest.fixture
async def make_localnet():
    """Factory: `node = await make_localnet(slot_ms=..., confirmed_lag=..., finalized_lag=...)`; all stopped after."""
    nodes: list[LocalNode] = []

    async def start(**options) -> LocalNode:
        options = {"slot_ms": FAST_SLOT_MS, **options}
        node = LocalNode(rpc_port=0, ws_port=0, grpc_port=0, **options)
        nodes.append(node)
        return await node.start()

    yield start
    for node in nodes:
        await node.stop()


@pytest.fixture
async def localnet(make_localnet) -> LocalNode:
    """A running LocalNode: use .rpc_url, .ws_url, .grpc_addr, .faucet, .chain."""
    return await make_localnet()


# ---- keep the logs of a failed test (opt-in) ------------------------------------------------------
KEEP_LOGS_ENV = "PUMPSNIPE_KEEP_TEST_LOGS"   # a directory: each failed test's tmp_path is copied there


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        item.stash[_FAILED_KEY] = True
    return report


_FAILED_KEY = pytest.StashKey[bool]()


@pytest.fixture(autouse=True)
def _keep_logs_of_a_failure(request):
    """With PUMPSNIPE_KEEP_TEST_LOGS=<dir>: the test process's log (the local chain's, the harness's)
    goes to tmp_path/test-process.log, and a failed test's whole tmp_path (the bot's run/bot.log with
    every actor process's lines, its journal, that log) is copied to <dir>/<test>-<time>/, since
    pytest keeps only the last few tmp_paths."""
    keep_dir = os.environ.get(KEEP_LOGS_ENV)
    if not keep_dir or "tmp_path" not in request.fixturenames:
        yield
        return
    import shutil
    import time
    from loguru import logger
    tmp_path = request.getfixturevalue("tmp_path")
    sink = logger.add(tmp_path / "test-process.log", level="DEBUG", enqueue=False,
                      format="{time:HH:mm:ss.SSS} {level} {thread.name} {name}:{line} {message}")
    try:
        yield
    finally:
        logger.remove(sink)
        if request.node.stash.get(_FAILED_KEY, False):
            name = request.node.name.replace("/", "_")[:100]
            target = Path(keep_dir) / f"{name}-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
            # not the tests' wallet keypair files: keys stay out of anything kept
            shutil.copytree(tmp_path, target, ignore=shutil.ignore_patterns("*wallet*.json", "*keypair*"),
                            ignore_dangling_symlinks=True, dirs_exist_ok=True)
            sys.stderr.write(f"\nlogs of the failed test kept in {target}\n")


def _uses_grpc_in_this_process(item) -> bool:
    module = getattr(item, "module", None)
    return module is not None and "grpc" in vars(module)


def pytest_collection_modifyitems(items):
    """Tests with a gRPC client in the test process run last, whatever order they were named in:
    gRPC leaves threads (event_engine, timer) in the process, and an actor system forked after that
    inherits them mid-call and never starts its Director (tests/bot/harness.py refuses to fork then)."""
    items.sort(key=_uses_grpc_in_this_process)   # stable: each group keeps its order
