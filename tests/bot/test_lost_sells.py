"""A sell that reached the chain but never the journal (safety mode, then its PositionActor died)
is found on chain by the recovered position and booked: `sold`, with the chain's exact change."""
from __future__ import annotations

import time

import pytest

from actors.trading_io import ChainAccess
from messages.position import ExitNow
from tests.bot.harness import Bot, ChainThread
from tests.bot.test_lifecycle import World


@pytest.fixture
def world(tmp_path):
    bot = Bot()   # the actor system before the chain thread: forking must precede threads
    chain = None
    try:
        chain = ChainThread().start()
        yield World(bot, chain, tmp_path)
    finally:
        bot.stop()
        if chain is not None:
            chain.stop()


@pytest.mark.timeout(120)
def test_a_sell_missing_from_the_journal_is_found_on_chain_and_booked(world):
    launch = world.launch("Lost")
    position = world.open(launch, position_id="pos-lost")
    deadline = time.monotonic() + 20
    while (world.row("pos-lost") or {}).get("state") != "active":
        assert time.monotonic() < deadline, world.row("pos-lost")
        time.sleep(0.05)

    async def sell_it_unjournaled():   # the bot's own sell path, as a position would send it
        chain = ChainAccess(world.settings)
        try:
            await chain.warm_up()
            prepared = await chain.prepare_position_sell(launch, 0, held_only=True)
            return await chain.send_and_settle(prepared, launch.mint)
        finally:
            await chain.close()
    settled = world.chain.run(sell_it_unjournaled())
    assert settled.ok and settled.lamport_delta > 0 and launch.mint not in world.holdings()
    assert settled.signature not in [o["signature"] for o in world.row("pos-lost")["sell_orders"]]

    world.system.tell(position, ExitNow("test exit"))   # it finds no tokens: was it a sell of ours?
    closed = world.closed(launch.mint)
    row = world.row("pos-lost")
    assert (closed.outcome, row["state"], row["outcome"]) == ("sold", "closed", "sold")
    found = [o for o in row["sell_orders"] if o["signature"] == settled.signature]
    assert [(o["state"], o["lamport_delta"], o["token_delta"]) for o in found] == [
        ("CONFIRMED", settled.lamport_delta, settled.token_delta)]
    # the quick sell, signed at the exit from what the position believes it holds, may go first and
    # fail on chain: its fee is booked with the rest
    failed = [o for o in row["sell_orders"] if o["signature"] != settled.signature]
    assert all(o["state"] == "FAILED" and o["lamport_delta"] < 0 for o in failed), failed
    assert row["pnl_lamports"] == row["buy_order"]["lamport_delta"] + settled.lamport_delta + sum(
        o["lamport_delta"] for o in failed)
