"""The market's transaction sender against a real local node: drain() waits for every answer,
the batch already on the wire included (a market's status read after drain() once missed the
last batch's launches and trades under load)."""
from __future__ import annotations

import asyncio

import pytest
from solders.keypair import Keypair

from localnet.market.rpc_sender import RpcSender
from localnet.node import LocalNode
from tests.localnet.helpers import sol_transfer

pytestmark = pytest.mark.timeout(30)


async def test_drain_waits_for_the_batch_on_the_wire():
    node = await LocalNode(rpc_port=0, ws_port=0, grpc_port=0, slot_ms=50).start()
    sender = await RpcSender(node.rpc_url).start()
    try:
        answers = [sender.submit([sol_transfer(node.faucet, Keypair().pubkey(), 1_000_000 + i)], [node.faucet])
                   for i in range(8)]
        while sender.pending:                   # the flusher has taken the whole batch off the queue
            await asyncio.sleep(0)
        assert not all(answer.done() for answer in answers), "the batch was answered before it could be drained"
        await sender.drain()
        assert all(answer.done() for answer in answers)
        assert [answer.result().ok for answer in answers] == [True] * 8
        assert sender.counters.succeeded == 8
    finally:
        await sender.close()
        await node.stop()
