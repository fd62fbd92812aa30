"""HTTP faults in front of the JSON-RPC methods: latency, 429, 5xx and timeouts (the request is held
past the client's timeout, then the connection is dropped without an answer)."""
from __future__ import annotations

import asyncio
import random
from contextvars import ContextVar

import orjson
from aiohttp import web

SERVER_ERROR_STATUSES = (500, 502, 503, 504)
# The simulated market stands for other traders on their own RPC providers: faults model the
# endpoint under test, so the market's requests carry this header and skip every injected fault.
WORLD_TRAFFIC_HEADER = "X-Localnet-World"
world_traffic: ContextVar[bool] = ContextVar("world_traffic", default=False)
RETRY_AFTER_S = 1


def _json_rpc_error(status: int, message: str, headers: dict | None = None) -> web.Response:
    # what rate-limited RPC providers answer: an HTTP error status with a JSON-RPC error body
    body = {"jsonrpc": "2.0", "error": {"code": status, "message": message}, "id": None}
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json", headers=headers)


def rpc_fault_middleware(plan, rng: random.Random):
    """An aiohttp middleware reading `plan.rpc_faults` (None when all are off) on every request, so
    changes apply at once; each fault it injects is counted in `plan.counters`."""
    @web.middleware
    async def inject_rpc_faults(request: web.Request, handler):
        if request.headers.get(WORLD_TRAFFIC_HEADER) == "1":
            token = world_traffic.set(True)    # seen by the submit gate further down this request
            try:
                return await handler(request)
            finally:
                world_traffic.reset(token)
        faults = plan.rpc_faults
        if faults is None:
            return await handler(request)
        counters = plan.counters
        if faults.rate_429 and rng.random() < faults.rate_429:
            counters.rpc_429 += 1
            return _json_rpc_error(429, "Too many requests for a specific RPC call", {"Retry-After": str(RETRY_AFTER_S)})
        if faults.timeout_rate and rng.random() < faults.timeout_rate:
            counters.rpc_timeouts += 1
            await asyncio.sleep(faults.timeout_hold_s)
            if request.transport is not None:
                request.transport.abort()     # no answer at all: the client sees its timeout or a reset
            raise web.HTTPServiceUnavailable()  # never reaches the client; ends the handler quietly
        if faults.latency.active:
            delay_s = faults.latency.sample_s(rng)
            counters.rpc_delayed += 1
            counters.rpc_delay_ms_total += round(delay_s * 1000)
            await asyncio.sleep(delay_s)
        if faults.rate_5xx and rng.random() < faults.rate_5xx:
            counters.rpc_5xx += 1
            status = rng.choice(SERVER_ERROR_STATUSES)
            return _json_rpc_error(status, f"injected server error {status}")
        return await handler(request)
    return inject_rpc_faults
