"""SellerActor: must-sell. Sells a mint's whole balance, at most one sell in flight per mint.

Each attempt verifies the balance on the chain first, sells natively on pump.fun with min SOL out
from the curve and the slippage setting, and reads the outcome from meta.err and the wallet's exact
changes. Failed attempts back off exponentially. Every signature is reported to the Director before
it is sent and after it settles, so PnL stays exact even if a position or this actor dies.
Routes, in order (SELL_ROUTES): native x3 (the curve, or the PumpSwap pool of a graduated coin),
then Jupiter x3. A complete curve with no pool to take the sale skips the native route at once.
"""
from __future__ import annotations

import asyncio
import os
import time

from loguru import logger

from actors.bridge import IOActor
from actors.pool_sell import prepare_native_sell
from actors.trading_io import ChainAccess, CurveComplete, process_logging
from messages.position import TxSent, TxSettled
from messages.seller import NothingToSell, SellFailed, SellSucceeded, SellTokens
from messages.start import PeersChanged, StartFailed, StartSeller
from messages.wallet import ExpectLamportChange
from messages.status import PidReply, PidRequest

ATTEMPTS_PER_ROUTE = 3
FIRST_BACKOFF_SECONDS = 0.25
SELL_TIMEOUT_SECONDS = 60.0


class SellerActor(IOActor):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.settings = None
        self.peers = None
        self.chain: ChainAccess | None = None
        self.in_flight: dict[str, list] = {}   # mint -> [(request, requester), ...] waiting on one sell

    async def on_loop_close(self) -> None:
        if self.chain is not None:   # close HTTP sessions before the loop stops
            await self.chain.close()

    def on_message(self, msg, sender) -> None:
        try:
            if isinstance(msg, StartSeller):
                self.settings, self.peers = msg.settings, msg.peers
                process_logging(msg.settings, "seller")
                self.chain = ChainAccess(msg.settings)
            elif isinstance(msg, SellTokens):
                self._on_sell(msg, sender)
            elif isinstance(msg, PeersChanged):
                self.peers = msg.peers
            elif isinstance(msg, PidRequest):
                self.send(sender, PidReply(msg.request_id, os.getpid()))
        except Exception as exc:
            logger.exception("seller: {} failed", type(msg).__name__)
            if isinstance(msg, StartSeller) and msg.peers.director is not None:
                self.send(msg.peers.director, StartFailed("seller", repr(exc)))
            if isinstance(msg, SellTokens):
                self.send(sender, SellFailed(msg.request_id, msg.mint, repr(exc), 0))

    def _on_sell(self, msg: SellTokens, sender) -> None:
        if self.chain is None:
            self.send(sender, SellFailed(msg.request_id, msg.mint, "seller not started", 0))
            return
        waiting = self.in_flight.get(msg.mint)
        if waiting is not None:   # one sell per mint: this request shares the running one's outcome
            waiting.append((msg, sender))
            return
        self.in_flight[msg.mint] = [(msg, sender)]
        logger.info("seller: selling {} ({})", msg.mint, msg.reason or "requested")
        self.submit(self._must_sell(msg), lambda outcome: self._finish(msg.mint, outcome),
                    lambda exc: self._finish(msg.mint, ("failed", repr(exc), 0, 0)),
                    timeout=SELL_TIMEOUT_SECONDS)

    async def _must_sell(self, msg: SellTokens):
        """Runs on the loop. Returns ('sold', settled, attempts) | ('nothing', attempts) |
        ('failed', reason, attempts, lamport_delta)."""
        fees_paid = 0
        attempts = 0
        last_error = "no route"
        token_program = msg.token_program or await self.chain.token_program_of(msg.mint)
        for route in SELL_ROUTES:
            for attempt in range(ATTEMPTS_PER_ROUTE):
                attempts += 1
                try:
                    held = await self.chain.token_balance(msg.mint, token_program)
                    if held == 0:
                        return ("nothing", attempts)
                    try:
                        prepared = await route(self.chain, msg.mint, token_program, held)
                    except CurveComplete as exc:
                        last_error = str(exc)
                        logger.info("seller: {}; next route", exc)
                        break
                    self.post(self._report_sent, msg.mint, prepared.signature)
                    settled = await self.chain.send_and_settle(prepared, msg.mint)
                    self.post(self._report_settled, msg.mint, settled)
                    fees_paid += settled.lamport_delta if not settled.ok else 0
                    if settled.ok:
                        return ("sold", settled, attempts, held)
                    last_error = settled.error
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    last_error = repr(exc)
                logger.warning("seller: {} attempt {} failed: {}", msg.mint, attempts, last_error)
                await asyncio.sleep(FIRST_BACKOFF_SECONDS * 2 ** attempt)
        return ("failed", last_error, attempts, fees_paid)

    def _report_sent(self, mint: str, signature: str) -> None:
        if self.peers.director is not None:   # one-shot runs (run.py --sell) have no Director
            self.send(self.peers.director, TxSent(mint, signature, "sell", time.time()))

    def _report_settled(self, mint: str, settled) -> None:
        self.send(self.peers.wallet, ExpectLamportChange(settled.signature, settled.lamport_delta))
        if self.peers.director is not None:
            self.send(self.peers.director, TxSettled(mint, settled.signature, "sell",
                                                     settled.lamport_delta, settled.ok,
                                                     settled.token_delta, settled.error, settled.usdc_delta))

    def _finish(self, mint: str, outcome: tuple) -> None:
        waiting = self.in_flight.pop(mint, [])
        for index, (request, requester) in enumerate(waiting):
            # only the first requester is credited with the sale's lamports: PnL counts it once
            credit = index == 0
            if outcome[0] == "sold":
                _, settled, attempts, held = outcome
                reply = SellSucceeded(request.request_id, mint, settled.signature, held,
                                      settled.lamport_delta if credit else 0, attempts)
                logger.info("seller: sold {} {} for {} lamports", held, mint, settled.lamport_delta)
            elif outcome[0] == "nothing":
                reply = NothingToSell(request.request_id, mint)
            else:
                _, reason, attempts, fees = outcome
                reply = SellFailed(request.request_id, mint, reason, attempts, fees if credit else 0)
                logger.error("seller: could not sell {}: {}", mint, reason)
            self.send(requester, reply)


async def native_pumpfun_sell(chain: ChainAccess, mint: str, token_program: str, amount: int):
    """Sell `amount` on the bonding curve, or on the PumpSwap pool once the coin graduated; closes
    the emptied token account to recover its rent."""
    return await prepare_native_sell(chain, mint, token_program, amount)


async def jupiter_sell(chain: ChainAccess, mint: str, token_program: str, amount: int):
    """Sell `amount` through Jupiter (curve or PumpSwap pool); the emptied account is closed later
    by the balance monitor."""
    return await chain.prepare_jupiter_sell(mint, amount)


SELL_ROUTES = (native_pumpfun_sell, jupiter_sell)
