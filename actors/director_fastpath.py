"""The Director's side of the fast path (analysis.mode = "fast"): it arms warm spares (each reserves
one buy's funds with the WalletActor) up to what the limits allow, hands the armed set to the
StreamActor, and books the positions the stream opened on them (FastOpened). Armed spares hold
position slots, so the normal path never exceeds the limits beside them; a set shrunk while the
stream was using a spare may let one position more through (the stream's use wins)."""
from __future__ import annotations

import time

from loguru import logger

from messages import new_request_id
from messages.fastpath import ArmedSpares, ArmSpare, DisarmSpare, FastOpened, SpareArmed
from messages.wallet import ReleaseMintReservations


def spare_reservation_key(spare_id: str) -> str:
    """The 'mint' an armed spare's reservation is held under until it buys."""
    return f"spare:{spare_id}"


class DirectorFastPath:
    """Mixin of Director: state lives in attributes created on first use."""

    def _fast_state(self) -> dict:
        if not hasattr(self, "_fast"):
            self._fast = {"arming": {}, "armed": {}, "pushed": None}   # spare_id -> address
        return self._fast

    def _fast_mode(self) -> bool:
        return self.settings is not None and self.settings.analysis.mode == "fast"

    def fast_slots_held(self) -> int:
        """Position slots held by armed (or arming) spares."""
        if not self._fast_mode():
            return 0
        state = self._fast_state()
        return len(state["arming"]) + len(state["armed"])

    def _arm_allowance(self) -> int:
        if self.ledger.breaker.tripped or self.safety_mode or not self.buying:
            return 0
        limits = self.settings.trading
        free = limits.max_active_positions - len(self.positions) - len(self.analysing)
        if limits.max_buys:
            unsent = sum(1 for live in self.positions.values() if not live.buy_sent)
            free = min(free, limits.max_buys - self.ledger.bought - unsent - len(self.analysing))
        return max(0, free)

    def _take_unarmed_spare(self):
        """A spare for the normal path: never one the stream may be using."""
        held = list(self._fast_state()["arming"].values()) + list(self._fast_state()["armed"].values())
        for index, spare in enumerate(self.spares):
            if spare not in held:
                return self.spares.pop(index)
        self._make_spare()
        return self.spares.pop()

    def fastpath_sync(self) -> None:
        """Arm or disarm spares to match the limits; push the armed set to the stream when it changed."""
        if not self._fast_mode() or self.shutting_down or self.peers.stream is None:
            return
        state = self._fast_state()
        for table in (state["arming"], state["armed"]):   # spares that died meanwhile
            for spare_id, address in list(table.items()):
                if address not in self.spares:
                    del table[spare_id]
                    self.send(self.peers.wallet, ReleaseMintReservations(spare_reservation_key(spare_id),
                                                                         "spare gone"))
        want = self._arm_allowance()
        held = len(state["arming"]) + len(state["armed"])
        if held < want:
            taken = list(state["arming"].values()) + list(state["armed"].values())
            for spare in [s for s in self.spares if s not in taken][:want - held]:
                spare_id = new_request_id("spare")
                state["arming"][spare_id] = spare
                self.send(spare, ArmSpare(spare_id))
        while held > want and (state["armed"] or state["arming"]):
            table = state["armed"] if state["armed"] else state["arming"]
            spare_id, address = table.popitem()
            self.send(address, DisarmSpare(spare_id))
            held -= 1
        armed = tuple(state["armed"].items())
        if armed != state["pushed"]:
            state["pushed"] = armed
            self.send(self.peers.stream, ArmedSpares(armed))

    def fastpath_stream_restarted(self) -> None:
        self._fast_state()["pushed"] = None   # a new StreamActor starts with no armed set

    def receiveMsg_SpareArmed(self, msg: SpareArmed, sender):
        state = self._fast_state()
        address = state["arming"].pop(msg.spare_id, None)
        if address is None:
            return   # disarmed meanwhile (the spare released its reservation itself)
        if msg.ok:
            state["armed"][msg.spare_id] = address
        else:
            logger.warning("director: spare not armed: {}", msg.reason)

    def receiveMsg_FastOpened(self, msg: FastOpened, sender):
        state = self._fast_state()
        for decision, spare_id, address, request_id in msg.entries:
            launch = decision.launch
            self.ledger.coins_seen += 1
            self.ledger.on_decision((time.time() - launch.received_at) * 1000)
            if not decision.buy:
                for key in decision.skip_keys or ("low score",):
                    self.ledger.skips[f"analysis: {key}"] += 1
                continue
            state["armed"].pop(spare_id, None)
            state["arming"].pop(spare_id, None)
            if address in self.spares:
                self.spares.remove(address)
            from actors.director import LivePosition
            self.positions[launch.mint] = LivePosition(address, launch, request_id)
            self.ledger.position_ids.add(request_id)
            self.ledger.lifecycle["fast_path_opens"] += 1
            self._make_spare()
