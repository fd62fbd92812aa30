"""Decode pump.fun events (CreateEvent, TradeEvent, CompleteEvent) from `Program data:` log
lines, from self-CPI inner instructions (prefix e445a52e51cb9a1d), or from a whole
getTransaction result. Unknown or truncated data is skipped and counted; nothing raises."""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Iterable, Union

import base58

from adapters.pumpfun.addresses import PUMP_PROGRAM
from adapters.pumpfun.borsh import LayoutError
from adapters.pumpfun.layout_v1 import EVENT_LAYOUTS, CompleteEvent, CreateEvent, TradeEvent

PumpEvent = Union[CreateEvent, TradeEvent, CompleteEvent]
EVENT_IX_TAG = bytes.fromhex("e445a52e51cb9a1d")     # sha256("anchor:event")[:8], Anchor's emit_cpi!
PROGRAM_DATA = "Program data: "
_PUMP = str(PUMP_PROGRAM)


@dataclass(frozen=True)
class DecodedEvents:
    events: tuple[PumpEvent, ...]
    skipped: int          # pump.fun data that was not a known, complete event

    def of_type(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]


def decode_event(data: bytes) -> PumpEvent | None:
    """An event from discriminator + Borsh body; None when unknown or truncated."""
    layout = EVENT_LAYOUTS.get(bytes(data[:8]))
    if layout is None:
        return None
    try:
        return layout.decode(bytes(data))
    except (LayoutError, ValueError):
        return None


def _collect(payloads: Iterable[bytes | None]) -> DecodedEvents:
    events, skipped = [], 0
    for payload in payloads:
        event = decode_event(payload) if payload is not None else None
        if event is None:
            skipped += 1
        else:
            events.append(event)
    return DecodedEvents(tuple(events), skipped)


def _log_payloads(logs: Iterable[str], program: str) -> Iterable[bytes | None]:
    """`Program data:` payloads written while `program` is the innermost running program."""
    stack: list[str] = []
    for line in logs:   # the stream runs this for every update: the commonest tests first
        if not isinstance(line, str):
            continue
        if line.startswith(PROGRAM_DATA):
            if stack and stack[-1] == program:
                try:
                    yield b"".join(base64.b64decode(part, validate=True)
                                   for part in line[len(PROGRAM_DATA):].split())
                except (binascii.Error, ValueError):
                    yield None
        elif not line.startswith("Program "):
            continue
        elif " invoke [" in line:
            stack.append(line.split(" ", 2)[1])
        elif (line.endswith(" success") or " failed" in line) and stack:
            stack.pop()


def events_from_logs(logs: Iterable[str], program: str = _PUMP) -> DecodedEvents:
    return _collect(_log_payloads(logs, program))


def events_from_inner_instructions(datas: Iterable[bytes]) -> DecodedEvents:
    """Self-CPI event instructions' data (already filtered to the pump.fun program)."""
    return _collect(bytes(d)[8:] if bytes(d[:8]) == EVENT_IX_TAG else None for d in datas)


def _account_keys(result: dict[str, Any]) -> list[str]:
    keys = result["transaction"]["message"]["accountKeys"]
    keys = [k["pubkey"] if isinstance(k, dict) else k for k in keys]
    loaded = (result.get("meta") or {}).get("loadedAddresses") or {}
    if not any(isinstance(k, dict) for k in result["transaction"]["message"]["accountKeys"]):
        keys += loaded.get("writable", []) + loaded.get("readonly", [])
    return keys


def _inner_pump_datas(result: dict[str, Any]) -> list[bytes]:
    keys = _account_keys(result)
    datas = []
    for group in (result.get("meta") or {}).get("innerInstructions") or []:
        for inner in group.get("instructions", []):
            program = inner.get("programId")
            if program is None and isinstance(inner.get("programIdIndex"), int) and inner["programIdIndex"] < len(keys):
                program = keys[inner["programIdIndex"]]
            if program == _PUMP and isinstance(inner.get("data"), str):
                try:
                    data = base58.b58decode(inner["data"])
                except ValueError:
                    continue
                if data[:8] == EVENT_IX_TAG:
                    datas.append(data)
    return datas


def events_from_transaction(result: dict[str, Any]) -> DecodedEvents:
    """Events of one getTransaction `result` (json or jsonParsed). pump.fun writes every event
    both as a log and as a self-CPI; logs are used unless they are missing or truncated."""
    try:
        meta = result.get("meta") or {}
        logs = meta.get("logMessages") or []
        if logs and not any("Log truncated" in line for line in logs if isinstance(line, str)):
            return events_from_logs(logs)
        return events_from_inner_instructions(_inner_pump_datas(result))
    except (KeyError, TypeError, AttributeError, IndexError):
        return DecodedEvents((), 1)
