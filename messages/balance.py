"""Balance-monitor conversation: periodic sweep for tokens that no live position holds."""
from dataclasses import dataclass


@dataclass(frozen=True)
class LiveMintsRequest:
    """BalanceMonitor -> Director: which mints do live positions hold?"""
    request_id: str


@dataclass(frozen=True)
class LiveMints:
    """Director -> BalanceMonitor: mints of live positions."""
    request_id: str
    mints: tuple


@dataclass(frozen=True)
class StrayTokens:
    """BalanceMonitor -> Director: tokens in the wallet that no live position holds ((mint, raw), ...)."""
    request_id: str
    tokens: tuple
