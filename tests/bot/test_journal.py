"""The position journal: schema and migrations, WAL, durable rows with JSON orders, open-first listing."""
from __future__ import annotations

import sqlite3

import pytest

from actors.position_model import (ACTIVE, CLOSE_FAILED, CLOSE_SOLD, CLOSING, CONFIRMED, EXPIRED,
                                   FAILED, SELL, WAIT, Order, Position, decide, presell_outcome,
                                   sell_amount)
from adapters.journal import Journal, JournalError, journal_path
from adapters.journal.store import SCHEMA_PATH, latest_version, migrations
from config.settings import load_settings
from tests.bot.test_messages import make_launch


def columns(db_path) -> list:
    with sqlite3.connect(db_path) as db:
        return sorted((r[1], r[2], r[3], r[4]) for r in db.execute("PRAGMA table_info(positions)"))


def test_fresh_schema_equals_all_migrations(tmp_path):
    fresh = Journal(tmp_path / "fresh.sqlite3")
    assert fresh.version == latest_version() == migrations()[-1][0]
    fresh.close()
    # an old file at version 1 is migrated step by step to the same table
    old = tmp_path / "old.sqlite3"
    with sqlite3.connect(old) as db:
        db.executescript(migrations()[0][1].read_text() + "PRAGMA user_version = 1;")
    migrated = Journal(old)
    assert migrated.version == latest_version()
    migrated.close()
    assert columns(old) == columns(tmp_path / "fresh.sqlite3")
    assert "buy_order" in SCHEMA_PATH.read_text()


def test_hot_save_waits_out_another_writers_lock_then_commits(tmp_path):
    """save_now (an armed spare's buy row) polls for the write lock another process holds instead of
    SQLite's busy handler: it commits once the lock is free, reports that it found the lock held,
    and gives up with JournalError after the busy timeout. A rehearsal leaves no row."""
    import threading
    path = tmp_path / "j.sqlite3"
    journal, holder = Journal(path), sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    position = Position("pos-hot", make_launch())
    position.buy_order = Order("buy", "SIGHOT", 1_000, 99, 1.0)
    journal.rehearse_save(position.to_row())
    assert Journal(path).load("pos-hot") is None
    holder.execute("BEGIN IMMEDIATE")   # another process's writer holds the lock for a while
    releaser = threading.Timer(0.05, lambda: holder.execute("COMMIT"))
    releaser.start()
    stages = []
    assert journal.save_now(position.to_row(), stages.append) > 0
    releaser.join()
    assert stages == ["journal_locked", "journal_inserted"]
    assert Journal(path).load("pos-hot")["buy_order"]["signature"] == "SIGHOT"
    journal.save(dict(position.to_row(), state="active"))   # the ordinary save after it still works
    holder.execute("BEGIN IMMEDIATE")
    journal.fail_fast()                # 100 ms: then the hot save gives up, one line naming the row
    with pytest.raises(JournalError, match="pos-hot.*locked"):
        journal.save_now(position.to_row())
    holder.execute("ROLLBACK")


def test_wal_mode_and_round_trip(tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    with sqlite3.connect(tmp_path / "j.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    position = Position("pos-1", make_launch())
    position.buy_order = Order("buy", "SIG1", 123_456, 99, 1.0)
    position.expected_tokens = 123_456
    journal.save(position.to_row())
    position.move(ACTIVE, "test")
    position.settle(position.buy_order, CONFIRMED, "", -10_000_000, 123_456)
    journal.save(position.to_row())
    # another connection (another process in the bot) sees the committed row
    other = Journal(tmp_path / "j.sqlite3")
    again = Position.from_row(other.load("pos-1"))
    assert again.state == ACTIVE and again.buy_order.state == CONFIRMED
    assert again.bought_tokens == 123_456 and again.pnl_lamports == -10_000_000
    assert again.launch == position.launch and again.sell_orders == []
    assert other.load("nope") is None


def test_open_positions_listed_first(tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    for index, state in enumerate(["closed", "pending", "failed", "closing", "active"]):
        row = Position(f"p{index}", make_launch(mint=f"M{index}"), opened_at=100.0 + index).to_row()
        journal.save(dict(row, state=state))
    listed = [row["state"] for row in journal.all_positions()]
    assert listed == ["pending", "closing", "active", "failed", "closed"]
    assert [row["position_id"] for row in journal.open_positions()] == ["p1", "p3", "p4"]


def test_bad_rows_and_paths_get_clear_errors(tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    with pytest.raises(JournalError, match="lacks"):
        journal.save({"position_id": "x"})
    with pytest.raises(JournalError, match="cannot save"):
        journal.save(dict(Position("p", make_launch()).to_row(), state="bogus"))
    (tmp_path / "dir.sqlite3").mkdir()
    with pytest.raises(JournalError, match="cannot open"):
        Journal(tmp_path / "dir.sqlite3")


def test_journal_path_defaults_to_the_run_dir(tmp_path):
    settings = load_settings(env={}, overrides={"run.runs_dir": str(tmp_path)})
    assert journal_path(settings) == tmp_path / "journal.sqlite3"
    settings = settings.replace(**{"run.run_dir": str(tmp_path / "r1")})
    assert journal_path(settings) == tmp_path / "r1" / "journal.sqlite3"
    shared = settings.replace(**{"run.journal_path": str(tmp_path / "shared.sqlite3")})
    assert journal_path(shared) == tmp_path / "shared.sqlite3"
    live = settings.replace(**{"chain.mode": "live"})   # live runs share one journal: a restart recovers
    assert journal_path(live) == tmp_path / "journal.sqlite3"


# ---- the lifecycle policy (pure) ----------------------------------------------------------------
def sent_position(expected: int = 1_000) -> Position:
    position = Position("p", make_launch())
    position.expected_tokens = expected
    position.buy_order = Order("buy", "B", expected, 10, 1.0)
    return position


def add_sell(position: Position, before_buy: bool) -> Order:
    sell = Order("sell", f"S{len(position.sell_orders)}", sell_amount(position), 10, 2.0,
                 before_buy_confirmed=before_buy)
    position.sell_orders.append(sell)
    return sell


def test_buy_fails_before_any_sell():
    position = sent_position()
    assert decide(position, exit_wanted=False)[0] == WAIT
    position.settle(position.buy_order, FAILED, "slippage", -5_000, 0)
    assert decide(position, False) == (CLOSE_FAILED, "buy failed before any sell")
    assert presell_outcome(position) == ""


def test_presell_then_buy_fails():
    position = sent_position()
    assert decide(position, True) == (SELL, "exit before the buy confirmed")
    assert decide(position, True, presell=False)[0] == WAIT   # the slower, waiting policy
    assert sell_amount(position) == 1_000                        # the amount the buy fixes
    position.move(CLOSING, "exit")
    sell = add_sell(position, before_buy=True)
    assert decide(position, True)[0] == WAIT
    position.settle(sell, FAILED, "no tokens", -5_000, 0)
    position.settle(position.buy_order, EXPIRED, "blockhash", 0, 0)
    assert decide(position, True)[0] == CLOSE_FAILED
    assert presell_outcome(position) == "presell_buy_failed"


def test_presell_both_land_and_presell_retried():
    both = sent_position()
    both.move(CLOSING, "exit")
    sell = add_sell(both, before_buy=True)
    both.settle(sell, CONFIRMED, "", 9_000_000, -1_000)   # its outcome may be read first
    assert decide(both, True)[0] == WAIT
    both.settle(both.buy_order, CONFIRMED, "", -10_000_000, 1_000)
    assert decide(both, True)[0] == CLOSE_SOLD and presell_outcome(both) == "presell_both_landed"
    assert both.pnl_lamports == -1_000_000
    reordered = sent_position()
    reordered.move(CLOSING, "exit")
    first = add_sell(reordered, before_buy=True)
    reordered.settle(first, FAILED, "sell ran before the buy", -5_000, 0)
    reordered.settle(reordered.buy_order, CONFIRMED, "", -10_000_000, 1_000)
    assert decide(reordered, True) == (SELL, "sell again after a failed sell")
    second = add_sell(reordered, before_buy=False)
    reordered.settle(second, CONFIRMED, "", 9_000_000, -1_000)
    assert decide(reordered, True)[0] == CLOSE_SOLD
    assert presell_outcome(reordered) == "presell_retried"
    assert reordered.bought_tokens == reordered.sold_tokens == 1_000


def test_illegal_transitions_are_refused():
    position = sent_position()
    with pytest.raises(ValueError):
        position.move("closed", "skip ahead")
    position.settle(position.buy_order, CONFIRMED, "", -1, 1)
    with pytest.raises(ValueError):
        position.buy_order.settle(FAILED, "twice")


# ---- python run.py --positions ------------------------------------------------------------------
def test_run_positions_lists_the_journal_open_first(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path
    run_py = Path(__file__).resolve().parents[2] / "run.py"
    env = {**os.environ, "RUNS_DIR": str(tmp_path / "runs")}
    empty = subprocess.run([sys.executable, str(run_py), "--positions"], capture_output=True,
                           text=True, timeout=30, env=env)
    assert empty.returncode == 0 and "no position journal found" in empty.stdout
    journal = Journal(tmp_path / "runs" / "20260101-000000" / "journal.sqlite3")
    done = Position("p-done", make_launch(mint="MintDone"), opened_at=1_000.0)
    done.buy_order = Order("buy", "B1", 5, 1, 1.0, state="CONFIRMED")
    done.sell_orders = [Order("sell", "S1", 5, 1, 2.0, state="CONFIRMED")]
    journal.save(dict(done.to_row(), state="closed", outcome="sold", bought_tokens=5, sold_tokens=5,
                      pnl_lamports=-12_345))
    journal.save(Position("p-open", make_launch(mint="MintOpen"), opened_at=2_000.0).to_row())
    journal.close()
    listed = subprocess.run([sys.executable, str(run_py), "--positions"], capture_output=True,
                            text=True, timeout=30, env=env)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[1].split()[:2] == ["opened", "(UTC)"] and "mint" in lines[1]
    body = [line for line in lines if "Mint" in line]
    assert "MintOpen" in body[0] and "pending" in body[0]
    assert "MintDone" in body[1] and "closed" in body[1] and "-0.000012345" in body[1]
    assert lines[-1] == "2 position(s), 1 open"


def test_run_positions_finds_the_live_journal_without_any_endpoint(tmp_path):
    """Live runs share runs/journal.sqlite3; reading it needs no RPC URL and no key."""
    import os
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items()
           if k not in ("RPC_URLS", "RPC_URL", "PRIVATE_KEY", "KEYPAIR_PATH", "WS_URL")}
    env["RUNS_DIR"] = str(tmp_path / "runs")
    live_config = root / "config" / "live.example.toml"
    journal = Journal(tmp_path / "runs" / "journal.sqlite3")
    journal.save(Position("p-live", make_launch(mint="MintLive"), opened_at=3_000.0).to_row())
    journal.close()
    listed = subprocess.run([sys.executable, str(root / "run.py"), "--config", str(live_config),
                             "--positions"], capture_output=True, text=True, timeout=30, env=env)
    assert listed.returncode == 0, listed.stderr
    assert f"journal: {tmp_path / 'runs' / 'journal.sqlite3'}" in listed.stdout
    assert "MintLive" in listed.stdout and listed.stdout.splitlines()[-1] == "1 position(s), 1 open"


def test_copy_targets_last_seen_survive_a_reopen_per_chain(tmp_path):
    """Migration 004: a version-3 file gains copy_seen (as a fresh one has it); the newest
    signature per target and chain is kept across a reopen (actors/copy_seen.py)."""
    old = tmp_path / "v3.sqlite3"
    with sqlite3.connect(old) as db:
        db.executescript("".join(path.read_text() for number, path in migrations() if number <= 3)
                         + "PRAGMA user_version = 3;")
    journal = Journal(old)
    journal.save_copy_seen("chain-a", {"alice": "sig-1", "bob": "sig-2"})
    journal.save_copy_seen("chain-a", {"alice": "sig-3"})
    journal.save_copy_seen("chain-b", {"alice": "sig-other-chain"})
    journal.close()
    reopened = Journal(old)
    assert reopened.copy_seen("chain-a") == {"alice": "sig-3", "bob": "sig-2"}
    assert reopened.copy_seen("chain-b") == {"alice": "sig-other-chain"} and reopened.copy_seen("c") == {}
    reopened.close()
    fresh = Journal(tmp_path / "fresh.sqlite3")
    fresh.close()
    table = "SELECT sql FROM sqlite_master WHERE name = 'copy_seen'"
    with sqlite3.connect(old) as a, sqlite3.connect(tmp_path / "fresh.sqlite3") as b:
        assert " ".join(a.execute(table).fetchone()[0].split()) == " ".join(b.execute(table).fetchone()[0].split())


def test_a_deferring_connection_leaves_the_wal_checkpoint_to_the_others(tmp_path):
    """defer_checkpoints: this connection's commits never checkpoint (the WAL grows past SQLite's
    1000-page threshold); another connection's next commit does (the log starts over)."""
    path = tmp_path / "j.sqlite3"
    spare, other = Journal(path), Journal(path)
    spare.defer_checkpoints(True)
    for index in range(300):
        spare.save(Position(f"pos-{index}", make_launch()).to_row())
    probe = sqlite3.connect(path)
    grown = probe.execute("PRAGMA wal_checkpoint(NOOP)").fetchone()[1]
    assert grown > 1000, grown
    other.save(Position("pos-other", make_launch()).to_row())   # its commit checkpoints
    other.save(Position("pos-other-2", make_launch()).to_row())   # ... and this one restarts the log
    assert probe.execute("PRAGMA wal_checkpoint(NOOP)").fetchone()[1] < grown
    spare.defer_checkpoints(False)
    assert spare._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    probe.close()
