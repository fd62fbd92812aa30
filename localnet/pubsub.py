"""Solana PubSub over WebSocket: account, block, logs, program, signature and slot subscriptions.

Notifications are built on the chain's thread when a transaction or slot happens and queued per
socket; each socket has its own writer task and a bounded queue, so a slow or vanished client is
disconnected instead of ever holding up the chain.
"""
from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from dataclasses import dataclass, field

import orjson
from aiohttp import WSMsgType, web
from loguru import logger
from solders.pubkey import Pubkey

from localnet.chain import Chain, TxRecord, writable_account_keys
from localnet.rpc_methods import (
    API_VERSION, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR, Params, RpcError, invalid_params)
from localnet.rpc_methods_accounts import account_filters, encode_for_config, validate_account_config
from localnet.rpc_blocks import BlockOptions, block_update
from localnet.rpc_server import serve_app

SOCKET_QUEUE_LIMIT = 10_000
LEVELS = ("processed", "confirmed", "finalized")
_LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}
_COMMITMENT_ALIASES = {"recent": "processed", "single": "confirmed", "singleGossip": "confirmed",
                       "root": "finalized", "max": "finalized"}


class _Socket:
    """One client connection: a bounded outgoing queue drained by its own writer task."""

    def __init__(self, ws: web.WebSocketResponse):
        self.ws = ws
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=SOCKET_QUEUE_LIMIT)
        self.overflowed = False
        self._closing: asyncio.Task | None = None

    def push(self, message: dict) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(orjson.dumps(message))
        except asyncio.QueueFull:
            self.overflowed = True
            logger.warning("pubsub client too slow ({} queued): disconnecting it", SOCKET_QUEUE_LIMIT)
            self._closing = asyncio.get_running_loop().create_task(
                self.ws.close(code=1008, message=b"notification queue overflow"))

    async def write_forever(self) -> None:
        while True:
            await self.ws.send_str((await self.queue.get()).decode())


@dataclass(eq=False)
class _Subscription:
    id: int
    kind: str                          # account | block | logs | program | signature | slot
    socket: _Socket
    level: str = "finalized"
    key: object = None                 # Pubkey for account/program, Signature, or mention Pubkey for logs
    config: dict = field(default_factory=dict)
    matchers: list = field(default_factory=list)
    block_options: BlockOptions | None = None


def _level_of(config: dict) -> str:
    commitment = config.get("commitment") or "finalized"
    return _COMMITMENT_ALIASES.get(commitment, commitment)


class PubSubHub:
    """Chain listener holding every subscription of every socket."""

    def __init__(self, chain: Chain):
        self.chain = chain
        self._ids = itertools.count(1)
        self._by_id: dict[int, _Subscription] = {}
        self._index: dict[tuple[str, object], list[_Subscription]] = defaultdict(list)
        self._waiting: dict[int, list[TxRecord]] = defaultdict(list)   # slot -> records not yet at every level
        self._program_subs = 0
        self.sockets: set[_Socket] = set()

    # ---- subscription bookkeeping --------------------------------------------------
    def add(self, sub: _Subscription) -> int:
        self._by_id[sub.id] = sub
        self._index[(sub.kind, sub.key)].append(sub)
        self._program_subs += sub.kind == "program"
        return sub.id

    def remove(self, sub_id: int, socket: _Socket | None = None) -> bool:
        sub = self._by_id.get(sub_id)
        if sub is None or (socket is not None and sub.socket is not socket):
            return False
        del self._by_id[sub_id]
        self._program_subs -= sub.kind == "program"
        bucket = self._index[(sub.kind, sub.key)]
        bucket.remove(sub)
        if not bucket:
            del self._index[(sub.kind, sub.key)]
        return True

    def remove_socket(self, socket: _Socket) -> None:
        for sub_id in [s.id for s in self._by_id.values() if s.socket is socket]:
            self.remove(sub_id)

    def new_id(self) -> int:
        return next(self._ids)

    # ---- chain events --------------------------------------------------------------
    def on_transaction(self, record: TxRecord) -> None:
        if not self._by_id:
            return
        reached = _LEVEL_RANK[self.chain.commitment_of(record.slot)]
        for level in LEVELS[:reached + 1]:
            self._deliver(record, level)
        if reached < _LEVEL_RANK["finalized"]:
            self._waiting[record.slot].append(record)

    def on_slot(self, slot: int, parent: int | None, status: str) -> None:
        if status != "processed":
            self._deliver_block(slot, status)
        if status == "processed":
            for sub in list(self._index.get(("slot", None), ())):
                sub.socket.push(_notification("slotNotification", sub.id, {
                    "parent": parent if parent is not None else slot - 1,
                    "root": self.chain.finalized_slot, "slot": slot}))
            return
        records = self._waiting.pop(slot, []) if status == "finalized" else self._waiting.get(slot, [])
        for record in records:
            self._deliver(record, status)
        for stale in [s for s in self._waiting if s < self.chain.finalized_slot]:
            del self._waiting[stale]

    def _deliver(self, record: TxRecord, level: str) -> None:
        context = {"slot": record.slot}
        for sub in self._subs("signature", record.signature, level):
            sub.socket.push(_notification("signatureNotification", sub.id,
                                          {"context": context, "value": {"err": record.err}}))
            self.remove(sub.id)
        logs_value = {"err": record.err, "logs": record.log_messages, "signature": str(record.signature)}
        targets = set(self._subs("logs", None, level))
        for key in record.account_keys:
            targets.update(self._subs("logs", key, level))
        for sub in targets:
            sub.socket.push(_notification("logsNotification", sub.id, {"context": context, "value": logs_value}))
        for key in writable_account_keys(record):
            self._deliver_account(key, level, context)

    def _deliver_block(self, slot: int, level: str) -> None:
        for sub in self._subs("block", None, level):
            value = block_update(self.chain, slot, sub.block_options)
            if value is not None:
                sub.socket.push(_notification("blockNotification", sub.id, {"context": {"slot": slot}, "value": value}))

    def _deliver_account(self, key: Pubkey, level: str, context: dict) -> None:
        account_subs = self._subs("account", key, level)
        account = self.chain.get_account(key, level) if account_subs or self._program_subs else None
        for sub in account_subs:
            sub.socket.push(_notification("accountNotification", sub.id, {
                "context": context, "value": encode_for_config(self.chain, account, sub.config)}))
        if account is None:
            return
        data = bytes(account.data)
        for sub in self._subs("program", account.owner, level):
            if all(match(data) for match in sub.matchers):
                sub.socket.push(_notification("programNotification", sub.id, {"context": context, "value": {
                    "account": encode_for_config(self.chain, account, sub.config), "pubkey": str(key)}}))

    def _subs(self, kind: str, key: object, level: str) -> list[_Subscription]:
        return [s for s in self._index.get((kind, key), ()) if s.level == level]

    # ---- requests ------------------------------------------------------------------
    def subscribe(self, socket: _Socket, method: str, params: Params) -> int:
        kind = method[:-len("Subscribe")]
        sub = _Subscription(self.new_id(), kind, socket)
        if kind == "slot":
            sub.level = "processed"
        elif kind == "account":
            sub.key, sub.config = params.pubkey(0, "account"), params.config(1)
        elif kind == "program":
            sub.key, sub.config = params.pubkey(0, "program id"), params.config(1)
            sub.matchers = account_filters(sub.config)
        elif kind == "signature":
            sub.key, sub.config = params.signature(0), params.config(1)
        elif kind == "logs":
            sub.key, sub.config = _logs_filter(params), params.config(1)
        elif kind == "block":
            sub.config = params.config(1)
            sub.block_options = BlockOptions.parse(params, sub.config)
        else:
            raise RpcError(METHOD_NOT_FOUND, "Method not found")
        if kind != "slot":
            sub.level = _level_of(sub.config)
        if kind in ("account", "program"):
            validate_account_config(sub.config)
        self.add(sub)
        if kind == "signature":
            self._notify_if_already_there(sub)
        return sub.id

    def _notify_if_already_there(self, sub: _Subscription) -> None:
        record = self.chain.get_record(sub.key)
        if record is not None and _LEVEL_RANK[self.chain.commitment_of(record.slot)] >= _LEVEL_RANK[sub.level]:
            # sent after the subscribe reply, which the caller queues first
            asyncio.get_running_loop().call_soon(self._late_signature, sub, record)

    def _late_signature(self, sub: _Subscription, record: TxRecord) -> None:
        if self.remove(sub.id):
            sub.socket.push(_notification("signatureNotification", sub.id,
                                          {"context": {"slot": record.slot}, "value": {"err": record.err}}))


def _logs_filter(params: Params):
    spec = params._get(0, "filter")
    if spec in ("all", "allWithVotes"):
        return None
    mentions = spec.get("mentions") if isinstance(spec, dict) else None
    if not isinstance(mentions, list) or len(mentions) != 1:
        raise invalid_params("logs filter must be \"all\", \"allWithVotes\" or {\"mentions\": [<one pubkey>]}")
    return Params("logsSubscribe", mentions).pubkey(0, "mentions")


def _notification(method: str, sub_id: int, result: dict) -> dict:
    if "context" in result:
        result["context"] = {**result["context"], "apiVersion": API_VERSION}
    return {"jsonrpc": "2.0", "method": method, "params": {"result": result, "subscription": sub_id}}


def _reply(request_id, result=None, error: RpcError | None = None) -> dict:
    if error is not None:
        return {"jsonrpc": "2.0", "error": error.to_json(), "id": request_id}
    return {"jsonrpc": "2.0", "result": result, "id": request_id}


SUBSCRIBE_METHODS = {"accountSubscribe", "blockSubscribe", "logsSubscribe", "programSubscribe", "signatureSubscribe",
                     "slotSubscribe"}
UNSUBSCRIBE_METHODS = {name.replace("Subscribe", "Unsubscribe") for name in SUBSCRIBE_METHODS}


def _answer(hub: PubSubHub, socket: _Socket, text: str) -> dict:
    try:
        request = orjson.loads(text)
    except orjson.JSONDecodeError:
        return _reply(None, error=RpcError(PARSE_ERROR, "Parse error"))
    if not isinstance(request, dict) or not isinstance(request.get("method"), str):
        return _reply(None, error=RpcError(INVALID_REQUEST, "Invalid request"))
    request_id, method = request.get("id"), request["method"]
    try:
        params = Params(method, request.get("params"))
        if method in SUBSCRIBE_METHODS:
            return _reply(request_id, hub.subscribe(socket, method, params))
        if method in UNSUBSCRIBE_METHODS:
            sub_id = params.unsigned(0, "subscription id")
            if not hub.remove(sub_id, socket):
                raise invalid_params("Invalid subscription id.")
            return _reply(request_id, True)
        raise RpcError(METHOD_NOT_FOUND, "Method not found")
    except RpcError as error:
        return _reply(request_id, error=error)
    except (TypeError, ValueError, KeyError, AttributeError) as problem:
        return _reply(request_id, error=RpcError(INVALID_PARAMS, f"Invalid params: {problem}"))


def make_pubsub_app(hub: PubSubHub) -> web.Application:
    async def websocket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=30, max_msg_size=1 << 20)
        await ws.prepare(request)
        socket = _Socket(ws)
        hub.sockets.add(socket)
        writer = asyncio.get_running_loop().create_task(socket.write_forever())
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    socket.push(_answer(hub, socket, message.data))
                elif message.type == WSMsgType.BINARY:
                    socket.push(_answer(hub, socket, message.data.decode(errors="replace")))
        finally:
            hub.sockets.discard(socket)
            hub.remove_socket(socket)
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)
        return ws

    app = web.Application()
    app.router.add_get("/", websocket)
    return app


@dataclass
class PubSubServer:
    hub: PubSubHub
    runner: web.AppRunner
    port: int
    remove_listener: object

    async def stop(self) -> None:
        self.remove_listener()
        await asyncio.gather(*(s.ws.close(code=1001, message=b"node stopping") for s in list(self.hub.sockets)),
                             return_exceptions=True)
        await self.runner.cleanup()


async def start_pubsub_server(chain: Chain, host: str, port: int) -> PubSubServer:
    hub = PubSubHub(chain)
    runner, bound_port = await serve_app(make_pubsub_app(hub), host, port)
    return PubSubServer(hub, runner, bound_port, chain.add_listener(hub))
