"""A string that never shows itself in repr, str, logs or dumps (reveal() is the only way out), and
the environment variables that may carry one, which no child process of the bot inherits."""
from __future__ import annotations

import dataclasses
import os
from typing import Mapping, MutableMapping

REDACTED = '***'


class Secret:
    """Wraps a secret value (private key, token, URL with an API key). Picklable, so it can travel
    inside settings between actors; equality compares the hidden values."""

    __slots__ = ('_value',)

    def __init__(self, value: str):
        if not isinstance(value, str):
            raise TypeError('Secret wraps a str')
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{REDACTED}')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __reduce__(self):
        return (Secret, (self._value,))


def reveal(value) -> str | None:
    """The plain value of a Secret or str (None stays None): for the one place that needs it."""
    if value is None or isinstance(value, str):
        return value
    return value.reveal()



# not secrets, but they point at key material: no child process has a use for them either
KEY_LOCATION_SETTINGS = ('wallet.keypair_path',)


def secret_env_names() -> set[str]:
    """Names of the environment variables that may carry a secret: every name a `secret=True`
    setting (or a KEY_LOCATION_SETTINGS one) reads, including its PUMPSNIPE__SECTION__KEY form."""
    from config.settings import ENV_PREFIX, Settings   # here: config.settings imports this module
    names = set()
    for section in dataclasses.fields(Settings):
        for f in dataclasses.fields(section.default_factory):
            if f.metadata.get('secret') or f'{section.name}.{f.name}' in KEY_LOCATION_SETTINGS:
                names.update(f.metadata.get('env', ()))
                names.add(f'{ENV_PREFIX}{section.name.upper()}__{f.name.upper()}')
    return names


def scrubbed_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of the environment (default os.environ) without the secret variables: the env for
    every child process the bot starts."""
    env = os.environ if env is None else env
    hidden = secret_env_names()
    return {name: value for name, value in env.items() if name.upper() not in hidden}


def remove_secret_env(env: MutableMapping[str, str] | None = None) -> list[str]:
    """Delete the secret variables from the environment (default os.environ) once the settings
    hold them: actor processes are forked, not exec'd, and would otherwise carry them."""
    env = os.environ if env is None else env
    hidden = secret_env_names()
    removed = [name for name in list(env) if name.upper() in hidden]
    for name in removed:
        del env[name]
    return removed
