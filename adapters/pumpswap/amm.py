"""Exact constant-product math of the PumpSwap program (reserves = the pool vaults' balances before
the trade; lp and protocol fees rounded up, as the program does). Ints: raw base units, lamports."""
from __future__ import annotations

from dataclasses import dataclass

BPS_DENOMINATOR = 10_000


class PoolMathError(ValueError):
    """A trade the pool cannot do (zero amount, more base than the pool holds, fees above proceeds)."""


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def fee(amount: int, basis_points: int) -> int:
    return _ceil_div(amount * basis_points, BPS_DENOMINATOR)


@dataclass(frozen=True)
class Reserves:
    base: int
    quote: int


@dataclass(frozen=True)
class SwapQuote:
    base_amount: int          # base out (buy) or in (sell)
    quote_amount: int         # curve-side quote before fees
    lp_fee: int
    protocol_fee: int
    user_quote_amount: int    # what the user pays (buy) or receives (sell)

    def reserves_after(self, before: Reserves, is_buy: bool) -> Reserves:
        if is_buy:   # the lp fee stays in the pool, the protocol fee leaves it
            return Reserves(before.base - self.base_amount, before.quote + self.quote_amount + self.lp_fee)
        return Reserves(before.base + self.base_amount, before.quote - self.quote_amount + self.lp_fee)


def buy_base_out(reserves: Reserves, base_out: int, lp_fee_bps: int, protocol_fee_bps: int) -> SwapQuote:
    """Quote paid for exactly `base_out`: ceil(Q*b / (B-b)) plus fees (max_quote_amount_in floor)."""
    if base_out <= 0:
        raise PoolMathError("base amount must be positive")
    if base_out >= reserves.base:
        raise PoolMathError("the pool holds fewer base tokens than asked")
    quote_in = _ceil_div(reserves.quote * base_out, reserves.base - base_out)
    lp, protocol = fee(quote_in, lp_fee_bps), fee(quote_in, protocol_fee_bps)
    return SwapQuote(base_out, quote_in, lp, protocol, quote_in + lp + protocol)


def buy_base_for_quote(reserves: Reserves, quote_budget: int, lp_fee_bps: int, protocol_fee_bps: int) -> SwapQuote:
    """The largest buy whose total cost fits in `quote_budget` (ExactIn buy)."""
    spend = quote_budget * BPS_DENOMINATOR // (BPS_DENOMINATOR + lp_fee_bps + protocol_fee_bps)
    high = min(reserves.base - 1, reserves.base * spend // max(1, reserves.quote + spend) + 2)
    low = 0
    while low < high:             # cost is monotonic in base_out: search the largest that fits
        middle = (low + high + 1) // 2
        if buy_base_out(reserves, middle, lp_fee_bps, protocol_fee_bps).user_quote_amount <= quote_budget:
            low = middle
        else:
            high = middle - 1
    if low == 0:
        raise PoolMathError("budget too small for one base unit")
    return buy_base_out(reserves, low, lp_fee_bps, protocol_fee_bps)


def sell_base_in(reserves: Reserves, base_in: int, lp_fee_bps: int, protocol_fee_bps: int) -> SwapQuote:
    """Quote received for exactly `base_in`: floor(Q*b / (B+b)) minus fees (min_quote_amount_out ceiling)."""
    if base_in <= 0:
        raise PoolMathError("base amount must be positive")
    quote_out = reserves.quote * base_in // (reserves.base + base_in)
    lp, protocol = fee(quote_out, lp_fee_bps), fee(quote_out, protocol_fee_bps)
    if lp + protocol >= quote_out:
        raise PoolMathError("fees exceed the proceeds")
    return SwapQuote(base_in, quote_out, lp, protocol, quote_out - lp - protocol)
