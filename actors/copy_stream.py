"""What the StreamActor adds for copy trading: the target wallets' subscription filter, their trades
as TargetTrade messages (from the TradeEvent every pump.fun buy and sell writes, whatever the
instruction generation or token program), and the per-drain facts a copy is judged on (the newest
curve state of the mint, when the coin was launched). Runs on the stream's loop and thread; pure."""
from __future__ import annotations

from dataclasses import replace

from actors.copy_pool_state import reserves_after
from adapters.pumpfun.addresses import WSOL_MINT, bonding_curve
from adapters.pumpfun.layout_v1 import ZERO_KEY, TradeEvent
from adapters.pumpswap.events import swap_events_from_logs
from adapters.stats import BoundedDict
from messages.copy import UNKNOWN, TargetTrade

MAX_LAUNCH_TIMES = 16_384        # mint -> when its launch was seen (coin age), oldest forgotten


def copy_targets(settings) -> frozenset[str]:
    """The wallets to follow; empty unless trading.mode is 'copy' or 'both'."""
    if settings.trading.mode not in ('copy', 'both'):
        return frozenset()
    return frozenset(target.wallet for target in settings.copy.targets)


def transaction_filters(targets: frozenset[str]) -> dict:
    """Yellowstone transaction filters added beside the pump.fun program's: any successful
    transaction naming a target (their PumpSwap trades too; pump.fun ones also match 'pump')."""
    if not targets:
        return {}
    return {"copy": {"account_include": sorted(targets), "failed": False, "vote": False}}


def token_balances(meta) -> dict:
    """(owner, mint) -> [pre, post, token program] from a transaction meta's token balances (raw
    units, summed over the owner's accounts of that mint); {} when the meta has none."""
    found: dict = {}
    for side, entries in ((0, meta.pre_token_balances), (1, meta.post_token_balances)):
        for entry in entries:
            row = found.setdefault((entry.owner, entry.mint), [0, 0, entry.program_id])
            row[side] += int(entry.ui_token_amount.amount or 0)
    return found


def target_trades(events, targets: frozenset[str], signature: str, slot: int, received_at: float,
                  balances: dict | None = None) -> list:
    """A TargetTrade for each TradeEvent of a target in one transaction. Without `balances` (the
    logs source) holdings and the token program are UNKNOWN / ''."""
    out = []
    ours = [e for e in events if isinstance(e, TradeEvent) and str(e.user) in targets]
    running: dict = {}   # (user, mint) -> holding before the next event of this transaction
    for index, event in enumerate(ours):
        user, mint = str(event.user), str(event.mint)
        first_pre, last_post, program = (balances or {}).get((user, mint), (UNKNOWN, UNKNOWN, ''))
        if balances and (user, mint) not in balances:   # no token account either side: none held
            first_pre = last_post = 0
        # the meta's balances span the whole transaction: a buy and a sell in one are stepped through
        pre = running.get((user, mint), first_pre)
        last = not any((str(e.user), str(e.mint)) == (user, mint) for e in ours[index + 1:])
        if last or pre == UNKNOWN:
            post = last_post
        else:
            post = pre + event.token_amount if event.is_buy else max(pre - event.token_amount, 0)
        running[(user, mint)] = post
        out.append(TargetTrade(
            target=user, mint=mint, is_buy=event.is_buy, sol_amount=event.sol_amount,
            token_amount=event.token_amount, holding_before=pre, holding_after=post,
            token_program=program, bonding_curve=str(bonding_curve(event.mint)),
            creator=str(event.creator), virtual_sol_reserves=event.virtual_sol_reserves,
            virtual_token_reserves=event.virtual_token_reserves,
            real_token_reserves=event.real_token_reserves, signature=signature, slot=slot,
            received_at=received_at, is_mayhem_mode=event.mayhem_mode,
            is_cashback_coin=event.cashback_fee_basis_points > 0,
            **({"quote_mint": str(event.quote_mint)} if _token_paired(event) else {})))
    return out


def token_account_mints(meta, account_keys) -> dict:
    """token account address -> its mint, from a transaction meta's token balances (whose entries
    name their account by its index into the transaction's account keys)."""
    found = {}
    for entry in (*meta.pre_token_balances, *meta.post_token_balances):
        if entry.account_index < len(account_keys):
            found[str(account_keys[entry.account_index])] = entry.mint
    return found


def target_swaps(log_lines, targets: frozenset[str], signature: str, slot: int, received_at: float,
                 balances: dict, account_mints: dict | None = None) -> list:
    """A TargetTrade (venue 'pool') for each PumpSwap BuyEvent/SellEvent of a target: a graduated
    coin. The event names the pool and the target's base token account, whose mint the token
    balances give (`account_mints`), so a transaction swapping several coins is read per coin.
    Without that account's mint (no balances for it), only a transaction that changed exactly one
    of the target's coins can be read (that coin)."""
    swaps = [(event, _swap_mint(event, balances, account_mints or {}))
             for event in swap_events_from_logs(log_lines) if str(event.user) in targets]
    swaps = [(event, mint) for event, mint in swaps if mint]   # which coin is unknown: not followed
    out, running = [], {}   # (user, mint) -> holding before the next swap of it in this transaction
    for index, (event, mint) in enumerate(swaps):
        user = str(event.user)
        first_pre, last_post, program = balances.get((user, mint), (0, 0, ''))
        # the balances span the whole transaction: several swaps of one coin are stepped through
        pre = running.get((user, mint), first_pre)
        last = not any((str(e.user), m) == (user, mint) for e, m in swaps[index + 1:])
        post = last_post if last else (pre + event.base_amount if event.is_buy else max(pre - event.base_amount, 0))
        running[(user, mint)] = post
        after = reserves_after(event)   # the pool after their swap, as a curve trade's reserves are
        out.append(TargetTrade(
            target=user, mint=mint, is_buy=event.is_buy, sol_amount=event.user_quote_amount,
            token_amount=event.base_amount, holding_before=pre, holding_after=post,
            token_program=program, bonding_curve=str(event.pool), creator=str(event.coin_creator),
            virtual_sol_reserves=after.quote, virtual_token_reserves=after.base,
            real_token_reserves=after.base, signature=signature, slot=slot,
            received_at=received_at, venue="pool"))
    return out


def _swap_mint(event, balances: dict, account_mints: dict) -> str:
    """The coin of one swap: its base token account's mint; else the one coin of the target's the
    transaction changed; else ''."""
    mint = account_mints.get(str(event.user_base_token_account))
    if mint:
        return mint
    user = str(event.user)
    changed = [m for (owner, m), row in balances.items() if owner == user and m != str(WSOL_MINT) and row[0] != row[1]]
    return changed[0] if len(changed) == 1 else ''


def _token_paired(event: TradeEvent) -> bool:
    return event.quote_mint not in (ZERO_KEY, WSOL_MINT)


class CopyTracker:
    """The StreamActor's copy memory: launches seen (coin age; the token program, which the logs
    source cannot read from balances) and, per drain, the newest curve state of each mint, stamped
    onto the drained target trades."""

    def __init__(self):
        self.launches = BoundedDict(MAX_LAUNCH_TIMES)   # mint -> (seen at, token program, cashback)

    def on_launch(self, launch) -> None:
        # the create event says whether a coin is a cashback coin; a TradeEvent only hints it by
        # its cashback fee (0 on the local chain), and v3 refuses cashback coins
        self.launches[launch.mint] = (launch.received_at, launch.token_program, launch.is_cashback_coin)

    def stamp(self, trades: list, latest: dict) -> tuple:
        """`latest`: mint -> the last Trade of that mint in this drain (reserves after it)."""
        stamped = []
        for trade in trades:
            newest = latest.get(trade.mint)
            created_at, program, cashback = self.launches.get(trade.mint, (0.0, "", False))
            stamped.append(replace(
                trade, token_program=trade.token_program or program,
                is_cashback_coin=trade.is_cashback_coin or cashback,
                latest_virtual_sol_reserves=newest.virtual_sol_reserves if newest else trade.virtual_sol_reserves,
                latest_virtual_token_reserves=newest.virtual_token_reserves if newest else trade.virtual_token_reserves,
                coin_created_at=created_at))
        return tuple(stamped)
