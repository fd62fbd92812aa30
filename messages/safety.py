"""Safety conversation: an actor tells the Director that the bot can no longer trade safely."""
from dataclasses import dataclass


@dataclass(frozen=True)
class JournalFailed:
    """PositionActor -> Director: a journal write failed; this position goes on from memory
    (it sells, it never buys) and the Director stops every new buy for the rest of the run."""
    position_id: str
    mint: str
    reason: str
