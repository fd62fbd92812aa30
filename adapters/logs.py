"""Logging for every process of the bot (run.py and each actor): loguru, one line per event, a shared
log file per run under runs/<timestamp>/, and redaction of every registered secret on both paths:
loguru (a patcher) and stdlib logging (thespian, asyncio, httpx, grpc: a record factory in each
process plus RedactingFilter on thespian's logger handlers, see actors/system.py).

A secret is registered with its variants (secret_variants): the parts of a URL a library may log
after normalising it (query values and path tokens, decoded and encoded; lower-cased scheme and
host) and the escaped forms repr() and JSON produce, so `https://RPC.Example.com/?api-key=abc%2Bdef`
is also caught as `api-key=abc+def` or inside a bytes repr.

Each actor process calls setup_from_settings(settings, 'Name') when it starts: actor processes are
forked, so they would otherwise inherit the parent's sinks and name.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable
from urllib.parse import parse_qsl, quote, quote_plus, unquote, unquote_plus, urlsplit, urlunsplit

from loguru import logger

from config.secrets import REDACTED

LOG_FILE_NAME = 'bot.log'
LINE_FORMAT = ('{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <7} | {extra[process_name]}:{process} | '
               '{message}')
CONSOLE_FORMAT = '<green>{time:HH:mm:ss.SSS}</green> <level>{level: <7}</level> ' \
                 '<cyan>{extra[process_name]}</cyan> {message}'
MIN_SECRET_LENGTH = 6   # shorter values would redact ordinary words
# a URL path segment counts as a token (e.g. /v2/<api key>) if long, or if it has a digit
MIN_PATH_TOKEN_LENGTH = 16
CHATTY_STDLIB_LOGGERS = ('httpx2', 'httpx', 'httpcore', 'hpack', 'asyncio', 'grpc')

_secrets: set[str] = set()
_ordered: list[str] = []   # _secrets, longest first: no partial leaks


def register_secrets(values: Iterable[str]) -> None:
    """Values that must never reach a log line (keys, tokens, URLs with API keys), with variants."""
    global _ordered
    for value in values:
        _secrets.update(v for v in secret_variants(value) if len(v) >= MIN_SECRET_LENGTH)
    _ordered = sorted(_secrets, key=len, reverse=True)


def registered_secrets() -> list[str]:
    return list(_ordered)


def secret_variants(value: str) -> set[str]:
    """The value and the forms it may take in a log line (see the module doc)."""
    if not value:
        return set()
    plain = {value} | _url_variants(value)
    escaped = set()
    for item in plain:
        escaped |= {repr(item)[1:-1], json.dumps(item)[1:-1],
                    item.replace('\\', '\\\\').replace("'", "\\'"),
                    repr(item.encode('utf-8', 'surrogatepass'))[2:-1]}
    return plain | escaped


def _url_variants(value: str) -> set[str]:
    try:
        parts = urlsplit(value)
    except ValueError:
        return set()
    if not parts.scheme or not parts.netloc:
        return set()
    # raw values: '+' may be a literal plus (re-encoded %2B) or a space, depending on the library
    tokens = [pair.partition('=')[2] for pair in parts.query.split('&') if '=' in pair]
    tokens += [unquote(v) for v in (parts.password, parts.username) if v]
    tokens += [unquote(seg) for seg in parts.path.split('/')
               if len(seg) >= MIN_PATH_TOKEN_LENGTH
               or (len(seg) >= MIN_SECRET_LENGTH and any(c.isdigit() for c in seg))]
    found = set()
    for token in tokens:
        for decoded in {token, unquote(token), unquote_plus(token)}:
            encoded = {quote(decoded, safe=''), quote_plus(decoded, safe=''), quote(decoded)}
            found |= {decoded} | encoded | {_lower_escapes(e) for e in encoded}
    lowered = parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower())
    for query in {parts.query, unquote(parts.query), unquote_plus(parts.query),
                  '&'.join(f'{quote_plus(k)}={quote_plus(v)}' for k, v in parse_qsl(parts.query))}:
        found |= {urlunsplit(parts._replace(query=query)), urlunsplit(lowered._replace(query=query))}
    return found


def _lower_escapes(text: str) -> str:
    """%2B -> %2b: some libraries normalise percent-escapes to lower case."""
    return re.sub(r'%[0-9A-F]{2}', lambda m: m.group(0).lower(), text)


def redact(text: str) -> str:
    for value in _ordered:
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


# ---- stdlib logging -----------------------------------------------------------------------------
def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact a stdlib LogRecord in place: its message (msg % args), traceback and stack text."""
    if not _ordered:
        return record
    try:
        message = record.getMessage()
    except Exception:   # a broken format string: leave it to the handler's own error path
        message = None
    if message is not None and redact(message) != message:
        record.msg, record.args = redact(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = ''.join(traceback.format_exception(*record.exc_info)).rstrip('\n')
    if record.exc_text and redact(record.exc_text) != record.exc_text:
        record.exc_text = redact(record.exc_text)
        record.exc_info = None   # so that no handler renders the unredacted exception again
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactingFilter(logging.Filter):
    """Redacts records passing a stdlib handler. Used in thespian's logDefs (its logger process
    receives records made in other processes); `secrets` adds values to this process's registry."""

    def __init__(self, name: str = '', secrets: Iterable = ()):
        super().__init__(name)
        register_secrets(getattr(s, 'reveal', lambda s=s: s)() for s in secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


_base_record_factory = logging.getLogRecordFactory()


def _redacting_record_factory(*args, **kwargs) -> logging.LogRecord:
    return redact_record(_base_record_factory(*args, **kwargs))


def install_stdlib_redaction() -> None:
    """Every stdlib record made in this process is redacted when made, whichever logger or handler
    (a filter on the root logger would miss records propagated from named loggers)."""
    if logging.getLogRecordFactory() is not _redacting_record_factory:
        logging.setLogRecordFactory(_redacting_record_factory)
    for handler in (*logging.getLogger().handlers, logging.lastResort):
        if handler is not None and not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


def first_to_warn(run_dir, topic: str, interval_seconds: float) -> bool:
    """True for the one process of a run that should log `topic` now: the first to ask since
    `interval_seconds` ago (a lock-protected time stamp in the run directory). Eight spare actors
    hitting one dead endpoint so log one warning per backoff step, not eight."""
    if not run_dir:
        return True
    path = Path(run_dir) / '.warned' / topic
    try:
        path.parent.mkdir(exist_ok=True)
        with open(path, 'a+') as stamp:
            fcntl.flock(stamp, fcntl.LOCK_EX)
            stamp.seek(0)
            last = float(stamp.read() or 0)
            now = time.time()
            if now - last < interval_seconds * 0.9:   # 0.9: the same step, seen a little later
                return False
            stamp.seek(0)
            stamp.truncate()
            stamp.write(repr(now))
            return True
    except (OSError, ValueError):
        return True   # never lose a warning because the gate failed


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


def _not_file_only(record) -> bool:
    """Records bound with file_only=True (e.g. the summary, already printed) skip the console."""
    return not record['extra'].get('file_only')


def setup_logging(process_name: str, run_dir: str | os.PathLike | None = None, quiet: bool = False,
                  level: str = 'INFO', secrets: Iterable[str] = ()) -> None:
    """Replace this process's sinks: console (warnings only when quiet) and runs/<ts>/bot.log."""
    register_secrets(secrets)
    install_stdlib_redaction()
    for name in CHATTY_STDLIB_LOGGERS:   # e.g. httpx2 logs every request at INFO
        logging.getLogger(name).setLevel(logging.WARNING)
    logger.remove()
    logger.configure(extra={'process_name': process_name}, patcher=_redacting_patcher)
    logger.add(sys.stderr, level='WARNING' if quiet else level, format=CONSOLE_FORMAT,
               colorize=None, backtrace=False, diagnose=False, filter=_not_file_only)
    if run_dir is not None:
        # append + line buffering: each process writes whole lines to the one shared file
        logger.add(Path(run_dir) / LOG_FILE_NAME, level=level, format=LINE_FORMAT, mode='a',
                   buffering=1, backtrace=False, diagnose=False, encoding='utf-8')


def setup_from_settings(settings, process_name: str) -> None:
    """Per-process set-up from Settings (run.run_dir, run.quiet, run.log_level, every secret)."""
    setup_logging(process_name, run_dir=settings.run.run_dir, quiet=settings.run.quiet,
                  level=settings.run.log_level, secrets=settings.secret_values())
