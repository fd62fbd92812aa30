"""Solana JSON-RPC over HTTP (POST /, single and batch requests) in front of a Chain."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import orjson
from aiohttp import web
from loguru import logger

from localnet.chain import Chain
from localnet.rpc_methods import (
    CLUSTER_METHODS, INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR, Params, RpcError)
from localnet.rpc_methods_accounts import ACCOUNT_METHODS
from localnet.rpc_methods_tx import TRANSACTION_METHODS
from localnet.rpc_usdc import USDC_METHODS

METHODS = {**CLUSTER_METHODS, **ACCOUNT_METHODS, **TRANSACTION_METHODS, **USDC_METHODS}
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_BATCH = 1000
BATCH_SLICE_S = 0.002     # a batch yields to other clients after holding the loop this long
SHUTDOWN_TIMEOUT_S = 1.0  # in-flight requests get this long when the node stops


def _error_response(request_id, error: RpcError) -> dict:
    return {"jsonrpc": "2.0", "error": error.to_json(), "id": request_id}


def handle_request(chain: Chain, request: object) -> dict:
    """Answer one JSON-RPC request object; never raises."""
    if not isinstance(request, dict) or not isinstance(request.get("method"), str):
        return _error_response(None, RpcError(INVALID_REQUEST, "Invalid request"))
    request_id = request.get("id")
    if not isinstance(request_id, (int, str, type(None))) or isinstance(request_id, bool):
        return _error_response(None, RpcError(INVALID_REQUEST, "Invalid request: id must be a number, string or null"))
    method = METHODS.get(request["method"])
    if method is None:
        return _error_response(request_id, RpcError(METHOD_NOT_FOUND, "Method not found"))
    try:
        result = method(chain, Params(request["method"], request.get("params")))
    except RpcError as error:
        return _error_response(request_id, error)
    except (TypeError, ValueError, KeyError, IndexError, OverflowError) as problem:
        # a param of the wrong shape that slipped past the typed accessors
        return _error_response(request_id, RpcError(INVALID_PARAMS, f"Invalid params: {problem}"))
    except BaseException as failure:  # pyo3 panics from solders are BaseExceptions
        if isinstance(failure, (KeyboardInterrupt, SystemExit, asyncio.CancelledError)):
            raise
        logger.opt(exception=failure).error("RPC method {} failed", request["method"])
        return _error_response(request_id, RpcError(INTERNAL_ERROR, "Internal error"))
    return {"jsonrpc": "2.0", "result": result, "id": request_id}


async def handle_body(chain: Chain, body: bytes) -> object:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _error_response(None, RpcError(PARSE_ERROR, "Parse error"))
    if isinstance(payload, list):
        if not payload or len(payload) > MAX_BATCH:
            return _error_response(None, RpcError(INVALID_REQUEST, f"Invalid request: a batch holds 1 to {MAX_BATCH} requests"))
        answers = []
        yielded = time.perf_counter()
        for item in payload:
            answers.append(handle_request(chain, item))
            # each request is bounded (a few ms at most), but a whole batch is not: let other
            # clients and the slot clock run once a batch has held the loop for BATCH_SLICE_S
            # (not after every request: a yield costs more than a small read)
            if time.perf_counter() - yielded > BATCH_SLICE_S:
                await asyncio.sleep(0)
                yielded = time.perf_counter()
        return answers
    return handle_request(chain, payload)


def _json_response(payload: object) -> web.Response:
    return web.Response(body=orjson.dumps(payload), content_type="application/json")


def make_rpc_app(chain: Chain, middlewares: tuple = ()) -> web.Application:
    """`middlewares` (aiohttp) let a fault injector add latency, 429s or drops in front of the methods."""
    async def post(request: web.Request) -> web.Response:
        return _json_response(await handle_body(chain, await request.read()))

    async def health(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=list(middlewares))
    app.router.add_post("/", post)
    app.router.add_get("/health", health)
    return app


@dataclass
class RpcServer:
    runner: web.AppRunner
    port: int

    async def stop(self) -> None:
        await self.runner.cleanup()


async def serve_app(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Start an aiohttp app on host:port (0 = a free port); returns the runner and the bound port."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT_S)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    bound_port = runner.addresses[0][1]
    return runner, bound_port


async def start_rpc_server(chain: Chain, host: str, port: int, middlewares: tuple = ()) -> RpcServer:
    runner, bound_port = await serve_app(make_rpc_app(chain, middlewares), host, port)
    return RpcServer(runner, bound_port)
