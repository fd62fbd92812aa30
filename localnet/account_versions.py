"""Per-commitment views of account state, kept cheaply: for each account written in a slot that is
not finalized yet, its value before that slot's first write. A read at a lagging commitment rolls
back through these; once a slot is finalized its entries are dropped, so memory follows the
writes of the last `finalized_lag` slots only."""
from __future__ import annotations

from collections import deque

from solders.account import Account
from solders.pubkey import Pubkey


class AccountVersions:
    def __init__(self):
        self._priors: dict[Pubkey, deque[tuple[int, Account | None]]] = {}   # oldest first
        self._written_in_slot: deque[tuple[int, list[Pubkey]]] = deque()

    def __len__(self) -> int:
        """How many accounts have a version older than the live state."""
        return len(self._priors)

    def keys(self):
        return self._priors.keys()

    def has(self, key: Pubkey) -> bool:
        return key in self._priors

    def remember(self, slot: int, keys: list[Pubkey], priors: list[Account | None]) -> None:
        """Before writing `keys` in `slot`: their values until then (only the slot's first write counts)."""
        first_writes = []
        for key, prior in zip(keys, priors):
            history = self._priors.setdefault(key, deque())
            if not history or history[-1][0] != slot:
                history.append((slot, prior))
                first_writes.append(key)
        if first_writes:
            if self._written_in_slot and self._written_in_slot[-1][0] == slot:
                self._written_in_slot[-1][1].extend(first_writes)
            else:
                self._written_in_slot.append((slot, first_writes))

    def forget_through(self, finalized_slot: int) -> None:
        """Writes in slots up to `finalized_slot` are visible at every commitment: drop their priors."""
        while self._written_in_slot and self._written_in_slot[0][0] <= finalized_slot:
            slot, keys = self._written_in_slot.popleft()
            for key in keys:
                history = self._priors.get(key)
                if history and history[0][0] == slot:
                    history.popleft()
                    if not history:
                        del self._priors[key]

    def as_of(self, key: Pubkey, view_slot: int, current: Account | None) -> Account | None:
        """The account at the end of `view_slot`, given its live value `current`; None if it did not exist."""
        for slot, prior in self._priors.get(key, ()):
            if slot > view_slot:
                return prior if prior is not None and prior.lamports > 0 else None
        return current
