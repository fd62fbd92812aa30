"""The Director's side of the fast path (analysis.mode = "fast"): it arms warm spares (each reserves
one buy's funds with the WalletActor) up to what the limits allow, hands the armed set to the
StreamActor, and books the positions the stream opened on them (FastOpened). Armed spares hold
position slots, so the normal path never exceeds the limits beside them; a set shrunk while the
stream was using a spare may let one position more through (the stream's use wins)."""
from __future__ import annotations

import collections
import time

from loguru import logger

from actors.hot_trace import hot_trace
from actors.spare_lane import remove_stale_lanes
from messages import new_request_id
from messages.fastpath import (ArmedSpares, ArmSpare, DisarmSpare, FastOpened, FastPositionOpened,
                               SpareArmed, VerifyAfterBuy)
from messages.stream import WatchMint
from messages.wallet import ReleaseMintReservations


ARM_RETRY_SECONDS = 1.0


def verifier_settings(settings):
    """The verifier's settings: every source of full mode (buy then verify)."""
    return settings.replace(**{"analysis.mode": "full", "analysis.verify": "before"})


DEAD_SPARES_REMEMBERED = 64   # spares exited lately (a FastOpened for one of them comes within ms)
# a used spare's replacement is forked once its buy's bytes are written (FastPositionOpened), so the
# fork and the new process's warm-up never take a core from that buy; at most this long after the
# stream's FastOpened (a position that failed, or died, never says so)
REPLACEMENT_WAIT_SECONDS = 0.25


def spare_reservation_key(spare_id: str) -> str:
    """The 'mint' an armed spare's reservation is held under until it buys."""
    return f"spare:{spare_id}"


class DirectorFastPath:
    """Mixin of Director: state lives in attributes created on first use."""

    def _fast_state(self) -> dict:
        if not hasattr(self, "_fast"):
            # spare_id -> address; 'idle': spares disarmed while the stream may still hold them
            # in an older set: only the fast path uses them again (re-armed under a new id)
            self._fast = {"arming": {}, "armed": {}, "idle": {}, "pushed": None, "retry_at": 0.0,
                          "lanes": {},   # spare_id -> the armed spare's lane (actors/spare_lane.py)
                          "dead": collections.deque(maxlen=DEAD_SPARES_REMEMBERED),
                          "replacing": []}   # (fork at, used spare's address): see REPLACEMENT_WAIT_SECONDS
        return self._fast

    def _fast_mode(self) -> bool:
        return self.settings is not None and self.settings.analysis.mode == "fast"

    def fast_slots_held(self) -> int:
        """Position slots held by armed spares (one still arming holds none: a launch meanwhile
        takes the normal path, and the sync disarms what the limits no longer allow)."""
        return len(self._fast_state()["armed"]) if self._fast_mode() else 0

    def _arm_allowance(self) -> int:
        if self.ledger.breaker.tripped or self.safety_mode or not self.buying:
            return 0
        limits = self.settings.trading
        free = limits.max_active_positions - len(self.positions) - len(self.analysing)   # armed excluded
        if limits.max_buys:
            unsent = sum(1 for live in self.positions.values() if not live.buy_sent)
            free = min(free, limits.max_buys - self.ledger.bought - unsent - len(self.analysing))
        return max(0, free)

    def release_armed_slot(self) -> bool:
        """A launch came the normal way while armed spares hold the last free slots: in fast mode the
        stream then had no armed spare for it (the first set not arrived yet, or the set used up), so
        one spare is disarmed and the launch takes its slot. Should the stream use that spare from the
        set it holds, the limit is passed by one, as with any set shrunk meanwhile (module doc)."""
        if not self._fast_mode():
            return False
        state = self._fast_state()
        if not state["armed"]:
            return False
        spare_id, address = state["armed"].popitem()
        state["idle"][spare_id] = address
        state["lanes"].pop(spare_id, None)
        self.send(address, DisarmSpare(spare_id))
        self.ledger.lifecycle["armed_slots_released"] += 1
        return True

    def spare_ids_held_by_fast_path(self) -> set:
        """id() of the spares the stream may be using (the tables hold self.spares' own objects), and
        those armed for copies (director_copy_spares.py): neither path takes the other's."""
        state = self._fast_state()
        return ({id(a) for table in ("arming", "armed", "idle") for a in state[table].values()}
                | self.copy_spare_ids_held())

    def _take_unarmed_spare(self):
        """A spare for the normal path: never one the stream may be using."""
        held = self.spare_ids_held_by_fast_path()
        for index, spare in enumerate(self.spares):
            if id(spare) not in held:
                return self.spares.pop(index)
        self._make_spare()
        return self.spares.pop()

    def fastpath_sync(self) -> None:
        """Arm or disarm spares to match the limits; push the armed set to the stream when it changed."""
        if not self._fast_mode() or self.shutting_down or self.peers.stream is None:
            return
        state = self._fast_state()
        self._replace_used_spares(time.monotonic())
        # by identity: the tables hold the very objects of self.spares, and this runs after every
        # message (thespian's address __eq__ is slow: comparing lists cost the Director ~5 % at 5/s)
        alive = {id(spare) for spare in self.spares}
        for table in (state["arming"], state["armed"], state["idle"]):   # spares that died meanwhile
            for spare_id, address in list(table.items()):
                if id(address) not in alive:
                    del table[spare_id]
                    self.send(self.peers.wallet, ReleaseMintReservations(spare_reservation_key(spare_id),
                                                                         "spare gone"))
        want = self._arm_allowance()
        held = len(state["arming"]) + len(state["armed"])
        if held < want and time.monotonic() >= state["retry_at"]:
            idle = [state["idle"].pop(key) for key in list(state["idle"])[:want - held]]
            busy = {id(a) for table in ("arming", "armed", "idle") for a in state[table].values()}
            busy.update(id(a) for a in idle)
            fresh = [s for s in self.spares if id(s) not in busy]
            for spare in (idle + fresh)[:want - held]:
                spare_id = new_request_id("spare")
                state["arming"][spare_id] = spare
                self.send(spare, ArmSpare(spare_id))
        while held > want and (state["armed"] or state["arming"]):
            table = state["arming"] if state["arming"] else state["armed"]   # not yet given out first
            spare_id, address = table.popitem()
            state["idle"][spare_id] = address
            self.send(address, DisarmSpare(spare_id))
            held -= 1
        armed = tuple(state["armed"].items())
        if armed != state["pushed"]:
            state["pushed"] = armed
            lanes = state["lanes"]
            for spare_id in [key for key in lanes if key not in state["armed"]]:
                del lanes[spare_id]
            self.send(self.peers.stream, ArmedSpares(armed, tuple(
                (spare_id, lanes[spare_id]) for spare_id, _ in armed if spare_id in lanes)))

    def fastpath_stream_restarted(self) -> None:
        self._fast_state()["pushed"] = None   # a new StreamActor starts with no armed set

    def receiveMsg_SpareArmed(self, msg: SpareArmed, sender):
        if self.copy_spare_armed(msg):
            return
        state = self._fast_state()
        address = state["arming"].pop(msg.spare_id, None)
        if address is None:
            return   # disarmed meanwhile (the spare released its reservation itself)
        if msg.ok:
            state["armed"][msg.spare_id] = address
            if msg.lane:
                state["lanes"][msg.spare_id] = msg.lane
        else:   # the wallet refused (not read yet, funds short): try again later, not at once
            if time.monotonic() >= state["retry_at"]:
                logger.info("director: spare not armed ({}); arming again in {:.0f} s", msg.reason,
                            ARM_RETRY_SECONDS)
                self.wakeupAfter(ARM_RETRY_SECONDS, payload="fastpath")   # any message syncs
            state["retry_at"] = time.monotonic() + ARM_RETRY_SECONDS

    def receiveMsg_FastOpened(self, msg: FastOpened, sender):
        for decision, spare_id, address, request_id in msg.entries:
            launch = decision.launch
            self.ledger.coins_seen += 1
            self.ledger.on_decision((time.time() - launch.received_at) * 1000)
            if not decision.buy:
                for key in decision.skip_keys or ("low score",):
                    self.ledger.skips[f"analysis: {key}"] += 1
                continue
            self._fast_spare_used(spare_id, address)
            self._book_fast_position(launch, address, request_id)

    def receiveMsg_FastPositionOpened(self, msg: FastPositionOpened, sender):
        """The position's own word: it comes before its TxSent and PositionClosed."""
        self._fast_spare_used(msg.spare_id, sender, written_mint=msg.launch.mint)
        self._book_fast_position(msg.launch, sender, msg.request_id)

    def _book_fast_position(self, launch, address, request_id: str) -> None:
        """Booked on the first of FastOpened (the stream) and FastPositionOpened (the position), so
        its slot is held at once; never again once booked (a closed position stays closed)."""
        if launch.mint in self.positions or request_id in self.ledger.position_ids:
            return
        from actors.director import LivePosition
        self.positions[launch.mint] = LivePosition(address, launch, request_id)
        self.ledger.position_ids.add(request_id)
        self.ledger.lifecycle["fast_path_opens"] += 1
        if self.peers.stream is not None:   # the stream watches it already; a restarted one may not
            self.send(self.peers.stream, WatchMint(launch.mint, address))
        if address in self._fast_state()["dead"]:   # the spare died before the stream's word came
            self._recover_position(launch.mint, self.positions[launch.mint])
            return
        self.verify_after_buy(launch.mint)

    def clean_stale_lanes(self) -> None:
        """At start: the lane directories of spares killed in earlier runs (actors/spare_lane.py)."""
        if self._fast_mode():
            removed = remove_stale_lanes()
            if removed:
                logger.info("director: removed {} stale fast-path lane director(ies)", removed)

    def note_dead_spare(self, address) -> None:
        """A spare exited: if the stream had just opened a position on it (its FastOpened still on
        the way), booking it restarts the position from its journal row at once."""
        self._fast_state()["dead"].append(address)

    # ---- buy then verify (analysis.verify = "after"; the position side: actors/position_verify.py)
    def _verifying(self) -> bool:
        return self._fast_mode() and self.settings.analysis.verify == "after"

    def start_verifier(self) -> None:
        """A supervised AnalyzerPool in full mode beside the fast one, for the checks after a buy."""
        if self._verifying():
            self._start_core("verifier")

    def verify_after_buy(self, mint: str) -> None:
        live = self.positions.get(mint)
        verifier = self.supervisor.address_of("verifier") if self._verifying() else None
        if live is not None and verifier is not None:
            self.send(live.address, VerifyAfterBuy(verifier, verifier_settings(self.settings)))

    def _fast_spare_used(self, spare_id: str, address, written_mint: str | None = None) -> None:
        """A spare the stream opened a position on: no longer a spare (heard from either side);
        `written_mint`: heard from the position, after its buy's bytes left."""
        state = self._fast_state()
        for table in ("arming", "armed", "idle"):   # under this id or a newer one
            for key, held in list(state[table].items()):
                if key == spare_id or held == address:
                    del state[table][key]
        if address in self.spares:
            self.spares.remove(address)
            state["replacing"].append((time.monotonic() + REPLACEMENT_WAIT_SECONDS, address))
        self._replace_used_spares(time.monotonic(), address if written_mint else None, written_mint)

    def _replace_used_spares(self, now: float, written_by=None, mint: str | None = None) -> None:
        """Fork the replacements due: the one of the spare that wrote `mint`'s buy (`written_by`)
        and those waited for REPLACEMENT_WAIT_SECONDS."""
        replacing = self._fast_state()["replacing"]
        for entry in [e for e in replacing if e[0] <= now or (written_by is not None and e[1] == written_by)]:
            replacing.remove(entry)
            if self.shutting_down:
                continue
            if written_by is not None and entry[1] == written_by:   # bench_detection_latency, tests
                hot_trace().stamp(mint, "replacement_forked")
                hot_trace().write(mint, kind="director")
            self._make_spare()

    def spare_replacements_due(self) -> int:
        """Used spares whose replacement waits for their buy's bytes (counted as spares meanwhile)."""
        return len(self._fast_state()["replacing"]) if hasattr(self, "_fast") else 0
