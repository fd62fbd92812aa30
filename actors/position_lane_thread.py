"""An armed spare reads its lane (actors/spare_lane.py) in a thread of its own that signs, journals
and writes the buy itself, instead of waking the actor thread through thespian's select loop
(~0.6 ms p50 and a long tail under load: bench_detection_latency, handed_off -> spare_received).

Threads. The lane thread runs actor code only while it holds the actor's actor_lock, which the
actor thread holds for every message and completion it handles (actors/bridge.py): the two never
touch the position at once, and the lock's release/acquire orders their memory. The lane thread
makes no thespian call (thespian is not thread-safe): what follows the write (the reply, the
Director's FastPositionOpened and TxSent, the max-hold timer) is posted to the actor thread, and
the first message the actor handles afterwards runs it first if the post has not yet (so nothing of
the position is handled before its buy is booked). The journal-before-send rule is unchanged: the
row holding the buy is written before the bytes leave (PositionActor._write_buy)."""
from __future__ import annotations

import contextlib
import gc
import select
import socket
import threading

from loguru import logger

from actors.hot_trace import hot_trace
from actors.process_priority import lower_thread
from actors.hot_threads import burst_thread, hot_thread
from messages.position import PositionFailed

LANE_POLL_SECONDS = 1.0       # the armed spare's refresh tick; a stop wakes the thread through lane_wake
LANE_STOP_WAIT_SECONDS = 1.0


@contextlib.contextmanager
def no_gc():
    """No collection in the buy's few ms (sign, row, write: thousands of allocations may start one,
    a full one costs ms in a large process); the spare buys once, so nothing piles up."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class SpareLaneThread:
    """Mixin of PositionActor (through SpareArming)."""
    lane_thread: threading.Thread | None = None
    lane_stop: threading.Event | None = None
    lane_written = None   # (prepared, announce, (sent_at, connection) or None): the actor follows up
    lane_wake = None      # (read end, write end): a stop wakes the thread's select at once
    lane_warms = False    # the lane thread keeps the armed spare warm: no thespian wake-up meanwhile

    def _start_lane_thread(self) -> None:
        self.lane_stop = threading.Event()
        self.lane_wake = socket.socketpair()
        self.lane_thread = threading.Thread(target=self._lane_loop,
                                            args=(self.lane, self.lane_stop, self.lane_wake[0]),
                                            name="spare-lane", daemon=True)
        self.lane_thread.start()

    def _lane_loop(self, lane, stop: threading.Event, wake) -> None:
        hot_thread(self.settings)   # signs and writes the buy (actors/hot_threads.py)
        try:
            while not stop.is_set():
                readable, _, _ = select.select([lane.sock, wake], [], [], LANE_POLL_SECONDS)
                if not readable:
                    self._lane_refresh(stop)
                for _spare_id, msg in (lane.drain() if lane.sock in readable else ()):
                    hot_trace().stamp(msg.launch.mint, "spare_received")
                    burst_thread(self.settings)   # woken on the short slice, the buy in one long one
                    with self.actor_lock, no_gc():
                        if stop.is_set():
                            return
                        outcome = self._lane_open(msg)
                    if outcome == "bought":
                        self.post(self._finish_lane_buy)
                        return   # a spare buys once: nothing more comes this way
                    self.post(self._lane_open_in_actor if outcome == "not_here" else self._lane_failed, msg)
                    hot_thread(self.settings)
        except (OSError, ValueError):   # the lane was closed at exit
            return

    def _lane_keeps_warm(self) -> bool:
        """An armed spare's warm values are refreshed by its lane thread, at its select's timeout:
        an idle armed spare's thespian wake-up each second cost ~0.8 ms of CPU, the thread's tick
        ~0.1 ms (measured with every armed spare idle). Asked by each warm-up (PositionActor._warmed)."""
        self.lane_warms = self.stage == "armed" and self.lane_thread is not None \
            and self.lane_thread.is_alive()
        return self.lane_warms

    def _lane_refresh(self, stop: threading.Event) -> None:
        """The tick: the bot's shared values (a file read, no I/O to the chain) while armed; anything
        else (the stage changed, the values stale, the hot connection gone) hands the warm-up back
        to the actor thread, whose wake-ups then go on as before."""
        if not self.lane_warms:
            return
        with self.actor_lock:
            if stop.is_set() or not self.lane_warms:
                return
            if self.stage == "armed" and self.chain.warm_from_shared() and self.chain.hot_ready():
                return
            self.lane_warms = False
        self.post(self._keep_warm)

    def _resume_warm_ticks(self) -> None:
        """The lane is closing: the actor thread's wake-ups keep this process warm from now on."""
        if self.lane_warms:
            self.lane_warms = False
            self._keep_warm()

    def _lane_open(self, msg) -> str:
        """'bought' (written, or refused by the journal: the actor thread follows up), 'not_here'
        (the actor thread opens it the ordinary way) or 'failed' (an error after the spare changed)."""
        if self.journal is None:
            return "not_here"
        try:
            prepared = self._prepare_armed(msg)
            if prepared is None:
                return "not_here"
            self.stage = "live"
            self.lane_written = (prepared, self._announcement(msg), self._write_buy(prepared))
            return "bought"
        except Exception:
            logger.exception("position {}: the lane thread's buy failed", msg.launch.mint)
            return "not_here" if self.stage == "armed" and self.position is None else "failed"

    # ---- in the actor thread ---------------------------------------------------------------------
    def _finish_lane_buy(self) -> None:
        """What follows the lane thread's write; run once, by whichever comes first of its post and
        the next message."""
        pending, self.lane_written = self.lane_written, None
        if pending is None:
            return
        prepared, announce, written = pending
        if written is None:
            self._buy_not_journaled(announce)
        else:
            self._buy_written(prepared, announce, *written)
            self._io_thread_in_background()
        self._close_lane()

    def _io_thread_in_background(self) -> None:
        """Its buy written, the position's I/O loop reads replies and confirmations: never hot (the
        sell is written from the actor thread, position_quick_sell.py), so at a lower weight."""
        hot = self.chain._hot if self.chain is not None else None
        if self._loop_thread is not None and hot is not None and hot.usable:   # https: the loop sends
            lower_thread(self.settings, self._loop_thread.native_id)

    def _lane_open_in_actor(self, msg) -> None:
        self.on_message(msg, self.peers.director)
        if self.stage not in ("spare", "arming", "armed"):   # used: nothing more comes this way
            self._close_lane()

    def _lane_failed(self, msg) -> None:
        """As PositionActor.on_message answers an OpenPosition whose handler raised."""
        self.stage = "closed"
        self.send(self.peers.director, PositionFailed(msg.request_id, msg.launch.mint,
                                                      "the lane thread's buy failed"))
        self._close_lane()

    def _stop_lane_thread(self) -> None:
        if self.lane_stop is not None:
            self.lane_stop.set()
        wake, self.lane_wake = self.lane_wake, None
        if wake is not None:
            try:
                wake[1].send(b"x")   # out of select now, not at its next poll
            except OSError:
                pass
        thread = self.lane_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(LANE_STOP_WAIT_SECONDS)   # it may wait for actor_lock (held here): it then stops
        self.lane_thread = None
        if wake is not None:
            for end in wake:
                end.close()
