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

import asyncio
import collections
import dataclasses
import os
import secrets
import time

from loguru import logger

from actors import analysis_channel
from actors.analyzer import AnalyzerPool, AnalyzerWorker, decision_message, failure_answer, gather_within_deadline
from actors.cpu_profile import profile_process
from messages.analysis import (AnalysisChannelOpen, AnalysisFailed, AnalysisJob, AnalysisJobs, AnalyzeLaunch,
                               AnalyzeLaunches, OpenAnalysisChannel, PoolWorkers, PoolWorkersRequest, bundled,
                               unbundled)


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
        self.channel_askers: list = []                         # asked for the channel before StartAnalyzer
        self._channel_server = None                            # the analysis channel's, on the loop
        self._channel_slots: asyncio.Semaphore | None = None

    def on_message(self, msg, sender) -> None:
        if isinstance(msg, OpenAnalysisChannel):   # launches and decisions off thespian
            self.channel_askers.append(sender)
            self._open_channels()   # now, or once StartAnalyzer has brought the settings
            return
        if isinstance(msg, (AnalyzeLaunch, AnalyzeLaunches)):
            self._accept(unbundled(msg), sender)
        elif isinstance(msg, PoolWorkersRequest):   # the analysing process is this one
            mode = self.settings.analysis.mode if self.settings else "?"
            self.send(sender, PoolWorkers(msg.request_id, mode, (os.getpid(),)))
        elif not isinstance(msg, (AnalysisJob, AnalysisJobs)):   # jobs are a pool's to give, not ours to take
            super().on_message(msg, sender)
            self._open_channels()

    def _open_channels(self) -> None:
        while self.settings is not None and self.channel_askers:
            asker, token = self.channel_askers.pop(0), secrets.token_bytes(32)
            self.submit(self._open_channel(token), lambda port, a=asker, t=token: self.send(a, AnalysisChannelOpen(port, t)),
                        lambda exc: logger.warning("in-process analyzer: no analysis channel: {!r}", exc))

    async def _open_channel(self, token: bytes) -> int:
        """Serve the analysis channel (actors/analysis_channel.py) on this actor's loop, loopback
        only; a new one (the Director's, after a restart of its own) replaces the last."""
        if self._channel_server is not None:
            self._channel_server.close()
        self._channel_slots = asyncio.Semaphore(self.settings.analysis.jobs_per_worker)
        server = await asyncio.start_server(
            lambda r, w: analysis_channel.serve(r, w, token, self._channel_launches), "127.0.0.1", 0)
        self._channel_server = server
        return server.sockets[0].getsockname()[1]

    def _channel_launches(self, requests: list, write_answer) -> None:
        """On the loop: a frame's launches start in one loop turn (one shared RPC batch)."""
        handed = time.monotonic()
        for request in requests:
            asyncio.ensure_future(self._channel_one(request, write_answer, handed))

    async def _channel_one(self, request, write_answer, handed: float) -> None:
        """As a job: at most jobs_per_worker at once, the same deadline handling and decision, its
        time counted from a free slot; answered from the loop, with no actor-thread hop. Its slots
        are the channel's own: launches sent as messages while the channel was down have theirs."""
        request = dataclasses.replace(request, settings=self.settings)
        slot_free = not self._channel_slots.locked()
        async with self._channel_slots:
            started = handed if slot_free else time.monotonic()
            try:
                facts = await gather_within_deadline(self._ensure_analyst(self.settings), request)
                answer = decision_message(request, facts, started, "full")
            except Exception as exc:
                answer = failure_answer(request, exc)
            write_answer(answer)

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
