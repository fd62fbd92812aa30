"""On mainnet a coin's migration to its PumpSwap pool is a transaction of its own, after the trade that
completed the curve: a position exiting on graduation meets a complete curve with no pool yet. The bot
waits for the pool (trading.migration_wait_seconds, actors/pool_sell.py) and sells there itself, closing
the emptied token account in the same transaction, instead of going to Jupiter, whose route would leave
the account open. A running bot on the local chain, whose migration service (the market's
GraduationMigrator, `python -m localnet --market --migration-delay 8`) migrates 8 s late."""
from __future__ import annotations

import pytest

from actors.trading_io import token_accounts
from adapters.journal import Journal
from localnet.market.graduation import GraduationMigrator
from tests.bot.harness import SOL, bot_world
from tests.bot.test_pool_sell import T22, complete_curve, launch, pool_instructions

pytestmark = pytest.mark.timeout(120)
# later than the native rung's three tries (1 + 2 + 4 s of backoff), so today's ladder reached Jupiter
MIGRATION_DELAY_SECONDS = 8.0


async def start_migrator(node_chain, delay_s: float) -> GraduationMigrator:
    return GraduationMigrator(node_chain, delay_s)   # on the chain's loop, where it schedules


def journal_row(path, mint: str) -> dict:
    journal = Journal(path)
    try:
        [row] = [r for r in journal.all_positions() if r["launch"]["mint"] == mint]
    finally:
        journal.close()
    return row


@pytest.mark.parametrize("migration_wait_seconds", [20, 0], ids=["waits-for-the-pool", "no-wait-jupiter"])
def test_exit_on_graduation_with_a_late_pool(tmp_path, migration_wait_seconds):
    """Waiting (the default): the bot's own 24-account pool sell once the pool appears. Not waiting:
    the ladder reaches Jupiter's route (the same 24-account sell, paid to the WSOL account), then closes the emptied token account in a
    follow-up transaction. Either way no token account is left and PnL is the wallet's change."""
    journal_path = tmp_path / "journal.sqlite3"
    with bot_world(tmp_path, jupiter=True, **{
            "trading.exit_on_graduation": True, "trading.take_profit_pct": 100_000, "trading.stop_loss_pct": 100,
            "trading.max_hold_seconds": 600, "trading.max_active_positions": 1,
            "trading.migration_wait_seconds": migration_wait_seconds,
            "balance.interval_seconds": 3_600, "run.journal_path": str(journal_path)}) as world:
        bot, chain, market, keypair = world.bot, world.chain, world.market, world.keypair
        owner = keypair.pubkey()
        start_balance = chain.run(market.balance(owner))
        bot.start(world.settings)
        bot.wait_until_streaming(chain, market)
        mint = launch(chain, market, T22, "LatePool")
        bot.wait_for(lambda s: s.bought >= 1, timeout=30)
        bot.pause_buying()
        bought = chain.run(market.holding(owner, mint))
        whale = chain.run(market.new_wallet(250 * SOL))
        # the market's migration service: the migration comes as its own transaction, late
        migrator = chain.run(start_migrator(chain.node.chain, MIGRATION_DELAY_SECONDS))
        chain.run(complete_curve(market, whale, mint, T22))   # the exit signal: the curve is complete

        final = bot.wait_for(lambda s: s.active_positions == 0 and s.unresolved_signatures == 0, timeout=60)

        row = journal_row(journal_path, mint)
        assert row["exit_reason"] == "graduated" and row["state"] == "closed", row
        assert row["sold_tokens"] == row["bought_tokens"] == bought
        landed = [(o["kind"], o["signature"]) for o in row["sell_orders"] if o["state"] == "CONFIRMED"]
        routes = [(kind, [a for a, _ in pool_instructions(chain, sig)]) for kind, sig in landed]
        if migration_wait_seconds:   # the bot's own pool sell, once the pool appeared
            assert routes == [("sell", [24])], row["sell_orders"]
        else:                        # Jupiter's route, then the close of the emptied account
            assert routes == [("sell", [24]), ("close", [])], row["sell_orders"]
        assert chain.run(token_accounts(chain.rpc, owner)) == []             # no token account left open
        assert final.pnl_lamports == chain.run(market.balance(owner)) - start_balance   # exact, rent included
        assert migrator.migrated == 1


def test_migration_wait_is_a_validated_number_of_seconds():
    from config.parsing import ConfigError
    from config.settings import load_settings
    assert load_settings(env={}).trading.migration_wait_seconds == 20
    assert load_settings(env={"PUMPSNIPE__TRADING__MIGRATION_WAIT_SECONDS": "0"}).trading.migration_wait_seconds == 0
    for bad in ("-1", "301", "soon"):
        with pytest.raises(ConfigError) as refused:
            load_settings(env={"PUMPSNIPE__TRADING__MIGRATION_WAIT_SECONDS": bad})
        message = str(refused.value).lower()
        assert "migration_wait_seconds" in message and "\n" not in message, message
