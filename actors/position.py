"""PositionActor: one mint's whole life -- reserve, buy, confirm, watch, exit, sell, close.

Every transaction's outcome is read from the chain (meta.err and the wallet's exact lamport and token
changes), never assumed from a confirmation. The Director is told each signature before it is sent
(TxSent) and its exact effect after (TxSettled), so PnL stays exact even if this process dies; a
restarted PositionActor gets RecoverPosition, settles what was pending and sells whatever is held.
"""
from __future__ import annotations

import os
import time

from loguru import logger
from thespian.actors import WakeupMessage

from actors.bridge import IOActor
from actors.trading_io import ChainAccess, curve_from_trade, exit_reason, process_logging
from messages import new_request_id
from messages.position import (ExitNow, OpenPosition, PositionClosed, PositionFailed,
                               RecoverPosition, TxSent, TxSettled)
from messages.seller import NothingToSell, SellFailed, SellSucceeded, SellTokens
from messages.start import PeersChanged, StartPosition
from messages.status import PidReply, PidRequest
from messages.stream import TradeBatch
from messages.wallet import ExpectLamportChange, FundsReserved, ReleaseFunds, ReservationRefused, ReserveFunds

BUY_TIMEOUT_SECONDS = 30.0
SELL_REPLY_TIMEOUT_SECONDS = 45.0   # no answer from the seller (it may have been restarted): ask again
SELL_RETRY_DELAY_SECONDS = 1.0
MAX_SELL_REQUESTS = 5
SPARE_REFRESH_SECONDS = 1.0         # keeps a spare's connection warm; a buy fetches a blockhash if older than 0.4 s


class PositionActor(IOActor):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.settings = None
        self.peers = None
        self.chain: ChainAccess | None = None
        self.stage = "spare"
        self.request_id = ""
        self.launch = None
        self.detected_at = 0.0
        self.reservation_id = None
        self.bought_tokens = 0
        self.cost_lamports = 0          # what the buy took from the wallet (fees and rent included)
        self.pnl_lamports = 0
        self.generation = 0             # invalidates stale wakeups (they cannot be cancelled)
        self.sell_request_id = ""
        self.sell_requests = 0
        self.exit_why = ""
        self.buy_signature = ""
        self.prepared = None            # signed buy waiting for the reservation
        self.exit_soon = ""             # ExitNow arrived before tokens were held

    # ---- dispatch ------------------------------------------------------------------------------
    async def on_loop_close(self) -> None:
        if self.chain is not None:   # close HTTP sessions before the loop stops
            await self.chain.close()

    def on_message(self, msg, sender) -> None:
        handler = {
            StartPosition: self._on_start, OpenPosition: self._on_open,
            RecoverPosition: self._on_recover, FundsReserved: self._on_funds_reserved,
            ReservationRefused: self._on_refused, TradeBatch: self._on_trades,
            SellSucceeded: self._on_sold, NothingToSell: self._on_nothing_to_sell,
            SellFailed: self._on_sell_failed, PeersChanged: self._on_peers,
            WakeupMessage: self._on_wakeup, ExitNow: self._on_exit_now,
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
            if isinstance(msg, (OpenPosition, RecoverPosition)):
                self.stage = "closed"   # a position that cannot start is not left half-open
                mint = getattr(getattr(msg, "launch", None), "mint", self._mint)
                self.send(sender, PositionFailed(msg.request_id, str(mint), repr(exc)))

    @property
    def _mint(self) -> str:
        return self.launch.mint if self.launch is not None else "-"

    def _on_start(self, msg: StartPosition) -> None:
        self.settings, self.peers = msg.settings, msg.peers
        process_logging(msg.settings, "position")
        self.chain = ChainAccess(msg.settings)   # loads the keypair now, so a buy never waits for it
        self._keep_warm()

    def _keep_warm(self) -> None:
        """While a spare: keep the RPC connection, fee rates and a blockhash fresh for the next buy."""
        if self.stage != "spare":
            return
        self.submit(self.chain.warm_up(), lambda _: None,
                    lambda exc: logger.warning("position: warm-up failed: {!r}", exc))
        self.wakeupAfter(SPARE_REFRESH_SECONDS, payload=("warm", None))

    def _on_peers(self, msg: PeersChanged) -> None:
        self.peers = msg.peers
        if self.stage == "selling":
            self._request_sell()   # the seller may be new: the old request may be lost

    # ---- buy -----------------------------------------------------------------------------------
    def _on_open(self, msg: OpenPosition) -> None:
        if self.stage != "spare":
            self.send(self.peers.director, PositionFailed(msg.request_id, msg.launch.mint,
                                                          f"position busy ({self.stage})"))
            return
        self.request_id, self.launch, self.detected_at = msg.request_id, msg.launch, msg.detected_at
        self.stage = "reserving"
        self.send(self.peers.wallet, ReserveFunds(
            new_request_id("rsv"), self.launch.mint, self.chain.buy_reservation_lamports()))
        # signing does not wait for the reservation; sending does (saves a round trip of latency)
        self.submit(self.chain.prepare_buy(self.launch), self._buy_prepared, self._prepare_failed,
                    timeout=BUY_TIMEOUT_SECONDS)

    def _on_refused(self, msg: ReservationRefused) -> None:
        if self.stage == "reserving":
            logger.info("position {}: reservation refused: {}", self._mint, msg.reason)
            self.prepared = None   # never sent: no TxSent, nothing reached the chain
            self._close("refused", detail=msg.reason)

    def _on_funds_reserved(self, msg: FundsReserved) -> None:
        if self.stage != "reserving":
            self.send(self.peers.wallet, ReleaseFunds(msg.reservation_id))
            return
        self.reservation_id = msg.reservation_id
        self._send_buy_when_ready()

    def _buy_prepared(self, prepared) -> None:
        if self.stage == "reserving":
            self.prepared = prepared
            self._send_buy_when_ready()

    def _prepare_failed(self, exc: BaseException) -> None:
        if self.stage == "reserving":
            logger.warning("position {}: could not prepare the buy: {!r}", self._mint, exc)
            self._release()
            self._close("buy_failed", detail=f"prepare failed: {exc!r}")

    def _send_buy_when_ready(self) -> None:
        if self.prepared is None or self.reservation_id is None:
            return
        prepared, self.prepared = self.prepared, None
        self.stage = "buying"
        # the signature exists before the send: the Director hears it first (our journal)
        self.buy_signature = prepared.signature
        self.send(self.peers.director, TxSent(self._mint, prepared.signature, "buy", time.time(),
                                              self.detected_at))
        self.submit(self.chain.send_and_settle(prepared, self._mint), self._buy_settled,
                    self._buy_failed, timeout=BUY_TIMEOUT_SECONDS)

    def _buy_settled(self, settled) -> None:
        self._report_settled(settled, "buy")
        self._release()   # after the wallet heard the change, so it never sees an unexplained drop
        if not settled.ok or settled.token_delta <= 0:
            logger.warning("position {}: buy failed: {}", self._mint, settled.error or "no tokens")
            self._close("buy_failed", detail=settled.error)
            return
        self.bought_tokens = settled.token_delta
        self.cost_lamports = -settled.lamport_delta
        self.stage = "holding"
        logger.info("position {}: bought {} tokens for {} lamports", self._mint,
                    self.bought_tokens, self.cost_lamports)
        if self.exit_soon:
            self._exit(self.exit_soon)
            return
        self.generation += 1
        self.wakeupAfter(self.settings.trading.max_hold_seconds,
                         payload=("max_hold", self.generation))

    def _buy_failed(self, exc: BaseException) -> None:
        # the tx may or may not have landed: recover from the chain as a restart would
        logger.warning("position {}: buy did not settle: {!r}", self._mint, exc)
        self._release()
        pending = (self.buy_signature,) if self.buy_signature else ()
        self._on_recover(RecoverPosition(self.request_id, self.launch, pending))

    def _release(self) -> None:
        if self.reservation_id is not None:
            self.send(self.peers.wallet, ReleaseFunds(self.reservation_id))
            self.reservation_id = None

    # ---- watch and exit --------------------------------------------------------------------------
    def _on_trades(self, msg: TradeBatch) -> None:
        if self.stage != "holding" or not msg.trades:
            return
        last = msg.trades[-1]
        limits = self.settings.trading
        if self.chain.global_ is None:
            return   # fee rates are read with the buy; without them no exit can be priced
        why = exit_reason(self.cost_lamports, self.bought_tokens,
                          curve_from_trade(last, self.launch), self.chain.global_,
                          limits.take_profit_pct, limits.stop_loss_pct)
        if why:
            self._exit(why)

    def _on_wakeup(self, msg: WakeupMessage) -> None:
        kind, generation = msg.payload if isinstance(msg.payload, tuple) else (None, None)
        if kind == "warm":
            self._keep_warm()
            return
        if generation != self.generation:
            return
        if kind == "max_hold" and self.stage == "holding":
            self._exit("max_hold")
        elif kind == "sell_timeout" and self.stage == "selling":
            logger.warning("position {}: no answer from the seller, asking again", self._mint)
            self._request_sell()

    def _on_exit_now(self, msg: ExitNow) -> None:
        self.exit_soon = msg.reason
        if self.stage == "holding":
            self._exit(msg.reason)   # otherwise the exit follows as soon as the buy settles

    def _exit(self, why: str) -> None:
        logger.info("position {}: exit ({})", self._mint, why)
        self.exit_why = why
        self.stage = "selling"
        self._request_sell()

    def _request_sell(self) -> None:
        self.sell_requests += 1
        if self.sell_requests > MAX_SELL_REQUESTS:
            self._close("unsellable", detail="seller never answered")
            return
        self.sell_request_id = new_request_id("sell")
        self.send(self.peers.seller, SellTokens(self.sell_request_id, self._mint,
                                                self.launch.token_program, self.exit_why))
        self.generation += 1
        self.wakeupAfter(SELL_REPLY_TIMEOUT_SECONDS, payload=("sell_timeout", self.generation))

    def _on_sold(self, msg: SellSucceeded) -> None:
        if self.stage == "selling":
            self.pnl_lamports += msg.lamport_delta
            self._close("sold")

    def _on_nothing_to_sell(self, msg: NothingToSell) -> None:
        if self.stage == "selling":
            self._close("sold" if self.bought_tokens else "nothing_held")

    def _on_sell_failed(self, msg: SellFailed) -> None:
        if self.stage != "selling" or msg.request_id != self.sell_request_id:
            return
        self.pnl_lamports += msg.lamport_delta
        logger.warning("position {}: sell failed ({}), trying again", self._mint, msg.reason)
        self.generation += 1
        self.wakeupAfter(SELL_RETRY_DELAY_SECONDS, payload=("sell_timeout", self.generation))

    # ---- recovery after a restart ----------------------------------------------------------------
    def _on_recover(self, msg: RecoverPosition) -> None:
        self.request_id, self.launch = msg.request_id, msg.launch
        self.stage = "recovering"
        self.exit_why = self.exit_why or "recovered"
        logger.warning("position {}: recovering ({} pending signatures)", self._mint,
                       len(msg.pending_signatures))
        self.submit(self.chain.settle_pending(msg.pending_signatures, self._mint),
                    self._pending_settled, self._recover_failed)

    def _pending_settled(self, settlements) -> None:
        for settled in settlements:
            self._report_settled(settled, settled.kind)
        self.submit(self.chain.held_tokens(self.launch), self._recovered_balance, self._recover_failed)

    def _recovered_balance(self, held: int) -> None:
        self.bought_tokens = max(self.bought_tokens, held)
        if held > 0:
            self._exit(self.exit_why or "recovered")
        else:
            self._close("nothing_held" if not self.bought_tokens else "sold")

    def _recover_failed(self, exc: BaseException) -> None:
        logger.error("position {}: chain unreadable during recovery: {!r}; selling anyway", self._mint, exc)
        self._exit("recovered")   # the seller verifies the balance itself

    # ---- reporting -----------------------------------------------------------------------------
    def _report_settled(self, settled, kind: str) -> None:
        self.pnl_lamports += settled.lamport_delta
        self.send(self.peers.wallet, ExpectLamportChange(settled.signature, settled.lamport_delta))
        self.send(self.peers.director, TxSettled(self._mint, settled.signature, kind,
                                                 settled.lamport_delta, settled.ok,
                                                 settled.token_delta, settled.error))

    def _close(self, outcome: str, detail: str = "") -> None:
        self.stage = "closed"
        self.generation += 1
        self.send(self.peers.director, PositionClosed(self.request_id, self._mint, outcome,
                                                      self.bought_tokens, self.pnl_lamports,
                                                      self.exit_why, detail))
