"""Each fate as a script of phases, and the sizing rules that make a coin follow its fate.

A phase sets how busy the coin is (burst gaps divided by `intensity`), how many trades are buys,
and how big they are relative to the fitted trade size. Amounts are integers throughout.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from adapters.pumpfun import curve as curve_math
from adapters.pumpfun.layout_v1 import Global
from localnet.market import fitted
from localnet.market.coins import Coin, quote_units
from localnet.market.config import Fate


@dataclass(frozen=True)
class Phase:
    duration_s: float      # simulated seconds
    intensity: float       # > 1: bursts come faster than the fitted gaps
    buy_share: float
    size_scale: float


SCRIPTS: dict[Fate, tuple[Phase, ...]] = {
    Fate.DIES: (Phase(40, 1.5, fitted.BUY_SHARE, 0.5),),
    Fate.PUMP_DUMP: (Phase(30, 5.0, 0.85, 2.0), Phase(25, 4.0, 0.15, 1.0)),
    Fate.RUG: (Phase(20, 3.0, 0.8, 1.0), Phase(15, 2.0, 0.2, 0.5)),       # the rug falls between the two
    Fate.GRIND: (Phase(300, 1.0, 0.56, 0.8),),
    Fate.GRADUATE: (Phase(60, 8.0, 0.92, 4.0),),                             # runs on until complete
}
RUG_AFTER_PHASE = 0
SMART_EXIT_AFTER_PHASE = 0            # smart wallets sell when the pump phase ends
SMART_FATES = (Fate.PUMP_DUMP, Fate.GRADUATE)
SMART_ENTRY_DELAY_S = (0.3, 2.0)      # smart wallets buy within the first seconds
SMART_BUY_LAMPORTS = (500_000_000, 2_000_000_000)
SMART_ENTRY_CHANCE = 0.7
RUG_DEV_BUY_LAMPORTS = (2_000_000_000, 5_000_000_000)   # the creator's large early holding
DEV_BUY_CHANCE = 0.5
GRADUATION_STEPS = 6                  # a graduating coin's buys take at least 1/6 of what is left
KEEP_REAL_TOKENS_BPS = 2_500          # other fates never buy the curve below 25% of its real tokens
SLIPPAGE_BPS = 1_000                  # the market's own limits: 10%; its trades should not fail


def phases_of(fate: Fate) -> tuple[Phase, ...]:
    return SCRIPTS[fate]


def dev_buy_lamports(coin: Coin) -> int:
    """What the creator buys in its create transaction (0: no dev buy)."""
    if coin.fate is Fate.RUG:
        return coin.rng.randint(*RUG_DEV_BUY_LAMPORTS)
    return fitted.trade_lamports(coin.rng) if coin.rng.random() < DEV_BUY_CHANCE else 0


def buy_tokens(coin: Coin, global_: Global, lamports: int) -> int:
    """Tokens a buy of about `lamports` (in quote units for a USDC-paired coin) takes, within the
    fate's limits; 0 if the curve is done."""
    lamports = quote_units(coin.kind, global_, lamports)
    state = coin.curve
    if state.complete or state.real_token_reserves == 0:
        return 0
    if coin.fate is Fate.GRADUATE:
        remaining_cost = curve_math.buy_cost(state, state.real_token_reserves)
        lamports = max(lamports, remaining_cost // GRADUATION_STEPS)
        if lamports >= remaining_cost:
            return state.real_token_reserves
        floor = 0
    else:
        floor = global_.initial_real_token_reserves * KEEP_REAL_TOKENS_BPS // 10_000
    tokens = _tokens_for_about(state, global_, lamports)
    return max(0, min(tokens, state.real_token_reserves - floor))


def _tokens_for_about(state, global_: Global, lamports: int) -> int:
    """Tokens for about `lamports` including fees: the curve formula solved directly. The market
    needs no exact fit (its limit is computed from the tokens), and this is ~40x cheaper."""
    fee_bps = global_.fee_basis_points + global_.creator_fee_basis_points
    spend = lamports * 10_000 // (10_000 + fee_bps)
    return max(0, spend * state.virtual_token_reserves // (state.virtual_sol_reserves + spend) - 1)


def buy_limit(coin: Coin, global_: Global, tokens: int) -> int:
    """max_sol_cost: the model's total cost plus the market's slippage allowance."""
    total = curve_math.buy_total_cost(coin.curve, global_, tokens)
    return total + total * SLIPPAGE_BPS // 10_000


def sell_tokens(coin: Coin, holder, rng: random.Random) -> int:
    return coin.holdings.get(holder, 0) * fitted.sell_fraction_bps(rng) // 10_000


def sell_floor(coin: Coin, global_: Global, tokens: int) -> int:
    """min_sol_output: the model's net proceeds less the slippage allowance."""
    net = curve_math.sell_net_proceeds(coin.curve, global_, tokens)
    return net - net * SLIPPAGE_BPS // 10_000
