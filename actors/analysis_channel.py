"""The analysis data path off thespian, for the in-process analyser (analysis.workers = 0, full mode).

Launches go from the Director to the in-process analyser, and decisions come back, over one loopback
TCP connection that the analyser's asyncio loop reads and writes itself. There is no thespian
message, no actor-thread hop and no pickle per launch; thespian keeps supervision. Measured with
benchmarks/bench_analysis.py's `direct1` pool, 3000 tokens at 500/s with the world pinned: p99
68 ms, against 104 ms over thespian messages.

Wire format: frames of a 4-byte big-endian length, then orjson.
- The client first sends the 32-byte token it was given in a thespian message; anything else is
  dropped.
- Launch frames: [[request_id, {Launch fields}], ...].
- Answer frames: ["d", request_id, {Launch fields}, buy, score, reasons, elapsed_ms, skip_keys,
  missing] for a decision, or ["f", request_id, mint, reason] for a failure.
No pickle crosses the socket, and only 127.0.0.1 is bound.

The Director asks the analyser for the channel when it starts or restarts it (OpenAnalysisChannel);
the analyser answers with the port and token (AnalysisChannelOpen). While the channel is down, launches
go as messages, as they do to the multi-process pool.
"""
from __future__ import annotations

import asyncio
import dataclasses
import hmac
import socket

import orjson

from messages.analysis import AnalysisDecision, AnalysisFailed, AnalyzeLaunch
from messages.stream import Launch

TOKEN_BYTES = 32
TOKEN_WAIT_S = 2.0
MAX_FRAME_BYTES = 16 * 1024 * 1024   # a storm's batch is a few hundred launches of ~600 bytes


class ChannelClosed(Exception):
    """The other end closed the connection, or sent something that is not a frame."""


def frame(payload) -> bytes:
    data = orjson.dumps(payload)
    return len(data).to_bytes(4, "big") + data


def launch_fields(launch: Launch) -> dict:
    if launch.pool_state is not None:   # a copied pool buy: not sent for analysis, and not plain data
        raise ValueError(f"{launch.mint}: a launch with pool state does not go over the channel")
    return {field.name: getattr(launch, field.name) for field in dataclasses.fields(Launch)}


def launches_frame(requests: list[AnalyzeLaunch]) -> bytes:
    return frame([[request.request_id, launch_fields(request.launch)] for request in requests])


def answer_frame(answer) -> bytes:
    if isinstance(answer, AnalysisDecision):
        return frame(["d", answer.request_id, launch_fields(answer.launch), answer.buy, answer.score,
                      list(answer.reasons), answer.elapsed_ms, list(answer.skip_keys), list(answer.missing)])
    return frame(["f", answer.request_id, answer.mint, answer.reason])


def decode_launches(payload) -> list[AnalyzeLaunch]:
    return [AnalyzeLaunch(request_id, Launch(**fields), None) for request_id, fields in payload]


def decode_answer(payload):
    if payload[0] == "d":
        _, request_id, fields, buy, score, reasons, elapsed_ms, skip_keys, missing = payload
        return AnalysisDecision(request_id, Launch(**fields), bool(buy), int(score), tuple(reasons),
                                int(elapsed_ms), tuple(skip_keys), tuple(missing))
    if payload[0] == "f":
        _, request_id, mint, reason = payload
        return AnalysisFailed(request_id, mint, reason)
    raise ChannelClosed(f"unknown answer kind {payload[0]!r}")


class FrameBuffer:
    """Bytes in, whole frames' payloads out (a frame may arrive in pieces)."""

    def __init__(self):
        self.buffer = bytearray()

    def feed(self, data: bytes) -> list:
        self.buffer += data
        payloads = []
        while len(self.buffer) >= 4:
            size = int.from_bytes(self.buffer[:4], "big")
            if size > MAX_FRAME_BYTES:
                raise ChannelClosed(f"frame of {size} bytes")
            if len(self.buffer) < 4 + size:
                break
            try:
                payloads.append(orjson.loads(bytes(self.buffer[4:4 + size])))
            except orjson.JSONDecodeError as exc:
                raise ChannelClosed(f"frame is not JSON: {exc}") from None
            del self.buffer[:4 + size]
        return payloads


class ChannelClient:
    """The Director's end: a blocking-for-writes socket whose reads are taken when its fd is
    readable (ThespianWatch), so an actor thread never waits on it."""

    def __init__(self, port: int, token: bytes, timeout_s: float = 1.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(token)
        self.frames = FrameBuffer()

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, requests: list[AnalyzeLaunch]) -> None:
        try:
            self.sock.sendall(launches_frame(requests))
        except OSError as exc:
            raise ChannelClosed(f"send failed: {exc!r}") from None

    def answers(self) -> list:
        """The answers whole so far; call when the fd is readable. ChannelClosed at EOF."""
        try:
            data = self.sock.recv(1 << 20)
        except (BlockingIOError, socket.timeout):
            return []
        except OSError as exc:
            raise ChannelClosed(f"recv failed: {exc!r}") from None
        if not data:
            raise ChannelClosed("the analyser closed the channel")
        try:
            return [decode_answer(payload) for payload in self.frames.feed(data)]
        except (TypeError, ValueError, KeyError, IndexError) as exc:   # not an answer: stop trusting the stream
            raise ChannelClosed(f"unreadable answer: {exc!r}") from None

    def close(self) -> None:
        self.sock.close()


async def serve(reader, writer, token: bytes, on_launches) -> None:
    """The analyser's end, on its loop: checks the token, then hands each frame's launches to
    on_launches(requests, write_answer) until the Director closes."""
    try:   # a connection that does not say the token at once is dropped, never left waiting
        given = await asyncio.wait_for(reader.readexactly(TOKEN_BYTES), TOKEN_WAIT_S)
    except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
        given = b""
    if not hmac.compare_digest(given, token):
        writer.close()
        return

    def write_answer(answer) -> None:
        writer.write(answer_frame(answer))
    try:
        while True:
            size = int.from_bytes(await reader.readexactly(4), "big")
            if size > MAX_FRAME_BYTES:
                break
            on_launches(decode_launches(orjson.loads(await reader.readexactly(size))), write_answer)
    except (asyncio.IncompleteReadError, ConnectionError, orjson.JSONDecodeError, TypeError, ValueError):
        pass
    finally:
        writer.close()
