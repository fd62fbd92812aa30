"""Value parsers for settings: each turns a TOML or environment value into its typed form or raises
one ConfigError that names the key, the bad value and what is allowed. Amounts become exact integers
(lamports, basis points) through Decimal, never through float."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Callable
from urllib.parse import urlparse

from config.secrets import REDACTED, Secret

LAMPORTS_PER_SOL = 1_000_000_000
BPS_PER_UNIT = 10_000

Parser = Callable[[str, Any], Any]   # (key, raw value) -> typed value


class ConfigError(ValueError):
    """A bad setting: the message names the key, the value given and what is allowed."""

    def __init__(self, key: str, value: Any, allowed: str, secret: bool = False):
        shown = REDACTED if secret or isinstance(value, Secret) else repr(value)
        if isinstance(value, Decimal):
            shown = str(value)   # TOML decimals are parsed as Decimal; show them as written
        super().__init__(f'config error: {key} = {shown} is not allowed; expected {allowed}')
        self.key, self.allowed = key, allowed


def _decimal(key: str, value: Any, allowed: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise ConfigError(key, value, allowed)
    try:
        number = Decimal(value.strip().replace('_', '') if isinstance(value, str) else value)
    except InvalidOperation:
        raise ConfigError(key, value, allowed) from None
    if not number.is_finite():
        raise ConfigError(key, value, allowed)
    return number


def integer(minimum: int | None = None, maximum: int | None = None) -> Parser:
    """A whole number (TOML int or a decimal string) within [minimum, maximum]."""
    allowed = 'an integer' + _range_text(minimum, maximum)

    def parse(key: str, value: Any) -> int:
        number = _decimal(key, value, allowed)
        if number != number.to_integral_value():
            raise ConfigError(key, value, allowed)
        result = int(number)
        if (minimum is not None and result < minimum) or (maximum is not None and result > maximum):
            raise ConfigError(key, value, allowed)
        return result
    return parse


def integer_or_off(minimum: int, maximum: int, zero: str = 'off') -> Parser:
    """0 (off, or what `zero` says it means) or a whole number within [minimum, maximum]."""
    allowed = f'0 ({zero}) or an integer from {minimum} to {maximum}'
    parsers = (integer(0, 0), integer(minimum, maximum))

    def parse(key: str, value: Any) -> int:
        for parser in parsers:
            try:
                return parser(key, value)
            except ConfigError:
                pass
        raise ConfigError(key, value, allowed)
    return parse


def decimal_number(minimum: Decimal, maximum: Decimal) -> Parser:
    """An exact decimal (a rate, not money) within [minimum, maximum]."""
    allowed = f'a number from {minimum} to {maximum}'

    def parse(key: str, value: Any) -> Decimal:
        number = _decimal(key, value, allowed)
        if not minimum <= number <= maximum:
            raise ConfigError(key, value, allowed)
        return number
    return parse


def lamports(minimum: int = 0, maximum: int | None = None) -> Parser:
    """An amount: an integer is lamports; a string 'X SOL' (e.g. '0.1 SOL') is SOL, converted exactly."""
    allowed = ("lamports as an integer, or SOL as a string like '0.1 SOL'"
               + _range_text(minimum, maximum, unit=' lamports'))

    def parse(key: str, value: Any) -> int:
        if isinstance(value, str) and value.strip().lower().endswith('sol'):
            return sol(minimum, maximum)(key, value.strip()[:-3])
        return _bounded_int(key, value, allowed, minimum, maximum, scale=1)
    return parse


def sol(minimum: int = 0, maximum: int | None = None) -> Parser:
    """An amount written in SOL (e.g. WRAP_AMOUNT=0.1) turned into exact lamports."""
    allowed = ('an amount of SOL with at most 9 decimals, e.g. 0.1'
               + _range_text(minimum, maximum, unit=' lamports'))

    def parse(key: str, value: Any) -> int:
        return _bounded_int(key, value, allowed, minimum, maximum, scale=LAMPORTS_PER_SOL)
    return parse


def ratio_bps(minimum: int = 0, maximum: int = BPS_PER_UNIT) -> Parser:
    """A fraction such as 0.5 turned into basis points (5000); at most 4 decimals."""
    allowed = (f'a fraction between {Decimal(minimum) / BPS_PER_UNIT} and '
               f'{Decimal(maximum) / BPS_PER_UNIT} with at most 4 decimals, e.g. 0.5')

    def parse(key: str, value: Any) -> int:
        return _bounded_int(key, value, allowed, minimum, maximum, scale=BPS_PER_UNIT)
    return parse


def _bounded_int(key, value, allowed, minimum, maximum, scale) -> int:
    scaled = _decimal(key, value, allowed) * scale
    if scaled != scaled.to_integral_value():
        raise ConfigError(key, value, allowed)
    result = int(scaled)
    if (minimum is not None and result < minimum) or (maximum is not None and result > maximum):
        raise ConfigError(key, value, allowed)
    return result


def boolean(key: str, value: Any) -> bool:
    """TOML's true/false, or the strings "true"/"false" (environment): nothing else, so that a
    typo or "yes"/"no"/"1" never switches a trading setting by guesswork."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ('true', 'false'):
        return value.strip().lower() == 'true'
    raise ConfigError(key, value, 'true or false')


def choice(*options: str) -> Parser:
    allowed = 'one of ' + ', '.join(repr(o) for o in options)

    def parse(key: str, value: Any) -> str:
        if value not in options:
            raise ConfigError(key, value, allowed)
        return value
    return parse


def text(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(key, value, 'a string')
    return value


def optional(parser: Parser) -> Parser:
    """None or '' stay None; anything else goes through parser."""
    def parse(key: str, value: Any):
        return None if value is None or value == '' else parser(key, value)
    return parse


def url(*schemes: str, secret: bool = False) -> Parser:
    """A URL with one of the schemes and a host; kept as a Secret when it may carry an API key."""
    allowed = 'a URL starting with ' + ' or '.join(f'{s}://' for s in schemes)

    def parse(key: str, value: Any):
        raw = value.reveal() if isinstance(value, Secret) else value
        parsed = urlparse(raw) if isinstance(raw, str) else None
        if parsed is None or parsed.scheme not in schemes or not parsed.hostname:
            raise ConfigError(key, value, allowed, secret=secret)
        return Secret(raw) if secret else raw
    return parse


def host_port(key: str, value: Any) -> str:
    """'host:port' (a gRPC endpoint); an http(s):// prefix is accepted and kept."""
    allowed = "host:port such as '127.0.0.1:10000' (optionally with http:// or https://)"
    if not isinstance(value, str):
        raise ConfigError(key, value, allowed)
    bare = value.split('://', 1)[-1].rstrip('/')
    host, _, port = bare.rpartition(':')
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(key, value, allowed)
    return value


def secret_text(key: str, value: Any) -> Secret:
    if isinstance(value, Secret):
        return value
    if not isinstance(value, str) or not value:
        raise ConfigError(key, value, 'a non-empty string', secret=True)
    return Secret(value)


def list_of(item: Parser, min_items: int = 0) -> Parser:
    """A TOML array, or a comma-separated string (from the environment)."""
    def parse(key: str, value: Any) -> tuple:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(',') if part.strip()]
        if not isinstance(value, (list, tuple)) or len(value) < min_items:
            raise ConfigError(key, value, f'a list of at least {min_items} item(s)')
        return tuple(item(f'{key}[{i}]', v) for i, v in enumerate(value))
    return parse


def _range_text(minimum, maximum, unit: str = '') -> str:
    if minimum is not None and maximum is not None:
        return f' from {minimum} to {maximum}{unit}'
    if minimum is not None:
        return f' of at least {minimum}{unit}'
    if maximum is not None:
        return f' of at most {maximum}{unit}'
    return ''
