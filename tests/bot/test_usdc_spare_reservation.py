"""A USDC-paired coin opened on an armed spare (the fast path: analysis.mode = "fast") reserves its
USDC before the buy is sent, as any other position does: with less free USDC than
trading.usdc_buy_amount the wallet refuses it and nothing reaches the chain (an armed spare's
reservation is a SOL buy's, no USDC). A running bot against the local chain."""
from __future__ import annotations

import pytest

from tests.bot.harness import SOL, bot_world
from tests.bot.test_mainnet_mix_e2e import fund_usdc, usdc_held
from tests.bot.test_usdc_trades import launch_usdc_coin

pytestmark = pytest.mark.timeout(90)


def test_an_armed_spare_reserves_the_usdc_of_a_usdc_coin(tmp_path):
    with bot_world(tmp_path, **{"trading.usdc_buy_amount": 5 * 10**6, "analysis.mode": "fast",
                                "trading.max_active_positions": 2}) as world:
        bot, chain, market, keypair = world.bot, world.chain, world.market, world.keypair
        owner = keypair.pubkey()
        fund_usdc(chain, market, owner, 3 * 10**6)          # less than one buy's USDC
        sol_before, usdc_before = chain.run(market.balance(owner)), usdc_held(chain, owner)
        bot.start(world.settings)
        bot.wait_until_streaming(chain, market)
        creator = chain.run(market.new_wallet(SOL))
        seen = bot.status().coins_seen
        chain.run(launch_usdc_coin(market, creator))

        final = bot.wait_for(lambda s: s.coins_seen > seen and s.failures.get("refused", 0) >= 1
                             and s.active_positions == 0, timeout=30)

        assert final.lifecycle.get("fast_path_opens", 0) == 1, final.lifecycle   # on an armed spare
        assert final.bought == 0, final                        # no buy sent
        assert usdc_held(chain, owner) == usdc_before
        assert chain.run(market.balance(owner)) == sol_before  # not even a failed buy's fee
