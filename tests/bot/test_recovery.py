"""Crash recovery from the journal: SIGKILL of a PositionActor in each state, then a new one resumes
from its row; SIGKILL of the whole bot mid-trade, then a new bot on the same journal. Every position
ends closed or failed, nothing is bought or sold twice, and the journal agrees with the chain."""
from __future__ import annotations

import contextlib
import os
import signal
import time

import pytest
from solders.signature import Signature

from actors.system import group_processes
from adapters.journal import OPEN_STATES, Journal
from messages.lifecycle import LifecycleStatsRequest
from messages.position import ExitNow, RecoverPosition
from messages.status import PidReply, PidRequest
from tests.bot.harness import SOL, Bot, ChainThread, Market, bot_settings, new_bot_wallet
from tests.bot.test_lifecycle import World

pytestmark = pytest.mark.timeout(150)


class HoldNth:
    """Chain submit gate: holds back the bot's n-th transaction (1 = the buy, 2 = the first sell)
    until release() delivers it late, or for ever (dropped). Counted by signature: rebroadcasts of
    the held transaction are swallowed too, and do not count as the next one."""

    def __init__(self, node_chain, owner, nth: int):
        self.chain, self.owner, self.nth = node_chain, owner, nth
        self.seen: list = []
        self.held = None

    def __call__(self, tx) -> bool:
        if tx.message.account_keys[0] != self.owner:
            return False
        signature = tx.signatures[0]
        if signature not in self.seen:
            self.seen.append(signature)
        if self.seen.index(signature) + 1 == self.nth:
            self.held = tx
            return True
        return False

    async def release(self) -> None:
        if self.held is not None:
            self.chain.execute(self.held)


class HoldEverything:
    """Chain submit gate: from now on holds every transaction of the bot (each signature once;
    rebroadcasts swallowed) until release() delivers them late, in the order they came."""

    def __init__(self, node_chain, owner):
        self.chain, self.owner = node_chain, owner
        self.held: dict = {}

    def __call__(self, tx) -> bool:
        if tx.message.account_keys[0] != self.owner:
            return False
        self.held.setdefault(tx.signatures[0], tx)
        return True

    async def release(self) -> None:
        self.chain.submit_gate = None
        for tx in self.held.values():
            with contextlib.suppress(Exception):   # a sell before its buy may fail: that is on chain too
                self.chain.execute(tx)


@pytest.fixture
def world(tmp_path):
    bot = Bot()
    chain = None
    try:
        chain = ChainThread().start()
        yield World(bot, chain, tmp_path)
    finally:
        bot.stop()
        if chain is not None:
            chain.stop()


def wait_row(world: World, position_id: str, predicate, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = world.row(position_id)
        if row is not None and predicate(row):
            return row
        time.sleep(0.05)
    raise TimeoutError(f"{position_id}: last row {world.row(position_id)}")


def sigkill(world: World, actor) -> None:
    reply = world.system.ask(actor, PidRequest("pid"), timeout=10)
    assert isinstance(reply, PidReply)
    os.kill(reply.pid, signal.SIGKILL)
    time.sleep(0.2)


def orders(row: dict) -> list:
    return ([row["buy_order"]] if row["buy_order"] else []) + row["sell_orders"]


@pytest.mark.parametrize("state", ["pending", "pending_dropped", "active", "closing"])
def test_position_killed_in_each_state_resumes_from_its_row(world, state):
    node_chain, owner = world.chain.node.chain, world.keypair.pubkey()
    if state == "pending_dropped":
        async def shorten():
            node_chain.set_blockhash_window(10)
        world.chain.run(shorten())
    gate = HoldNth(node_chain, owner, nth=2 if state == "closing" else 1)
    if state != "active":
        node_chain.submit_gate = gate
    launch = world.launch(f"Kill{state[:4]}")
    position_id = f"pos-{launch.name}"
    actor = world.open(launch, position_id=position_id)
    if state.startswith("pending"):
        wait_row(world, position_id, lambda r: r["buy_order"] is not None)
    else:
        wait_row(world, position_id, lambda r: r["state"] == "active")
        if state == "closing":
            world.system.tell(actor, ExitNow("test exit"))
            wait_row(world, position_id, lambda r: r["sell_orders"])
    sigkill(world, actor)
    before = world.row(position_id)
    assert before["state"] == {"active": "active", "closing": "closing"}.get(state, "pending")
    if state != "pending_dropped":
        world.chain.run(gate.release())   # what the dead actor sent lands after all
    node_chain.submit_gate = None
    sent_before = len(world.seen())
    restarted = world.start_position()
    world.system.tell(restarted, RecoverPosition(position_id, launch))
    if state in ("pending", "active"):
        wait_row(world, position_id, lambda r: r["state"] == "active")
        world.system.tell(restarted, ExitNow("test exit"))
    closed = world.closed(launch.mint, timeout=30)
    row = world.row(position_id)
    # the restarted actor re-sent nothing it found in the journal
    for kept in orders(before):
        assert [o for o in orders(row) if o["signature"] == kept["signature"]]
    assert len([o for o in orders(row) if o["kind"] == "buy"]) == 1
    new_sends = [m for m in world.seen()[sent_before:] if type(m).__name__ == "TxSent"]
    journaled = {o["signature"] for o in orders(before)}   # re-told to the Director (booked once), not re-sent
    assert all(m.kind == "sell" or m.signature in journaled for m in new_sends), new_sends
    if state == "pending_dropped":
        assert (closed.outcome, row["state"], row["buy_order"]["state"]) == ("buy_failed", "failed", "EXPIRED")
    else:
        assert closed.outcome == "sold" and row["state"] == "closed"
        assert row["bought_tokens"] == row["sold_tokens"] > 0
        assert state != "closing" or len(row["sell_orders"]) == 1   # the in-flight sell was confirmed
    assert launch.mint not in world.holdings()


# ---- the whole bot ---------------------------------------------------------------------------------
@pytest.fixture
def two_bots(tmp_path):
    """Two actor systems made before the chain thread (forking must precede threads): the first is
    killed mid-trade, the second restarts on the same journal."""
    first, second = Bot(), Bot()
    chain = None
    try:
        chain = ChainThread().start()
        yield first, second, chain
    finally:
        pgids = (first.system.pgid, second.system.pgid)
        first.stop()
        second.stop()
        if chain is not None:
            chain.stop()
        assert all(group_processes(pgid) == [] for pgid in pgids)


@pytest.mark.parametrize("moment", ["buying", "selling"])
def test_whole_bot_killed_mid_trade_then_restarted(two_bots, tmp_path, moment):
    first, second, chain = two_bots
    market = Market(chain)
    keypair, path = new_bot_wallet(tmp_path)
    chain.run(market.fund(keypair.pubkey(), 2 * SOL))
    journal_path = tmp_path / "shared-journal.sqlite3"
    settings = bot_settings(chain, path, tmp_path / "runs", **{
        "run.journal_path": str(journal_path), "trading.max_hold_seconds": 60,
        "trading.take_profit_pct": 10_000, "trading.stop_loss_pct": 99})
    first.start(settings)
    first.wait_until_streaming(chain, market)
    creator = chain.run(market.new_wallet(SOL))
    journal = Journal(journal_path)
    if moment == "buying":   # dies the moment the journal shows a buy on its way
        chain.run(market.launch(creator, "Crash"))
        deadline = time.monotonic() + 20
        while not any(r["buy_order"] for r in journal.all_positions()):
            assert time.monotonic() < deadline, "no buy was sent"
            time.sleep(0.002)
    else:
        for index in range(3):
            chain.run(market.launch(creator, f"Crash{index}"))
            time.sleep(0.3)
        first.wait_for(lambda s: s.bought >= 2, timeout=30, poll=0.05)
        # the sells go out and are held by the network, so the whole bot surely dies while they
        # are in flight (a fixed sleep raced with sells that landed before the kill)
        gate = HoldEverything(chain.node.chain, keypair.pubkey())
        chain.node.chain.submit_gate = gate
        first.close_all()
        deadline = time.monotonic() + 20
        while not any(o["state"] == "SENT" for r in journal.all_positions() for o in r["sell_orders"]):
            assert time.monotonic() < deadline, "no sell was sent"
            time.sleep(0.002)
    victims = group_processes(first.system.pgid)
    for process in victims:
        with contextlib.suppress(ProcessLookupError):   # the root may be ending the orphans too
            os.kill(process.pid, signal.SIGKILL)
    assert victims
    opened = journal.all_positions()
    assert opened
    if moment == "selling":   # the dead bot's sells land late: the new bot must find them
        chain.run(gate.release())
    second.start(settings)   # the new Director resumes what the journal says is open
    second.close_all()
    second.wait_for(lambda s: s.active_positions == 0 and s.unresolved_signatures == 0, timeout=60)
    stats = second.system.ask(second.director, LifecycleStatsRequest("lc"), timeout=10)
    open_at_crash = [r for r in opened if r["state"] in OPEN_STATES]
    assert open_at_crash and stats.counts.get("recovered") == len(open_at_crash)
    assert stats.counts.get("buys_sent", 0) == 0   # the new bot bought nothing again
    rows = journal.all_positions()
    assert {r["position_id"] for r in rows} == {r["position_id"] for r in opened}
    for row in rows:
        assert row["state"] in ("closed", "failed"), row
        if row["state"] == "closed":   # sold exactly once, every token
            assert row["bought_tokens"] == row["sold_tokens"] > 0
            assert [o["state"] for o in row["sell_orders"]].count("CONFIRMED") == 1
    assert chain.run(market.holdings(keypair.pubkey())) == {}
    assert_journal_agrees_with_chain(chain, keypair.pubkey(), rows)


def assert_journal_agrees_with_chain(chain: ChainThread, owner, rows: list) -> None:
    """Every transaction our wallet paid for is a journaled order in the state the chain shows."""
    node_chain = chain.node.chain
    journaled = {o["signature"]: o for row in rows for o in orders(row)}

    async def ours():
        paid = {}
        for signature, _ in journaled.items():
            record = node_chain.get_record(Signature.from_string(signature))
            paid[signature] = None if record is None else (record.err is None)
        return paid
    landed = chain.run(ours())
    for signature, order in journaled.items():
        expected = {"CONFIRMED": True, "FAILED": False, "EXPIRED": None}[order["state"]]
        assert landed[signature] == expected, (order, landed[signature])
    buys = [o for o in journaled.values() if o["kind"] == "buy"]
    assert len(buys) == len({row["position_id"] for row in rows if row["buy_order"]})


def test_a_restarted_position_rebroadcasts_its_journaled_buy_until_it_lands(world):
    """The buy is dropped (every send of it swallowed) and its PositionActor killed while it is
    SENT: the restarted one finds the signed bytes in the journal and rebroadcasts them, so the
    same signature lands (not signed again) before its blockhash expires, instead of expiring."""
    node_chain, owner = world.chain.node.chain, world.keypair.pubkey()

    async def shorten():   # the bytes are rebroadcast every 2 s; unsent, the buy expires in ~12 s
        node_chain.set_blockhash_window(30)
    world.chain.run(shorten())
    node_chain.submit_gate = gate = HoldNth(node_chain, owner, nth=1)
    launch = world.launch("Rebro")
    position_id = f"pos-{launch.name}"
    actor = world.open(launch, position_id=position_id)
    before = wait_row(world, position_id, lambda r: r["buy_order"] is not None)
    wait_for = time.monotonic() + 10
    while gate.held is None and time.monotonic() < wait_for:
        time.sleep(0.02)
    sigkill(world, actor)
    node_chain.submit_gate = None                           # dropped, never delivered by the test
    restarted = world.start_position()
    world.system.tell(restarted, RecoverPosition(position_id, launch))
    row = wait_row(world, position_id, lambda r: r["state"] != "pending", timeout=30)
    assert row["buy_order"]["signature"] == before["buy_order"]["signature"]
    assert (row["state"], row["buy_order"]["state"]) == ("active", "CONFIRMED")
    assert before["buy_order"]["raw"] and row["buy_order"]["raw"] == ""   # journaled before the send; dropped once settled
    world.system.tell(restarted, ExitNow("test exit"))
    assert world.closed(launch.mint).outcome == "sold"
    assert launch.mint not in world.holdings()
