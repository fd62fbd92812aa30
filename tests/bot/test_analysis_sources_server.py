"""The analysis benchmark's lean sources server (benchmarks/analysis_sources_server.py) answers the
bot's real HTTP client as the aiohttp.web variant does: the same documents, after the source's
latency in both models, the trace header when asked, in order on a kept-alive connection."""
from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from benchmarks.analysis_world import SOURCE_LATENCY_S, TRACE_HEADER, SlowSources

MINTS = {"M1": "Bench1", "M2": "Bench2"}
PATHS = ("/coins/M1.json", "/v1/tokens/M1/report/summary", "/tokens/v2/search?query=M1,M2,M3", "/nope")


async def _answers(server: str, model: str) -> list:
    sources = SlowSources(model, server)
    sources.names = dict(MINTS)
    url = await sources.start()
    try:
        async with aiohttp.ClientSession() as session:
            async def one(path):
                started = time.monotonic()
                async with session.get(url + path, headers={TRACE_HEADER: "1"}) as resp:
                    return resp.status, await resp.json(), resp.headers.get(TRACE_HEADER), time.monotonic() - started
            answers = await asyncio.gather(*(one(path) for path in PATHS))
        assert sources.requests == len(PATHS)
        return answers
    finally:
        await sources.stop()


@pytest.mark.parametrize("model", ["answer_at", "wait_then_work"])
def test_the_lean_server_answers_what_aiohttp_web_answers_after_the_sources_latency(model):
    lean, web = asyncio.run(_answers("lean", model)), asyncio.run(_answers("aiohttp", model))
    assert [(status, body) for status, body, _, _ in lean] == [(status, body) for status, body, _, _ in web]
    assert lean[0][:2] == (200, {"name": "Bench1", "symbol": "BENC", "image": "https://i/x.png",
                                 "twitter": "https://x.com/x"})
    assert lean[2][:2] == (200, [{"id": "M1", "organicScore": 55.0}, {"id": "M2", "organicScore": 55.0}])
    assert lean[3][0] == 404
    for _status, _body, trace, elapsed in lean:
        received, worked, answered = (float(t) for t in trace.split(","))
        assert elapsed >= SOURCE_LATENCY_S and answered - received >= SOURCE_LATENCY_S - 0.001
        assert 0 <= worked < SOURCE_LATENCY_S


def test_kept_alive_requests_are_answered_in_order_and_connection_close_is_honoured():
    """Two requests written back to back on one connection (pipelined): both answers, in order;
    then a request asking Connection: close gets its answer and the server closes."""
    async def run():
        sources = SlowSources("answer_at", "lean")
        sources.names = dict(MINTS)
        port = int((await sources.start()).rsplit(":", 1)[1])
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /coins/M1.json HTTP/1.1\r\nHost: x\r\n\r\nGET /coins/M2.json HTTP/1.1\r\nHost: x\r\n\r\n"
                         b"GET /coins/M1.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = await asyncio.wait_for(reader.read(), 5)   # to EOF: the server closed
            writer.close()
            return data
        finally:
            await sources.stop()
    data = asyncio.run(run())
    assert data.count(b"HTTP/1.1 200 OK") == 3
    assert data.index(b"Bench1") < data.index(b"Bench2") < data.rindex(b"Bench1")
    assert data.count(b"Connection: close") == 1
