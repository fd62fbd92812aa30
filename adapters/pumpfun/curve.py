"""Exact integer pump.fun bonding-curve math (PROTOCOL_FACTS.md; every row of
shared/data/pumpfun_trades_2025-09.csv satisfies it). Reserves are taken before the trade.
Amounts are ints: lamports and raw token units (6 decimals)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from adapters.pumpfun.layout_v1 import ZERO_KEY, BondingCurve, Global

BPS_DENOMINATOR = 10_000
TOKEN_DECIMALS = 6
LAMPORTS_PER_SOL = 1_000_000_000


class CurveError(ValueError):
    """A trade the curve cannot do (complete curve, zero or oversized amounts)."""


def fee(amount: int, basis_points: int) -> int:
    """ceil(amount * bps / 10000), as the program rounds fees."""
    return -(-amount * basis_points // BPS_DENOMINATOR)


@dataclass(frozen=True)
class Fees:
    protocol: int
    creator: int

    @property
    def total(self) -> int:
        return self.protocol + self.creator


def fees_for(sol_amount: int, global_: Global, curve: BondingCurve) -> Fees:
    """Protocol fee, and the creator fee when the curve has a creator."""
    creator_fee = fee(sol_amount, global_.creator_fee_basis_points) if curve.creator != ZERO_KEY else 0
    return Fees(fee(sol_amount, global_.fee_basis_points), creator_fee)


def _check_live(curve: BondingCurve) -> None:
    if curve.complete or curve.virtual_token_reserves == 0:
        raise CurveError("bonding curve is complete")


def buy_tokens_capped(curve: BondingCurve, token_amount: int) -> int:
    """The program sells at most the real token reserves left."""
    return min(token_amount, curve.real_token_reserves)


def buy_cost(curve: BondingCurve, token_amount: int) -> int:
    """SOL into the curve (fees excluded) for `token_amount` tokens out: vsol*tok // (vtok-tok) + 1."""
    _check_live(curve)
    tokens = buy_tokens_capped(curve, token_amount)
    if tokens <= 0:
        raise CurveError("nothing to buy")
    return curve.virtual_sol_reserves * tokens // (curve.virtual_token_reserves - tokens) + 1


def buy_total_cost(curve: BondingCurve, global_: Global, token_amount: int) -> int:
    """What the buyer pays in all: curve cost plus protocol and creator fees (max_sol_cost floor)."""
    cost = buy_cost(curve, token_amount)
    return cost + fees_for(cost, global_, curve).total


def tokens_for_sol(curve: BondingCurve, global_: Global, sol_budget: int) -> int:
    """Most tokens whose total cost (curve + fees) fits in `sol_budget` lamports; 0 if none."""
    _check_live(curve)
    # closed form (the fast path's buy is built on the hot path; a search took 39 cost evaluations):
    # the total is non-decreasing in the curve cost C, so take the largest C whose total fits, then
    # the most tokens t with cost(t) = vsol*t // (vtok-t) + 1 <= C, i.e. t*(vsol + C) < C*vtok
    total_bps = global_.fee_basis_points + (global_.creator_fee_basis_points if curve.creator != ZERO_KEY else 0)
    most = sol_budget * BPS_DENOMINATOR // (BPS_DENOMINATOR + total_bps) + 1
    while most > 0 and most + fees_for(most, global_, curve).total > sol_budget:
        most -= 1   # fees round up: at most a few steps
    if most <= 0:
        return 0
    vtok, vsol = curve.virtual_token_reserves, curve.virtual_sol_reserves
    tokens = -(-most * vtok // (vsol + most)) - 1
    return max(0, min(tokens, curve.real_token_reserves))


def sell_proceeds(curve: BondingCurve, token_amount: int) -> int:
    """SOL out of the curve (before fees) for `token_amount` tokens in: vsol*tok // (vtok+tok)."""
    _check_live(curve)
    if token_amount < 0:
        raise CurveError("negative amount")
    return curve.virtual_sol_reserves * token_amount // (curve.virtual_token_reserves + token_amount)


def sell_net_proceeds(curve: BondingCurve, global_: Global, token_amount: int) -> int:
    """What the seller receives: proceeds minus protocol and creator fees (min_sol_output ceiling)."""
    gross = sell_proceeds(curve, token_amount)
    net = gross - fees_for(gross, global_, curve).total
    if net < 0:
        raise CurveError("fees exceed proceeds")
    return net


def after_buy(curve: BondingCurve, token_amount: int) -> BondingCurve:
    tokens = buy_tokens_capped(curve, token_amount)
    cost = buy_cost(curve, tokens)
    real_tokens = curve.real_token_reserves - tokens
    return replace(curve, virtual_sol_reserves=curve.virtual_sol_reserves + cost,
                   virtual_token_reserves=curve.virtual_token_reserves - tokens,
                   real_sol_reserves=curve.real_sol_reserves + cost, real_token_reserves=real_tokens,
                   complete=real_tokens == 0)


def after_sell(curve: BondingCurve, token_amount: int) -> BondingCurve:
    out = sell_proceeds(curve, token_amount)
    if out > curve.real_sol_reserves:
        raise CurveError("sell exceeds the curve's real SOL")
    return replace(curve, virtual_sol_reserves=curve.virtual_sol_reserves - out,
                   virtual_token_reserves=curve.virtual_token_reserves + token_amount,
                   real_sol_reserves=curve.real_sol_reserves - out,
                   real_token_reserves=curve.real_token_reserves + token_amount)


def initial_curve(global_: Global, creator=ZERO_KEY) -> BondingCurve:
    return BondingCurve(global_.initial_virtual_token_reserves, global_.initial_virtual_sol_reserves,
                        global_.initial_real_token_reserves, 0, global_.token_total_supply, False, creator)


def price_lamports_per_raw_token(curve: BondingCurve) -> Fraction:
    """Marginal price, for display only (lamports per raw token unit)."""
    if curve.virtual_token_reserves == 0:
        raise CurveError("migrated curve has no price")
    return Fraction(curve.virtual_sol_reserves, curve.virtual_token_reserves)


def price_sol_per_token(curve: BondingCurve) -> Fraction:
    """Marginal price in SOL per whole token, for display only."""
    return price_lamports_per_raw_token(curve) * 10**TOKEN_DECIMALS / LAMPORTS_PER_SOL


def market_cap_lamports(curve: BondingCurve) -> int:
    """token_total_supply * vsol // vtok (lamports)."""
    if curve.virtual_token_reserves == 0:
        return 0
    return curve.token_total_supply * curve.virtual_sol_reserves // curve.virtual_token_reserves
