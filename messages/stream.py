"""Stream conversation: StreamActor detects pump.fun launches/trades and forwards them in batches."""
from dataclasses import dataclass
from typing import Any

SOL_QUOTE_MINT = "So11111111111111111111111111111111111111112"   # WSOL: what trades of SOL-paired coins name


@dataclass(frozen=True)
class Launch:
    """A coin creation seen on the stream; curve reserves as the create event left them."""
    mint: str
    bonding_curve: str
    creator: str
    user: str
    name: str
    symbol: str
    uri: str
    token_program: str
    virtual_token_reserves: int
    virtual_sol_reserves: int
    real_token_reserves: int
    signature: str
    slot: int
    received_at: float   # time.time() when the StreamActor received the update
    # today's CreateEvent (create_v2); defaults so that journal rows written before them still load
    quote_mint: str = SOL_QUOTE_MINT      # WSOL for a SOL-paired coin, else the quote token (USDC)
    is_mayhem_mode: bool = False
    is_cashback_coin: bool = False
    venue: str = "curve"   # "pool": bought on its PumpSwap pool (a copied pool buy; bonding_curve = the pool)
    pool_state: object = None   # venue "pool": its state from the stream (actors/copy_pool_state.py), if known
    copy_target: str = ""  # copy trading: the wallet whose buy this position copies (journaled with the row)
    copy_lamports: int = 0  # ... and the budget of that copied buy

    @property
    def sol_paired(self) -> bool:
        return self.quote_mint == SOL_QUOTE_MINT


@dataclass(frozen=True)
class Trade:
    """A buy or sell on a bonding curve; reserves are the curve's state after the trade."""
    mint: str
    is_buy: bool
    sol_amount: int
    token_amount: int
    user: str
    virtual_sol_reserves: int
    virtual_token_reserves: int
    signature: str
    slot: int
    received_at: float
    curve_complete: bool = False   # this trade completed the curve (the coin graduates to PumpSwap)


@dataclass(frozen=True)
class LaunchBatch:
    """StreamActor -> AnalyzerPool/Director: every launch drained in one wake-up."""
    launches: tuple


@dataclass(frozen=True)
class TradeBatch:
    """StreamActor -> PositionActor: trades of the mint(s) that position watches, one per wake-up."""
    trades: tuple


@dataclass(frozen=True)
class WatchMint:
    """-> StreamActor: route trades of `mint` to `position` from now on."""
    mint: str
    position: Any


@dataclass(frozen=True)
class UnwatchMint:
    """-> StreamActor: stop routing trades of `mint`."""
    mint: str


@dataclass(frozen=True)
class StreamStatsRequest:
    """-> StreamActor: ask for its counters."""
    request_id: str


@dataclass(frozen=True)
class StreamStats:
    """StreamActor -> requester (and every few seconds -> Director): counters since start."""
    request_id: str
    updates: int
    launches: int
    trades: int
    malformed: int
    reconnects: int
    connected: bool
