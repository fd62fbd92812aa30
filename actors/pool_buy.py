"""A buy on a graduated coin's canonical PumpSwap pool (copy trading: a target bought it there).

Priced from the pool state the stream passed with the target's trade (actors/copy_pool_state.py),
else from one RPC read of the pool. Exact base out from the pool's reserves for trading.buy_lamports (lp, protocol and coin-creator fees
included), max quote in = that cost + slippage. The quote is paid from a WSOL account that lives only
inside the transaction (the pool sell's seeded account, actors/pool_sell.py): funded with the max,
closed after the swap, so what the pool did not take comes back as SOL, the wallet's own WSOL
account is never touched, and the wallet's lamport change is the buy's whole cost. A PositionActor
holding such a coin sells it like any graduated coin: pool first (native rung), then Jupiter.
"""
from __future__ import annotations

from loguru import logger
from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer

from actors.copy_pool_state import stream_state
from actors.pool_sell import NoPoolRoute, fee_recipients, proceeds_instructions, read_pool
from actors.trading_io import BPS, PreparedTx
from adapters.pumpfun.instructions import build_create_ata_idempotent
from adapters.pumpswap import addresses as addr
from adapters.pumpswap import amm
from adapters.pumpswap.buy_v2 import build_buy
from adapters.pumpswap.wsol import SYNC_NATIVE

POOL_VENUE = "pool"


def pool_buy_quote(state, budget_lamports: int, slippage_bps: int) -> tuple[int, int]:
    """(base out, max quote in): the most base `budget_lamports` buys at the pool's reserves with
    every fee the program charges, and that cost plus slippage."""
    quote = amm.buy_base_for_quote(state.reserves, budget_lamports, *state.rates)
    return quote.base_amount, quote.user_quote_amount * (BPS + slippage_bps) // BPS


async def prepare_pool_buy(chain, launch) -> PreparedTx:
    """Buy `launch.mint` on its canonical pool for trading.buy_lamports."""
    trading = chain.settings.trading
    owner, mint_key = chain.owner, Pubkey.from_string(launch.mint)
    program = Pubkey.from_string(launch.token_program)
    state = stream_state(launch)   # the pool after the target's trade (actors/copy_pool_state.py)
    source = "stream"
    if state is None or state.keys.base_mint != mint_key:
        state, source = await read_pool(chain, mint_key, program), "rpc"
    try:
        base_out, max_quote_in = pool_buy_quote(state, trading.buy_lamports, trading.slippage_bps)
    except amm.PoolMathError as exc:
        raise NoPoolRoute(f"{launch.mint}: the pool cannot price a buy of {trading.buy_lamports}: {exc}") from exc
    protocol, buyback = fee_recipients(state, bytes(mint_key))
    account, open_ixs, close = proceeds_instructions(owner, launch.mint)
    fund = [transfer(TransferParams(from_pubkey=owner, to_pubkey=account, lamports=max_quote_in)),
            Instruction(addr.TOKEN_PROGRAM, bytes([SYNC_NATIVE]), [AccountMeta(account, False, True)])]
    buy = build_buy(owner, state.keys, protocol, buyback, base_out, max_quote_in, user_quote_token_account=account)
    recent = await chain.recent_blockhash()
    # debug: an info line here (before the send) cost the copy ~5 ms under load, the curve buy logs none
    logger.debug("pool buy of {} {} on {} (reserves {}/{} from the {}), max {} lamports", base_out, launch.mint,
                state.keys.pool, state.reserves.base, state.reserves.quote, source, max_quote_in)
    return chain._sign(chain._compute_budget() + open_ixs + fund
                       + [build_create_ata_idempotent(owner, owner, mint_key, program), buy, close],
                       recent, "buy", base_out)
