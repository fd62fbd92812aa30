"""A position's journal writes, guarded: a failed write never raises into the actor, is logged
loudly, and is reported once (the Director then goes into safety mode: README "Journal failure").

After the first failure the journal waits at most 100 ms for its lock, so a locked or broken
journal cannot stall the position's sells; every later write still tries (a row is the whole
position, so the first write that works again brings it up to date). A journal that cannot even be
opened (read-only when a spare starts) is no start failure: it is opened again at each write, and a
write it fails is a journal failure like any other. `behind` says the last row is not written: the
position retries it before it reports its closure (actors/position.py).
"""
from __future__ import annotations

from typing import Callable

from loguru import logger

from adapters.journal import Journal


class GuardedJournal:
    def __init__(self, open_journal: Callable[[], Journal], on_first_failure: Callable[[str], None]):
        self.open_journal = open_journal
        self.journal: Journal | None = None
        self.on_first_failure = on_first_failure
        self.failure = ""          # the first failed write's error
        self.lost_writes = 0       # consecutive writes that failed
        self.lock_waits = 0        # the last hot write's polls of a write lock held elsewhere
        try:
            self._opened()
        except Exception as exc:   # retried at the first write; a spare never buys unjournaled
            logger.warning("position: the journal cannot be opened now ({}); retried at the first write", exc)

    @property
    def behind(self) -> bool:
        return self.lost_writes > 0

    def _opened(self) -> Journal:
        if self.journal is None:
            self.journal = self.open_journal()
            if self.failure:
                self.journal.fail_fast()
        return self.journal

    def save(self, row: dict, hot_stage=None) -> bool:
        """Write the row; False when the journal failed. `hot_stage`: the buy row of the hot path,
        written by Journal.save_now (which calls it at each step)."""
        try:
            if hot_stage is None:
                self._opened().save(row)
            else:
                self.lock_waits = self._opened().save_now(row, hot_stage)
        except Exception as exc:
            self.lost_writes += 1
            if not self.failure:
                self.failure = str(exc)
                if self.journal is not None:
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
        return self._opened().load(position_id)

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()
