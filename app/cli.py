"""`python run.py`: parse the command line, load settings, then run the bot or a one-shot task."""
from __future__ import annotations

import argparse
import os
import sys

from adapters.logs import new_run_dir, setup_logging
from app.bot_run import EXIT_CONFIG, EXIT_FAILED, BotRun
from config.parsing import ConfigError
from config.secrets import remove_secret_env
from config.settings import Settings, load_settings

DESCRIPTION = """Run the bot: `python run.py` trades on the embedded local chain; `--config live.toml` on mainnet.

Whatever ends the run (its --duration, Ctrl-C, SIGTERM, an error), the actor system and the local
chain are shut down, leftover processes are swept, and a summary is printed.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='python run.py', description=DESCRIPTION,
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
    parser.add_argument('--control', choices=('pause', 'resume', 'sell-all', 'status', 'pids', 'claim-cashback'),
                        help='tell a running bot to pause or resume buying, sell every open '
                             'position (and stay paused), show its status, list its actor '
                             'processes (pids, JSON), or claim its earned cashback; then exit')
    parser.add_argument('--run-dir', metavar='DIR',
                        help='with --control: the run directory of the bot (default: the newest '
                             'under run.runs_dir)')
    wallet_tasks = parser.add_mutually_exclusive_group()
    wallet_tasks.add_argument('--sell', action='store_true',
                              help='sell every token left in the wallet (native, then Jupiter), '
                                   'close the emptied token accounts, and exit')
    wallet_tasks.add_argument('--balance', action='store_true',
                              help='rebalance SOL/WSOL to SOL_WSOL_TARGET_RATIO and exit')
    wallet_tasks.add_argument('--wrap', metavar='SOL', nargs='?', const='', default=None,
                              help='wrap SOL into WSOL (default: WRAP_AMOUNT) and exit')
    wallet_tasks.add_argument('--claim-cashback', action='store_true',
                              help='claim every bit of cashback the wallet earned on cashback coins '
                                   '(curve and pool, SOL and USDC) and exit')
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.duration is not None and args.duration <= 0:
        print(f'error: --duration must be a positive number of seconds, not {args.duration}',
              file=sys.stderr)
        return EXIT_CONFIG
    if args.control:
        return _control(args)
    overrides = {'run.quiet': True} if args.quiet else {}
    if args.seed is not None:
        overrides['localnet.seed'] = args.seed
    try:
        settings = load_settings(args.config, env=os.environ, overrides=overrides,
                                 need_live_endpoints=not args.positions)   # the journal needs no RPC
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_CONFIG
    remove_secret_env()   # the settings hold them now; forked actors and children must not
    if args.positions:
        return _print_positions(settings)
    task = ('sell' if args.sell else 'balance' if args.balance else 'wrap' if args.wrap is not None
            else 'cashback' if args.claim_cashback else None)
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
        from app.wallet_tasks import run_wallet_task
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


def _control(args) -> int:
    """`--control COMMAND`: one request over the running bot's control socket (app/control.py)."""
    from app.control import ControlError, newest_run_dir, send_command
    try:
        if args.run_dir:
            run_dir = args.run_dir
        else:
            try:   # only runs_dir is needed: a live config without its secrets still names it
                runs_dir = load_settings(args.config, env=os.environ).run.runs_dir
            except ConfigError:
                runs_dir = os.environ.get('RUNS_DIR') or 'runs'
            run_dir = newest_run_dir(runs_dir)
        ok, message = send_command(run_dir, args.control)
    except ControlError as error:
        print(f'error: {error}', file=sys.stderr)
        return EXIT_FAILED
    print(message if ok else f'error: {message}', file=sys.stdout if ok else sys.stderr)
    return 0 if ok else EXIT_FAILED
