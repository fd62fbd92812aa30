"""Lifecycle counters: how positions ended, and how often each pre-confirmation-sell case happened."""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LifecycleStatsRequest:
    """test/ops -> Director: lifecycle counters since this Director started."""
    request_id: str


@dataclass(frozen=True)
class LifecycleStats:
    """Director -> requester: counters by name (see the keys below)."""
    # presell_sent, presell_both_landed, presell_retried, presell_buy_failed,
    # buy_failed_before_sell, buys_sent, recovered, closed, failed
    request_id: str
    counts: dict = field(default_factory=dict)
