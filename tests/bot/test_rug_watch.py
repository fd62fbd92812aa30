"""Rugs seen on the stream are recorded in the creator history (adapters/analysis/rug_watch.py):
the rules over Launch/Trade messages, then a running bot whose stream sees a creator dump its coin
on the local chain, records the rug, and skips that creator's next coin."""
from __future__ import annotations

import dataclasses
import time

import pytest

from adapters.analysis.creators import CreatorHistory
from adapters.analysis.rug_watch import RugWatch
from config.settings import AnalysisSettings
from messages.stream import Trade
from tests.bot.harness import SOL, bot_world
from tests.bot.test_messages import make_launch

pytestmark = pytest.mark.timeout(120)
START_SOL = 30_000_000_000


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def trade(mint, user, is_buy, tokens, real_sol):
    return Trade(mint, is_buy, 0, tokens, user, START_SOL + real_sol, 10**15, "sig", 1, 0.0)


def watch(**rules):
    recorded, clock = [], Clock()
    settings = dataclasses.replace(AnalysisSettings(), **rules)
    return RugWatch(settings, lambda mint, creator, why: recorded.append((mint, creator, why)), clock), recorded, clock


def launch(mint, creator="Creator"):
    return dataclasses.replace(make_launch(mint=mint), creator=creator, virtual_sol_reserves=START_SOL)


def test_the_creator_selling_most_of_what_it_bought_is_a_rug_recorded_once():
    rugs, recorded, _ = watch(rug_creator_sell_pct=50)
    rugs.on_launch(launch("M1"))
    rugs.on_trade(trade("M1", "Creator", True, 1_000, 1 * SOL))
    rugs.on_trade(trade("M1", "Someone", False, 900, SOL // 2))     # not the creator
    rugs.on_trade(trade("M1", "Creator", False, 400, SOL // 4))     # 40 %
    assert recorded == []
    rugs.on_trade(trade("M1", "Creator", False, 100, 0))            # 50 %
    rugs.on_trade(trade("M1", "Creator", False, 500, 0))
    assert [(m, c) for m, c, _ in recorded] == [("M1", "Creator")] and "creator sold 50 %" in recorded[0][2]


def test_the_curve_losing_half_its_peak_sol_is_a_rug_only_past_the_minimum_peak():
    rugs, recorded, _ = watch(rug_reserve_drop_pct=50, rug_min_peak_lamports=2 * SOL)
    rugs.on_launch(launch("Small"))
    rugs.on_trade(trade("Small", "A", True, 10, SOL))
    rugs.on_trade(trade("Small", "A", False, 10, 0))                 # peak 1 SOL < 2 SOL: noise
    rugs.on_launch(launch("Big"))
    rugs.on_trade(trade("Big", "A", True, 10, 4 * SOL))
    rugs.on_trade(trade("Big", "B", False, 5, 2 * SOL + 1))          # 49.99 %
    assert recorded == []
    rugs.on_trade(trade("Big", "B", False, 5, 2 * SOL))              # 50 %
    assert [m for m, _, _ in recorded] == ["Big"] and "fell 50 % from its peak" in recorded[0][2]


def test_trades_after_the_window_or_of_unseen_launches_are_not_rugs():
    rugs, recorded, clock = watch(rug_window_seconds=60)
    rugs.on_launch(launch("Old"))
    rugs.on_trade(trade("Old", "Creator", True, 1_000, 0))
    clock.now += 61
    rugs.on_trade(trade("Old", "Creator", False, 1_000, 0))
    rugs.on_trade(trade("Never", "Creator", False, 1_000, 0))
    assert recorded == [] and "Old" not in rugs.coins
    rugs.on_launch(launch("A"))
    clock.now += 61
    rugs.on_launch(launch("B"))                                      # forgets A, untraded, past the window
    assert list(rugs.coins) == ["B"]


def test_a_running_bot_records_a_dump_seen_on_its_stream_and_skips_the_creators_next_coin(tmp_path):
    with bot_world(tmp_path, **{"analysis.honeypot_check": False, "analysis.min_score": 0}) as world:
        bot, chain, market = world.bot, world.chain, world.market
        bot.start(world.settings)
        bot.wait_until_streaming(chain, market)
        bot.pause_buying()
        creator = chain.run(market.new_wallet(5 * SOL))
        mint = chain.run(market.launch(creator, "Dump"))
        chain.run(market.trade(creator, mint, buy_lamports=SOL))
        held = chain.run(market.holdings(creator.pubkey()))[mint]
        chain.run(market.trade(creator, mint, sell_tokens=held))       # the creator dumps all of it
        history = CreatorHistory(tmp_path / "runs" / "creators.sqlite3")
        deadline = time.monotonic() + 20
        while history.history(str(creator.pubkey()))[1] == 0:
            assert time.monotonic() < deadline, "the rug was not recorded"
            time.sleep(0.2)
        history.close()
        bot.resume_buying()
        chain.run(market.launch(creator, "Again"))
        bot.wait_for(lambda s: s.skips.get("analysis: creator_rugs", 0) >= 1, timeout=30)
