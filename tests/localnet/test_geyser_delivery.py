"""The Yellowstone stream does not wait for the chain's event loop: an update is written to its
subscriber while a JSON-RPC request still holds that loop (localnet/geyser_delivery.py).

The node is real (LocalNode: JSON-RPC, gRPC on loopback); the subscriber is a real gRPC client on a
thread of its own, so it reads while the test's loop (the node's) is held. The hold stands in for a
long CPU-bound request (a big read, a batch): an aiohttp middleware, the node's own hook for
faults, keeps the loop after sendTransaction ran until the subscriber has the transaction, or
gives up after HOLD_LIMIT_S (only a bound for the failing case: a server writing from the chain's
loop delivers only once the hold ends)."""
from __future__ import annotations

import asyncio
import base64
import queue
import threading

import grpc
import pytest
from aiohttp import web
from solders.keypair import Keypair

from adapters.yellowstone.generated import geyser_pb2 as geyser
from adapters.yellowstone.generated import geyser_pb2_grpc as geyser_grpc
from localnet.node import LocalNode
from tests.localnet.helpers import call
from tests.localnet.test_geyser_helpers import SOL, funded, transfer_tx

pytestmark = pytest.mark.timeout(30)
HOLD_LIMIT_S = 5.0


class ThreadSubscriber:
    """A blocking gRPC Subscribe read on its own thread; `arrived` is set by the first transaction."""

    def __init__(self, addr: str, request: geyser.SubscribeRequest):
        self.channel = grpc.insecure_channel(addr)
        self.outgoing: queue.Queue = queue.Queue()
        self.outgoing.put(request)
        self.arrived = threading.Event()
        self.signatures: list[bytes] = []
        self.call = geyser_grpc.GeyserStub(self.channel).Subscribe(iter(self.outgoing.get, None))
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for update in self.call:
                if update.HasField("transaction"):
                    self.signatures.append(update.transaction.transaction.signature)
                    self.arrived.set()
        except grpc.RpcError:
            pass   # cancelled at the end

    def close(self) -> None:
        self.outgoing.put(None)
        self.call.cancel()
        self.thread.join(5)
        self.channel.close()


async def test_an_update_reaches_its_subscriber_while_a_request_holds_the_chain_loop():
    subscriber: ThreadSubscriber | None = None
    held = []   # per held request: did the subscriber get the transaction while the loop was held?

    @web.middleware
    async def hold_the_loop_after_the_send(request, handler):
        response = await handler(request)
        # blocks the node's event loop (the chain, its RPC, its clock) as a long request would
        held.append(subscriber.arrived.wait(HOLD_LIMIT_S))
        return response

    node = LocalNode(rpc_port=0, ws_port=0, grpc_port=0, slot_ms=0, rpc_middlewares=(hold_the_loop_after_the_send,))
    await node.start()
    try:
        sender = funded(node.chain, 10 * SOL)
        subscriber = ThreadSubscriber(node.grpc_addr, geyser.SubscribeRequest(transactions={
            "sender": geyser.SubscribeRequestFilterTransactions(account_include=[str(sender.pubkey())])}))
        while not any(s.request is not None for s in node.geyser.subscribers):
            await asyncio.sleep(0.01)
        tx = transfer_tx(node.chain, sender, Keypair().pubkey(), SOL)
        answer = await call(node.rpc_url, "sendTransaction", [base64.b64encode(bytes(tx)).decode(), {"encoding": "base64"}])
        assert answer["result"] == str(tx.signatures[0])
        assert held == [True], "the update waited for the request holding the chain's loop"
        assert subscriber.signatures == [bytes(tx.signatures[0])]
    finally:
        if subscriber is not None:
            subscriber.close()
        await node.stop()
