"""The trailing stop and the curve-progress exit in a running bot on the local chain: a trader
pumps one coin and sells out (the bot's position falls from its best value: trailing_stop), and
buys deep into another (past the progress threshold: curve_progress). Take profit and stop loss
are set out of reach, so only the rule under test can fire; the books stay exact."""
from __future__ import annotations

import time

import pytest
from solders.pubkey import Pubkey

from adapters.journal import Journal, journal_path
from adapters.pumpfun import instructions
from tests.bot.harness import SOL
from tests.bot.test_e2e import assert_books_balance, world  # noqa: F401  (fixture)

pytestmark = pytest.mark.timeout(120)


def sell_all(chain, market, trader, mint: str) -> None:
    """The trader sells every token it holds of `mint` (legacy sell, no minimum)."""
    amount = chain.run(market.holdings(trader.pubkey()))[mint]
    state = chain.run(market._curve(Pubkey.from_string(mint)))
    fee_recipient = chain.run(market._global()).fee_recipient
    ix = instructions.build_sell(trader.pubkey(), Pubkey.from_string(mint), state.creator,
                                 fee_recipient, amount, 0)
    chain.run(market.send_tx(trader, [ix], [trader]))


def exit_reasons(settings) -> dict[str, str]:
    journal = Journal(journal_path(settings))
    try:
        return {row["launch"]["mint"]: row["exit_reason"] for row in journal.all_positions()}
    finally:
        journal.close()


def test_trailing_stop_and_curve_progress_exits(world):  # noqa: F811
    bot, chain, market, keypair, settings = world
    settings = settings.replace(**{
        "trading.take_profit_pct": 10_000, "trading.stop_loss_pct": 95, "trading.max_hold_seconds": 60,
        "trading.trailing_stop_pct": 4, "trading.exit_curve_progress_pct": 6})
    start_balance = chain.run(market.balance(keypair.pubkey()))
    bot.start(settings)
    bot.wait_until_streaming(chain, market)
    creator = chain.run(market.new_wallet(SOL))
    trader = chain.run(market.new_wallet(5 * SOL))

    pumped = chain.run(market.launch(creator, "Trail"))
    bot.wait_for(lambda s: s.bought >= 1, timeout=20, poll=0.05)
    chain.run(market.buy(trader, pumped, SOL))          # ~4.4 % of the curve: value up ~4 %
    time.sleep(0.5)
    sell_all(chain, market, trader, pumped)             # back down: ~7 % below the best value
    bot.wait_for(lambda s: s.sold >= 1, timeout=20, poll=0.05)

    deep = chain.run(market.launch(creator, "Deep"))
    bot.wait_for(lambda s: s.bought >= 2, timeout=20, poll=0.05)
    chain.run(market.buy(trader, deep, 2 * SOL))       # ~8.5 % of the curve bought
    final = bot.wait_for(lambda s: s.sold >= 2 and s.active_positions == 0
                         and s.unresolved_signatures == 0, timeout=30)
    reasons = exit_reasons(settings)
    assert reasons[pumped] == "trailing_stop", reasons
    assert reasons[deep] == "curve_progress", reasons
    assert_books_balance(chain, market, keypair, start_balance, final)
