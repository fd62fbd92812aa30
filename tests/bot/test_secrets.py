"""Secrets never reach a log line in another form, nor a child process's environment (issue 8 point 5).

Redaction: URL-normalised forms, repr/bytes/JSON escapes and tracebacks, on the loguru path and on
the stdlib logging path (in this process, and in thespian's logger process for records an actor
made). Environment: the local chain and the OrphanGuard get a scrubbed env, and run.py drops the
secret variables from os.environ before it forks the actor system.
"""
import io
import json
import logging
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest
from loguru import logger
from thespian.actors import Actor

from actors.system import BotActorSystem, OrphanGuard
from adapters import logs
from config.secrets import Secret, remove_secret_env, scrubbed_env, secret_env_names

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    monkeypatch.setattr(logs, '_secrets', set())
    monkeypatch.setattr(logs, '_ordered', [])


# ---- redaction of variants -----------------------------------------------------------------------
@pytest.mark.parametrize('registered, logged', [
    ('https://RPC.Example.com/?api-key=abc%2Bdef', 'https://rpc.example.com/?api-key=abc+def'),
    ('https://rpc.example.com/?api-key=abc+def', 'GET https://RPC.EXAMPLE.COM/?api-key=abc%2Bdef'),
    ('https://rpc.example.com/?api-key=abc+def', 'url=https://rpc.example.com/?api-key=abc%2bdef'),
    ('https://rpc.example.com/?api-key=a%20b%2Fc9', 'params {"api-key": "a b/c9"}'),
    ('https://mainnet.example.com/v2/Key123abcXYZ', 'POST /v2/Key123abcXYZ HTTP/1.1'),
    ('wss://user:Pa55word@ws.example.com/', "connect to ws.example.com as user with Pa55word"),
])
def test_url_secret_is_caught_after_normalisation(registered, logged):
    logs.register_secrets([registered])
    hidden = logs.redact(logged)
    assert '***' in hidden
    for fragment in ('abc+def', 'abc%2Bdef', 'abc%2bdef', 'a b/c9', 'Key123abcXYZ', 'Pa55word'):
        assert fragment not in hidden, hidden


def test_short_path_words_are_not_secrets():
    logs.register_secrets(['https://mainnet.example.com/v2/solana/Key123abcXYZ'])
    assert logs.redact('v2 of solana on mainnet') == 'v2 of solana on mainnet'


@pytest.mark.parametrize('secret', ["pa'ss\\word\"9", 'tab\tsecret-7', 'ключ-секрет-5'])
def test_secret_is_caught_inside_repr_bytes_and_json(secret):
    logs.register_secrets([secret])
    assert logs.redact(str(secret)) == '***'
    assert logs.redact(repr(secret))[1:-1] == '***'
    assert logs.redact(repr(secret.encode())) in ("b'***'", 'b"***"')
    assert logs.redact(json.dumps(secret)) == '"***"'
    assert logs.redact(repr([secret])) in ("['***']", '["***"]')
    assert logs.redact(repr({'key': secret.encode()})) in ("{'key': b'***'}", '{\'key\': b"***"}')


def read_loguru_file(path: Path, emit) -> str:
    logger.remove()
    logger.configure(extra={'process_name': 't'}, patcher=logs._redacting_patcher)
    sink = logger.add(path, format='{message}', backtrace=False, diagnose=False)
    try:
        emit()
    finally:
        logger.remove(sink)
    return path.read_text()


def test_loguru_path_redacts_variants_and_tracebacks(tmp_path):
    url = 'https://RPC.Example.com/?api-key=abc%2Bdef'
    logs.register_secrets([url, "q'uote\\key-42"])

    def emit():
        logger.info('rpc {}', 'https://rpc.example.com/?api-key=abc+def')
        logger.info('params {!r}', {'k': b"q'uote\\key-42"})
        try:
            raise ConnectionError(f'cannot reach {url.lower()!r}')
        except ConnectionError:
            logger.exception('request failed')
    text = read_loguru_file(tmp_path / 'l.log', emit)
    assert 'abc+def' not in text and 'abc%2B' not in text and 'uote' not in text
    assert 'request failed' in text and 'ConnectionError' in text and text.count('***') >= 3


# ---- stdlib logging path ---------------------------------------------------------------------------
@pytest.fixture
def stdlib_capture():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter('%(name)s %(message)s'))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def test_stdlib_records_are_redacted_in_this_process(stdlib_capture, tmp_path):
    logs.setup_logging('t', run_dir=None, quiet=True, secrets=['https://h.example/?token=Tok%2B99x'])
    try:
        logging.getLogger('asyncio').error('connect %s failed', 'https://h.example/?token=Tok+99x')
        try:
            raise OSError("GET https://H.EXAMPLE/?token=Tok%2B99x -> 401")
        except OSError:
            logging.getLogger('httpx').exception('request to %r', b'Tok+99x')
    finally:
        logger.remove()
    text = stdlib_capture.getvalue()
    assert 'Tok+99x' not in text and 'Tok%2B99x' not in text, text
    assert 'connect' in text and 'OSError' in text and text.count('***') >= 3


def test_redacting_filter_handles_records_made_elsewhere():
    # thespian's logger process receives records another process made (no record factory there)
    record = logging.LogRecord('thespian', logging.WARNING, __file__, 1, 'key %s in %s',
                               ('Sec-ret-77', ['Sec-ret-77']), None)
    record.exc_text = 'Traceback ...\nValueError: Sec-ret-77'
    assert logs.RedactingFilter(secrets=(Secret('Sec-ret-77'),)).filter(record)
    assert 'Sec-ret-77' not in record.getMessage() and 'Sec-ret-77' not in record.exc_text


class StdlibLogger(Actor):
    """Logs what it is told through stdlib logging, as a library inside an actor would."""

    def receiveMessage(self, msg, sender):
        if isinstance(msg, str):
            logging.getLogger('library').warning('talking to %s', msg)
            self.send(sender, 'logged')


@pytest.mark.timeout(60)
def test_thespian_logger_process_redacts_actor_records(capfd):
    # spawn: the actor process has no record factory and no registry; only the logDefs filter
    # (carrying the secrets to the logger process) stands between the record and stderr
    logs.register_secrets(['https://rpc.example.com/?api-key=Actor%2Bkey42'])
    with BotActorSystem(start_method='spawn') as system:
        actor = system.create_actor(StdlibLogger)
        assert system.ask(actor, 'https://RPC.example.com/?api-key=Actor+key42', 20) == 'logged'
        deadline = time.monotonic() + 10
        err = ''
        while 'talking to' not in err and time.monotonic() < deadline:
            time.sleep(0.2)
            err += capfd.readouterr().err
    assert 'talking to' in err, err[-2000:]
    assert 'Actor+key42' not in err and 'Actor%2Bkey42' not in err and '***' in err


# ---- environments of child processes ---------------------------------------------------------------
SECRET_ENV = {'PRIVATE_KEY': '4uZ1fakeBase58PrivateKeyValue111', 'RPC_URLS': 'https://x.example/?k=RPCKEY1',
              'WS_URL': 'wss://x.example/?k=WSKEY123', 'GRPC_X_TOKEN': 'grpc-token-xyz',
              'JUPITER_API_KEY': 'jup-key-12345', 'KEYPAIR_PATH': '/nonexistent/id.json',
              'PUMPSNIPE__CHAIN__JUPITER_API_KEY': 'jup-key-67890'}


def test_secret_env_names_cover_every_secret_setting():
    names = secret_env_names()
    assert set(SECRET_ENV) <= names
    assert {'RPC_URL', 'PUMPSNIPE__WALLET__PRIVATE_KEY', 'PUMPSNIPE__CHAIN__RPC_URLS'} <= names
    assert 'LOCALNET_SEED' not in names and 'PATH' not in names
    env = {**SECRET_ENV, 'PATH': '/bin', 'LOCALNET_SEED': '3'}
    assert scrubbed_env(env) == {'PATH': '/bin', 'LOCALNET_SEED': '3'}
    assert sorted(remove_secret_env(env)) == sorted(SECRET_ENV) and set(env) == {'PATH',
                                                                                 'LOCALNET_SEED'}


class EnvProbe(Actor):
    def receiveMessage(self, msg, sender):
        if msg == 'env':
            self.send(sender, sorted(name for name in os.environ if name in SECRET_ENV))


@pytest.mark.timeout(60)
def test_forked_actors_and_the_guard_do_not_inherit_secrets(monkeypatch):
    for name, value in SECRET_ENV.items():
        monkeypatch.setenv(name, value)
    remove_secret_env()   # what run.py does once the settings hold them
    with BotActorSystem(start_method='fork') as system:
        probe = system.create_actor(EnvProbe)
        assert system.ask(probe, 'env', 10) == []
    for name, value in SECRET_ENV.items():
        monkeypatch.setenv(name, value)   # the guard is exec'd: its env is what Popen passed
    with OrphanGuard() as guard:
        guard.start()
        environ = exec_environ(guard._process.pid)
        assert not set(SECRET_ENV) & set(environ) and 'PATH' in environ


def exec_environ(pid: int, timeout: float = 5.0) -> dict:
    """A just-started child's environment once its exec is done (/proc reads empty until then)."""
    deadline = time.monotonic() + timeout
    while True:
        environ = psutil.Process(pid).environ()
        if environ or time.monotonic() > deadline:
            return environ
        time.sleep(0.01)


@pytest.mark.timeout(90)
def test_local_chain_child_gets_a_scrubbed_env(tmp_path, monkeypatch):
    from app.local_chain import LocalChainProcess
    from config.settings import load_settings
    settings = load_settings(env={}, overrides={'localnet.market': False})
    for name, value in SECRET_ENV.items():
        monkeypatch.setenv(name, value)   # still in os.environ: Popen must not pass them on
    with LocalChainProcess(settings, tmp_path) as chain:
        chain.start()
        environ = psutil.Process(chain.process.pid).environ()
    assert not set(SECRET_ENV) & set(environ) and 'PATH' in environ


@pytest.mark.timeout(150)
def test_a_run_keeps_secrets_out_of_children_and_logs(tmp_path):
    marker = uuid.uuid4().hex
    env = {**os.environ, **SECRET_ENV, 'RUNS_DIR': str(tmp_path / 'runs'),
           'PUMPSNIPE_TEST_MARKER': marker}
    env.pop('KEYPAIR_PATH')   # a local run makes its own wallet; a missing file would be an error
    run = subprocess.Popen([sys.executable, str(ROOT / 'run.py'), '--duration', '6', '--seed', '4'],
                           env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    children: dict[str, dict] = {}
    try:
        while run.poll() is None:
            for proc in psutil.process_iter():
                try:
                    if proc.environ().get('PUMPSNIPE_TEST_MARKER') != marker:
                        continue
                    cmdline = ' '.join(proc.cmdline())
                    for kind in ('localnet', 'guard_main'):
                        if kind in cmdline:
                            children[kind] = proc.environ()
                except psutil.Error:
                    continue
            time.sleep(0.3)
        out, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, err[-2000:]
    assert set(children) == {'localnet', 'guard_main'}, children.keys()
    for kind, environ in children.items():   # exec'd children: /proc shows what they were given
        assert not set(SECRET_ENV) & set(environ), (kind, set(SECRET_ENV) & set(environ))
    texts = [out, err] + [p.read_text(errors='replace') for p in (tmp_path / 'runs').rglob('*.log')]
    for value in SECRET_ENV.values():
        assert not any(value in text for text in texts), value
