"""Circuit breaker: stop buying after too many failed or losing trades in a row, or too deep a drawdown.

Pure functions over trade outcomes (like actors/position_model.py): the Director feeds each closed
or failed position in and stops buying when `tripped` is set; selling goes on. A limit of 0 is off.
Amounts are integer lamports.
"""
from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class BreakerLimits:
    max_consecutive_losses: int = 0    # failed or losing trades in a row; 0 = off
    max_drawdown_lamports: int = 0     # fall of the run's PnL from its peak; 0 = off

    @classmethod
    def from_settings(cls, settings) -> 'BreakerLimits':
        risk = settings.risk
        return cls(risk.max_consecutive_losses, risk.max_drawdown_lamports)


@dataclass(frozen=True)
class BreakerState:
    consecutive_losses: int = 0
    pnl_lamports: int = 0              # sum of the trades seen
    peak_pnl_lamports: int = 0         # highest pnl_lamports so far (the run starts at 0)
    tripped: str = ''                  # why buying stopped; '' = not tripped

    @property
    def drawdown_lamports(self) -> int:
        return self.peak_pnl_lamports - self.pnl_lamports


def record_trade(state: BreakerState, pnl_lamports: int, failed: bool) -> BreakerState:
    """The state after one finished position; a failed one counts as a loss whatever its PnL."""
    pnl = state.pnl_lamports + pnl_lamports
    lost = failed or pnl_lamports < 0
    return replace(state, consecutive_losses=state.consecutive_losses + 1 if lost else 0,
                   pnl_lamports=pnl, peak_pnl_lamports=max(state.peak_pnl_lamports, pnl))


def trip_reason(state: BreakerState, limits: BreakerLimits) -> str:
    """Why the breaker should be open now ('' = it should not)."""
    if limits.max_consecutive_losses and state.consecutive_losses >= limits.max_consecutive_losses:
        return f'{state.consecutive_losses} failed or losing trade(s) in a row'
    if limits.max_drawdown_lamports and state.drawdown_lamports >= limits.max_drawdown_lamports:
        return (f'drawdown {state.drawdown_lamports} lamports from the peak '
                f'(limit {limits.max_drawdown_lamports})')
    return ''


def after_trade(state: BreakerState, limits: BreakerLimits, pnl_lamports: int,
                failed: bool) -> BreakerState:
    """Record a trade; trip (once, keeping the first reason) when a limit is reached."""
    state = record_trade(state, pnl_lamports, failed)
    if not state.tripped:
        state = replace(state, tripped=trip_reason(state, limits))
    return state


def reset(state: BreakerState) -> BreakerState:
    """An operator resumed buying: close the breaker and start the streak and drawdown afresh."""
    return replace(state, consecutive_losses=0, peak_pnl_lamports=state.pnl_lamports, tripped='')
