"""Yellowstone gRPC (Geyser) server over the local chain, wire-compatible with rpcpool/yellowstone-grpc.

A chain listener turns each executed transaction into protobuf once and hands it to every
subscriber whose filter matches; each subscriber has a bounded queue, so a slow one is cut off
(RESOURCE_EXHAUSTED) instead of ever slowing the chain. Transactions at CONFIRMED/FINALIZED
commitment are held until their slot reaches that status and filtered then, with the filter of that
moment, as rpcpool/yellowstone-grpc does (its geyser loop keeps each slot's messages and its client
loop filters them when the slot is confirmed/finalized): a new SubscribeRequest on the stream never
drops an update still waiting. A from_slot older than the server keeps (replay_slots) is refused
with yellowstone-grpc's INTERNAL "broadcast from N is not available, last available: M".
"""
from __future__ import annotations

import asyncio
import hmac
import json
import threading
import time
from collections import defaultdict

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from loguru import logger
from solders.hash import Hash
from solders.pubkey import Pubkey

from adapters.yellowstone.filters import CompiledRequest, FilterError
from adapters.yellowstone.generated import geyser_pb2 as geyser
from adapters.yellowstone.generated import geyser_pb2_grpc as geyser_grpc
from adapters.yellowstone.encode import transaction_update
from adapters.yellowstone.tx_error import encode_transaction_error
from localnet.chain import writable_account_keys
from localnet.geyser_delivery import DeliveryTrace, LoopThread, Outbox, call_on

DEFAULT_PING_INTERVAL_S = 10.0
DEFAULT_QUEUE_SIZE = 10_000
HELD_PER_QUEUE_SLOT = 10   # updates held for a commitment may reach 10x the send queue
SERVER_VERSION = "0.1.0"
_STATUS_LEVEL = {"processed": geyser.PROCESSED, "confirmed": geyser.CONFIRMED, "finalized": geyser.FINALIZED}
_COMMITMENT_NAME = {geyser.PROCESSED: "processed", geyser.CONFIRMED: "confirmed", geyser.FINALIZED: "finalized"}
_SLOT_STATUS = {"processed": geyser.SLOT_PROCESSED, "confirmed": geyser.SLOT_CONFIRMED, "finalized": geyser.SLOT_FINALIZED}


class _ExecutedTransaction:
    """One record as the subscribers see it, with each protobuf form built at most once."""
    __slots__ = ("rec", "keys", "signature", "failed", "_tx_update", "_status_update", "accounts", "created_at")

    def __init__(self, rec, accounts: list | None):
        self.rec = rec
        self.keys = frozenset(str(key) for key in rec.account_keys)
        self.signature = str(rec.signature)
        self.failed = rec.err is not None
        self._tx_update = self._status_update = None
        self.accounts = accounts  # [(pubkey_str, Account|None, write_version)]: writable accounts after execution
        self.created_at = Timestamp()
        self.created_at.FromNanoseconds(time.time_ns())

    def tx_update(self) -> geyser.SubscribeUpdateTransaction:
        if self._tx_update is None:
            self._tx_update = transaction_update(self.rec)
        return self._tx_update

    def status_update(self) -> geyser.SubscribeUpdateTransactionStatus:
        if self._status_update is None:
            rec = self.rec
            self._status_update = geyser.SubscribeUpdateTransactionStatus(
                slot=rec.slot, signature=bytes(rec.signature), is_vote=rec.is_vote, index=rec.index)
            if rec.err is not None:
                self._status_update.err.err = encode_transaction_error(rec.err)
        return self._status_update


# ---- one subscriber ----------------------------------------------------------------------
class _Subscriber:
    """Filter, held updates and request: the chain's thread only (set_request runs there too).
    The outbox and close() may be used from any thread; `closed` is awaited on the delivery loop."""

    def __init__(self, server: "GeyserServer", queue_size: int):
        self.server = server
        self.outbox = Outbox(server.delivery, queue_size)
        self.request: CompiledRequest | None = None
        self.held: dict[int, list] = defaultdict(list)   # slot -> updates waiting for the commitment
        self.held_count = 0
        self.max_held = HELD_PER_QUEUE_SLOT * queue_size
        self.closed = asyncio.Event()
        self.close_code: grpc.StatusCode | None = None
        self.close_details = ""
        self._close_lock = threading.Lock()

    def close(self, code: grpc.StatusCode, details: str) -> None:
        with self._close_lock:   # the first reason wins, whichever thread gives it
            if self.close_code is not None:
                return
            self.close_code, self.close_details = code, details
        self.server.delivery.call_soon(self.closed.set)

    def push(self, update: geyser.SubscribeUpdate) -> None:
        shaper = self.server.stream_faults
        if shaper is None:
            self.enqueue(update)
        else:  # fault injection may duplicate, hold back or reorder it
            shaper.shape(self, update)

    def enqueue(self, update: geyser.SubscribeUpdate) -> None:
        if self.close_code is not None:
            return
        if not self.outbox.put(update):
            self.server.cut_off_count += 1
            logger.warning("geyser subscriber too slow ({} updates queued): cutting it off", self.outbox.maxsize)
            self.close(grpc.StatusCode.RESOURCE_EXHAUSTED, "subscriber queue overflow: client too slow")

    def set_request(self, request: geyser.SubscribeRequest, chain) -> None:
        compiled = CompiledRequest.compile(request)
        oldest = self.server.oldest_replay_slot()
        if compiled.from_slot is not None and compiled.from_slot < oldest:
            self.close(grpc.StatusCode.INTERNAL,
                       f"broadcast from {compiled.from_slot} is not available, last available: {oldest}")
            return
        self.request = compiled   # what is held is filtered on release, by this filter
        if compiled.from_slot is not None:
            self._replay(chain, compiled.from_slot)

    def _replay(self, chain, from_slot: int) -> None:
        records = []
        for rec in chain.records_newest_first():
            if rec.slot < from_slot:
                break
            records.append(rec)
        for rec in reversed(records):  # account states are not replayed: only current state exists
            self.on_transaction(_ExecutedTransaction(rec, None), chain)

    def on_transaction(self, executed: _ExecutedTransaction, chain) -> None:
        request = self.request
        if request is None:
            return
        slot = executed.rec.slot
        if _STATUS_LEVEL[chain.commitment_of(slot)] >= request.commitment:
            for update in self._updates(request, executed):
                self.push(update)
            return
        self.held[slot].append(executed)
        self.held_count += 1
        if self.held_count > self.max_held:  # memory stays bounded even for a huge backlog
            self.server.cut_off_count += 1
            self.close(grpc.StatusCode.RESOURCE_EXHAUSTED, "too many updates waiting for their commitment")

    def _updates(self, request: CompiledRequest, executed: _ExecutedTransaction) -> list:
        updates = []
        kwargs = dict(is_vote=executed.rec.is_vote, failed=executed.failed, signature=executed.signature, keys=executed.keys)
        names = [n for n, f in request.transactions.items() if f.matches(**kwargs)]
        if names:
            updates.append(geyser.SubscribeUpdate(filters=names, transaction=executed.tx_update(),
                                                  created_at=executed.created_at))
        names = [n for n, f in request.transactions_status.items() if f.matches(**kwargs)]
        if names:
            updates.append(geyser.SubscribeUpdate(filters=names, transaction_status=executed.status_update(),
                                                  created_at=executed.created_at))
        if request.accounts and executed.accounts:
            updates += self._account_updates(request, executed)
        return updates

    def _account_updates(self, request: CompiledRequest, executed: _ExecutedTransaction) -> list:
        updates = []
        for pubkey, account, write_version in executed.accounts:
            lamports = account.lamports if account is not None else 0
            owner = account.owner if account is not None else Pubkey.default()
            data = bytes(account.data) if account is not None else b""
            owner_str = str(owner)
            names = [n for n, f in request.accounts.items() if f.matches(pubkey, lamports, owner_str, data)]
            if names:
                info = geyser.SubscribeUpdateAccountInfo(
                    pubkey=bytes(Pubkey.from_string(pubkey)), lamports=lamports, owner=bytes(owner),
                    executable=bool(account.executable) if account is not None else False,
                    rent_epoch=account.rent_epoch if account is not None else 0, data=request.slice_data(data),
                    write_version=write_version, txn_signature=bytes(executed.rec.signature))
                updates.append(geyser.SubscribeUpdate(filters=names, created_at=executed.created_at,
                                                      account=geyser.SubscribeUpdateAccount(account=info, slot=executed.rec.slot)))
        return updates

    def on_slot(self, slot: int, parent: int | None, status: str) -> None:
        request = self.request
        if request is None:
            return
        if _STATUS_LEVEL[status] == request.commitment and self.held:
            for held_slot in sorted(s for s in self.held if s <= slot):
                released = self.held.pop(held_slot)
                self.held_count -= len(released)
                for executed in released:
                    for update in self._updates(request, executed):
                        self.push(update)
        names = [n for n, by_commitment in request.slots.items()
                 if not by_commitment or _STATUS_LEVEL[status] == request.commitment]
        if names:
            self.push(geyser.SubscribeUpdate(filters=names, slot=geyser.SubscribeUpdateSlot(
                slot=slot, parent=parent, status=_SLOT_STATUS[status])))


# ---- the gRPC service ----------------------------------------------------------------------
class _GeyserService(geyser_grpc.GeyserServicer):
    def __init__(self, server: "GeyserServer"):
        self.server = server
        self.chain = server.chain

    async def _authorize(self, context) -> None:
        expected = self.server.x_token
        if expected is None:
            return
        supplied = dict(context.invocation_metadata()).get("x-token") or ""
        if not hmac.compare_digest(supplied.encode(), expected.encode()):
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or invalid x-token")

    async def Subscribe(self, request_iterator, context):
        await self._authorize(context)
        # headers now tell the client the stream is accepted, so it can send more than its first request
        await context.send_initial_metadata(())
        subscriber = _Subscriber(self.server, self.server.queue_size)
        self.server.add_subscriber(subscriber)
        tasks = [asyncio.create_task(self._read_requests(request_iterator, subscriber)),
                 asyncio.create_task(self._send_pings(subscriber)),
                 asyncio.create_task(self._write_updates(context, subscriber))]
        try:
            await subscriber.closed.wait()
        finally:
            self.server.remove_subscriber(subscriber)
            for task in tasks:
                task.cancel()
        await context.abort(subscriber.close_code, subscriber.close_details)

    async def _read_requests(self, request_iterator, subscriber: _Subscriber) -> None:
        try:
            async for request in request_iterator:
                if request.HasField("ping"):  # a ping never replaces the active filter
                    subscriber.push(geyser.SubscribeUpdate(pong=geyser.SubscribeUpdatePong(id=request.ping.id)))
                    continue
                # on the chain's thread, between two of its listener calls: the filter, what
                # is held and the replay stay in step with execution
                await self.server.on_chain(subscriber.set_request, request, self.chain)
        except FilterError as bad:
            subscriber.close(grpc.StatusCode.INVALID_ARGUMENT, str(bad))
        except asyncio.CancelledError:
            raise
        except Exception as bad:  # a broken request stream ends this subscription only
            logger.warning("geyser subscription request stream failed: {}", bad)
            subscriber.close(grpc.StatusCode.INVALID_ARGUMENT, f"bad request stream: {type(bad).__name__}")

    async def _send_pings(self, subscriber: _Subscriber) -> None:
        while True:
            await asyncio.sleep(self.server.ping_interval_s)
            subscriber.push(geyser.SubscribeUpdate(ping=geyser.SubscribeUpdatePing()))

    async def _write_updates(self, context, subscriber: _Subscriber) -> None:
        trace = self.server.delivery_trace
        try:
            while True:
                update, queued_at = await subscriber.outbox.get()
                if trace is not None and update.HasField("transaction"):
                    started = time.perf_counter()
                    await context.write(update)
                    trace.add(subscriber, update.transaction.transaction, queued_at, started, time.perf_counter())
                else:
                    await context.write(update)
        except asyncio.CancelledError:
            raise
        except Exception as gone:  # client went away: end the subscription quietly
            subscriber.close(grpc.StatusCode.CANCELLED, f"stream closed: {type(gone).__name__}")

    async def Ping(self, request, context):
        await self._authorize(context)
        return geyser.PongResponse(count=request.count)

    def _commitment(self, request) -> str:
        level = request.commitment if request.HasField("commitment") else geyser.PROCESSED
        return _COMMITMENT_NAME.get(level, "processed")

    async def _read_chain(self, context, read):
        """read() on the chain's thread: the chain is never read while it executes."""
        await self._authorize(context)
        return await self.server.on_chain(read)

    async def GetLatestBlockhash(self, request, context):
        commitment = self._commitment(request)

        def read():
            blockhash, last_valid = self.chain.latest_blockhash(commitment)
            return geyser.GetLatestBlockhashResponse(slot=self.chain.slot_for_commitment(commitment),
                                                     blockhash=str(blockhash), last_valid_block_height=last_valid)
        return await self._read_chain(context, read)

    async def GetBlockHeight(self, request, context):
        commitment = self._commitment(request)

        def read():
            lag = self.chain.slot - self.chain.slot_for_commitment(commitment)
            return geyser.GetBlockHeightResponse(block_height=max(0, self.chain.block_height() - lag))
        return await self._read_chain(context, read)

    async def GetSlot(self, request, context):
        commitment = self._commitment(request)
        return await self._read_chain(context, lambda: geyser.GetSlotResponse(
            slot=self.chain.slot_for_commitment(commitment)))

    async def IsBlockhashValid(self, request, context):
        await self._authorize(context)
        try:
            blockhash = Hash.from_string(request.blockhash)
        except Exception:  # solders raises ParseHashError, not a ValueError
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"invalid blockhash {request.blockhash[:64]!r}")
        return await self._read_chain(context, lambda: geyser.IsBlockhashValidResponse(
            slot=self.chain.slot, valid=self.chain.is_blockhash_valid(blockhash)))

    async def GetVersion(self, request, context):
        await self._authorize(context)
        return geyser.GetVersionResponse(version=json.dumps(
            {"version": {"package": "pumpsnipe-localnet-geyser", "version": SERVER_VERSION, "proto": SERVER_VERSION},
             "extra": {"hostname": "localnet"}}))


class GeyserServer:
    """The running server; a chain listener. `.port`, `.cut_off_count`, `await .stop()`.

    The gRPC server runs on `delivery`, a loop on its own thread (own_thread=False: the chain's
    loop, as before), so its writes never wait behind the chain loop's requests; whatever reads
    the chain runs on the chain's thread (on_chain)."""

    def __init__(self, chain, x_token: str | None, ping_interval_s: float, queue_size: int,
                 replay_slots: int | None = None, own_thread: bool = True):
        self.chain = chain
        self.delivery = LoopThread("geyser-delivery", own_thread)
        self.chain_loop: asyncio.AbstractEventLoop | None = None
        self.delivery_trace: DeliveryTrace | None = DeliveryTrace.from_env()   # None: off
        self.replay_slots = replay_slots   # slots a from_slot may reach back (None: every record kept)
        self.x_token = x_token
        self.ping_interval_s = ping_interval_s
        self.queue_size = queue_size
        self.subscribers: frozenset[_Subscriber] = frozenset()   # replaced, never changed: read from both threads
        self.cut_off_count = 0
        self.stream_faults = None   # fault injection: .shape(subscriber, update) replaces a plain enqueue
        self.port = 0
        self._write_version = 0
        self._grpc: grpc.aio.Server | None = None
        self._remove_listener = None

    # chain listener: runs synchronously inside Chain.execute/advance_slot, so it only enqueues
    def on_transaction(self, rec) -> None:
        if not self.subscribers:
            return
        accounts = None
        if any(s.request is not None and s.request.accounts for s in self.subscribers):
            accounts = []
            for key in writable_account_keys(rec):
                self._write_version += 1
                accounts.append((str(key), self.chain.get_account(key), self._write_version))
        executed = _ExecutedTransaction(rec, accounts)
        for subscriber in list(self.subscribers):
            subscriber.on_transaction(executed, self.chain)

    def on_slot(self, slot: int, parent: int | None, status: str) -> None:
        for subscriber in list(self.subscribers):
            subscriber.on_slot(slot, parent, status)

    def add_subscriber(self, subscriber: _Subscriber) -> None:
        self.subscribers = self.subscribers | {subscriber}   # on the delivery loop only

    def remove_subscriber(self, subscriber: _Subscriber) -> None:
        self.subscribers = self.subscribers - {subscriber}

    async def on_chain(self, fn, *args):
        """fn(*args) on the chain's thread, awaited from the delivery loop."""
        return await call_on(self.chain_loop, fn, *args)

    def oldest_replay_slot(self) -> int:
        if self.replay_slots is None:
            return 0
        return max(0, self.chain.slot - self.replay_slots + 1)

    def disconnect_all(self, details: str) -> int:
        """Close every open stream as UNAVAILABLE (clients reconnect); returns how many."""
        subscribers = [s for s in self.subscribers if s.close_code is None]
        for subscriber in subscribers:
            subscriber.close(grpc.StatusCode.UNAVAILABLE, details)
        return len(subscribers)

    async def start(self, host: str, port: int, tls=None) -> "GeyserServer":
        """`tls`: a localnet.tls.TlsFiles to serve TLS with, or None for plaintext."""
        self.chain_loop = asyncio.get_running_loop()
        self.delivery.start()
        try:
            await self.delivery.run(self._start_grpc(host, port, tls))
        except BaseException:
            await self.delivery.stop()
            raise
        self._remove_listener = self.chain.add_listener(self)
        logger.info("Yellowstone gRPC listening on {}:{}{}", host, self.port, " (TLS)" if tls is not None else "")
        return self

    async def _start_grpc(self, host: str, port: int, tls) -> None:
        self._grpc = grpc.aio.server(options=[("grpc.keepalive_permit_without_calls", 1),
                                              ("grpc.http2.min_ping_interval_without_data_ms", 1000)])
        geyser_grpc.add_GeyserServicer_to_server(_GeyserService(self), self._grpc)
        if tls is None:
            self.port = self._grpc.add_insecure_port(f"{host}:{port}")
        else:
            credentials = grpc.ssl_server_credentials([tls.read()])
            self.port = self._grpc.add_secure_port(f"{host}:{port}", credentials)
        await self._grpc.start()

    async def stop(self, grace_s: float | None = 0.2) -> None:
        if self._remove_listener is not None:
            self._remove_listener()
            self._remove_listener = None
        for subscriber in list(self.subscribers):
            subscriber.close(grpc.StatusCode.UNAVAILABLE, "server shutting down")
        if self._grpc is not None:
            server, self._grpc = self._grpc, None
            await self.delivery.run(server.stop(grace_s))
        await self.delivery.stop()
        if self.delivery_trace is not None:
            self.delivery_trace.close()


async def start_geyser(chain, host: str, port: int, x_token: str | None = None, *,
                       ping_interval_s: float = DEFAULT_PING_INTERVAL_S,
                       queue_size: int = DEFAULT_QUEUE_SIZE, tls=None,
                       replay_slots: int | None = None, own_thread: bool = True) -> GeyserServer:
    """Start a Yellowstone gRPC server for `chain` on host:port (0 = a free port). replay_slots: how
    many recent slots a from_slot may ask for (None: all the chain's records). own_thread=False
    serves on the chain's loop (stream writes then wait behind its other work: for comparison)."""
    if ping_interval_s <= 0 or queue_size <= 0 or (replay_slots is not None and replay_slots <= 0):
        raise ValueError("ping_interval_s, queue_size and replay_slots must be positive")
    server = GeyserServer(chain, x_token, ping_interval_s, queue_size, replay_slots, own_thread)
    return await server.start(host, port, tls)
