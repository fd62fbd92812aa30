"""The compute-unit price a transaction pays: fixed (trading.priority_fee), or dynamic, a percentile
of the prices recently paid by transactions that wrote the same accounts (getRecentPrioritizationFees),
clamped to [priority_fee_floor, priority_fee_cap] and refreshed in the background.

Slots where nobody wrote those accounts report 0 and say nothing about the market, so the
percentile is taken over the slots that paid something; none at all gives the floor.
Micro-lamports per compute unit, integers throughout.
"""
from __future__ import annotations

import math
import time

from solders.pubkey import Pubkey


def fee_percentile(paid: list[int], percentile: int, floor: int, cap: int) -> int:
    """The nearest-rank `percentile` of the non-zero prices in `paid`, clamped to [floor, cap]."""
    prices = sorted(price for price in paid if price > 0)
    if not prices:
        return floor
    rank = max(1, math.ceil(percentile / 100 * len(prices)))
    return min(cap, max(floor, prices[rank - 1]))


class PriorityFee:
    """One per ChainAccess. `price` is what the next transaction pays; refresh() re-reads the market
    when the last reading is older than the refresh interval (the warm-up loop calls it)."""

    def __init__(self, trading):
        self.trading = trading
        self.dynamic = trading.priority_fee_mode == "dynamic"
        self.price = trading.priority_fee_floor if self.dynamic else trading.priority_fee
        self.read_at = 0.0     # monotonic; 0 = never read

    @property
    def worst_case(self) -> int:
        """The most a transaction can pay per compute unit (for fund reservations)."""
        return self.trading.priority_fee_cap if self.dynamic else self.trading.priority_fee

    def stale(self) -> bool:
        return self.dynamic and time.monotonic() - self.read_at >= self.trading.priority_fee_refresh_seconds

    async def refresh(self, rpc, accounts: list[Pubkey]) -> int:
        if not self.stale():
            return self.price
        resp = await rpc.call("getRecentPrioritizationFees",
                              lambda c: c.get_recent_prioritization_fees(accounts))
        t = self.trading
        self.price = fee_percentile([item.prioritization_fee for item in resp.value],
                                    t.priority_fee_percentile, t.priority_fee_floor, t.priority_fee_cap)
        self.read_at = time.monotonic()
        return self.price
