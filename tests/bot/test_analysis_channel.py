"""The analysis channel's codec and a real loopback connection (actors/analysis_channel.py).
Expected frames are written out by hand from the wire format in the module's docstring."""
from __future__ import annotations

import asyncio
import select
import threading
import time

import pytest

from actors.analysis_channel import (ChannelClient, ChannelClosed, FrameBuffer, answer_frame, decode_answer,
                                     launches_frame, serve)
from messages.analysis import AnalysisDecision, AnalysisFailed, AnalyzeLaunch
from messages.stream import Launch


def a_launch(mint: str) -> Launch:
    return Launch(mint, "curve", "creator", "user", "Name", "SYM", "https://x/y.json",
                  "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA", 1_073_000_000_000_000, 30_000_000_000,
                  793_100_000_000_000, "sig", 7, 1.5)


def test_a_failure_frame_is_length_then_json():
    assert answer_frame(AnalysisFailed("r1", "M", "why")) == b'\x00\x00\x00\x14["f","r1","M","why"]'


def test_frames_arriving_in_pieces_come_out_whole():
    frames = FrameBuffer()
    data = answer_frame(AnalysisFailed("r1", "M", "why")) * 2
    assert frames.feed(data[:3]) == [] and frames.feed(data[3:30]) == [["f", "r1", "M", "why"]]
    assert frames.feed(data[30:]) == [["f", "r1", "M", "why"]]


def test_an_oversized_or_garbled_frame_closes_the_channel():
    with pytest.raises(ChannelClosed, match="frame of"):
        FrameBuffer().feed(b"\x7f\x00\x00\x00")
    with pytest.raises(ChannelClosed, match="not JSON"):
        FrameBuffer().feed(b"\x00\x00\x00\x02{x")


def test_a_decision_keeps_every_field_and_raw_integers():
    decision = AnalysisDecision("r2", a_launch("M2"), True, 71, ("ok",), 55, ("k",), ("rugcheck",))
    payload = FrameBuffer().feed(answer_frame(decision))[0]
    assert payload[0] == "d" and payload[2]["virtual_token_reserves"] == 1_073_000_000_000_000
    assert decode_answer(payload) == decision


def test_a_copied_pool_launch_never_goes_over_the_channel():
    launch = a_launch("M3")
    object.__setattr__(launch, "pool_state", object())
    with pytest.raises(ValueError, match="pool state"):
        launches_frame([AnalyzeLaunch("r3", launch, None)])


class LoopThread:
    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(5)

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def analyser_end():
    """A channel server on a loop thread that answers each launch with a decision (buy when the
    mint ends in an even digit), as the analyser's loop does."""
    loop, token = LoopThread(), b"t" * 32

    def on_launches(requests, write_answer):
        for request in requests:
            write_answer(AnalysisDecision(request.request_id, request.launch, int(request.launch.mint[-1]) % 2 == 0,
                                          50, (), 1))

    async def start():
        return await asyncio.start_server(lambda r, w: serve(r, w, token, on_launches), "127.0.0.1", 0)
    server = loop.run(start())
    yield server.sockets[0].getsockname()[1], token

    async def close():   # on the server's own loop
        server.close()
    loop.run(close())
    loop.stop()


def read_answers(client, count, timeout=5.0):
    answers, deadline = [], time.monotonic() + timeout
    while len(answers) < count and time.monotonic() < deadline:
        if select.select([client], [], [], 0.1)[0]:
            answers += client.answers()
    return answers


def test_launches_go_over_loopback_and_decisions_come_back(analyser_end):
    port, token = analyser_end
    client = ChannelClient(port, token)
    try:
        client.send([AnalyzeLaunch(f"r{i}", a_launch(f"M{i}"), None) for i in range(3)])
        client.send([AnalyzeLaunch("r3", a_launch("M3"), None)])
        answers = read_answers(client, 4)
    finally:
        client.close()
    assert [(a.request_id, a.launch.mint, a.buy) for a in answers] == \
        [("r0", "M0", True), ("r1", "M1", False), ("r2", "M2", True), ("r3", "M3", False)]
    assert answers[0].launch == a_launch("M0")


def test_a_wrong_token_is_disconnected(analyser_end):
    port, _token = analyser_end
    client = ChannelClient(port, b"x" * 32)
    try:
        with pytest.raises(ChannelClosed):
            client.send([AnalyzeLaunch("r0", a_launch("M0"), None)])
            read_answers(client, 1)
            client.answers()
    finally:
        client.close()



def test_an_answer_that_is_not_a_decision_closes_the_channel():
    """The Director stops trusting a stream it cannot read (and falls back to messages)."""
    import socket
    listener = socket.create_server(("127.0.0.1", 0))

    def analyser_sending_garbage():
        conn, _ = listener.accept()
        conn.recv(32)
        conn.sendall(b'\x00\x00\x00\x1c["d","r1",{"mint":"M"},true]')   # a decision missing its fields
        time.sleep(1)
        conn.close()
    thread = threading.Thread(target=analyser_sending_garbage, daemon=True)
    thread.start()
    client = ChannelClient(listener.getsockname()[1], b"t" * 32)
    try:
        with pytest.raises(ChannelClosed, match="unreadable answer"):
            read_answers(client, 1)
    finally:
        client.close()
        listener.close()


def test_a_connection_that_never_sends_the_token_is_dropped(analyser_end, monkeypatch):
    """No coroutine waits for ever on a silent local connection."""
    import socket

    import actors.analysis_channel as channel
    monkeypatch.setattr(channel, "TOKEN_WAIT_S", 0.2)
    port, _token = analyser_end
    silent = socket.create_connection(("127.0.0.1", port), timeout=3)
    try:
        assert silent.recv(1) == b""   # the analyser's end closed it
    finally:
        silent.close()
