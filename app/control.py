"""Control a running bot without killing it: pause and resume buying, sell everything, status, claim cashback.

The bot listens on a Unix domain socket in its run directory (`control.sock`, mode 0600: only its
owner can connect; nothing listens on the network). A request is one JSON line {"command": ...};
the reply is one JSON line {"ok": bool, "message": str}. The socket's thread only queues requests:
the run's main thread executes them (`ControlServer.poll`), since it owns the actor-system handle.
Signals queue the same commands: SIGUSR1 = pause, SIGUSR2 = sell-all (and stay paused).

    python run.py --control pause|resume|sell-all|status|pids|claim-cashback [--run-dir DIR]

`pids` answers a JSON object, actor name -> process id (the Director's ChildPids): for fault drills.
"""
from __future__ import annotations

import collections
import contextlib
import json
import os
import socket
import threading
from pathlib import Path
from typing import Callable

from loguru import logger

SOCKET_NAME = 'control.sock'
COMMANDS = ('pause', 'resume', 'sell-all', 'status', 'pids', 'claim-cashback')
MAX_REQUEST_BYTES = 1024
REQUEST_READ_SECONDS = 5.0
REPLY_WAIT_SECONDS = 15.0        # the main thread answers within one status poll (0.1 s) normally


class ControlError(Exception):
    """The control command could not reach a running bot; one line for the user."""


def parse_request(raw: bytes) -> str:
    """The command of one request line; ValueError naming what is wrong."""
    try:
        request = json.loads(raw.decode())
    except (UnicodeDecodeError, ValueError):
        raise ValueError('not a JSON line') from None
    command = request.get('command') if isinstance(request, dict) else None
    if command not in COMMANDS:
        raise ValueError(f'unknown command {str(command)[:40]!r}; one of {", ".join(COMMANDS)}')
    return command


class _Pending:
    """One queued command; the socket thread waits on `done` for the main thread's answer."""

    def __init__(self, command: str, origin: str):
        self.command, self.origin = command, origin
        self.done = threading.Event()
        self.ok, self.message = False, 'the bot did not answer in time'

    def answer(self, ok: bool, message: str) -> None:
        self.ok, self.message = ok, message
        self.done.set()


class ControlServer:
    """The bot's end: a 0600 Unix socket in the run directory; commands run in the main thread."""

    def __init__(self, run_dir: str | os.PathLike):
        self.path = Path(run_dir) / SOCKET_NAME
        self.pending: collections.deque[_Pending] = collections.deque()   # append is signal-safe
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> 'ControlServer':
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)   # created 0600: no window in which others could connect
        try:
            sock.bind(str(self.path))
        finally:
            os.umask(old_umask)
        sock.listen(4)
        self._socket = sock
        self._thread = threading.Thread(target=self._serve, name='control', daemon=True)
        self._thread.start()
        logger.info('control: python run.py --control pause|resume|sell-all|status '
                    '(socket {}); SIGUSR1 pauses, SIGUSR2 sells all', self.path)
        return self

    def stop(self) -> None:
        sock, self._socket = self._socket, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        for item in list(self.pending):
            item.answer(False, 'the bot is stopping')

    def request(self, command: str, origin: str) -> _Pending:
        """Queue a command (from the socket thread or a signal handler)."""
        item = _Pending(command, origin)
        self.pending.append(item)
        return item

    def poll(self, execute: Callable[[str], str]) -> None:
        """Main thread: run every queued command; execute(command) returns the reply message."""
        while self.pending:
            item = self.pending.popleft()
            logger.info('control: {} (from {})', item.command, item.origin)
            try:
                item.answer(True, execute(item.command))
            except Exception as error:
                logger.warning('control: {} failed: {!r}', item.command, error)
                item.answer(False, f'{item.command} failed: {error}')

    # ---- the socket thread ---------------------------------------------------------------------
    def _serve(self) -> None:
        while self._socket is not None:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return   # closed by stop()
            with connection:
                with contextlib.suppress(OSError):
                    self._handle(connection)

    def _handle(self, connection: socket.socket) -> None:
        connection.settimeout(REQUEST_READ_SECONDS)
        raw = b''
        while b'\n' not in raw and len(raw) <= MAX_REQUEST_BYTES:
            chunk = connection.recv(MAX_REQUEST_BYTES)
            if not chunk:
                break
            raw += chunk
        try:
            command = parse_request(raw.split(b'\n', 1)[0][:MAX_REQUEST_BYTES])
        except ValueError as error:
            _reply(connection, False, f'bad request: {error}')
            return
        item = self.request(command, 'control socket')
        item.done.wait(REPLY_WAIT_SECONDS)
        _reply(connection, item.ok, item.message)


def _reply(connection: socket.socket, ok: bool, message: str) -> None:
    connection.sendall(json.dumps({'ok': ok, 'message': message}).encode() + b'\n')


# ---- the command's end ------------------------------------------------------------------------------
def newest_run_dir(runs_dir: str | os.PathLike) -> Path:
    """The newest run directory that has a control socket."""
    candidates = [p.parent for p in Path(runs_dir).glob(f'*/{SOCKET_NAME}')]
    if not candidates:
        raise ControlError(f'no running bot found under {runs_dir} (no */{SOCKET_NAME}); '
                           f'pass --run-dir')
    return max(candidates, key=lambda p: p.name)   # run dirs are named by their UTC start time


def send_command(run_dir: str | os.PathLike, command: str,
                 timeout: float = REPLY_WAIT_SECONDS + 5) -> tuple[bool, str]:
    path = Path(run_dir) / SOCKET_NAME
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(path))
        sock.sendall(json.dumps({'command': command}).encode() + b'\n')
        raw = b''
        while not raw.endswith(b'\n'):
            chunk = sock.recv(65536)
            if not chunk:
                break
            raw += chunk
    except FileNotFoundError:
        raise ControlError(f'no bot is running in {run_dir} (no {SOCKET_NAME})') from None
    except ConnectionRefusedError:
        raise ControlError(f'no bot is running in {run_dir} (stale {SOCKET_NAME})') from None
    except OSError as error:
        raise ControlError(f'could not reach the bot in {run_dir}: {error}') from None
    finally:
        sock.close()
    try:
        reply = json.loads(raw.decode())
        return bool(reply['ok']), str(reply['message'])
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise ControlError(f'the bot in {run_dir} sent no valid reply') from None


def execute(system, director, command: str, ask_timeout: float) -> str:
    """Run one control command against the Director (main thread only); returns the reply text."""
    from app.summary import status_line
    from messages import new_request_id
    from messages.status import ClosingAll, CloseAllPositions, SetBuying, Status, StatusRequest
    if command in ('pause', 'resume'):
        system.tell(director, SetBuying(new_request_id('ctl'), command == 'resume'))
        return 'buying paused' if command == 'pause' else 'buying resumed'
    if command == 'sell-all':
        reply = system.ask(director, CloseAllPositions(new_request_id('ctl')), timeout=ask_timeout)
        if not isinstance(reply, ClosingAll):
            raise RuntimeError(f'the Director did not answer ({reply!r})')
        return f'buying paused; selling {reply.open_positions} open position(s)'
    if command == 'pids':
        return _child_pids_json(system, director, ask_timeout)
    if command == 'claim-cashback':   # every part, however small; the Director's ledger books it
        from messages.wallet import ClaimCashback
        system.tell(director, ClaimCashback(new_request_id('ctl')))
        return 'claiming earned cashback (booked as "cashback claimed" in the summary)'
    reply = system.ask(director, StatusRequest(new_request_id('ctl')), timeout=ask_timeout)
    if not isinstance(reply, Status):
        raise RuntimeError(f'the Director did not answer ({reply!r})')
    return status_line(reply) + ('' if reply.buying else ' (buying paused)')


def _child_pids_json(system, director, ask_timeout: float) -> str:
    """The Director's live children by name -> pid, as one JSON line (benchmarks/fault_matrix.py)."""
    from messages import new_request_id
    from messages.status import ChildPids, ChildPidsRequest
    reply = system.ask(director, ChildPidsRequest(new_request_id('ctl')), timeout=ask_timeout)
    if not isinstance(reply, ChildPids):
        raise RuntimeError(f'the Director did not answer ({reply!r})')
    return json.dumps(reply.pids, sort_keys=True)
