"""Creator history kept across runs in its own SQLite file: launches per creator as this bot saw
them. Rugs are recorded only when the bot itself observes one (mark_rug, e.g. a drained curve seen
by a position); nothing here guesses outcomes."""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS launches (mint TEXT PRIMARY KEY, creator TEXT NOT NULL, seen_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS launches_creator ON launches (creator);
CREATE TABLE IF NOT EXISTS rugs (mint TEXT PRIMARY KEY, creator TEXT NOT NULL, seen_at REAL NOT NULL);
"""


class CreatorHistory:
    def __init__(self, path: str | Path, any_thread: bool = False):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # several worker processes share the file: WAL + a busy timeout instead of failing
        # any_thread: built in the actor thread, used and closed on its loop thread (one at a time)
        self.db = sqlite3.connect(str(path), timeout=2.0, isolation_level=None,
                                  check_same_thread=not any_thread)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def record_launch(self, mint: str, creator: str) -> None:
        """Idempotent: a re-analysed mint counts once."""
        self.db.execute("INSERT OR IGNORE INTO launches VALUES (?, ?, ?)", (mint, creator, time.time()))

    def mark_rug(self, mint: str, creator: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO rugs VALUES (?, ?, ?)", (mint, creator, time.time()))

    def history(self, creator: str, excluding_mint: str = "") -> tuple[int, int]:
        """(other launches, rugs) by this creator."""
        launches, rugs = self.db.execute(   # one statement: each costs a round through SQLite
            "SELECT (SELECT COUNT(*) FROM launches WHERE creator = ?1 AND mint != ?2),"
            " (SELECT COUNT(*) FROM rugs WHERE creator = ?1)", (creator, excluding_mint)).fetchone()
        return launches, rugs

    def close(self) -> None:
        self.db.close()


def default_path(settings) -> Path:
    return Path(settings.analysis.creators_path or Path(settings.run.runs_dir) / "creators.sqlite3")
