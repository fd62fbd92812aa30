"""The in-process analyser (analysis.workers = 0): one actor process that is both the pool and its
worker.

It takes the Director's AnalyzeLaunches itself, runs at most `analysis.jobs_per_worker` analyses at
once on its own I/O loop (the same Analyst and deadline handling as an AnalyzerWorker: it is one)
and queues the rest, so a token costs two messages (the launches in, the decision out) instead of
four (no AnalysisJobs to a worker, no JobDone back). It creates no children, so its loop thread
never meets a fork. The Director supervises it like the AnalyzerPool: same messages, same restart.
The multi-process layout (analysis.workers >= 1) stays in actors/analyzer.py.
"""
from __future__ import annotations

import collections
import os

from loguru import logger

from actors.analyzer import AnalyzerPool, AnalyzerWorker
from actors.cpu_profile import profile_process
from messages.analysis import (AnalysisFailed, AnalysisJob, AnalysisJobs, AnalyzeLaunch, AnalyzeLaunches,
                               PoolWorkers, PoolWorkersRequest, bundled, unbundled)


def analyzer_class(settings):
    """The actor class that analyses launches under these settings: the in-process analyser for
    full mode with analysis.workers = 0, else the AnalyzerPool (fast mode needs no worker)."""
    if settings.analysis.mode == "full" and settings.analysis.workers == 0:
        return InProcessAnalyzer
    return AnalyzerPool


class InProcessAnalyzer(AnalyzerWorker):
    """The pool and its one worker in one process: queues the Director's launches, runs
    jobs_per_worker of them at once through AnalyzerWorker's gathering and answering."""

    def process_kind(self) -> str:
        return "analyzer"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        profile_process("analyzer")   # only with PUMPSNIPE_CPU_PROFILE set (actors/cpu_profile.py)
        self.waiting: collections.deque = collections.deque()   # jobs past jobs_per_worker, in order
        self.running = 0                                       # analyses started and not yet answered

    def on_message(self, msg, sender) -> None:
        if isinstance(msg, tuple) and msg and msg[0] == "open_channel":   # SPIKE: launches off thespian
            import secrets
            token = secrets.token_bytes(32)
            self.submit(self._open_channel(token), lambda port: self.send(sender, ("channel", port, token)))
            return
        if isinstance(msg, (AnalyzeLaunch, AnalyzeLaunches)):
            self._accept(unbundled(msg), sender)
        elif isinstance(msg, PoolWorkersRequest):   # the analysing process is this one
            mode = self.settings.analysis.mode if self.settings else "?"
            self.send(sender, PoolWorkers(msg.request_id, mode, (os.getpid(),)))
        elif not isinstance(msg, (AnalysisJob, AnalysisJobs)):   # jobs are a pool's to give, not ours to take
            super().on_message(msg, sender)

    async def _open_channel(self, token: bytes) -> int:
        import asyncio
        server = await asyncio.start_server(lambda r, w: self._serve_channel(r, w, token), "127.0.0.1", 0)
        self._channel_server = server
        return server.sockets[0].getsockname()[1]

    async def _serve_channel(self, reader, writer, token: bytes) -> None:
        """SPIKE: frames of [[request_id, launch fields], ...] in; [request_id, ms, buy] out, on the loop."""
        import asyncio
        import time

        import orjson

        from actors.policy.analysis import decide
        from messages.stream import Launch
        if await reader.readexactly(32) != token:
            writer.close()
            return
        settings = self.settings
        analyst = self._ensure_analyst(settings)
        semaphore = asyncio.Semaphore(settings.analysis.jobs_per_worker)
        deadline = settings.analysis.deadline_ms / 1000

        async def one(request_id, fields, handed):
            slot_free = not semaphore.locked()
            async with semaphore:
                started = handed if slot_free else time.monotonic()
                try:
                    facts = await analyst.gather(Launch(**fields), deadline)
                    buy = decide(facts, settings.analysis, "full").buy
                except Exception:
                    buy = None
                data = orjson.dumps([request_id, (time.monotonic() - started) * 1000, buy])
                writer.write(len(data).to_bytes(4, "big") + data)
        while True:
            try:
                size = int.from_bytes(await reader.readexactly(4), "big")
            except asyncio.IncompleteReadError:
                return
            batch = orjson.loads(await reader.readexactly(size))
            handed = time.monotonic()
            for request_id, fields in batch:
                asyncio.ensure_future(one(request_id, fields, handed))

    def _accept(self, requests: list, asker) -> None:
        try:
            if self.settings is None:   # asked before any StartAnalyzer: the request's own settings
                if requests[0].settings is None:
                    raise LookupError("analyzer not started: no settings yet")
                self.settings = requests[0].settings
            self.waiting.extend(AnalysisJob(request, asker) for request in requests)
            self._dispatch()
        except Exception as exc:   # answered, never left to the Director's lost-analysis timeout
            logger.exception("in-process analyzer: {} launches failed", len(requests))
            queued = {job.request.request_id for job in self.waiting}
            self.send(asker, bundled([AnalysisFailed(r.request_id, r.launch.mint, repr(exc))
                                      for r in requests if r.request_id not in queued]))

    def _dispatch(self) -> None:
        """Start what jobs_per_worker leaves room for, in one loop turn (one shared RPC batch)."""
        room = self.settings.analysis.jobs_per_worker - self.running
        jobs = [self.waiting.popleft() for _ in range(min(room, len(self.waiting)))]
        if jobs:
            self.running += len(jobs)
            self._run(jobs, None)

    def _jobs_done(self, pool, done: list) -> None:
        self.running = max(0, self.running - len(done))
        self._dispatch()
