"""The StreamActor's side of the fast path (analysis.mode = "fast"), decided on the stream's I/O
thread: a launch that passes the fast checks (the create event and the local creator history, no
RPC) is opened on an armed spare right where the update was decoded, before the actor thread hears
of it (that hand-off cost 0.4 ms p50 but 35-60 ms p99 at 10 launches/s: bench_detection_latency,
stage decoded -> stream_actor). The actor thread books it afterwards (watchers, the Director's
FastOpened). Launches it does not take (no armed spare, a [trading] policy skip) go the normal way.

Threads. The actor thread publishes what the checks read as immutable snapshots, each replaced by
one reference store (atomic under the GIL): the armed spares with their lanes (ArmedSnapshot) and
the watched mints (a frozenset). The I/O thread only reads those references and owns the rest:
the spares it used, the mints it opened, the lane socket and its own connection to the creator
history (SQLite, opened and closed on that thread; other processes write the same file, so it is
read live rather than snapshotted; its launches are written by a thread of their own,
LaunchRecorder). No lock is taken on the path but the recorder's queue count (uncontended)."""
from __future__ import annotations

import time
from types import MappingProxyType
from typing import NamedTuple

from loguru import logger

from actors.hot_trace import hot_trace
from actors.policy.analysis import decide
from actors.process_priority import lower_thread
from actors.spare_lane import LaneSender
from adapters.analysis.creators import CreatorHistory, LaunchRecorder, default_path
from adapters.analysis.gather import fast_facts
from adapters.pumpfun import venue
from adapters.stats import BoundedDict
from messages import new_request_id
from messages.analysis import AnalysisDecision
from messages.position import OpenPosition

USED_SPARES_REMEMBERED = 4_096
OPENED_MINTS_REMEMBERED = 4_096


class ArmedSnapshot(NamedTuple):
    spares: tuple = ()                       # ((spare_id, address), ...), each used once
    lanes: MappingProxyType = MappingProxyType({})   # spare_id -> its lane (actors/spare_lane.py)


class FastOpen(NamedTuple):
    """A launch the I/O side decided: `entry` goes to the Director in FastOpened; `unsent` is the
    OpenPosition the lane refused, for the actor thread to send through thespian (which is not
    thread-safe: never called from the I/O thread)."""
    entry: tuple                             # (AnalysisDecision, spare_id or "", address or None, id or "")
    unsent: OpenPosition | None = None

    @property
    def launch(self):
        return self.entry[0].launch


class StreamFastPath:
    def __init__(self, settings):
        self.settings = settings
        # written by the actor thread, read by the I/O thread (whole-object swaps)
        self.armed = ArmedSnapshot()
        self.watched: frozenset = frozenset()
        # the I/O thread's own
        self.creators: CreatorHistory | None = None
        self.recorder: LaunchRecorder | None = None   # writes the history on a thread of its own
        self.lane_sender: LaneSender | None = None
        # a set the Director sent before it heard of a use may list that spare again: never reuse
        self.used = BoundedDict(USED_SPARES_REMEMBERED)
        self.opened = BoundedDict(OPENED_MINTS_REMEMBERED)   # a replayed create is not bought twice

    # ---- actor thread ----------------------------------------------------------------------------
    def arm(self, spares: tuple, lanes: tuple = ()) -> None:
        self.armed = ArmedSnapshot(tuple(spares), MappingProxyType(dict(lanes)))

    def publish_watched(self, watchers) -> None:
        self.watched = frozenset(watchers)

    # ---- I/O thread ------------------------------------------------------------------------------
    def try_open(self, launch) -> FastOpen | None:
        """Decided here (bought or skipped), or None for the normal path."""
        armed, watched = self.armed, self.watched   # one read of each snapshot
        spare = next(((spare_id, address) for spare_id, address in armed.spares
                      if spare_id not in self.used), None)
        if spare is None or launch.mint in watched or launch.mint in self.opened \
                or venue.policy_refusal(launch, self.settings.trading):
            if spare is None:
                hot_trace().stamp(launch.mint, "no_armed_spare")   # why a launch missed the fast path
            return None
        started = time.monotonic()
        facts = fast_facts(launch, None, self.settings.trading)
        facts.update(self._creator_facts(launch))
        verdict = decide(facts, self.settings.analysis, "fast")
        decision = AnalysisDecision(new_request_id("an"), launch, verdict.buy, verdict.score,
                                    verdict.reasons, int((time.monotonic() - started) * 1000),
                                    verdict.skip_keys, verdict.missing)
        if not verdict.buy:
            self._record_launch(launch)
            return FastOpen((decision, "", None, ""))
        spare_id, address = spare
        self.used[spare_id] = True
        self.opened[launch.mint] = True
        request_id = new_request_id("pos")
        trace = hot_trace()
        trace.stamp(launch.mint, "checked")
        opening = OpenPosition(request_id, launch, launch.received_at)
        sent = self._send_on_lane(armed.lanes.get(spare_id), spare_id, opening)
        trace.stamp(launch.mint, "handed_off")
        self._record_launch(launch)   # a write: after the hand-off, off the hot path
        return FastOpen((decision, spare_id, address, request_id), None if sent else opening)

    def _history(self) -> CreatorHistory:
        if self.creators is None:   # opened on the thread that uses it (sqlite3's same-thread check)
            self.creators = CreatorHistory(default_path(self.settings))
        return self.creators

    def _creator_facts(self, launch) -> dict:
        """As fast_facts reads the creator history (a locked or broken file: the check is optional),
        with the launches queued for the writer thread counted in."""
        try:
            launches, rugs = self._history().history(launch.creator, excluding_mint=launch.mint)
        except Exception as exc:
            logger.warning("stream: creator history unavailable: {!r}", exc)
            return {}
        if self.recorder is not None:
            launches += self.recorder.unwritten(launch.creator, excluding_mint=launch.mint)
        return {"creator": (launches, rugs)}

    def _record_launch(self, launch) -> None:
        """Queued for the writer thread: the I/O thread decodes the next update meanwhile."""
        if self.recorder is None:
            self.recorder = LaunchRecorder(default_path(self.settings))
            lower_thread(self.settings, self.recorder.thread.native_id)   # its writes wait for no one
        self.recorder.record_launch(launch.mint, launch.creator)

    def _send_on_lane(self, lane: str | None, spare_id: str, opening: OpenPosition) -> bool:
        if lane is None:
            return False
        if self.lane_sender is None:
            self.lane_sender = LaneSender()
        return self.lane_sender.send(lane, spare_id, opening)

    def close(self) -> None:
        """On the I/O thread (StreamActor.on_loop_close)."""
        if self.lane_sender is not None:
            self.lane_sender.close()
        if self.creators is not None:
            self.creators.close()
        if self.recorder is not None:
            self.recorder.close()
