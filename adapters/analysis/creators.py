"""Creator history kept across runs in its own SQLite file: launches per creator as this bot saw
them. Rugs are recorded only when the bot itself observes one (mark_rug, e.g. a drained curve seen
by a position); nothing here guesses outcomes."""
from __future__ import annotations

import collections
import queue
import sqlite3
import threading
import time
from pathlib import Path

from loguru import logger

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


class LaunchRecorder:
    """record_launch() off the caller's thread (the stream's I/O thread, which decodes the next
    update meanwhile): a thread of its own with its own connection writes what is queued, so a
    commit, or another process holding the file's lock up to the 2 s busy timeout, never stalls
    the caller. unwritten() is what is queued but maybe not in the file yet, for the caller's
    reads: counted in, a creator's launches a few ms apart are never missed (in the instant
    between a commit and its removal from the queue one may count twice: the safe side)."""

    def __init__(self, path: str | Path):
        self.path = path
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.pending: dict[str, collections.Counter] = {}   # creator -> mints queued
        self.failures = 0
        self.thread = threading.Thread(target=self._run, name="creator-history-writer", daemon=True)
        self.thread.start()

    def record_launch(self, mint: str, creator: str) -> None:
        with self.lock:
            self.pending.setdefault(creator, collections.Counter())[mint] += 1
        self.queue.put((mint, creator))

    def unwritten(self, creator: str, excluding_mint: str = "") -> int:
        with self.lock:
            mints = self.pending.get(creator)
            return 0 if mints is None else sum(1 for mint in mints if mint != excluding_mint)

    def _run(self) -> None:
        history = None
        while (item := self.queue.get()) is not None:
            mint, creator = item
            try:
                if history is None:
                    history = CreatorHistory(self.path)
                history.record_launch(mint, creator)
            except Exception as exc:
                self.failures += 1
                logger.warning("creator history: launch {} not written: {!r}", mint, exc)
            finally:
                with self.lock:
                    mints = self.pending[creator]
                    mints[mint] -= 1
                    if mints[mint] <= 0:
                        del mints[mint]
                    if not mints:
                        del self.pending[creator]
        if history is not None:
            history.close()

    def close(self, timeout: float = 2.0) -> None:
        """Writes what is queued (up to `timeout`), then stops the thread."""
        self.queue.put(None)
        self.thread.join(timeout)


def default_path(settings) -> Path:
    return Path(settings.analysis.creators_path or Path(settings.run.runs_dir) / "creators.sqlite3")
