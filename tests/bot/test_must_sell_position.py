"""A position whose coin graduates while it is held: the curve cannot take the sale (complete), so the
native rung sells on the coin's PumpSwap pool, journaling the signature before sending; PnL exact."""
from __future__ import annotations

import time

import pytest

from messages.position import ExitNow, TxSettled
from tests.bot.harness import Bot, ChainThread
from tests.bot.test_lifecycle import World, assert_balanced
from tests.bot.test_must_sell import graduate, pool_base_reserve
from tests.bot.test_pool_sell import pool_instructions

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def world(tmp_path):
    bot = Bot()   # the actor system first: it forks before the chain thread exists
    chain = None
    try:
        chain = ChainThread(api_port=0).start()
        world = World(bot, chain, tmp_path)
        world.settings = world.settings.replace(**{"chain.jupiter_url": chain.node.api_url})
        yield world
    finally:
        bot.stop()
        if chain is not None:
            chain.stop()


def test_a_position_whose_coin_graduated_sells_on_its_pool(world):
    launch = world.launch("Grad")
    start_balance = world.chain.run(world.market.balance(world.keypair.pubkey()))
    position = world.open(launch)
    for _ in range(100):   # the buy confirms
        if launch.mint in world.holdings():
            break
        time.sleep(0.1)
    bought = world.holdings()[launch.mint]
    graduate(world.chain, world.market, launch.mint)
    reserve_before = pool_base_reserve(world.chain, launch.mint)

    world.system.tell(position, ExitNow("test exit"))
    closed = world.closed(launch.mint, timeout=60)

    assert closed.outcome == "sold", closed
    row = world.row(closed.request_id)
    assert_balanced(world, row)
    landed = [o for o in row["sell_orders"] if o["state"] == "CONFIRMED"]
    assert len(landed) == 1 and row["bought_tokens"] == bought
    assert pool_base_reserve(world.chain, launch.mint) == reserve_before + bought
    sent = [m.signature for m in world.sent(launch.mint, "sell")]
    assert sent == [o["signature"] for o in row["sell_orders"]]   # every sell journaled and reported
    assert [n for n, _ in pool_instructions(world.chain, landed[0]["signature"])] == [24]   # the pool sell itself
    # the books: what the buy and the sell moved in the wallet, to the lamport
    settled = [m for m in world.seen() if isinstance(m, TxSettled) and m.mint == launch.mint]
    assert row["pnl_lamports"] == sum(m.lamport_delta for m in settled) \
        == world.chain.run(world.market.balance(world.keypair.pubkey())) - start_balance
