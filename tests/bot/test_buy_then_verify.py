"""Buy then verify in a running bot (analysis.mode = "fast", analysis.verify = "after"): the buy
goes out on the fast checks alone, the slow checks (an AnalyzerPool in full mode against the
local chain and its RugCheck/Jupiter services) run after it, and a coin that fails them is sold
with the failed check as its exit reason. The failing coin is real: its creator bought 6 % of the
supply in the create's own transaction, over a top-holder limit of 5 % (the fast checks cannot
see holders; the full ones read them from the chain)."""
from __future__ import annotations

import time

import pytest
from solders.keypair import Keypair

from adapters.pumpfun import instructions
from tests.bot.harness import SOL
from tests.bot.test_analysis_bot import world  # noqa: F401  (fixture: chain with its services)
from tests.bot.test_exits import exit_reasons

pytestmark = pytest.mark.timeout(150)
CREATOR_TOKENS = 60_000_000 * 10**6    # 6 % of the 1e9-token supply (6 decimals)


async def launch_with_creator_buy(market, creator: Keypair, name: str, tokens: int) -> str:
    """create + the creator's own buy of `tokens`, in one transaction (as pump.fun's UI does)."""
    mint = Keypair()
    fee_recipient = (await market._global()).fee_recipient
    ixs = [instructions.build_create(mint.pubkey(), creator.pubkey(), name, name[:4].upper(),
                                     f"https://example.invalid/{name}.json")]
    ixs += instructions.build_buy_with_ata(creator.pubkey(), mint.pubkey(), creator.pubkey(),
                                           fee_recipient, tokens, 5 * SOL)
    await market.send_tx(creator, ixs, [creator, mint])
    return str(mint.pubkey())


def test_a_coin_failing_a_slow_check_is_bought_then_sold(world):  # noqa: F811
    bot, chain, market, settings = world
    settings = settings.replace(**{
        "analysis.mode": "fast", "analysis.verify": "after", "analysis.max_top_holder_share_bps": 500,
        "trading.max_hold_seconds": 60, "trading.take_profit_pct": 10_000, "trading.stop_loss_pct": 95})
    bot.start(settings)
    bot.wait_until_streaming(chain, market)
    whale, plain = chain.run(market.new_wallet(5 * SOL)), chain.run(market.new_wallet(SOL))
    bad = chain.run(launch_with_creator_buy(market, whale, "Whale", CREATOR_TOKENS))
    bot.wait_for(lambda s: s.bought >= 1, timeout=30, poll=0.05)
    good = chain.run(market.launch(plain, "Plain"))
    bot.wait_for(lambda s: s.bought >= 2 and s.sold >= 1, timeout=30, poll=0.1)
    time.sleep(settings.analysis.deadline_ms / 1000 + 1)   # the good coin's checks have answered
    reasons = exit_reasons(settings)
    assert reasons.get(bad, "").startswith("verify: ") and "top_holder" in reasons[bad], reasons
    assert not reasons.get(good), reasons   # verified: still held (max hold 60 s)
    bot.close_all()
    final = bot.wait_for(lambda s: s.active_positions == 0 and s.unresolved_signatures == 0, timeout=60)
    assert final.bought == 2 and final.sold == 2 and not final.failures, final


def test_verify_after_needs_fast_mode():
    from config.parsing import ConfigError
    from config.settings import load_settings
    with pytest.raises(ConfigError, match="analysis.verify"):
        load_settings(env={}, overrides={"analysis.verify": "after", "analysis.mode": "full"})
    assert load_settings(env={}, overrides={"analysis.verify": "after",
                                            "analysis.mode": "fast"}).analysis.verify == "after"
