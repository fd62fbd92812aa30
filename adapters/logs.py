"""Logging for every process of the bot (run.py and each actor): loguru, one line per event, a shared
log file per run under runs/<timestamp>/, and a filter that replaces every registered secret.

Each actor process calls setup_from_settings(settings, 'Name') when it starts: actor processes are
forked, so they would otherwise inherit the parent's sinks and name.
"""
from __future__ import annotations

import logging
import os
import sys
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from loguru import logger

from config.secrets import REDACTED

LOG_FILE_NAME = 'bot.log'
LINE_FORMAT = ('{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <7} | {extra[process_name]}:{process} | '
               '{message}')
CONSOLE_FORMAT = '<green>{time:HH:mm:ss.SSS}</green> <level>{level: <7}</level> ' \
                 '<cyan>{extra[process_name]}</cyan> {message}'
MIN_SECRET_LENGTH = 6   # shorter values would redact ordinary words
CHATTY_STDLIB_LOGGERS = ('httpx2', 'httpx', 'httpcore', 'hpack', 'asyncio', 'grpc')

_secrets: set[str] = set()


def register_secrets(values: Iterable[str]) -> None:
    """Values that must never reach a log line (keys, tokens, URLs with API keys)."""
    _secrets.update(v for v in values if v and len(v) >= MIN_SECRET_LENGTH)


def redact(text: str) -> str:
    for value in sorted(_secrets, key=len, reverse=True):   # longest first: no partial leaks
        if value in text:
            text = text.replace(value, REDACTED)
    return text


def _redacting_patcher(record) -> None:
    if _secrets:
        record['message'] = redact(record['message'])
        for key, value in record['extra'].items():
            if isinstance(value, str):
                record['extra'][key] = redact(value)
        if record['exception'] is not None and record['exception'].value is not None:
            # the sink renders the traceback (chained causes too, e.g. an HTTP error naming the
            # URL); if any of it leaks, log the redacted text instead of the exception object
            exc = record['exception'].value
            rendered = ''.join(traceback.format_exception(exc))
            if redact(rendered) != rendered:
                record['message'] += '\n' + redact(rendered).rstrip()
                record['exception'] = None


def new_run_dir(runs_dir: str | os.PathLike = 'runs') -> Path:
    """Create runs/<UTC timestamp>/ (suffixed if two runs start in the same second)."""
    stamp = datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')
    base = Path(runs_dir)
    for attempt in range(1000):
        path = base / (stamp if attempt == 0 else f'{stamp}-{attempt}')
        try:
            path.mkdir(parents=True)
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f'could not create a run directory under {base}')


def setup_logging(process_name: str, run_dir: str | os.PathLike | None = None, quiet: bool = False,
                  level: str = 'INFO', secrets: Iterable[str] = ()) -> None:
    """Replace this process's sinks: console (warnings only when quiet) and runs/<ts>/bot.log."""
    register_secrets(secrets)
    for name in CHATTY_STDLIB_LOGGERS:   # e.g. httpx2 logs every request at INFO
        logging.getLogger(name).setLevel(logging.WARNING)
    logger.remove()
    logger.configure(extra={'process_name': process_name}, patcher=_redacting_patcher)
    logger.add(sys.stderr, level='WARNING' if quiet else level, format=CONSOLE_FORMAT,
               colorize=None, backtrace=False, diagnose=False)
    if run_dir is not None:
        # append + line buffering: each process writes whole lines to the one shared file
        logger.add(Path(run_dir) / LOG_FILE_NAME, level=level, format=LINE_FORMAT, mode='a',
                   buffering=1, backtrace=False, diagnose=False, encoding='utf-8')


def setup_from_settings(settings, process_name: str) -> None:
    """Per-process set-up from Settings (run.run_dir, run.quiet, run.log_level, every secret)."""
    setup_logging(process_name, run_dir=settings.run.run_dir, quiet=settings.run.quiet,
                  level=settings.run.log_level, secrets=settings.secret_values())
