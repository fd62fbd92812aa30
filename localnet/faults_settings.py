"""What faults the local chain injects: validated, immutable settings read from TOML, flags or the
admin endpoint's JSON, all in one nested shape:

    seed = 7
    [rpc]    latency = "lognormal:40:0.6", rate_429, rate_5xx, timeout_rate, timeout_hold_s
    [tx]     drop_rate, delay_slots, delay_rate
    [chain]  blockhash_window
    [stream] disconnect_every_s, dup_rate, reorder_rate, queue_size

Every fault is off by default; an update names only what it changes.
"""
from __future__ import annotations

import dataclasses
import math
import random
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from localnet.chain import BLOCKHASH_WINDOW

LATENCY_KINDS = ("off", "fixed", "uniform", "lognormal")
MAX_LATENCY_MS = 60_000.0
DEFAULT_TIMEOUT_HOLD_S = 30.0      # longer than any sane client timeout (solana-py's default is 10 s)


def _rate(section: str, name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{section}.{name} must be a probability between 0 and 1, got {value!r}")


def _non_negative(section: str, name: str, value: object, kind: type = float) -> None:
    allowed = (int,) if kind is int else (int, float)
    if isinstance(value, bool) or not isinstance(value, allowed) or value < 0 or not math.isfinite(value):
        raise ValueError(f"{section}.{name} must be a {'whole ' if kind is int else ''}number >= 0, got {value!r}")


@dataclass(frozen=True)
class Latency:
    """A latency distribution in milliseconds: off, fixed (ms), uniform (min_ms..max_ms) or
    lognormal (median_ms, sigma of the underlying normal)."""
    kind: str = "off"
    ms: float = 0.0
    min_ms: float = 0.0
    max_ms: float = 0.0
    median_ms: float = 0.0
    sigma: float = 0.0

    def __post_init__(self):
        if self.kind not in LATENCY_KINDS:
            raise ValueError(f"rpc.latency kind must be one of {', '.join(LATENCY_KINDS)}, got {self.kind!r}")
        for name in ("ms", "min_ms", "max_ms", "median_ms", "sigma"):
            _non_negative("rpc.latency", name, getattr(self, name))
        if self.min_ms > self.max_ms:
            raise ValueError("rpc.latency needs min_ms <= max_ms")

    @property
    def active(self) -> bool:
        return self.kind != "off"

    def sample_s(self, rng: random.Random) -> float:
        if self.kind == "fixed":
            ms = self.ms
        elif self.kind == "uniform":
            ms = rng.uniform(self.min_ms, self.max_ms)
        elif self.kind == "lognormal":
            ms = rng.lognormvariate(math.log(max(self.median_ms, 1e-3)), self.sigma)
        else:
            return 0.0
        return min(ms, MAX_LATENCY_MS) / 1000   # a far lognormal tail must not hold a request for hours

    def to_json(self) -> dict:
        wanted = {"off": (), "fixed": ("ms",), "uniform": ("min_ms", "max_ms"),
                  "lognormal": ("median_ms", "sigma")}[self.kind]
        return {"kind": self.kind, **{name: getattr(self, name) for name in wanted}}

    @classmethod
    def parse(cls, value: object) -> "Latency":
        """50 (fixed ms), "fixed:50", "uniform:10:80", "lognormal:40:0.6", "off", or a table with kind."""
        if isinstance(value, Latency):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return cls("fixed", ms=value) if value else cls()
        if isinstance(value, dict):
            unknown = set(value) - {f.name for f in dataclasses.fields(cls)}
            if unknown:
                raise ValueError(f"rpc.latency has unknown keys: {', '.join(sorted(unknown))}")
            return cls(**value)
        if isinstance(value, str):
            kind, *numbers = value.strip().split(":")
            try:
                figures = [float(n) for n in numbers]
            except ValueError:
                raise ValueError(f"rpc.latency {value!r}: the numbers after the kind must be numbers") from None
            shapes = {"off": (), "fixed": ("ms",), "uniform": ("min_ms", "max_ms"), "lognormal": ("median_ms", "sigma")}
            if kind in shapes and len(figures) == len(shapes[kind]):
                return cls(kind, **dict(zip(shapes[kind], figures)))
            if len(figures) == 0 and kind.replace(".", "", 1).isdigit():
                return cls.parse(float(kind))
        raise ValueError(f"rpc.latency {value!r}: use a number of ms, fixed:MS, uniform:MIN:MAX or lognormal:MEDIAN:SIGMA")


@dataclass(frozen=True)
class RpcFaults:
    latency: Latency = field(default_factory=Latency)
    rate_429: float = 0.0
    rate_5xx: float = 0.0
    timeout_rate: float = 0.0                  # held past the client's timeout, then the connection dropped
    timeout_hold_s: float = DEFAULT_TIMEOUT_HOLD_S

    def __post_init__(self):
        object.__setattr__(self, "latency", Latency.parse(self.latency))
        for name in ("rate_429", "rate_5xx", "timeout_rate"):
            _rate("rpc", name, getattr(self, name))
        _non_negative("rpc", "timeout_hold_s", self.timeout_hold_s)

    @property
    def active(self) -> bool:
        return self.latency.active or bool(self.rate_429 or self.rate_5xx or self.timeout_rate)


@dataclass(frozen=True)
class TxFaults:
    drop_rate: float = 0.0      # sendTransaction answers the signature, the transaction never runs
    delay_slots: int = 0        # ...or runs this many slots later (if its blockhash is still valid)
    delay_rate: float = 1.0     # share of the sent transactions that are delayed when delay_slots > 0

    def __post_init__(self):
        _rate("tx", "drop_rate", self.drop_rate)
        _rate("tx", "delay_rate", self.delay_rate)
        _non_negative("tx", "delay_slots", self.delay_slots, int)

    @property
    def active(self) -> bool:
        return bool(self.drop_rate) or bool(self.delay_slots and self.delay_rate)


@dataclass(frozen=True)
class ChainFaults:
    # blocks a blockhash stays valid (mainnet: 150); at or below the finalized lag (32), a blockhash
    # fetched at "finalized" commitment has already expired when it is handed out
    blockhash_window: int = BLOCKHASH_WINDOW

    def __post_init__(self):
        _non_negative("chain", "blockhash_window", self.blockhash_window, int)
        if not 1 <= self.blockhash_window <= BLOCKHASH_WINDOW:
            raise ValueError(f"chain.blockhash_window must be between 1 and {BLOCKHASH_WINDOW}, got {self.blockhash_window}")

    @property
    def active(self) -> bool:
        return self.blockhash_window < BLOCKHASH_WINDOW


@dataclass(frozen=True)
class StreamFaults:
    disconnect_every_s: float = 0.0   # every Yellowstone stream is closed (UNAVAILABLE) this often
    dup_rate: float = 0.0             # an update is sent twice
    reorder_rate: float = 0.0         # an update is sent after the one that follows it
    queue_size: int | None = None     # per-subscriber queue for new streams (None: the server's own)

    def __post_init__(self):
        _non_negative("stream", "disconnect_every_s", self.disconnect_every_s)
        _rate("stream", "dup_rate", self.dup_rate)
        _rate("stream", "reorder_rate", self.reorder_rate)
        if self.queue_size is not None:
            _non_negative("stream", "queue_size", self.queue_size, int)
            if self.queue_size == 0:
                raise ValueError("stream.queue_size must be at least 1")

    @property
    def shapes_updates(self) -> bool:
        return bool(self.dup_rate or self.reorder_rate)

    @property
    def active(self) -> bool:
        return self.shapes_updates or bool(self.disconnect_every_s) or self.queue_size is not None


SECTIONS = {"rpc": RpcFaults, "tx": TxFaults, "chain": ChainFaults, "stream": StreamFaults}


@dataclass(frozen=True)
class FaultSettings:
    rpc: RpcFaults = field(default_factory=RpcFaults)
    tx: TxFaults = field(default_factory=TxFaults)
    chain: ChainFaults = field(default_factory=ChainFaults)
    stream: StreamFaults = field(default_factory=StreamFaults)
    seed: int | None = None           # None: the node's --seed

    def active_names(self) -> list[str]:
        """Short names of the faults switched on, for status lines."""
        names = []
        if self.rpc.latency.active:
            names.append(f"latency({self.rpc.latency.kind})")
        names += [name for name, value in (("429", self.rpc.rate_429), ("5xx", self.rpc.rate_5xx),
                                           ("timeout", self.rpc.timeout_rate), ("drop", self.tx.drop_rate),
                                           ("stream-dup", self.stream.dup_rate),
                                           ("stream-reorder", self.stream.reorder_rate)) if value]
        if self.tx.delay_slots and self.tx.delay_rate:
            names.append(f"delay({self.tx.delay_slots} slots)")
        if self.chain.active:
            names.append(f"blockhash-window({self.chain.blockhash_window})")
        if self.stream.disconnect_every_s:
            names.append(f"stream-disconnect({self.stream.disconnect_every_s:g}s)")
        if self.stream.queue_size is not None:
            names.append(f"stream-queue({self.stream.queue_size})")
        return names

    def merged(self, changes: object) -> "FaultSettings":
        """A copy with `changes` (the nested shape above, any subset) applied; ValueError names a bad key."""
        if not isinstance(changes, dict):
            raise ValueError("fault settings must be a table/object such as {\"rpc\": {\"rate_429\": 0.1}}")
        unknown = set(changes) - set(SECTIONS) - {"seed"}
        if unknown:
            raise ValueError(f"unknown fault sections: {', '.join(sorted(unknown))} (known: {', '.join(SECTIONS)}, seed)")
        updated = {}
        for name, section_class in SECTIONS.items():
            if name not in changes:
                continue
            section_changes = changes[name]
            if not isinstance(section_changes, dict):
                raise ValueError(f"fault section {name} must be a table/object")
            known = {f.name for f in dataclasses.fields(section_class)}
            bad = set(section_changes) - known
            if bad:
                raise ValueError(f"unknown keys in fault section {name}: {', '.join(sorted(bad))} (known: {', '.join(sorted(known))})")
            try:
                updated[name] = dataclasses.replace(getattr(self, name), **section_changes)
            except TypeError as problem:
                raise ValueError(f"fault section {name}: {problem}") from None
        if "seed" in changes:
            seed = changes["seed"]
            if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
                raise ValueError(f"seed must be a whole number, got {seed!r}")
            updated["seed"] = seed
        return dataclasses.replace(self, **updated)

    def to_json(self) -> dict:
        out = {name: dataclasses.asdict(getattr(self, name)) for name in SECTIONS}
        out["rpc"]["latency"] = self.rpc.latency.to_json()
        out["seed"] = self.seed
        return out


def load_fault_file(path: Path) -> FaultSettings:
    """Settings from a TOML file; OSError or ValueError (naming the file) when it cannot be used."""
    try:
        with open(path, "rb") as source:
            table = tomllib.load(source)
    except tomllib.TOMLDecodeError as problem:
        raise ValueError(f"{path}: not valid TOML: {problem}") from None
    try:
        return FaultSettings().merged(table)
    except ValueError as problem:
        raise ValueError(f"{path}: {problem}") from None
