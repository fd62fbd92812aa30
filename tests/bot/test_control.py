"""Controlling a running bot as a user does: `python run.py` on the embedded local chain (its market
keeps launching coins), told over its control socket (`python run.py --control ...`) and by signals
to pause, resume and sell everything while it keeps running; and the circuit breaker tripping."""
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.control import SOCKET_NAME

ROOT = Path(__file__).resolve().parents[2]
RUN_PY = ROOT / 'run.py'
STATUS = re.compile(r'seen (\d+) analysed (\d+) bought (\d+) sold (\d+) open (\d+)')

pytestmark = pytest.mark.timeout(300)


class RunningBot:
    """`python run.py` in a subprocess; its status lines are collected as they are printed."""

    def __init__(self, tmp_path: Path, duration: int, **env):
        self.runs_dir = tmp_path / 'runs'
        self.env = {**os.environ, 'RUNS_DIR': str(self.runs_dir),
                    'PUMPSNIPE__RUN__STATUS_INTERVAL_SECONDS': '1',
                    'PUMPSNIPE__LOCALNET__LAUNCH_RATE': '2', **env}
        self.process = subprocess.Popen(
            [sys.executable, str(RUN_PY), '--duration', str(duration)], cwd=ROOT, env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip('\n'))

    def control(self, command: str) -> str:
        result = subprocess.run([sys.executable, str(RUN_PY), '--control', command], cwd=ROOT,
                                env=self.env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def status(self) -> tuple[dict, str]:
        line = self.control('status')
        seen, analysed, bought, sold, open_ = map(int, STATUS.search(line).groups())
        return {'seen': seen, 'bought': bought, 'sold': sold, 'open': open_}, line

    def wait_for(self, predicate, timeout: float, what: str) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, '\n'.join(self.lines[-30:])
            counters, line = self.status()
            if predicate(counters, line):
                return counters
            time.sleep(0.5)
        raise AssertionError(f'timed out waiting for {what}; last: {line}')

    def wait_for_socket(self, timeout: float = 90) -> Path:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = list(self.runs_dir.glob(f'*/{SOCKET_NAME}'))
            if found:
                return found[0]
            assert self.process.poll() is None, '\n'.join(self.lines[-30:])
            time.sleep(0.2)
        raise AssertionError('the bot never opened its control socket')

    def finish(self, timeout: float = 150) -> str:
        self.process.wait(timeout)
        time.sleep(0.2)
        return '\n'.join(self.lines)


def test_pause_sell_all_resume_and_signals_on_a_running_bot(tmp_path):
    bot = RunningBot(tmp_path, duration=150, PUMPSNIPE__TRADING__MAX_ACTIVE_POSITIONS='2')
    try:
        sock = bot.wait_for_socket()
        assert stat.S_IMODE(sock.stat().st_mode) == 0o600
        bot.wait_for(lambda c, _: c['open'] >= 1, 60, 'a first open position')

        # paused: the market keeps launching, nothing new is bought
        assert bot.control('pause') == 'buying paused'
        time.sleep(2)   # a buy already decided may still go out
        before = bot.wait_for(lambda c, line: 'PAUSED' in line, 10, 'PAUSED in status')
        after = bot.wait_for(lambda c, _: c['seen'] >= before['seen'] + 6, 30, '6 more launches')
        assert after['bought'] == before['bought']

        # sell everything while running: open goes to 0 long before max hold (60 s), no new buys
        reply = bot.control('sell-all')
        assert re.fullmatch(r'buying paused; selling \d+ open position\(s\)', reply)
        sold = bot.wait_for(lambda c, _: c['open'] == 0, 20, 'every position sold')
        assert sold['bought'] == before['bought'] and bot.process.poll() is None

        # resume: buying starts again
        assert bot.control('resume') == 'buying resumed'
        bot.wait_for(lambda c, line: c['bought'] > before['bought'] and 'PAUSED' not in line, 60,
                     'a buy after resume')

        # SIGUSR1 pauses; SIGUSR2 sells everything and stays paused
        bot.process.send_signal(signal.SIGUSR1)
        bot.wait_for(lambda c, line: 'PAUSED' in line, 10, 'SIGUSR1 to pause')
        bot.control('resume')
        bot.wait_for(lambda c, _: c['open'] >= 1, 60, 'an open position before SIGUSR2')
        bot.process.send_signal(signal.SIGUSR2)
        bot.wait_for(lambda c, line: c['open'] == 0 and 'PAUSED' in line, 20, 'SIGUSR2 sell-all')
        assert bot.process.poll() is None

        # a malformed request is refused with one line, the bot goes on
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(str(sock))
            client.sendall(b'{"command": "self-destruct"}\n')
            reply = json.loads(client.makefile().readline())
        assert reply['ok'] is False and 'unknown command' in reply['message']
        bot.status()
    finally:
        bot.process.send_signal(signal.SIGINT)
        output = bot.finish()
    assert 'still open 0' in output
    assert not list(bot.runs_dir.glob(f'*/{SOCKET_NAME}'))   # removed at exit


def test_breaker_after_one_losing_trade_stops_buying(tmp_path):
    bot = RunningBot(tmp_path, duration=120, PUMPSNIPE__RISK__MAX_CONSECUTIVE_LOSSES='1',
                     PUMPSNIPE__TRADING__MAX_ACTIVE_POSITIONS='1',
                     PUMPSNIPE__TRADING__MAX_HOLD_SECONDS='3')
    try:
        bot.wait_for_socket()
        tripped = bot.wait_for(lambda c, line: 'BREAKER:' in line, 90, 'the breaker')
        assert tripped['sold'] >= 1
        later = bot.wait_for(lambda c, _: c['seen'] >= tripped['seen'] + 8, 30, '8 more launches')
        assert later['bought'] == tripped['bought']
    finally:
        bot.process.send_signal(signal.SIGINT)
        output = bot.finish()
    assert re.search(r'^BREAKER: 1 failed or losing trade\(s\) in a row$', output, re.M), output[-3000:]
    log = ''.join(p.read_text() for p in bot.runs_dir.glob('*/bot.log'))
    assert 'director: BREAKER: 1 failed or losing trade(s) in a row' in log
