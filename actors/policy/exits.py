"""When a held position should be sold, from the curve after each trade: take profit and stop loss
(against the cost), a trailing stop (against the best value seen since the buy) and the curve's
progress toward completion (sell before the coin graduates). Pure: the PositionActor keeps an
ExitWatch per position and feeds it; max hold is a timer in the actor. Lamports are integers."""
from __future__ import annotations

from dataclasses import dataclass

from adapters.pumpfun import curve
from adapters.pumpfun.layout_v1 import BondingCurve, Global

BPS = 10_000


@dataclass
class ExitWatch:
    """Per position: the highest value (lamports a full sell would return) seen so far."""
    peak_value: int = 0


def curve_progress_bps(curve_now: BondingCurve, global_: Global) -> int:
    """Share of the curve's sellable tokens already bought, in basis points (10,000 = complete):
    (initial virtual - virtual token reserves) / initial real token reserves."""
    sold = global_.initial_virtual_token_reserves - curve_now.virtual_token_reserves
    if global_.initial_real_token_reserves <= 0:
        return 0
    return max(0, min(BPS, sold * BPS // global_.initial_real_token_reserves))


def exit_reason(cost_lamports: int, tokens: int, curve_now: BondingCurve, global_: Global, limits,
                watch: ExitWatch) -> str | None:
    """'take_profit' / 'stop_loss' / 'trailing_stop' / 'curve_progress', or None to hold.
    limits: take_profit_pct, stop_loss_pct, trailing_stop_pct (0 = off),
    exit_curve_progress_pct (0 = off) of [trading]."""
    if tokens <= 0 or cost_lamports <= 0:
        return None
    progress_pct = limits.exit_curve_progress_pct
    if progress_pct and curve_progress_bps(curve_now, global_) * 100 >= progress_pct * BPS:
        return "curve_progress"
    try:
        value = curve.sell_net_proceeds(curve_now, global_, tokens)
    except curve.CurveError:
        return None   # complete curve: only the max-hold exit (and a later Jupiter route) applies
    watch.peak_value = max(watch.peak_value, value)
    if value * 100 >= cost_lamports * (100 + limits.take_profit_pct):
        return "take_profit"
    if value * 100 <= cost_lamports * (100 - limits.stop_loss_pct):
        return "stop_loss"
    trailing = limits.trailing_stop_pct
    # the stop trails the best value seen (not the cost: a small buy's cost includes its token
    # account's rent, which comes back only when the account is closed by the sell)
    if trailing and value * 100 <= watch.peak_value * (100 - trailing):
        return "trailing_stop"
    return None
