"""Graduated coins' pool state kept fresh from the stream, so a copied pool buy is priced without
an RPC read (actors/pool_buy.py).

A PumpSwap BuyEvent / SellEvent carries the pool's vault balances before the swap and what moved
(idl/pump_amm.json): a buy puts quote_amount_in_with_lp_fee into the quote vault and takes
base_amount_out from the base vault; a sell takes quote_amount_out_without_lp_fee from the quote
vault (the user's part and the protocol and creator fees leave it, the lp fee stays) and puts
base_amount_in into the base vault. So the event gives the reserves after the swap exactly.

What the event does not carry (the Pool account, GlobalConfig, the Fee Program's FeeConfig and the
mint's supply, which with the reserves set the fee tier) changes rarely: the StreamActor reads it
once per coin a target trades on a pool (one getMultipleAccounts, actors/pool_sell.read_pool, on the
stream's loop, after the trade is passed on) and keeps it FACTS_MAX_AGE_SECONDS. A target's pool
trade of a coin whose facts are held goes to the Director with a PoolState at the reserves after
their trade (the newest of that pool in the drain); the copy is priced from it with the exact
integer pool math and fee tiers (adapters/pumpswap/amm.py, fees.py). A trade with no facts yet,
or a state older than STATE_MAX_AGE_SECONDS when the buy is prepared, is priced from an RPC read."""
from __future__ import annotations

import dataclasses
import time

from loguru import logger
from solders.pubkey import Pubkey

from adapters.pumpswap import amm
from adapters.pumpswap.fees import FeeConfigError, pool_fee_rates
from adapters.stats import BoundedDict

FACTS_MAX_AGE_SECONDS = 60.0   # pool account, configs, supply: read again after this
STATE_MAX_AGE_SECONDS = 1.0    # a stream state older than this when our buy is prepared: read the pool
MAX_POOLS = 1_024              # coins whose facts are kept, oldest forgotten


def reserves_after(event) -> amm.Reserves:
    """The pool's reserves after one swap (adapters/pumpswap/events.SwapEvent)."""
    moved = event.quote_amount_with_lp_fee   # with the lp fee (buy) / without it (sell): the vault's change
    if event.is_buy:
        return amm.Reserves(event.pool_base_token_reserves - event.base_amount,
                            event.pool_quote_token_reserves + moved)
    return amm.Reserves(event.pool_base_token_reserves + event.base_amount,
                        event.pool_quote_token_reserves - moved)


def at_reserves(facts, reserves: amm.Reserves):
    """`facts` (a PoolState read earlier) at other reserves, with the fee rates those reserves
    give (the tier moves with the market cap); None when the rates cannot be computed."""
    try:
        rates = pool_fee_rates(facts.config, facts.pool, facts.fee_config, reserves, facts.supply)
    except (FeeConfigError, ZeroDivisionError):
        return None
    return dataclasses.replace(facts, reserves=reserves, rates=rates)


def stream_state(launch, now: float | None = None):
    """The PoolState a copied pool buy can be priced from without a read, or None (missing, stale)."""
    state = getattr(launch, "pool_state", None)
    if state is None:
        return None
    age = (time.time() if now is None else now) - launch.received_at
    return state if age <= STATE_MAX_AGE_SECONDS else None


async def read_facts(settings, wanted: list[tuple[str, str]]) -> dict:
    """mint -> PoolState read now, for each (mint, token program); unreadable ones left out."""
    from actors.pool_sell import NoPoolRoute, read_pool
    from adapters.solana_rpc import RpcClient
    reader = _Reader(RpcClient.from_settings(settings))
    found = {}
    try:
        for mint, program in wanted:
            try:
                found[mint] = await read_pool(reader, Pubkey.from_string(mint), Pubkey.from_string(program))
            except NoPoolRoute as exc:
                logger.info("stream: no pool state for {}: {}", mint, exc)
    finally:
        await reader.rpc.close()
    return found


@dataclasses.dataclass
class _Reader:
    rpc: object   # what read_pool asks of a chain: its .rpc


class PoolStateStamping:
    """Mixin of StreamActor: pool_states_stamp(trades) before a TargetTradeBatch goes out."""
    pool_facts: BoundedDict | None = None   # mint -> (PoolState, read at monotonic)
    pool_facts_reading: frozenset = frozenset()

    def pool_states_stamp(self, trades: list) -> list:
        """`trades` with a pool_state on each pool trade whose facts are held, at the reserves
        after the newest swap of its pool among `trades`; a read of the facts started for the rest."""
        if self.pool_facts is None:
            self.pool_facts = BoundedDict(MAX_POOLS)
        newest = {trade.mint: amm.Reserves(trade.virtual_token_reserves, trade.virtual_sol_reserves)
                  for trade in trades if trade.venue == "pool"}
        now, out, wanted = time.monotonic(), [], {}
        for trade in trades:
            if trade.venue != "pool":
                out.append(trade)
                continue
            facts, read_at = self.pool_facts.get(trade.mint, (None, 0.0))
            state = at_reserves(facts, newest[trade.mint]) if facts is not None and now - read_at <= FACTS_MAX_AGE_SECONDS else None
            if state is None and trade.token_program and trade.mint not in self.pool_facts_reading:
                wanted[trade.mint] = trade.token_program
            out.append(dataclasses.replace(trade, pool_state=state) if state is not None else trade)
        if wanted:
            mints = frozenset(wanted)
            self.pool_facts_reading |= mints
            self.submit(read_facts(self.settings, list(wanted.items())),
                        lambda found, mints=mints: self._pool_facts_read(mints, found),
                        lambda exc, mints=mints: self._pool_facts_failed(mints, exc))
        return out

    def _pool_facts_read(self, mints: frozenset, found: dict) -> None:
        now = time.monotonic()
        for mint, facts in found.items():
            self.pool_facts[mint] = (facts, now)
        self.pool_facts_reading -= mints

    def _pool_facts_failed(self, mints: frozenset, exc: BaseException) -> None:
        self.pool_facts_reading -= mints
        logger.warning("stream: could not read pool state of {}: {!r}", ", ".join(sorted(mints)), exc)
