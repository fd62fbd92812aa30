"""The StreamActor's side of the fast path (analysis.mode = "fast"): with an armed spare in hand, a
launch that passes the fast checks (the create event and the local creator history, no RPC) is
opened on that spare right here, one hop from detection; the Director hears of it afterwards.
Launches it does not take (no armed spare, a [trading] policy skip) go the normal way."""
from __future__ import annotations

import time

from loguru import logger

from actors.hot_trace import hot_trace
from actors.policy.analysis import decide
from actors.spare_lane import LaneSender
from adapters.analysis.creators import CreatorHistory, default_path
from adapters.analysis.gather import fast_facts
from adapters.pumpfun import venue
from adapters.stats import BoundedDict
from messages import new_request_id
from messages.analysis import AnalysisDecision
from messages.position import OpenPosition

USED_SPARES_REMEMBERED = 4_096


class StreamFastPath:
    def __init__(self, settings):
        self.settings = settings
        self.creators = CreatorHistory(default_path(settings))
        self.armed: list = []          # [(spare_id, address)], each used once
        self.lanes: dict = {}          # spare_id -> its lane (actors/spare_lane.py)
        self.lane_sender = None
        # a set the Director sent before it heard of a use may list that spare again: never reuse
        self.used = BoundedDict(USED_SPARES_REMEMBERED)

    def arm(self, spares: tuple, lanes: tuple = ()) -> None:
        self.armed = [(spare_id, address) for spare_id, address in spares if spare_id not in self.used]
        self.lanes = dict(lanes)

    def try_open(self, launch, send, watchers) -> tuple | None:
        """(decision, spare_id, address, request_id) when decided here, None for the normal path.
        `send(address, msg)` is the actor's send; `watchers` the stream's mint -> position map."""
        if not self.armed or launch.mint in watchers \
                or venue.policy_refusal(launch, self.settings.trading):
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
            return decision, "", None, ""
        spare_id, address = self.armed.pop(0)
        self.used[spare_id] = True
        request_id = new_request_id("pos")
        trace = hot_trace()
        trace.stamp(launch.mint, "checked")
        opening = OpenPosition(request_id, launch, launch.received_at)
        if not self._send_on_lane(spare_id, opening):
            send(address, opening)
        trace.stamp(launch.mint, "handed_off")
        self._record_launch(launch)   # a write: after the hand-off, off the hot path
        watchers[launch.mint] = address
        return decision, spare_id, address, request_id

    def _creator_facts(self, launch) -> dict:
        """As fast_facts reads the creator history (a locked or broken file: the check is optional)."""
        try:
            return {"creator": self.creators.history(launch.creator, excluding_mint=launch.mint)}
        except Exception as exc:
            logger.warning("stream: creator history unavailable: {!r}", exc)
            return {}

    def _record_launch(self, launch) -> None:
        try:
            self.creators.record_launch(launch.mint, launch.creator)
        except Exception as exc:
            logger.warning("stream: creator history not written: {!r}", exc)

    def _send_on_lane(self, spare_id: str, opening: OpenPosition) -> bool:
        lane = self.lanes.pop(spare_id, None)
        if lane is None:
            return False
        if self.lane_sender is None:
            self.lane_sender = LaneSender()
        return self.lane_sender.send(lane, spare_id, opening)

    def close(self) -> None:
        if self.lane_sender is not None:
            self.lane_sender.close()
        self.creators.close()
