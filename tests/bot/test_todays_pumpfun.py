"""Today's pump.fun, traded by the running bot: create_v2 (Token-2022) coins bought and sold through
v3 and through v2 (trading.instruction_set), a cashback coin routed to v2 (v3 refuses it), a mayhem
coin skipped by policy, with PnL equal to the wallet's lamport change and no token left. Coins are
launched with the docs-written create_v2 of tests/localnet/test_pump_v2.py, not the bot's builders.
Also: a journal row written before Launch carried the coin-kind fields still loads."""
from __future__ import annotations

import dataclasses
import time

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature

from actors.position_model import Position
from actors.trading_io import token_accounts
from adapters.journal import Journal
from adapters.pumpfun import venue
from messages.stream import SOL_QUOTE_MINT, Launch
from tests.bot.harness import SOL, ChainThread, Market, bot_settings, bot_world, new_bot_wallet
from tests.localnet.test_pump_v2 import create_v2

pytestmark = pytest.mark.timeout(150)


@pytest.fixture
def world(tmp_path):
    with bot_world(tmp_path) as world:
        yield world.bot, world.chain, world.market, world.keypair, world.wallet_path


async def launch_v2(market: Market, creator: Keypair, name: str, mayhem=False, cashback=None) -> str:
    mint = Keypair()
    ix = create_v2(mint.pubkey(), creator.pubkey(), creator.pubkey(), mayhem=mayhem, cashback=cashback,
                   name=name, symbol=name[:4].upper(), uri=f"https://example.invalid/{name}.json")
    await market.send_tx(creator, [ix], [creator, mint])
    return str(mint.pubkey())


async def bot_instructions(market: Market, owner: Pubkey) -> dict[str, list[str]]:
    """mint -> the pump.fun instruction names of the bot's successful transactions touching it."""
    resp = await market.rpc.call("getSignaturesForAddress", lambda c: c.get_signatures_for_address(owner))
    found: dict[str, list[str]] = {}
    for entry in resp.value:
        tx = await market.rpc.call("getTransaction", lambda c, s=entry.signature: c.get_transaction(
            s, max_supported_transaction_version=0))
        meta = await market.rpc.get_transaction_meta(str(entry.signature))
        if meta is None or meta.err is not None:
            continue
        keys = [str(k) for k in tx.value.transaction.transaction.message.account_keys]
        names = [line.split("Instruction: ", 1)[1] for line in meta.log_messages
                 if line.startswith("Program log: Instruction: ") and line[26:27] in "BS"]
        for mint in keys:
            found.setdefault(mint, []).extend(n for n in names if n.startswith(("Buy", "Sell")))
    return found


def trade(bot, chain, market, keypair, settings, coins: list[dict], buys: int = 1) -> tuple:
    """Start the bot, launch `coins` (kwargs of launch_v2), wait for `buys` buys, close all; returns
    (final status, mint -> the instruction names of the bot's transactions on it)."""
    start_balance = chain.run(market.balance(keypair.pubkey()))
    bot.start(settings)
    bot.wait_until_streaming(chain, market)
    seen_before = bot.status().coins_seen
    creator = chain.run(market.new_wallet(SOL))
    mints = []
    for index, kwargs in enumerate(coins):
        mints.append(chain.run(launch_v2(market, creator, f"Today{index}", **kwargs)))
        time.sleep(0.5)
    bot.wait_for(lambda s: s.coins_seen >= seen_before + len(coins), timeout=30)
    bot.wait_for(lambda s: s.bought >= buys, timeout=30)
    time.sleep(1.0)
    bot.close_all()
    final = bot.wait_for(lambda s: s.active_positions == 0 and s.unresolved_signatures == 0, timeout=60)
    end_balance = chain.run(market.balance(keypair.pubkey()))
    assert final.pnl_lamports == end_balance - start_balance     # exact: fees, rents and refunds
    assert chain.run(market.holdings(keypair.pubkey())) == {}     # every token sold
    assert chain.run(token_accounts(market.rpc, keypair.pubkey())) == []   # Token-2022 accounts closed: rent back
    used = chain.run(bot_instructions(market, keypair.pubkey()))
    return final, {mint: used.get(mint, []) for mint in mints}


@pytest.mark.parametrize("instruction_set, exact_in, buy, sell", [
    ("v3", False, "BuyV3", "SellV3"), ("v2", False, "BuyV2", "SellV2"), ("legacy", False, "Buy", "Sell"),
    ("v3", True, "BuyExactQuoteInV3", "SellV3"), ("legacy", True, "BuyExactSolIn", "Sell")])
def test_create_v2_coins_traded_through_the_configured_generation(world, tmp_path, instruction_set, exact_in,
                                                                  buy, sell):
    bot, chain, market, keypair, path = world
    settings = bot_settings(chain, path, tmp_path / "runs", **{"trading.instruction_set": instruction_set,
                                                               "trading.exact_in_buys": exact_in})
    final, used = trade(bot, chain, market, keypair, settings, [{}, {}])
    assert final.bought >= 1 and final.sold == final.bought
    traded = {mint: names for mint, names in used.items() if names}
    assert traded, used
    for names in traded.values():
        assert set(names) == {buy, sell}, names   # newest first: the sell, then the buy


def test_auto_sends_cashback_coins_through_v2_and_skips_mayhem(world, tmp_path):
    bot, chain, market, keypair, path = world
    settings = bot_settings(chain, path, tmp_path / "runs", **{"trading.instruction_set": "auto"})
    assert settings.trading.trade_mayhem is False and settings.trading.trade_cashback is True
    final, used = trade(bot, chain, market, keypair, settings, [{"mayhem": True}, {"cashback": True}, {}],
                        buys=2)
    mayhem, cashback, plain = used.values()
    assert final.skips.get("policy: mayhem") == 1 and mayhem == []
    assert set(cashback) == {"BuyV2", "SellV2"}, used
    assert set(plain) == {"BuyV3", "SellV3"}, used


@pytest.mark.parametrize("instruction_set, buy, sell", [("v2", "BuyV2", "SellV2"), ("legacy", "Buy", "Sell")])
def test_mayhem_coins_pay_a_reserved_fee_recipient_when_traded(world, tmp_path, instruction_set, buy, sell):
    """The chain refuses a normal fee recipient on a mayhem coin: a round trip proves the reserved one."""
    bot, chain, market, keypair, path = world
    settings = bot_settings(chain, path, tmp_path / "runs", **{"trading.instruction_set": instruction_set,
                                                               "trading.trade_mayhem": True})
    final, used = trade(bot, chain, market, keypair, settings, [{"mayhem": True}])
    assert final.bought >= 1 and final.sold == final.bought and "policy: mayhem" not in final.skips
    (names,) = used.values()
    assert set(names) == {buy, sell}, used


def test_policy_reasons():
    from config.settings import load_settings
    trading = load_settings(env={}).trading
    base = dict(mint="M", bonding_curve="C", creator="Cr", user="U", name="n", symbol="s", uri="u",
                token_program="T", virtual_token_reserves=1, virtual_sol_reserves=1, real_token_reserves=1,
                signature="S", slot=1, received_at=0.0)
    assert venue.policy_refusal(Launch(**base), trading) == ""
    usdc = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
    assert venue.policy_refusal(Launch(**base, quote_mint=usdc), trading) == "policy: usdc-paired"
    assert venue.policy_refusal(Launch(**base, is_mayhem_mode=True), trading) == "policy: mayhem"
    assert venue.policy_refusal(Launch(**base, is_cashback_coin=True), trading) == ""
    no_cashback = dataclasses.replace(trading, trade_cashback=False, trade_mayhem=True)
    assert venue.policy_refusal(Launch(**base, is_cashback_coin=True), no_cashback) == "policy: cashback"
    assert venue.policy_refusal(Launch(**base, is_mayhem_mode=True), no_cashback) == ""
    assert [venue.generation_for(c, s) for c in (False, True) for s in ("auto", "v3", "v2", "legacy")] == \
        ["v3", "v3", "v2", "legacy", "v2", "v2", "v2", "legacy"]


def test_an_old_journal_row_without_the_coin_kind_fields_still_loads(tmp_path):
    """A row journaled before Launch had quote_mint / is_mayhem_mode / is_cashback_coin."""
    launch = {"mint": str(Pubkey.new_unique()), "bonding_curve": "C", "creator": str(Pubkey.new_unique()),
              "user": "U", "name": "Old", "symbol": "OLD", "uri": "https://x", "token_program":
              "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA", "virtual_token_reserves": 1_073_000_000_000_000,
              "virtual_sol_reserves": 30 * SOL, "real_token_reserves": 793_100_000_000_000,
              "signature": str(Signature.default()), "slot": 7, "received_at": 1.0}
    row = {"position_id": "pos-old", "mint": launch["mint"], "state": "active", "launch": launch,
           "expected_tokens": 5, "bought_tokens": 5, "sold_tokens": 0, "pnl_lamports": -10, "exit_reason": "",
           "exit_at": 0.0, "outcome": "", "opened_at": 1.0, "updated_at": 1.0, "buy_order": None,
           "sell_orders": [], "wallet": "W", "genesis_hash": "G"}
    journal = Journal(tmp_path / "journal.sqlite3")
    try:
        journal.save(row)
        (loaded,) = [r for r in journal.open_positions() if r["position_id"] == "pos-old"]
    finally:
        journal.close()
    position = Position.from_row(loaded)
    assert (position.launch.quote_mint, position.launch.is_mayhem_mode, position.launch.is_cashback_coin) == \
        (SOL_QUOTE_MINT, False, False)
    assert position.launch.sol_paired and position.to_row()["launch"]["quote_mint"] == SOL_QUOTE_MINT


@pytest.mark.parametrize("instruction_set", ["v3", "v2", "legacy"])
def test_a_refused_fee_recipient_makes_the_bot_reread_global(tmp_path, instruction_set):
    """The cached recipients go stale (here: replaced by keys Global never listed, as after a fee
    recipient rotation): the buy fails on the chain with NotAuthorized, ChainAccess drops its cache,
    and the next buy, built from Global read again, lands. ChainAccess against the real chain."""
    from actors.trading_io import ChainAccess
    chain = ChainThread().start()
    try:
        market = Market(chain)
        keypair, path = new_bot_wallet(tmp_path)
        chain.run(market.fund(keypair.pubkey(), 2 * SOL))
        settings = bot_settings(chain, path, tmp_path / "runs", **{"trading.instruction_set": instruction_set})
        access = ChainAccess(settings)
        creator = chain.run(market.new_wallet(SOL))
        mint = chain.run(launch_v2(market, creator, "Rotated"))
        state = chain.run(market._curve(Pubkey.from_string(mint)))
        launch = Launch(mint, "", str(state.creator), str(creator.pubkey()), "Rotated", "ROT", "u",
                        "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb", state.virtual_token_reserves,
                        state.virtual_sol_reserves, state.real_token_reserves, "sig", 1, time.time())
        chain.run(access.fee_rates())
        stale = Pubkey.new_unique()
        if instruction_set == "v3":   # v3 names no fee recipient: only the buyback one can be refused
            access.fees = dataclasses.replace(access.fees, buyback_fee_recipients=(stale,))
        else:
            access.fees = dataclasses.replace(access.fees, fee_recipients=(stale,))

        async def buy_once():
            prepared = await access.prepare_buy(launch)
            return await access.send_and_settle(prepared, mint)
        refused = chain.run(buy_once())
        assert not refused.ok and venue.is_fee_recipient_error(refused.error), refused
        assert access.fees is None                       # dropped: the next prepare reads Global
        landed = chain.run(buy_once())
        assert landed.ok and landed.token_delta > 0, landed
        assert stale not in access.fees.fee_recipients + access.fees.buyback_fee_recipients
        chain.run(access.close())
    finally:
        chain.stop()
