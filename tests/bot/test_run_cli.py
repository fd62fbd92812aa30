"""run.py as a user runs it: --help, a bad config, and whole runs on the local chain ended by
--duration, SIGTERM and Ctrl-C, each leaving no process behind (found by an environment marker
every process of the run inherits, whatever session or process group it moved to)."""
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN_PY = ROOT / 'run.py'

pytestmark = pytest.mark.timeout(120)


def run_env(tmp_path: Path, marker: str) -> dict:
    return {**os.environ, 'RUNS_DIR': str(tmp_path / 'runs'), 'PUMPSNIPE_TEST_MARKER': marker,
            'PUMPSNIPE__RUN__STATUS_INTERVAL_SECONDS': '1'}


def processes_with(marker: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            if (proc.environ().get('PUMPSNIPE_TEST_MARKER') == marker
                    and proc.status() != psutil.STATUS_ZOMBIE):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def assert_nothing_left(marker: str) -> None:
    deadline = time.monotonic() + 3
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(marker) == []


def test_help_explains_every_flag():
    result = subprocess.run([sys.executable, str(RUN_PY), '--help'], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0
    for flag in ('--config', '--duration', '--quiet', '--seed', '--positions'):
        assert flag in result.stdout


def test_malformed_config_is_one_clear_error_and_exit_2(tmp_path):
    config = tmp_path / 'bad.toml'
    config.write_text('[trading]\nslippage_bps = "lots"\n')
    result = subprocess.run([sys.executable, str(RUN_PY), '--config', str(config)],
                            capture_output=True, text=True, timeout=30,
                            env=run_env(tmp_path, 'unused'))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "config error: trading.slippage_bps = 'lots' is not allowed; "
        "expected an integer from 0 to 10000"]
    assert not (tmp_path / 'runs').exists()


def test_duration_runs_back_to_back_exit_0_and_leave_nothing(tmp_path):
    for attempt in range(2):   # the second run right after the first must work too
        marker = uuid.uuid4().hex
        result = subprocess.run([sys.executable, str(RUN_PY), '--duration', '2', '--quiet',
                                 '--seed', '7'], capture_output=True, text=True, timeout=90,
                                env=run_env(tmp_path, marker), cwd=tmp_path)
        assert result.returncode == 0, result.stderr[-2000:]
        assert '--- summary (stopped: duration) ---' in result.stdout
        assert 'PnL' in result.stdout and 'p99' in result.stdout and 'skipped: ' in result.stdout
        assert_nothing_left(marker)
    run_dirs = sorted(path for path in (tmp_path / 'runs').iterdir() if path.is_dir())
    assert len(run_dirs) == 2
    for run_dir in run_dirs:   # the summary is in the run's log too, not only on the screen
        assert '--- summary (stopped: duration) ---' in (run_dir / 'bot.log').read_text()


@pytest.mark.parametrize('stop_signal, reason', [(signal.SIGTERM, 'SIGTERM'),
                                                 (signal.SIGINT, 'Ctrl-C')])
def test_signal_stops_cleanly_with_summary(tmp_path, stop_signal, reason):
    marker = uuid.uuid4().hex
    process = subprocess.Popen([sys.executable, str(RUN_PY)], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True,
                               env=run_env(tmp_path, marker), cwd=tmp_path)
    try:
        for line in process.stdout:          # a status line means everything is up
            if ' seen ' in line:
                break
        assert len(processes_with(marker)) >= 4  # run.py, chain, admin, logger, actors...
        process.send_signal(stop_signal)
        out, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert f'--- summary (stopped: {reason}) ---' in out
    assert_nothing_left(marker)


def test_sigkill_of_run_py_still_leaves_nothing(tmp_path):
    """No cleanup code can run here: the OrphanGuard sees its pipe close and kills the groups."""
    marker = uuid.uuid4().hex
    process = subprocess.Popen([sys.executable, str(RUN_PY)], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True,
                               env=run_env(tmp_path, marker), cwd=tmp_path)
    try:
        for line in process.stdout:
            if ' seen ' in line:
                break
        assert len(processes_with(marker)) >= 5   # run.py, guard, chain, admin, actors...
        process.kill()
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    assert_nothing_left(marker)


def test_chain_command_follows_the_market_settings():
    from app import local_chain as run
    from config.settings import load_settings
    default = run.chain_command(load_settings(env={}).localnet)
    assert default[1:3] == ['-m', 'localnet'] and '--market' in default
    assert default[default.index('--launch-rate') + 1] == '0.5'
    quiet_chain = run.chain_command(load_settings(env={'PUMPSNIPE__LOCALNET__MARKET': 'false'}).localnet)
    assert '--market' not in quiet_chain and '--rpc-port' in quiet_chain
    assert '--faults' not in default
    faulty = run.chain_command(load_settings(env={'LOCALNET_FAULTS': 'localnet/faults.example.toml'}).localnet)
    assert faulty[faulty.index('--faults') + 1] == 'localnet/faults.example.toml'


def test_summary_shows_exact_pnl_and_latency_percentiles():
    from app import summary as run
    from messages.status import Status
    status = Status(request_id='s', coins_seen=5, analysed=4, bought=3, sold=2, active_positions=1,
                    pnl_lamports=-25_257_049, failures={'sell_failed': 1},
                    latencies_ms=(30.0, 10.0, 20.0))
    text = run.summary_text(status, 'duration', Path('runs/x'))
    assert 'PnL -0.025257049 SOL (-25257049 lamports)' in text
    assert 'p50 20.0 ms, p99 30.0 ms over 3 buys' in text and 'sell_failed 1' in text
    assert 'skipped: none' in text


def test_summary_counts_skips_by_reason_and_reads_latency_from_the_histogram_past_the_window():
    from adapters.stats import LatencyHistogram
    from app import summary
    from messages.status import Status
    histogram = LatencyHistogram().extend([10.0] * 1_500 + [100.0] * 500)   # 2,000 buys
    status = Status(request_id='s', coins_seen=9, analysed=4, bought=2_000, sold=0,
                    active_positions=0, pnl_lamports=0, latencies_ms=(100.0,) * 1_024,
                    latency_histogram=histogram, buys_total=2_000,
                    skips={'limit: max active positions': 3, 'analysis: top_holder': 5,
                           'analysis failed': 1})
    text = summary.summary_text(status, 'duration', Path('runs/x'))
    assert 'skipped: analysis: top_holder 5, limit: max active positions 3, analysis failed 1' in text
    line = next(line for line in text.splitlines() if line.startswith('detection-to-buy-sent'))
    p50 = float(line.split('p50 ')[1].split(' ms')[0])
    assert line.endswith('over 2000 buys') and 10.0 <= p50 <= 10.5 and 'p99 100.0 ms' in line   # bucket: 5 %
