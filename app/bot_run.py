"""One run of the bot: local chain (local mode), actor system, Director; status while running; summary.

Whatever ends the run (its --duration, Ctrl-C, SIGTERM, an error), the actor system and the local
chain are shut down, leftover processes are swept, and a summary is printed.
"""
from __future__ import annotations

import contextlib
import signal
import sys
import time
from pathlib import Path

from loguru import logger

from app.control import ControlServer, execute as execute_control
from app.local_chain import LocalChainProcess
from app.root_watch import RootGaveUp, RootWatch
from app.summary import status_line, summary_text
from config.settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2
ASK_TIMEOUT_SECONDS = 3.0
DIRECTOR_START_TIMEOUT_SECONDS = 60.0
START_CHECK_SECONDS = 1.0   # how soon an actor that failed its Start stops the run
JOURNAL_START_WAIT_SECONDS = 30.0   # a journal read-only or locked at start is waited for this long
TRANSIENT_JOURNAL_ERRORS = ('readonly', 'locked', 'disk I/O error', 'unable to open database file')


class StopRequested(Exception):
    """SIGTERM/SIGHUP arrived: stop cleanly like Ctrl-C."""


class ActorStartFailed(Exception):
    """An actor failed its Start (the Director's Status says which): the run stops, exit 1."""


class BotRun:
    """One run: local chain (local mode), actor system, Director; status while running; summary."""

    def __init__(self, settings: Settings, run_dir: Path, duration: float | None):
        self.settings, self.run_dir, self.duration = settings, run_dir, duration
        self.system = None
        self.director = None
        self.last_status = None
        self.stop_reason = 'duration'
        self.status_on_screen = False   # a live status line waits for its newline
        self.control = ControlServer(run_dir)   # commands queue here; _watch runs them
        self.exit_problems: list[str] = []      # tokens left behind, a failed journal: exit code 1
        self.root_watch: RootWatch | None = None   # restarts a dead root (app/root_watch.py)
        self.closing = False                    # the exit's close-all began: a new root closes too

    def run(self) -> int:
        if not self._journal_usable():
            return EXIT_FAILED
        if self.settings.chain.mode == 'live':   # before any actor starts: keys, endpoints, funds
            from app.preflight import PreflightError, run_preflight
            try:
                self.settings = run_preflight(self.settings)
            except PreflightError as error:
                logger.error('preflight failed: {}', error)
                return EXIT_CONFIG
            except KeyboardInterrupt:
                logger.warning('stopped during the preflight (Ctrl-C)')
                return EXIT_FAILED
        previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
        # Ctrl-C stops cleanly even when started in the background (`cmd &` starts with SIGINT ignored)
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
        previous[signal.SIGUSR1] = signal.signal(   # pause buying
            signal.SIGUSR1, lambda *_: self.control.request('pause', 'SIGUSR1'))
        previous[signal.SIGUSR2] = signal.signal(   # sell everything, stay paused
            signal.SIGUSR2, lambda *_: self.control.request('sell-all', 'SIGUSR2'))
        code = EXIT_OK
        try:
            with contextlib.ExitStack() as cleanup:   # exits in reverse: actors, then the chain
                try:
                    self._start(cleanup)
                    self._watch()
                except KeyboardInterrupt:
                    self.stop_reason = 'Ctrl-C'
                except StopRequested as stop:
                    self.stop_reason = str(stop)
                except (ActorStartFailed, RootGaveUp) as error:   # one line, no traceback: it names the actor
                    self.stop_reason = f'error: {error}'
                    logger.error('run stopped: {}', error)
                    code = EXIT_FAILED
                except Exception as error:
                    self.stop_reason = f'error: {error}'
                    logger.opt(exception=error).error('run failed: {}', error)
                    code = EXIT_FAILED
                finally:
                    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1,
                                signal.SIGUSR2):
                        signal.signal(sig, signal.SIG_IGN)   # cleanup must not be interrupted
                    with contextlib.suppress(Exception):
                        self._final_summary()
        except Exception as error:
            logger.opt(exception=error).error('shutdown failed: {}', error)
            code = EXIT_FAILED
        if code == EXIT_OK and self.exit_problems:
            code = EXIT_FAILED
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        return code

    # ---- start-up --------------------------------------------------------------------------------
    def _journal_usable(self) -> bool:
        """Open (creating or migrating) the journal before anything starts: a corrupt one, or one of
        a newer schema, stops the run with one line naming the file and the problem."""
        from adapters.journal import Journal, JournalError, journal_path
        deadline = time.monotonic() + JOURNAL_START_WAIT_SECONDS
        while True:
            try:
                Journal(journal_path(self.settings)).close()
                return True
            except JournalError as error:
                # read-only or locked a while (a full disk, a backup): waited for; corrupt or newer: refused
                if not any(word in str(error) for word in TRANSIENT_JOURNAL_ERRORS) \
                        or time.monotonic() > deadline:
                    logger.error('journal refused: {}', error)
                    return False
                logger.warning('journal not writable yet ({}); trying again for up to {:g} s', error,
                               JOURNAL_START_WAIT_SECONDS)
                time.sleep(1.0)

    def _start(self, cleanup: contextlib.ExitStack) -> None:
        from actors.system import BotActorSystem, OrphanGuard
        guard = cleanup.enter_context(OrphanGuard())       # exits last: after everything stopped
        chain = None
        if self.settings.chain.mode == 'local':
            chain = cleanup.enter_context(LocalChainProcess(self.settings, self.run_dir))
        # the actor system first: its admin is forked from this process, so no thread and no
        # guard pipe may exist here yet
        self.system = BotActorSystem(actor_network=self.settings.run.actor_network)
        cleanup.callback(self.system.stop)   # registered first: a signal mid-start still cleans up
        self.system.start()
        guard.start()
        guard.add(self.system.pgid)
        if chain is not None:
            from app.preflight import read_genesis_hash
            self.settings = chain.start(guard)
            # read once here; the Director and every PositionActor get it in the settings (rows carry it)
            self.settings = self.settings.replace(**{'chain.genesis_hash': read_genesis_hash(self.settings)})
        self._start_director()
        self.control.start()   # a thread: only now, after every fork from this process
        cleanup.callback(self.control.stop)

    def _start_director(self, start=None) -> None:
        """The root actor starts and supervises the Director; every request goes through it.
        `start`: the StartDirector of a root restarted by run.py (app/root_watch.py)."""
        from actors.director_ledger import Ledger
        from actors.root import Root
        from messages.start import DirectorStarted, StartDirector
        if start is None:
            started_at = time.time()
            self.root_watch = RootWatch(self.system, started_at)
            start = StartDirector(self.settings, ledger=Ledger(started_at=started_at))
        self.director = self.system.create_actor(Root)
        reply = self.system.ask(self.director, start, timeout=DIRECTOR_START_TIMEOUT_SECONDS)
        if not isinstance(reply, DirectorStarted):
            raise RuntimeError(f'the Director did not start (reply: {reply!r})')
        if not reply.ok:
            raise RuntimeError(f'the Director could not start: {reply.reason}')
        self.root_watch.watch(self.director)
        logger.info('bot running; logs in {}', self.run_dir)
        self._say_hot_priority()

    def _say_hot_priority(self) -> None:
        from actors.hot_threads import hot_priority
        run = self.settings.run
        granted = hot_priority(self.settings)
        if granted or not (run.hot_realtime or run.hot_nice):
            logger.info('hot threads (stream, armed spares): {}', granted or 'nice 0')
        else:
            logger.info('hot threads (stream, armed spares) keep nice 0: run.hot_realtime = {} needs '
                        'CAP_SYS_NICE or `ulimit -r {}`, run.hot_nice = {} `ulimit -e {}` (0 silences this)',
                        run.hot_realtime, run.hot_realtime, run.hot_nice, 20 - run.hot_nice)

    def _restart_dead_root(self) -> None:
        """A dead root's actors are killed and a new root resumes from the journal (RootGaveUp past
        the bound)."""
        if self.root_watch is None or not self.root_watch.root_died():
            return
        self.root_watch.sweep_orphans()
        self._start_director(self.root_watch.start_message(self.settings, self.closing))

    # ---- while running ---------------------------------------------------------------------------
    def _watch(self) -> None:
        deadline = None if self.duration is None else time.monotonic() + self.duration
        interval = self.settings.run.status_interval_seconds
        next_status = time.monotonic() + interval
        next_check = time.monotonic() + START_CHECK_SECONDS
        while deadline is None or time.monotonic() < deadline:
            time.sleep(max(0.0, min(0.1, (deadline or float('inf')) - time.monotonic())))
            self._restart_dead_root()
            self.control.poll(lambda command: execute_control(self.system, self.director, command,
                                                              ASK_TIMEOUT_SECONDS))
            now = time.monotonic()
            if now >= next_status or now >= next_check:
                next_check = now + START_CHECK_SECONDS
                status = self._ask_status()
                if status is not None and getattr(status, 'fatal', ''):
                    raise ActorStartFailed(status.fatal)
                if now >= next_status:
                    next_status += interval
                    if status is not None and not self.settings.run.quiet:
                        self._show(status_line(status))

    def _show(self, line: str) -> None:
        if sys.stdout.isatty():   # one live line, rewritten in place
            print(f'\r\x1b[2K{line}', end='', flush=True)
            self.status_on_screen = True
        else:
            print(line, flush=True)

    def _ask_status(self):
        from messages import new_request_id
        from messages.status import DirectorGone, Status, StatusRequest
        if self.system is None or self.director is None:
            return None
        reply = self.system.ask(self.director, StatusRequest(new_request_id('status')),
                                timeout=ASK_TIMEOUT_SECONDS)
        if isinstance(reply, Status):
            self.last_status = reply
            return reply
        if isinstance(reply, DirectorGone):   # past its restart limit: the run cannot go on
            raise RuntimeError(reply.reason)
        logger.warning('the Director did not answer a status request ({!r})', reply)
        return None

    def _final_summary(self) -> None:
        status = None
        with contextlib.suppress(Exception):
            self._close_all_positions()
            status = self._ask_status()
        if self.status_on_screen:
            print()
        status = status or self.last_status
        text = summary_text(status, self.stop_reason, self.run_dir)
        extra = self._exit_problem_lines(status)
        if extra:
            text = '\n'.join([text] + extra)
        print(text, flush=True)
        logger.bind(file_only=True).info('run summary\n{}', text)   # bot.log keeps it too

    def _exit_problem_lines(self, status) -> list[str]:
        """Tokens the exit leaves in the wallet (by mint and amount) and a failed journal: each
        makes the exit code 1."""
        from app.exit_report import left_behind, left_behind_lines
        lines = left_behind_lines(left_behind(self.settings, status))
        if status is not None and getattr(status, 'journal_failure', ''):
            lines.append(f'JOURNAL FAILED: {status.journal_failure}; traded unjournaled: '
                         f'{", ".join(status.unjournaled_mints) or "-"}')
        self.exit_problems = lines
        for line in lines:
            logger.error('{}', line)
        return lines

    def _close_all_positions(self) -> None:
        """Must-sell on exit: stop buying, sell every open position, and wait until each sell's
        outcome is known (a sell whose blockhash expired is sent again by its position), at most
        run.close_timeout_seconds; what is still held then is reported and the exit code is 1."""
        from messages import new_request_id
        from messages.status import ClosingAll, CloseAllPositions
        if self.system is None or self.director is None:
            return
        self.closing = True
        self._restart_dead_root()
        reply = self.system.ask(self.director, CloseAllPositions(new_request_id('close')),
                                timeout=ASK_TIMEOUT_SECONDS)
        if isinstance(reply, ClosingAll) and reply.open_positions == 0:
            return   # no answer (a root died meanwhile): wait, a new root's Director closes too
        logger.info('selling {} open position(s) before exit', reply.open_positions)
        deadline = time.monotonic() + self.settings.run.close_timeout_seconds
        while time.monotonic() < deadline:
            self._restart_dead_root()   # a new root gets closing_all: its Director sells at once
            status = self._ask_status()
            if status is not None and status.active_positions == 0:
                return
            time.sleep(0.2)
        logger.error('positions still open after {} s (run.close_timeout_seconds): their tokens '
                     'stay in the wallet', self.settings.run.close_timeout_seconds)


def _raise_stop(signum, _frame) -> None:
    raise StopRequested(signal.Signals(signum).name)
