"""Buys and sells of USDC-paired coins (pump-public-docs BUY.md / SELL.md / TRADE_V3.md with USDC as
the quote mint): the curve math is the SOL one in raw USDC units, paid from and to the wallet's
USDC account; SOL pays only the fees and rents. The legacy instructions carry no quote mint, so
`instruction_set = "legacy"` trades these coins through v2.

Building blocks for trading.usdc_buy_amount > 0: ChainAccess-level, exact (Settlement.usdc_delta).
"""
from __future__ import annotations

import dataclasses

from solders.pubkey import Pubkey
from spl.token.instructions import close_account
from spl.token.models import CloseAccountParams

from actors.sell_ladder import NATIVE
from actors.trading_io import BPS, CurveGraduated, PreparedTx, curve_from_launch
from adapters.pumpfun import addresses, curve, venue


def usdc_account(owner: Pubkey) -> Pubkey:
    return addresses.associated_token_address(owner, addresses.USDC_MINT)


def usdc_generation(kind: venue.CoinKind, instruction_set: str) -> str:
    generation = venue.generation_for(kind.is_cashback_coin, instruction_set)
    return "v2" if generation == "legacy" else generation


async def usdc_balance(chain) -> int:
    """The wallet's raw USDC (0 without a USDC account)."""
    return await chain.rpc.get_token_balance(usdc_account(chain.owner)) or 0


async def prepare_usdc_buy(chain, launch, spend: int) -> PreparedTx:
    """Buy for `spend` raw USDC (fees included) at the create event's curve, max cost + slippage."""
    if launch.quote_mint != str(addresses.USDC_MINT):
        raise ValueError(f"{launch.mint} is paired with {launch.quote_mint}, not USDC")
    trading = chain.settings.trading
    global_ = await chain.fee_rates()
    state = curve_from_launch(launch)
    kind = venue.CoinKind.of_launch(launch)
    tokens = curve.tokens_for_sol(state, global_, spend)
    max_cost = curve.buy_total_cost(state, global_, tokens) * (BPS + trading.slippage_bps) // BPS
    ixs = venue.buy_instructions(usdc_generation(kind, trading.instruction_set), chain.owner, kind, chain.fees,
                                 tokens, max_cost)
    recent = await chain.rpc.get_latest_blockhash()
    return chain._sign(chain._compute_budget() + ixs, recent, "buy", tokens)


async def prepare_usdc_sell(chain, mint: str, token_program: str, amount: int, state=None,
                            close_ata: bool = True, recent=None) -> PreparedTx:
    """Sell `amount` for USDC, min out from the live curve (`state`: read now when None) and
    slippage; closes the emptied account unless close_ata=False (a partial sell). `recent`: a
    blockhash the caller read with the curve (None: read one now)."""
    trading = chain.settings.trading
    global_ = await chain.fee_rates()
    state = state or await chain.curve_state(mint)
    if state.complete:
        raise CurveGraduated(f"{mint}: bonding curve complete (graduated)", state.quote_mint)
    if state.quote_mint != addresses.USDC_MINT:
        raise ValueError(f"{mint} is not paired with USDC")
    kind = venue.CoinKind.of_curve(mint, token_program, state)
    min_out = curve.sell_net_proceeds(state, global_, amount) * (BPS - trading.slippage_bps) // BPS
    program = Pubkey.from_string(token_program)
    ixs = [venue.sell_instruction(usdc_generation(kind, trading.instruction_set), chain.owner, kind, chain.fees,
                                  amount, min_out)]
    if close_ata:
        ixs.append(close_account(CloseAccountParams(
            program_id=program, account=addresses.associated_token_address(chain.owner, kind.mint, program),
            dest=chain.owner, owner=chain.owner)))
    recent = recent or await chain.rpc.get_latest_blockhash()
    return dataclasses.replace(chain._sign(chain._compute_budget() + ixs, recent, "sell", amount), route=NATIVE)
