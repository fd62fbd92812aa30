"""Shared pieces for the Yellowstone server tests (no tests here): a real Chain, real signed
transactions, and a thin real-gRPC subscription wrapper."""
from __future__ import annotations

import asyncio

import grpc
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from adapters.yellowstone.generated import geyser_pb2 as geyser
from adapters.yellowstone.generated import geyser_pb2_grpc as geyser_grpc
from localnet.chain import Chain
from localnet.geyser import start_geyser

SOL = 10**9
TOKEN = "test-token"


def transfer_tx(chain: Chain, sender: Keypair, to: Pubkey, lamports: int) -> VersionedTransaction:
    blockhash, _ = chain.latest_blockhash()
    ix = transfer(TransferParams(from_pubkey=sender.pubkey(), to_pubkey=to, lamports=lamports))
    return VersionedTransaction(MessageV0.try_compile(sender.pubkey(), [ix], [], blockhash), [sender])


def funded(chain: Chain, lamports: int = 10 * SOL) -> Keypair:
    keypair = Keypair()
    chain.airdrop(keypair.pubkey(), lamports)
    return keypair


class Subscription:
    """One real Subscribe call; `send` more requests, `next_update` skips server pings."""

    def __init__(self, stub: geyser_grpc.GeyserStub, first: geyser.SubscribeRequest, token: str | None = TOKEN):
        self.first = first
        self.outgoing: asyncio.Queue = asyncio.Queue()
        metadata = (("x-token", token),) if token is not None else None
        self.call = stub.Subscribe(self._requests(), metadata=metadata)
        # cancelling a pending read() would cancel the whole call, so one task reads into a queue
        self.incoming: asyncio.Queue = asyncio.Queue()
        self._reader = asyncio.create_task(self._read_all())

    async def _read_all(self) -> None:
        try:
            async for update in self.call:
                self.incoming.put_nowait(update)
            self.incoming.put_nowait(EOFError("stream ended"))
        except grpc.aio.AioRpcError as error:
            self.incoming.put_nowait(error)

    async def _requests(self):
        # writing to a stream the server already refused fails locally (INTERNAL) and hides the
        # server's status, so even the first request waits until the server has accepted the
        # stream (it sends its headers before it reads a request)
        await self.call.initial_metadata()
        if self.call.done():
            return
        yield self.first
        while True:
            yield await self.outgoing.get()

    def send(self, request: geyser.SubscribeRequest) -> None:
        self.outgoing.put_nowait(request)

    async def next_update(self, timeout: float = 2.0, skip_pings: bool = True) -> geyser.SubscribeUpdate:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise asyncio.TimeoutError("no update in time")
            update = await asyncio.wait_for(self.incoming.get(), remaining)
            if isinstance(update, Exception):
                raise update
            if not (skip_pings and update.HasField("ping")):
                return update

    async def expect_nothing(self, within: float = 0.3) -> None:
        try:
            update = await self.next_update(timeout=within)
        except asyncio.TimeoutError:
            return
        raise AssertionError(f"unexpected update: {update}")

    async def wait_ready(self) -> None:
        """Round-trip a ping so the filter sent before it is active on the server."""
        self.send(geyser.SubscribeRequest(ping=geyser.SubscribeRequestPing(id=999)))
        while True:
            update = await self.next_update()
            if update.HasField("pong") and update.pong.id == 999:
                return

    def close(self) -> None:
        self.call.cancel()
        self._reader.cancel()


class GeyserEnv:
    """A manual-clock chain with a Yellowstone server and one client channel."""

    def __init__(self, chain: Chain, server, channel: grpc.aio.Channel):
        self.chain, self.server, self.channel = chain, server, channel
        self.stub = geyser_grpc.GeyserStub(channel)

    @classmethod
    async def start(cls, token: str | None = TOKEN, **server_options) -> "GeyserEnv":
        chain = Chain(slot_ms=0)
        server = await start_geyser(chain, "127.0.0.1", 0, token, **server_options)
        return cls(chain, server, grpc.aio.insecure_channel(f"127.0.0.1:{server.port}"))

    async def subscribe(self, request: geyser.SubscribeRequest, token: str | None = TOKEN) -> Subscription:
        subscription = Subscription(self.stub, request, token)
        await subscription.wait_ready()
        return subscription

    async def stop(self) -> None:
        await self.channel.close()
        await self.server.stop()
