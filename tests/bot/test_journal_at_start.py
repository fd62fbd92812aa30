"""run.py's journal check at start: a journal read-only for a while (chattr +i: file modes do not
stop root) is waited for; a corrupt one is refused at once."""
from __future__ import annotations

import subprocess
import threading
import time

from adapters.journal import Journal
from app.bot_run import BotRun
from config.settings import load_settings


def _run(tmp_path, journal):
    settings = load_settings(env={}, overrides={"run.journal_path": str(journal)})
    return BotRun(settings, tmp_path, None)


def test_a_journal_read_only_at_start_is_waited_for(tmp_path):
    journal = tmp_path / "journal.sqlite3"
    Journal(journal).close()
    files = [str(p) for p in (journal, journal.with_name("journal.sqlite3-wal")) if p.exists()]
    subprocess.run(["chattr", "+i", *files], check=True)
    lifted = threading.Timer(2.0, lambda: subprocess.run(["chattr", "-i", *files], check=True))
    lifted.start()
    try:
        started = time.monotonic()
        assert _run(tmp_path, journal)._journal_usable()
        assert time.monotonic() - started >= 1.5   # it waited for the journal, then opened it
    finally:
        lifted.join()
        subprocess.run(["chattr", "-i", *files], check=False)


def test_a_corrupt_journal_is_refused_at_once(tmp_path):
    journal = tmp_path / "journal.sqlite3"
    journal.write_bytes(b"not a database at all" * 100)
    started = time.monotonic()
    assert not _run(tmp_path, journal)._journal_usable()
    assert time.monotonic() - started < 1.0
