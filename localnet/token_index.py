"""Token accounts by mint and by owner, so getTokenLargestAccounts and getTokenAccountsByOwner read
the few accounts of one mint or one wallet instead of scanning every token account on the chain
(a scan cost ~1 ms per call with a few thousand accounts: a quarter of the analysis benchmark's
chain CPU).

The Chain feeds every write it makes (each executed transaction's writable accounts, and
Chain.set_account); the index is built by one scan when the Chain is made, after the genesis
installs. A key that left a mint's or an owner's set (closed, re-assigned) is remembered until its
slot is finalized, so a read at a lagging commitment can still find it: the candidates of a view
are the current members plus those recent leavers, each then read as of that view and checked."""
from __future__ import annotations

from collections import deque

from solders.account import Account
from solders.pubkey import Pubkey

from localnet import encoding


class TokenAccountIndex:
    def __init__(self):
        self._by_mint: dict[bytes, set[Pubkey]] = {}
        self._by_owner: dict[bytes, set[Pubkey]] = {}
        self._of: dict[Pubkey, tuple[bytes, bytes]] = {}        # key -> (mint, owner) as 32-byte strings
        self._left: deque[tuple[int, bytes, bytes, Pubkey]] = deque()   # (slot, mint, owner, key), oldest first
        self._left_by_mint: dict[bytes, dict[Pubkey, int]] = {}
        self._left_by_owner: dict[bytes, dict[Pubkey, int]] = {}

    def __len__(self) -> int:
        return len(self._of)

    def write(self, slot: int, key: Pubkey, account: Account | None) -> None:
        """`key` now holds `account` (None or not a token account: it is not one any more)."""
        now = None
        if account is not None and account.lamports > 0 and account.owner in encoding.TOKEN_PROGRAMS:
            data = bytes(account.data)
            if encoding.is_token_account(account.owner, data):
                now = (data[0:32], data[32:64])
        before = self._of.get(key)
        if before == now:
            return
        if before is not None:
            self._remove(slot, key, *before)
        if now is not None:
            self._of[key] = now
            self._by_mint.setdefault(now[0], set()).add(key)
            self._by_owner.setdefault(now[1], set()).add(key)

    def _remove(self, slot: int, key: Pubkey, mint: bytes, owner: bytes) -> None:
        del self._of[key]
        for groups, left, group in ((self._by_mint, self._left_by_mint, mint),
                                    (self._by_owner, self._left_by_owner, owner)):
            members = groups[group]
            members.discard(key)
            if not members:
                del groups[group]
            left.setdefault(group, {})[key] = slot
        self._left.append((slot, mint, owner, key))

    def forget_through(self, finalized_slot: int) -> None:
        """Leavers of finalized slots are gone at every commitment: stop offering them."""
        while self._left and self._left[0][0] <= finalized_slot:
            slot, mint, owner, key = self._left.popleft()
            for left, group in ((self._left_by_mint, mint), (self._left_by_owner, owner)):
                recent = left.get(group)
                if recent is not None and recent.get(key) == slot:   # not left again since
                    del recent[key]
                    if not recent:
                        del left[group]

    def of_mint(self, mint: Pubkey, lagging: bool = False) -> set[Pubkey]:
        """Token accounts of `mint` now; with `lagging`, also those that left it in a slot not yet
        finalized (the caller reads each as of its view and keeps those that match)."""
        return self._candidates(self._by_mint, self._left_by_mint, bytes(mint), lagging)

    def of_owner(self, owner: Pubkey, lagging: bool = False) -> set[Pubkey]:
        return self._candidates(self._by_owner, self._left_by_owner, bytes(owner), lagging)

    @staticmethod
    def _candidates(groups: dict, left: dict, group: bytes, lagging: bool) -> set[Pubkey]:
        found = set(groups.get(group, ()))
        if lagging:
            found.update(left.get(group, ()))
        return found
