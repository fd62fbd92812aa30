"""The last trade seen of each copy target, kept in the journal as well as in the ledger: the
ledger (mirrored to the root) outlives a Director, the journal outlives the whole bot. The
StreamActor, which sees every target trade first, writes it (CopySeenWriting: one small write per
drain at most, in a worker thread, off the stream's loop; the Director forks spares and keeps no
journal open). A bot started again on the same chain (genesis hash) reads it back
(CopySeenResuming) and passes it to its stream, which counts the targets' trades made while it was
down as missed (actors/copy_gaps.py)."""
from __future__ import annotations

import asyncio

from loguru import logger

from adapters.journal.store import Journal, JournalError, journal_path


class CopySeenResuming:
    """Director mixin."""

    def copy_seen_resume(self, journal: Journal) -> None:
        """At start, with the ledger known: the journal's last seen fills the targets it lacks (the
        ledger a dead Director left is at least as new)."""
        genesis = self.identity[1]
        if self.copy_desk is None or not genesis:
            return
        saved = journal.copy_seen(genesis)
        for target in self.copy_desk.targets:
            if target in saved and target not in self.ledger.copy_last_seen:
                self.ledger.copy_last_seen[target] = saved[target]
        if saved:
            logger.info("director: copy targets last seen (journal): {}", len(saved))


class CopySeenWriting:
    """StreamActor mixin: copy_seen_changed(last_seen) after a drain changed it."""
    seen_journal: Journal | None = None
    seen_writing: bool = False
    seen_dirty: dict | None = None
    seen_failed: bool = False

    def copy_seen_changed(self, last_seen: dict) -> None:
        genesis = self.settings.chain.genesis_hash
        if not genesis or self.seen_failed:
            return
        if self.seen_writing:   # one write at a time: the newest goes after it
            self.seen_dirty = dict(last_seen)
            return
        self.seen_writing, self.seen_dirty = True, None
        self.submit(asyncio.to_thread(self._write_seen, genesis, dict(last_seen)),
                    self._seen_written, self._seen_write_failed)

    def _write_seen(self, genesis: str, last_seen: dict) -> None:   # in a worker thread
        if self.seen_journal is None:
            self.seen_journal = Journal(journal_path(self.settings))
        self.seen_journal.save_copy_seen(genesis, last_seen)

    def _seen_written(self, _result) -> None:
        self.seen_writing = False
        if self.seen_dirty:
            self.copy_seen_changed(self.seen_dirty)

    def _seen_write_failed(self, exc: BaseException) -> None:
        self.seen_writing, self.seen_failed = False, True
        level = "WARNING" if isinstance(exc, JournalError) else "ERROR"
        logger.log(level, "stream: copy targets last seen not journaled from now on: {!r}", exc)
