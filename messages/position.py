"""Position conversation: Director opens a PositionActor per mint; it reports progress and closure."""
from dataclasses import dataclass

from messages.stream import Launch


@dataclass(frozen=True)
class OpenPosition:
    """Director -> PositionActor: buy `launch` and manage it until every token is sold."""
    request_id: str
    launch: Launch
    detected_at: float
    buy_lamports: int = 0    # a copy's budget (actors/policy/copy.py); 0 = trading.buy_lamports


@dataclass(frozen=True)
class RecoverPosition:
    """Director -> restarted PositionActor: resume position `request_id` from its journal row."""
    # orders still SENT are confirmed, never re-sent; `launch` serves if the row was never written
    request_id: str
    launch: Launch
    pending_signatures: tuple = ()


@dataclass(frozen=True)
class ExitNow:
    """Director -> PositionActor: sell as soon as tokens are held (shutdown, kill switch)."""
    reason: str
    cancel_unsent_buy: bool = False   # close-all: a buy not sent yet is never sent


@dataclass(frozen=True)
class TxSent:
    """Position/Seller -> Director: a tx of ours is about to reach the chain (signature known before send)."""
    mint: str
    signature: str
    kind: str            # "buy" | "sell"
    sent_at: float
    detected_at: float = 0.0


@dataclass(frozen=True)
class TxSettled:
    """Position/Seller/Wallet -> Director: the wallet's exact lamport change from one tx of ours."""
    mint: str
    signature: str
    kind: str
    lamport_delta: int   # post - pre of the wallet (fees and rent included); 0 if it never landed
    ok: bool             # meta.err is None
    token_delta: int = 0
    error: str = ""
    usdc_delta: int = 0  # raw USDC moved (a USDC-paired coin's trade), booked apart from lamports
    slots_after_create: int = -1   # a landed buy: its slot minus its coin's create slot (-1 unknown)
    slot: int = 0        # the slot it landed in (0 unknown or not landed)
    sent_at: float = 0.0   # given when re-told from the journal by a restarted position (0: first report)


@dataclass(frozen=True)
class PositionClosed:
    """PositionActor -> Director: done; `pnl_lamports` sums the wallet changes of this position's txs."""
    request_id: str
    mint: str
    outcome: str         # "sold" | "buy_failed" | "refused" | "nothing_held" | "unsellable"
    bought_tokens: int
    pnl_lamports: int
    exit_reason: str = ""
    detail: str = ""
    state: str = ""      # the journal's final state: "closed" | "failed"
    presell: str = ""    # pre-confirmation sell case: presell_both_landed | presell_retried | presell_buy_failed


@dataclass(frozen=True)
class PositionFailed:
    """PositionActor -> Director: the request could not be handled at all (bad message, no peers)."""
    request_id: str
    mint: str
    reason: str
