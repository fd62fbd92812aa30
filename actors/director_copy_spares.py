"""Armed spares for copies (trading.mode copy/both): the Director keeps COPY_ARMED_SPARES warm
PositionActors with one buy's funds reserved ahead (ArmSpare, as the fast path's), held back from
the StreamActor, and opens a copied buy on one of them: no fork of a fresh actor (the fast path may
hold every other spare) and no wallet round trip before the buy is signed and sent.

A copy takes an armed spare only when the armed reservation covers it: a SOL-paired coin (curve or
pool) and a budget no larger than trading.buy_lamports, what each spare reserved. Others (larger
copies, USDC-paired coins) take a plain warm spare and reserve their own funds. The armed spares
hold funds, not position slots: the Director's limits are checked when a copy is decided."""
from __future__ import annotations

import time

from actors.director_fastpath import ARM_RETRY_SECONDS, spare_reservation_key
from messages import new_request_id
from messages.fastpath import ArmSpare, DisarmSpare, SpareArmed
from messages.wallet import ReleaseMintReservations

COPY_ARMED_SPARES = 2        # copies seldom come in bursts; the used one is replaced at once
COPY_SPARE_PREFIX = "copyspare"


class CopySpares:
    """Mixin of Director: call copy_spares_sync() after each message; the state is made on first use."""

    def _copy_spares(self) -> dict:
        if not hasattr(self, "_copy_spare_tables"):
            self._copy_spare_tables = {"arming": {}, "armed": {}}   # spare_id -> address
            self._copy_arm_retry_at = 0.0
        return self._copy_spare_tables

    def copy_spare_ids_held(self) -> set:
        """id() of the spares armed (or arming) for copies: the fast path and the normal path leave them."""
        return {id(address) for table in self._copy_spares().values() for address in table.values()}

    def _copy_arming_wanted(self) -> int:
        if (getattr(self, "copy_desk", None) is None or not self.buying or self.ledger.breaker.tripped
                or self.safety_mode or self.shutting_down):
            return 0
        return COPY_ARMED_SPARES

    def copy_spares_sync(self) -> None:
        if self.settings is None or self.peers.wallet is None:
            return
        tables = self._copy_spares()
        alive = {id(spare) for spare in self.spares}
        for table in tables.values():   # spares that died meanwhile: their funds go back
            for spare_id, address in list(table.items()):
                if id(address) not in alive:
                    del table[spare_id]
                    self.send(self.peers.wallet, ReleaseMintReservations(spare_reservation_key(spare_id),
                                                                         "copy spare gone"))
        want, held = self._copy_arming_wanted(), len(tables["arming"]) + len(tables["armed"])
        if held < want and time.monotonic() >= self._copy_arm_retry_at:
            busy = self.spare_ids_held_by_fast_path()
            free = [spare for spare in self.spares if id(spare) not in busy]
            for _ in range(want - held - len(free)):   # the fast path holds them all: one more each
                self._make_spare()
                free.append(self.spares[-1])
            for spare in free[:want - held]:
                spare_id = new_request_id(COPY_SPARE_PREFIX)
                tables["arming"][spare_id] = spare
                self.send(spare, ArmSpare(spare_id))
        while held > want:
            table = tables["arming"] if tables["arming"] else tables["armed"]
            spare_id, address = table.popitem()
            self.send(address, DisarmSpare(spare_id))   # a plain spare again, its funds released
            held -= 1

    def copy_spare_armed(self, msg: SpareArmed) -> bool:
        """True when `msg` answers a copy spare's arming (else it is the fast path's)."""
        if not msg.spare_id.startswith(COPY_SPARE_PREFIX):
            return False
        tables = self._copy_spares()
        address = tables["arming"].pop(msg.spare_id, None)
        if address is not None and msg.ok:
            tables["armed"][msg.spare_id] = address
        elif address is not None:   # funds short, the wallet not read yet: armed again later, not at once
            self._copy_arm_retry_at = time.monotonic() + ARM_RETRY_SECONDS
        return True

    def take_copy_spare(self, launch, lamports: int):
        """An armed spare for this copy, out of the spares (_open_position makes its replacement), or None."""
        tables = self._copy_spares()
        if not tables["armed"] or not launch.sol_paired or lamports > self.settings.trading.buy_lamports:
            return None
        spare_id, address = tables["armed"].popitem()
        self.spares.remove(address)
        return address
