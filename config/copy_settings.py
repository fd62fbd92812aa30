"""[copy]: which wallets the bot copies and how (actors/policy/copy.py decides with these).

Section-level keys (CopySettings in config/settings.py) are every target's defaults; a target given
as a table overrides any of them:

    [copy]
    ratio = 0.5                    # our buy = their SOL x ratio (0.0001 .. 10)
    targets = ["<wallet>", {wallet = "<wallet>", ratio = 0.1, max_lamports = "0.02 SOL"}]

Amounts are integers (lamports) end to end; the ratio is kept in basis points.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from solders.pubkey import Pubkey

from config import parsing as p
from config.parsing import ConfigError

MODES = ('snipe', 'copy', 'both')
TARGET_KEYS = ('wallet', 'ratio', 'min_lamports', 'max_lamports', 'max_total_lamports',
               'max_price_move_bps', 'max_coin_age_seconds')


@dataclass(frozen=True)
class CopyTarget:
    """One followed wallet with its own limits (None: the [copy] section's; 0 = no limit for max_*)."""
    wallet: str
    ratio_bps: int | None = None            # our buy = their SOL x ratio_bps / 10,000
    min_lamports: int | None = None         # a copy smaller than this is skipped
    max_lamports: int | None = None         # a copy larger than this is cut down to it
    max_total_lamports: int | None = None   # most this target's copies may hold open at once
    max_price_move_bps: int | None = None   # skip when the price rose more than this since their trade
    max_coin_age_seconds: int | None = None  # skip older coins (an unknown age counts as too old)


_TARGET_PARSERS = {
    'ratio': ('ratio_bps', p.ratio_bps(1, 100_000)),
    'min_lamports': ('min_lamports', p.lamports(0)),
    'max_lamports': ('max_lamports', p.lamports(0)),
    'max_total_lamports': ('max_total_lamports', p.lamports(0)),
    'max_price_move_bps': ('max_price_move_bps', p.integer(0, 1_000_000)),
    'max_coin_age_seconds': ('max_coin_age_seconds', p.integer(0, 30 * 86_400)),
}


def wallet_address(key: str, value: Any) -> str:
    allowed = 'a base58 wallet address (32 bytes)'
    if not isinstance(value, str):
        raise ConfigError(key, value, allowed)
    try:
        return str(Pubkey.from_string(value.strip()))
    except ValueError:
        raise ConfigError(key, value, allowed) from None


def parse_targets(key: str, value: Any) -> tuple[CopyTarget, ...]:
    """The [copy] targets: values a target does not set stay None (the section's then apply).
    A TOML array of addresses or tables (keys TARGET_KEYS), or a comma-separated string."""
    if isinstance(value, str):
        value = [part.strip() for part in value.split(',') if part.strip()]
    if not isinstance(value, (list, tuple)):
        raise ConfigError(key, value, 'a list of wallet addresses or {wallet = ..., ratio = ...} tables')
    targets, seen = [], set()
    for index, entry in enumerate(value):
        where = f'{key}[{index}]'
        if isinstance(entry, CopyTarget):
            target = entry
        elif isinstance(entry, str):
            target = CopyTarget(wallet_address(where, entry))
        elif isinstance(entry, dict):
            unknown = [k for k in entry if k not in TARGET_KEYS]
            if unknown:
                raise ConfigError(f'{where}.{unknown[0]}', entry[unknown[0]], 'one of ' + ', '.join(TARGET_KEYS))
            if 'wallet' not in entry:
                raise ConfigError(f'{where}.wallet', None, 'a base58 wallet address (32 bytes)')
            values = {}
            for name, raw in entry.items():
                if name != 'wallet':
                    field, parser = _TARGET_PARSERS[name]
                    values[field] = parser(f'{where}.{name}', raw)
            target = CopyTarget(wallet_address(f'{where}.wallet', entry['wallet']), **values)
        else:
            raise ConfigError(where, entry, 'a wallet address or a {wallet = ..., ratio = ...} table')
        if target.wallet in seen:
            raise ConfigError(where, target.wallet, 'each wallet once')
        seen.add(target.wallet)
        targets.append(target)
    return tuple(targets)


def resolved(target: CopyTarget, copy) -> CopyTarget:
    """`target` with every value it leaves unset taken from the [copy] section `copy`."""
    return CopyTarget(target.wallet, **{field: getattr(copy, key) if getattr(target, field) is None
                                        else getattr(target, field)
                                        for key, (field, _) in _TARGET_PARSERS.items()})


def check_mode(mode: str, copy, chain_mode: str) -> None:
    """Cross-field: copying needs someone to copy; the market's smart wallets exist only locally."""
    if copy.smart_wallets and chain_mode != 'local':
        raise ConfigError('copy.smart_wallets', True, 'false with chain.mode = "live" '
                          '(smart wallets are the local market\'s)')
    if mode in ('copy', 'both') and not copy.targets and not copy.smart_wallets:
        raise ConfigError('copy.targets', [], f'at least one wallet (or copy.smart_wallets = true on '
                          f'the local chain) with trading.mode = "{mode}"')
