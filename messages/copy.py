"""Copy conversation: the StreamActor reports target wallets' pump.fun trades to the Director, which
copies them (actors/policy/copy.py) into PositionActors; a partial sell reaches a position as SellPart."""
from dataclasses import dataclass

from messages.stream import SOL_QUOTE_MINT

UNKNOWN = -1   # a holding the stream could not read (logs source: no token balances)


@dataclass(frozen=True)
class TargetTrade:
    """One pump.fun trade of a followed wallet, with what a copy needs to price and size it."""
    target: str
    mint: str
    is_buy: bool
    sol_amount: int
    token_amount: int
    holding_before: int          # the target's raw token balance before/after this tx, or UNKNOWN
    holding_after: int
    token_program: str           # '' when unknown
    bonding_curve: str
    creator: str
    virtual_sol_reserves: int    # the curve after their trade
    virtual_token_reserves: int
    real_token_reserves: int
    signature: str
    slot: int
    received_at: float           # time.time() when the stream received their transaction
    quote_mint: str = SOL_QUOTE_MINT
    is_mayhem_mode: bool = False
    is_cashback_coin: bool = False
    # filled by the StreamActor from the newest trade of the mint in the same drain (else = theirs)
    latest_virtual_sol_reserves: int = 0
    latest_virtual_token_reserves: int = 0
    coin_created_at: float = 0.0   # when the stream saw the coin's launch; 0 = not seen (age unknown)
    venue: str = "curve"           # "curve" (pump.fun) or "pool" (PumpSwap, after graduation)
    pool_state: object = None      # a pool trade: the pool (actors/pool_sell.PoolState) after it, when known


@dataclass(frozen=True)
class TargetTradeBatch:
    """StreamActor -> Director: every target trade drained in one wake-up, in stream order."""
    trades: tuple


@dataclass(frozen=True)
class SellPart:
    """Director -> PositionActor: sell `sold`/`before` of the tokens held, stay open (waits for the buy)."""
    # a target's partial sell; a part that is the whole holding is a full exit
    reason: str
    sold: int
    before: int


@dataclass(frozen=True)
class BuyMore:
    """Director -> PositionActor: the target bought again: buy `lamports` more (launch: newest price)."""
    reason: str
    lamports: int
    launch: object


@dataclass(frozen=True)
class TargetTradesMissed:
    """StreamActor -> Director: a target's trades that landed while no stream of ours was subscribed."""
    target: str
    signatures: tuple   # oldest first
    # (mint, their raw balance after the last missed trade of it, its slot): a copy to reconcile
    holdings: tuple = ()
