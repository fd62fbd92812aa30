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
    whale, plain = chain.run(market.new_wallet(12 * SOL)), chain.run(market.new_wallet(SOL))

    def launch_until_bought(launch, names):   # a launch that beats the first armed set to the
        mints, before = [], bot.status().bought   # stream is skipped (limit): launch another
        for name in names:
            mints.append(chain.run(launch(name)))
            time.sleep(0.5)
            if bot.status().bought > before:
                return mints
        return mints
    bad = launch_until_bought(lambda n: launch_with_creator_buy(market, whale, n, CREATOR_TOKENS),
                              [f"Whale{i}" for i in range(4)])
    bot.wait_for(lambda s: s.bought >= 1, timeout=30, poll=0.05)
    good = launch_until_bought(lambda n: market.launch(plain, n), [f"Plain{i}" for i in range(4)])
    bot.wait_for(lambda s: s.bought >= 2 and s.sold >= 1, timeout=30, poll=0.1)
    time.sleep(settings.analysis.deadline_ms / 1000 + 1)   # the good coin's checks have answered
    reasons = exit_reasons(settings)
    bought_bad = [m for m in bad if m in reasons]
    assert bought_bad and all(reasons[m].startswith("verify: ") and "top_holder" in reasons[m]
                              for m in bought_bad), reasons
    assert not any(reasons[m] for m in good if m in reasons), reasons   # verified: held (60 s)
    bot.close_all()
    final = bot.wait_for(lambda s: s.active_positions == 0 and s.unresolved_signatures == 0, timeout=60)
    assert final.bought == final.sold >= 2 and not final.failures, final


def test_verify_after_needs_fast_mode():
    from config.parsing import ConfigError
    from config.settings import load_settings
    with pytest.raises(ConfigError, match="analysis.verify"):
        load_settings(env={}, overrides={"analysis.verify": "after", "analysis.mode": "full"})
    assert load_settings(env={}, overrides={"analysis.verify": "after",
                                            "analysis.mode": "fast"}).analysis.verify == "after"
