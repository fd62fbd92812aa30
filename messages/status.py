"""Status conversation: run.py (or a test) asks the Director for counters and the final summary."""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class StatusRequest:
    """run.py -> Director: current counters."""
    request_id: str


@dataclass(frozen=True)
class Status:
    """Director -> requester: counters; latencies_ms are detection-to-buy-sent, in order of buys."""
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
