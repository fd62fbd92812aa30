"""A PositionActor's partial sells (a mixin): SellPart sells a fraction of the tokens held and the
position stays open (copy trading: a target sold part of theirs). Parts wait while the buy is not
confirmed or another sell is in flight, then go one at a time; a part that would sell everything
is a full exit. A partial order is journaled before it is sent, like every order; a failed one is
not retried (the full exit, our own exit rules and must-sell still cover every token)."""
from __future__ import annotations

import base64
import time

from loguru import logger

from actors.pool_sell import prepare_pool_sell
from actors.position_model import ACTIVE, Order
from actors.trading_io import CurveComplete, CurveGraduated
from messages.position import TxSent

PART_PREPARE_TIMEOUT_SECONDS = 30.0


class PartialSells:
    parts: list | None = None            # queued (sold, before, reason), oldest first

    def _on_sell_part(self, msg) -> None:
        position = self.position
        if position is None or not position.is_open or self.exit_wanted or msg.before <= 0:
            return
        if msg.sold >= msg.before:
            self._request_exit(msg.reason)
            return
        if self.parts is None:
            self.parts = []
        self.parts.append((msg.sold, msg.before, msg.reason))
        self._next_part()

    def _next_part(self) -> None:
        """Start the oldest queued part when the buy is confirmed and no sell is under way."""
        position = self.position
        if (not self.parts or self.stage != "live" or position is None or position.state != ACTIVE
                or self.exit_wanted or self.preparing_sell or position.in_flight()):
            return
        sold, before, reason = self.parts.pop(0)
        held = position.bought_tokens - position.sold_tokens
        amount = held * sold // before
        if amount <= 0:
            self._next_part()
            return
        if amount >= held:
            self._request_exit(reason)
            return
        self.preparing_sell = True
        logger.info("position {}: {}: selling {} of {} held ({}/{})", self._mint, reason, amount, held,
                    sold, before)
        self.submit(self._prepare_part(amount), self._part_prepared, self._part_prepare_failed,
                    timeout=PART_PREPARE_TIMEOUT_SECONDS)

    async def _prepare_part(self, amount: int):
        launch = self.position.launch
        try:   # the token account stays open: the rest of the holding is still in it
            try:
                return await self.chain.prepare_sell(launch.mint, launch.token_program, amount,
                                                     close_ata=False)
            except CurveGraduated:   # on its PumpSwap pool (a pool-copied coin, actors/pool_buy.py)
                return await prepare_pool_sell(self.chain, launch.mint, launch.token_program, amount,
                                               close_ata=False)
        except CurveComplete:
            return await self.chain.prepare_jupiter_sell(launch.mint, amount, launch.quote_mint)

    def _part_prepared(self, prepared) -> None:
        self.preparing_sell = False
        position = self.position
        if not position.is_open or self.exit_wanted:   # the full exit took over: never sent
            self._advance()
            return
        order = Order("sell", prepared.signature, prepared.amount, prepared.last_valid_block_height,
                      time.time(), partial=True, raw=base64.b64encode(prepared.raw).decode())
        position.sell_orders.append(order)
        self._journal()   # before the send, as every order
        self.send(self.peers.director, TxSent(self._mint, prepared.signature, "sell", time.time()))
        self._send(prepared, order)

    def _part_prepare_failed(self, exc: BaseException) -> None:
        self.preparing_sell = False
        logger.warning("position {}: could not prepare a partial sell: {!r}", self._mint, exc)
        self._advance()
