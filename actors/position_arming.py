"""A spare PositionActor armed for the fast path: it reserves one buy's funds ahead (ArmSpare), so
the OpenPosition the StreamActor sends goes straight to signing and sending with no wallet round
trip. Disarmed, it releases them and waits as a plain spare."""
from __future__ import annotations

import base64
import time

from loguru import logger

from actors.director_fastpath import spare_reservation_key
from actors.hot_process import tune_hot_process
from actors.hot_trace import hot_trace
from actors.process_kind import position_kind
from actors.position_model import Order, Position
from actors.trading_io import curve_from_launch
from actors.position_lane_thread import SpareLaneThread
from actors.spare_lane import LaneReceiver
from messages import new_request_id
from messages.fastpath import ArmSpare, DisarmSpare, FastPositionOpened, SpareArmed
from messages.wallet import FundsReserved, ReleaseFunds, ReservationRefused, ReserveFunds


class SpareArming(SpareLaneThread):
    """Mixin of PositionActor; stages 'arming' and 'armed' come before 'reserving'."""
    spare_id = ""
    armed_told = False   # SpareArmed sent for this arming (only once warm)
    started_at = 0.0     # StartPosition handled, and the first warm-up done (hot trace)
    first_warm_at = 0.0
    armings = 0          # ArmSpare handled: a disarmed spare is armed again under a new id
    lane: LaneReceiver | None = None   # the stream's direct line to this spare (spare_lane.py)

    def process_kind(self) -> str:
        return position_kind(self.stage)   # spare, armed or position (actors/process_kind.py)

    def _on_arm(self, msg: ArmSpare) -> None:
        if self.stage != "spare" or self.chain is None:
            self.send(self.peers.director, SpareArmed(msg.spare_id, False, f"not a spare ({self.stage})"))
            return
        if self.lane is None:   # armed the first time: this process is on the fast path
            tune_hot_process()
            try:
                self.lane = LaneReceiver()
                self._start_lane_thread()   # the lane is read there (actors/position_lane_thread.py)
            except (OSError, RuntimeError) as exc:   # no lane: the stream uses thespian, as before
                logger.warning("position: no fast-path lane ({!r}); thespian carries the launch", exc)
        self.stage, self.spare_id = "arming", msg.spare_id
        self.armings += 1
        hot_trace().stamp(f"spare:{msg.spare_id}", "arm_asked")
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
        self.armed_told = False
        self._tell_armed_when_warm()
        return True

    def _tell_armed_when_warm(self) -> None:
        """The Director (and so the stream) hears a spare is armed only once it can sign with no I/O:
        a fresh spare armed before its first warm-up took the launch the ordinary way (reads first;
        at 10 launches/s, replacements armed cold sent some launches that way). Called again by
        each warm-up."""
        if self.stage != "armed" or self.armed_told or not self.chain.warm():
            return
        self.armed_told = True
        self._trace_arming()
        self.send(self.peers.director, SpareArmed(self.spare_id, True,
                                                  lane=self.lane.path if self.lane is not None else ""))
        self.chain.hot_connect()   # the buy is written to it from this thread (adapters/hot_send.py)
        self._defer_checkpoints(True)   # the buy row's commit never pays for a WAL checkpoint
        self._rehearse_buy()

    def _trace_arming(self) -> None:
        """How long a spare took from its start to armed (bench_detection_latency: a burst outruns
        the replacements of the spares it uses). Its start only on its first arming: a spare
        disarmed (buying paused, a slot released) and armed again later is no replacement, and its
        age there read as a 48 s wait of the replacement stage (spare_started -> arm_asked)."""
        trace = hot_trace()
        if trace.on:
            key = f"spare:{self.spare_id}"
            if self.armings == 1:
                trace.stamp(key, "spare_started", self.started_at)
                if self.first_warm_at:
                    trace.stamp(key, "spare_warm", self.first_warm_at)
            trace.stamp(key, "spare_armed")
            trace.write(key, kind="spare")

    def _arming_refused(self, msg: ReservationRefused) -> bool:
        if self.stage != "arming":
            return False
        self.stage = "spare"
        self.send(self.peers.director, SpareArmed(self.spare_id, False, msg.reason))
        return True

    # ---- the lane and the buy with no I/O before the send -----------------------------------
    def _close_lane(self, exiting: bool = False) -> None:
        self._stop_lane_thread()
        if self.lane is not None:
            self.lane.close()
            self.lane = None
        if not exiting:
            self._resume_warm_ticks()

    def _rehearse_buy(self) -> None:
        """Run the buy's code once on a made-up coin, nothing sent or written: a spare buys once in its
        life, and its first run of the build, sign and row encoding paid ~0.5 ms more for cold
        interpreter caches (bench_detection_latency, stage spare_received -> signed)."""
        try:
            owner = str(self.chain.owner)
            launch = rehearsal_launch(owner)
            prepared = self.chain.prepare_buy_now(launch)
            if prepared is None:
                return
            position = Position("rehearsal", launch, wallet=owner,
                                genesis_hash=self.settings.chain.genesis_hash or "")
            position.expected_tokens = prepared.amount
            position.buy_order = Order("buy", prepared.signature, prepared.amount,
                                       prepared.last_valid_block_height, time.time(),
                                       raw=base64.b64encode(prepared.raw).decode())
            journal = self.journal.journal if self.journal is not None else None
            if journal is not None:   # rolled back: no rehearsal row ever exists
                journal.rehearse_save(position.to_row())
            if self.chain._hot is not None:
                self.chain._hot.request_bytes(prepared.raw)
            self.chain.prepare_sell_now(launch, prepared.amount, curve_from_launch(launch))   # the exit's
        except Exception as exc:   # a rehearsal never matters to the real buy
            logger.debug("position: buy rehearsal failed: {!r}", exc)

    def _open_armed_now(self, msg) -> bool:
        """An armed spare whose fee rates and blockhash are warm signs the buy right here, journals
        it once (the row already holds the buy: a restart confirms it, never re-sends) and sends it;
        the Director hears afterwards. False: the ordinary path (reads first, two journal rows)."""
        prepared = self._prepare_armed(msg)
        if prepared is None:
            return False
        self._send_buy(prepared, self._announcement(msg))   # a journal refusal ends in _finish, announced first
        return True

    def _prepare_armed(self, msg):
        """The signed buy and the Position of an armed spare's open, or None (the ordinary path).
        No thespian call: the lane thread runs it too (actors/position_lane_thread.py)."""
        if self.stage != "armed" or self.reservation_id is None or self.journal is None \
                or msg.buy_lamports or self.cancel_unsent_buy:
            return None
        prepared = self.chain.prepare_buy_now(msg.launch)
        if prepared is None:
            return None
        hot_trace().stamp(msg.launch.mint, "signed")
        self.detected_at = msg.detected_at
        self.position = Position(msg.request_id, msg.launch, wallet=str(self.chain.owner),
                                 genesis_hash=self.settings.chain.genesis_hash or "")
        return prepared

    def _announcement(self, msg) -> FastPositionOpened:
        return FastPositionOpened(msg.request_id, msg.launch, self.spare_id)


    def _defer_checkpoints(self, deferred: bool) -> None:
        journal = self.journal.journal if self.journal is not None else None
        if journal is not None:
            journal.defer_checkpoints(deferred)


def rehearsal_launch(owner: str):
    """A launch of a made-up coin (a fresh key as mint, the owner as creator) for _rehearse_buy."""
    from solders.pubkey import Pubkey
    from adapters.pumpfun.addresses import TOKEN_PROGRAM
    from messages.stream import Launch
    return Launch(str(Pubkey.new_unique()), str(Pubkey.new_unique()), owner, owner, "rehearsal", "R", "",
                  str(TOKEN_PROGRAM), 1_073_000_000_000_000, 30_000_000_000, 793_100_000_000_000, "", 0,
                  time.time())
