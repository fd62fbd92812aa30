"""A buy's price bound: fixed basis points on top of the quote, or sized from the curve's depth.

"depth" (trading.slippage_mode): the bound is what our tokens would cost if `ahead_lamports` of
SOL (fees included) were bought on the same curve just before us (other snipers in the create's
slot), plus `tolerance_bps`. The same SOL moves a shallow curve more than a deep one, so the
allowance follows the depth instead of a flat percentage. The fixed slippage_bps stays the ceiling
(the wallet reserves a buy's worst case from it before the coin exists). Exact integers."""
from __future__ import annotations

from adapters.pumpfun import curve

BPS = curve.BPS_DENOMINATOR


def _ahead(state, global_, ahead_lamports: int):
    """The curve after `ahead_lamports` (fees included) bought before us."""
    tokens = curve.tokens_for_sol(state, global_, ahead_lamports) if ahead_lamports > 0 else 0
    return curve.after_buy(state, tokens) if tokens > 0 else state


def depth_max_sol_cost(state, global_, tokens: int, ahead_lamports: int, tolerance_bps: int) -> int:
    """max_sol_cost of a buy of `tokens`: their cost after the flow ahead, plus the tolerance (ceil)."""
    cost = curve.buy_total_cost(_ahead(state, global_, ahead_lamports), global_, tokens)
    return -(-cost * (BPS + tolerance_bps) // BPS)


def depth_min_tokens(state, global_, sol: int, ahead_lamports: int, tolerance_bps: int) -> int:
    """min tokens out of an exact-in buy of `sol`: what it gets after the flow ahead, less the tolerance."""
    return curve.tokens_for_sol(_ahead(state, global_, ahead_lamports), global_, sol) \
        * (BPS - tolerance_bps) // BPS


def max_sol_cost(state, global_, tokens: int, trading) -> int:
    fixed = curve.buy_total_cost(state, global_, tokens) * (BPS + trading.slippage_bps) // BPS
    if trading.slippage_mode != "depth":
        return fixed
    return min(fixed, depth_max_sol_cost(state, global_, tokens, trading.slippage_ahead_lamports,
                                         trading.slippage_tolerance_bps))


def min_tokens_out(state, global_, sol: int, tokens: int, trading) -> int:
    fixed = tokens * (BPS - trading.slippage_bps) // BPS
    if trading.slippage_mode != "depth":
        return fixed
    return max(fixed, depth_min_tokens(state, global_, sol, trading.slippage_ahead_lamports,
                                       trading.slippage_tolerance_bps))
