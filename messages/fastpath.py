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


@dataclass(frozen=True)
class ArmedSpares:
    """Director -> StreamActor: the whole set of armed spares it may open positions on,
    ((spare_id, address), ...); each is used once, and a new set replaces the old."""
    spares: tuple


@dataclass(frozen=True)
class FastOpened:
    """StreamActor -> Director: what the stream decided in fast mode, per launch:
    (decision: AnalysisDecision, spare_id or "", spare address or None, position request id or "")."""
    entries: tuple


@dataclass(frozen=True)
class FastPositionOpened:
    """Armed spare -> Director, before anything else it reports: it now holds `launch`'s position
    (sent by the position itself, so the Director hears of it before its TxSent or PositionClosed)."""
    request_id: str
    launch: Any
    spare_id: str
