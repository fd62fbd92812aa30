"""The position journal: one SQLite file in WAL mode, shared by the Director and every PositionActor.

Each process opens its own Journal (SQLite serialises writers across processes; WAL lets readers
run alongside). A position is one row; its orders are JSON columns. Rows are plain dicts here:
the position model (actors/position_model.py) turns them into objects.
"""
from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCHEMA_PATH = HERE / 'schema.sql'
MIGRATIONS_DIR = HERE / 'migrations'
OPEN_STATES = ('pending', 'active', 'closing')
BUSY_TIMEOUT_MS = 5_000
DEFAULT_AUTOCHECKPOINT_PAGES = 1000   # SQLite's default
FAIL_FAST_BUSY_TIMEOUT_MS = 100   # after a failed write: a locked journal must not stall trading
# save_now() polls for the write lock this often instead of SQLite's busy handler, whose sleeps
# (1, 2, 5, 10, 15, 20, 25 ms...) turned a lock held 0.2 ms by another process into 8-25 ms
LOCK_POLL_SECONDS = 0.0001
COLUMNS = ('position_id', 'mint', 'state', 'launch', 'expected_tokens', 'bought_tokens',
           'sold_tokens', 'pnl_lamports', 'exit_reason', 'exit_at', 'outcome', 'opened_at',
           'updated_at', 'buy_order', 'sell_orders', 'wallet', 'genesis_hash')
JSON_COLUMNS = ('launch', 'buy_order', 'sell_orders')


class JournalError(Exception):
    """The journal cannot be opened or a row is malformed; str() is one line naming the file."""


def migrations() -> list[tuple[int, Path]]:
    """[(number, file), ...] of migrations/NNN_name.sql, in order."""
    found = []
    for path in MIGRATIONS_DIR.glob('*.sql'):
        match = re.match(r'(\d+)_', path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def latest_version() -> int:
    return migrations()[-1][0]


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (our SQL has no ';' inside literals)."""
    body = '\n'.join(line for line in sql.splitlines() if not line.strip().startswith('--'))
    return [part.strip() for part in body.split(';') if part.strip()]


class Journal:
    """open with Journal(path); it creates or migrates the schema, then save()/load()/list."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000,
                                       isolation_level=None, check_same_thread=False)
            self._db.row_factory = sqlite3.Row
            self._db.execute(f'PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}')
            self.busy_timeout_ms = BUSY_TIMEOUT_MS   # save()'s wait for the write lock, and save_now()'s
            self._busy_timeout_set = BUSY_TIMEOUT_MS   # what the connection has now (save_now sets 0)
            mode = self._db.execute('PRAGMA journal_mode = WAL').fetchone()[0]
            if mode.lower() != 'wal':
                raise JournalError(f'{self.path}: WAL mode refused (got {mode})')
            # NORMAL in WAL: a commit survives any process crash (only power loss may lose the last)
            self._db.execute('PRAGMA synchronous = NORMAL')
            self.migrate()
            self._check_columns()
        except (sqlite3.Error, OSError) as exc:
            with contextlib.suppress(Exception):
                self._db.close()
            raise JournalError(f'cannot open the journal {self.path}: {exc}') from None
        except JournalError:
            with contextlib.suppress(Exception):
                self._db.close()
            raise

    @property
    def version(self) -> int:
        return self._db.execute('PRAGMA user_version').fetchone()[0]

    def migrate(self) -> int:
        """Bring the file to the latest version under a write lock (several processes may race)."""
        self._db.execute('BEGIN IMMEDIATE')
        try:
            version = self.version
            if version > latest_version():   # written by a newer bot: its rows may mean more
                raise JournalError(f'the journal {self.path} has schema version {version}, newer than '
                                   f'this bot knows ({latest_version()}): run a newer bot on it')
            fresh = version == 0 and not self._db.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'positions'").fetchone()
            if fresh:
                for statement in _statements(SCHEMA_PATH.read_text()):
                    self._db.execute(statement)
                version = latest_version()
            else:
                for number, path in migrations():
                    if number > version:
                        for statement in _statements(path.read_text()):
                            self._db.execute(statement)
                        version = number
            self._db.execute(f'PRAGMA user_version = {int(version)}')
            self._db.execute('COMMIT')
        except BaseException:
            self._db.execute('ROLLBACK')
            raise
        return version

    def _check_columns(self) -> None:
        found = {row[1] for row in self._db.execute('PRAGMA table_info(positions)')}
        missing = [c for c in COLUMNS if c not in found]
        if missing:
            raise JournalError(f'the journal {self.path} is malformed: its positions table lacks '
                               f'{", ".join(missing)}')

    def _rows(self, sql: str, args: tuple = ()) -> list[dict]:
        try:
            return [_decoded(row) for row in self._db.execute(sql, args).fetchall()]
        except (sqlite3.Error, ValueError, TypeError) as exc:   # ValueError: a bad JSON column
            raise JournalError(f'cannot read the journal {self.path}: {exc}') from None

    def save(self, row: dict) -> None:
        """Insert or overwrite one position (durable when this returns)."""
        self._busy_timeout(self.busy_timeout_ms)
        self._execute_save(*self._encoded(row))

    def _busy_timeout(self, ms: int) -> None:
        """SQLite's own wait for a lock (its busy handler), set only when it changes: save_now()
        polls with 0 and leaves it there, so a spare's buy pays for no PRAGMA."""
        if self._busy_timeout_set != ms:
            self._db.execute(f'PRAGMA busy_timeout = {ms}')
            self._busy_timeout_set = ms

    def _encoded(self, row: dict) -> tuple[str, str, list]:
        """(position_id, SQL, values) of the upsert of one row."""
        values = dict(row, updated_at=row.get('updated_at') or time.time())
        missing = [c for c in ('position_id', 'mint', 'state', 'launch', 'opened_at') if c not in values]
        if missing:
            raise JournalError(f'position row lacks {", ".join(missing)}')
        for column in JSON_COLUMNS:
            if column in values and not isinstance(values[column], (str, type(None))):
                values[column] = json.dumps(values[column], separators=(',', ':'))
        columns = [c for c in COLUMNS if c in values]
        updates = ', '.join(f'{c} = excluded.{c}' for c in columns if c != 'position_id')
        return (values['position_id'],
                f'INSERT INTO positions ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
                f' ON CONFLICT (position_id) DO UPDATE SET {updates}',
                [values[c] for c in columns])

    def _execute_save(self, position_id: str, sql: str, values: list) -> None:
        try:
            self._db.execute(sql, values)
        except sqlite3.Error as exc:
            raise JournalError(f'cannot save position {position_id}: {exc}') from exc

    def save_now(self, row: dict, stage=lambda _name: None, commit: bool = True) -> int:
        """save() for the hot path (an armed spare's buy row, durable when this returns). The row is
        encoded before the write lock is taken, and the lock is polled for every LOCK_POLL_SECONDS
        up to the busy timeout, so a lock another process holds for a fraction of a millisecond
        costs about that, not SQLite's next busy sleep. `stage(name)` is called once the lock is
        held ('journal_locked') and the row is in ('journal_inserted'). commit=False rolls it back
        (rehearse_save). Returns how many times the lock was found held."""
        encoded = self._encoded(row)
        waits = 0
        deadline = time.monotonic() + self.busy_timeout_ms / 1000
        self._busy_timeout(0)
        while True:
            try:
                self._db.execute('BEGIN IMMEDIATE')
                break
            except sqlite3.OperationalError as exc:
                if 'locked' not in str(exc) or time.monotonic() > deadline:
                    raise JournalError(f'cannot save position {encoded[0]}: {exc}') from exc
                waits += 1
                time.sleep(LOCK_POLL_SECONDS)
        stage('journal_locked')
        try:
            self._execute_save(*encoded)
            stage('journal_inserted')
            self._db.execute('COMMIT' if commit else 'ROLLBACK')
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute('ROLLBACK')
            if isinstance(exc, sqlite3.Error):
                raise JournalError(f'cannot save position {encoded[0]}: {exc}') from exc
            raise
        return waits

    def rehearse_save(self, row: dict) -> None:
        """save_now() rolled back: nothing is written, but the statement is compiled and cached,
        the pages read and the busy timeout set (a spare's one real buy journals on a warm path)."""
        self.save_now(row, commit=False)

    def defer_checkpoints(self, deferred: bool) -> None:
        """While deferred, this connection's commits never run the WAL auto-checkpoint (SQLite runs
        it in whichever connection's commit crosses the threshold, copying and syncing pages for
        tens of ms); the others' commits still do. An armed spare defers until its buy row is
        written. PRAGMA wal_autocheckpoint is per connection."""
        with contextlib.suppress(sqlite3.Error):
            self._db.execute(f'PRAGMA wal_autocheckpoint = {0 if deferred else DEFAULT_AUTOCHECKPOINT_PAGES}')

    def fail_fast(self) -> None:
        """After a failed write: wait at most FAIL_FAST_BUSY_TIMEOUT_MS for a lock from now on."""
        self.busy_timeout_ms = FAIL_FAST_BUSY_TIMEOUT_MS
        with contextlib.suppress(sqlite3.Error):
            self._busy_timeout(FAIL_FAST_BUSY_TIMEOUT_MS)

    def load(self, position_id: str) -> dict | None:
        found = self._rows('SELECT * FROM positions WHERE position_id = ?', (position_id,))
        return found[0] if found else None

    def open_positions(self) -> list[dict]:
        marks = ', '.join('?' * len(OPEN_STATES))
        return self._rows(f'SELECT * FROM positions WHERE state IN ({marks}) ORDER BY opened_at',
                          OPEN_STATES)

    def all_positions(self) -> list[dict]:
        """Open positions first (oldest first), then the rest, newest first."""
        marks = ', '.join('?' * len(OPEN_STATES))
        return self._rows(
            f'SELECT * FROM positions ORDER BY state NOT IN ({marks}), '
            f'CASE WHEN state IN ({marks}) THEN opened_at ELSE -opened_at END',
            OPEN_STATES * 2)

    def save_copy_seen(self, genesis_hash: str, last_seen: dict) -> None:
        """target -> the signature of their newest trade seen on this chain (one transaction)."""
        now = time.time()
        try:
            with self._db:
                self._db.execute('BEGIN')
                self._db.executemany(
                    'INSERT INTO copy_seen (target, genesis_hash, signature, updated_at) VALUES (?, ?, ?, ?)'
                    ' ON CONFLICT (target, genesis_hash) DO UPDATE SET signature = excluded.signature,'
                    ' updated_at = excluded.updated_at',
                    [(target, genesis_hash, signature, now) for target, signature in last_seen.items()])
        except sqlite3.Error as exc:
            raise JournalError(f'cannot save copy targets last seen in {self.path}: {exc}') from exc

    def copy_seen(self, genesis_hash: str) -> dict:
        """target -> the signature of their newest trade seen on this chain, as last saved."""
        try:
            return dict(self._db.execute('SELECT target, signature FROM copy_seen WHERE genesis_hash = ?',
                                         (genesis_hash,)).fetchall())
        except sqlite3.Error as exc:
            raise JournalError(f'cannot read copy targets last seen in {self.path}: {exc}') from None

    def close(self) -> None:
        self._db.close()


def _decoded(row: sqlite3.Row) -> dict:
    values = dict(row)
    for column in JSON_COLUMNS:
        if values.get(column) is not None:
            values[column] = json.loads(values[column])
    return values


def journal_path(settings) -> Path:
    """run.journal_path if set. Otherwise a live run shares <runs dir>/journal.sqlite3 with every
    other live run, so a restart after a crash recovers its open positions; a local run gets its own
    <run dir>/journal.sqlite3, since each starts a fresh chain with a fresh wallet."""
    run = settings.run
    if run.journal_path:
        return Path(run.journal_path)
    if settings.chain.mode == 'live':
        return Path(run.runs_dir) / 'journal.sqlite3'
    return Path(run.run_dir or run.runs_dir) / 'journal.sqlite3'
