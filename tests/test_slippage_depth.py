"""Depth-sized slippage (adapters/pumpfun/slippage.py), checked against the bonding-curve formula
of the pump.fun docs written out here: a buy of dt tokens puts floor(vsol * dt / (vtok - dt)) + 1
lamports into the curve, plus ceil(cost * bps / 10000) for each of the protocol and creator fees."""
from __future__ import annotations

from types import SimpleNamespace

from solders.pubkey import Pubkey

from adapters.pumpfun import slippage
from adapters.pumpfun.layout_v1 import BondingCurve
from tests.test_pumpfun_protocol import INITIAL_RTOK, INITIAL_VSOL, INITIAL_VTOK, mainnet_global

SOL = 1_000_000_000
FEES_BPS = (95, 30)          # mainnet_global(): protocol 95, creator 30


def docs_total_cost(vsol: int, vtok: int, dt: int, fees=FEES_BPS) -> int:
    cost = vsol * dt // (vtok - dt) + 1
    return cost + sum(-(-cost * bps // 10_000) for bps in fees)


def docs_tokens_for(vsol: int, vtok: int, budget: int, fees=FEES_BPS) -> int:
    low, high = 0, vtok - 1          # the most tokens whose total cost fits in `budget`
    while low < high:
        middle = (low + high + 1) // 2
        fits = docs_total_cost(vsol, vtok, middle, fees) <= budget
        low, high = (middle, high) if fits else (low, middle - 1)
    return low


def curve_at(vsol: int, vtok: int, rtok: int = INITIAL_RTOK) -> BondingCurve:
    return BondingCurve(vtok, vsol, rtok, 0, 10**15, False, Pubkey.new_unique())


def trading(mode: str = "depth", ahead: int = SOL // 2, tolerance: int = 100, fixed: int = 1_500):
    return SimpleNamespace(slippage_mode=mode, slippage_ahead_lamports=ahead,
                           slippage_tolerance_bps=tolerance, slippage_bps=fixed)


def test_max_cost_is_the_cost_after_the_flow_ahead_plus_the_tolerance():
    global_ = mainnet_global()
    tokens = docs_tokens_for(INITIAL_VSOL, INITIAL_VTOK, SOL // 100)          # our 0.01 SOL buy
    ahead_tokens = docs_tokens_for(INITIAL_VSOL, INITIAL_VTOK, SOL)           # 1 SOL bought first
    ahead_cost = INITIAL_VSOL * ahead_tokens // (INITIAL_VTOK - ahead_tokens) + 1
    moved_cost = docs_total_cost(INITIAL_VSOL + ahead_cost, INITIAL_VTOK - ahead_tokens, tokens)
    expected = -(-moved_cost * 10_100 // 10_000)
    state = curve_at(INITIAL_VSOL, INITIAL_VTOK)
    assert slippage.depth_max_sol_cost(state, global_, tokens, SOL, 100) == expected
    # with nothing ahead it is our own quote (its price impact included) + the tolerance
    quote = docs_total_cost(INITIAL_VSOL, INITIAL_VTOK, tokens)
    assert slippage.depth_max_sol_cost(state, global_, tokens, 0, 100) == -(-quote * 10_100 // 10_000)
    # 1 SOL ahead on a fresh 30-SOL curve raises the price ~6.7 %: well inside the fixed 15 %
    assert quote * 10_600 // 10_000 < expected < quote * 10_800 // 10_000
    assert slippage.max_sol_cost(state, global_, tokens, trading(ahead=SOL)) == expected
    assert slippage.max_sol_cost(state, global_, tokens, trading("fixed")) == quote * 11_500 // 10_000


def test_the_allowance_follows_the_depth_and_the_fixed_bound_caps_it():
    global_ = mainnet_global()
    shallow = curve_at(INITIAL_VSOL, INITIAL_VTOK)
    deep_tokens = docs_tokens_for(INITIAL_VSOL, INITIAL_VTOK, 40 * SOL)   # 40 SOL in: a deeper curve
    deep_vsol = INITIAL_VSOL + INITIAL_VSOL * deep_tokens // (INITIAL_VTOK - deep_tokens) + 1
    deep = curve_at(deep_vsol, INITIAL_VTOK - deep_tokens, INITIAL_RTOK - deep_tokens)
    for_shallow = docs_tokens_for(INITIAL_VSOL, INITIAL_VTOK, SOL // 100)
    for_deep = docs_tokens_for(deep_vsol, INITIAL_VTOK - deep_tokens, SOL // 100)
    allowance = {name: slippage.depth_max_sol_cost(state, global_, tokens, SOL, 0)
                 / docs_total_cost(state.virtual_sol_reserves, state.virtual_token_reserves, tokens)
                 for name, state, tokens in (("shallow", shallow, for_shallow), ("deep", deep, for_deep))}
    assert allowance["deep"] < allowance["shallow"]   # the same SOL moves a deep curve less
    # 30 SOL ahead would double the price: the fixed 15 % is the ceiling
    quote = docs_total_cost(INITIAL_VSOL, INITIAL_VTOK, for_shallow)
    assert slippage.max_sol_cost(shallow, global_, for_shallow, trading(ahead=30 * SOL)) \
        == quote * 11_500 // 10_000


def test_exact_in_floor_is_the_tokens_after_the_flow_ahead_less_the_tolerance():
    global_ = mainnet_global()
    state = curve_at(INITIAL_VSOL, INITIAL_VTOK)
    ahead_tokens = docs_tokens_for(INITIAL_VSOL, INITIAL_VTOK, SOL)
    ahead_cost = INITIAL_VSOL * ahead_tokens // (INITIAL_VTOK - ahead_tokens) + 1
    after = docs_tokens_for(INITIAL_VSOL + ahead_cost, INITIAL_VTOK - ahead_tokens, SOL // 100)
    tokens = docs_tokens_for(INITIAL_VSOL, INITIAL_VTOK, SOL // 100)
    assert slippage.min_tokens_out(state, global_, SOL // 100, tokens, trading(ahead=SOL)) \
        == after * 9_900 // 10_000
    assert slippage.min_tokens_out(state, global_, SOL // 100, tokens, trading("fixed")) \
        == tokens * 8_500 // 10_000
