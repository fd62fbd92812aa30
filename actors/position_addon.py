"""A PositionActor's repeat buys (a mixin): BuyMore buys more of the coin into the open position (copy
trading: the target bought it again; its amount is raw USDC for a USDC-paired coin). One at a time,
once the first buy confirmed and no sell is in flight or being prepared; each reserves its own
funds, is journaled before it is sent (an ADD_BUY order: a restart confirms it, never sends it
again) and adds its tokens and cost to the position.
While one is in flight no sell goes out (position_model.decide), so its tokens are sold with the rest.
A repeat buy that cannot go (an exit came, the reservation was refused) is dropped, not retried."""
from __future__ import annotations

import base64
import time

from loguru import logger

from actors.position_model import ACTIVE, ADD_BUY, Order
from messages import new_request_id
from messages.position import TxSent
from messages.wallet import ReleaseFunds, ReserveFunds

ADD_PREPARE_TIMEOUT_SECONDS = 30.0


class RepeatBuys:
    addons: list | None = None          # queued BuyMore, oldest first
    addon_request: str | None = None    # the reservation asked for the repeat buy under way
    addon_reservation: str | None = None
    addon_prepared = None
    addon_settings = None               # the position's settings with the repeat buy's budget
    addon_busy = False                  # one repeat buy from reservation to settlement

    def _on_buy_more(self, msg) -> None:
        position = self.position
        if position is None or not position.is_open or self.exit_wanted or msg.lamports <= 0:
            logger.info("position {}: repeat buy dropped ({}): the position is exiting", self._mint, msg.reason)
            return
        if self.addons is None:
            self.addons = []
        self.addons.append(msg)
        self._next_addon()

    def _next_addon(self) -> None:
        position = self.position
        if (not self.addons or self.addon_busy or self.stage != "live" or position is None
                or position.state != ACTIVE or self.exit_wanted or self.preparing_sell or position.in_flight()):
            return
        msg = self.addons.pop(0)
        self.addon_busy = True
        self.addon_request = new_request_id("rsv")
        sol_paired = position.launch.sol_paired   # else msg.lamports is raw USDC (actors/usdc_trades.py)
        budget = "trading.buy_lamports" if sol_paired else "trading.usdc_buy_amount"
        self.addon_settings = self.settings.replace(**{budget: msg.lamports})
        logger.info("position {}: {}: buying {} {} more", self._mint, msg.reason, msg.lamports,
                    "lamports" if sol_paired else "raw USDC")
        self.send(self.peers.wallet, ReserveFunds(self.addon_request, self._mint,
                                                  self._addon_chain_reservation(not sol_paired),
                                                  usdc=0 if sol_paired else msg.lamports))
        self.submit(self._prepare_addon(msg.launch), self._addon_prepared_ok, self._addon_failed,
                    timeout=ADD_PREPARE_TIMEOUT_SECONDS)

    def _addon_chain_reservation(self, paid_in_usdc: bool) -> int:
        saved, self.chain.settings = self.chain.settings, self.addon_settings
        try:
            return self.chain.buy_reservation_lamports(paid_in_usdc)
        finally:
            self.chain.settings = saved

    async def _prepare_addon(self, launch):
        saved, self.chain.settings = self.chain.settings, self.addon_settings
        try:   # only buy_lamports differs: a sell prepared meanwhile is not affected
            return await self.chain.prepare_buy(launch)
        finally:
            self.chain.settings = saved

    def _addon_reserved(self, msg) -> bool:
        if self.addon_request is None or msg.request_id != self.addon_request:
            return False
        self.addon_request, self.addon_reservation = None, msg.reservation_id
        self._send_addon_when_ready()
        return True

    def _addon_refused(self, msg) -> bool:
        if self.addon_request is None or msg.request_id != self.addon_request:
            return False
        self.addon_request = None
        self._addon_failed(RuntimeError(f"reservation refused: {msg.reason}"))
        return True

    def _addon_prepared_ok(self, prepared) -> None:
        self.addon_prepared = prepared
        self._send_addon_when_ready()

    def _send_addon_when_ready(self) -> None:
        if self.addon_prepared is None or self.addon_reservation is None:
            return
        prepared, self.addon_prepared = self.addon_prepared, None
        position = self.position
        if not position.is_open or self.exit_wanted or self.preparing_sell or position.in_flight():
            self._addon_failed(RuntimeError("the position moved on before the repeat buy left"))
            return
        order = Order(ADD_BUY, prepared.signature, prepared.amount, prepared.last_valid_block_height, time.time(),
                      raw=base64.b64encode(prepared.raw).decode(),   # a restart rebroadcasts it
                      budget_lamports=(self.addon_settings.trading.buy_lamports   # raw USDC is no lamports
                                       if position.launch.sol_paired else 0))
        position.add_buys.append(order)
        if not self._journal():   # never sent unjournaled
            position.add_buys.remove(order)
            self._addon_failed(RuntimeError("journal failed: the repeat buy was not sent"))
            return
        self.send(self.peers.director, TxSent(self._mint, prepared.signature, ADD_BUY, time.time()))
        self._send(prepared, order)

    def _addon_failed(self, exc: BaseException) -> None:
        if self.addon_busy:
            logger.warning("position {}: repeat buy not made: {!r}", self._mint, exc)
        self._addon_settled()

    def _addon_settled(self, advance: bool = True) -> None:
        """The repeat buy under way is over (landed, failed or never sent): free its funds, go on
        (advance=False: the caller advances the position itself)."""
        if self.addon_reservation is not None:
            self.send(self.peers.wallet, ReleaseFunds(self.addon_reservation))
        self.addon_request = self.addon_reservation = self.addon_prepared = None
        self.addon_busy = False
        if advance:
            self._advance()
