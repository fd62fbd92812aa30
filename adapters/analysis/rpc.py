"""The analysis's JSON-RPC client: plain aiohttp + orjson on the Analyst's shared session (no
solana-py/httpx objects per call), JSON-RPC batches (the account reads, holders and honeypot
simulations of the coins of one loop turn in one round trip: coalesce.py), and failover: a transport error, a timeout, an HTTP 429/5xx or an
unreadable answer moves to the next configured endpoint and asks again there; later calls start at
the endpoint that last answered. URLs may hold API keys: errors name the endpoint by its index."""
from __future__ import annotations

import asyncio

import aiohttp
import orjson

from adapters.analysis.limits import RateLimited


class RpcCallError(Exception):
    """One request of a batch answered with a JSON-RPC error (the endpoint itself works)."""


class EndpointFailed(Exception):
    """An endpoint did not answer usably (transport, timeout, HTTP status, not JSON-RPC)."""


class AnalysisRpc:
    def __init__(self, session: aiohttp.ClientSession, urls, timeout_s: float = 5.0):
        self.session = session
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.urls = [u.reveal() if hasattr(u, "reveal") else u for u in urls]
        if not self.urls:
            raise ValueError("chain.rpc_urls: at least one endpoint is needed")
        self.current = 0
        self.failovers = 0

    async def batch(self, calls: list[tuple[str, list]]) -> list:
        """One POST of every (method, params); each answer is its result's value (or the result
        when it has no value) or an RpcCallError. Raises after every endpoint failed."""
        body = orjson.dumps([{"jsonrpc": "2.0", "id": i, "method": method, "params": params}
                             for i, (method, params) in enumerate(calls)])
        failure: Exception | None = None
        for _ in range(len(self.urls)):
            index = self.current
            try:
                return _answers(await self._post(index, body), len(calls))
            except (aiohttp.ClientError, asyncio.TimeoutError, EndpointFailed, RateLimited) as exc:
                failure = exc
                if len(self.urls) > 1:
                    self.current = (index + 1) % len(self.urls)
                    self.failovers += 1
        if isinstance(failure, RateLimited):
            raise failure               # the Source backs off and asks again
        raise EndpointFailed(f"every RPC endpoint failed, last: {failure!r}") from failure

    async def call(self, method: str, params: list):
        (answer,) = await self.batch([(method, params)])
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def _post(self, index: int, body: bytes):
        async with self.session.post(self.urls[index], data=body, timeout=self.timeout,
                                     headers={"content-type": "application/json"}) as resp:
            if resp.status == 429:
                raise RateLimited(f"rpc endpoint #{index}", None)
            if resp.status != 200:
                raise EndpointFailed(f"rpc endpoint #{index}: HTTP {resp.status}")
            try:
                return orjson.loads(await resp.read())
            except orjson.JSONDecodeError:
                raise EndpointFailed(f"rpc endpoint #{index}: answer is not JSON") from None


def _answers(reply, count: int) -> list:
    if not isinstance(reply, list):   # a batch-level error (or a server without batches)
        message = reply.get("error", {}).get("message") if isinstance(reply, dict) else None
        raise EndpointFailed(f"batch refused: {message or 'not a JSON-RPC batch answer'}")
    answers: list = [EndpointFailed("no answer for this request")] * count
    for item in reply:
        index = item.get("id") if isinstance(item, dict) else None
        if not isinstance(index, int) or not 0 <= index < count:
            continue
        if "error" in item:
            error = item["error"]
            answers[index] = RpcCallError(error.get("message", str(error)) if isinstance(error, dict) else str(error))
        else:
            result = item.get("result")
            answers[index] = result["value"] if isinstance(result, dict) and "value" in result else result
    return answers
