"""Exit on graduation (trading.exit_on_graduation): the coin completed its bonding curve."""
from __future__ import annotations

GRADUATED = "graduated"


def graduation_exit(trades, enabled: bool) -> str | None:
    """'graduated' when exiting on graduation is on and one of `trades` completed the curve."""
    return GRADUATED if enabled and any(trade.curve_complete for trade in trades) else None
