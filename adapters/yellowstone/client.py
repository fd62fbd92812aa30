"""Reconnecting Yellowstone gRPC subscriber for the bot.

`async for update in YellowstoneSubscriber(endpoint, request, x_token=...)` yields data updates
(transactions, accounts, slots, ...); keepalive pings and pongs are handled here and counted. On a
broken stream it reconnects with exponential backoff and jitter and sends the current request
again (optionally with from_slot = the last slot seen, so nothing in between is lost). Refusals
that retrying cannot fix (bad token, bad filter) end the iteration with YellowstoneRefused.
The x-token is sent as metadata and never logged or shown in repr().
"""
from __future__ import annotations

import asyncio
import random
from collections import deque
from dataclasses import dataclass
from typing import AsyncIterator

import grpc
from google.protobuf.message import DecodeError
from loguru import logger

from adapters.yellowstone.generated import geyser_pb2 as geyser

SUBSCRIBE_METHOD = "/geyser.Geyser/Subscribe"
FATAL_CODES = frozenset({grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED,
                         grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNIMPLEMENTED})
_COMMITMENTS = {"processed": geyser.PROCESSED, "confirmed": geyser.CONFIRMED, "finalized": geyser.FINALIZED}
# how rpcpool/yellowstone-grpc refuses a from_slot it cannot replay (grpc.rs client_loop, INTERNAL):
# "from_slot is not supported", "broadcast from N is not available, last available: M"
REPLAY_REFUSALS = ("from_slot is not supported", "is not available")
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
RECENT_SIGNATURES = 20_000   # remembered so a from_slot replay does not yield a transaction twice


class YellowstoneRefused(Exception):
    """The server refused the subscription for a reason reconnecting cannot fix."""

    def __init__(self, code: grpc.StatusCode, details: str):
        super().__init__(f"{code.name}: {details}")
        self.code = code


@dataclass
class SubscriberStats:
    connects: int = 0
    reconnects: int = 0
    replays_refused: int = 0    # reconnects whose from_slot the server could not replay: a gap
    updates: int = 0            # data updates yielded
    malformed_updates: int = 0
    duplicates_dropped: int = 0
    server_pings: int = 0
    pongs: int = 0
    last_slot: int | None = None
    last_error: str | None = None


def subscribe_request(*, transactions: dict[str, dict] | None = None, accounts: dict[str, dict] | None = None,
                      slots: bool = False, commitment: str = "processed",
                      from_slot: int | None = None) -> geyser.SubscribeRequest:
    """A SubscribeRequest from plain filter descriptions, e.g.
    transactions={"pump": {"account_include": [PUMP], "failed": False, "vote": False}}."""
    if commitment not in _COMMITMENTS:
        raise ValueError(f"commitment must be one of {sorted(_COMMITMENTS)}, got {commitment!r}")
    request = geyser.SubscribeRequest(commitment=_COMMITMENTS[commitment])
    for name, spec in (transactions or {}).items():
        request.transactions[name].CopyFrom(geyser.SubscribeRequestFilterTransactions(**spec))
    for name, spec in (accounts or {}).items():
        request.accounts[name].CopyFrom(geyser.SubscribeRequestFilterAccounts(**spec))
    if slots:
        request.slots["slots"].CopyFrom(geyser.SubscribeRequestFilterSlots(filter_by_commitment=False))
    if from_slot is not None:
        request.from_slot = from_slot
    return request


def backoff_delay(attempt: int, initial_s: float, max_s: float) -> float:
    """Exponential backoff with "equal jitter": between half and all of min(max, initial * 2^attempt)."""
    ceiling = min(max_s, initial_s * (2 ** min(attempt, 30)))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _split_endpoint(endpoint: str) -> tuple[str, bool]:
    if endpoint.startswith("https://"):
        target, secure = endpoint[len("https://"):], True
    elif endpoint.startswith("http://"):
        target, secure = endpoint[len("http://"):], False
    else:
        target, secure = endpoint, False
    target = target.rstrip("/")
    if secure and ":" not in target:
        target += ":443"
    if not target:
        raise ValueError("empty Yellowstone endpoint")
    return target, secure


class YellowstoneSubscriber:
    """One logical subscription that survives disconnects. Iterate it once; `await close()` to stop."""

    def __init__(self, endpoint: str, request: geyser.SubscribeRequest, *, x_token: str | None = None,
                 ping_interval_s: float = 10.0, keepalive_s: float = 10.0, backoff_initial_s: float = 0.1,
                 backoff_max_s: float = 10.0, resume_from_last_slot: bool = True,
                 max_reconnects: int | None = None, yield_keepalives: bool = False, on_reconnect=None):
        """on_reconnect(): called on the loop as each reconnect subscribes again, before any update
        of it (what happened meanwhile is replayed only if the server can: see REPLAY_REFUSALS)."""
        self._target, self._secure = _split_endpoint(endpoint)
        self._x_token = x_token
        self._request = request
        self._ping_interval_s = ping_interval_s
        self._keepalive_ms = int(keepalive_s * 1000)
        self._backoff = (backoff_initial_s, backoff_max_s)
        self._resume = resume_from_last_slot
        self._max_reconnects = max_reconnects
        self._yield_keepalives = yield_keepalives
        self._on_reconnect = on_reconnect
        self._replay_refused = False   # the last from_slot was refused: the next connect goes without
        self._outgoing: asyncio.Queue | None = None
        self._channel: grpc.aio.Channel | None = None
        self._closed = False
        self._recent: set[bytes] = set()
        self._recent_order: deque[bytes] = deque()
        self.stats = SubscriberStats()

    def __repr__(self) -> str:
        return f"YellowstoneSubscriber({self._target!r}, secure={self._secure}, token={'set' if self._x_token else 'none'})"

    def update_request(self, request: geyser.SubscribeRequest) -> None:
        """Replace the filter on the live stream (and for every later reconnect)."""
        self._request = request
        if self._outgoing is not None:
            self._outgoing.put_nowait(request)

    async def close(self) -> None:
        self._closed = True
        if self._channel is not None:
            await self._channel.close()

    def _open_channel(self) -> grpc.aio.Channel:
        options = [("grpc.keepalive_time_ms", self._keepalive_ms), ("grpc.keepalive_timeout_ms", 5000),
                   ("grpc.keepalive_permit_without_calls", 1), ("grpc.http2.max_pings_without_data", 0),
                   ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)]
        if self._secure:
            return grpc.aio.secure_channel(self._target, grpc.ssl_channel_credentials(), options=options)
        return grpc.aio.insecure_channel(self._target, options=options)

    def _first_request(self) -> geyser.SubscribeRequest:
        if not (self._resume and self.stats.last_slot is not None and self.stats.connects > 1) \
                or self._replay_refused:
            return self._request
        request = geyser.SubscribeRequest()
        request.CopyFrom(self._request)
        request.from_slot = self.stats.last_slot
        return request

    async def _write_requests(self, call, outgoing: asyncio.Queue) -> None:
        """Writes the subscription, then filter changes and pings, on the call itself: a task we own
        and cancel, rather than a request generator that grpc would close from its own task."""
        try:
            await call.write(self._first_request())
            # writing to a stream the server already refused fails locally (INTERNAL) and hides the
            # server's status (e.g. UNAUTHENTICATED), so pings wait until the server accepts the stream
            await call.initial_metadata()
            while True:
                await call.write(await outgoing.get())
        except (grpc.aio.AioRpcError, grpc.aio.UsageError, asyncio.InvalidStateError):
            return    # the stream ended: the reading side reports why

    async def _ping_loop(self, outgoing: asyncio.Queue) -> None:
        ping_id = 0
        while True:
            await asyncio.sleep(self._ping_interval_s)
            ping_id = (ping_id + 1) % 2**31
            outgoing.put_nowait(geyser.SubscribeRequest(ping=geyser.SubscribeRequestPing(id=ping_id)))

    def _seen_before(self, signature: bytes) -> bool:
        if signature in self._recent:
            return True
        self._recent.add(signature)
        self._recent_order.append(signature)
        if len(self._recent_order) > RECENT_SIGNATURES:
            self._recent.discard(self._recent_order.popleft())
        return False

    def _decode(self, raw: bytes) -> geyser.SubscribeUpdate | None:
        try:
            update = geyser.SubscribeUpdate.FromString(raw)
        except DecodeError:
            self.stats.malformed_updates += 1
            return None
        kind = update.WhichOneof("update_oneof")
        if kind is None:
            self.stats.malformed_updates += 1
            return None
        if kind == "ping":
            self.stats.server_pings += 1
        elif kind == "pong":
            self.stats.pongs += 1
        else:
            if kind == "transaction" and self._seen_before(update.transaction.transaction.signature):
                self.stats.duplicates_dropped += 1
                return None
            slot = getattr(update, kind).slot
            if slot and (self.stats.last_slot is None or slot > self.stats.last_slot):
                self.stats.last_slot = slot
            self.stats.updates += 1
            return update
        return update if self._yield_keepalives else None

    async def __aiter__(self) -> AsyncIterator[geyser.SubscribeUpdate]:
        attempt = 0
        while not self._closed:
            self._channel = self._open_channel()
            self._outgoing = outgoing = asyncio.Queue()
            pinger = asyncio.create_task(self._ping_loop(outgoing))
            self.stats.connects += 1
            if self.stats.connects > 1 and self._on_reconnect is not None:
                self._on_reconnect()
            metadata = (("x-token", self._x_token),) if self._x_token else None
            subscribe = self._channel.stream_stream(SUBSCRIBE_METHOD, request_serializer=geyser.SubscribeRequest.SerializeToString)
            call = subscribe(metadata=metadata)
            writer = asyncio.create_task(self._write_requests(call, outgoing))
            try:
                async for raw in call:
                    attempt = 0  # the connection works: next failure starts the backoff afresh
                    self._replay_refused = False
                    update = self._decode(raw)
                    if update is not None:
                        yield update
                self.stats.last_error = "stream ended by server"
            except grpc.aio.AioRpcError as error:
                if error.code() in FATAL_CODES:
                    raise YellowstoneRefused(error.code(), error.details() or "") from None
                self.stats.last_error = f"{error.code().name}: {error.details()}"
                if error.code() == grpc.StatusCode.INTERNAL \
                        and any(text in (error.details() or "") for text in REPLAY_REFUSALS):
                    # asking again from the same slot would be refused for ever
                    self._replay_refused = True
                    self.stats.replays_refused += 1
            finally:
                pinger.cancel()
                writer.cancel()
                call.cancel()
                self._outgoing = None
                await self._channel.close()
            if self._closed:
                return
            if self._max_reconnects is not None and self.stats.reconnects >= self._max_reconnects:
                raise ConnectionError(f"Yellowstone stream lost after {self.stats.reconnects} reconnects: {self.stats.last_error}")
            delay = backoff_delay(attempt, *self._backoff)
            attempt += 1
            self.stats.reconnects += 1
            logger.warning("Yellowstone stream to {} lost ({}); reconnecting in {:.2f}s",
                           self._target, self.stats.last_error, delay)
            await asyncio.sleep(delay)
