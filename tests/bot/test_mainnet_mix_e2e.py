"""End to end on a market with today's mainnet mix: one running bot meets a legacy `create` (SPL Token),
a `create_v2` (Token-2022), a cashback create_v2, a USDC-paired create_v2 (launched with the market's
own create instructions, localnet/market/instruction_mix.py) and a mayhem coin it is configured to
skip. It buys every kind it trades (v3 by default, v2 for the cashback coin, USDC from the wallet's USDC
account), three coins graduate into their PumpSwap pools (SOL and USDC quoted) and the bot sells those
there itself, the others on their curves. The books are exact: SOL PnL = the wallet's lamport change,
USDC PnL = its USDC change; every token is sold; the skipped kind is counted with its reason."""
from __future__ import annotations

import time

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from actors.trading_io import token_accounts
from adapters.journal import Journal
from app.summary import summary_text
from adapters.pumpfun import addresses as pump
from adapters.pumpswap.layout import token_account_amount
from localnet.market.instruction_mix import create_instruction
from localnet.programs.pumpswap_setup import migrate_graduated_coin
from tests.bot.harness import SOL, Market
from tests.bot.test_pool_sell import SPL, T22, graduate, pool_instructions, world  # noqa: F401 (fixture)
from tests.bot.test_todays_pumpfun import bot_instructions, launch_v2
from tests.bot.test_usdc_pool_sell import buy_out_usdc_curve
from tests.localnet.helpers import call

pytestmark = pytest.mark.timeout(120)
USDC_BUY = 5 * 10**6


async def launch_kind(market: Market, creator: Keypair, kind: str, name: str) -> str:
    """A coin made as the simulated market makes `kind` (create, create_v2, mayhem, usdc)."""
    mint = Keypair()
    ix = create_instruction(kind, mint.pubkey(), creator.pubkey(), name, name[:4].upper(),
                            f"https://example.invalid/{name}.json")
    await market.send_tx(creator, [ix], [creator, mint])
    return str(mint.pubkey())


def usdc_held(chain, owner: Pubkey) -> int:
    account = chain.node.chain.get_account(pump.associated_token_address(owner, pump.USDC_MINT))
    return 0 if account is None else token_account_amount(bytes(account.data))


def fund_usdc(chain, market: Market, owner: Pubkey, amount: int) -> None:
    """requestUsdcAirdrop over JSON-RPC, then wait until a `confirmed` read sees it (the wallet reads so)."""
    before = usdc_held(chain, owner)
    answer = chain.run(call(chain.node.rpc_url, "requestUsdcAirdrop", [str(owner), amount]))
    assert isinstance(answer.get("result"), str), answer
    key = pump.associated_token_address(owner, pump.USDC_MINT)
    for _ in range(100):
        if chain.run(market.rpc.get_token_balance(key)) == before + amount:
            return
        time.sleep(0.1)
    raise TimeoutError("the USDC airdrop never confirmed")


def test_the_bot_trades_every_configured_kind_before_and_after_graduation(world, tmp_path):
    bot, chain, market, keypair, settings = world
    owner = keypair.pubkey()
    journal_path = tmp_path / "journal.sqlite3"
    settings = settings.replace(**{
        "trading.instruction_set": "auto", "trading.usdc_buy_amount": USDC_BUY, "trading.trade_mayhem": False,
        "trading.trade_cashback": True,
        "trading.take_profit_pct": 100_000, "trading.stop_loss_pct": 100, "trading.max_hold_seconds": 600,
        "trading.max_active_positions": 6, "run.journal_path": str(journal_path)})
    fund_usdc(chain, market, owner, 50 * 10**6)
    sol_before, usdc_before = chain.run(market.balance(owner)), usdc_held(chain, owner)
    bot.start(settings)
    bot.wait_until_streaming(chain, market)
    bot.wait_for(lambda s: s.buying, timeout=10)   # the resume reached the Director
    seen = bot.status().coins_seen
    creator = chain.run(market.new_wallet(SOL))
    mints = {kind: chain.run(launch_kind(market, creator, kind, f"Mix{kind}"))
             for kind in ("create", "create_v2", "usdc")}
    mints["cashback"] = chain.run(launch_v2(market, creator, "MixCash", cashback=True))
    mints["mayhem"] = chain.run(launch_kind(market, creator, "mayhem", "MixMay"))
    bot.wait_for(lambda s: s.coins_seen >= seen + 5 and s.bought >= 4, timeout=30)
    bot.pause_buying()

    # three coins graduate (SPL + SOL, Token-2022 cashback + SOL, Token-2022 + USDC): sold on their pools
    graduate(chain, market, mints["create"], SPL)
    graduate(chain, market, mints["cashback"], T22)
    whale = chain.run(market.new_wallet(10 * SOL))
    fund_usdc(chain, market, whale.pubkey(), 100_000 * 10**6)
    chain.run(buy_out_usdc_curve(market, whale, mints["usdc"]))
    migrate_graduated_coin(chain.node.chain, Pubkey.from_string(mints["usdc"]))
    # sold once migrated (a sell that meets a complete curve before its pool waits for the pool:
    # tests/bot/test_graduation_race.py)
    bot.close_all()                                    # the create_v2 coin is still on its curve
    final = bot.wait_for(lambda s: s.active_positions == 0 and s.unresolved_signatures == 0, timeout=40)

    # exact books, SOL and USDC apart; every token sold; only the wallet's USDC account left
    assert final.pnl_lamports == chain.run(market.balance(owner)) - sol_before
    assert final.pnl_usdc == usdc_held(chain, owner) - usdc_before != 0
    assert set(chain.run(market.holdings(owner))) == {str(pump.USDC_MINT)}   # no coin left, only the USDC
    skipped = {reason: count for reason, count in final.skips.items() if reason != "buying paused"}   # not probes
    assert skipped == {"policy: mayhem": 1} and (final.bought, final.sold) == (4, 4), final
    summary = summary_text(final, "test", tmp_path)                   # what run.py prints at the end
    assert "policy: mayhem 1" in summary and f"({final.pnl_usdc} raw)" in summary, summary

    journal = Journal(journal_path)
    try:
        rows = {row["launch"]["mint"]: row for row in journal.all_positions()}
    finally:
        journal.close()
    assert mints["mayhem"] not in rows
    used = chain.run(bot_instructions(market, owner))
    expected = {"create_v2": ({"BuyV3", "SellV3"}, None), "create": ({"BuyV3", "Sell"}, 24),
                "cashback": ({"BuyV2", "Sell"}, 26), "usdc": ({"BuyV3", "Sell"}, 24)}
    for kind, (names, pool_accounts) in expected.items():
        row = rows[mints[kind]]
        assert row["state"] == "closed" and row["sold_tokens"] == row["bought_tokens"] > 0, (kind, row)
        assert set(used[mints[kind]]) == names, (kind, used[mints[kind]])
        landed = [o["signature"] for o in row["sell_orders"] if o["state"] == "CONFIRMED"]
        on_pool = [accounts for accounts, _ in pool_instructions(chain, landed[-1])]
        # the bot's own pool sell after graduation, none before
        assert on_pool == ([] if pool_accounts is None else [pool_accounts]), (kind, on_pool)
    left = chain.run(token_accounts(market.rpc, owner))
    assert {mint for _, mint, _, _ in left} == {str(pump.USDC_MINT)}, "\n".join(map(str, [*left, mints]))
