"""A string that never shows itself in repr, str, logs or dumps; reveal() is the only way out."""
from __future__ import annotations

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
