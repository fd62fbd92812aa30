"""A position and its orders as explicit state machines, free of thespian and I/O (unit-testable).

Order:    SENT -> CONFIRMED | FAILED | EXPIRED (blockhash ran out and it never landed)
Position: pending -> active -> closing -> closed      (pending -> closing: pre-confirmation sell)
                  \\-> failed  (the buy never landed; any sell sent before that failed with it)
Every transition is logged with its cause and timing. decide() is the whole lifecycle policy.
"""
from __future__ import annotations

import base64
import dataclasses
import time
from dataclasses import dataclass, field

from loguru import logger

from messages.stream import Launch

SENT, CONFIRMED, FAILED, EXPIRED = 'SENT', 'CONFIRMED', 'FAILED', 'EXPIRED'
ORDER_STATES = (SENT, CONFIRMED, FAILED, EXPIRED)
PENDING, ACTIVE, CLOSING, CLOSED, POSITION_FAILED = 'pending', 'active', 'closing', 'closed', 'failed'
MOVES = {PENDING: (ACTIVE, CLOSING, POSITION_FAILED), ACTIVE: (CLOSING,),
         CLOSING: (CLOSED, POSITION_FAILED), CLOSED: (), POSITION_FAILED: ()}
ADD_BUY = 'add_buy'                 # a copy target bought more: ours too, into the open position
# decide() answers
WAIT, SELL, CLOSE_SOLD, CLOSE_FAILED = 'wait', 'sell', 'close_sold', 'close_failed'


@dataclass
class Order:
    kind: str                       # 'buy' | 'sell' | 'add_buy' | 'close' (actors/account_close.py)
    signature: str
    amount: int                     # tokens fixed in the instruction (buy: expected; sell: offered)
    last_valid_block_height: int
    sent_at: float
    state: str = SENT
    settled_at: float = 0.0
    lamport_delta: int = 0          # the wallet's exact change (fees and rent included)
    token_delta: int = 0
    error: str = ''
    before_buy_confirmed: bool = False   # a sell sent while the buy was still SENT
    usdc_delta: int = 0             # raw USDC moved (a USDC-paired coin's trade)
    partial: bool = False           # sold a part and left the position open (copy trading)
    raw: str = ''                   # its signed bytes (base64) while SENT: a restarted position
                                    # rebroadcasts them until it lands or its blockhash expires
    budget_lamports: int = 0        # an ADD_BUY's copy budget (what it counts against the target's max total)
    route: str = ''                 # a sell's route: 'native' or 'jupiter' (actors/sell_ladder.py)

    def settle(self, state: str, cause: str, lamport_delta: int = 0, token_delta: int = 0, usdc_delta: int = 0) -> None:
        if state not in (CONFIRMED, FAILED, EXPIRED):
            raise ValueError(f'an order settles as CONFIRMED, FAILED or EXPIRED, not {state!r}')
        if self.state != SENT:
            raise ValueError(f'{self.kind} {self.signature[:8]} already {self.state}')
        self.settled_at = time.time()
        logger.info('order {} {}: SENT -> {} ({}) after {:.1f} ms', self.kind, self.signature[:12],
                    state, cause or 'ok', (self.settled_at - self.sent_at) * 1000)
        self.state, self.lamport_delta, self.token_delta = state, lamport_delta, token_delta
        self.raw = ''   # settled: never sent again, and closed rows stay small
        self.usdc_delta = usdc_delta
        self.error = '' if state == CONFIRMED else cause

    @property
    def signed_bytes(self) -> bytes | None:
        return base64.b64decode(self.raw) if self.raw else None

    @classmethod
    def from_dict(cls, data: dict) -> 'Order':
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class Position:
    position_id: str
    launch: Launch
    state: str = PENDING
    expected_tokens: int = 0
    bought_tokens: int = 0
    sold_tokens: int = 0
    pnl_lamports: int = 0
    pnl_usdc: int = 0               # a USDC-paired coin's: raw USDC, apart from the lamports
    exit_reason: str = ''
    exit_at: float = 0.0
    outcome: str = ''
    opened_at: float = field(default_factory=time.time)
    buy_order: Order | None = None
    sell_orders: list = field(default_factory=list)
    add_buys: list = field(default_factory=list)   # repeat buys into the open position (copy trading)
    wallet: str = ''                # owner pubkey and chain genesis: a restart resumes only its own
    genesis_hash: str = ''
    moved_at: float = field(default_factory=time.time)   # last transition (not journaled)

    @property
    def mint(self) -> str:
        return self.launch.mint

    @property
    def is_open(self) -> bool:
        return self.state in (PENDING, ACTIVE, CLOSING)

    @property
    def cost_lamports(self) -> int:
        """What the buy (and any repeat buy) took from the wallet once landed (fees and rent included)."""
        return -sum(o.lamport_delta for o in [self.buy_order, *self.add_buys] if o and o.state == CONFIRMED)

    def move(self, new_state: str, cause: str) -> None:
        if new_state not in MOVES.get(self.state, ()):
            raise ValueError(f'position {self.mint}: {self.state} -> {new_state} is not allowed')
        now = time.time()
        logger.info('position {}: {} -> {} ({}) after {:.1f} ms, {:.1f} ms since open', self.mint,
                    self.state, new_state, cause, (now - self.moved_at) * 1000,
                    (now - self.opened_at) * 1000)
        self.state, self.moved_at = new_state, now

    @property
    def cost_usdc(self) -> int:
        """What a USDC-paired coin's buy (and any repeat buy) took in raw USDC once landed (0 for a
        SOL-paired coin)."""
        return -sum(o.usdc_delta for o in [self.buy_order, *self.add_buys] if o and o.state == CONFIRMED)

    def settle(self, order: Order, state: str, cause: str, lamport_delta: int, token_delta: int,
               usdc_delta: int = 0) -> None:
        """Record an order's outcome and what it did to the position's books."""
        order.settle(state, cause, lamport_delta, token_delta, usdc_delta)
        self.pnl_lamports += lamport_delta
        self.pnl_usdc += usdc_delta
        if state == CONFIRMED and order.kind == 'buy':
            self.bought_tokens = token_delta
        elif state == CONFIRMED and order.kind == ADD_BUY:
            self.bought_tokens += token_delta
        elif state == CONFIRMED and order.kind == 'sell':
            self.sold_tokens += -token_delta

    def orders(self) -> list[Order]:
        return ([self.buy_order] if self.buy_order else []) + self.sell_orders + self.add_buys

    def in_flight(self) -> list[Order]:
        return [o for o in self.orders() if o.state == SENT]

    # ---- the journal row ---------------------------------------------------------------------
    def to_row(self) -> dict:
        return {'position_id': self.position_id, 'mint': self.mint, 'state': self.state,
                'launch': journal_launch(self.launch), 'expected_tokens': self.expected_tokens,
                'bought_tokens': self.bought_tokens, 'sold_tokens': self.sold_tokens,
                'pnl_lamports': self.pnl_lamports, 'exit_reason': self.exit_reason,
                'exit_at': self.exit_at, 'outcome': self.outcome, 'opened_at': self.opened_at,
                'updated_at': time.time(),
                'buy_order': dataclasses.asdict(self.buy_order) if self.buy_order else None,
                # repeat buys ride in the sell_orders column (no schema change), told apart by kind
                'sell_orders': [dataclasses.asdict(o) for o in self.sell_orders + self.add_buys],
                'wallet': self.wallet, 'genesis_hash': self.genesis_hash}

    @classmethod
    def from_row(cls, row: dict) -> 'Position':
        buy = row.get('buy_order')
        return cls(position_id=row['position_id'], launch=Launch(**row['launch']), state=row['state'],
                   expected_tokens=row['expected_tokens'], bought_tokens=row['bought_tokens'],
                   sold_tokens=row['sold_tokens'], pnl_lamports=row['pnl_lamports'],
                   pnl_usdc=sum((order or {}).get('usdc_delta', 0)
                                for order in [buy, *(row.get('sell_orders') or [])]),
                   exit_reason=row['exit_reason'], exit_at=row.get('exit_at') or 0.0,
                   outcome=row['outcome'], opened_at=row['opened_at'],
                   buy_order=Order.from_dict(buy) if buy else None,
                   sell_orders=[Order.from_dict(o) for o in row.get('sell_orders') or [] if o['kind'] != ADD_BUY],
                   add_buys=[Order.from_dict(o) for o in row.get('sell_orders') or [] if o['kind'] == ADD_BUY],
                   wallet=row.get('wallet') or '', genesis_hash=row.get('genesis_hash') or '')


def decide(position: Position, exit_wanted: bool, presell: bool = True) -> tuple[str, str]:
    """The next step: (WAIT | SELL | CLOSE_SOLD | CLOSE_FAILED, why). SELL's amount: sell_amount()."""
    buy = position.buy_order
    if not position.is_open:
        return WAIT, 'already ' + position.state
    if buy is None:
        return WAIT, 'buy not sent yet'
    if any(o.state == SENT for o in position.sell_orders):
        return WAIT, 'sell in flight'
    if any(o.state == SENT for o in position.add_buys):   # its tokens are sold with the rest once landed
        return WAIT, 'repeat buy in flight'
    if buy.state in (FAILED, EXPIRED):
        if position.sell_orders:
            return CLOSE_FAILED, f'buy {buy.state.lower()} after a sell was sent'
        return CLOSE_FAILED, f'buy {buy.state.lower()} before any sell'
    if buy.state == SENT:
        if exit_wanted and presell and not position.sell_orders:
            return SELL, 'exit before the buy confirmed'
        return WAIT, 'buy in flight'
    if position.sold_tokens >= position.bought_tokens:
        return CLOSE_SOLD, 'every token sold'
    full_sells = [o for o in position.sell_orders if not o.partial]   # a partial sell is no exit
    if exit_wanted or full_sells:
        return SELL, 'sell again after a failed sell' if full_sells else 'exit'
    return WAIT, 'holding'


def sell_amount(position: Position) -> int:
    """Before the buy confirms: the amount its instruction fixes; after: what is still held."""
    if position.buy_order is not None and position.buy_order.state == CONFIRMED:
        return position.bought_tokens - position.sold_tokens
    return position.expected_tokens


def presell_outcome(position: Position) -> str:
    """For a closed position whose first sell went out before the buy confirmed: which case it was."""
    first = position.sell_orders[0] if position.sell_orders else None
    if first is None or not first.before_buy_confirmed:
        return ''
    if position.buy_order is None or position.buy_order.state != CONFIRMED:
        return 'presell_buy_failed'         # the buy failed after the sell went out: both failed
    if first.state == CONFIRMED:
        return 'presell_both_landed'
    return 'presell_retried'                # the sell ran before the buy landed: sold again after


def journal_launch(launch: Launch) -> dict:
    """The launch as a journal row holds it: without the pool state a copy was priced from (a
    live snapshot, not JSON)."""
    return dataclasses.asdict(dataclasses.replace(launch, pool_state=None))
