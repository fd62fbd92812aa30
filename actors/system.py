"""Start and stop the thespian multiprocTCPBase actor system so that no process is ever left behind.

thespian's admin calls setsid() and forks, so the admin, its logger and every actor it forks share
one process group that contains nothing else. We record that group when the system starts and, on
stop, after a bounded shutdown(), SIGKILL whatever is still in it (shutdown alone can leave orphans:
THESPIAN_NOTES.md, thespian #27). Each system gets a free admin port, because a new ActorSystem on a
port where a stale admin listens silently attaches to the old one (#69).

Every port listens on loopback only (actors/loopback.py, applied when `actors` is imported) unless
`actor_network='trusted'` is asked for; stdlib log records reaching thespian's logger process are
redacted (adapters.logs.RedactingFilter in its logDefs); the OrphanGuard gets no secret env.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta

import psutil

import actors.thespian_quiet  # noqa: F401  (before the admin forks: every actor inherits it)
from loguru import logger
from thespian.actors import ActorSystem

from actors import loopback
from config.secrets import Secret, scrubbed_env

SYSTEM_BASE = 'multiprocTCPBase'
# stdlib logging inside actors (thespian's own, httpx2 per request) goes to stderr at WARNING,
# redacted; the bot's own events go through loguru (adapters/logs.py)
THESPIAN_LOG_DEFS = {
    'version': 1,
    'formatters': {'plain': {'format': '%(asctime)s %(levelname)s %(name)s: %(message)s'}},
    'filters': {'redact': {'()': 'adapters.logs.RedactingFilter'}},
    'handlers': {'stderr': {'class': 'logging.StreamHandler', 'formatter': 'plain',
                            'level': 'WARNING', 'filters': ['redact']}},
    'root': {'handlers': ['stderr'], 'level': 'WARNING'},
}
SHUTDOWN_TIMEOUT_SECONDS = 5.0
SWEEP_TIMEOUT_SECONDS = 3.0
EXIT_GRACE_SECONDS = 0.5


class ActorSystemError(RuntimeError):
    """The actor system could not be started or its processes could not be found."""


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def thespian_log_defs() -> dict:
    """THESPIAN_LOG_DEFS whose filter carries this process's registered secrets (as Secret values),
    so that the logger process redacts them however it was started (fork, forkserver, spawn)."""
    from adapters.logs import registered_secrets
    redact = {**THESPIAN_LOG_DEFS['filters']['redact'],
              'secrets': tuple(Secret(value) for value in registered_secrets())}
    return {**THESPIAN_LOG_DEFS, 'filters': {'redact': redact}}


def listening_pid(port: int) -> int | None:
    """The pid of the process listening on a TCP port, or None."""
    for conn in psutil.net_connections('tcp'):
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
            return conn.pid
    return None


def group_processes(pgid: int) -> list[psutil.Process]:
    """Live (non-zombie) processes in a process group."""
    found = []
    for proc in psutil.process_iter(['status']):
        try:
            if os.getpgid(proc.pid) == pgid and proc.info['status'] != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except (ProcessLookupError, psutil.NoSuchProcess, PermissionError):
            continue
    return found


class BotActorSystem:
    """One multiprocTCPBase actor system on its own free admin port and process group.

    Use as a context manager, or call start() and stop() (stop is safe to call more than once and
    from any exit path). `start_method='forkserver'` avoids forking from actors that hold threads.
    `actor_network` (settings run.actor_network): None keeps the mode in force ('loopback' unless
    PUMPSNIPE__RUN__ACTOR_NETWORK says 'trusted'); 'trusted' opens every port to the network.
    """

    def __init__(self, admin_port: int | None = None, start_method: str = 'fork',
                 log_defs: dict | None = None, actor_network: str | None = None):
        self.admin_port = admin_port
        self.start_method = start_method
        self.log_defs = log_defs
        self.actor_network = actor_network
        self.asys: ActorSystem | None = None
        self.pgid: int | None = None
        self._stop_lock = threading.Lock()

    def __enter__(self) -> 'BotActorSystem':
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> 'BotActorSystem':
        if self.actor_network is not None:
            loopback.set_actor_network(self.actor_network)
        if loopback.actor_network() == loopback.TRUSTED:
            logger.warning('run.actor_network = "trusted": the actor system listens on ALL '
                           'interfaces and its transport has NO authentication (it unpickles what '
                           'arrives). Anyone who can reach its ports can run code in the bot. '
                           'Only on a private, trusted network.')
        port = self.admin_port or free_tcp_port()
        if listening_pid(port) is not None:
            raise ActorSystemError(f'admin port {port} is already in use; refusing to attach to it')
        capabilities = {'Admin Port': port, 'Process Startup Method': self.start_method}
        log_defs = self.log_defs if self.log_defs is not None else thespian_log_defs()
        self.asys = ActorSystem(SYSTEM_BASE, capabilities=capabilities, logDefs=log_defs,
                                transientUnique=True)
        self.admin_port = port
        try:
            admin_pid = self._wait_for_admin(port)
        except ActorSystemError:
            self.stop()
            raise
        pgid = os.getpgid(admin_pid)
        if pgid == os.getpgrp():
            self.stop()
            raise ActorSystemError('actor admin shares our process group; refusing to manage it')
        self.pgid = pgid
        logger.debug('actor system up: admin port {} pid {} pgid {}', port, admin_pid, pgid)
        return self

    def _wait_for_admin(self, port: int, timeout: float = 5.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = listening_pid(port)
            if pid is not None:
                return pid
            time.sleep(0.02)
        raise ActorSystemError(f'actor admin did not listen on port {port} within {timeout}s')

    # ---- talking to actors from outside ----------------------------------------------------------
    def create_actor(self, actor_class, global_name: str | None = None):
        return self.asys.createActor(actor_class, globalName=global_name)

    def tell(self, address, msg) -> None:
        self.asys.tell(address, msg)

    def ask(self, address, msg, timeout: float = 5.0):
        """One request, one reply; a private endpoint so concurrent askers never steal replies."""
        with self.asys.private() as private_sys:
            return private_sys.ask(address, msg, timedelta(seconds=timeout))

    def processes(self) -> list[psutil.Process]:
        return group_processes(self.pgid) if self.pgid is not None else []

    # ---- stopping --------------------------------------------------------------------------------
    def stop(self, timeout: float = SHUTDOWN_TIMEOUT_SECONDS) -> list[int]:
        """Orderly shutdown bounded by timeout, then SIGKILL every leftover. Returns swept pids."""
        with self._stop_lock:
            asys, self.asys = self.asys, None
            if asys is not None:
                worker = threading.Thread(target=_quiet_shutdown, args=(asys,), daemon=True)
                worker.start()
                worker.join(timeout)
                if worker.is_alive():
                    logger.warning('actor system shutdown exceeded {}s; sweeping', timeout)
                else:
                    self._wait_group_empty(EXIT_GRACE_SECONDS)   # let exiting processes finish
            return self.sweep()

    def _wait_group_empty(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.pgid is not None and group_processes(self.pgid) and time.monotonic() < deadline:
            time.sleep(0.02)

    def sweep(self) -> list[int]:
        """SIGKILL every process left in the system's group and wait until they are gone."""
        if self.pgid is None:
            return []
        leftovers = group_processes(self.pgid)
        if leftovers:
            logger.debug('sweeping {}', [(p.pid, _describe(p)) for p in leftovers])
            try:
                os.killpg(self.pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + SWEEP_TIMEOUT_SECONDS
            still = group_processes(self.pgid)
            while still and time.monotonic() < deadline:
                time.sleep(0.02)  # zombies count as gone: PID 1 may reap them late
                still = group_processes(self.pgid)
            if still:
                raise ActorSystemError(f'processes survived SIGKILL: {[p.pid for p in still]}')
            logger.info('swept {} leftover actor process(es)', len(leftovers))
        return [p.pid for p in leftovers]


class OrphanGuard:
    """A tiny watcher process that SIGKILLs registered process groups if this process dies
    without saying goodbye (SIGKILL, OOM, a crash in C code): its only link to us is a pipe, and
    EOF on that pipe means we are gone. Start it after the actor system (the admin is forked from
    this process and must not inherit the pipe's write end)."""

    def __init__(self):
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> 'OrphanGuard':
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> 'OrphanGuard':
        self._process = subprocess.Popen(
            [sys.executable, '-c', 'from actors.system import guard_main; guard_main()'],
            stdin=subprocess.PIPE, start_new_session=True, text=True, env=scrubbed_env())
        return self

    def add(self, pgid: int) -> None:
        self._send(f'add {pgid}')

    def remove(self, pgid: int) -> None:
        self._send(f'remove {pgid}')

    def stop(self) -> None:
        """Normal exit: everything was cleaned up already; the guard leaves without killing."""
        process, self._process = self._process, None
        if process is not None:
            try:
                process.stdin.write('done\n')
                process.stdin.close()
                process.wait(3)
            except (OSError, subprocess.TimeoutExpired):
                process.kill()
                process.wait()

    def _send(self, line: str) -> None:
        if self._process is None:
            raise ActorSystemError('OrphanGuard is not started')
        self._process.stdin.write(line + '\n')
        self._process.stdin.flush()


def guard_main() -> None:
    """The guard process: read 'add/remove PGID' and 'done' lines; EOF without 'done' = kill."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    groups: set[int] = set()
    for line in sys.stdin:
        command, _, argument = line.strip().partition(' ')
        if command == 'done':
            return
        if command == 'add':
            groups.add(int(argument))
        elif command == 'remove':
            groups.discard(int(argument))
    for pgid in groups:
        if group_processes(pgid):   # only groups that still exist: ids are reused once empty
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _describe(proc: psutil.Process) -> str:
    try:
        return f'{proc.status()} ppid={proc.ppid()}'
    except psutil.Error:
        return 'gone'


def _quiet_shutdown(asys: ActorSystem) -> None:
    try:
        asys.shutdown()
    except Exception as exc:  # the sweep follows regardless
        logger.warning('actor system shutdown raised {!r}', exc)
