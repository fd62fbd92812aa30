"""The analysis benchmark's HTTP sources on a lean HTTP/1.1 server (asyncio.Protocol): the world's
own CPU per request is harness cost (on mainnet the sources run on someone else's machines), and
aiohttp.web spent ~140 us of it per request on these 2 cores, a third of a token's world CPU.

It serves what the bot's real HTTP client asks (GET, keep-alive, answers with Content-Length, in
request order per connection) and nothing more: no chunked request bodies, no TLS. Each request is
answered after the source's latency, in Delay's models (analysis_world.py), with the trace header
when asked. route(path, query) -> (status, body bytes) is the sources' logic, shared with the
aiohttp.web variant (`bench_analysis --sources-server aiohttp`)."""
from __future__ import annotations

import asyncio
import collections
import time
from typing import Callable
from urllib.parse import unquote

MAX_HEAD_BYTES = 16 * 1024
REASONS = {200: b"OK", 400: b"Bad Request", 404: b"Not Found"}


def response(status: int, body: bytes, trace: str | None = None, close: bool = False) -> bytes:
    head = [b"HTTP/1.1 %d %s" % (status, REASONS.get(status, b"")), b"Content-Type: application/json",
            b"Content-Length: %d" % len(body)]
    if trace is not None:
        head.append(b"x-bench-trace: " + trace.encode())
    if close:
        head.append(b"Connection: close")
    return b"\r\n".join(head) + b"\r\n\r\n" + body


class LeanServer:
    """Every connection's requests answered `seconds` after each arrived (answer_at: the route's
    work included; wait_then_work: the work after the wait), in arrival order per connection."""

    def __init__(self, route: Callable[[str, str], tuple[int, bytes]], seconds: float, model: str,
                 trace_header: str):
        self.route, self.seconds, self.model = route, seconds, model
        self.trace_header = trace_header.lower().encode()
        self.on = True
        self.requests = 0
        self.server: asyncio.AbstractServer | None = None

    async def start(self, host: str = "127.0.0.1") -> str:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(lambda: _Connection(self), host, 0)
        return f"http://{host}:{self.server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    def answer(self, head: bytes, received: float) -> tuple[float, Callable[[], bytes], bool]:
        """(when to write, the bytes to write then, close after) for one request head."""
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        traced = any(line.lower().startswith(self.trace_header + b":") for line in lines[1:])
        close = any(line.lower().replace(b" ", b"") == b"connection:close" for line in lines[1:])
        if self.on:
            self.requests += 1
        delay = self.seconds if self.on else 0.0

        def work() -> tuple[bytes, int, float]:
            started = time.monotonic()
            if len(parts) != 3 or parts[0] != b"GET":
                status, body = 400, b'{"error":"GET only"}'
            else:
                target = parts[1].decode("latin-1")
                path, _, query = target.partition("?")
                status, body = self.route(unquote(path), query)
            return body, status, time.monotonic() - started

        def written(body: bytes, status: int, worked: float) -> bytes:
            trace = f"{received:.6f},{worked:.6f},{time.monotonic():.6f}" if traced else None
            return response(status, body, trace, close)

        if self.model == "wait_then_work":
            return received + delay, lambda: written(*work()), close
        done = work()   # answer_at: the work now, the answer when the latency is served
        return received + delay, lambda: written(*done), close


class _Connection(asyncio.Protocol):
    def __init__(self, server: LeanServer):
        self.server = server
        self.buffer = bytearray()
        self.queue: collections.deque = collections.deque()   # LeanServer.answer()s, arrival order
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        loop = asyncio.get_running_loop()
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = bytes(self.buffer[:end])
            del self.buffer[:end + 4]
            due, make, close = self.server.answer(head, loop.time())
            due = max(due, self.queue[-1][0]) if self.queue else due   # answered in arrival order
            self.queue.append((due, make, close))
            loop.call_at(due, self._write_next)
        if len(self.buffer) > MAX_HEAD_BYTES:
            self.transport.write(response(400, b'{"error":"head too large"}', close=True))
            self.transport.close()

    def _write_next(self) -> None:
        """One timer per answer, due times never decreasing: each fire writes the oldest."""
        if not self.queue or self.transport is None:
            return
        _, make, close = self.queue.popleft()
        self.transport.write(make())
        if close:
            self.transport.close()
            self.queue.clear()
