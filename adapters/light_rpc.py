"""The confirmation reads (getSignatureStatuses, getTransaction, getBlockHeight) over one aiohttp
session, for RpcClient: a light transport beside solana-py's.

Why: a live position polls while its transactions confirm, and one read through solana-py's
AsyncClient (httpx2 and its request objects) cost ~1.1-1.4 ms of CPU on the local chain against
~0.3 ms here (aiohttp, the body built with orjson); at 10 launches/s the positions' polls held a
good part of a core (bench_detection_latency). Replies are parsed by solders' own from_json, the
very parser solana-py uses, so callers get the same objects (and error strings) either way; a
JSON-RPC error is raised as solana-py's RPCException, and HTTP failures as LightHttpStatus, so
RpcClient classifies, retries and fails over exactly as for its other reads."""
from __future__ import annotations

from typing import Sequence

import aiohttp
import orjson
from solana.rpc.core import RPCException
from solders.rpc.responses import RPCError

from adapters.shared_tls import SHARED_TLS_CONTEXT

JSON_HEADERS = {"Content-Type": "application/json"}


class LightHttpStatus(Exception):
    """The endpoint answered with an HTTP status other than 200."""

    def __init__(self, status: int, retry_after: str = ""):
        super().__init__(f"HTTP {status}")
        self.status, self.retry_after = status, retry_after


class LightTransport:
    """One aiohttp session (created on the loop that first uses it) over the RpcClient's endpoints."""

    def __init__(self, urls: Sequence[str], timeout_seconds: float):
        self.urls = list(urls)
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    def _session_now(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # the same TLS context as solana-py's clients (adapters/shared_tls.py): no CA parse per client
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=SHARED_TLS_CONTEXT), timeout=self.timeout)
        return self._session

    async def read(self, index: int, method: str, params: list, parser):
        """POST one JSON-RPC request to endpoint `index`; the reply parsed by `parser.from_json`."""
        body = orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        async with self._session_now().post(self.urls[index], data=body, headers=JSON_HEADERS) as resp:
            raw = await resp.read()
            if resp.status != 200:
                raise LightHttpStatus(resp.status, resp.headers.get("retry-after", ""))
        parsed = parser.from_json(raw.decode())
        if isinstance(parsed, RPCError.__args__):   # as solana-py's _parse_raw does
            raise RPCException(parsed)
        return parsed

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
