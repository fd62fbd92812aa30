"""The fast path's one hop, StreamActor -> armed spare, on a lane of its own instead of thespian's
TCP transport (a hop there costs ~0.5 ms p50 / 1.6 ms p99 and its delivery waits on the receiver's
select loop and acks; measured in benchmarks/bench_detection_latency, stage handed_off ->
spare_received).

A lane is a Unix datagram socket that the spare binds in a private 0700 directory, so only this
user's processes can write to it (nothing listens on a network). A datagram carries one OpenPosition
as a JSON array of plain values in a fixed field order, never a pickle; a record that does not
parse into exactly those fields and types is counted and dropped. Thespian stays the control and
supervision channel: the spare reports its lane in SpareArmed, the Director hands it to the stream
with the armed set, and a send the lane refuses goes through thespian as before."""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import tempfile

from messages.position import OpenPosition
from messages.stream import Launch

LANE_VERSION = 1
MAX_RECORD_BYTES = 16_384   # a Launch with the longest name/symbol/uri the program allows fits easily
LAUNCH_FIELDS = tuple((f.name, f.type if isinstance(f.type, str) else f.type.__name__)
                      for f in dataclasses.fields(Launch))
# "object" is Launch.pool_state: a stream launch (the only kind on a lane) has none; a launch that
# carries one (a copied pool buy) is refused by encode_open and goes through thespian
FIELD_TYPES = {"str": str, "int": int, "float": (int, float), "bool": bool, "object": type(None)}


class MalformedRecord(ValueError):
    pass


def encode_open(spare_id: str, msg: OpenPosition) -> bytes:
    """MalformedRecord for a launch the lane cannot carry as plain values."""
    launch = msg.launch
    for name, type_name in LAUNCH_FIELDS:
        if not _typed(getattr(launch, name), type_name):
            raise MalformedRecord(f"lane record: {name} is not a {type_name}")
    return json.dumps([LANE_VERSION, spare_id, msg.request_id, msg.detected_at, msg.buy_lamports,
                       [getattr(launch, name) for name, _ in LAUNCH_FIELDS]],
                      separators=(",", ":")).encode()


def decode_open(data: bytes) -> tuple[str, OpenPosition]:
    """(spare_id, OpenPosition) of one record; MalformedRecord for anything else."""
    try:
        version, spare_id, request_id, detected_at, buy_lamports, values = json.loads(data)
    except (ValueError, TypeError) as exc:
        raise MalformedRecord(f"not a lane record: {exc}") from None
    if version != LANE_VERSION or not isinstance(spare_id, str) or not isinstance(request_id, str) \
            or not _typed(detected_at, "float") or not _typed(buy_lamports, "int") \
            or not isinstance(values, list) or len(values) != len(LAUNCH_FIELDS):
        raise MalformedRecord("lane record: wrong version, header or field count")
    for (name, type_name), value in zip(LAUNCH_FIELDS, values):
        if not _typed(value, type_name):
            raise MalformedRecord(f"lane record: {name} is not a {type_name}")
    launch = Launch(**{name: value for (name, _), value in zip(LAUNCH_FIELDS, values)})
    return spare_id, OpenPosition(request_id, launch, float(detected_at), buy_lamports)


def _typed(value, type_name: str) -> bool:
    if isinstance(value, bool) and type_name != "bool":
        return False
    return isinstance(value, FIELD_TYPES[type_name])


LANE_DIR_PREFIX = "pumpsnipe-lane-"


def remove_stale_lanes(parent: str | None = None) -> int:
    """Remove this user's lane directories whose spare process is gone (a killed spare cannot remove
    its own); the owner's pid is in the name. Returns how many were removed."""
    parent = parent or tempfile.gettempdir()
    removed = 0
    try:
        names = [n for n in os.listdir(parent) if n.startswith(LANE_DIR_PREFIX)]
    except OSError:
        return 0
    for name in names:
        pid = name[len(LANE_DIR_PREFIX):].split("-", 1)[0]
        path = os.path.join(parent, name)
        try:
            if not pid.isdigit() or os.stat(path).st_uid != os.getuid() or _alive(int(pid)):
                continue
        except OSError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # someone else's process: alive
        return True
    return True


class LaneReceiver:
    """The spare's end: bound at start, watched by the actor (ThespianWatch), removed on exit."""

    def __init__(self, parent: str | None = None):
        # mode 0700: this user only; the pid in the name lets remove_stale_lanes() find it if killed
        self.directory = tempfile.mkdtemp(prefix=f"{LANE_DIR_PREFIX}{os.getpid()}-", dir=parent)
        self.path = os.path.join(self.directory, "open")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.setblocking(False)
        self.malformed = 0

    def fileno(self) -> int:
        return self.sock.fileno()

    def drain(self) -> list[tuple[str, OpenPosition]]:
        records = []
        while True:
            try:
                data = self.sock.recv(MAX_RECORD_BYTES)
            except (BlockingIOError, InterruptedError):
                return records
            except OSError:
                return records
            try:
                records.append(decode_open(data))
            except MalformedRecord:
                self.malformed += 1

    def close(self) -> None:
        self.sock.close()
        shutil.rmtree(self.directory, ignore_errors=True)


class LaneSender:
    """The stream's end: one unbound datagram socket for every lane."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setblocking(False)

    def send(self, lane: str, spare_id: str, msg: OpenPosition) -> bool:
        """False when the lane is gone or full: the caller sends through thespian instead."""
        try:
            self.sock.sendto(encode_open(spare_id, msg), lane)
            return True
        except (OSError, MalformedRecord):
            return False

    def close(self) -> None:
        self.sock.close()
