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


@dataclass(frozen=True)
class SweepNow:
    """run.py --sell / a test -> BalanceMonitor: run one housekeeping cycle now and report it."""
    request_id: str
    live_mints: tuple | None = None   # given: trusted instead of asking the Director (one-shot runs)
    rebalance: bool = True    # False: sell strays and close empty accounts only


@dataclass(frozen=True)
class SweepReport:
    """BalanceMonitor -> requester: one cycle's outcome (what was sold, unsellable, closed, rebalanced)."""
    request_id: str
    sold: tuple = ()          # ((mint, raw, lamports), ...)
    unsellable: tuple = ()    # ((mint, raw, reason), ...)
    closed: str = ""          # what the WalletActor's close of empty accounts did
    rebalance: str = ""
    cashback: str = ""        # what claiming earned cashback did ('' = not claimed in this cycle)
