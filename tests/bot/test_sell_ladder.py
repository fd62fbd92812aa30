"""The must-sell ladder and rebroadcast on the local chain with injected faults: dropped sells move
the SellerActor from native x3 to Jupiter (counted on the chain and on the Jupiter API); every rung
failing ends "unsellable" with its reason and the tokens still in the wallet for the next sweep;
a transaction the network drops is rebroadcast (same signature) until it lands.
A short blockhash window (10 slots of 100 ms) makes each dropped attempt expire within a second."""
from __future__ import annotations

import time

import pytest

from actors import sell_ladder
from actors.seller import SellerActor
from actors.trading_io import token_accounts
from actors.wallet import WalletActor
from localnet.faults import FaultPlan
from messages.position import ExitNow
from messages.seller import SellFailed, SellSucceeded, SellTokens
from messages.start import Peers, StartSeller, StartWallet
from messages.wallet import BalancesReport, RefreshBalances
from tests.bot.harness import SOL, Bot, ChainThread, Market, bot_settings, new_bot_wallet
from tests.bot.test_lifecycle import World, assert_balanced

pytestmark = pytest.mark.timeout(120)


class DropFirstSends:
    """Chain submit gate: drops our wallet's first `signatures` distinct transactions (every send
    of them, rebroadcasts included), and the first `copies` sends of every later one."""

    def __init__(self, owner, signatures: int = 0, copies: int = 0):
        self.owner, self.signatures, self.copies = owner, signatures, copies
        self.seen: dict = {}   # signature -> sends that reached the chain, in order of first send

    def __call__(self, tx) -> bool:
        if tx.message.account_keys[0] != self.owner:
            return False
        signature = tx.signatures[0]
        self.seen[signature] = self.seen.get(signature, 0) + 1
        if list(self.seen).index(signature) < self.signatures:
            return True
        return self.seen[signature] <= self.copies


def test_the_ladder_is_native_x3_then_jupiter_x3_with_backoff_restarting_per_rung():
    assert [sell_ladder.rung_for(n) for n in range(7)] == ["native"] * 3 + ["jupiter"] * 3 + [None]
    assert [sell_ladder.backoff_seconds(n, 1.0) for n in range(1, 7)] == [1, 2, 4, 1, 2, 4]
    assert sell_ladder.first_attempt_of("jupiter") == 3   # a complete curve jumps here


@pytest.fixture
def seller_world(tmp_path):
    bot = Bot()   # the actor system first: its admin must not be forked from a threaded process
    chain = ChainThread(api_port=0, faults=FaultPlan()).start()
    try:
        market = Market(chain)
        keypair, path = new_bot_wallet(tmp_path)
        chain.run(market.fund(keypair.pubkey(), 2 * SOL))
        settings = bot_settings(chain, path, tmp_path / "runs", **{
            "chain.jupiter_url": chain.node.api_url, "trading.rebroadcast_ms": 200})
        creator = chain.run(market.new_wallet(SOL // 10))
        mint = chain.run(market.launch(creator, "Ladder"))
        chain.run(market.buy(keypair, mint, 50_000_000))   # the bot's key holds tokens to sell
        wallet, seller = bot.system.create_actor(WalletActor), bot.system.create_actor(SellerActor)
        peers = Peers(wallet=wallet, seller=seller)
        bot.system.tell(wallet, StartWallet(settings, peers))
        bot.system.tell(seller, StartSeller(settings, peers))
        assert isinstance(bot.system.ask(wallet, RefreshBalances("ready"), timeout=20), BalancesReport)
        yield bot, chain, market, keypair, seller, mint
    finally:
        bot.stop()
        chain.stop()


def short_blockhash_window(chain: ChainThread, drop_rate: float = 0.0) -> None:
    async def apply():   # the fault plan lives on the chain's loop
        chain.node.faults.update({"tx": {"drop_rate": drop_rate}, "chain": {"blockhash_window": 10}})
    chain.run(apply())


def test_three_dropped_native_sells_then_jupiter_sells(seller_world):
    bot, chain, market, keypair, seller, mint = seller_world
    held = chain.run(market.holdings(keypair.pubkey()))[mint]
    short_blockhash_window(chain)
    gate = DropFirstSends(keypair.pubkey(), signatures=3)
    chain.node.chain.submit_gate = gate
    counters = chain.node.api.jupiter_counters

    reply = bot.system.ask(seller, SellTokens("ladder", mint, reason="test"), timeout=90)

    assert isinstance(reply, SellSucceeded), reply
    assert reply.attempts == 4 and reply.tokens_sold == held
    # 3 native signatures dropped (each rebroadcast), the 4th (Jupiter's) landed, then the close of
    # the token account Jupiter's route left open (actors/account_close.py)
    assert len(gate.seen) == 5
    assert all(sends >= 2 for sends in list(gate.seen.values())[:3])   # rebroadcast until expiry
    assert counters["swaps"] == 1   # the 4th attempt was Jupiter's: one swap transaction built
    assert mint not in chain.run(market.holdings(keypair.pubkey()))
    assert chain.run(token_accounts(chain.rpc, keypair.pubkey())) == []   # closed, rent back


def test_every_rung_failing_is_unsellable_with_its_reason_and_tokens_stay(seller_world):
    bot, chain, market, keypair, seller, mint = seller_world
    held = chain.run(market.holdings(keypair.pubkey()))[mint]
    short_blockhash_window(chain, drop_rate=1.0)   # the network drops every transaction
    counters = chain.node.api.jupiter_counters

    reply = bot.system.ask(seller, SellTokens("doomed", mint, reason="test"), timeout=110)

    assert isinstance(reply, SellFailed), reply
    assert reply.attempts == sell_ladder.MAX_ATTEMPTS == 6
    assert "native x3, jupiter x3" in reply.reason and "blockhash expired" in reply.reason
    assert counters["swaps"] == 3 and chain.node.faults.counters.tx_dropped >= 6
    assert chain.run(market.holdings(keypair.pubkey()))[mint] == held   # still there for a sweep
    short_blockhash_window(chain, drop_rate=0.0)   # the network recovers: the next sweep sells them
    again = bot.system.ask(seller, SellTokens("sweep", mint, reason="test"), timeout=60)
    assert isinstance(again, SellSucceeded) and again.tokens_sold == held


@pytest.fixture
def position_world(tmp_path):
    bot = Bot()
    chain = None
    try:
        chain = ChainThread(api_port=0, faults=FaultPlan()).start()
        world = World(bot, chain, tmp_path)
        world.settings = world.settings.replace(**{"trading.rebroadcast_ms": 200,
                                                   "chain.jupiter_url": chain.node.api_url})
        yield world
    finally:
        bot.stop()
        if chain is not None:
            chain.stop()


def test_dropped_buy_and_sell_land_by_rebroadcast_with_one_signature_each(position_world):
    world = position_world
    gate = DropFirstSends(world.keypair.pubkey(), copies=2)   # every first and second send lost
    world.chain.node.chain.submit_gate = gate
    launch = world.launch("Rebroadcast")

    position = world.open(launch)
    wait_for_holding(world, launch.mint)
    world.system.tell(position, ExitNow("test exit"))
    closed = world.closed(launch.mint, timeout=30)

    assert closed.outcome == "sold", closed
    row = world.row("pos-Rebroadcast")
    assert_balanced(world, row)
    signatures = [row["buy_order"]["signature"]] + [o["signature"] for o in row["sell_orders"]]
    assert row["buy_order"]["state"] == "CONFIRMED"
    assert [o["state"] for o in row["sell_orders"]] == ["CONFIRMED"]   # one sell, never re-signed
    assert len(world.sent(launch.mint, "buy")) == 1   # the buy was signed once
    for signature in signatures:   # each landed on its 3rd send: the same bytes, rebroadcast
        assert gate.seen[_signature(signature)] >= 3


def wait_for_holding(world: World, mint: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while mint not in world.holdings():   # the buy landed
        assert time.monotonic() < deadline, "the buy never landed"
        time.sleep(0.1)


def _signature(text: str):
    from solders.signature import Signature
    return Signature.from_string(text)


def test_a_position_whose_sells_all_drop_is_unsellable_after_both_rungs(position_world):
    world = position_world
    launch = world.launch("Doomed")
    position = world.open(launch)
    wait_for_holding(world, launch.mint)
    short_blockhash_window(world.chain, drop_rate=1.0)

    world.system.tell(position, ExitNow("test exit"))
    closed = world.closed(launch.mint, timeout=90)

    assert (closed.outcome, closed.state) == ("unsellable", "failed"), closed
    assert "native x3, jupiter x3" in closed.detail and "expired" in closed.detail
    row = world.row("pos-Doomed")
    assert [o["state"] for o in row["sell_orders"]] == ["EXPIRED"] * 6
    assert world.chain.node.api.jupiter_counters["swaps"] == 3
    assert world.holdings()[launch.mint] == row["bought_tokens"]   # left for the next sweep
