"""Prioritization fees actually paid, per recent slot, as getRecentPrioritizationFees reports them.

Like Agave's prioritization fee cache: per slot the minimum compute-unit price (micro-lamports) among
its non-vote transactions, and per write-locked account the minimum among the transactions that
write it; a query with accounts reports per slot the largest of the slot's minimum and those
accounts' minimums. A transaction without SetComputeUnitPrice paid a price of 0.
"""
from __future__ import annotations

from collections import OrderedDict

from solders.pubkey import Pubkey

COMPUTE_BUDGET_PROGRAM = Pubkey.from_string("ComputeBudget111111111111111111111111111111")
SET_COMPUTE_UNIT_PRICE = 3
KEPT_SLOTS = 150


def compute_unit_price(transaction) -> int:
    """Micro-lamports per compute unit the transaction set (the last SetComputeUnitPrice wins), else 0."""
    message = transaction.message
    keys = message.account_keys
    price = 0
    for ix in message.instructions:
        data = bytes(ix.data)
        if (ix.program_id_index < len(keys) and keys[ix.program_id_index] == COMPUTE_BUDGET_PROGRAM
                and len(data) == 9 and data[0] == SET_COMPUTE_UNIT_PRICE):
            price = int.from_bytes(data[1:9], "little")
    return price


class PriorityFeeBook:
    def __init__(self, kept_slots: int = KEPT_SLOTS):
        self._kept = kept_slots
        self._slots: OrderedDict[int, tuple[int, dict[Pubkey, int]]] = OrderedDict()

    def record(self, slot: int, transaction, writable_keys: list[Pubkey]) -> None:
        price = compute_unit_price(transaction)
        slot_min, by_account = self._slots.get(slot, (price, {}))
        for key in writable_keys:
            by_account[key] = min(by_account.get(key, price), price)
        self._slots[slot] = (min(slot_min, price), by_account)
        while len(self._slots) > self._kept:
            self._slots.popitem(last=False)

    def fees(self, first_slot: int, last_slot: int, accounts: list[Pubkey]) -> list[dict]:
        """One {slot, prioritizationFee} per slot in [first_slot, last_slot]; slots without transactions report 0."""
        out = []
        for slot in range(first_slot, last_slot + 1):
            slot_min, by_account = self._slots.get(slot, (0, {}))
            fee = max([slot_min] + [by_account[k] for k in accounts if k in by_account])
            out.append({"prioritizationFee": fee, "slot": slot})
        return out
