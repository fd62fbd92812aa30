"""Exact constant-product math of the PumpSwap program (reserves = the pool vaults' balances before
the trade; lp, protocol and coin-creator fees each rounded up, as the program does: the creator fee
goes to the creator's vault, or to the trader as cashback on a cashback coin, and costs the trader the
same either way). Ints: raw base units, lamports. fees.pool_fee_rates gives a pool's three rates."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

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
    coin_creator_fee: int = 0  # to the creator's vault, or the trader's cashback on a cashback coin

    def reserves_after(self, before: Reserves, is_buy: bool) -> Reserves:
        if is_buy:   # the lp fee stays in the pool, the protocol and creator fees leave it
            return Reserves(before.base - self.base_amount, before.quote + self.quote_amount + self.lp_fee)
        return Reserves(before.base + self.base_amount, before.quote - self.quote_amount + self.lp_fee)


class FeeRates(NamedTuple):
    """The three rates in the argument order of the functions below (unpack with *)."""
    lp_fee_bps: int
    protocol_fee_bps: int
    coin_creator_fee_bps: int = 0


def buy_base_out(reserves: Reserves, base_out: int, lp_fee_bps: int, protocol_fee_bps: int,
                 coin_creator_fee_bps: int = 0) -> SwapQuote:
    """Quote paid for exactly `base_out`: ceil(Q*b / (B-b)) plus fees (max_quote_amount_in floor)."""
    if base_out <= 0:
        raise PoolMathError("base amount must be positive")
    if base_out >= reserves.base:
        raise PoolMathError("the pool holds fewer base tokens than asked")
    quote_in = _ceil_div(reserves.quote * base_out, reserves.base - base_out)
    lp, protocol, creator = (fee(quote_in, bps) for bps in (lp_fee_bps, protocol_fee_bps, coin_creator_fee_bps))
    return SwapQuote(base_out, quote_in, lp, protocol, quote_in + lp + protocol + creator, creator)


def buy_base_for_quote(reserves: Reserves, quote_budget: int, lp_fee_bps: int, protocol_fee_bps: int,
                       coin_creator_fee_bps: int = 0) -> SwapQuote:
    """The largest buy whose total cost fits in `quote_budget` (ExactIn buy)."""
    rates = (lp_fee_bps, protocol_fee_bps, coin_creator_fee_bps)
    spend = quote_budget * BPS_DENOMINATOR // (BPS_DENOMINATOR + sum(rates))
    high = min(reserves.base - 1, reserves.base * spend // max(1, reserves.quote + spend) + 2)
    low = 0
    while low < high:             # cost is monotonic in base_out: search the largest that fits
        middle = (low + high + 1) // 2
        if buy_base_out(reserves, middle, *rates).user_quote_amount <= quote_budget:
            low = middle
        else:
            high = middle - 1
    if low == 0:
        raise PoolMathError("budget too small for one base unit")
    return buy_base_out(reserves, low, *rates)


def sell_base_in(reserves: Reserves, base_in: int, lp_fee_bps: int, protocol_fee_bps: int,
                 coin_creator_fee_bps: int = 0) -> SwapQuote:
    """Quote received for exactly `base_in`: floor(Q*b / (B+b)) minus fees (min_quote_amount_out ceiling)."""
    if base_in <= 0:
        raise PoolMathError("base amount must be positive")
    quote_out = reserves.quote * base_in // (reserves.base + base_in)
    lp, protocol, creator = (fee(quote_out, bps) for bps in (lp_fee_bps, protocol_fee_bps, coin_creator_fee_bps))
    if lp + protocol + creator >= quote_out:
        raise PoolMathError("fees exceed the proceeds")
    return SwapQuote(base_in, quote_out, lp, protocol, quote_out - lp - protocol - creator, creator)
