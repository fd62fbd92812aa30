"""run.py's supervision of the root actor: nothing inside the actor system restarts a dead root.

When the root dies (SIGKILL, OOM) its Director and every actor below it are orphaned but keep
running, out of run.py's reach: they would trade on and sell nothing at exit. So run.py watches the
root's pid; when it is gone it SIGKILLs every process of the actor system's group that no longer
descends from the actor admin (the dead root's subtree), then starts a new root whose Director resumes the
open positions from the journal and books the whole run from it (its ledger starts at the run's
start). At most MAX_ROOT_RESTARTS per run; past that the run stops with exit 1.
"""
from __future__ import annotations

import time

from loguru import logger

MAX_ROOT_RESTARTS = 3
PID_TIMEOUT_SECONDS = 3.0
PID_RETRY_SECONDS = 5.0   # a root that did not tell its pid (a loaded machine) is asked again


class RootGaveUp(Exception):
    """The root died more often than MAX_ROOT_RESTARTS: the run stops, exit 1."""


class RootWatch:
    def __init__(self, system, run_started_at: float):
        self.system = system
        self.run_started_at = run_started_at   # time.time(): the journal rows of this run
        self.pid: int | None = None
        self.restarts = 0
        self.root = None
        self.next_pid_ask = 0.0
        from actors.system import listening_pid
        # the admin (it setsid()s, so it does not descend from run.py): what it forked survives a sweep
        try:
            self.admin_pid = listening_pid(system.admin_port)
        except Exception as exc:   # psutil may be refused the socket table: no sweep, said loudly
            logger.warning('the actor admin\'s pid is unknown ({!r})', exc)
            self.admin_pid = None

    def watch(self, root) -> None:
        """Learn the (new) root's pid; a root that does not answer is not watched (logged)."""
        from messages import new_request_id
        from messages.status import PidReply, PidRequest
        self.root, self.next_pid_ask = root, time.monotonic() + PID_RETRY_SECONDS
        reply = self.system.ask(root, PidRequest(new_request_id('root-pid')), timeout=PID_TIMEOUT_SECONDS)
        self.pid = reply.pid if isinstance(reply, PidReply) else None
        if self.pid is None:
            logger.warning('the root actor did not tell its pid ({!r}); asked again in {:.0f} s',
                           reply, PID_RETRY_SECONDS)

    def root_died(self) -> bool:
        from actors.root import process_alive
        if self.pid is None and self.root is not None and time.monotonic() >= self.next_pid_ask:
            self.watch(self.root)
        return self.pid is not None and not process_alive(self.pid)

    def sweep_orphans(self) -> int:
        """SIGKILL the dead root's subtree: every process of the system's group that no longer
        descends from the admin (the logger and other top-level actors do)."""
        from actors.root import kill_orphans
        if self.admin_pid is None:   # without the anchor the sweep would end the admin too
            logger.error('run: the actor admin is unknown: the dead root\'s actors are not swept')
            return 0
        began = time.monotonic()
        killed, _ = kill_orphans(anchor=self.admin_pid, pgid=self.system.pgid)
        logger.warning('run: {} orphaned actor process(es) of the dead root killed in {:.0f} ms',
                       killed, (time.monotonic() - began) * 1000)
        return killed

    def start_message(self, settings, closing_all: bool):
        """The StartDirector of a new root: a ledger from the run's start, so the new Director books
        every order of this run from the journal (the dead root's ledger copy is lost)."""
        from actors.director_ledger import Ledger
        from messages.start import StartDirector
        self.restarts += 1
        if self.restarts > MAX_ROOT_RESTARTS:
            raise RootGaveUp(f'the root actor died {self.restarts} times (at most {MAX_ROOT_RESTARTS} '
                             f'restarts per run)')
        logger.error('run: the root actor (pid {}) died; its actors were ended; restart #{} resumes '
                     'from the journal', self.pid, self.restarts)
        self.pid = None
        return StartDirector(settings, ledger=Ledger(started_at=self.run_started_at),
                             buying=False if closing_all else None, closing_all=closing_all,
                             restart=self.restarts)
