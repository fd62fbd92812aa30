"""Settings: validation messages, exact amounts, env overrides, redaction; keys and log redaction."""
import json
import pickle
from pathlib import Path

import pytest
from loguru import logger
from solders.keypair import Keypair

from adapters import logs
from adapters.keys import (KeypairError, keypair_from_base58, keypair_from_json_file,
                           load_wallet_key, write_keypair_file)
from config.parsing import ConfigError
from config.secrets import Secret
from config.settings import DEFAULT_CONFIG_PATH, load_settings

LIVE_EXAMPLE = DEFAULT_CONFIG_PATH.with_name('live.example.toml')


def write_toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / 'bot.toml'
    path.write_text(text)
    return path


def test_default_config_loads_with_exact_integer_amounts():
    settings = load_settings(env={})
    assert settings.chain.mode == 'local'
    assert settings.trading.buy_lamports == 10_000_000            # "0.01 SOL"
    assert settings.balance.wrap_lamports == 100_000_000          # "0.1 SOL"
    assert settings.localnet.wallet_airdrop_lamports == 10 * 10**9
    assert isinstance(settings.trading.buy_lamports, int)
    assert pickle.loads(pickle.dumps(settings)) == settings       # travels in Start messages


def test_sol_amounts_are_exact_where_float_would_not_be(tmp_path):
    path = write_toml(tmp_path, '[trading]\nbuy_lamports = "0.123456789 SOL"\n')
    assert load_settings(path, env={}).trading.buy_lamports == 123_456_789
    # 0.1 + 0.2 in float is 0.30000000000000004; Decimal parsing is exact
    env = {'WRAP_AMOUNT': '0.3', 'SOL_WSOL_TARGET_RATIO': '0.35', 'REBALANCE_THRESHOLD': '0.2'}
    balance = load_settings(path, env=env).balance
    assert (balance.wrap_lamports, balance.sol_wsol_target_ratio_bps,
            balance.rebalance_threshold_bps) == (300_000_000, 3_500, 2_000)


@pytest.mark.parametrize('toml, key, value, allowed', [
    ('[trading]\nslippage_bps = 20000\n', 'trading.slippage_bps', '20000', 'from 0 to 10000'),
    ('[trading]\nbuy_lamports = 0.5\n', 'trading.buy_lamports', '= 0.5 ', 'lamports'),
    ('[trading]\nbuy_lamports = "0.0000000001 SOL"\n', 'trading.buy_lamports', '0.0000000001',
     'at most 9 decimals'),
    ('[trading]\nmode = "yolo"\n', 'trading.mode', "'yolo'", "'snipe'"),
    ('[trading]\nmode = "copy"\n', 'copy.targets', "[]", "at least one wallet"),   # copy with no one to copy
    ('[copy]\ntargets = ["abc"]\n', 'copy.targets[0]', "'abc'", "base58 wallet address"),
    ('[analysis]\nrequire_metadata = "maybe"\n', 'analysis.require_metadata', "'maybe'",
     'true or false'),
    ('[trading]\nbuy_lamport = 5\n', 'trading.buy_lamport', '5', 'buy_lamports'),
    ('[tradin]\nbuy_lamports = 5\n', 'tradin', '', '[trading]'),
    ('[chain]\ngrpc_x_token = "abc123456"\n', 'chain.grpc_x_token', '***', 'GRPC_X_TOKEN'),
    ('[chain]\nrpc_urls = ["https://abc123456.example"]\n', 'chain.rpc_urls', '***', 'RPC_URLS'),
    ('[trading\n', '--config', 'bot.toml', 'valid TOML'),
    ('[run]\nhot_slice_us = 50\n', 'run.hot_slice_us', '50', '0 (off) or an integer from 100 to 100000'),
    ('[run]\nhot_slice_us = "fast"\n', 'run.hot_slice_us', "'fast'", '0 (off) or an integer from 100'),
    ('[analysis]\nworkers = -1\n', 'analysis.workers', '-1', '0 (in-process) or an integer from 1 to 64'),
    ('[analysis]\nworkers = 65\n', 'analysis.workers', '65', '0 (in-process) or an integer from 1 to 64'),
])
def test_bad_value_gives_one_clear_error(tmp_path, toml, key, value, allowed):
    with pytest.raises(ConfigError) as caught:
        load_settings(write_toml(tmp_path, toml), env={})
    message = str(caught.value)
    assert message.startswith(f'config error: {key} = ') and value in message and allowed in message
    assert 'abc123456' not in message


def test_env_overrides_file_and_overrides_win(tmp_path):
    path = write_toml(tmp_path, '[balance]\ninterval_seconds = 60\nauto_wrap_enabled = true\n')
    env = {'BALANCE_MONITOR_INTERVAL_SECONDS': '30', 'AUTO_WRAP_ENABLED': 'false',
           'PUMPSNIPE__TRADING__MAX_BUYS': '7'}
    settings = load_settings(path, env=env, overrides={'trading.max_active_positions': 9})
    assert settings.balance.interval_seconds == 30
    assert settings.balance.auto_wrap_enabled is False
    assert settings.trading.max_buys == 7
    assert settings.trading.max_active_positions == 9
    with pytest.raises(ConfigError, match='BALANCE_MONITOR_INTERVAL_SECONDS'):
        load_settings(path, env={'BALANCE_MONITOR_INTERVAL_SECONDS': 'often'})
    with pytest.raises(ConfigError, match='trading.nope'):
        load_settings(path, env={}, overrides={'trading.nope': 1})


@pytest.mark.parametrize('word', ['yes', 'no', 'on', 'off', '1', '0', 'True ', 'enabled'])
def test_only_true_and_false_are_booleans(tmp_path, word):
    """A trading switch is never guessed from "yes"/"no"/"1": only true or false."""
    if word.strip().lower() in ('true', 'false'):
        assert load_settings(env={'AUTO_WRAP_ENABLED': word}).balance.auto_wrap_enabled is True
        return
    with pytest.raises(ConfigError, match=r"AUTO_WRAP_ENABLED = '.*' is not allowed; expected true or false"):
        load_settings(env={'AUTO_WRAP_ENABLED': word})
    with pytest.raises(ConfigError, match='balance.auto_wrap_enabled'):
        load_settings(write_toml(tmp_path, f'[balance]\nauto_wrap_enabled = "{word}"\n'), env={})


@pytest.mark.parametrize('name, fragment', [
    ('PUMPSNIPE__TRADING__BUYLAMPORTS', 'did you mean PUMPSNIPE__TRADING__BUY_LAMPORTS?'),
    ('PUMPSNIPE__TRADNG__BUY_LAMPORTS', 'with a section of analysis'),
    ('PUMPSNIPE__WALLET__PRIVATEKEY', 'a key of [wallet]'),
])
def test_env_override_naming_no_setting_is_refused_like_a_typo(name, fragment):
    with pytest.raises(ConfigError) as caught:
        load_settings(env={name: 'abc123456secret'})
    message = str(caught.value)
    assert message.startswith(f'config error: {name} = ') and fragment in message
    assert 'abc123456secret' not in message   # the value of a mistyped secret is never shown


def test_live_config_needs_endpoints_and_key_and_redacts_secrets():
    with pytest.raises(ConfigError, match='chain.rpc_urls'):
        load_settings(LIVE_EXAMPLE, env={})
    env = {'RPC_URLS': 'https://rpc.example/?api-key=SECRETKEY1,https://backup.example',
           'GRPC_X_TOKEN': 'TOKEN-SECRET-9', 'PRIVATE_KEY': 'base58secretvalue'}
    settings = load_settings(LIVE_EXAMPLE, env=env)
    assert [u.reveal() for u in settings.chain.rpc_urls][0].endswith('SECRETKEY1')
    for shown in (repr(settings), str(settings.dump()), f'{settings.chain.grpc_x_token}'):
        assert 'SECRETKEY1' not in shown and 'TOKEN-SECRET-9' not in shown
        assert 'base58secretvalue' not in shown
    assert settings.dump()['chain']['grpc_x_token'] == '***'
    assert set(settings.secret_values()) >= {'TOKEN-SECRET-9', 'base58secretvalue'}


def test_replace_fills_in_local_endpoints():
    settings = load_settings(env={})
    updated = settings.replace(**{'chain.rpc_urls': (Secret('http://127.0.0.1:1'),),
                                  'run.run_dir': '/tmp/x'})
    assert updated.chain.rpc_urls[0].reveal() == 'http://127.0.0.1:1'
    assert updated.run.run_dir == '/tmp/x' and settings.run.run_dir is None


def test_keypair_file_and_base58_load_the_same_key_and_never_show_it(tmp_path):
    keypair = Keypair()
    path = write_keypair_file(keypair, tmp_path / 'id.json')
    assert oct(path.stat().st_mode & 0o777) == '0o600'
    from_file = keypair_from_json_file(path)
    from_env = load_wallet_key(None, Secret(str(keypair)))      # str(Keypair) is base58
    assert from_file.pubkey == from_env.pubkey == keypair.pubkey()
    assert str(keypair) not in repr(from_file) and str(keypair.pubkey()) in repr(from_file)
    with pytest.raises(TypeError):
        pickle.dumps(from_file)


@pytest.mark.parametrize('content, fragment', [
    ('not json', 'not readable JSON'), (json.dumps([1, 2, 3]), 'array of 64 bytes')])
def test_bad_keypair_file_is_a_clear_error(tmp_path, content, fragment):
    path = tmp_path / 'bad.json'
    path.write_text(content)
    with pytest.raises(KeypairError, match=fragment):
        keypair_from_json_file(path)
    with pytest.raises(KeypairError, match='base58'):
        keypair_from_base58('0OIl')   # characters base58 excludes


def test_log_file_per_run_redacts_registered_secrets(tmp_path):
    run_dir = logs.new_run_dir(tmp_path / 'runs')
    assert logs.new_run_dir(tmp_path / 'runs') != run_dir     # same second -> still unique
    logs.setup_logging('test', run_dir=run_dir, quiet=True, level='DEBUG',
                       secrets=['TOKEN-SECRET-9'])
    try:
        logger.info('connecting with TOKEN-SECRET-9 to {}', 'https://x/?k=TOKEN-SECRET-9')
        logger.debug('second event')
        try:
            try:
                raise OSError('connect to https://x/?k=TOKEN-SECRET-9 failed')
            except OSError as cause:
                raise RuntimeError('rpc failed') from cause
        except RuntimeError:
            logger.exception('chained')
    finally:
        logger.remove()
    text = (run_dir / logs.LOG_FILE_NAME).read_text()
    lines = text.splitlines()
    assert 'TOKEN-SECRET-9' not in text and '***' in lines[0] and 'second event' in lines[1]
    assert 'chained' in lines[2] and 'RuntimeError: rpc failed' in text
    assert '| test:' in lines[0]


def test_python_m_config_checks_a_file_and_redacts(tmp_path):
    import subprocess
    import sys
    bad = write_toml(tmp_path, '[balance]\nsol_wsol_target_ratio_bps = 12000\n')
    result = subprocess.run([sys.executable, '-m', 'config', str(bad)], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 2 and 'balance.sol_wsol_target_ratio_bps = 12000' in result.stderr
    env = {'PATH': '/usr/bin:/bin', 'RPC_URLS': 'https://rpc.example/?k=HIDDEN-KEY-1'}
    result = subprocess.run([sys.executable, '-m', 'config', str(LIVE_EXAMPLE)],
                            capture_output=True, text=True, timeout=30, env=env)
    assert result.returncode == 0 and '"***"' in result.stdout
    assert 'HIDDEN-KEY-1' not in result.stdout + result.stderr


@pytest.mark.parametrize('source, missing', [('yellowstone', {'chain.grpc_endpoint': None}),
                                             ('blocks', {}), ('logs', {})])
def test_a_stream_source_without_its_endpoint_is_one_line(source, missing):
    env = {'RPC_URLS': 'https://rpc.example', 'PRIVATE_KEY': 'base58secretvalue'}   # no WS_URL
    overrides = {'chain.stream_source': source, **missing}
    with pytest.raises(ConfigError) as caught:
        load_settings(LIVE_EXAMPLE, env=env, overrides=overrides)
    assert str(caught.value).startswith(f"config error: chain.stream_source = '{source}' is not allowed")
    settings = load_settings(LIVE_EXAMPLE, env={**env, 'WS_URL': 'wss://ws.example'},
                             overrides={**overrides, 'chain.grpc_endpoint': 'grpc.example:443'})
    assert settings.chain.stream_source == source
