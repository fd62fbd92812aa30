"""Run the bot: `python run.py` trades on the embedded local chain; `--config live.toml` on mainnet.

Whatever ends the run (its --duration, Ctrl-C, SIGTERM, an error), the actor system and the local
chain are shut down, leftover processes are swept, and a summary is printed.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

from loguru import logger

from adapters.logs import new_run_dir, setup_logging
from config.parsing import LAMPORTS_PER_SOL, ConfigError
from config.secrets import Secret
from config.settings import Settings, load_settings

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2
ASK_TIMEOUT_SECONDS = 3.0
DIRECTOR_START_TIMEOUT_SECONDS = 60.0
CHILD_STOP_TIMEOUT_SECONDS = 5.0


class StopRequested(Exception):
    """SIGTERM/SIGHUP arrived: stop cleanly like Ctrl-C."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='python run.py', description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='Environment variables override the config file: see config/default.toml.')
    parser.add_argument('--config', metavar='PATH',
                        help='TOML settings file (default: config/default.toml, the local chain)')
    parser.add_argument('--duration', metavar='SECONDS', type=float, default=None,
                        help='stop after this many seconds and print the summary '
                             '(default: run until Ctrl-C or SIGTERM)')
    parser.add_argument('--quiet', action='store_true',
                        help='console shows warnings, errors and the final summary only '
                             '(the run log file keeps everything)')
    parser.add_argument('--seed', metavar='N', type=int, default=None,
                        help='seed of the local chain and its simulated market (local mode only), '
                             'so a run can be repeated')
    parser.add_argument('--positions', action='store_true',
                        help='list positions from the journal (open first) and exit; the journal is '
                             'run.journal_path, else the newest runs/*/journal.sqlite3')
    wallet_tasks = parser.add_mutually_exclusive_group()
    wallet_tasks.add_argument('--sell', action='store_true',
                              help='sell every token left in the wallet (native, then Jupiter), '
                                   'close the emptied token accounts, and exit')
    wallet_tasks.add_argument('--balance', action='store_true',
                              help='rebalance SOL/WSOL to SOL_WSOL_TARGET_RATIO and exit')
    wallet_tasks.add_argument('--wrap', metavar='SOL', nargs='?', const='', default=None,
                              help='wrap SOL into WSOL (default: WRAP_AMOUNT) and exit')
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.duration is not None and args.duration <= 0:
        print(f'error: --duration must be a positive number of seconds, not {args.duration}',
              file=sys.stderr)
        return EXIT_CONFIG
    overrides = {'run.quiet': True} if args.quiet else {}
    if args.seed is not None:
        overrides['localnet.seed'] = args.seed
    try:
        settings = load_settings(args.config, env=os.environ, overrides=overrides)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_CONFIG
    if args.positions:
        return _print_positions(settings)
    task = 'sell' if args.sell else 'balance' if args.balance else 'wrap' if args.wrap is not None else None
    if args.wrap:
        try:
            from config.parsing import sol
            sol(1)('--wrap', args.wrap)
        except ConfigError as error:
            print(error, file=sys.stderr)
            return EXIT_CONFIG
    run_dir = new_run_dir(settings.run.runs_dir)
    settings = settings.replace(**{'run.run_dir': str(run_dir)})
    setup_logging('run', run_dir=run_dir, quiet=settings.run.quiet, level=settings.run.log_level,
                  secrets=settings.secret_values())
    if task is not None:   # one-shot wallet modes reuse the actors (wallet_tasks.py)
        from wallet_tasks import run_wallet_task
        return run_wallet_task(settings, run_dir, task, args.wrap)
    return BotRun(settings, run_dir, args.duration).run()


def _print_positions(settings: Settings) -> int:
    from adapters.journal import JournalError
    from adapters.journal.report import print_positions
    try:
        return print_positions(settings)
    except JournalError as error:
        print(error, file=sys.stderr)
        return EXIT_FAILED


class BotRun:
    """One run: local chain (local mode), actor system, Director; status while running; summary."""

    def __init__(self, settings: Settings, run_dir: Path, duration: float | None):
        self.settings, self.run_dir, self.duration = settings, run_dir, duration
        self.system = None
        self.director = None
        self.last_status = None
        self.stop_reason = 'duration'
        self.status_on_screen = False   # a live status line waits for its newline

    def run(self) -> int:
        previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
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
                except Exception as error:
                    self.stop_reason = f'error: {error}'
                    logger.opt(exception=error).error('run failed: {}', error)
                    code = EXIT_FAILED
                finally:
                    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                        signal.signal(sig, signal.SIG_IGN)   # cleanup must not be interrupted
                    with contextlib.suppress(Exception):
                        self._final_summary()
        except Exception as error:
            logger.opt(exception=error).error('shutdown failed: {}', error)
            code = EXIT_FAILED
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        return code

    # ---- start-up --------------------------------------------------------------------------------
    def _start(self, cleanup: contextlib.ExitStack) -> None:
        from actors.system import BotActorSystem, OrphanGuard
        guard = cleanup.enter_context(OrphanGuard())       # exits last: after everything stopped
        chain = None
        if self.settings.chain.mode == 'local':
            chain = cleanup.enter_context(LocalChainProcess(self.settings, self.run_dir))
        # the actor system first: its admin is forked from this process, so no thread and no
        # guard pipe may exist here yet
        self.system = BotActorSystem()
        cleanup.callback(self.system.stop)   # registered first: a signal mid-start still cleans up
        self.system.start()
        guard.start()
        guard.add(self.system.pgid)
        if chain is not None:
            self.settings = chain.start(guard)
        self._start_director()

    def _start_director(self) -> None:
        from actors.director import Director
        from messages.start import DirectorStarted, StartDirector
        self.director = self.system.create_actor(Director)
        reply = self.system.ask(self.director, StartDirector(self.settings),
                                timeout=DIRECTOR_START_TIMEOUT_SECONDS)
        if not isinstance(reply, DirectorStarted):
            raise RuntimeError(f'the Director did not start (reply: {reply!r})')
        if not reply.ok:
            raise RuntimeError(f'the Director could not start: {reply.reason}')
        logger.info('bot running; logs in {}', self.run_dir)

    # ---- while running ---------------------------------------------------------------------------
    def _watch(self) -> None:
        deadline = None if self.duration is None else time.monotonic() + self.duration
        interval = self.settings.run.status_interval_seconds
        next_status = time.monotonic() + interval
        while deadline is None or time.monotonic() < deadline:
            time.sleep(max(0.0, min(0.1, (deadline or float('inf')) - time.monotonic())))
            if time.monotonic() >= next_status:
                next_status += interval
                status = self._ask_status()
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
        from messages.status import Status, StatusRequest
        if self.system is None or self.director is None:
            return None
        reply = self.system.ask(self.director, StatusRequest(new_request_id('status')),
                                timeout=ASK_TIMEOUT_SECONDS)
        if isinstance(reply, Status):
            self.last_status = reply
            return reply
        logger.warning('the Director did not answer a status request ({!r})', reply)
        return None

    def _final_summary(self) -> None:
        status = None
        with contextlib.suppress(Exception):
            self._close_all_positions()
            status = self._ask_status()
        if self.status_on_screen:
            print()
        print(summary_text(status or self.last_status, self.stop_reason, self.run_dir), flush=True)

    def _close_all_positions(self) -> None:
        """Must-sell on exit: stop buying, sell every open position, wait (bounded) for the sells."""
        from messages import new_request_id
        from messages.status import ClosingAll, CloseAllPositions
        if self.system is None or self.director is None:
            return
        reply = self.system.ask(self.director, CloseAllPositions(new_request_id('close')),
                                timeout=ASK_TIMEOUT_SECONDS)
        if not isinstance(reply, ClosingAll) or reply.open_positions == 0:
            return
        logger.info('selling {} open position(s) before exit', reply.open_positions)
        deadline = time.monotonic() + self.settings.run.close_timeout_seconds
        while time.monotonic() < deadline:
            status = self._ask_status()
            if status is not None and status.active_positions == 0:
                return
            time.sleep(0.2)
        logger.warning('positions still open after {} s: their tokens stay in the wallet',
                       self.settings.run.close_timeout_seconds)


class LocalChainProcess:
    """`python -m localnet` as a child in its own session: started, waited for, always stopped."""

    def __init__(self, settings: Settings, run_dir: Path):
        self.settings, self.run_dir = settings, run_dir
        self.process: subprocess.Popen | None = None
        self.lines: queue.Queue = queue.Queue()

    def __enter__(self) -> 'LocalChainProcess':
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, guard=None) -> Settings:
        """Start the chain (and its market), fund a fresh wallet, return settings pointing at both."""
        local = self.settings.localnet
        with open(self.run_dir / 'localnet.log', 'ab') as chain_log:
            self.process = subprocess.Popen(chain_command(local), stdout=subprocess.PIPE,
                                            stderr=chain_log, stdin=subprocess.DEVNULL,
                                            start_new_session=True,
                                            cwd=Path(__file__).resolve().parent)
        if guard is not None:
            guard.add(self.process.pid)   # its own session: pgid == pid
        threading.Thread(target=self._read_lines, name='localnet-stdout', daemon=True).start()
        endpoints = self._wait_ready(local.startup_timeout_seconds)
        logger.info('local chain ready: rpc {} ws {} grpc {} api {}; market {}', endpoints['rpc'],
                    endpoints['ws'], endpoints.get('grpc') or 'off', endpoints.get('api') or 'off',
                    f'{local.launch_rate} launches/s' if local.market else 'off')
        wallet_path = self._fund_fresh_wallet(endpoints['rpc'], local.wallet_airdrop_lamports)
        api = endpoints.get('api') or None
        return self.settings.replace(**{
            'chain.rpc_urls': (Secret(endpoints['rpc']),), 'chain.ws_url': Secret(endpoints['ws']),
            'chain.grpc_endpoint': endpoints.get('grpc') or None,
            'chain.jupiter_url': api, 'chain.rugcheck_url': api,
            'wallet.keypair_path': str(wallet_path),
            'wallet.private_key': None})   # a local run never touches a real key from the env

    def _read_lines(self) -> None:
        """Queue lines up to READY, then keep draining the pipe so the chain never blocks on it."""
        ready = False
        for raw in self.process.stdout:
            if not ready:
                line = raw.decode(errors='replace').strip()
                self.lines.put(line)
                ready = line.startswith('READY ')
        self.lines.put(None)

    def _wait_ready(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                raise RuntimeError(f'the local chain exited (code {self.process.wait()}); '
                                   f'see {self.run_dir / "localnet.log"}')
            if line.startswith('READY '):
                return dict(part.split('=', 1) for part in line.split()[1:] if '=' in part)
        raise RuntimeError(f'the local chain was not ready within {timeout}s')

    def _fund_fresh_wallet(self, rpc_url: str, lamports: int) -> Path:
        from solders.keypair import Keypair
        from adapters.keys import write_keypair_file
        keypair = Keypair()
        path = write_keypair_file(keypair, self.run_dir / 'wallet.json')
        asyncio.run(_airdrop(rpc_url, keypair.pubkey(), lamports))
        logger.info('local wallet {} funded with {} SOL', keypair.pubkey(), lamports_to_sol(lamports))
        return path

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(CHILD_STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            logger.warning('local chain ignored SIGTERM; killing it')
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)   # and anything it started
        process.wait()


def chain_command(local) -> list[str]:
    """`python -m localnet` on free ports, with the market the settings ask for."""
    command = [sys.executable, '-m', 'localnet', '--rpc-port', '0', '--ws-port', '0',
               '--grpc-port', '0', '--api-port', '0', '--seed', str(local.seed), '--quiet']
    if local.market:
        command += ['--market', '--launch-rate', str(local.launch_rate)]
        if local.max_coins:
            command += ['--max-coins', str(local.max_coins)]
    if local.faults_file:
        command += ['--faults', local.faults_file]
    return command


async def _airdrop(rpc_url: str, pubkey, lamports: int) -> None:
    from adapters.solana_rpc import RpcClient
    rpc = RpcClient([rpc_url])
    try:
        await rpc.call('requestAirdrop', lambda c: c.request_airdrop(pubkey, lamports))
        for _ in range(200):
            if await rpc.get_balance(pubkey) >= lamports:
                return
            await asyncio.sleep(0.05)
        raise RuntimeError('the local wallet airdrop did not arrive')
    finally:
        await rpc.close()


def _raise_stop(signum, _frame) -> None:
    raise StopRequested(signal.Signals(signum).name)


# ---- presentation ----------------------------------------------------------------------------------
def lamports_to_sol(lamports: int) -> str:
    """Exact: integer lamports shown as SOL with 9 decimals (Decimal, never float)."""
    return f'{Decimal(lamports) / LAMPORTS_PER_SOL:.9f}'


def percentile(values, fraction: float):
    """Nearest-rank percentile; None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(len(ordered) * Decimal(str(fraction))))
    return ordered[rank - 1]


def _ms(value) -> str:
    return '-' if value is None else f'{value:.1f} ms'


def status_line(status) -> str:
    failures = sum(status.failures.values())
    return (f'{time.strftime("%H:%M:%S")} seen {status.coins_seen} analysed {status.analysed} '
            f'bought {status.bought} sold {status.sold} open {status.active_positions} '
            f'pnl {lamports_to_sol(status.pnl_lamports)} SOL failures {failures}'
            + (' SAFETY-MODE' if status.safety_mode else ''))


def summary_text(status, stop_reason: str, run_dir: Path) -> str:
    lines = [f'--- summary (stopped: {stop_reason}) ---']
    if status is None:
        lines.append('no status from the bot (it did not start or did not answer)')
    else:
        latencies = list(status.latencies_ms)
        failures = ', '.join(f'{k} {v}' for k, v in sorted(status.failures.items())) or 'none'
        restarts = ', '.join(f'{k} {v}' for k, v in sorted(status.restarts.items())) or 'none'
        lifecycle = ', '.join(f'{k} {v}' for k, v in sorted(status.lifecycle.items()) if v) or 'none'
        lines += [
            f'coins seen {status.coins_seen}, analysed {status.analysed}, bought {status.bought}, '
            f'sold {status.sold}, still open {status.active_positions}',
            f'PnL {lamports_to_sol(status.pnl_lamports)} SOL ({status.pnl_lamports} lamports)',
            f'detection-to-buy-sent p50 {_ms(percentile(latencies, 0.5))}, '
            f'p99 {_ms(percentile(latencies, 0.99))} over {len(latencies)} buys',
            f'failures: {failures}',
            f'restarts: {restarts}',
            f'lifecycle: {lifecycle}',
            f'unresolved signatures {status.unresolved_signatures}'
            + (', SAFETY MODE was on' if status.safety_mode else ''),
        ]
    lines.append(f'log: {run_dir / "bot.log"}')
    return '\n'.join(lines)


if __name__ == '__main__':
    sys.exit(main())
