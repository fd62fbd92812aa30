"""SellerActor: must-sell. Sells a mint's whole balance, at most one sell in flight per mint.

Each attempt verifies the balance on the chain first, sells with min SOL out from the quote and the
slippage setting, rebroadcasts the same signed bytes until it lands or its blockhash expires, and
reads the outcome from meta.err and the wallet's exact changes. Failed attempts back off
exponentially. Every signature is reported to the Director before it is sent and after it settles,
so PnL stays exact even if a position or this actor dies.
The ladder (actors/sell_ladder.py): native x3 (the pump.fun curve, or the PumpSwap pool of a
graduated coin), then Jupiter x3; each attempt is bounded by its blockhash, not the request by a
clock. A complete curve whose pool does not appear within trading.migration_wait_seconds skips the
native rung (not an attempt: nothing was sent). A Jupiter sale is followed by the close of the
token account it emptied (its rent counted in the sale's lamport_delta).
"""
from __future__ import annotations

import asyncio
import dataclasses
import os
import time

from loguru import logger

from actors import sell_ladder
from actors.account_close import CLOSE, prepare_close_if_emptied
from actors.bridge import IOActor
from actors.pool_sell import prepare_native_sell
from actors.trading_io import ChainAccess, CurveComplete, Settlement, process_logging
from messages.position import TxSent, TxSettled
from messages.seller import NothingToSell, SellFailed, SellSucceeded, SellTokens
from messages.start import PeersChanged, StartFailed, StartSeller
from messages.wallet import ExpectLamportChange
from messages.status import PidReply, PidRequest

FIRST_BACKOFF_SECONDS = 0.25
# a safety net only: each attempt ends with its blockhash (about a minute on mainnet); this catches
# an RPC that never answers at all, and then the next attempt re-reads the balance first
ATTEMPT_TIMEOUT_SECONDS = 300.0


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
                    lambda exc: self._finish(msg.mint, ("failed", repr(exc), 0, 0)))

    async def _must_sell(self, msg: SellTokens):
        """Runs on the loop. Returns ('sold', settled, attempts, held) | ('nothing', attempts) |
        ('failed', reason, attempts, lamport_delta). attempts: sell transactions signed and sent."""
        fees_paid = 0
        failures = 0
        tried = {rung: 0 for rung in sell_ladder.RUNGS}
        last_error = "no route"
        token_program = msg.token_program or await self.chain.token_program_of(msg.mint)
        while (rung := sell_ladder.rung_for(failures)) is not None:
            try:
                held = await self.chain.token_balance(msg.mint, token_program)
                if held == 0:
                    return ("nothing", sum(tried.values()))
                try:
                    prepared = await SELL_ROUTES[rung](self.chain, msg.mint, token_program, held)
                except CurveComplete as exc:
                    last_error = str(exc)
                    logger.info("seller: {}; next rung", exc)
                    failures = max(failures, sell_ladder.first_attempt_of(sell_ladder.JUPITER))
                    continue
                tried[rung] += 1
                self.post(self._report_sent, msg.mint, prepared.signature)
                settled = await asyncio.wait_for(self.chain.send_and_settle(prepared, msg.mint),
                                                 ATTEMPT_TIMEOUT_SECONDS)
                self.post(self._report_settled, msg.mint, settled)
                fees_paid += settled.lamport_delta if not settled.ok else 0
                if settled.ok:
                    if rung == sell_ladder.JUPITER:   # its route leaves the emptied account open
                        settled = await self._close_emptied(msg.mint, token_program, settled)
                    return ("sold", settled, sum(tried.values()), held)
                last_error = settled.error
            except asyncio.CancelledError:
                raise
            except Exception as exc:   # a failed read or quote is an attempt of this rung too
                last_error = repr(exc)
            failures += 1
            logger.warning("seller: {} {} attempt failed ({} of {}): {}", msg.mint, rung, failures,
                           sell_ladder.MAX_ATTEMPTS, last_error)
            if sell_ladder.rung_for(failures) is not None:
                await asyncio.sleep(sell_ladder.backoff_seconds(failures, FIRST_BACKOFF_SECONDS))
        return ("failed", sell_ladder.unsellable_reason(tried, last_error), sum(tried.values()),
                fees_paid)

    async def _close_emptied(self, mint: str, token_program: str, sale: Settlement) -> Settlement:
        """Close the token account the sale emptied (actors/account_close.py); the sale's reply then
        counts the rent back. A failed close is left to the balance monitor's sweep."""
        try:
            prepared = await prepare_close_if_emptied(self.chain, mint, token_program)
            if prepared is None:
                return sale
            self.post(self._report_sent, mint, prepared.signature, CLOSE)
            closed = await asyncio.wait_for(self.chain.send_and_settle(prepared, mint), ATTEMPT_TIMEOUT_SECONDS)
            self.post(self._report_settled, mint, closed)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.warning("seller: closing {}'s emptied token account failed: {!r}; the sweep closes it", mint, exc)
            return sale
        if not closed.ok:
            logger.warning("seller: closing {}'s emptied token account failed: {}", mint, closed.error)
        return dataclasses.replace(sale, lamport_delta=sale.lamport_delta + closed.lamport_delta)

    def _report_sent(self, mint: str, signature: str, kind: str = "sell") -> None:
        if self.peers.director is not None:   # one-shot runs (run.py --sell) have no Director
            self.send(self.peers.director, TxSent(mint, signature, kind, time.time()))

    def _report_settled(self, mint: str, settled) -> None:
        self.send(self.peers.wallet, ExpectLamportChange(settled.signature, settled.lamport_delta,
                                                         settled.slot))
        if self.peers.director is not None:
            self.send(self.peers.director, TxSettled(mint, settled.signature, "sell",
                                                     settled.lamport_delta, settled.ok,
                                                     settled.token_delta, settled.error, settled.usdc_delta,
                                                     slot=settled.slot))

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
                logger.error("seller: could not sell {}: {}; the tokens stay in the wallet for the "
                             "next sweep", mint, reason)
            self.send(requester, reply)


async def native_pumpfun_sell(chain: ChainAccess, mint: str, token_program: str, amount: int):
    """Sell `amount` on the bonding curve, or on the PumpSwap pool once the coin graduated; closes
    the emptied token account to recover its rent."""
    return await prepare_native_sell(chain, mint, token_program, amount)


async def jupiter_sell(chain: ChainAccess, mint: str, token_program: str, amount: int):
    """Sell `amount` through Jupiter (curve or PumpSwap pool); the emptied account is closed by a
    follow-up transaction (SellerActor._close_emptied)."""
    return await chain.prepare_jupiter_sell(mint, amount)


SELL_ROUTES = {sell_ladder.NATIVE: native_pumpfun_sell, sell_ladder.JUPITER: jupiter_sell}
