"""A spare PositionActor armed for the fast path: it reserves one buy's funds ahead (ArmSpare), so
the OpenPosition the StreamActor sends goes straight to signing and sending with no wallet round
trip. Disarmed, it releases them and waits as a plain spare."""
from __future__ import annotations

from actors.director_fastpath import spare_reservation_key
from messages import new_request_id
from messages.fastpath import ArmSpare, DisarmSpare, FastPositionOpened, SpareArmed
from messages.wallet import FundsReserved, ReleaseFunds, ReservationRefused, ReserveFunds


class SpareArming:
    """Mixin of PositionActor; stages 'arming' and 'armed' come before 'reserving'."""
    spare_id = ""

    def _on_arm(self, msg: ArmSpare) -> None:
        if self.stage != "spare" or self.chain is None:
            self.send(self.peers.director, SpareArmed(msg.spare_id, False, f"not a spare ({self.stage})"))
            return
        self.stage, self.spare_id = "arming", msg.spare_id
        self.send(self.peers.wallet, ReserveFunds(new_request_id("rsv"), spare_reservation_key(msg.spare_id),
                                                  self.chain.buy_reservation_lamports()))

    def _announce_fast_open(self, msg) -> None:
        """Opened by the stream on an armed spare: the Director hears it from here first."""
        if self.stage in ("arming", "armed"):
            self.send(self.peers.director, FastPositionOpened(msg.request_id, msg.launch, self.spare_id))

    def _on_disarm(self, msg: DisarmSpare) -> None:
        if self.stage in ("arming", "armed") and msg.spare_id == self.spare_id:
            if self.reservation_id is not None:
                self.send(self.peers.wallet, ReleaseFunds(self.reservation_id))
                self.reservation_id = None
            self.stage = "spare"   # a reservation still on its way is released when it comes

    def _arming_reserved(self, msg: FundsReserved) -> bool:
        if self.stage != "arming":
            return False
        self.reservation_id, self.stage = msg.reservation_id, "armed"
        self.send(self.peers.director, SpareArmed(self.spare_id, True))
        return True

    def _arming_refused(self, msg: ReservationRefused) -> bool:
        if self.stage != "arming":
            return False
        self.stage = "spare"
        self.send(self.peers.director, SpareArmed(self.spare_id, False, msg.reason))
        return True
