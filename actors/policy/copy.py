"""Copy trading policy: what a followed wallet's trade makes us do. Pure (no thespian, no I/O), like
actors/position_model.py; the Director holds one CopyDesk and carries out its answers.

Their buy -> our buy of their SOL x ratio, cut to max_lamports, skipped under min_lamports or past
max_total_lamports open for that target, when the price rose more than max_price_move_bps since
their trade, or when the coin is older than max_coin_age_seconds. Their sell of a part of their
holding -> our sell of the same part of ours; their last tokens -> our full exit. Their buy of a
coin we copied from them and still hold -> a repeat buy into that position, sized and limited the
same way (max_total_lamports counts every buy still open; a USDC-paired coin's are raw USDC, each
at most trading.usdc_buy_amount, outside the lamport limits). Only the target whose buy opened our
position is followed in and out of it. Money is integer lamports and raw token units.
"""
from __future__ import annotations

import collections
from dataclasses import dataclass, field, replace

from adapters.stats import BoundedDict
from actors.position_model import ADD_BUY
from config.copy_settings import CopyTarget
from messages.copy import UNKNOWN, TargetTrade
from messages.stream import SOL_QUOTE_MINT, Launch

BPS = 10_000
COPY_EXIT_PREFIX = 'copy:'   # the exit reason the Director gives a copy's position (director_copy.py)
MAX_REMEMBERED = 8_192     # duplicate signatures, tracked holdings, exits: bounded for long runs

# skip reasons (summary keys, per target)
BELOW_MIN = 'below min_lamports'
TOTAL_REACHED = 'max_total_lamports reached'
PRICE_MOVED = 'price moved'
COIN_TOO_OLD = 'coin too old'
COIN_AGE_UNKNOWN = 'coin age unknown'
ALREADY_HELD = 'already held'
EXITED_FIRST = 'target sold first (out of order)'
EXITS_IN_BATCH = 'target sold all in the same moment'
TOKEN_PROGRAM_UNKNOWN = 'token program unknown'
MISSED_RESUBSCRIBING = 'missed while the stream resubscribed'   # actors/copy_gaps.py
USDC_OFF = 'policy: usdc-paired'              # venue.policy_refusal's reason: trading.usdc_buy_amount = 0


@dataclass(frozen=True)
class Buy:
    lamports: int
    launch: Launch


@dataclass(frozen=True)
class AddBuy:
    """The target whose buy opened our position bought again: ours buys `lamports` more into it."""
    lamports: int
    launch: Launch


@dataclass(frozen=True)
class SellPart:
    sold: int       # their tokens sold ...
    before: int     # ... of what they held: we sell the same fraction of ours


@dataclass(frozen=True)
class Exit:
    pass


@dataclass(frozen=True)
class Skip:
    reason: str


@dataclass(frozen=True)
class Ignore:
    """Nothing to do and nothing to count (a duplicate; a sell of a coin we do not copy)."""
    why: str


def buy_lamports(target: CopyTarget, their_lamports: int, open_lamports: int) -> tuple[int, str]:
    """(our buy, '') or (0, skip reason): ratio, then the per-trade cap, the floor and the total."""
    lamports = their_lamports * target.ratio_bps // BPS
    if target.max_lamports:
        lamports = min(lamports, target.max_lamports)
    if lamports <= 0 or lamports < target.min_lamports:
        return 0, BELOW_MIN
    if target.max_total_lamports and open_lamports + lamports > target.max_total_lamports:
        return 0, TOTAL_REACHED
    return lamports, ''


def price_move_bps(trade: TargetTrade) -> int:
    """How far the curve's marginal price rose from just after their trade to the newest state seen
    (negative: it fell). Price = virtual SOL / virtual tokens, compared by cross-multiplying."""
    their = trade.virtual_sol_reserves * trade.latest_virtual_token_reserves
    now = trade.latest_virtual_sol_reserves * trade.virtual_token_reserves
    if their <= 0:
        return 0
    return (now - their) * BPS // their


def coin_age_refusal(target: CopyTarget, trade: TargetTrade, now: float) -> str:
    if not target.max_coin_age_seconds:
        return ''
    if not trade.coin_created_at:
        return COIN_AGE_UNKNOWN
    return COIN_TOO_OLD if now - trade.coin_created_at > target.max_coin_age_seconds else ''


def copy_target_of(launch: Launch) -> str:
    """The target a position copies ('' for a sniped coin)."""
    return launch.copy_target or (launch.user if not launch.name else '')


def launch_of(trade: TargetTrade) -> Launch:
    """The Launch a copied position trades: the coin as their trade shows it, priced at the newest
    curve state seen (real token reserves move by the same amount as virtual ones on a trade)."""
    virtual_tokens = trade.latest_virtual_token_reserves or trade.virtual_token_reserves
    real_tokens = trade.real_token_reserves - (trade.virtual_token_reserves - virtual_tokens)
    return Launch(mint=trade.mint, bonding_curve=trade.bonding_curve, creator=trade.creator,
                  user=trade.target, name='', symbol='', uri='', token_program=trade.token_program,
                  virtual_token_reserves=virtual_tokens,
                  virtual_sol_reserves=trade.latest_virtual_sol_reserves or trade.virtual_sol_reserves,
                  real_token_reserves=max(real_tokens, 0), signature=trade.signature, slot=trade.slot,
                  received_at=trade.received_at, quote_mint=trade.quote_mint,
                  is_mayhem_mode=trade.is_mayhem_mode, is_cashback_coin=trade.is_cashback_coin,
                  venue=trade.venue,   # a pool buy is bought on the pool (actors/pool_buy.py)
                  pool_state=trade.pool_state,
                  copy_target=trade.target)


@dataclass
class TargetBook:
    """One target's counters for the summary."""
    copied_buys: int = 0
    copied_sells: int = 0
    skips: collections.Counter = field(default_factory=collections.Counter)
    closed: int = 0
    open_lamports: int = 0     # our buy budgets of its copies still open

    def as_dict(self, pnl_lamports: int = 0) -> dict:
        """pnl_lamports: the ledger's for this target (Ledger.copy_pnl), not counted here."""
        return {'copied_buys': self.copied_buys, 'copied_sells': self.copied_sells,
                'skips': dict(self.skips), 'pnl_lamports': pnl_lamports, 'closed': self.closed,
                'open_lamports': self.open_lamports}


@dataclass
class Copy:
    target: str
    lamports: int


class CopyDesk:
    """The copy policy's memory: whose buy opened which of our positions, what each target holds,
    which signatures were seen. `decide` answers one trade; the Director reports back with
    `opened`, `refused` and `closed`."""

    def __init__(self, targets, follow_sells: bool = True, usdc_cap: int = 0):
        self.targets: dict[str, CopyTarget] = {t.wallet: t for t in targets}
        self.follow_sells = follow_sells
        self.usdc_cap = usdc_cap    # trading.usdc_buy_amount: most raw USDC one copy of a USDC coin spends
        self.books: dict[str, TargetBook] = {wallet: TargetBook() for wallet in self.targets}
        self.copies: dict[str, Copy] = {}                       # mint -> the copy we hold
        self.seen = BoundedDict(MAX_REMEMBERED)                 # trade keys already decided
        self.holdings = BoundedDict(MAX_REMEMBERED)             # (target, mint) -> tokens we saw them get
        self.exited = BoundedDict(MAX_REMEMBERED)               # (target, mint) -> slot of their full exit
        self.holding_slots = BoundedDict(MAX_REMEMBERED)        # (target, mint) -> slot of `holdings`

    def decide(self, trade: TargetTrade, now: float, why_not_buy=lambda launch: '',
               why_not_add=lambda launch: ''):
        """Buy | AddBuy | SellPart | Exit | Skip | Ignore for one trade. why_not_buy(launch) is the
        Director's own gate (limits, pause, breaker, coin-kind policy): '' lets the buy through;
        why_not_add(launch) the same for a repeat buy into a position already open."""
        key = (trade.signature, trade.target, trade.mint, trade.is_buy, trade.token_amount)
        if key in self.seen or trade.target not in self.targets:
            return Ignore('duplicate' if key in self.seen else 'not a target')
        self.seen[key] = True
        held_key = (trade.target, trade.mint)
        before = self._holding_before(trade)
        after = trade.holding_after if trade.holding_after != UNKNOWN else (
            before + trade.token_amount if trade.is_buy else max(before - trade.token_amount, 0))
        self.holdings[held_key] = after
        self.holding_slots[held_key] = max(trade.slot, self.holding_slots.get(held_key, 0))
        if trade.is_buy:
            return self._on_buy(trade, now, why_not_buy, why_not_add)
        if after <= 0:
            self.exited[held_key] = trade.slot
        return self._follow_sell(trade.target, trade.mint, before, after) \
            or Ignore('not copying this coin from this target')

    def decide_batch(self, trades, now: float, why_not_buy=lambda launch: '',
                     why_not_add=lambda launch: '') -> list:
        """(trade, decision) for a drained batch in stream order. A buy whose target sells all of
        that coin later in the same batch is skipped: copying it would only pay two fees."""
        exits_at = {}
        for index, trade in enumerate(trades):
            if not trade.is_buy and trade.holding_after == 0:
                exits_at[(trade.target, trade.mint)] = index
        decided = []
        for index, trade in enumerate(trades):
            exits_later = trade.is_buy and exits_at.get((trade.target, trade.mint), -1) > index
            gates = ((lambda launch: EXITS_IN_BATCH),) * 2 if exits_later else (why_not_buy, why_not_add)
            decided.append((trade, self.decide(trade, now, *gates)))
        return decided

    def missed(self, target: str, holdings) -> list:
        """(mint, Exit | SellPart) for our copies of `target` whose holding fell in trades of theirs
        our stream missed (TargetTradesMissed.holdings: (mint, balance after, slot)): their exit or
        sell, followed late rather than never. A balance from before a trade we saw is stale."""
        out = []
        for mint, after, slot in holdings:
            key = (target, mint)
            if target not in self.targets or self.holding_slots.get(key, -1) >= slot:
                continue
            before = self.holdings.get(key)
            self.holdings[key], self.holding_slots[key] = after, slot
            if after > 0 and (before is None or after >= before):
                continue   # no fall we can measure: a missed buy stays missed
            decision = self._follow_sell(target, mint, before or 0, after)
            if decision is not None:
                if after <= 0:
                    self.exited[key] = slot
                out.append((mint, decision))
        return out

    def _follow_sell(self, target: str, mint: str, before: int, after: int):
        """Exit | SellPart when we hold `mint` copied from `target` and follow sells, counted as a
        copied sell; None otherwise. Their holding fell from `before` (0: unknown) to `after`."""
        copy = self.copies.get(mint)
        if copy is None or copy.target != target or not self.follow_sells:
            return None
        self.books[target].copied_sells += 1
        if after <= 0 or before <= 0:
            return Exit()
        return SellPart(sold=before - after, before=before)

    def _holding_before(self, trade: TargetTrade) -> int:
        if trade.holding_before != UNKNOWN:
            return trade.holding_before
        return self.holdings.get((trade.target, trade.mint), 0)

    def _on_buy(self, trade: TargetTrade, now: float, why_not_buy, why_not_add):
        target, book = self.targets[trade.target], self.books[trade.target]
        held = self.copies.get(trade.mint)
        if held is not None and held.target != trade.target:   # another target's coin: theirs to follow
            return self._skip(book, ALREADY_HELD)
        exited_at = self.exited.get((trade.target, trade.mint))
        if exited_at is not None and trade.slot <= exited_at:
            return self._skip(book, EXITED_FIRST)
        if not trade.token_program:
            return self._skip(book, TOKEN_PROGRAM_UNKNOWN)
        why = coin_age_refusal(target, trade, now)
        if not why and target.max_price_move_bps and price_move_bps(trade) > target.max_price_move_bps:
            why = PRICE_MOVED
        lamports = 0
        if not why and trade.quote_mint != SOL_QUOTE_MINT:   # a USDC coin: raw USDC, not lamports
            lamports, why = self._usdc_amount(target, trade)
        elif not why:
            lamports, why = buy_lamports(target, trade.sol_amount, book.open_lamports)
        launch = launch_of(trade)
        if not why:
            why = (why_not_add if held is not None else why_not_buy)(launch)
        if why:
            return self._skip(book, why)
        return AddBuy(lamports, launch) if held is not None else Buy(lamports, replace(launch, copy_lamports=lamports))

    def _usdc_amount(self, target: CopyTarget, trade: TargetTrade) -> tuple[int, str]:
        """(raw USDC, '') for a copy of a USDC-paired coin's buy, first or repeat: their USDC x ratio,
        at most trading.usdc_buy_amount each; the lamport limits do not apply."""
        if self.usdc_cap <= 0:
            return 0, USDC_OFF
        amount = min(trade.sol_amount * target.ratio_bps // BPS, self.usdc_cap)
        return (amount, '') if amount > 0 else (0, BELOW_MIN)

    @staticmethod
    def _skip(book: TargetBook, reason: str) -> Skip:
        book.skips[reason] += 1
        return Skip(reason)

    # ---- what the Director reports back ------------------------------------------------------------
    def opened(self, trade: TargetTrade, lamports: int) -> None:
        if trade.quote_mint != SOL_QUOTE_MINT:   # raw USDC: not counted against max_total_lamports
            lamports = 0
        self.copies[trade.mint] = Copy(trade.target, lamports)
        book = self.books[trade.target]
        book.copied_buys += 1
        book.open_lamports += lamports

    def added(self, trade: TargetTrade, lamports: int) -> None:
        """A repeat buy went to the position: it counts against the target's max total (raw USDC
        of a USDC coin's does not)."""
        if trade.quote_mint != SOL_QUOTE_MINT:
            lamports = 0
        self.copies[trade.mint].lamports += lamports
        book = self.books[trade.target]
        book.copied_buys += 1
        book.open_lamports += lamports

    def adopt(self, launch: Launch, lamports: int | None = None) -> bool:
        """A copy resumed from the journal: keep following its target, its budget counted (`lamports`:
        with its repeat buys). Copies are the rows whose Launch names a copy_target (launch_of); rows
        from before that field: a target as its user and no name."""
        target = copy_target_of(launch)
        if target not in self.targets or launch.mint in self.copies:
            return False
        budget = launch.copy_lamports if lamports is None else lamports
        self.copies[launch.mint] = Copy(target, budget)
        self.books[target].open_lamports += budget
        return True

    def rebuild(self, rows: list, run_started_at: float) -> None:
        """The books from this run's journal rows (a restarted Director): copied buys (a row, and each
        repeat buy in it) of rows opened in this run; copied sells (partial sell orders, an exit the
        target asked for); closures of closed rows; open rows are adopted with their budget.
        Skips and PnL are the ledger's (Ledger.copy_skips, copy_pnl): they come back with it."""
        for row in rows:
            launch = Launch(**row['launch'])
            target = copy_target_of(launch)
            if target not in self.books:
                continue
            book, orders = self.books[target], row.get('sell_orders') or []
            adds = [o for o in orders if o['kind'] == ADD_BUY]
            if row['opened_at'] >= run_started_at:
                book.copied_buys += 1 + len(adds)
            book.copied_sells += sum(1 for o in orders if o['kind'] == 'sell' and o.get('partial'))
            book.copied_sells += (row.get('exit_reason') or '').startswith(COPY_EXIT_PREFIX)
            if row['state'] in ('closed', 'failed'):
                book.closed += 1
            else:
                self.adopt(launch, launch.copy_lamports + sum(o.get('budget_lamports', 0) for o in adds
                                                              if o['state'] in ('SENT', 'CONFIRMED')))

    def closed(self, mint: str) -> None:
        copy = self.copies.pop(mint, None)
        if copy is None:
            return
        book = self.books[copy.target]
        book.open_lamports -= copy.lamports
        book.closed += 1

    def report(self, pnl_by_target=None) -> dict:
        """pnl_by_target: the ledger's per-target PnL (Ledger.copy_pnl)."""
        pnl_by_target = pnl_by_target or {}
        return {wallet: book.as_dict(pnl_by_target.get(wallet, 0)) for wallet, book in self.books.items()}
