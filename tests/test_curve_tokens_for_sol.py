"""tokens_for_sol is computed in closed form (it runs on the fast path's hot path): checked here
against its definition -- the most tokens whose total cost (curve + fees, as the program rounds
them) fits the budget -- on random curves, fee rates and budgets from 1 lamport to 1,000 SOL."""
import random
from dataclasses import replace

from solders.pubkey import Pubkey

from adapters.pumpfun import curve
from adapters.pumpfun.layout_v1 import ZERO_KEY
from tests.test_pumpfun_protocol import mainnet_global


def test_tokens_for_sol_is_the_most_that_fits():
    rng = random.Random(12)
    global_ = mainnet_global()
    for _ in range(5_000):
        state = curve.initial_curve(global_, Pubkey.new_unique() if rng.random() < 0.8 else ZERO_KEY)
        vtok = rng.randint(10**9, state.virtual_token_reserves)
        state = replace(state, virtual_token_reserves=vtok, virtual_sol_reserves=rng.randint(10**6, 10**13),
                        real_token_reserves=rng.randint(1, vtok - 1))
        rates = replace(global_, fee_basis_points=rng.randint(0, 500), creator_fee_basis_points=rng.randint(0, 500))
        budget = rng.choice([rng.randint(1, 1_000), rng.randint(1, 10**8), rng.randint(1, 10**12)])
        tokens = curve.tokens_for_sol(state, rates, budget)
        assert tokens == 0 or curve.buy_total_cost(state, rates, tokens) <= budget
        if tokens < state.real_token_reserves:   # one more token would not fit
            assert curve.buy_total_cost(state, rates, tokens + 1) > budget, (state, rates, budget, tokens)


def test_tokens_for_sol_at_a_fresh_mainnet_curve():
    # 0.1 SOL into a fresh curve (30 virtual SOL, 1,073,000,000 virtual tokens, 0.95 % + 0.3 % fees):
    # 1e8 * 10000 // 10125 = 98,765,432 lamports to the curve -> ~3,522,000 tokens (6 decimals)
    state = curve.initial_curve(mainnet_global(), Pubkey.new_unique())
    tokens = curve.tokens_for_sol(state, mainnet_global(), 100_000_000)
    assert 3_500_000_000_000 < tokens < 3_540_000_000_000
