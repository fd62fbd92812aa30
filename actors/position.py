"""PositionActor: one mint's whole life, journaled -- reserve, send the buy, watch while it confirms,
exit (even before the buy confirms), sell, close.

The lifecycle policy is position_model.decide(); this actor only feeds it events (trades, time ticks,
order outcomes, ExitNow) and carries out its answer. Every order is written to the journal BEFORE it
is sent, so a restarted actor (RecoverPosition) confirms what is in flight instead of sending it
again. Outcomes come from the chain (meta.err, the wallet's exact lamport and token changes).
"""
from __future__ import annotations

import base64
import dataclasses
import os
import threading
import time

from loguru import logger
from thespian.actors import WakeupMessage

from actors import sell_ladder
from actors.bridge import IOActor
from actors.hot_trace import hot_trace
from actors.lost_sells import landed_unknown_sells
from actors.position_journal import GuardedJournal
from actors.policy.exits import ExitWatch, exit_reason as exit_signal
from actors.policy.graduation import graduation_exit
from actors.position_arming import SpareArming
from actors.position_close import EmptiedAccountClose
from actors.position_addon import RepeatBuys
from actors.position_partial import PartialSells
from actors.position_quick_sell import QuickSell
from actors.position_verify import BuyThenVerify
from actors.position_model import (ACTIVE, ADD_BUY, CLOSE_FAILED, CLOSE_SOLD, CLOSED, CLOSING, CONFIRMED,
                                   EXPIRED, FAILED, PENDING, POSITION_FAILED, SELL, SENT, Order,
                                   Position, decide, presell_outcome, sell_amount)
from actors.trading_io import ChainAccess, Settlement, curve_from_trade, process_logging
from adapters.journal import Journal, JournalError, journal_path
from adapters.logs import first_to_warn
from messages import new_request_id
from messages.copy import BuyMore, SellPart
from messages.position import (ExitNow, OpenPosition, PositionClosed, PositionFailed,
                               RecoverPosition, TxSent, TxSettled)
from messages.safety import JournalFailed
from messages.analysis import AnalysisDecision, AnalysisFailed
from messages.fastpath import ArmSpare, DisarmSpare, VerifyAfterBuy
from messages.start import PeersChanged, StartFailed, StartPosition
from messages.status import PidReply, PidRequest
from messages.stream import TradeBatch
from messages.wallet import ExpectLamportChange, FundsReserved, ReleaseFunds, ReservationRefused, ReserveFunds

PREPARE_TIMEOUT_SECONDS = 30.0
CONFIRM_TIMEOUT_SECONDS = 180.0      # longer than a blockhash lives (150 blocks), so it ends in expiry
CONFIRM_RETRY_SECONDS = 1.0          # the RPC failed while confirming: ask again (never re-send)
SELL_RETRY_SECONDS = 1.0             # first pause of each rung of the ladder (actors/sell_ladder.py)
SPARE_REFRESH_SECONDS = 1.0          # keeps a spare's connection warm for the next buy
WARM_BACKOFF_MAX_SECONDS = 60.0      # a failing endpoint: warm-up retries back off up to this
JOURNAL_RETRY_SECONDS = 0.5          # a closing row the journal refused is written again this often
JOURNAL_CATCH_UP_SECONDS = 30.0      # ... at most this long before the closure is reported anyway


class PositionActor(SpareArming, QuickSell, PartialSells, RepeatBuys, BuyThenVerify, EmptiedAccountClose,
                    IOActor):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.settings = None
        self.before_start: list = []   # an Open/RecoverPosition that overtook StartPosition
        self.peers = None
        self.chain: ChainAccess | None = None
        self.journal: GuardedJournal | None = None
        self.stage = "spare"            # spare -> reserving -> live (the Position has the rest)
        self.position: Position | None = None
        self.detected_at = 0.0
        self.reservation_id = None
        self.prepared = None            # signed buy waiting for the reservation
        self.exit_wanted = False
        self.cancel_unsent_buy = False  # close-all: a buy not sent yet never goes out
        self.preparing_sell = False
        self.sell_failures = 0
        self.last_sell_error = ""
        self.sells_by_rung = {rung: 0 for rung in sell_ladder.RUNGS}
        self.raw_by_signature: dict[str, bytes] = {}   # signed bytes to rebroadcast (not journaled)
        self.generation = 0             # invalidates stale wakeups (they cannot be cancelled)
        self.warm_failures = 0          # consecutive failed warm-ups of a spare (backoff)
        self.buy_journal_cost: dict = {}   # the buy row's write: lock polls, CPU and wall ms (hot trace)

    # ---- dispatch ------------------------------------------------------------------------------
    async def on_loop_close(self) -> None:
        if self.chain is not None:   # close HTTP sessions before the loop stops
            await self.chain.close()

    def on_exit(self) -> None:
        self._close_lane(exiting=True)
        if self.journal is not None:
            self.journal.close()

    def on_message(self, msg, sender) -> None:
        self._finish_lane_buy()   # a buy the lane thread wrote is booked before anything else
        if self.journal is None and isinstance(msg, (OpenPosition, RecoverPosition)):
            # thespian may deliver it before StartPosition (seen after a root restart under load)
            self.before_start.append((msg, sender))
            return
        handler = {
            StartPosition: self._on_start, OpenPosition: self._on_open,
            RecoverPosition: self._on_recover, FundsReserved: self._on_funds_reserved,
            ReservationRefused: self._on_refused, TradeBatch: self._on_trades,
            PeersChanged: self._on_peers, WakeupMessage: self._on_wakeup, ExitNow: self._on_exit_now,
            ArmSpare: self._on_arm, DisarmSpare: self._on_disarm,
            SellPart: self._on_sell_part, BuyMore: self._on_buy_more,
            VerifyAfterBuy: self._on_verify, AnalysisDecision: self._on_verify_decision,
            AnalysisFailed: self._on_verify_failed,   # buy then verify (actors/position_verify.py)
        }.get(type(msg))
        if isinstance(msg, PidRequest):
            self.send(sender, PidReply(msg.request_id, os.getpid()))
            return
        if handler is None:
            logger.debug("position: ignored {}", type(msg).__name__)
            return
        try:
            handler(msg)
        except Exception as exc:
            logger.exception("position {}: {} failed", self._mint, type(msg).__name__)
            if isinstance(msg, StartPosition) and msg.peers.director is not None:
                self.send(msg.peers.director, StartFailed("position", repr(exc)))
            if isinstance(msg, (OpenPosition, RecoverPosition)) and self.stage != "live":
                self.stage = "closed"   # a position that cannot start is not left half-open
                mint = getattr(getattr(msg, "launch", None), "mint", self._mint)
                self.send(sender, PositionFailed(msg.request_id, str(mint), repr(exc)))

    @property
    def _mint(self) -> str:
        return self.position.mint if self.position is not None else "-"

    def _on_start(self, msg: StartPosition) -> None:
        self.settings, self.peers = msg.settings, msg.peers
        self.started_at = time.time()
        process_logging(msg.settings, "position")
        self.chain = ChainAccess(msg.settings)   # loads the keypair now, so a buy never waits for it
        path = journal_path(msg.settings)
        self.journal = GuardedJournal(lambda: Journal(path), self._journal_failed)
        early, self.before_start = self.before_start, []
        for message, sender in early:
            self.on_message(message, sender)
        self._keep_warm()

    def _keep_warm(self) -> None:
        if not self._keeps_warm():   # position_quick_sell.py
            return
        if self.chain.warm_from_shared():   # the bot's shared values, no I/O (actors/chain_cache.py)
            self._warmed(None)
            return
        self.submit(self.chain.warm_up(), self._warmed, self._warm_failed,
                    timeout=PREPARE_TIMEOUT_SECONDS)

    def _warmed(self, _result) -> None:
        self.chain.hot_connect()   # buys and sells are written to it from this thread (hot_send.py)
        if self.warm_failures:
            logger.info("position: warm-up works again after {} failure(s)", self.warm_failures)
        self.warm_failures = 0
        self.first_warm_at = self.first_warm_at or time.time()
        self._tell_armed_when_warm()   # an arming that waited for this warm-up (position_arming.py)
        if not self._lane_keeps_warm():   # an armed spare's lane thread ticks (position_lane_thread.py)
            self.wakeupAfter(SPARE_REFRESH_SECONDS, payload=("warm", None))

    def _warm_failed(self, exc: BaseException) -> None:
        # exponential backoff, one warning per step (8 spares once warned 8 times a second)
        self.warm_failures += 1
        delay = min(SPARE_REFRESH_SECONDS * 2 ** self.warm_failures, WARM_BACKOFF_MAX_SECONDS)
        level = ("WARNING" if first_to_warn(self.settings.run.run_dir, f"warm-up-{self.warm_failures}",
                                            delay) else "DEBUG")   # one spare speaks for all
        logger.log(level, "position: warm-up failed ({} in a row): {!r}; next try in {:.0f} s",
                   self.warm_failures, exc, delay)
        self.wakeupAfter(delay, payload=("warm", None))

    def _on_peers(self, msg: PeersChanged) -> None:
        self.peers = msg.peers

    def _journal(self) -> bool:
        """Write the row; False when the journal failed. Safety mode (README "Journal failure"):
        the position carries on from memory; a buy is never sent unjournaled, a sell still is
        (it offers only tokens held, so a restart cannot sell twice; it is what strands nothing)."""
        return self.journal.save(self.position.to_row())

    def _journal_failed(self, reason: str) -> None:
        if threading.get_ident() != self.actor_thread_id:   # a lane thread's write: thespian is not thread-safe
            self.post(self._journal_failed, reason)
            return
        self.send(self.peers.director, JournalFailed(self.position.position_id, self._mint, reason))

    # ---- buy: send now, confirm in the background ------------------------------------------------
    def _on_open(self, msg: OpenPosition) -> None:
        if self.stage not in ("spare", "arming", "armed") or self.journal is None:
            self.send(self.peers.director, PositionFailed(msg.request_id, msg.launch.mint,
                                                          f"position not ready ({self.stage})"))
            return
        trace = hot_trace()
        trace.stamp(msg.launch.mint, "spare_received")
        if self._open_armed_now(msg):   # signed here, journaled once, sent (position_arming.py)
            return
        self._announce_fast_open(msg)
        self.stage, self.detected_at = "reserving", msg.detected_at
        if msg.buy_lamports:   # a copy's own budget (copy trading; raw USDC for a USDC-paired coin)
            budget = "trading.buy_lamports" if msg.launch.sol_paired else "trading.usdc_buy_amount"
            self.settings = self.settings.replace(**{budget: msg.buy_lamports})
            self.chain.settings = self.settings
        self.position = Position(msg.request_id, msg.launch, wallet=str(self.chain.owner),
                                 genesis_hash=self.settings.chain.genesis_hash or "")
        if not self._journal():   # nothing sent yet: a position that cannot be journaled never buys
            self.stage = "live"
            self._release()   # an armed spare's reservation too
            self._finish(POSITION_FAILED, "nothing_held", "journal failed: not bought")
            return
        if self.reservation_id is not None and not msg.launch.sol_paired:
            self._release()   # an armed spare reserved a SOL buy: this one pays USDC, reserved below
        if self.reservation_id is None:   # an armed spare holds its reservation already
            self.send(self.peers.wallet, ReserveFunds(
                new_request_id("rsv"), msg.launch.mint,
                self.chain.buy_reservation_lamports(not msg.launch.sol_paired),
                usdc=0 if msg.launch.sol_paired else self.settings.trading.usdc_buy_amount))
        trace.stamp(msg.launch.mint, "journaled")
        # signing does not wait for the reservation; sending does (saves a round trip of latency)
        self.submit(trace_stage(self.chain.prepare_buy(msg.launch), msg.launch.mint, "signed"),
                    self._buy_prepared, self._prepare_failed,
                    timeout=PREPARE_TIMEOUT_SECONDS)

    def _on_refused(self, msg: ReservationRefused) -> None:
        if self._arming_refused(msg) or self._addon_refused(msg):
            return
        if self.stage == "reserving":
            self.prepared = None   # never sent: nothing reached the chain
            self._finish(POSITION_FAILED, "refused", f"reservation refused: {msg.reason}")

    def _on_funds_reserved(self, msg: FundsReserved) -> None:
        if self._arming_reserved(msg) or self._addon_reserved(msg):
            return
        if self.stage != "reserving":
            self.send(self.peers.wallet, ReleaseFunds(msg.reservation_id))
            return
        self.reservation_id = msg.reservation_id
        self._send_buy_when_ready()

    def _buy_prepared(self, prepared) -> None:
        hot_trace().stamp(self._mint, "signed_in_actor")
        if self.stage == "reserving":
            self.prepared = prepared
            self._send_buy_when_ready()

    def _prepare_failed(self, exc: BaseException) -> None:
        if self.stage == "reserving":
            self._release()
            self._finish(POSITION_FAILED, "buy_failed", f"prepare failed: {exc!r}")

    def _send_buy_when_ready(self) -> None:
        if self.prepared is None or self.reservation_id is None:
            return
        prepared, self.prepared = self.prepared, None
        self._send_buy(prepared)

    def _send_buy(self, prepared, announce=None) -> None:
        """Journal the buy, send it, then tell the Director; `announce` (an armed spare's
        FastPositionOpened) reaches it before anything else of this position."""
        self.stage = "live"
        if self.cancel_unsent_buy:   # close-all came before the buy left: nothing is bought
            self._tell_director(announce)
            self._release()
            self._finish(POSITION_FAILED, "nothing_held", "exit before the buy was sent: not bought")
            return
        written = self._write_buy(prepared)
        if written is None:
            self._buy_not_journaled(announce)
            return
        self._buy_written(prepared, announce, *written)

    def _write_buy(self, prepared) -> tuple | None:
        """Journal the buy, then write it: (sent_at, connection or None); None when the journal
        refused it (nothing sent). No thespian call: an armed spare's lane thread runs it too,
        holding actor_lock (actors/position_lane_thread.py)."""
        self.position.expected_tokens = prepared.amount
        self.position.buy_order = Order("buy", prepared.signature, prepared.amount,
                                        prepared.last_valid_block_height, time.time(),
                                        raw=base64.b64encode(prepared.raw).decode())
        mint, cost_before = self._mint, hot_trace().thread_clock()
        if not self.journal.save(self.position.to_row(),   # before the send: a restart confirms it, never re-sends
                                 hot_stage=lambda name: hot_trace().stamp(mint, name)):
            self.position.buy_order = None   # never sent
            self._defer_checkpoints(False)
            return None
        hot_trace().stamp(self._mint, "journaled_sent")
        sent_at = time.time()   # just before the bytes are written (or handed to the I/O loop)
        connection = self._write(prepared, self.position.buy_order)
        # measured after the write: measuring between the row and the write cost it ms (bench)
        self.buy_journal_cost = {**hot_trace().thread_cost(cost_before, "journal"),
                                 "journal_lock_waits": self.journal.lock_waits}
        self._defer_checkpoints(False)   # an armed spare's: its later commits checkpoint as any
        return sent_at, connection

    def _buy_not_journaled(self, announce) -> None:
        self._tell_director(announce)
        self._release()
        self._finish(POSITION_FAILED, "nothing_held", "journal failed: the buy was not sent")

    def _buy_written(self, prepared, announce, sent_at: float, connection) -> None:
        """After the buy's bytes left (in the actor thread): its reply, the Director, max hold."""
        self._follow_send(prepared, self.position.buy_order, connection)
        self._tell_director(announce)   # after the send: the Director's word costs the buy nothing
        self.send(self.peers.director, TxSent(self._mint, prepared.signature, "buy", sent_at,
                                              self.detected_at))
        self.generation += 1
        self.wakeupAfter(self.settings.trading.max_hold_seconds, payload=("max_hold", self.generation))

    def _send(self, prepared, order: Order) -> None:
        self._follow_send(prepared, order, self._write(prepared, order))

    def _write(self, prepared, order: Order):
        """The bytes written now on a kept-open connection (adapters/hot_send.py), or None."""
        self.raw_by_signature[order.signature] = prepared.raw
        # stamped before the write: the node, woken by it, may take this core before a stamp after it
        hot_trace().stamp(self._mint, f"{order.kind}_send_start")   # the ordinary path re-stamps
        return self.chain.send_now(prepared)   # written from this thread

    def _follow_send(self, prepared, order: Order, connection) -> None:
        """Read the reply of what _write wrote, or send it the ordinary way (in the actor thread)."""
        if connection is not None:
            send = self.chain.sent_reply(connection)
        else:
            send = self.chain.send(prepared)
            if hot_trace().on:
                send = trace_send(send, self._mint, order.kind)
        self.submit(send, lambda result: self._sent(order, *result),
                    lambda exc: self._sent(order, repr(exc), True))
        logger.info("order {} {}: -> SENT ({} tokens, journaled first)", order.kind,   # after: off the path
                    order.signature[:12], order.amount)

    def _sent(self, order: Order, error: str, maybe_sent: bool) -> None:
        hot_trace().write(self._mint, kind=order.kind, **(self.buy_journal_cost if order.kind == "buy" else {}))
        if error and not maybe_sent:   # it never left: it cannot land
            self._settled(order, Settlement(order.signature, order.kind, False, False, 0, 0, error))
            return
        self._confirm(order)
        self._advance()   # an exit that came while the buy was being sent goes out now, after it

    def _confirm(self, order: Order) -> None:
        self.submit(self.chain.confirm(order.signature, order.kind, self._mint,
                                       order.last_valid_block_height,
                                       raw=self.raw_by_signature.get(order.signature)),
                    lambda settled: self._settled(order, settled),
                    lambda exc: self._confirm_failed(order, exc), timeout=CONFIRM_TIMEOUT_SECONDS)

    def _confirm_failed(self, order: Order, exc: BaseException) -> None:
        logger.warning("position {}: confirming {} failed ({!r}); asking again", self._mint,
                       order.signature[:12], exc)
        self.wakeupAfter(CONFIRM_RETRY_SECONDS, payload=("confirm", order.signature))

    def _settled(self, order: Order, settled: Settlement) -> None:
        position = self.position
        if order.state != SENT or not position.is_open:
            return
        if settled.found:
            state = CONFIRMED if settled.ok else FAILED
        else:
            state = EXPIRED if settled.expired else FAILED
        if state == CONFIRMED and order.kind == "buy" and settled.token_delta <= 0:
            state = FAILED
        self.raw_by_signature.pop(order.signature, None)
        position.settle(order, state, settled.error, settled.lamport_delta, settled.token_delta,
                        settled.usdc_delta)
        self._report_settled(order, settled)
        if order.kind == "buy":
            self._release()   # after the wallet heard the change, so it never sees an unexplained drop
            if state == CONFIRMED and position.state == PENDING:
                position.move(ACTIVE, f"buy confirmed: {position.bought_tokens} tokens")
        elif order.kind == ADD_BUY:
            self._addon_settled(advance=False)   # a repeat buy (actors/position_addon.py)
        self._journal()
        if order.kind == "sell" and state != CONFIRMED and not order.partial:
            self.sell_failures += 1
            self.last_sell_error = settled.error or state.lower()
            # a sell that ran before the buy landed is re-sent at once; any other after a pause
            if position.buy_order.state == CONFIRMED and not order.before_buy_confirmed:
                self._retry_sell_later()
                return
        self._advance()

    def _tell_director(self, msg) -> None:
        if msg is not None:
            self.send(self.peers.director, msg)

    def _release(self) -> None:
        if self.reservation_id is not None:
            self.send(self.peers.wallet, ReleaseFunds(self.reservation_id))
            self.reservation_id = None

    # ---- watch and exit --------------------------------------------------------------------------
    def _on_trades(self, msg: TradeBatch) -> None:
        self._note_own_landings(msg.trades)
        position = self.position
        if (self.stage != "live" or self.exit_wanted or not msg.trades
                or position.state not in (PENDING, ACTIVE) or self.chain.global_ is None):
            return
        confirmed = position.state == ACTIVE
        # before the buy confirms, price the expected tokens against the budget spent on them;
        # a USDC-paired coin's curve prices in USDC: its cost is the USDC the buy took
        if position.launch.sol_paired:
            cost = position.cost_lamports if confirmed else self.settings.trading.buy_lamports
        else:
            cost = position.cost_usdc if confirmed else self.settings.trading.usdc_buy_amount
        tokens = position.bought_tokens if confirmed else position.expected_tokens
        limits = self.settings.trading
        if getattr(self, "exit_watch", None) is None:
            self.exit_watch = ExitWatch()
        self.last_curve = curve_from_trade(msg.trades[-1], position.launch)   # the quick sell's price
        if any(trade.curve_complete for trade in msg.trades):   # graduated: the pool, not the curve
            self.last_curve = dataclasses.replace(self.last_curve, complete=True)
        why = graduation_exit(msg.trades, limits.exit_on_graduation) or exit_signal(
            cost, tokens, self.last_curve, self.chain.global_, limits, self.exit_watch)
        if why:
            self._request_exit(why)

    def _note_own_landings(self, trades) -> None:
        """An order of ours among the coin's trades has landed: its confirmation stops backing off
        and looks at once (actors/settle_watch.py)."""
        if self.position is None or self.chain is None:
            return
        in_flight = {order.signature for order in self.position.in_flight()}
        for trade in trades:
            if trade.signature in in_flight:
                self.loop.call_soon_threadsafe(self.chain.sightings.saw, trade.signature)

    def _on_wakeup(self, msg: WakeupMessage) -> None:
        kind, tag = msg.payload if isinstance(msg.payload, tuple) else (None, None)
        if kind == "warm":
            self._keep_warm()
        elif kind == "confirm" and self.position is not None:
            order = next((o for o in self.position.in_flight() if o.signature == tag), None)
            if order is not None:
                self._confirm(order)
        elif kind == "journal":
            self._retry_closing_row(*tag)
        elif kind == "recover":
            self._on_recover(*tag)
        elif kind == "verify":
            self._verify_timed_out(tag)
        elif kind == "verify-early":
            self._on_verify(*tag)
        elif tag != self.generation:
            return
        elif kind == "max_hold":
            self._request_exit("max_hold")
        elif kind == "advance":
            self._advance()

    def _on_exit_now(self, msg: ExitNow) -> None:
        self.cancel_unsent_buy = self.cancel_unsent_buy or msg.cancel_unsent_buy
        self._request_exit(msg.reason)

    def _request_exit(self, why: str) -> None:
        if self.exit_wanted or self.position is None or not self.position.is_open:
            return
        self.exit_wanted = True
        self.position.exit_reason, self.position.exit_at = why, time.time()
        hot_trace().stamp(self._mint, "exit_signal", self.position.exit_at)
        if self.stage == "live":
            sells = len(self.position.sell_orders)
            self._advance()   # a quick sell's row (journaled before its send) records the exit too
            if self.position.is_open and len(self.position.sell_orders) == sells:
                self._journal()
        logger.info("position {}: exit signal ({}) with the buy {}", self._mint, why,
                    self.position.buy_order.state if self.position.buy_order else "not sent yet")

    def _advance(self) -> None:
        """Carry out what the lifecycle policy says now."""
        position = self.position
        if self.stage != "live" or position is None or not position.is_open:
            return
        action, why = decide(position, self.exit_wanted, self.settings.trading.sell_before_buy_confirms)
        if action == SELL:
            self._start_sell(why)
        elif action == CLOSE_SOLD:
            if self._close_emptied_account():   # a Jupiter sale left it open (actors/position_close.py)
                return
            if position.state == ACTIVE:
                position.move(CLOSING, why)
            self._finish(CLOSED, "sold", why)
        elif action == CLOSE_FAILED:
            self._finish(POSITION_FAILED, "buy_failed", why)
        else:
            self._next_part()   # a queued partial sell (copy trading) may go now
            self._next_addon()  # ... or a queued repeat buy

    # ---- sell ------------------------------------------------------------------------------------
    def _start_sell(self, why: str) -> None:
        position = self.position
        if self.preparing_sell:
            return
        rung = sell_ladder.rung_for(self.sell_failures)
        if rung is None:   # the last rung failed: the sweep (balance monitor) tries again later
            self._finish(POSITION_FAILED, "unsellable",
                         sell_ladder.unsellable_reason(self.sells_by_rung, self.last_sell_error))
            return
        if position.state != CLOSING:
            position.move(CLOSING, why)
        if self._quick_sell():   # no I/O before the send (position_quick_sell.py)
            return
        self.preparing_sell = True
        held_only = position.buy_order.state == CONFIRMED
        via_jupiter = rung == sell_ladder.JUPITER
        # a complete curve's sell may wait for its pool first (trading.migration_wait_seconds)
        self.submit(self.chain.prepare_position_sell(position.launch, sell_amount(position), held_only,
                                                     via_jupiter),
                    self._sell_prepared, self._sell_prepare_failed,
                    timeout=PREPARE_TIMEOUT_SECONDS + self.settings.trading.migration_wait_seconds)

    def _sell_prepared(self, prepared) -> None:
        self.preparing_sell = False
        position = self.position
        if not position.is_open:
            return
        if prepared is None:   # the wallet holds none: a sell of ours never journaled? (lost_sells.py)
            known = {order.signature for order in position.sell_orders + [position.buy_order]}
            self.submit(landed_unknown_sells(self.chain, position.launch, known), self._book_lost_sells,
                        lambda exc: self._book_lost_sells([], exc), timeout=PREPARE_TIMEOUT_SECONDS)
            return
        order = Order("sell", prepared.signature, prepared.amount, prepared.last_valid_block_height,
                      time.time(), before_buy_confirmed=position.buy_order.state == SENT,
                      raw=base64.b64encode(prepared.raw).decode(), route=prepared.route)
        self.sells_by_rung[prepared.route or sell_ladder.rung_for(self.sell_failures)] += 1
        position.sell_orders.append(order)
        self._journal()   # before the send, as for the buy
        sent_at = time.time()
        self._send(prepared, order)
        self.send(self.peers.director, TxSent(self._mint, prepared.signature, "sell", sent_at,
                                              position.exit_at or 0.0))   # exit -> sell sent
        logger.info("position {}: sell of {} sent {:.1f} ms after the exit signal{}", self._mint,
                    order.amount, (sent_at - position.exit_at) * 1000,
                    " (before the buy confirmed)" if order.before_buy_confirmed else "")

    def _book_lost_sells(self, settlements: list, lookup_error: BaseException | None = None) -> None:
        position = self.position
        if not position.is_open:
            return
        if not settlements:   # no sell of ours took them: not "sold"
            self._finish(POSITION_FAILED, "tokens_gone",
                         f"the wallet holds none of the {sell_amount(position)} tokens left to sell"
                         + (f" (the chain lookup failed: {lookup_error!r})" if lookup_error else ""))
            return
        for settled in settlements:
            logger.warning("position {}: sell {} found on chain: sent but never journaled; booked now",
                           self._mint, settled.signature[:12])
            order = Order("sell", settled.signature, -settled.token_delta, 0, time.time())
            position.sell_orders.append(order)
            self.send(self.peers.director, TxSent(self._mint, settled.signature, "sell", order.sent_at))
            self._settled(order, settled)
        self._advance()

    def _sell_prepare_failed(self, exc: BaseException) -> None:
        self.preparing_sell = False
        self.sell_failures += 1
        self.last_sell_error = f"could not prepare the sell: {exc!r}"
        logger.warning("position {}: could not prepare the sell: {!r}", self._mint, exc)
        self._retry_sell_later()

    def _retry_sell_later(self) -> None:
        """Exponential backoff within each rung (1, 2, 4 s native; again for Jupiter)."""
        self.generation += 1
        delay = sell_ladder.backoff_seconds(self.sell_failures, SELL_RETRY_SECONDS)
        self.wakeupAfter(delay, payload=("advance", self.generation))

    # ---- recovery after a restart ----------------------------------------------------------------
    def _on_recover(self, msg: RecoverPosition, give_up_at: float | None = None) -> None:
        try:
            row = self.journal.load(msg.request_id)
        except JournalError as exc:   # read-only for a while: read again, the tokens wait for it
            if give_up_at is None:
                give_up_at = time.monotonic() + JOURNAL_CATCH_UP_SECONDS
                logger.warning("position {}: its journal row cannot be read now ({}); retried for {:.0f} s",
                               msg.launch.mint, exc, JOURNAL_CATCH_UP_SECONDS)
            if time.monotonic() >= give_up_at:
                self.stage = "closed"
                logger.error("position {}: cannot read its journal row: {}", msg.launch.mint, exc)
                self.send(self.peers.director, PositionFailed(msg.request_id, str(msg.launch.mint), repr(exc)))
                return
            self.wakeupAfter(JOURNAL_RETRY_SECONDS, payload=("recover", (msg, give_up_at)))
            return
        self.stage = "live"
        if row is None:   # it died before its first journal write: nothing was ever sent
            self.position = Position(msg.request_id, msg.launch)
            self._finish(POSITION_FAILED, "nothing_held", "recovered: no journal row, nothing sent")
            return
        self.position = position = Position.from_row(row)
        in_flight = position.in_flight()
        logger.warning("position {}: recovering from the journal ({}, {} order(s) in flight)",
                       self._mint, position.state, len(in_flight))
        if not position.is_open:
            self._report_closed(position.outcome, "recovered: already " + position.state)
            return
        if position.buy_order is None:
            self._finish(POSITION_FAILED, "nothing_held", "recovered: the buy was never sent")
            return
        self.exit_wanted = bool(position.exit_reason)
        for order in in_flight:   # confirmed, never signed again; its journaled bytes rebroadcast
            if order.signed_bytes:
                self.raw_by_signature[order.signature] = order.signed_bytes
            self._retell_sent(order)
            self._confirm(order)
        for order in position.orders():
            if order.state != SENT:
                self._retell_settled(order)
        if not self.exit_wanted:
            held_for = time.time() - position.buy_order.sent_at
            self.generation += 1
            self.wakeupAfter(max(0.0, self.settings.trading.max_hold_seconds - held_for),
                             payload=("max_hold", self.generation))
        self._advance()

    def _retell_sent(self, order: Order) -> None:
        """The dead actor may have journaled an order and died before its TxSent left (an armed
        spare's lane thread posts it after the write): told again, the Director books each
        signature once (DirectorLedger.on_tx_sent skips one it knows)."""
        detected_at = self.position.launch.received_at if order.kind == "buy" else 0.0
        self.send(self.peers.director, TxSent(self._mint, order.signature, order.kind, order.sent_at,
                                              detected_at))

    def _retell_settled(self, order: Order) -> None:
        """The dead actor may have journaled an order's outcome and died before its TxSettled left:
        told again from the journal, the Director books each signature once (DirectorLedger.on_tx_settled
        skips one it knows, or one sent before what it booked and forgot)."""
        self.send(self.peers.director, self._settled_message(order, sent_at=order.sent_at))

    # ---- reporting -----------------------------------------------------------------------------
    def _settled_message(self, order: Order, **landing) -> TxSettled:
        """The Director's report of a settled order, from the order's own record (Order.settle)."""
        return TxSettled(self._mint, order.signature, order.kind, order.lamport_delta, order.state == CONFIRMED,
                         order.token_delta, order.error, usdc_delta=order.usdc_delta, **landing)

    def _report_settled(self, order: Order, settled: Settlement) -> None:
        self.send(self.peers.wallet, ExpectLamportChange(order.signature, settled.lamport_delta, settled.slot))
        landed = (settled.slot - self.position.launch.slot
                  if order.kind == "buy" and settled.found and settled.slot else -1)
        self.send(self.peers.director, self._settled_message(order, slots_after_create=landed, slot=settled.slot))

    def _finish(self, state: str, outcome: str, why: str) -> None:
        position = self.position
        position.move(state, why)
        position.outcome = outcome
        if self._journal():
            self._report_closed(outcome, why)
        else:   # the closing row is retried first, so the journal ends current (position_journal.py)
            self._retry_closing_row(outcome, why, time.monotonic() + JOURNAL_CATCH_UP_SECONDS)

    def _retry_closing_row(self, outcome: str, why: str, give_up_at: float) -> None:
        self.stage = "closed"
        if self._journal():
            logger.warning("position {}: closing row journaled after the journal failure", self._mint)
        elif time.monotonic() < give_up_at:
            self.wakeupAfter(JOURNAL_RETRY_SECONDS, payload=("journal", (outcome, why, give_up_at)))
            return
        else:
            logger.error("position {}: the journal stays broken: its row is NOT current ({})",
                         self._mint, self.position.state)
        self._report_closed(outcome, why)

    def _report_closed(self, outcome: str, detail: str) -> None:
        position = self.position
        self.stage = "closed"
        self.generation += 1
        self.send(self.peers.director, PositionClosed(
            position.position_id, self._mint, outcome, position.bought_tokens, position.pnl_lamports,
            position.exit_reason, detail, position.state, presell_outcome(position)))


async def trace_stage(coro, key: str, stage: str):
    """Await coro, then stamp `stage` on the loop (hot_trace.py; a no-op unless tracing)."""
    result = await coro
    hot_trace().stamp(key, stage)
    return result


async def trace_send(coro, key: str, kind: str):
    trace = hot_trace()
    trace.stamp(key, f"{kind}_send_start")
    result = await coro
    trace.stamp(key, f"{kind}_send_done")
    return result
