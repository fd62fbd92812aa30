"""A small Borsh codec driven by field lists, for Anchor accounts and events.

An Anchor struct grows by appending fields, so a layout names how many leading fields are
required; later ones are decoded when present and take their dataclass defaults otherwise.
"""
from __future__ import annotations

import dataclasses
import functools
import struct
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from solders.pubkey import Pubkey

T = TypeVar("T")

_FIXED = {"u8": "<B", "bool": "<?", "u16": "<H", "u32": "<I", "u64": "<Q", "i64": "<q"}


class LayoutError(ValueError):
    """Data too short, a wrong discriminator, or a value that does not fit its field."""


def _read(kind: str, data: bytes, pos: int) -> tuple[Any, int]:
    if kind in _FIXED:
        fmt = _FIXED[kind]
        size = struct.calcsize(fmt)
        if pos + size > len(data):
            raise LayoutError("truncated")
        if kind == "bool":
            return data[pos] != 0, pos + 1
        return struct.unpack_from(fmt, data, pos)[0], pos + size
    if kind == "pubkey":
        if pos + 32 > len(data):
            raise LayoutError("truncated")
        return Pubkey.from_bytes(data[pos:pos + 32]), pos + 32
    if kind == "string":
        length, pos = _read("u32", data, pos)
        if pos + length > len(data):
            raise LayoutError("truncated string")
        return data[pos:pos + length].decode("utf-8", errors="replace"), pos + length
    if kind.startswith("pubkey*"):
        keys = []
        for _ in range(int(kind[7:])):
            key, pos = _read("pubkey", data, pos)
            keys.append(key)
        return tuple(keys), pos
    if kind == "shareholders":   # Vec<Shareholder { address: Pubkey, share_bps: u16 }>
        count, pos = _read("u32", data, pos)
        holders = []
        for _ in range(count):
            address, pos = _read("pubkey", data, pos)
            share, pos = _read("u16", data, pos)
            holders.append((address, share))
        return tuple(holders), pos
    raise LayoutError(f"unknown field kind {kind}")


def _write(kind: str, value: Any) -> bytes:
    try:
        if kind in _FIXED:
            return struct.pack(_FIXED[kind], value)
        if kind == "pubkey":
            return bytes(value)
        if kind == "string":
            raw = value.encode()
            return struct.pack("<I", len(raw)) + raw
        if kind.startswith("pubkey*"):
            if len(value) != int(kind[7:]):
                raise LayoutError(f"{kind} needs {kind[7:]} keys, got {len(value)}")
            return b"".join(bytes(k) for k in value)
        if kind == "shareholders":
            return struct.pack("<I", len(value)) + b"".join(bytes(a) + struct.pack("<H", s) for a, s in value)
    except struct.error as exc:
        raise LayoutError(f"{value!r} does not fit {kind}: {exc}") from exc
    raise LayoutError(f"unknown field kind {kind}")


@dataclass(frozen=True)
class Layout(Generic[T]):
    """cls: a frozen dataclass whose fields follow `fields` order; kinds: one per field."""
    cls: type[T]
    discriminator: bytes
    kinds: tuple[str, ...]
    required: int

    def encode(self, value: T) -> bytes:
        names = [f.name for f in dataclasses.fields(self.cls)]
        return self.discriminator + b"".join(_write(k, getattr(value, n)) for n, k in zip(names, self.kinds))

    def decode(self, data: bytes) -> T:
        """Decode data that starts with the discriminator; trailing bytes are ignored."""
        if data[:8] != self.discriminator:
            raise LayoutError(f"not a {self.cls.__name__}: discriminator {data[:8].hex()}")
        return self.decode_body(data, 8)

    def decode_body(self, data: bytes, pos: int) -> T:
        # the stream decodes every trade: one struct.unpack per run of fixed-size fields (a
        # compiled plan); a struct shorter than the plan (an older version) goes field by field
        try:
            return self.cls(**_decode_planned(_plan(self), data, pos))
        except (LayoutError, struct.error):
            return self._decode_fieldwise(data, pos)

    def _decode_fieldwise(self, data: bytes, pos: int) -> T:
        names = [f.name for f in dataclasses.fields(self.cls)]
        values: dict[str, Any] = {}
        for index, (name, kind) in enumerate(zip(names, self.kinds)):
            try:
                values[name], pos = _read(kind, data, pos)
            except LayoutError:
                if index < self.required:
                    raise LayoutError(f"{self.cls.__name__} truncated at field {name}") from None
                break       # an older, shorter version of the struct: defaults for the rest
        return self.cls(**values)


_STRUCT_CODE = {"u8": "B", "bool": "?", "u16": "H", "u32": "I", "u64": "Q", "i64": "q", "pubkey": "32s"}


@functools.lru_cache(maxsize=None)
def _plan(layout: Layout) -> tuple:
    """Steps: ('run', Struct, names, pubkey names) for consecutive fixed-size fields, or
    ('one', name, kind) for a variable-size one."""
    names = [f.name for f in dataclasses.fields(layout.cls)]
    steps, run = [], []

    def close_run():
        if run:
            fmt = "<" + "".join(_STRUCT_CODE[k] for _, k in run)
            steps.append(("run", struct.Struct(fmt), tuple(n for n, _ in run),
                          frozenset(n for n, k in run if k == "pubkey")))
            run.clear()
    for name, kind in zip(names, layout.kinds):
        if kind in _STRUCT_CODE:
            run.append((name, kind))
        else:
            close_run()
            steps.append(("one", name, kind))
    close_run()
    return tuple(steps)


def _decode_planned(plan: tuple, data: bytes, pos: int) -> dict:
    values: dict[str, Any] = {}
    for step in plan:
        if step[0] == "run":
            _, compiled, names, pubkeys = step
            if pos + compiled.size > len(data):
                raise LayoutError("truncated")
            for name, value in zip(names, compiled.unpack_from(data, pos)):
                values[name] = Pubkey.from_bytes(value) if name in pubkeys else value
            pos += compiled.size
        else:
            values[step[1]], pos = _read(step[2], data, pos)
    return values
