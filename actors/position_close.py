"""A PositionActor's follow-up close (a mixin): when a Jupiter sale sold every token, its route left
the emptied token account open; before the position closes it sends CloseAccount (actors/account_close.py)
as an order of kind 'close', journaled before it is sent like every order, so its lamport change (the
rent back, less the fee) is in the position's PnL and the Director's books. A failed close is not
retried: the balance monitor's sweep closes empty accounts too."""
from __future__ import annotations

import base64
import time

from loguru import logger

from actors.account_close import CLOSE, prepare_close_if_emptied
from actors.position_model import CONFIRMED, Order
from actors.sell_ladder import JUPITER
from messages.position import TxSent

CLOSE_PREPARE_TIMEOUT_SECONDS = 30.0


class EmptiedAccountClose:
    closing_account = False          # the close is being prepared
    account_close_checked = False    # looked once and found nothing to close (or could not)

    def _close_emptied_account(self) -> bool:
        """True while a follow-up close is on its way: the position closes once it settled."""
        position = self.position
        if self.closing_account:
            return True
        if self.account_close_checked or any(o.kind == CLOSE for o in position.sell_orders):
            return False
        if not any(o.kind == "sell" and o.state == CONFIRMED and o.route == JUPITER for o in position.sell_orders):
            return False   # the native routes close the account in the sale's own transaction
        self.closing_account = True
        launch = position.launch
        self.submit(prepare_close_if_emptied(self.chain, launch.mint, launch.token_program),
                    self._close_prepared, self._close_prepare_failed, timeout=CLOSE_PREPARE_TIMEOUT_SECONDS)
        return True

    def _close_prepared(self, prepared) -> None:
        self.closing_account = False
        position = self.position
        if prepared is None or not position.is_open:   # closed already, or tokens came back in
            self.account_close_checked = True
            self._advance()
            return
        order = Order(CLOSE, prepared.signature, 0, prepared.last_valid_block_height, time.time(),
                      raw=base64.b64encode(prepared.raw).decode())
        position.sell_orders.append(order)
        self._journal()   # before the send, as every order
        self.send(self.peers.director, TxSent(self._mint, prepared.signature, CLOSE, time.time()))
        logger.info("position {}: closing the token account Jupiter's sale emptied", self._mint)
        self._send(prepared, order)

    def _close_prepare_failed(self, exc: BaseException) -> None:
        self.closing_account = False
        self.account_close_checked = True
        logger.warning("position {}: could not close the emptied token account ({!r}); the balance "
                       "monitor's sweep closes it", self._mint, exc)
        self._advance()
