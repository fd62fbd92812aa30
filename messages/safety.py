"""Safety conversation: an actor tells the Director that the bot can no longer trade safely."""
from dataclasses import dataclass


@dataclass(frozen=True)
class JournalFailed:
    """PositionActor -> Director: a journal write failed: no new buys; this position sells from memory."""
    position_id: str
    mint: str
    reason: str
