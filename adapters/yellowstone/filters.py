"""Yellowstone subscription filters, compiled once and matched per update (server-side semantics).

Values inside one list are OR-ed, different fields AND-ed; an empty filter matches everything.
`failed: true` selects failed transactions only, `failed: false` successful ones only.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass

import base58
from solders.pubkey import Pubkey

from adapters.yellowstone.generated import geyser_pb2 as geyser

TOKEN_PROGRAMS = frozenset({"TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA", "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"})
TOKEN_ACCOUNT_LEN = 165


class FilterError(ValueError):
    """A subscription request the server refuses (the message says which field and why)."""


def _pubkeys(values, field: str) -> frozenset[str]:
    for value in values:
        try:
            Pubkey.from_string(value)
        except ValueError:
            raise FilterError(f"{field}: invalid pubkey {value!r}") from None
    return frozenset(values)


@dataclass(frozen=True)
class TransactionFilter:
    vote: bool | None
    failed: bool | None
    signature: str | None
    include: frozenset[str]
    exclude: frozenset[str]
    required: frozenset[str]

    @classmethod
    def compile(cls, name: str, proto: geyser.SubscribeRequestFilterTransactions) -> "TransactionFilter":
        return cls(vote=proto.vote if proto.HasField("vote") else None,
                   failed=proto.failed if proto.HasField("failed") else None,
                   signature=proto.signature if proto.HasField("signature") else None,
                   include=_pubkeys(proto.account_include, f"transactions[{name}].account_include"),
                   exclude=_pubkeys(proto.account_exclude, f"transactions[{name}].account_exclude"),
                   required=_pubkeys(proto.account_required, f"transactions[{name}].account_required"))

    def matches(self, *, is_vote: bool, failed: bool, signature: str, keys: frozenset[str]) -> bool:
        if self.vote is not None and self.vote != is_vote:
            return False
        if self.failed is not None and self.failed != failed:
            return False
        if self.signature is not None and self.signature != signature:
            return False
        if self.include and self.include.isdisjoint(keys):
            return False
        if self.exclude and not self.exclude.isdisjoint(keys):
            return False
        return self.required <= keys


# Yellowstone's limits, checked before decoding: Python's base58 decoder is quadratic and the
# local server decodes on its event loop
MAX_DATA_SIZE = 128
MAX_DATA_BASE58_SIZE = 175
MAX_DATA_BASE64_SIZE = 172
MAX_ACCOUNT_FILTERS = 4


def _memcmp_matcher(memcmp) -> tuple[int, bytes]:
    kind = memcmp.WhichOneof("data")
    if kind == "bytes":
        expected = bytes(memcmp.bytes)
    elif kind == "base58":
        if len(memcmp.base58) > MAX_DATA_BASE58_SIZE:
            raise FilterError("memcmp: data too large")
        try:
            expected = base58.b58decode(memcmp.base58)
        except ValueError:
            raise FilterError("memcmp: invalid base58") from None
    elif kind == "base64":
        if len(memcmp.base64) > MAX_DATA_BASE64_SIZE:
            raise FilterError("memcmp: data too large")
        try:
            expected = base64.b64decode(memcmp.base64, validate=True)
        except ValueError:
            raise FilterError("memcmp: invalid base64") from None
    else:
        raise FilterError("memcmp: data for memcmp should be defined")
    if len(expected) > MAX_DATA_SIZE:
        raise FilterError("memcmp: data too large")
    return memcmp.offset, expected


_LAMPORT_TESTS = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
                  "lt": lambda a, b: a < b, "gt": lambda a, b: a > b}


@dataclass(frozen=True)
class AccountFilter:
    accounts: frozenset[str]
    owners: frozenset[str]
    data_tests: tuple  # callables (lamports, owner, data) -> bool, all must pass

    @classmethod
    def compile(cls, name: str, proto: geyser.SubscribeRequestFilterAccounts) -> "AccountFilter":
        tests = []
        if len(proto.filters) > MAX_ACCOUNT_FILTERS:
            raise FilterError(f"accounts[{name}]: Too many filters provided; max {MAX_ACCOUNT_FILTERS}")
        for item in proto.filters:
            kind = item.WhichOneof("filter")
            if kind == "memcmp":
                offset, expected = _memcmp_matcher(item.memcmp)
                tests.append(lambda lamports, owner, data, o=offset, e=expected: data[o:o + len(e)] == e)
            elif kind == "datasize":
                tests.append(lambda lamports, owner, data, n=item.datasize: len(data) == n)
            elif kind == "token_account_state":
                tests.append(lambda lamports, owner, data: owner in TOKEN_PROGRAMS and len(data) >= TOKEN_ACCOUNT_LEN)
            elif kind == "lamports":
                op = item.lamports.WhichOneof("cmp")
                if op is None:
                    raise FilterError(f"accounts[{name}]: lamports filter without comparison")
                tests.append(lambda lamports, owner, data, t=_LAMPORT_TESTS[op], v=getattr(item.lamports, op): t(lamports, v))
            else:
                raise FilterError(f"accounts[{name}]: empty filter entry")
        return cls(accounts=_pubkeys(proto.account, f"accounts[{name}].account"),
                   owners=_pubkeys(proto.owner, f"accounts[{name}].owner"), data_tests=tuple(tests))

    def matches(self, pubkey: str, lamports: int, owner: str, data: bytes) -> bool:
        if self.accounts and pubkey not in self.accounts:
            return False
        if self.owners and owner not in self.owners:
            return False
        return all(test(lamports, owner, data) for test in self.data_tests)


@dataclass(frozen=True)
class CompiledRequest:
    """One SubscribeRequest, validated; the server swaps a whole one in on every non-ping request."""
    transactions: dict[str, TransactionFilter]
    transactions_status: dict[str, TransactionFilter]
    accounts: dict[str, AccountFilter]
    slots: dict[str, bool]               # name -> filter_by_commitment
    commitment: int                      # geyser.CommitmentLevel value
    data_slices: tuple[tuple[int, int], ...]
    from_slot: int | None

    @classmethod
    def compile(cls, request: geyser.SubscribeRequest) -> "CompiledRequest":
        commitment = request.commitment if request.HasField("commitment") else geyser.PROCESSED
        if commitment not in (geyser.PROCESSED, geyser.CONFIRMED, geyser.FINALIZED):
            raise FilterError(f"unknown commitment level {commitment}")
        return cls(
            transactions={n: TransactionFilter.compile(n, f) for n, f in request.transactions.items()},
            transactions_status={n: TransactionFilter.compile(n, f) for n, f in request.transactions_status.items()},
            accounts={n: AccountFilter.compile(n, f) for n, f in request.accounts.items()},
            slots={n: f.filter_by_commitment for n, f in request.slots.items()},
            commitment=commitment,
            data_slices=tuple((s.offset, s.length) for s in request.accounts_data_slice),
            from_slot=request.from_slot if request.HasField("from_slot") else None)

    def slice_data(self, data: bytes) -> bytes:
        if not self.data_slices:
            return data
        return b"".join(data[offset:offset + length] for offset, length in self.data_slices)
