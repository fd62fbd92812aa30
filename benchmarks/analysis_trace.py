"""bench_analysis --trace: where a token's time goes in a burst. Every request of the asyncio pool
carries the world's trace header (benchmarks/analysis_world.py), so each source request of each
token has six times on the machine-wide monotonic clock:

    sent      the request left the bot (aiohttp wrote its headers/body)
    received  the world's middleware started (its server read and parsed the request)
    worked    (a duration) the world's handler's work on it: for RPC the batch's methods
    answered  the world's answer was about to be written (its latency served)
    back      the bot read the answer's headers (aiohttp's on_request_end)
    parsed    the token's fact from that source was ready (its lookup done: body read and decoded)

and the token has its start (semaphore taken) and its decision. The decomposition splits each
stretch between two of them: the bot's queue before sending (building this and the burst's other
requests), the way to the world (its loop busy with others before it reads this one), the world
answering later than 50 ms after it received the request (its work when that does not fit in
the 50 ms, or its loop busy), the handler's own work (shown apart: with the answer_at model,
work within the 50 ms costs the token nothing), the way back (writing, the bot's loop busy before it reads) and the bot's work
after (reading, decoding, the probe verdict, its loop busy with others). Only the benchmark
process is traced (no production code path pays for it: the Analyst's trace_configs are empty).
"""
from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import aiohttp

from adapters.analysis.coalesce import rpc_coalescer
from adapters.analysis.gather import Analyst
from benchmarks.analysis_world import SOURCE_LATENCY_S, TRACE_HEADER

_BATCH_MINTS: ContextVar[tuple] = ContextVar("bench_batch_mints", default=())
STRETCHES = ("bot before", "to world", "world over 50", "(its work)", "way back", "bot after")


@dataclass
class RequestTimes:
    kind: str                 # rpc, uri_json, rugcheck or organic: the gather's fact names
    mints: tuple
    started: float
    sent: float = 0.0
    world: tuple = ()         # (received, worked, answered)
    back: float = 0.0


@dataclass
class TokenTimes:
    start: float = 0.0
    end: float = 0.0
    parsed: dict = field(default_factory=dict)   # fact name -> time
    asked: float = 0.0        # its RPC calls built and handed to the batch


def _kind_and_mints(method: str, url) -> tuple[str, tuple]:
    parts = urlsplit(str(url))
    path = parts.path
    if method == "POST":
        return "rpc", _BATCH_MINTS.get()
    if path.startswith("/coins/"):
        return "uri_json", (path.rsplit("/", 1)[-1].removesuffix(".json"),)
    if path.endswith("/report/summary"):
        return "rugcheck", (path.split("/")[-3],)
    return "organic", tuple(parse_qs(parts.query).get("query", [""])[0].split(","))


class Tracer:
    def __init__(self):
        self.requests: list[RequestTimes] = []
        self.tokens: dict[str, TokenTimes] = {}
        self.config = aiohttp.TraceConfig()
        self.config.on_request_start.append(self._start)
        self.config.on_request_headers_sent.append(self._sent)
        self.config.on_request_chunk_sent.append(self._sent)
        self.config.on_request_end.append(self._end)

    async def _start(self, _session, context, params) -> None:
        params.headers[TRACE_HEADER] = "1"
        context.times = RequestTimes(*_kind_and_mints(params.method, params.url), started=time.monotonic())
        self.requests.append(context.times)

    async def _sent(self, _session, context, _params) -> None:
        context.times.sent = time.monotonic()    # the last write: headers, then the body if any

    async def _end(self, _session, context, params) -> None:
        context.times.back = time.monotonic()
        stamp = params.response.headers.get(TRACE_HEADER)
        if stamp:
            context.times.world = tuple(float(t) for t in stamp.split(","))

    def token(self, mint: str, start: float, end: float) -> None:
        times = self.tokens.setdefault(mint, TokenTimes())
        times.start, times.end = start, end

    def parsed(self, mint: str, name: str) -> None:
        self.tokens.setdefault(mint, TokenTimes()).parsed[name] = time.monotonic()


class _MintsOfBatch:
    """The RPC client as the coalescer sees it, naming a batch's mints for the tracer."""

    def __init__(self, rpc):
        self.rpc = rpc

    async def batch(self, calls: list) -> list:
        _BATCH_MINTS.set(tuple(params[0] for method, params in calls if method == "getTokenLargestAccounts"))
        return await self.rpc.batch(calls)


class TracedAnalyst(Analyst):
    """The Analyst with the tracer's TraceConfig, stamping when each fact is ready."""

    tracer: Tracer

    def __init__(self, settings, tracer: Tracer | None = None):
        super().__init__(settings)
        self.tracer = tracer or Tracer()
        self.trace_configs = (self.tracer.config,)

    def open(self) -> None:
        if self.session is None:
            super().open()
            self.rpc_batches = rpc_coalescer(_MintsOfBatch(self.rpc), self.settings.analysis.batch_window_ms / 1000)
            ask = self.rpc_batches.ask

            def stamped_ask(calls):
                mint = next((params[0] for method, params in calls if method == "getTokenLargestAccounts"), None)
                if mint is not None:
                    self.tracer.tokens.setdefault(mint, TokenTimes()).asked = time.monotonic()
                return ask(calls)
            self.rpc_batches.ask = stamped_ask

    def _readers(self, launch):
        for name, future in super()._readers(launch):
            future.add_done_callback(lambda _done, name=name: self.tracer.parsed(launch.mint, name))
            yield name, future


def _stretches(request: RequestTimes, token: TokenTimes, parsed: float) -> tuple:
    received, worked, answered = request.world
    return (request.sent - token.start, received - request.sent, answered - received - SOURCE_LATENCY_S,
            worked, request.back - answered, parsed - request.back)


def _quantile(values: list, q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def decomposition(tracer: Tracer) -> str:
    """Per fact, then for each token's last fact (its critical path): medians (p90) in ms."""
    by_fact: dict[str, list] = {}
    critical, tails, totals, last_kinds, asks = [], [], [], {}, []
    for mint, token in tracer.tokens.items():
        rows = {}
        for name, parsed in token.parsed.items():
            request = next((r for r in tracer.requests if r.kind == name and mint in r.mints and r.world), None)
            if request is not None:
                rows[name] = _stretches(request, token, parsed)
                by_fact.setdefault(name, []).append(rows[name])
        if not rows or not token.end:
            continue
        last = max(rows, key=lambda name: token.parsed[name])
        critical.append(rows[last])
        last_kinds[last] = last_kinds.get(last, 0) + 1
        tails.append(token.end - token.parsed[last])
        if token.asked:
            asks.append(token.asked - token.start)
        totals.append(token.end - token.start)

    def line(label: str, rows: list) -> str:
        cells = "".join(f"{_quantile([r[i] for r in rows], 0.5) * 1000:>7.1f} ({_quantile([r[i] for r in rows], 0.9) * 1000:>5.1f})"
                        for i in range(len(STRETCHES)))
        return f"{label:<14}{len(rows):>5}{cells}"
    header = f"{'fact':<14}{'n':>5}" + "".join(f"{name:>15}" for name in STRETCHES)
    lines = ["where a token's time goes, ms: median (p90) per stretch; the world's 50 ms themselves left out, (its work) is part of the world's time", header]
    lines += [line(name, rows) for name, rows in sorted(by_fact.items())]
    lines.append(line("critical", critical))
    lines.append(f"tokens {len(totals)}: start to decision p50 {_quantile(totals, 0.5) * 1000:.1f} ms, p99 "
                 f"{_quantile(totals, 0.99) * 1000:.1f} ms; start to its RPC calls built p50 {_quantile(asks, 0.5) * 1000:.1f} ms "
                 f"(p90 {_quantile(asks, 0.9) * 1000:.1f}); last fact to decision p50 {_quantile(tails, 0.5) * 1000:.2f} ms; "
                 f"last fact: " + ", ".join(f"{name} {count}" for name, count in sorted(last_kinds.items())))
    lines.append(f"requests traced: {len(tracer.requests)} (" + ", ".join(
        f"{kind} {sum(r.kind == kind for r in tracer.requests)}" for kind in sorted({r.kind for r in tracer.requests})) + ")")
    return "\n".join(lines)
