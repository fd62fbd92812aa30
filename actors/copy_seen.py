"""The last trade seen of each copy target, kept in the journal as well as in the ledger: the
ledger (mirrored to the root) outlives a Director, the journal outlives the whole bot. A bot started
again on the same chain (genesis hash) passes the journal's signatures to its stream, which counts
the targets' trades made while it was down as missed (actors/copy_gaps.py). A Director mixin."""
from __future__ import annotations

from loguru import logger

from adapters.journal.store import Journal, JournalError, journal_path


class CopySeenJournaling:
    copy_seen_journal: Journal | None = None
    copy_seen_failed: bool = False

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

    def copy_seen_save(self, last_seen: dict) -> None:
        """After a batch is copied (off the copy's path): one small write; a failure is logged once
        and costs only the count of trades missed across a restart."""
        genesis = self.identity[1]
        if not last_seen or not genesis or self.copy_seen_failed:
            return
        try:
            if self.copy_seen_journal is None:
                self.copy_seen_journal = Journal(journal_path(self.settings))
            self.copy_seen_journal.save_copy_seen(genesis, last_seen)
        except JournalError as exc:
            self.copy_seen_failed = True
            logger.warning("director: copy targets last seen not journaled from now on: {}", exc)
