"""AnalyzerPool and its workers: the analysis of fresh launches (checks: actors/policy/analysis.py,
facts: adapters/analysis/).

The pool is a plain actor that keeps no threads (it forks its workers): it creates
`analysis.workers` AnalyzerWorker processes itself (so the setting is honoured at run time, which
thespian's @troupe(max_count=...) fixed at class definition cannot do), sends each job to the
worker with the fewest jobs in flight, and re-sends the jobs of a worker that died to its
replacement (at-least-once: the Director ignores a second decision for a mint). In fast mode the
pool answers from the create event and the creator history alone, with no worker and no I/O wait.
"""
from __future__ import annotations

import asyncio
import collections
import dataclasses
import gc
import os
import time
from datetime import timedelta

from loguru import logger
from thespian.actors import Actor, ActorExitRequest, ChildActorExited, WakeupMessage

from actors.bridge import IOActor
from actors.policy.analysis import decide
from actors.process_kind import name_process
from adapters.analysis.accounts import parse_mint_authorities   # noqa: F401  (re-exported)
from adapters.analysis.creators import CreatorHistory, default_path
from adapters.analysis.gather import Analyst, fast_facts
from messages.analysis import (AnalysisDecision, AnalysisFailed, AnalysisJob, AnalysisJobs, AnalyzeLaunch,
                               AnalyzeLaunches, JobDone, PoolWorkers, PoolWorkersRequest, bundled, unbundled)
from messages.start import StartAnalyzer, StartFailed
from messages.status import PidReply, PidRequest

DEADLINE_MARGIN_S = 0.005         # the worker stops gathering this much before the deadline to answer
HEALTH_CHECK_SECONDS = 1.0
MAX_REPLACEMENTS_PER_MINUTE = 10   # workers dying faster than this are crashing, not unlucky


async def gather_within_deadline(analyst: Analyst, request: AnalyzeLaunch) -> dict:
    """The launch's facts, gathering stopped DEADLINE_MARGIN_S before its deadline so the answer
    still makes it (raises if the gathering itself fails or hangs past it)."""
    deadline = request.settings.analysis.deadline_ms / 1000
    return await asyncio.wait_for(analyst.gather(request.launch, max(0.001, deadline - DEADLINE_MARGIN_S)),
                                  deadline + 1.0)


def failure_answer(request: AnalyzeLaunch, exc: BaseException) -> AnalysisFailed:
    reason = "deadline exceeded" if isinstance(exc, asyncio.TimeoutError) else repr(exc)
    logger.warning("analyzer: {} failed: {}", request.launch.mint, reason)
    return AnalysisFailed(request.request_id, request.launch.mint, reason)


def decision_message(request: AnalyzeLaunch, facts: dict, started: float, mode: str) -> AnalysisDecision:
    verdict = decide(facts, request.settings.analysis, mode)
    return AnalysisDecision(request.request_id, request.launch, verdict.buy, verdict.score,
                            verdict.reasons, int((time.monotonic() - started) * 1000),
                            verdict.skip_keys, verdict.missing)


class AnalyzerPool(Actor):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name_process("analyzer")   # actors/process_kind.py
        self.settings = None
        # workers by slot id: thespian addresses are not hashable, and the address createActor
        # returns is not always equal to the one a ChildActorExited names, so the worker's own
        # address (from its PidReply) replaces it, and the pid is the last resort
        self.slots: dict = {}                   # slot id -> worker address
        self.pids: dict = {}                    # slot id -> pid
        self.next_slot = 0
        self.in_flight: dict = {}               # request_id -> (slot id, AnalysisJob)
        self.waiting: collections.deque = collections.deque()   # jobs no worker has room for yet
        self.replaced_at: collections.deque = collections.deque()
        self.creators: CreatorHistory | None = None
        self.exiting = False

    def receiveMessage(self, msg, sender):
        try:
            self._receive(msg, sender)
        except Exception as exc:   # one bad message must not trigger thespian's retry/poison path
            logger.exception("analyzer pool: {} failed", type(msg).__name__)
            if isinstance(msg, StartAnalyzer) and getattr(msg.peers, "director", None) is not None:
                self.send(msg.peers.director, StartFailed("analyzer", repr(exc)))
            elif isinstance(msg, (AnalyzeLaunch, AnalyzeLaunches)):
                queued = set(self.in_flight) | {job.request.request_id for job in self.waiting}
                failed = [AnalysisFailed(r.request_id, r.launch.mint, repr(exc))
                          for r in unbundled(msg) if r.request_id not in queued]
                if failed:
                    self.send(sender, bundled(failed))

    def _receive(self, msg, sender) -> None:
        if isinstance(msg, StartAnalyzer):
            self._configure(msg.settings)
        elif isinstance(msg, (AnalyzeLaunch, AnalyzeLaunches)):
            requests = [self._with_settings(request) for request in unbundled(msg)]
            self._configure(requests[0].settings)
            answers = [answer for answer in (self._analyse(request, sender) for request in requests) if answer]
            if answers:   # fast mode, or no worker left: answered here, in one message
                self.send(sender, bundled(answers))
            self._dispatch()
        elif isinstance(msg, JobDone):
            for request_id in (msg.request_id, *msg.more):
                self.in_flight.pop(request_id, None)
            self._dispatch()
        elif isinstance(msg, PidReply):
            slot = msg.request_id.removeprefix("worker-")
            if slot in self.slots:
                self.slots[slot], self.pids[slot] = sender, msg.pid
        elif isinstance(msg, ChildActorExited):
            self._replace(msg.childAddress)
        elif isinstance(msg, WakeupMessage):
            if not self.exiting and self.slots:   # liveness sweep, for exits thespian did not report
                self._replace(None)
                self.wakeupAfter(timedelta(seconds=HEALTH_CHECK_SECONDS))
        elif isinstance(msg, PidRequest):
            self.send(sender, PidReply(msg.request_id, os.getpid()))
        elif isinstance(msg, PoolWorkersRequest):
            mode = self.settings.analysis.mode if self.settings else "?"
            self.send(sender, PoolWorkers(msg.request_id, mode,
                                          tuple(self.pids[slot] for slot in self.slots if slot in self.pids)))
        elif isinstance(msg, ActorExitRequest):
            self.exiting = True   # its workers exit with it: no replacements
            if self.creators is not None:
                self.creators.close()

    def _configure(self, settings) -> None:
        if self.settings is not None:
            return
        if settings.analysis.mode == "fast":
            self.creators = CreatorHistory(default_path(settings))   # raises on an unusable file
        self.settings = settings
        if self.creators is not None:
            return
        for _ in range(settings.analysis.workers):
            self._new_worker()
        self.wakeupAfter(timedelta(seconds=HEALTH_CHECK_SECONDS))

    def _with_settings(self, request: AnalyzeLaunch) -> AnalyzeLaunch:
        """A request without settings (the Director's: ~3 kB less to pickle per launch) uses the
        pool's own, from its StartAnalyzer."""
        if request.settings is not None:
            return request
        if self.settings is None:
            raise LookupError("analyzer not started: no settings yet")
        return dataclasses.replace(request, settings=self.settings)

    def _new_worker(self) -> str:
        worker = self.createActor(AnalyzerWorker)
        slot, self.next_slot = str(self.next_slot), self.next_slot + 1
        self.slots[slot] = worker
        self.send(worker, StartAnalyzer(self.settings, None))
        self.send(worker, PidRequest(f"worker-{slot}"))
        return slot

    def _analyse(self, msg: AnalyzeLaunch, sender):
        """The answer when the pool gives it at once (fast mode; no worker left), else None: the
        job waits for a worker (the caller dispatches)."""
        if self.creators is not None:   # fast mode: no RPC, answered here
            started = time.monotonic()
            return decision_message(msg, fast_facts(msg.launch, self.creators, msg.settings.trading), started, "fast")
        if not self.slots:
            return AnalysisFailed(msg.request_id, msg.launch.mint, "no analyser worker left")
        # the workers got the settings in their StartAnalyzer: a job without them pickles ~150 us
        # faster on both sides (the Settings tree is most of an AnalyzeLaunch's 3 kB)
        self.waiting.append(AnalysisJob(dataclasses.replace(msg, settings=None), sender))
        return None

    def _dispatch(self) -> None:
        """Each worker runs at most jobs_per_worker analyses at once; the rest wait here, so a
        burst queues in one place instead of slowing every analysis in flight. A worker's jobs of
        one dispatch go in one message."""
        limit = self.settings.analysis.jobs_per_worker
        load = {slot: 0 for slot in self.slots}
        for slot, _ in self.in_flight.values():
            if slot in load:
                load[slot] += 1
        given: dict[str, list] = {}
        while self.waiting and load:
            slot = min(load, key=load.__getitem__)
            if load[slot] >= limit:
                break
            job = self.waiting.popleft()
            self.in_flight[job.request.request_id] = (slot, job)
            load[slot] += 1
            given.setdefault(slot, []).append(job)
        for slot, jobs in given.items():
            self.send(self.slots[slot], bundled(jobs))

    def _dead_slots(self, dead) -> list:
        """The slot `dead` names, plus any whose process is gone: workers killed together do not
        always each get their ChildActorExited (seen with thespian 4.0.1)."""
        slots = [slot for slot, address in self.slots.items() if dead is not None and address == dead]
        return slots + [slot for slot, pid in self.pids.items()
                        if slot in self.slots and slot not in slots and not _alive(pid)]

    def _replace(self, dead) -> None:
        if self.exiting:
            return
        for slot in self._dead_slots(dead):
            del self.slots[slot]
            self.pids.pop(slot, None)
            now = time.monotonic()
            while self.replaced_at and now - self.replaced_at[0] > 60:
                self.replaced_at.popleft()
            if len(self.replaced_at) >= MAX_REPLACEMENTS_PER_MINUTE:
                logger.error("analyzer pool: {} workers died within a minute; not replacing",
                             len(self.replaced_at))
                self._fail_jobs_of(slot, "analyser worker died")
                continue
            self.replaced_at.append(now)
            logger.warning("analyzer pool: a worker exited; starting a replacement")
            fresh = self._new_worker()
            for request_id, (owner, job) in list(self.in_flight.items()):
                if owner == slot:   # at-least-once: the replacement runs it again
                    self.in_flight[request_id] = (fresh, job)
                    self.send(self.slots[fresh], job)

    def _fail_jobs_of(self, slot: str, reason: str) -> None:
        for request_id, (owner, job) in list(self.in_flight.items()):
            if owner == slot:
                del self.in_flight[request_id]
                self.send(job.reply_to, AnalysisFailed(request_id, job.request.launch.mint, reason))
        if not self.slots:
            while self.waiting:
                job = self.waiting.popleft()
                self.send(job.reply_to, AnalysisFailed(job.request.request_id, job.request.launch.mint, reason))
        else:
            self._dispatch()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:   # a killed child not yet reaped is a zombie: dead for us
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


class AnalyzerWorker(IOActor):
    """One analyser process: gathers facts under the deadline, decides, answers the Director."""

    def process_kind(self) -> str:
        return "analyst"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.analyst: Analyst | None = None
        self.settings = None          # from StartAnalyzer; jobs come without them
        self.done: list = []          # answered request ids not yet told to the pool
        self.outbox = Outbox()        # answers not yet sent, per asker
        self.settling: list = []      # on the loop: (job, pool, facts or exception, started) of this turn

    async def on_loop_close(self) -> None:
        if self.analyst is not None:   # close HTTP sessions before the loop stops
            await self.analyst.close()

    def _ensure_analyst(self, settings) -> Analyst:
        if self.analyst is None:
            from actors.trading_io import process_logging
            process_logging(settings, "analyzer")
            self.analyst = Analyst(settings)
        return self.analyst

    def on_message(self, msg, sender) -> None:
        if isinstance(msg, PidRequest):
            self.send(sender, PidReply(msg.request_id, os.getpid()))
        elif isinstance(msg, StartAnalyzer):
            self.settings = msg.settings
            analyst = self._ensure_analyst(msg.settings)   # warm: connections open before the first launch
            self.submit(analyst.warm_up(), lambda _: None, lambda _exc: None)
            freeze_start_up_heap()
        elif isinstance(msg, (AnalysisJob, AnalysisJobs)):
            self._run(unbundled(msg), sender)

    def _run(self, jobs, pool) -> None:
        """A dispatch's jobs start in one loop turn, so their requests share one JSON-RPC batch
        and one Jupiter search (adapters/analysis/coalesce.py); each keeps its own deadline."""
        jobs = [job if job.request.settings is not None else
                AnalysisJob(dataclasses.replace(job.request, settings=self.settings), job.reply_to) for job in jobs]
        try:
            analyst = self._ensure_analyst(jobs[0].request.settings)
            self.submit(self._gather_each(analyst, jobs, pool, time.monotonic()), lambda _: None,
                        lambda exc: [self._failed(job, pool, exc) for job in jobs])
        except Exception as exc:
            for job in jobs:
                self._failed(job, pool, exc)

    async def _gather_each(self, analyst: Analyst, jobs, pool, started: float) -> None:
        """On the loop: each job's facts under its deadline, answered in the actor thread."""
        async def one(job: AnalysisJob) -> None:
            try:
                outcome = await gather_within_deadline(analyst, job.request)
            except Exception as exc:
                outcome = exc
            self._settle_soon(job, pool, outcome, started)
        await asyncio.gather(*(one(job) for job in jobs))

    def _settle_soon(self, job: AnalysisJob, pool, outcome, started: float) -> None:
        """On the loop: the jobs settling in one loop turn (a JSON-RPC batch's coins answer
        together) go to the actor thread in one post: decided in one wake-up of the actor thread
        and answered in one message to the asker and one JobDone, instead of the actor thread
        waking (and taking the GIL from the loop) for whichever jobs had posted so far."""
        if not self.settling:
            asyncio.get_running_loop().call_soon(self._post_settled)
        self.settling.append((job, pool, outcome, started))

    def _post_settled(self) -> None:
        settled, self.settling = self.settling, []
        self.post(self._settled, settled)

    def _settled(self, settled: list) -> None:
        for job, pool, outcome, started in settled:
            if isinstance(outcome, BaseException):
                self._failed(job, pool, outcome)
            else:
                self._decided(job, pool, outcome, started)

    def _decided(self, job: AnalysisJob, pool, facts: dict, started: float) -> None:
        try:
            answer = decision_message(job.request, facts, started, "full")
        except Exception as exc:
            self._failed(job, pool, exc)
            return
        self._answer(pool, job, answer)

    def _failed(self, job: AnalysisJob, pool, exc: BaseException) -> None:
        self._answer(pool, job, failure_answer(job.request, exc))

    def _answer(self, pool, job: AnalysisJob, answer) -> None:
        """Analyses finishing together (a burst) are answered in one message per asker and told to
        the pool in one JobDone: the flush is queued behind the completions already waiting in
        this wake-up (IOActor drains them all)."""
        if not self.done:
            self.post(self._flush, pool)
        self.outbox.add(job.reply_to, answer)
        self.done.append(job.request.request_id)

    def _flush(self, pool) -> None:
        self.outbox.flush(self.send)
        done, self.done = self.done, []
        if done:
            self._jobs_done(pool, done)

    def _jobs_done(self, pool, done: list) -> None:
        """These requests are answered: the pool frees their slots (actors/analyzer_inproc.py
        frees its own instead)."""
        self.send(pool, JobDone(done[0], tuple(done[1:])))


def freeze_start_up_heap() -> None:
    """The start-up heap (modules, thespian, clients) out of the collector's sight: a full
    collection then scans only what analyses made. Measured (bench_analysis, 600 tokens, 32 in
    flight, A/B in alternating runs): a gen-2 pause (36 ms under cProfile) stalled the analyses in
    flight; in-process analyser p99 69-77 -> 54-56 ms at 200/s, 94-104 -> 76-83 ms at 400/s; two
    workers 92-109 -> 85 ms at 400/s; CPU per token unchanged. gc.freeze() only moves list heads:
    no object is touched (no copy-on-write of a forked heap, unlike gc.collect())."""
    gc.freeze()


class Outbox:
    """Messages gathered in one wake-up, sent as one message per receiver (thespian addresses are
    not hashable: receivers are told apart with ==)."""

    def __init__(self):
        self.pending: list[tuple[object, list]] = []

    def add(self, to, msg) -> None:
        for address, messages in self.pending:
            if address == to:
                messages.append(msg)
                return
        self.pending.append((to, [msg]))

    def flush(self, send) -> None:
        pending, self.pending = self.pending, []
        for address, messages in pending:
            send(address, bundled(messages))
