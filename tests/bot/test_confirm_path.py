"""ChainAccess.confirm against the local chain (actors/settle_watch.py): status looks, one meta read per
transaction, exact settlement of landed, failed, expired and late transactions, and the stream's
sighting of our own signature ending the back-off. The RPC calls are counted by a pass-through
proxy in front of the real node (tests/bot/test_rpc_adapter.py's FaultServer, no faults)."""
from __future__ import annotations

import asyncio

import pytest

from actors.stream import yellowstone_updates
from actors.trading_io import ChainAccess
from localnet.faults import FaultPlan
from messages.stream import Launch, Trade
from tests.bot.harness import SOL, ChainThread, Market, bot_settings, new_bot_wallet
from tests.bot.test_lifecycle import launch_on_chain
from tests.bot.test_rpc_adapter import FaultServer

pytestmark = pytest.mark.timeout(60)


class Counted:
    """A local chain with faults switchable, a funded bot wallet, and a ChainAccess whose RPC goes
    through a counting proxy (every call reaches the real node)."""

    def __init__(self, tmp_path):
        self.chain = ChainThread(faults=FaultPlan()).start()
        self.market = Market(self.chain)
        self.proxy = FaultServer(self.chain.node.rpc_url, [])
        proxy_url = self.chain.run(self.proxy.__aenter__())
        self.keypair, path = new_bot_wallet(tmp_path)
        self.chain.run(self.market.fund(self.keypair.pubkey(), 2 * SOL))
        self.creator = self.chain.run(self.market.new_wallet(SOL))
        self.trader = self.chain.run(self.market.new_wallet(5 * SOL))
        self.settings = bot_settings(self.chain, path, tmp_path / "runs", **{
            "chain.rpc_urls": [proxy_url], "trading.rebroadcast_ms": 200})
        self.access = ChainAccess(self.settings, shared=False)

    def launch(self, name: str, stale: bool = False) -> Launch:
        """stale: a trader moves the curve after the launch, so a zero-slippage buy fails on chain."""
        return launch_on_chain(self.chain, self.market, self.creator, self.trader, name, stale)

    def faults(self, **settings) -> None:
        async def update():   # the fault plan lives on the chain's loop
            self.chain.node.faults.update(settings)
        self.chain.run(update())

    def balance(self) -> int:
        return self.chain.run(self.chain.rpc.get_balance(self.keypair.pubkey()))

    def calls(self, method: str) -> int:
        return self.proxy.methods.count(method)

    def buy(self, launch: Launch):
        """Sign and send the buy, settle it: (prepared, settlement, wallet lamports before)."""
        before = self.balance()
        prepared = self.chain.run(self.access.prepare_buy(launch))
        self.proxy.methods.clear()
        settled = self.chain.run(self.access.send_and_settle(prepared, launch.mint))
        return prepared, settled, before

    def stop(self) -> None:
        try:
            self.chain.run(self.access.close())
            self.chain.run(self.proxy.__aexit__(None, None, None))
        finally:
            self.chain.stop()


@pytest.fixture
def counted(tmp_path):
    world = Counted(tmp_path)
    try:
        yield world
    finally:
        world.stop()


def test_a_landed_buy_settles_exactly_with_one_meta_read(counted):
    prepared, settled, before = counted.buy(counted.launch("Land"))
    assert settled.found and settled.ok and settled.error == ""
    assert settled.token_delta == prepared.amount > 0
    assert settled.lamport_delta == counted.balance() - before < 0   # exact: fees, rent and price
    assert counted.calls("getTransaction") == 1                       # the meta, read once
    assert counted.calls("getSignatureStatuses") >= 1
    assert counted.calls("getBlockHeight") == 0                       # a known signature cannot expire


def test_a_failed_buy_settles_from_its_meta(counted):
    counted.access.settings = counted.settings.replace(**{"trading.slippage_bps": 0})
    prepared, settled, before = counted.buy(counted.launch("Fail", stale=True))
    assert settled.found and not settled.ok and settled.error
    assert settled.token_delta == 0
    assert settled.lamport_delta == counted.balance() - before < 0   # the fees it paid, to the lamport
    assert counted.calls("getTransaction") == 1


def test_a_dropped_transaction_is_rebroadcast_then_expires_with_its_blockhash(counted):
    launch = counted.launch("Drop")
    # sendTransaction answers, nothing runs; 10 slots of 100 ms: expiry within about a second
    counted.faults(tx={"drop_rate": 1.0}, chain={"blockhash_window": 10})
    _prepared, settled, before = counted.buy(launch)
    assert not settled.found and settled.expired and settled.lamport_delta == 0
    assert counted.balance() == before
    assert counted.access.rebroadcasts >= 1 and counted.calls("sendTransaction") >= 2
    assert counted.calls("getBlockHeight") >= 1
    assert counted.calls("getTransaction") == 1   # the last look before expiry


def test_a_late_transaction_settles_by_polling_when_its_stream_event_is_lost(counted):
    """The chain runs the buy 3 slots after it came; no sighting is told (as when the stream dropped
    the event, or the transaction failed: the stream carries successful ones only)."""
    launch = counted.launch("Late")
    counted.faults(tx={"delay_slots": 3, "delay_rate": 1.0})
    prepared, settled, before = counted.buy(launch)
    assert settled.found and settled.ok and settled.token_delta == prepared.amount
    assert settled.lamport_delta == counted.balance() - before
    assert counted.access.sightings.count == 0
    assert counted.calls("getTransaction") == 1


def test_the_stream_sighting_wakes_the_wait_of_a_late_transaction(counted):
    """A real Yellowstone subscription beside the wait tells it our buy landed, as a PositionActor
    does with its coin's trades (PositionActor._note_own_landings)."""
    launch = counted.launch("Seen")
    counted.faults(tx={"delay_slots": 3, "delay_rate": 1.0})
    prepared = counted.chain.run(counted.access.prepare_buy(launch))
    woken = []

    async def watch_stream(subscribed: asyncio.Event):
        async for _received_at, decode in yellowstone_updates(counted.settings.chain,
                                                              lambda _s: subscribed.set()):
            for item in decode():
                if isinstance(item, Trade) and item.signature == prepared.signature:
                    woken.append(counted.access.sightings.waiting(item.signature))
                    counted.access.sightings.saw(item.signature)

    async def buy_while_watching():
        subscribed = asyncio.Event()
        watcher = asyncio.ensure_future(watch_stream(subscribed))
        await asyncio.wait_for(subscribed.wait(), 10)
        await asyncio.sleep(0.3)   # the subscription is live on the node
        try:
            return await counted.access.send_and_settle(prepared, launch.mint)
        finally:
            watcher.cancel()

    settled = counted.chain.run(buy_while_watching())
    assert settled.found and settled.ok and settled.token_delta == prepared.amount
    assert counted.access.sightings.count == 1 and woken == [True]   # it woke a wait in progress


def test_a_client_at_processed_reads_the_meta_at_confirmed(counted):
    """chain.commitment = processed is allowed; nodes refuse getTransaction below confirmed (the
    local chain as a real one), so the meta is read at confirmed instead of being asked for ever."""
    counted.access = ChainAccess(counted.settings.replace(**{"chain.commitment": "processed"}), shared=False)
    launch = counted.launch("Proc")
    prepared = counted.chain.run(counted.access.prepare_buy(launch))
    settled = counted.chain.run(asyncio.wait_for(counted.access.send_and_settle(prepared, launch.mint), 10))
    assert settled.found and settled.ok and settled.token_delta == prepared.amount
