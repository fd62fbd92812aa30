"""The journal knows whose rows it holds and refuses what it cannot trust.

Rows carry the wallet (owner pubkey) and the chain (genesis hash): a bot restarted on the same
journal with another wallet resumes none of the other wallet's open rows (it reports them), the
same wallet resumes its own. A journal of a newer schema, or a corrupt one, stops start-up with one
line naming the file and the problem."""
from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from actors.director import FOREIGN_ROWS_KEY
from actors.position_model import Position
from actors.system import group_processes
from adapters.journal import Journal, JournalError
from adapters.journal.store import latest_version
from messages.lifecycle import LifecycleStatsRequest
from messages.position import ExitNow
from tests.bot.harness import SOL, Bot, ChainThread, Market, bot_settings, new_bot_wallet
from tests.bot.test_lifecycle import World

ROOT = Path(__file__).resolve().parents[2]
RUN_PY = ROOT / "run.py"

# the journal as version 2 wrote it (migrations 001 + 002), typed from that release, not from
# the migration files under test
V2_SCHEMA = """
CREATE TABLE positions (
    position_id TEXT PRIMARY KEY, mint TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'active', 'closing', 'closed', 'failed')),
    launch TEXT NOT NULL, expected_tokens INTEGER NOT NULL DEFAULT 0,
    bought_tokens INTEGER NOT NULL DEFAULT 0, sold_tokens INTEGER NOT NULL DEFAULT 0,
    pnl_lamports INTEGER NOT NULL DEFAULT 0, exit_reason TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT '', opened_at REAL NOT NULL, updated_at REAL NOT NULL,
    exit_at REAL NOT NULL DEFAULT 0, buy_order TEXT, sell_orders TEXT NOT NULL DEFAULT '[]');
CREATE INDEX positions_by_state ON positions (state);
CREATE INDEX positions_by_mint ON positions (mint);
PRAGMA user_version = 2;
"""
LAUNCH_JSON = ('{"mint":"MintOld","bonding_curve":"Curve","creator":"Creator","user":"Creator",'
               '"name":"Old","symbol":"OLD","uri":"u","token_program":"Tok",'
               '"virtual_token_reserves":1,"virtual_sol_reserves":1,"real_token_reserves":1,'
               '"signature":"Sig","slot":1,"received_at":1.0}')


def write_v2_journal(path: Path) -> None:
    db = sqlite3.connect(path)
    db.executescript(V2_SCHEMA)
    db.execute("INSERT INTO positions (position_id, mint, state, launch, opened_at, updated_at) "
               "VALUES ('p-old', 'MintOld', 'active', ?, 1.0, 1.0)", (LAUNCH_JSON,))
    db.commit()
    db.close()


def user_version(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


# ---- the store -------------------------------------------------------------------------------------
def test_migration_003_adds_the_identity_and_old_rows_are_unknown(tmp_path):
    path = tmp_path / "v2.sqlite3"
    write_v2_journal(path)
    journal = Journal(path)
    try:
        assert journal.version == latest_version()   # 003 and every later migration
        old = journal.load("p-old")
        assert (old["wallet"], old["genesis_hash"], old["state"]) == ("", "", "active")
        assert Position.from_row(old).wallet == ""
        signed = Position.from_row(old)
        signed.position_id, signed.wallet, signed.genesis_hash = "p-new", "WalletA", "GenesisA"
        journal.save(signed.to_row())
        again = Position.from_row(journal.load("p-new"))
        assert (again.wallet, again.genesis_hash) == ("WalletA", "GenesisA")
    finally:
        journal.close()
    assert user_version(path) == latest_version()


def test_a_newer_schema_is_refused_and_left_as_it_is(tmp_path):
    path = tmp_path / "future.sqlite3"
    write_v2_journal(path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 7")
    db.commit()
    db.close()
    with pytest.raises(JournalError) as refused:
        Journal(path)
    message = str(refused.value)
    assert "\n" not in message and str(path) in message
    assert "schema version 7" in message and "newer" in message
    assert user_version(path) == 7


def test_corrupt_journals_are_refused_in_one_line(tmp_path):
    not_sqlite = tmp_path / "garbage.sqlite3"
    not_sqlite.write_bytes(b"this is no database, just text\n" * 200)
    malformed = tmp_path / "malformed.sqlite3"
    db = sqlite3.connect(malformed)
    db.execute("CREATE TABLE positions (position_id TEXT PRIMARY KEY, mint TEXT)")
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()
    for path, problem in ((not_sqlite, "file is not a database"),
                          (malformed, "malformed: its positions table lacks state")):
        with pytest.raises(JournalError) as refused:
            Journal(path)
        message = str(refused.value)
        assert "\n" not in message and str(path) in message and problem in message, message


# ---- run.py: one line, non-zero exit, no traceback ----------------------------------------------------
def refusing_journals(tmp_path: Path) -> dict[str, Path]:
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database\n" * 300)
    future = tmp_path / "future.sqlite3"
    write_v2_journal(future)
    db = sqlite3.connect(future)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    return {"file is not a database": garbage, "schema version 99": future}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("args", [["--positions"], ["--duration", "2", "--quiet"]])
def test_run_py_refuses_a_bad_journal_in_one_line(tmp_path, args):
    for problem, path in refusing_journals(tmp_path).items():
        env = {**os.environ, "RUNS_DIR": str(tmp_path / "runs"), "JOURNAL_PATH": str(path)}
        result = subprocess.run([sys.executable, str(RUN_PY), *args], capture_output=True,
                                text=True, timeout=60, env=env, cwd=tmp_path)
        assert result.returncode != 0, result.stdout
        output = (result.stdout + result.stderr).strip().splitlines()
        assert len(output) == 1, output
        assert problem in output[0] and str(path) in output[0], output
        assert "Traceback" not in result.stderr


# ---- whole bots on one journal: another wallet leaves the rows alone -------------------------------
@pytest.fixture
def three_bots():
    """Actor systems made before the chain thread (forking must precede threads)."""
    bots = [Bot(), Bot(), Bot()]
    chain = None
    try:
        chain = ChainThread().start()
        yield bots, chain
    finally:
        pgids = [bot.system.pgid for bot in bots]
        for bot in bots:
            bot.stop()
        if chain is not None:
            chain.stop()
        assert all(group_processes(pgid) == [] for pgid in pgids)


@pytest.mark.timeout(180)
def test_another_wallet_leaves_open_rows_alone_and_the_owner_recovers_them(three_bots, tmp_path):
    (first, stranger, owner_again), chain = three_bots
    market = Market(chain)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    keypair, path = new_bot_wallet(tmp_path / "a")
    other, other_path = new_bot_wallet(tmp_path / "b")
    chain.run(market.fund(keypair.pubkey(), 2 * SOL))
    chain.run(market.fund(other.pubkey(), 2 * SOL))
    journal_path = tmp_path / "shared-journal.sqlite3"
    hold = {"run.journal_path": str(journal_path), "trading.max_hold_seconds": 120,
            "trading.take_profit_pct": 10_000, "trading.stop_loss_pct": 99}
    settings = bot_settings(chain, path, tmp_path / "runs", **hold)
    first.start(settings)
    first.wait_until_streaming(chain, market)
    creator = chain.run(market.new_wallet(SOL))
    chain.run(market.launch(creator, "Owned"))
    journal = Journal(journal_path)
    deadline = time.monotonic() + 30
    while not [r for r in journal.open_positions() if r["state"] == "active"]:
        assert time.monotonic() < deadline, f"no active position: {journal.all_positions()}"
        time.sleep(0.05)
    first.pause_buying()
    for process in group_processes(first.system.pgid):   # the whole bot dies holding it
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
    [row] = [r for r in journal.open_positions() if r["state"] == "active"]
    assert row["wallet"] == str(keypair.pubkey())
    genesis = chain.run(chain.rpc.call("getGenesisHash", lambda c: c.get_genesis_hash())).value
    assert row["genesis_hash"] == str(genesis)
    # a row from before rows were signed: unknown owner, never resumed by anyone
    journal.save(dict(row, position_id="p-unknown", mint="MintUnknown", wallet="", genesis_hash="",
                      launch=dict(row["launch"], mint="MintUnknown")))
    # the same wallet on another chain (say devnet): not this chain's position either
    journal.save(dict(row, position_id="p-other-chain", mint="MintOtherChain", genesis_hash="Devnet1",
                      launch=dict(row["launch"], mint="MintOtherChain")))
    before = {r["position_id"]: r for r in journal.open_positions()}
    assert len(before) == 3

    stranger.start(bot_settings(chain, other_path, tmp_path / "runs", **hold))
    time.sleep(2)   # long enough for a resumed position to have confirmed its buy and moved on
    stats = stranger.system.ask(stranger.director, LifecycleStatsRequest("lc"), timeout=10)
    assert stats.counts.get("recovered", 0) == 0
    assert stats.counts.get(FOREIGN_ROWS_KEY) == 3
    status = stranger.status()
    assert (status.active_positions, status.sold, status.bought) == (0, 0, 0)
    assert status.lifecycle.get(FOREIGN_ROWS_KEY) == 3
    stranger.close_all()
    time.sleep(1)
    assert {r["position_id"]: r for r in journal.open_positions()} == before   # not one byte moved
    stranger.stop()
    assert chain.run(market.holdings(keypair.pubkey())) == {row["mint"]: row["bought_tokens"]}

    owner_again.start(settings)
    stats = owner_again.system.ask(owner_again.director, LifecycleStatsRequest("lc"), timeout=10)
    assert stats.counts.get("recovered") == 1 and stats.counts.get(FOREIGN_ROWS_KEY) == 2
    owner_again.close_all()
    owner_again.wait_for(lambda s: s.active_positions == 0 and s.unresolved_signatures == 0,
                         timeout=60)
    mine = journal.load(row["position_id"])
    assert (mine["state"], mine["outcome"]) == ("closed", "sold")
    assert [o["state"] for o in mine["sell_orders"]].count("CONFIRMED") == 1
    assert mine["sold_tokens"] == mine["bought_tokens"] > 0
    assert journal.load("p-unknown") == before["p-unknown"]
    assert journal.load("p-other-chain") == before["p-other-chain"]
    assert chain.run(market.holdings(keypair.pubkey())) == {}
    journal.close()


# ---- "sold" needs a confirmed sell -------------------------------------------------------------------
@pytest.fixture
def world(tmp_path):
    bot = Bot()
    chain = None
    try:
        chain = ChainThread().start()
        yield World(bot, chain, tmp_path)
    finally:
        bot.stop()
        if chain is not None:
            chain.stop()


@pytest.mark.timeout(120)
def test_tokens_gone_without_a_sell_of_ours_is_not_booked_sold(world):
    """The wallet's tokens leave by another way (burned here, as a manual sell or transfer would):
    the exit finds none to sell, and the position ends failed `tokens_gone`, never `sold`."""
    from solders.pubkey import Pubkey
    from spl.token.instructions import burn
    from spl.token.models import BurnParams

    from adapters.pumpfun.addresses import associated_token_address
    launch = world.launch("Gone")
    position = world.open(launch, position_id="pos-gone")
    deadline = time.monotonic() + 20
    while (world.row("pos-gone") or {}).get("state") != "active":
        assert time.monotonic() < deadline, world.row("pos-gone")
        time.sleep(0.05)
    row = world.row("pos-gone")
    assert row["wallet"] == str(world.keypair.pubkey())   # genesis: set by the Director (not here)
    owner, mint = world.keypair.pubkey(), Pubkey.from_string(launch.mint)
    program = Pubkey.from_string(launch.token_program)
    held = world.holdings()[launch.mint]
    assert held == row["bought_tokens"] > 0
    world.chain.run(world.market.send_tx(world.keypair, [burn(BurnParams(
        program_id=program, account=associated_token_address(owner, mint, program), mint=mint,
        owner=owner, amount=held))], [world.keypair]))
    assert launch.mint not in world.holdings()
    world.system.tell(position, ExitNow("test exit"))
    closed = world.closed(launch.mint)
    row = world.row("pos-gone")
    assert (closed.outcome, row["state"], row["outcome"]) == ("tokens_gone", "failed", "tokens_gone")
    assert row["sold_tokens"] == 0 and not [o for o in row["sell_orders"] if o["state"] == "CONFIRMED"]
