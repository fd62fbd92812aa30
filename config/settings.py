"""Typed, validated settings: TOML file, then environment variables, then explicit overrides.

Every field declares its parser (config/parsing.py), its environment variable(s) and whether it is
a secret. Secrets (private key, gRPC token, Jupiter key, live RPC URLs) may come only from the
environment (or a keypair file), and show as '***' in repr and in dump().
"""
from __future__ import annotations

import dataclasses
import difflib
import os
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

from config import copy_settings as cp
from config import parsing as p
from config.parsing import ConfigError
from config.secrets import REDACTED, Secret

DEFAULT_CONFIG_PATH = Path(__file__).with_name('default.toml')
ENV_PREFIX = 'PUMPSNIPE__'   # generic override: PUMPSNIPE__TRADING__BUY_LAMPORTS=5000000


def setting(default, parser, env: tuple[str, ...] = (), env_parser=None, secret: bool = False,
            env_only: bool = False):
    """A field with its parser; env names are checked in order, env_parser reads their strings."""
    meta = {'parser': parser, 'env': env, 'env_parser': env_parser or parser, 'secret': secret,
            'env_only': env_only}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class ChainSettings:
    """Where the chain is. mode 'local' starts the embedded chain and fills the endpoints in."""
    mode: str = setting('local', p.choice('local', 'live'))
    rpc_urls: tuple = setting((), p.list_of(p.url('http', 'https', secret=True)),
                              env=('RPC_URLS', 'RPC_URL'), secret=True, env_only=True)
    ws_url: Secret | None = setting(None, p.optional(p.url('ws', 'wss', secret=True)),
                                    env=('WS_URL',), secret=True, env_only=True)
    grpc_endpoint: str | None = setting(None, p.optional(p.host_port), env=('GRPC_ENDPOINT',))
    # where launches and trades come from: auto = Yellowstone when grpc_endpoint is set, else
    # websocket logsSubscribe; 'blocks' = websocket blockSubscribe (confirmed blocks, a slot later)
    stream_source: str = setting('auto', p.choice('auto', 'yellowstone', 'logs', 'blocks'))
    grpc_x_token: Secret | None = setting(None, p.optional(p.secret_text), env=('GRPC_X_TOKEN',),
                                          secret=True, env_only=True)
    # API hosts; clients append the paths (/swap/v1/quote, /tokens/v2/search, /v1/tokens/...)
    jupiter_url: str | None = setting(None, p.optional(p.url('http', 'https')), env=('JUPITER_URL',))
    rugcheck_url: str | None = setting(None, p.optional(p.url('http', 'https')),
                                       env=('RUGCHECK_URL',))
    jupiter_api_key: Secret | None = setting(None, p.optional(p.secret_text),
                                             env=('JUPITER_API_KEY',), secret=True, env_only=True)
    commitment: str = setting('confirmed', p.choice('processed', 'confirmed', 'finalized'))
    rpc_timeout_ms: int = setting(5_000, p.integer(50, 120_000))
    rpc_max_retries: int = setting(3, p.integer(0, 10))
    # the chain's identity (getGenesisHash), set at start-up by the preflight or the local chain:
    # journal rows carry it, so a restart never resumes positions of another chain
    genesis_hash: str | None = setting(None, p.optional(p.text))


@dataclass(frozen=True)
class WalletSettings:
    """The bot's keypair: a solana-keygen JSON file, or base58 in PRIVATE_KEY (env only)."""
    keypair_path: str | None = setting(None, p.optional(p.text), env=('KEYPAIR_PATH',))
    private_key: Secret | None = setting(None, p.optional(p.secret_text), env=('PRIVATE_KEY',),
                                         secret=True, env_only=True)


def _usdc_buy_amount(key: str, value: Any) -> int:
    """Raw USDC (6 decimals) per buy of a USDC-paired coin; 0 skips them."""
    return p.integer(0, 10**12)(key, value)


@dataclass(frozen=True)
class TradingSettings:
    """What to buy and when to sell. Amounts are lamports; percentages are whole percent."""
    mode: str = setting('snipe', p.choice(*cp.MODES))   # snipe launches, copy [copy] targets, or both
    buy_lamports: int = setting(10_000_000, p.lamports(1))
    slippage_bps: int = setting(1_500, p.integer(0, 10_000))
    # "fixed": max cost = quote + slippage_bps; "depth": the quote after slippage_ahead_lamports bought
    # before us, + slippage_tolerance_bps (adapters/pumpfun/slippage.py), never above the fixed bound
    slippage_mode: str = setting('fixed', p.choice('fixed', 'depth'))
    slippage_ahead_lamports: int = setting(500_000_000, p.lamports(0))
    slippage_tolerance_bps: int = setting(100, p.integer(0, 10_000))
    take_profit_pct: int = setting(50, p.integer(1, 100_000))
    stop_loss_pct: int = setting(20, p.integer(1, 100))
    max_hold_seconds: int = setting(120, p.integer(1, 86_400))
    max_active_positions: int = setting(3, p.integer(1, 1_000))
    max_warm_spares: int = setting(32, p.integer(1, 512))   # spares follow the launch rate up to this
    min_warm_spares: int = setting(8, p.integer(1, 512))    # ... and never fewer (a burst's first coins)
    max_buys: int = setting(0, p.integer(0))                  # 0 = no limit
    priority_fee: int = setting(100_000, p.integer(0, 100_000_000))  # micro-lamports per CU
    compute_unit_limit: int = setting(200_000, p.integer(1_000, 1_400_000))
    buys_enabled: bool = setting(True, p.boolean)
    sell_before_buy_confirms: bool = setting(True, p.boolean)   # pre-confirmation sells
    # coin kinds (adapters/pumpfun/venue.py): which to trade, and through which instructions
    usdc_buy_amount: int = setting(0, _usdc_buy_amount)   # raw USDC units; 0 = skip USDC-paired coins
    trade_mayhem: bool = setting(False, p.boolean)
    trade_cashback: bool = setting(True, p.boolean)
    # claim the cashback the wallet earned on cashback coins (actors/cashback.py) once the unclaimed
    # SOL (lamports) or USDC (raw units) reaches this; 0 = never in the background (--claim-cashback still claims)
    cashback_claim_min_lamports: int = setting(1_000_000, p.lamports(0))
    cashback_claim_min_usdc: int = setting(100_000, p.integer(0, 10**12))
    instruction_set: str = setting('auto', p.choice('auto', 'v3', 'v2', 'legacy'))
    exact_in_buys: bool = setting(False, p.boolean)   # buy_exact_*_in: spend exactly, tokens >= a floor
    global_refresh_seconds: int = setting(300, p.integer(1, 86_400))   # re-read fee recipients this often
    # a sent transaction's same signed bytes go out again this often until it lands or expires
    rebroadcast_ms: int = setting(2_000, p.integer(200, 60_000))
    exit_on_graduation: bool = setting(False, p.boolean)   # sell when the coin completes its curve
    # a sell of a coin whose curve is complete waits this long for its PumpSwap pool (migration is a
    # transaction of its own) before the Jupiter rung (actors/pool_sell.py)
    migration_wait_seconds: int = setting(20, p.integer(0, 300))
    # priority fee (adapters/priority_fee.py): 'fixed' pays priority_fee; 'dynamic' a percentile
    # of recently paid prices for the accounts a buy writes, within [floor, cap], micro-lamports/CU
    # more exits (actors/policy/exits.py), 0 = off: sell after a fall of trailing_stop_pct from the
    # best value seen since the buy; sell when exit_curve_progress_pct of the curve is bought
    trailing_stop_pct: int = setting(0, p.integer(0, 99))
    exit_curve_progress_pct: int = setting(0, p.integer(0, 100))
    priority_fee_mode: str = setting('fixed', p.choice('fixed', 'dynamic'))
    priority_fee_percentile: int = setting(75, p.integer(1, 100))
    priority_fee_floor: int = setting(10_000, p.integer(0, 100_000_000))
    priority_fee_cap: int = setting(1_000_000, p.integer(0, 100_000_000))
    priority_fee_refresh_seconds: int = setting(2, p.integer(1, 3_600))


@dataclass(frozen=True)
class AnalysisSettings:
    """Checks on a fresh launch (actors/policy/analysis.py); each must finish within deadline_ms.
    mode 'fast' uses only what the create event says (no RPC, no HTTP); 'full' asks every source."""
    mode: str = setting('full', p.choice('full', 'fast'))
    # fast mode only: 'after' runs the slow checks (every source of full mode) once the buy is
    # sent and sells if they fail ("buy then verify"); 'before' skips them (full mode awaits them)
    verify: str = setting('before', p.choice('before', 'after'))
    deadline_ms: int = setting(400, p.integer(1, 60_000))
    # worker processes; 0: analyse in the analyser's own process (actors/analyzer_inproc.py)
    workers: int = setting(2, p.integer_or_off(1, 64, 'in-process'))
    jobs_per_worker: int = setting(8, p.integer(1, 1_000))   # analyses one worker runs at once
    # the Director sends launches to the analyser at most once per this many ms; launches arriving
    # meanwhile go in that one message (actors/send_pacer.py); 0: each stream batch at once
    send_interval_ms: int = setting(5, p.integer(0, 1_000))
    min_score: int = setting(60, p.integer(0, 100))
    # hard vetoes
    max_top_holder_share_bps: int = setting(2_000, p.integer(0, 10_000))
    require_metadata: bool = setting(True, p.boolean)
    allow_token_2022: bool = setting(True, p.boolean)
    max_creator_launches: int = setting(5, p.integer(0))
    max_rugcheck_risk: int = setting(60, p.integer(0, 100))
    honeypot_check: bool = setting(True, p.boolean)
    honeypot_probe_lamports: int = setting(1_000_000, p.lamports(1))
    max_roundtrip_loss_bps: int = setting(1_000, p.integer(0, 10_000))
    # soft thresholds (lower the score and say why, no veto)
    min_organic_score: int = setting(20, p.integer(0, 100))
    min_socials: int = setting(0, p.integer(0, 3))
    # weights of the weighted mean (renormalised over the checks present)
    weight_sanity: int = setting(5, p.integer(0, 1_000))
    weight_program: int = setting(5, p.integer(0, 1_000))
    weight_creator: int = setting(10, p.integer(0, 1_000))
    weight_authority: int = setting(20, p.integer(0, 1_000))
    weight_holders: int = setting(15, p.integer(0, 1_000))
    weight_metadata: int = setting(5, p.integer(0, 1_000))
    weight_uri: int = setting(10, p.integer(0, 1_000))
    weight_rugcheck: int = setting(10, p.integer(0, 1_000))
    weight_organic: int = setting(10, p.integer(0, 1_000))
    weight_honeypot: int = setting(10, p.integer(0, 1_000))
    # per-source limits: requests/s for the whole bot (a bucket shared by every worker), cache TTL
    http_timeout_ms: int = setting(1_000, p.integer(10, 60_000))
    rpc_rate_per_second: int = setting(200, p.integer(1, 100_000))
    rugcheck_rate_per_second: int = setting(10, p.integer(1, 100_000))
    jupiter_rate_per_second: int = setting(10, p.integer(1, 100_000))
    uri_rate_per_second: int = setting(50, p.integer(1, 100_000))
    cache_ttl_seconds: int = setting(30, p.integer(0, 86_400))
    # requests asked within this window share one RPC batch / Jupiter query (0: one loop turn,
    # i.e. one dispatch); a wider window saves CPU per coin at a steady rate, and adds up to it in latency
    batch_window_ms: int = setting(0, p.integer(0, 50))
    # creator history (SQLite); unset: <runs_dir>/creators.sqlite3, shared across runs
    creators_path: str | None = setting(None, p.optional(p.text))
    # rugs seen on the stream within rug_window_seconds of a launch (adapters/analysis/rug_watch.py)
    # are recorded in the creator history; 0 = off
    rug_window_seconds: int = setting(600, p.integer(0, 86_400))
    rug_creator_sell_pct: int = setting(50, p.integer(1, 100))
    rug_reserve_drop_pct: int = setting(50, p.integer(1, 100))
    rug_min_peak_lamports: int = setting(2_000_000_000, p.lamports(1))


@dataclass(frozen=True)
class BalanceSettings:
    """The balance monitor (names of its environment variables are the seed's)."""
    interval_seconds: int = setting(120, p.integer(1, 86_400),
                                    env=('BALANCE_MONITOR_INTERVAL_SECONDS',))
    auto_wrap_enabled: bool = setting(True, p.boolean, env=('AUTO_WRAP_ENABLED',))
    wrap_lamports: int = setting(100_000_000, p.lamports(0), env=('WRAP_AMOUNT',),
                                 env_parser=p.sol(0))
    sol_wsol_target_ratio_bps: int = setting(5_000, p.integer(0, 10_000),
                                             env=('SOL_WSOL_TARGET_RATIO',),
                                             env_parser=p.ratio_bps())
    rebalance_threshold_bps: int = setting(2_000, p.integer(0, 10_000),
                                           env=('REBALANCE_THRESHOLD',), env_parser=p.ratio_bps())


@dataclass(frozen=True)
class RiskSettings:
    """The circuit breaker (actors/policy/breaker.py): stop buying, keep selling. 0 = off."""
    max_consecutive_losses: int = setting(0, p.integer(0, 1_000))   # failed or losing trades in a row
    max_drawdown_lamports: int = setting(0, p.lamports(0))          # fall of the run's PnL from its peak


@dataclass(frozen=True)
class CopySettings:
    """Copy trading (config/copy_settings.py, actors/policy/copy.py): whom to follow and every
    target's default limits; a target's own table overrides them. 0 = no limit for max_*."""
    targets: tuple = setting((), cp.parse_targets)     # addresses or {wallet = ..., ratio = ..., ...} tables
    smart_wallets: bool = setting(False, p.boolean)   # local chain: also follow the market's smart wallets
    follow_sells: bool = setting(True, p.boolean)     # their sells -> ours of the same fraction
    ratio: int = setting(10_000, p.ratio_bps(1, 100_000))   # bps of their SOL: 0.5 -> 5000 (at most 10x)
    min_lamports: int = setting(0, p.lamports(0))
    max_lamports: int = setting(0, p.lamports(0))
    max_total_lamports: int = setting(0, p.lamports(0))
    max_price_move_bps: int = setting(0, p.integer(0, 1_000_000))
    max_coin_age_seconds: int = setting(0, p.integer(0, 30 * 86_400))

    @property
    def resolved_targets(self) -> tuple:
        """Every target with the section's values filled in where it sets none."""
        return tuple(cp.resolved(target, self) for target in self.targets)


@dataclass(frozen=True)
class LocalnetSettings:
    """The embedded chain that mode 'local' starts, with its simulated pump.fun market."""
    seed: int = setting(1, p.integer(0), env=('LOCALNET_SEED',))
    market: bool = setting(True, p.boolean)                     # simulated creators and traders
    launch_rate: Decimal = setting(Decimal('0.5'), p.decimal_number(Decimal(0), Decimal(50)))
    max_coins: int = setting(0, p.integer(0))                   # 0 = no limit
    wallet_airdrop_lamports: int = setting(10 * p.LAMPORTS_PER_SOL, p.lamports(1))
    startup_timeout_seconds: int = setting(30, p.integer(1, 600))
    faults_file: str | None = setting(None, p.optional(p.text), env=('LOCALNET_FAULTS',))  # fault-injection TOML


@dataclass(frozen=True)
class RunSettings:
    """Logging and the run directory (runs/<timestamp>/ holds the log file and the journal)."""
    runs_dir: str = setting('runs', p.text, env=('RUNS_DIR',))
    run_dir: str | None = setting(None, p.optional(p.text))   # this run's dir, set by run.py
    # the position journal; unset: <run_dir>/journal.sqlite3. Point runs at one file to recover.
    journal_path: str | None = setting(None, p.optional(p.text), env=('JOURNAL_PATH',))
    log_level: str = setting('INFO', p.choice('TRACE', 'DEBUG', 'INFO', 'SUCCESS', 'WARNING',
                                              'ERROR'), env=('LOG_LEVEL',))
    quiet: bool = setting(False, p.boolean)
    status_interval_seconds: int = setting(2, p.integer(1, 3_600))
    # on exit: wait at most this long for every sell's outcome (longer than a blockhash lives, so a
    # dropped sell expires and is sent again); whatever is still held then is reported, exit code 1
    close_timeout_seconds: int = setting(240, p.integer(0, 3_600))
    # 'trusted' opens the actor ports to the network (no authentication: trusted private nets only)
    actor_network: str = setting('loopback', p.choice('loopback', 'trusted'))
    # processes off the hot path (seller, analysers, balance monitor...) run this much nicer, so
    # the stream, armed spares and live positions get the cores first (actors/process_priority.py)
    background_nice: int = setting(5, p.integer(0, 19))
    # the stream's I/O thread and the armed spares' lane threads wait on this scheduler slice, µs
    # (Linux >= 6.12): woken, they preempt default-slice threads; off: slower here (hot_threads.py)
    hot_slice_us: int = setting(0, p.integer_or_off(100, 100_000))
    # the same hot threads run SCHED_FIFO at this priority where the OS allows it (root,
    # CAP_SYS_NICE or `ulimit -r`), else at hot_nice where allowed (`ulimit -e`); 0 = leave each
    hot_realtime: int = setting(1, p.integer(0, 99))
    hot_nice: int = setting(-10, p.integer(-20, 0))


@dataclass(frozen=True)
class Settings:
    chain: ChainSettings = field(default_factory=ChainSettings)
    wallet: WalletSettings = field(default_factory=WalletSettings)
    trading: TradingSettings = field(default_factory=TradingSettings)
    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)
    balance: BalanceSettings = field(default_factory=BalanceSettings)
    risk: RiskSettings = field(default_factory=RiskSettings)
    copy: CopySettings = field(default_factory=CopySettings)
    localnet: LocalnetSettings = field(default_factory=LocalnetSettings)
    run: RunSettings = field(default_factory=RunSettings)

    def replace(self, **sections: Any) -> 'Settings':
        """A copy with whole sections or 'section.key' values replaced, e.g. after the local chain
        reports its endpoints: settings.replace(**{'chain.rpc_urls': (Secret(url),)})."""
        updates: dict[str, dict] = {}
        for dotted, value in sections.items():
            section, _, key = dotted.partition('.')
            updates.setdefault(section, {})[key] = value
        return dataclasses.replace(self, **{
            name: dataclasses.replace(getattr(self, name), **values)
            for name, values in updates.items()})

    def dump(self) -> dict:
        """Plain JSON-ready dict for logs and summaries, secrets shown as '***'."""
        return {section.name: {f.name: _shown(getattr(getattr(self, section.name), f.name))
                               for f in dataclasses.fields(getattr(self, section.name))}
                for section in dataclasses.fields(self)}

    def secret_values(self) -> list[str]:
        """Every secret's plain value, for the log redaction filter."""
        found = []
        for section in dataclasses.fields(self):
            for f in dataclasses.fields(getattr(self, section.name)):
                value = getattr(getattr(self, section.name), f.name)
                items = value if isinstance(value, tuple) else (value,)
                found += [item.reveal() for item in items if isinstance(item, Secret) and item]
        return found


def _shown(value: Any) -> Any:
    if isinstance(value, Secret):
        return REDACTED
    if isinstance(value, tuple):
        return [_shown(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    return value


def load_settings(path: str | Path | None = None, env: Mapping[str, str] = os.environ,
                  overrides: Mapping[str, Any] | None = None,
                  need_live_endpoints: bool = True) -> Settings:
    """Read TOML (default.toml when path is None), apply env, then overrides {'section.key': value}.

    Raises ConfigError naming the key, the value and what is allowed on the first bad setting.
    need_live_endpoints=False is for modes that touch no chain (reading the journal).
    """
    path = Path(path) if path is not None else DEFAULT_CONFIG_PATH
    raw = _read_toml(path)
    overrides = dict(overrides or {})
    sections = {}
    for section in dataclasses.fields(Settings):
        section_raw = raw.pop(section.name, {})
        if not isinstance(section_raw, dict):
            raise ConfigError(section.name, section_raw, f'a [{section.name}] table')
        sections[section.name] = _load_section(section.name, section.default_factory, section_raw,
                                               env, overrides)
    if raw:
        key = next(iter(raw))
        raise ConfigError(key, raw[key], 'one of the sections ' +
                          ', '.join(f'[{f.name}]' for f in dataclasses.fields(Settings)))
    if overrides:
        key = next(iter(overrides))
        raise ConfigError(key, overrides[key], 'a known section.key override')
    _refuse_unknown_env(env)
    settings = Settings(**sections)
    if need_live_endpoints:
        _check_live(settings)
    if settings.trading.priority_fee_cap < settings.trading.priority_fee_floor:
        raise ConfigError('trading.priority_fee_cap', settings.trading.priority_fee_cap,
                          f'at least trading.priority_fee_floor ({settings.trading.priority_fee_floor})')
    if settings.analysis.verify == 'after' and settings.analysis.mode != 'fast':
        raise ConfigError('analysis.verify', 'after', "'before' in full mode (it checks before "
                          "the buy); 'after' needs analysis.mode = 'fast'")
    cp.check_mode(settings.trading.mode, settings.copy, settings.chain.mode)
    _check_cashback_threshold(settings.trading)
    return settings


def _check_cashback_threshold(trading: TradingSettings) -> None:
    """A background claim must bring in more than its own fee: the signature fee plus the highest
    priority fee the settings allow at the compute unit limit."""
    price = trading.priority_fee if trading.priority_fee_mode == 'fixed' else trading.priority_fee_cap
    fee = 5_000 + -(-price * trading.compute_unit_limit // 1_000_000)
    if 0 < trading.cashback_claim_min_lamports <= fee:
        raise ConfigError('trading.cashback_claim_min_lamports', trading.cashback_claim_min_lamports,
                          f'0 (off) or more than a claim\'s fee ({fee} lamports at these priority fee settings)')


def _refuse_unknown_env(env: Mapping[str, str]) -> None:
    """A PUMPSNIPE__SECTION__KEY that names no setting is a typo, refused like one in the file."""
    sections = {f.name: {k.name for k in dataclasses.fields(f.default_factory)}
                for f in dataclasses.fields(Settings)}
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX):
            continue
        section, _, key = name[len(ENV_PREFIX):].lower().partition('__')
        if section not in sections:
            raise ConfigError(name, '(set)', 'PUMPSNIPE__<SECTION>__<KEY> with a section of '
                              + ', '.join(sorted(sections)), secret=True)
        if key not in sections[section]:
            close = difflib.get_close_matches(key, sections[section], n=1)
            hint = f' (did you mean {ENV_PREFIX}{section.upper()}__{close[0].upper()}?)' if close else ''
            raise ConfigError(name, '(set)', f'a key of [{section}]: '
                              + ', '.join(sorted(sections[section])) + hint, secret=True)


def _check_live(settings: Settings) -> None:
    """Live mode has no embedded chain to fall back on: endpoints and a key must be given."""
    if settings.chain.mode != 'live':
        return
    if not settings.chain.rpc_urls:
        raise ConfigError('chain.rpc_urls', (), 'at least one URL (set RPC_URLS) in live mode')
    if not settings.wallet.keypair_path and not settings.wallet.private_key:
        raise ConfigError('wallet.keypair_path', None,
                          'a keypair file or PRIVATE_KEY in the environment in live mode')
    source = settings.chain.stream_source
    if source == 'yellowstone' and not settings.chain.grpc_endpoint:
        raise ConfigError('chain.stream_source', source, 'auto, logs or blocks without chain.grpc_endpoint')
    if source in ('logs', 'blocks') and not settings.chain.ws_url:
        raise ConfigError('chain.stream_source', source, 'auto or yellowstone without WS_URL')


def _read_toml(path: Path) -> dict:
    try:
        with path.open('rb') as handle:
            return tomllib.load(handle, parse_float=Decimal)   # exact decimals, never float
    except FileNotFoundError:
        raise ConfigError('--config', str(path), 'an existing TOML file') from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError('--config', str(path), f'valid TOML ({exc})') from None


def _load_section(name: str, cls: type, raw: dict, env: Mapping[str, str],
                  overrides: dict) -> Any:
    values = {}
    known = {f.name for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in known:
            raise ConfigError(f'{name}.{key}', raw[key], 'one of ' + ', '.join(sorted(known)))
    for f in dataclasses.fields(cls):
        key, meta = f'{name}.{f.name}', f.metadata
        generic_env = f'{ENV_PREFIX}{name.upper()}__{f.name.upper()}'
        if key in overrides:
            values[f.name] = meta['parser'](key, overrides.pop(key))
            continue
        env_name = next((e for e in (*meta['env'], generic_env) if env.get(e, '') != ''), None)
        if env_name is not None:
            parser = meta['env_parser'] if env_name in meta['env'] else meta['parser']
            values[f.name] = parser(env_name, env[env_name])
        elif f.name in raw:
            if meta['env_only']:
                raise ConfigError(key, raw[f.name], f'no value in a file: set it in the environment'
                                  f' ({", ".join(meta["env"])})', secret=True)
            values[f.name] = meta['parser'](key, raw[f.name])
    return cls(**values)
