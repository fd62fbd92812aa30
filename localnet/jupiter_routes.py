"""Routing for the local Jupiter API: quote a quote<->coin swap (SOL for SOL-paired coins, USDC for
USDC-paired ones) on the coin's live pump.fun curve or, once it graduated, on its PumpSwap pool, and
build the instructions that execute a quote. Exact integer amounts (adapters' curve and pool math);
reserves read from the chain's accounts."""
from __future__ import annotations

from dataclasses import dataclass

from solders.instruction import Instruction
from solders.pubkey import Pubkey
from solders.token.state import Mint

from adapters.pumpfun import addresses as pump
from adapters.pumpfun import curve as curve_math
from adapters.pumpfun import instructions as pump_ix
from adapters.pumpfun import instructions_v2 as pump_v2
from adapters.pumpfun.borsh import LayoutError
from adapters.pumpfun.layout_v1 import BONDING_CURVE, GLOBAL, BondingCurve
from adapters.pumpswap import addresses as swap_addr
from adapters.pumpswap import amm
from adapters.pumpswap.buy_v2 import build_buy as build_pool_buy
from adapters.pumpswap.fees import FeeConfigError, decode_fee_config, pool_fee_rates
from adapters.pumpswap.instructions_v2 import PoolKeys, build_sell as build_pool_sell, fee_recipients
from adapters.pumpswap.layout import GLOBAL_CONFIG, POOL, token_account_amount
from adapters.pumpswap.wsol import build_unwrap, build_wrap
from localnet.programs.usdc import USDC_MINT

SOL_MINT = pump.WSOL_MINT
QUOTE_MINTS = (SOL_MINT, USDC_MINT)     # what a coin's curve or pool is paired with
CURVE_LABEL = "Pump.fun"
POOL_LABEL = "Pump.fun Amm"
EXACT_IN, EXACT_OUT = "ExactIn", "ExactOut"
BPS = 10_000


class RouteError(ValueError):
    """No route for this request; `code` is the Jupiter-style errorCode."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Route:
    label: str
    amm_key: Pubkey
    mint: Pubkey            # the coin (never a quote mint)
    is_buy: bool            # quote in, coin out
    swap_mode: str
    in_amount: int
    out_amount: int
    fee_amount: int         # protocol/lp/creator fees in quote units (lamports for SOL)
    price_impact: str       # display only
    quote_mint: Pubkey = SOL_MINT


@dataclass(frozen=True)
class SwapPlan:
    """What /swap executes, read back from a quoteResponse."""
    label: str
    mint: Pubkey
    is_buy: bool
    swap_mode: str
    in_amount: int
    out_amount: int
    other_amount_threshold: int
    slippage_bps: int
    quote_mint: Pubkey = SOL_MINT


def _impact(spot_num: int, spot_den: int, out_amount: int, in_amount: int) -> str:
    """1 - (out/in) / (spot_num/spot_den), as a decimal string (display only, never money)."""
    if in_amount == 0 or spot_num == 0:
        return "0"
    ratio = 1 - (out_amount * spot_den) / (in_amount * spot_num)
    return f"{max(0.0, ratio):.6f}"


def _load_curve(chain, mint: Pubkey) -> BondingCurve | None:
    account = chain.get_account(pump.bonding_curve(mint))
    if account is None or account.owner != pump.PUMP_PROGRAM:
        return None
    try:
        return BONDING_CURVE.decode(bytes(account.data))
    except LayoutError:
        return None


def pool_of(mint: Pubkey, quote_mint: Pubkey) -> Pubkey:
    """The canonical pool a coin graduates into, quoted in its curve's quote mint."""
    return swap_addr.pool_address(swap_addr.CANONICAL_POOL_INDEX, swap_addr.pool_authority(mint), mint, quote_mint)


def _pool_state(chain, mint: Pubkey, quote_mint: Pubkey) -> tuple[amm.Reserves, amm.FeeRates] | None:
    pool = pool_of(mint, quote_mint)
    pool_account = chain.get_account(pool)
    if pool_account is None:
        return None
    mint_account = chain.get_account(mint)
    base_program = mint_account.owner if mint_account is not None else pump.TOKEN_PROGRAM
    vaults = swap_addr.pool_vaults(pool, mint, quote_mint, base_token_program=base_program)
    base_vault, quote_vault = (chain.get_account(k) for k in vaults)
    config = GLOBAL_CONFIG.decode(bytes(chain.get_account(swap_addr.GLOBAL_CONFIG).data))
    reserves = amm.Reserves(token_account_amount(bytes(base_vault.data)), token_account_amount(bytes(quote_vault.data)))
    fee_account = chain.get_account(swap_addr.FEE_CONFIG)
    fee_config = decode_fee_config(bytes(fee_account.data)) if fee_account is not None else None
    supply = Mint.from_bytes(bytes(mint_account.data)[:82]).supply if mint_account is not None else 0
    try:
        rates = pool_fee_rates(config, POOL.decode(bytes(pool_account.data)), fee_config, reserves, supply)
    except (FeeConfigError, ZeroDivisionError) as exc:
        raise RouteError("COULD_NOT_FIND_ANY_ROUTE", f"Could not find any route: {exc}") from None
    return reserves, rates


def _coin_and_side(input_mint: Pubkey, output_mint: Pubkey) -> tuple[Pubkey, bool, Pubkey]:
    """(coin, is_buy, quote mint) of a quote<->coin pair."""
    if input_mint in QUOTE_MINTS and output_mint not in QUOTE_MINTS:
        return output_mint, True, input_mint
    if output_mint in QUOTE_MINTS and input_mint not in QUOTE_MINTS:
        return input_mint, False, output_mint
    raise RouteError("COULD_NOT_FIND_ANY_ROUTE",
                     "Could not find any route: only SOL or USDC <-> pump.fun coin pairs are served")


def _paired_with(curve: BondingCurve | None) -> Pubkey:
    return SOL_MINT if curve is None or curve.quote_mint == Pubkey.default() else curve.quote_mint


def _curve_route(chain, mint: Pubkey, curve: BondingCurve, is_buy: bool, amount: int, mode: str) -> Route:
    global_ = GLOBAL.decode(bytes(chain.get_account(pump.GLOBAL).data))
    key = pump.bonding_curve(mint)
    try:
        if is_buy:
            tokens = curve_math.tokens_for_sol(curve, global_, amount) if mode == EXACT_IN else amount
            if tokens <= 0 or tokens > curve.real_token_reserves:
                raise RouteError("COULD_NOT_FIND_ANY_ROUTE", "amount out of the curve's range")
            cost = curve_math.buy_cost(curve, tokens)
            total = cost + curve_math.fees_for(cost, global_, curve).total
            in_amount = amount if mode == EXACT_IN else total
            impact = _impact(curve.virtual_token_reserves, curve.virtual_sol_reserves, tokens, total)
            return Route(CURVE_LABEL, key, mint, True, mode, in_amount, tokens, total - cost, impact, _paired_with(curve))
        gross = curve_math.sell_proceeds(curve, amount)
        if gross > curve.real_sol_reserves:
            raise RouteError("COULD_NOT_FIND_ANY_ROUTE", "the curve holds too little of its quote for this sell")
        net = curve_math.sell_net_proceeds(curve, global_, amount)
        impact = _impact(curve.virtual_sol_reserves, curve.virtual_token_reserves, net, amount)
        return Route(CURVE_LABEL, key, mint, False, mode, amount, net, gross - net, impact, _paired_with(curve))
    except curve_math.CurveError as exc:
        raise RouteError("COULD_NOT_FIND_ANY_ROUTE", f"Could not find any route: {exc}") from None


def _pool_route(mint: Pubkey, quote_mint: Pubkey, state: tuple[amm.Reserves, amm.FeeRates], is_buy: bool,
                amount: int, mode: str) -> Route:
    reserves, rates = state
    key = pool_of(mint, quote_mint)
    try:
        if is_buy:
            quote = (amm.buy_base_for_quote(reserves, amount, *rates) if mode == EXACT_IN
                     else amm.buy_base_out(reserves, amount, *rates))
            in_amount = amount if mode == EXACT_IN else quote.user_quote_amount
            impact = _impact(reserves.base, reserves.quote, quote.base_amount, quote.user_quote_amount)
            return Route(POOL_LABEL, key, mint, True, mode, in_amount, quote.base_amount,
                         quote.lp_fee + quote.protocol_fee + quote.coin_creator_fee, impact, quote_mint)
        quote = amm.sell_base_in(reserves, amount, *rates)
        impact = _impact(reserves.quote, reserves.base, quote.user_quote_amount, amount)
        return Route(POOL_LABEL, key, mint, False, mode, amount, quote.user_quote_amount,
                     quote.lp_fee + quote.protocol_fee + quote.coin_creator_fee, impact, quote_mint)
    except amm.PoolMathError as exc:
        raise RouteError("COULD_NOT_FIND_ANY_ROUTE", f"Could not find any route: {exc}") from None


def find_route(chain, input_mint: Pubkey, output_mint: Pubkey, amount: int, swap_mode: str) -> Route:
    """The best (only) route: the live curve, else the graduated coin's pool, in the coin's own quote."""
    mint, is_buy, quote_mint = _coin_and_side(input_mint, output_mint)
    if swap_mode == EXACT_OUT and not is_buy:
        raise RouteError("COULD_NOT_FIND_ANY_ROUTE", "ExactOut is served for buys (quote -> coin) only")
    curve = _load_curve(chain, mint)
    if curve is not None and _paired_with(curve) != quote_mint:
        raise RouteError("COULD_NOT_FIND_ANY_ROUTE",
                         f"Could not find any route: the coin is paired with {_paired_with(curve)}, not {quote_mint}")
    if curve is not None and not curve.complete:
        return _curve_route(chain, mint, curve, is_buy, amount, swap_mode)
    pool = _pool_state(chain, mint, quote_mint)
    if pool is not None:
        return _pool_route(mint, quote_mint, pool, is_buy, amount, swap_mode)
    if curve is not None:
        raise RouteError("COULD_NOT_FIND_ANY_ROUTE", "Could not find any route: the coin graduated and is migrating")
    raise RouteError("TOKEN_NOT_TRADABLE", f"The token {mint} is not tradable")


def max_in(plan: SwapPlan) -> int:
    """Most quote a buy may spend: the threshold for ExactOut, inAmount plus slippage for ExactIn
    (pump.fun's legacy buy is exact-tokens-out, so ExactIn slippage bounds the SOL side)."""
    if plan.swap_mode == EXACT_OUT:
        return plan.other_amount_threshold
    return plan.in_amount * (BPS + plan.slippage_bps) // BPS


def swap_instructions(chain, plan: SwapPlan, user: Pubkey, wrap_and_unwrap_sol: bool) -> list[Instruction]:
    """Instructions (compute budget excluded) that execute `plan` for `user`."""
    if plan.label == CURVE_LABEL:   # native SOL (or the user's USDC account) on the curve: nothing to wrap
        curve = _load_curve(chain, plan.mint)
        if curve is None:
            raise RouteError("COULD_NOT_FIND_ANY_ROUTE", "the quoted curve no longer exists")
        global_ = GLOBAL.decode(bytes(chain.get_account(pump.GLOBAL).data))
        fee_recipient = global_.reserved_fee_recipient if curve.is_mayhem_mode else global_.fee_recipient
        token_program = chain.get_account(plan.mint).owner          # SPL Token (create) or Token-2022 (create_v2)
        if plan.quote_mint != SOL_MINT:                              # the legacy lists are SOL-only: v2 (BUY.md)
            return _curve_quote_token_instructions(plan, user, curve, fee_recipient, token_program)
        if plan.is_buy:
            return pump_ix.build_buy_with_ata(user, plan.mint, curve.creator, fee_recipient, plan.out_amount, max_in(plan),
                                              token_program)
        return [pump_ix.build_sell(user, plan.mint, curve.creator, fee_recipient, plan.in_amount,
                                   plan.other_amount_threshold, token_program)]
    keys, fee_recipient, buyback = _pool_swap_keys(chain, plan, user)
    base_program = keys.base_token_program
    wrap_sol = wrap_and_unwrap_sol and plan.quote_mint == SOL_MINT   # a USDC pool pays from the user's USDC account
    if plan.is_buy:
        spend = max_in(plan)
        wrap = build_wrap(user, spend) if wrap_sol else []
        buy = build_pool_buy(user, keys, fee_recipient, buyback, plan.out_amount, spend)
        unwrap = [build_unwrap(user)] if wrap_sol else []
        return [pump_ix.build_create_ata_idempotent(user, user, plan.mint, base_program), *wrap, buy, *unwrap]
    sell = build_pool_sell(user, keys, fee_recipient, buyback, plan.in_amount, plan.other_amount_threshold)
    if plan.quote_mint != SOL_MINT:
        return [sell]
    unwrap = [build_unwrap(user)] if wrap_and_unwrap_sol else []
    return [*build_wrap(user, 0), sell, *unwrap]


def _pool_swap_keys(chain, plan: SwapPlan, user: Pubkey) -> tuple[PoolKeys, Pubkey, Pubkey]:
    """(pool keys, protocol fee recipient, buyback fee recipient) of the quoted pool, as the current
    buy/sell name them (a mayhem pool pays a reserved recipient); recipients spread by the user."""
    pool_account = chain.get_account(pool_of(plan.mint, plan.quote_mint))
    if pool_account is None:
        raise RouteError("COULD_NOT_FIND_ANY_ROUTE", "the quoted pool no longer exists")
    pool = POOL.decode(bytes(pool_account.data))
    config = GLOBAL_CONFIG.decode(bytes(chain.get_account(swap_addr.GLOBAL_CONFIG).data))
    base_program = chain.get_account(plan.mint).owner                 # Token-2022 for a graduated create_v2 coin
    keys = PoolKeys.of_pool(pool_of(plan.mint, plan.quote_mint), pool, base_program)
    return (keys, *fee_recipients(config, pool, bytes(user)))


def _curve_quote_token_instructions(plan: SwapPlan, user: Pubkey, curve: BondingCurve, fee_recipient: Pubkey,
                                    token_program: Pubkey) -> list[Instruction]:
    coin = pump_v2.Coin(plan.mint, curve.creator, token_program, quote_mint=plan.quote_mint,
                        quote_token_program=pump.TOKEN_PROGRAM)
    if plan.is_buy:
        return [pump_ix.build_create_ata_idempotent(user, user, plan.mint, token_program),
                pump_v2.build_buy_v2(user, coin, fee_recipient, plan.out_amount, max_in(plan))]
    return [pump_v2.build_sell_v2(user, coin, fee_recipient, plan.in_amount, plan.other_amount_threshold)]
