"""sendTransaction written to the RPC endpoint from the calling (actor) thread, on a connection
opened ahead of time; the reply is read later on the I/O loop.

Why: handing the signed bytes to the loop thread and its HTTP client cost the fast path 1-3 ms p50
and up to tens of ms under load before a byte left (bench_detection_latency, stages
journaled_sent -> buy_send_start and the sent -> received column). Here the bytes leave in the
same thread that signed them. Plain http:// endpoints only (the local chain, a node on the same
host or a private link); for https the caller keeps the ordinary path (RpcClient.send_raw).

One request at a time per connection (two per position). The reply maps to ChainAccess.send's (error, maybe_sent):
the node's JSON-RPC error or an HTTP 4xx means it refused the transaction (not sent); a broken
connection, a timeout or a 5xx after the write means it may have it (the caller rebroadcasts the
same bytes while confirming, never new ones). The URL is never logged (it may carry an API key)."""
from __future__ import annotations

import asyncio
import base64
import json
import select
import socket
from urllib.parse import urlsplit

MAX_REPLY_BYTES = 1 << 20


class HotConnection:
    """One kept-open HTTP/1.1 connection; one request at a time."""

    def __init__(self, sock: socket.socket):
        self.sock: socket.socket | None = sock
        self.busy = False   # written, reply not read yet

    def idle_and_open(self) -> bool:
        if self.sock is None or self.busy:
            return False
        # an idle keep-alive connection has nothing to read; readable means the server closed it
        readable, _, _ = select.select([self.sock], [], [], 0)
        if readable:
            self.close()
        return not readable

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None


class HotSender:
    """CONNECTIONS connections: a position's sell may leave while its buy's reply is still due."""
    CONNECTIONS = 2

    def __init__(self, rpc_url: str, preflight_commitment: str, timeout_seconds: float):
        parts = urlsplit(rpc_url)
        self.usable = parts.scheme == "http" and bool(parts.hostname)
        self.address = (parts.hostname or "", parts.port or 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.head = (f"POST {target} HTTP/1.1\r\nHost: {parts.netloc.rsplit('@', 1)[-1]}\r\n"
                     "Content-Type: application/json\r\nConnection: keep-alive\r\n")
        self.commitment = preflight_commitment
        self.timeout = timeout_seconds
        self.connections: list[HotConnection] = []

    def connect(self) -> None:
        """Open connections now (off the hot path) up to CONNECTIONS live ones; errors propagate."""
        if not self.usable:
            return
        self.connections = [c for c in self.connections if c.busy or c.idle_and_open()]
        while len(self.connections) < self.CONNECTIONS:
            sock = socket.create_connection(self.address, timeout=self.timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setblocking(False)
            self.connections.append(HotConnection(sock))

    def request_bytes(self, raw: bytes) -> bytes:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "sendTransaction",
                           "params": [base64.b64encode(raw).decode(),
                                      {"encoding": "base64", "skipPreflight": True,
                                       "preflightCommitment": self.commitment}]},
                          separators=(",", ":")).encode()
        return self.head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body

    def write(self, raw: bytes) -> HotConnection | None:
        """Send the transaction now. None: nothing was written (no idle connection), use the
        ordinary path. A connection: the request left on it (or part of it did: treat it as maybe
        sent); read the outcome with `await reply(connection)` on the loop."""
        connection = next((c for c in self.connections if c.idle_and_open()), None)
        if connection is None:
            return None
        request = self.request_bytes(raw)
        try:
            written = connection.sock.send(request)
        except OSError:
            connection.close()
            return None
        connection.busy = True
        if written < len(request):   # a full socket buffer: rare, the rest goes out blocking
            try:
                connection.sock.settimeout(self.timeout)
                connection.sock.sendall(request[written:])
                connection.sock.setblocking(False)
            except OSError:
                connection.close()   # reply() reports it as maybe sent
        return connection

    async def reply(self, connection: HotConnection) -> tuple[str, bool]:
        """(error, maybe_sent) of the request write() sent: ('', True) when the node accepted it."""
        try:
            if connection.sock is None:
                return "send failed: connection lost while writing", True
            status, body, close = await asyncio.wait_for(self._read_reply(connection.sock), self.timeout)
        except (OSError, asyncio.TimeoutError, ValueError) as exc:
            connection.close()
            return f"send failed: {exc!r}", True
        finally:
            connection.busy = False
        if close:
            connection.close()
        if status == 429 or 400 <= status < 500:
            return f"send failed: HTTP {status}", False
        if status != 200:
            return f"send failed: HTTP {status}", True
        try:
            answer = json.loads(body)
        except ValueError:
            return "send failed: reply is not JSON", True
        if isinstance(answer, dict) and answer.get("error") is not None:
            return f"send failed: {answer['error']}", False
        return "", True

    async def _read_reply(self, sock) -> tuple[int, bytes, bool]:
        loop, data = asyncio.get_running_loop(), b""
        while b"\r\n\r\n" not in data:
            data += await _recv(loop, sock, len(data))
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {name.strip().lower(): value.strip() for name, _, value in
                   (line.partition(":") for line in lines[1:])}
        if "content-length" not in headers:
            raise ValueError("reply without Content-Length")
        length = int(headers["content-length"])
        while len(body) < length:
            body += await _recv(loop, sock, len(body))
        return status, body[:length], headers.get("connection", "").lower() == "close"

    def close(self) -> None:
        for connection in self.connections:
            connection.close()
        self.connections = []


async def _recv(loop, sock, have: int) -> bytes:
    if have > MAX_REPLY_BYTES:
        raise ValueError("reply too long")
    chunk = await loop.sock_recv(sock, 65536)
    if not chunk:
        raise ConnectionError("connection closed by the node")
    return chunk
