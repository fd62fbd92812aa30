"""A position's journal writes, guarded: a failed write never raises into the actor, is logged
loudly, and is reported once (the Director then goes into safety mode: README "Journal failure").

After the first failure the journal waits at most 100 ms for its lock, so a locked or broken
journal cannot stall the position's sells; every later write still tries (a row is the whole
position, so the first write that works again brings it up to date).
"""
from __future__ import annotations

from typing import Callable

from loguru import logger

from adapters.journal import Journal


class GuardedJournal:
    def __init__(self, journal: Journal, on_first_failure: Callable[[str], None]):
        self.journal = journal
        self.on_first_failure = on_first_failure
        self.failure = ""          # the first failed write's error
        self.lost_writes = 0       # consecutive writes that failed

    def save(self, row: dict) -> bool:
        """Write the row; False when the journal failed."""
        try:
            self.journal.save(row)
        except Exception as exc:
            self.lost_writes += 1
            if not self.failure:
                self.failure = str(exc)
                self.journal.fail_fast()
                logger.critical("position {}: JOURNAL WRITE FAILED ({}); SAFETY MODE: no new buys, "
                                "this position goes on from memory and sells", row.get("mint"), exc)
                self.on_first_failure(self.failure)
            logger.error("position {}: not journaled: {} ({} write(s) lost)", row.get("mint"),
                         row.get("state"), self.lost_writes)
            return False
        if self.lost_writes:
            logger.warning("position {}: journal writes work again; the row is current", row.get("mint"))
            self.lost_writes = 0
        return True

    def load(self, position_id: str) -> dict | None:
        return self.journal.load(position_id)

    def close(self) -> None:
        self.journal.close()
