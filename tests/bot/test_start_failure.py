"""An actor that fails its Start stops the run: the Director names it in Status (`fatal`, and a
`start_failed:<actor>` failure, never `failures: none`). Runs the real actor tree on a settings
object whose keypair file is missing (what the live preflight refuses before run.py gets here)."""
import time

import pytest

from actors.root import Root
from actors.system import BotActorSystem
from app.summary import summary_text
from config.settings import load_settings
from messages.start import DirectorStarted, StartDirector
from messages.status import Status, StatusRequest

pytestmark = pytest.mark.timeout(90)


def test_a_child_that_fails_its_start_is_reported_by_name(tmp_path):
    missing = tmp_path / 'no-such-keypair.json'
    settings = load_settings(env={}, overrides={
        'chain.mode': 'live', 'chain.rpc_urls': ['http://127.0.0.1:9'],
        'wallet.keypair_path': str(missing), 'run.runs_dir': str(tmp_path), 'run.quiet': True,
        'run.journal_path': str(tmp_path / 'journal.sqlite3')})
    with BotActorSystem(start_method='fork') as system:
        root = system.create_actor(Root)
        assert isinstance(system.ask(root, StartDirector(settings), timeout=30), DirectorStarted)
        deadline = time.monotonic() + 20
        status = None
        while time.monotonic() < deadline:
            status = system.ask(root, StatusRequest('s'), timeout=10)
            if isinstance(status, Status) and status.fatal:
                break
            time.sleep(0.2)
    assert isinstance(status, Status) and status.fatal, status
    assert status.fatal.split(' failed to start: ')[0] in ('wallet', 'seller', 'position')
    assert f'keypair file {missing} does not exist' in status.fatal
    assert status.buying is False
    assert any(kind.startswith('start_failed:') for kind in status.failures)
    assert 'failures: none' not in summary_text(status, 'error', tmp_path)
