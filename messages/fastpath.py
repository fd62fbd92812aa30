"""Fast path conversation: the Director arms warm spare PositionActors (funds reserved ahead) and
hands them to the StreamActor, which opens a position on one the moment a launch passes the fast
checks: detection -> spare -> send is one actor hop (analysis.mode = "fast")."""
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ArmSpare:
    """Director -> spare PositionActor: reserve one buy's funds now and report SpareArmed."""
    spare_id: str


@dataclass(frozen=True)
class DisarmSpare:
    """Director -> armed spare: release the reservation and wait as a plain spare (ignored once used)."""
    spare_id: str


@dataclass(frozen=True)
class SpareArmed:
    """Spare -> Director: armed (`ok`), or not with the wallet's reason."""
    spare_id: str
    ok: bool
    reason: str = ""
    lane: str = ""   # where the stream can reach it directly (actors/spare_lane.py); "" = thespian only


@dataclass(frozen=True)
class ArmedSpares:
    """Director -> StreamActor: every armed spare it may use once, replacing the last set."""
    spares: tuple   # ((spare_id, address), ...)
    lanes: tuple = ()   # ((spare_id, lane path), ...) for the spares that have one


@dataclass(frozen=True)
class FastOpened:
    """StreamActor -> Director: the launches the stream decided in fast mode, one entry each."""
    entries: tuple   # ((AnalysisDecision, spare_id or "", spare address or None, position id or ""), ...)


@dataclass(frozen=True)
class FastPositionOpened:
    """Armed spare -> Director, before its TxSent or PositionClosed: it holds this position now."""
    request_id: str
    launch: Any
    spare_id: str


@dataclass(frozen=True)
class VerifyAfterBuy:
    """Director -> fast-mode position: have `verifier` (a full-mode pool) check your coin; sell on a no."""
    verifier: Any
    settings: Any
