"""Status conversation: run.py (or a test) asks the Director for counters and the final summary."""
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StatusRequest:
    """run.py -> Director: current counters."""
    request_id: str


@dataclass(frozen=True)
class Status:
    """Director -> requester: counters; latencies_ms: the last 1,024 detection-to-buy-sent times."""
    request_id: str
    coins_seen: int
    analysed: int
    bought: int
    sold: int
    active_positions: int
    pnl_lamports: int
    failures: dict = field(default_factory=dict)    # kind -> count
    restarts: dict = field(default_factory=dict)    # child name -> count
    latencies_ms: tuple = ()
    unresolved_signatures: int = 0
    safety_mode: bool = False
    stray_tokens: tuple = ()                        # ((mint, raw), ...) held by no live position
    buys: tuple = ()                                # ((signature, detected_at, sent_at), ...) wall times
    decision_ms: tuple = ()                         # detection to analysis decision, per launch
    stream: dict = field(default_factory=dict)      # StreamActor counters: updates, malformed, ...
    lifecycle: dict = field(default_factory=dict)   # how positions ended, pre-confirmation sell cases
    buying: bool = True                             # False: paused (control, breaker, safety)
    breaker: str = ""                               # why the circuit breaker stopped buying ('' = closed)
    fatal: str = ""                                 # an actor failed its Start: the run must stop
    skips: dict = field(default_factory=dict)       # why coins were not bought: reason -> count
    latency_histogram: Any = None                   # adapters.stats.LatencyHistogram of every buy
    buys_total: int = 0                             # buys ever sent (`buys` holds the last 1,024)
    decision_histogram: Any = None                  # detection to analysis decision, every launch
    open_mints: tuple = ()                          # mints of the positions still open
    unsellable_mints: tuple = ()                    # closed unsellable: tokens left for the sweep
    journal_failure: str = ""                       # a journal write failed: safety mode (no buys)
    unjournaled_mints: tuple = ()                   # positions that traded past a failed write
    pnl_usdc: int = 0                               # raw USDC units from USDC-paired coins (apart from SOL)
    exit_to_sell_histogram: Any = None              # exit signal to sell sent, every position sell
    landing_slots: dict = field(default_factory=dict)   # buys by slots after their create (10 = 10+)
    copy: dict = field(default_factory=dict)        # per copy target: copied, skips by reason, PnL
    rent_reclaimed: int = 0   # lamports back from closing empty token accounts (in pnl_lamports, no target's)
    cashback_lamports: int = 0   # cashback claimed, net of the claims' fees (in pnl_lamports)
    cashback_usdc: int = 0       # USDC cashback claimed, raw units (in pnl_usdc)


@dataclass(frozen=True)
class StatusFailed:
    """Director -> requester: the status could not be produced."""
    request_id: str
    reason: str


@dataclass(frozen=True)
class SetBuying:
    """run.py -> Director: pause (False) or resume (True) new buys; open positions keep running."""
    request_id: str
    enabled: bool


@dataclass(frozen=True)
class CloseAllPositions:
    """run.py -> Director: stop buying and sell every open position now (before a shutdown)."""
    request_id: str


@dataclass(frozen=True)
class ClosingAll:
    """Director -> requester: buying stopped; `open_positions` are selling (poll Status until 0)."""
    request_id: str
    open_positions: int


@dataclass(frozen=True)
class ChildPidsRequest:
    """test/ops -> Director: process ids of live children, by name (used by fault-injection tests)."""
    request_id: str


@dataclass(frozen=True)
class ChildPids:
    """Director -> requester: name -> pid."""
    request_id: str
    pids: dict


@dataclass(frozen=True)
class PidRequest:
    """Director -> any child: report your os.getpid()."""
    request_id: str


@dataclass(frozen=True)
class PidReply:
    """child -> Director: its pid."""
    request_id: str
    pid: int


@dataclass(frozen=True)
class LedgerSnapshot:
    """Director -> Root: a copy of the Director's ledger, kept for a restarted Director."""
    ledger: object


@dataclass(frozen=True)
class DirectorGone:
    """Root -> requester: the Director died more often than the restart limit allows; the run must stop."""
    request_id: str
    reason: str
