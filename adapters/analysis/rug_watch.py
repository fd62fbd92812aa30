"""Rugs the bot sees on its own stream, recorded in the creator history (adapters/analysis/creators.py)
so the creator check has outcomes, not only launch counts.

A coin launched less than `rug_window_seconds` ago is a rug when, in its trades on the stream:
- its creator's wallet has sold at least `rug_creator_sell_pct` % of the tokens it bought, or
- the curve's real SOL (virtual SOL minus the create event's) falls by `rug_reserve_drop_pct` % from
  its peak, once that peak reached `rug_min_peak_lamports` (a dump through other wallets).
Only what the stream showed counts; nothing is guessed. Each coin is recorded once.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from loguru import logger

from adapters.stats import BoundedDict

MAX_TRACKED_LAUNCHES = 20_000   # launches inside the window at once; the oldest are forgotten first


@dataclass
class _Coin:
    creator: str
    launched_at: float          # monotonic
    start_sol: int              # the create event's virtual SOL reserves
    peak_real_sol: int = 0
    creator_bought: int = 0
    creator_sold: int = 0


class RugWatch:
    def __init__(self, rules, record, clock=time.monotonic):
        """`rules`: AnalysisSettings; `record(mint, creator, why)` stores a rug (CreatorHistory.mark_rug)."""
        self.rules, self.record, self.clock = rules, record, clock
        self.coins = BoundedDict(MAX_TRACKED_LAUNCHES)
        self.rugs = 0

    def on_launch(self, launch) -> None:
        if self.rules.rug_window_seconds <= 0:
            return
        now = self.clock()
        while self.coins:   # oldest first: forget coins past the window, traded since or not
            oldest = next(iter(self.coins))
            if now - self.coins[oldest].launched_at <= self.rules.rug_window_seconds:
                break
            del self.coins[oldest]
        self.coins[launch.mint] = _Coin(launch.creator, now, launch.virtual_sol_reserves)

    def on_trade(self, trade) -> None:
        coin = self.coins.get(trade.mint)
        if coin is None:
            return
        if self.clock() - coin.launched_at > self.rules.rug_window_seconds:
            self.coins.pop(trade.mint, None)
            return
        if trade.user == coin.creator:
            if trade.is_buy:
                coin.creator_bought += trade.token_amount
            else:
                coin.creator_sold += trade.token_amount
        real_sol = max(0, trade.virtual_sol_reserves - coin.start_sol)
        coin.peak_real_sol = max(coin.peak_real_sol, real_sol)
        why = self._rug(coin, real_sol)
        if why:
            self.coins.pop(trade.mint, None)
            self.rugs += 1
            logger.info("rug seen: {} by creator {}: {}", trade.mint, coin.creator, why)
            try:
                self.record(trade.mint, coin.creator, why)
            except Exception as exc:   # a locked or broken history file: the stream goes on
                logger.warning("rug watch: cannot record the rug of {}: {!r}", trade.mint, exc)

    def _rug(self, coin: _Coin, real_sol: int) -> str:
        rules = self.rules
        if coin.creator_bought and coin.creator_sold * 100 >= coin.creator_bought * rules.rug_creator_sell_pct:
            return (f"creator sold {coin.creator_sold * 100 // coin.creator_bought} % of the tokens it bought "
                    f">= {rules.rug_creator_sell_pct} %")
        peak = coin.peak_real_sol
        if peak >= rules.rug_min_peak_lamports and (peak - real_sol) * 100 >= peak * rules.rug_reserve_drop_pct:
            return (f"curve SOL fell {(peak - real_sol) * 100 // peak} % from its peak of {peak} lamports "
                    f">= {rules.rug_reserve_drop_pct} %")
        return ""


class _History:
    """The creator history file, opened at the first rug (most runs see few), in the actor's thread."""

    def __init__(self, settings):
        self.settings, self.history = settings, None

    def __call__(self, mint: str, creator: str, _why: str) -> None:
        if self.history is None:
            from adapters.analysis.creators import CreatorHistory, default_path
            self.history = CreatorHistory(default_path(self.settings))
        self.history.mark_rug(mint, creator)


def rug_watch_for(settings) -> RugWatch | None:
    """The StreamActor's watch (None when analysis.rug_window_seconds is 0)."""
    if settings.analysis.rug_window_seconds <= 0:
        return None
    return RugWatch(settings.analysis, _History(settings))
