"""Shared pieces for the market tests (no tests here): a node with the market's metadata server,
and a real Yellowstone subscriber that decodes every pump.fun event it is sent."""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import grpc

from adapters.pumpfun.addresses import PUMP_PROGRAM
from adapters.pumpfun.events import events_from_logs
from adapters.yellowstone.generated import geyser_pb2 as geyser
from adapters.yellowstone.generated import geyser_pb2_grpc as geyser_grpc
from localnet.metadata_server import MetadataServer
from localnet.node import LocalNode
from tests.localnet.test_geyser_helpers import Subscription



@asynccontextmanager
async def node_with_metadata(slot_ms: int = 100):
    node = await LocalNode(rpc_port=0, ws_port=0, grpc_port=0, slot_ms=slot_ms).start()
    metadata = await MetadataServer().start()
    try:
        yield node, metadata
    finally:
        await metadata.stop()
        await node.stop()


class PumpEventCollector:
    """Subscribes to every transaction touching the pump.fun program over Yellowstone gRPC."""

    def __init__(self, node: LocalNode):
        self.channel = grpc.aio.insecure_channel(node.grpc_addr)
        self.events: list = []
        self.signatures: list[bytes] = []
        self._subscription: Subscription | None = None

    async def start(self) -> "PumpEventCollector":
        request = geyser.SubscribeRequest(commitment=geyser.PROCESSED, transactions={
            "pump": geyser.SubscribeRequestFilterTransactions(account_include=[str(PUMP_PROGRAM)], failed=False)})
        self._subscription = Subscription(geyser_grpc.GeyserStub(self.channel), request, token=None)
        await self._subscription.wait_ready()
        return self

    async def collect(self, quiet_s: float = 1.0) -> None:
        """Take in updates until none has come for `quiet_s`."""
        while True:
            try:
                update = await self._subscription.next_update(timeout=quiet_s)
            except asyncio.TimeoutError:
                return
            if update.HasField("transaction"):
                info = update.transaction.transaction
                self.signatures.append(bytes(info.signature))
                self.events.extend(events_from_logs(list(info.meta.log_messages)).events)

    def of_type(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]

    async def stop(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
        await self.channel.close()
