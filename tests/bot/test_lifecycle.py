"""Position lifecycle on the local chain: buys made to fail, sells before the buy confirms, a buy the
network drops until its blockhash expires, several coins at once. A stand-in Director (which also
grants funds) records what a real PositionActor reports; the journal and the chain are checked."""
from __future__ import annotations

import time

import pytest
from solders.pubkey import Pubkey
from thespian.actors import ActorTypeDispatcher

from actors.position import PositionActor
from adapters.journal import Journal
from adapters.pumpfun.addresses import bonding_curve
from localnet.chain import TransactionRejected
from localnet.faults import FaultPlan
from messages.position import ExitNow, OpenPosition, PositionClosed, TxSent, TxSettled
from messages.start import Peers, StartPosition
from messages.stream import Launch
from messages.wallet import FundsReserved
from tests.bot.harness import SOL, Bot, ChainThread, Market, bot_settings, new_bot_wallet

pytestmark = pytest.mark.timeout(120)
TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"


class StandIn(ActorTypeDispatcher):
    """Plays Director and WalletActor for one PositionActor: grants every reservation, records reports."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen = []

    def receiveMsg_ReserveFunds(self, msg, sender):
        self.send(sender, FundsReserved(msg.request_id, f"res-{msg.request_id}", msg.lamports))

    def receiveMsg_TxSent(self, msg, sender):
        self.seen.append(msg)

    def receiveMsg_TxSettled(self, msg, sender):
        self.seen.append(msg)

    def receiveMsg_PositionClosed(self, msg, sender):
        self.seen.append(msg)

    def receiveMsg_str(self, msg, sender):
        if msg == "seen?":
            self.send(sender, list(self.seen))


def launch_on_chain(chain: ChainThread, market: Market, creator, trader, name: str = "Coin",
                    stale: bool = False) -> Launch:
    """A real launch as the stream reports it; stale: a trader moves the curve before our buy,
    so a buy priced from the launch with zero slippage is bound to fail on the chain."""
    mint = chain.run(market.launch(creator, name))
    state = chain.run(market._curve(Pubkey.from_string(mint)))
    if stale:
        chain.run(market.buy(trader, mint, SOL // 2))
    return Launch(mint, str(bonding_curve(Pubkey.from_string(mint))), str(state.creator),
                  str(creator.pubkey()), name, name[:4], "u", TOKEN_PROGRAM,
                  state.virtual_token_reserves, state.virtual_sol_reserves,
                  state.real_token_reserves, "sig", 1, time.time())


class World:
    """A chain, a market, a funded bot wallet, a stand-in, and positions started against them."""

    def __init__(self, bot: Bot, chain: ChainThread, tmp_path):
        self.bot, self.chain, self.system = bot, chain, bot.system
        self.market = Market(chain)
        self.keypair, path = new_bot_wallet(tmp_path)
        chain.run(self.market.fund(self.keypair.pubkey(), 2 * SOL))
        self.journal_path = tmp_path / "journal.sqlite3"
        self.settings = bot_settings(chain, path, tmp_path / "runs", **{
            "run.journal_path": str(self.journal_path), "run.run_dir": str(tmp_path / "run"),
            "trading.max_hold_seconds": 60})
        self.stand_in = self.system.create_actor(StandIn)
        self.creator = chain.run(self.market.new_wallet(SOL))
        self.trader = chain.run(self.market.new_wallet(5 * SOL))

    def launch(self, name: str = "Coin", stale: bool = False) -> Launch:
        return launch_on_chain(self.chain, self.market, self.creator, self.trader, name, stale)

    def start_position(self, settings=None):
        position = self.system.create_actor(PositionActor)
        peers = Peers(director=self.stand_in, wallet=self.stand_in)
        self.system.tell(position, StartPosition(settings or self.settings, peers, spare=False))
        return position

    def open(self, launch: Launch, exit_at_once: bool = False, settings=None, position_id: str = ""):
        position = self.start_position(settings)
        self.system.tell(position, OpenPosition(position_id or f"pos-{launch.name}", launch, time.time()))
        if exit_at_once:
            self.system.tell(position, ExitNow("test exit"))
        return position

    def seen(self) -> list:
        return self.system.ask(self.stand_in, "seen?", timeout=10)

    def closed(self, mint: str, timeout: float = 30) -> PositionClosed:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.seen() if isinstance(m, PositionClosed) and m.mint == mint]
            if found:
                return found[-1]
            time.sleep(0.1)
        raise TimeoutError(f"{mint} never closed; seen {self.seen()}")

    def row(self, position_id: str) -> dict:
        journal = Journal(self.journal_path)
        try:
            return journal.load(position_id)
        finally:
            journal.close()

    def holdings(self) -> dict:
        return self.chain.run(self.market.holdings(self.keypair.pubkey()))

    def sent(self, mint: str, kind: str) -> list:
        return [m for m in self.seen() if isinstance(m, TxSent) and m.mint == mint and m.kind == kind]


class HoldBuyUntilSell:
    """Chain submit gate: the network delays our buy until our sell arrives, then runs both in
    order (or, sell_first, reordered), so the sell is surely sent before the buy confirmed."""

    def __init__(self, node_chain, owner, sell_first: bool = False):
        self.chain, self.owner, self.sell_first = node_chain, owner, sell_first
        self.held = None
        self.released = False

    def __call__(self, tx) -> bool:
        if tx.message.account_keys[0] != self.owner or self.released:
            return False
        if self.held is None:
            self.held = tx   # the buy: held back
            return True
        buy, self.held, self.released = self.held, None, True
        for each in ((tx, buy) if self.sell_first else (buy,)):
            try:
                self.chain.execute(each)
            except TransactionRejected:
                pass   # never landed (no fee): the bot sees it expire
        return self.sell_first   # True: the sell already ran; False: submit runs it now


@pytest.fixture
def world(tmp_path):
    bot = Bot()   # the actor system first: it forks before the chain thread exists
    chain = None
    try:
        chain = ChainThread(faults=FaultPlan()).start()
        yield World(bot, chain, tmp_path)
    finally:
        bot.stop()
        if chain is not None:
            chain.stop()


def assert_balanced(world: World, row: dict) -> None:
    """A closed position sold exactly what it bought, and the wallet holds none of it."""
    assert row["state"] == "closed" and row["bought_tokens"] == row["sold_tokens"] > 0
    assert row["launch"]["mint"] not in world.holdings()


def test_buy_fails_before_a_sell_is_sent(world):
    launch = world.launch("Fail1", stale=True)
    world.open(launch, settings=world.settings.replace(**{"trading.slippage_bps": 0}))
    closed = world.closed(launch.mint)
    assert (closed.outcome, closed.state, closed.presell) == ("buy_failed", "failed", "")
    row = world.row("pos-Fail1")
    assert row["state"] == "failed" and row["buy_order"]["state"] == "FAILED"
    assert row["sell_orders"] == [] and world.sent(launch.mint, "sell") == []
    assert launch.mint not in world.holdings()


def test_buy_fails_after_a_sell_was_sent(world):
    launch = world.launch("Fail2", stale=True)
    world.chain.node.chain.submit_gate = HoldBuyUntilSell(world.chain.node.chain, world.keypair.pubkey())
    world.open(launch, exit_at_once=True, settings=world.settings.replace(**{"trading.slippage_bps": 0}))
    closed = world.closed(launch.mint)
    assert (closed.outcome, closed.state, closed.presell) == ("buy_failed", "failed", "presell_buy_failed")
    row = world.row("pos-Fail2")
    assert row["buy_order"]["state"] == "FAILED"
    assert [o["state"] for o in row["sell_orders"]] == ["FAILED"]   # both outcomes recorded
    assert row["sell_orders"][0]["before_buy_confirmed"] is True
    settled = {m.signature: m for m in world.seen() if isinstance(m, TxSettled)}
    assert row["pnl_lamports"] == sum(m.lamport_delta for m in settled.values()) < 0   # fees only


@pytest.mark.parametrize("sell_first", [False, True], ids=["in_order", "reordered"])
def test_sell_before_confirmation(world, sell_first):
    """In order: both land. Reordered: the sell fails (no tokens yet) and is sent again after."""
    launch = world.launch("Both")
    world.chain.node.chain.submit_gate = HoldBuyUntilSell(world.chain.node.chain,
                                                          world.keypair.pubkey(), sell_first)
    world.open(launch, exit_at_once=True)
    closed = world.closed(launch.mint)
    expected = "presell_retried" if sell_first else "presell_both_landed"
    assert (closed.outcome, closed.presell) == ("sold", expected)
    row = world.row("pos-Both")
    first = row["sell_orders"][0]
    assert first["before_buy_confirmed"] is True and first["amount"] == row["expected_tokens"]
    assert row["expected_tokens"] == row["bought_tokens"]   # pump.fun fixes the amount in the buy
    assert [o["state"] for o in row["sell_orders"]] == (["FAILED", "CONFIRMED"] if sell_first
                                                        else ["CONFIRMED"])
    assert len(world.sent(launch.mint, "buy")) == 1
    assert_balanced(world, row)


def test_dropped_buy_expires_with_its_blockhash(world):
    launch = world.launch("Drop")
    plan = world.chain.node.faults

    async def drop_everything():   # the fault plan lives on the chain's loop
        # sendTransaction answers, nothing runs; 10 slots of 100 ms: expiry within about a second
        plan.update({"tx": {"drop_rate": 1.0}, "chain": {"blockhash_window": 10}})
    world.chain.run(drop_everything())
    world.open(launch)
    closed = world.closed(launch.mint, timeout=20)
    assert plan.counters.tx_dropped >= 1
    assert (closed.outcome, closed.state) == ("buy_failed", "failed")
    row = world.row("pos-Drop")
    assert row["buy_order"]["state"] == "EXPIRED" and row["sell_orders"] == []
    assert launch.mint not in world.holdings()


def test_several_coins_at_once(world):
    launches = [world.launch(f"Many{index}") for index in range(3)]
    positions = [world.open(launch) for launch in launches]
    time.sleep(1.0)   # all bought and held together
    for position in positions:
        world.system.tell(position, ExitNow("test exit"))
    for launch in launches:
        assert world.closed(launch.mint).outcome == "sold"
        row = world.row(f"pos-{launch.name}")
        assert row["sell_orders"][-1]["state"] == "CONFIRMED"
        assert_balanced(world, row)
    assert world.holdings() == {}
