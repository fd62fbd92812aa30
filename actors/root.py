"""Root: the one top-level actor of the bot; it supervises the Director and nothing else.

run.py (BotRun) and tests talk to the root as they would to the Director: it forwards every request
to the live Director and routes the reply back by request id, adding its own restart count to
Status (`restarts: director N`). When the Director dies (ChildActorExited, 2-4 ms after a SIGKILL):
  1. the dead Director's subtree is orphaned but still running (THESPIAN_NOTES.md); the root
     SIGKILLs every process of the actor system's group that no longer descends from the admin
     (the admin, the logger, the root and other top-level actors do), so no orphaned PositionActor
     can sell twice and no orphaned StreamActor keeps its connection;
  2. the Supervisor restarts the Director (bounded: past MAX_RESTARTS in the window it gives up and
     every request is answered with DirectorGone, so the run stops with a non-zero exit; a
     restart that cannot open the journal is retried outside that budget, JOURNAL_RETRY_*);
  3. the new Director gets the last ledger the old one mirrored here, books what that copy missed
     from the journal, resumes the open positions from the journal, reads the wallet from the chain
     and re-registers its positions with a new stream; requests asked meanwhile are sent to it.
The root keeps no threads (it forks the Director) and no trading state besides that ledger copy.
"""
from __future__ import annotations

import collections
import dataclasses
import os
import signal
import time

import psutil
from loguru import logger
from thespian.actors import ActorExitRequest, ActorTypeDispatcher, ChildActorExited, WakeupMessage

from actors.director_ledger import Ledger
from actors.supervision import Supervisor
from actors.system import group_processes
from actors.trading_io import process_logging
from actors.process_kind import name_process
from messages.start import DirectorStarted, StartDirector
from messages.status import (CloseAllPositions, DirectorGone, LedgerSnapshot, PidReply, PidRequest,
                             SetBuying, Status)

DIRECTOR = 'director'
MAX_RESTARTS = 5            # Director deaths within WINDOW_SECONDS before the root gives up
WINDOW_SECONDS = 60.0
BACKOFF_SECONDS = 0.5       # the first restart is immediate, later ones wait 0.5, 1, 2, 4 s
BACKOFF_MAX_SECONDS = 4.0
RESEND_WITHIN_SECONDS = 15.0   # an unanswered request younger than this is re-sent to a new Director
FORGET_AFTER_SECONDS = 120.0   # requests that never get an answer (tells) are forgotten
SWEEP_ROUNDS = 5
JOURNAL_UNOPENABLE = 'cannot open the journal'   # adapters/journal JournalError: maybe read-only a while
# A restarted Director that cannot open the journal is stopped and tried again every
# JOURNAL_RETRY_SECONDS, outside the restart budget (a journal read-only for 8 s would spend all 5
# restarts in 7.5 s of backoff), until the journal has been unopenable JOURNAL_RETRY_LIMIT_SECONDS.
JOURNAL_RETRY_SECONDS = 1.0
JOURNAL_RETRY_LIMIT_SECONDS = 120.0
HELD_REQUESTS = 1_000          # a burst while the Director restarts; older ones are dropped


class Root(ActorTypeDispatcher):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name_process("root")   # actors/process_kind.py
        self.settings = None
        self.supervisor: Supervisor | None = None
        self.ledger: Ledger | None = None
        self.start_asker = None               # who asked StartDirector, until the first reply
        self.ready = False                    # the current Director answered DirectorStarted
        self.pending: dict[str, tuple] = {}   # request id -> (asker, message, asked at)
        self.held = collections.deque(maxlen=HELD_REQUESTS)   # requests without an id, no Director ready
        self.buying = None                    # last SetBuying, re-applied to a new Director
        self.closing_all = False
        self.gave_up = ''
        self.shutting_down = False
        self.restarted = False                # this root or its Director was restarted
        self.journal_down_since = 0.0         # monotonic: a restarted Director first found it unopenable

    def receiveMessage(self, msg, sender):
        try:
            super().receiveMessage(msg, sender)
        except Exception:   # the root must never die of a bad message
            logger.exception('root: {} failed', type(msg).__name__)

    # ---- start-up --------------------------------------------------------------------------------
    def receiveMsg_StartDirector(self, msg: StartDirector, sender):
        if self.settings is not None:
            self.send(sender, DirectorStarted(ok=False, reason='already started'))
            return
        self.settings, self.start_asker = msg.settings, sender
        self.restarted = msg.restart > 0   # a root run.py restarted (app/root_watch.py)
        process_logging(msg.settings, 'root')
        # started_at: the rows of this run in the journal; a root restarted by run.py gets a ledger
        # that starts at the run's start, so its Director books the whole run from the journal
        self.ledger = msg.ledger if msg.ledger is not None else Ledger()
        self.buying, self.closing_all = msg.buying, msg.closing_all
        self.supervisor = Supervisor(self, max_restarts=MAX_RESTARTS, window_seconds=WINDOW_SECONDS,
                                     backoff_seconds=BACKOFF_SECONDS,
                                     backoff_max_seconds=BACKOFF_MAX_SECONDS)
        from actors.director import Director
        self.supervisor.start_child(DIRECTOR, Director, self._director_start(msg.restart))

    def _director_start(self, restart: int) -> StartDirector:
        return StartDirector(self.settings, root=self.myAddress, ledger=self.ledger.copy(),
                             buying=self.buying, closing_all=self.closing_all, restart=restart)

    def child_start_message(self, name: str):
        return self._director_start(self.supervisor.restart_counts().get(DIRECTOR, 0) + 1)

    def receiveMsg_DirectorStarted(self, msg: DirectorStarted, sender):
        if sender != self._director():
            return
        if not msg.ok and self.restarted and JOURNAL_UNOPENABLE in msg.reason:
            # a journal read-only for a while: tried again every JOURNAL_RETRY_SECONDS outside the
            # restart budget, up to JOURNAL_RETRY_LIMIT_SECONDS; the first start of a run refuses it
            now = time.monotonic()
            self.journal_down_since = self.journal_down_since or now
            if now - self.journal_down_since <= JOURNAL_RETRY_LIMIT_SECONDS:
                logger.warning('root: the restarted Director cannot open the journal ({}); trying again '
                               'in {:g} s', msg.reason, JOURNAL_RETRY_SECONDS)
                self.supervisor.restart_uncounted(DIRECTOR, JOURNAL_RETRY_SECONDS)
                return
            msg = DirectorStarted(ok=False, reason=f'{msg.reason} (for {JOURNAL_RETRY_LIMIT_SECONDS:g} s)')
        if msg.ok:
            self.journal_down_since = 0.0
        if self.start_asker is not None:   # the first start answers run.py, whatever the outcome
            self.send(self.start_asker, msg)
            self.start_asker = None
        if not msg.ok:
            self._give_up(f'the Director could not start: {msg.reason}')
            return
        self.ready = True
        self._forget_old_requests()
        now = time.monotonic()
        # requests the dead Director never answered (or that waited for this one), then tells
        for request_id, (asker, request, asked_at) in list(self.pending.items()):
            if now - asked_at <= RESEND_WITHIN_SECONDS:
                self.send(sender, request)
        held, self.held = self.held, collections.deque(maxlen=HELD_REQUESTS)
        for request in held:
            self.send(sender, request)

    def receiveMsg_PidRequest(self, msg: PidRequest, sender):
        """run.py watches the root's pid: nothing else restarts a dead root (app/root_watch.py)."""
        self.send(sender, PidReply(msg.request_id, os.getpid()))

    # ---- the Director's reports --------------------------------------------------------------------
    def receiveMsg_LedgerSnapshot(self, msg: LedgerSnapshot, sender):
        if sender == self._director():
            self.ledger = msg.ledger

    # ---- supervision ------------------------------------------------------------------------------
    def receiveMsg_ChildActorExited(self, msg: ChildActorExited, sender):
        if self.shutting_down or self.supervisor is None:
            return   # a restart racing the shutdown would leave an orphan (thespian #27)
        if msg.childAddress != self._director():
            return
        self.ready = False
        logger.error('root: the Director died; ending its orphaned actors before a restart')
        began = time.monotonic()
        killed, signalled = kill_orphans()
        logger.warning('root: {} orphaned actor process(es) of the dead Director signalled after '
                       '{:.0f} ms, gone after {:.0f} ms', killed, (signalled - began) * 1000,
                       (time.monotonic() - began) * 1000)
        self.supervisor.on_child_exited(msg)

    def on_child_restarted(self, name: str, address) -> None:
        self.restarted = True
        logger.warning('root: Director restarted (restart #{})',
                       self.supervisor.restart_counts().get(DIRECTOR, 0))

    def on_child_gave_up(self, name: str, reason: str) -> None:
        self._give_up(f'the Director keeps dying ({reason})')

    def _give_up(self, reason: str) -> None:
        self.gave_up = reason
        self.ready = False
        logger.error('root: giving up: {}; the run must stop', reason)
        if self.start_asker is not None:
            self.send(self.start_asker, DirectorStarted(ok=False, reason=reason))
            self.start_asker = None
        for request_id, (asker, _request, _at) in self.pending.items():
            self.send(asker, DirectorGone(request_id, reason))
        self.pending.clear()
        self.held.clear()

    def receiveMsg_WakeupMessage(self, msg: WakeupMessage, sender):
        if self.supervisor is not None:
            self.supervisor.on_wakeup(msg)

    def receiveMsg_ActorExitRequest(self, msg: ActorExitRequest, sender):
        self.shutting_down = True
        if self.supervisor is not None:
            self.supervisor.shutdown()

    # ---- requests from run.py / tests, and the Director's replies ----------------------------------
    def receiveUnrecognizedMessage(self, msg, sender):
        director = self._director()
        request_id = getattr(msg, 'request_id', None)
        if director is not None and sender == director:
            entry = self.pending.pop(request_id, None) if request_id is not None else None
            if entry is None:
                return   # the answer to a request re-sent or re-applied by the root itself
            if isinstance(msg, Status):
                msg = _with_restarts(msg, self.supervisor.restart_counts())
            self.send(entry[0], msg)
            return
        if isinstance(msg, SetBuying):
            self.buying = msg.enabled
        elif isinstance(msg, CloseAllPositions):
            self.closing_all = True
        if self.gave_up:
            if request_id is not None:
                self.send(sender, DirectorGone(request_id, self.gave_up))
            return
        if request_id is not None and not isinstance(msg, SetBuying):   # SetBuying has no reply
            self.pending[request_id] = (sender, msg, time.monotonic())
            self._forget_old_requests()
        elif not self.ready:
            self.held.append(msg)
            return
        if self.ready:
            self.send(director, msg)

    def _forget_old_requests(self) -> None:
        now = time.monotonic()
        for request_id, (_asker, _request, asked_at) in list(self.pending.items()):
            if now - asked_at > FORGET_AFTER_SECONDS:
                del self.pending[request_id]

    def _director(self):
        return self.supervisor.address_of(DIRECTOR) if self.supervisor is not None else None


def _with_restarts(status: Status, restarts: dict) -> Status:
    return dataclasses.replace(status, restarts={**status.restarts, **restarts})


def kill_orphans(anchor: int | None = None, pgid: int | None = None) -> tuple[int, float]:
    """SIGKILL every process of this actor system's group that no longer descends from the anchor's
    ancestors (by default the root itself: the admin): with the 'fork' start method that is exactly
    the dead Director's subtree, reparented away. run.py passes itself as the anchor and the
    system's group to sweep a dead root's subtree. Repeated until none is left, since an orphan may
    fork while we kill. Returns (processes killed, monotonic time the first ones were signalled)."""
    me = os.getpid() if anchor is None else anchor
    pgid = os.getpgrp() if pgid is None else pgid
    killed, signalled = 0, 0.0
    for _ in range(SWEEP_ROUNDS):
        parents = group_parents(pgid)
        keep = {me}
        parent = parents.get(me)
        while parent in parents and parent not in keep:   # the admin (and whatever started it)
            keep.add(parent)
            parent = parents[parent]
        orphans = [pid for pid in parents if not _descends_from(pid, keep, parents)]
        if not orphans:
            break
        for pid in orphans:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        signalled = signalled or time.monotonic()
        _wait_dead(orphans, timeout=2.0)
    return killed, signalled or time.monotonic()


def group_parents(pgid: int) -> dict[int, int]:
    """pid -> parent pid of the live (non-zombie) processes of a group; one read of /proc/PID/stat
    each, much faster than psutil's scan (orphans act until they are killed)."""
    found = {}
    try:
        entries = os.listdir('/proc')
    except OSError:   # no procfs: the slower portable scan
        return {p.pid: p.ppid() for p in group_processes(pgid)}
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat', 'rb') as stat:
                fields = stat.read().rsplit(b')', 1)[1].split()
        except OSError:
            continue
        state, ppid, group = fields[0], int(fields[1]), int(fields[2])
        if group == pgid and state not in (b'Z', b'X'):
            found[int(entry)] = ppid
    return found


def _descends_from(pid: int, keep: set[int], parents: dict[int, int]) -> bool:
    """Walking up the parents inside the group reaches a kept process (an orphan's chain leaves
    the group first: its top was reparented to init or a subreaper)."""
    seen = set()
    while pid in parents and pid not in seen:
        if pid in keep:
            return True
        seen.add(pid)
        pid = parents[pid]
    return pid in keep


def _wait_dead(pids: list, timeout: float) -> None:
    """Until each is gone or a zombie (init may reap the reparented ones late)."""
    deadline = time.monotonic() + timeout
    while pids and time.monotonic() < deadline:
        pids = [pid for pid in pids if process_alive(pid)]
        if pids:
            time.sleep(0.005)


def process_alive(pid: int) -> bool:
    try:
        with open(f'/proc/{pid}/stat', 'rb') as stat:
            return stat.read().rsplit(b')', 1)[1].split()[0] not in (b'Z', b'X')
    except FileNotFoundError:
        return False
    except OSError:
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False
