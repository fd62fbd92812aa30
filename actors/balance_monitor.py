"""BalanceMonitorActor: every BALANCE_MONITOR_INTERVAL_SECONDS (or on SweepNow) one housekeeping cycle:

  ask the Director which mints live positions hold -> refresh balances (WalletActor; it
  reconciles and may enter safety mode) -> ask the Director again (a position that closed or
  opened while the holdings were read is in one of the two answers: neither is swept)
  -> sell every other token through the SellerActor (must-sell: native x3, then Jupiter x3)
  -> close empty token accounts (rent back) -> rebalance SOL/WSOL and auto-wrap (WalletActor)
  -> claim earned cashback past trading.cashback_claim_min_* (WalletActor, actors/cashback.py).

Every step is a message to the actor that owns it; this actor only keeps its schedule and the
cycle in progress. A token that cannot be sold is logged and reported with the seller's reason.
"""
from __future__ import annotations

import dataclasses
import os

from loguru import logger
from thespian.actors import ActorTypeDispatcher, WakeupMessage

from actors.trading_io import process_logging
from actors.process_kind import name_process
from adapters.pumpfun.addresses import USDC_MINT, WSOL_MINT
from messages import new_request_id
from messages.balance import LiveMints, LiveMintsRequest, StrayTokens, SweepNow, SweepReport
from messages.seller import NothingToSell, SellFailed, SellSucceeded, SellTokens
from messages.start import PeersChanged, StartBalanceMonitor, StartFailed
from messages.status import PidReply, PidRequest
from messages.wallet import (BalancesReport, CloseEmptyAccounts, HousekeepingDone,
                             HousekeepingFailed, Rebalance, RefreshBalances, RefreshFailed, ClaimCashback)

# a cycle whose peer died is abandoned; a sell is 6 attempts at most, each bounded by its blockhash
CYCLE_TIMEOUT_SECONDS = 900.0
WSOL = str(WSOL_MINT)
CASH_MINTS = (WSOL, str(USDC_MINT))   # quote money the wallet keeps, never swept
LIVE_BEFORE_SUFFIX = ":before"   # a cycle's live-mints question asked before its holdings are read


def stray_tokens(holdings: tuple, live_mints: tuple) -> tuple:
    """((mint, raw), ...) with a positive balance that no live position holds (WSOL and USDC are cash)."""
    live = set(live_mints)
    return tuple((mint, amount) for mint, amount in holdings
                 if amount > 0 and mint not in live and mint not in CASH_MINTS)


class Cycle:
    """One housekeeping pass in progress."""

    def __init__(self, cycle_id: str, requesters: list, live_mints: tuple | None,
                 rebalance: bool = True):
        self.id = cycle_id
        self.rebalance_wanted = rebalance
        self.requesters = requesters          # [(request_id, address), ...] waiting for its report
        self.live_mints = live_mints
        self.live_before: tuple = ()          # live as the cycle began (the LIVE_BEFORE_SUFFIX answer)
        self.report: BalancesReport | None = None
        self.selling: dict[str, int] = {}     # sell request id -> raw amount
        self.mint_of: dict[str, str] = {}
        self.sold: list = []
        self.unsellable: list = []
        self.closed = ""
        self.rebalance = ""
        self.cashback = ""


class BalanceMonitorActor(ActorTypeDispatcher):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name_process("balance")   # actors/process_kind.py
        self.settings = None
        self.peers = None
        self.generation = 0
        self.last_report: BalancesReport | None = None
        self.ticks = 0
        self.cycle: Cycle | None = None
        self.queued: list = []                # SweepNow requests waiting for the next cycle

    def receiveMessage(self, msg, sender):
        try:
            super().receiveMessage(msg, sender)
        except Exception as exc:
            logger.exception("balance monitor: {} failed", type(msg).__name__)
            if isinstance(msg, StartBalanceMonitor) and msg.peers.director is not None:
                self.send(msg.peers.director, StartFailed("balance_monitor", repr(exc)))

    def receiveMsg_StartBalanceMonitor(self, msg: StartBalanceMonitor, sender):
        self.settings, self.peers = msg.settings, msg.peers
        process_logging(msg.settings, "balance_monitor")
        self._schedule()

    def receiveMsg_PeersChanged(self, msg: PeersChanged, sender):
        self.peers = msg.peers

    def _schedule(self) -> None:
        self.generation += 1
        self.wakeupAfter(self.settings.balance.interval_seconds, payload=self.generation)

    def receiveMsg_WakeupMessage(self, msg: WakeupMessage, sender):
        if isinstance(msg.payload, tuple):   # ("timeout", cycle id)
            if self.cycle is not None and self.cycle.id == msg.payload[1]:
                logger.error("balance monitor: cycle {} timed out", self.cycle.id)
                self._end_cycle()
            return
        if msg.payload != self.generation:
            return
        self.ticks += 1
        if self.cycle is None:
            self._start_cycle([], None)
        self._schedule()

    def receiveMsg_SweepNow(self, msg: SweepNow, sender):
        if self.settings is None:
            self.send(sender, SweepReport(msg.request_id, rebalance="monitor not started"))
        elif self.cycle is None:
            self._start_cycle([(msg.request_id, sender)], msg.live_mints, msg.rebalance)
        else:
            self.queued.append((msg, sender))

    # ---- the cycle -----------------------------------------------------------------------------
    def _start_cycle(self, requesters: list, live_mints: tuple | None, rebalance: bool = True) -> None:
        self.cycle = Cycle(new_request_id("bal"), requesters, live_mints, rebalance)
        self.wakeupAfter(CYCLE_TIMEOUT_SECONDS, payload=("timeout", self.cycle.id))
        if live_mints is None and self.peers.director is not None:
            # live before the holdings are read, and again after: a position that closes while they
            # are read is in the first answer, one that opens meanwhile in the second
            self.send(self.peers.director, LiveMintsRequest(self.cycle.id + LIVE_BEFORE_SUFFIX))
        self.send(self.peers.wallet, RefreshBalances(self.cycle.id))

    def _current(self, request_id: str) -> Cycle | None:
        return self.cycle if self.cycle is not None and self.cycle.id == request_id else None

    def receiveMsg_BalancesReport(self, msg: BalancesReport, sender):
        cycle = self._current(msg.request_id)
        if cycle is None:
            return
        cycle.report = self.last_report = msg
        if self.peers.director is not None:
            self.send(self.peers.director, msg)   # the Director mirrors the wallet's safety mode
        if cycle.live_mints is not None:
            self._sweep(cycle, cycle.live_mints)
        else:
            self.send(self.peers.director, LiveMintsRequest(cycle.id))

    def receiveMsg_RefreshFailed(self, msg: RefreshFailed, sender):
        if self._current(msg.request_id) is not None:
            logger.warning("balance monitor: wallet refresh failed: {}", msg.reason)
            self.cycle.rebalance = f"wallet refresh failed: {msg.reason}"
            self._end_cycle()

    def receiveMsg_LiveMints(self, msg: LiveMints, sender):
        if msg.request_id.endswith(LIVE_BEFORE_SUFFIX):
            cycle = self._current(msg.request_id[:-len(LIVE_BEFORE_SUFFIX)])
            if cycle is not None:
                cycle.live_before = msg.mints
            return
        cycle = self._current(msg.request_id)
        if cycle is not None and cycle.report is not None:
            cycle.live_mints = msg.mints
            self._sweep(cycle, msg.mints + cycle.live_before)

    def _sweep(self, cycle: Cycle, live_mints: tuple) -> None:
        strays = stray_tokens(cycle.report.tokens, live_mints)
        if self.peers.director is not None:
            self.send(self.peers.director, StrayTokens(cycle.id, strays))
        for mint, amount in strays:
            logger.warning("balance monitor: stray token {} ({} raw units) held by no position: "
                           "selling it", mint, amount)
            request_id = new_request_id("sweep")
            cycle.selling[request_id], cycle.mint_of[request_id] = amount, mint
            self.send(self.peers.seller, SellTokens(request_id, mint, "", "stray token"))
        self._after_sells(cycle)

    def _sell_done(self, request_id: str, outcome) -> None:
        cycle = self.cycle
        if cycle is None or request_id not in cycle.selling:
            return
        amount, mint = cycle.selling.pop(request_id), cycle.mint_of.pop(request_id)
        if isinstance(outcome, str):
            cycle.unsellable.append((mint, amount, outcome))
        elif outcome is not None:
            cycle.sold.append((mint, *outcome))
        self._after_sells(cycle)

    def receiveMsg_SellSucceeded(self, msg: SellSucceeded, sender):
        self._sell_done(msg.request_id, (msg.tokens_sold, msg.lamport_delta))

    def receiveMsg_NothingToSell(self, msg: NothingToSell, sender):
        self._sell_done(msg.request_id, None)

    def receiveMsg_SellFailed(self, msg: SellFailed, sender):
        logger.error("balance monitor: stray {} is unsellable: {}", msg.mint, msg.reason)
        self._sell_done(msg.request_id, msg.reason)   # says the attempts per rung and the last error

    def _after_sells(self, cycle: Cycle) -> None:
        if not cycle.selling and not cycle.closed:
            cycle.closed = "closing"
            keep = tuple(cycle.live_mints or ()) + tuple(m for m, _, _ in cycle.unsellable)
            self.send(self.peers.wallet, CloseEmptyAccounts(cycle.id, keep))

    def receiveMsg_HousekeepingDone(self, msg: HousekeepingDone, sender):
        self._housekeeping_step(msg.request_id, msg.action,
                                f"{msg.detail or msg.action} ({len(msg.signatures)} tx, "
                                f"SOL {msg.sol_delta:+d}, WSOL {msg.wsol_delta:+d})")

    def receiveMsg_HousekeepingFailed(self, msg: HousekeepingFailed, sender):
        logger.warning("balance monitor: {} failed: {}", msg.action, msg.reason)
        self._housekeeping_step(msg.request_id, msg.action, f"failed: {msg.reason}")

    def _housekeeping_step(self, request_id: str, action: str, outcome: str) -> None:
        cycle = self._current(request_id)
        if cycle is None:
            return
        if action == "close" and cycle.rebalance_wanted:
            cycle.closed = outcome
            # no buy here spends WSOL: only a wallet that holds some (opted in) is rebalanced
            self.send(self.peers.wallet, Rebalance(cycle.id, only_if_holding_wsol=True))
        elif action == "close":   # a sell-only cycle (run.py --sell): nothing else
            cycle.closed = outcome
            self._end_cycle()
        elif action == "rebalance":
            cycle.rebalance = outcome
            self._claim_cashback_or_end(cycle)
        else:
            cycle.cashback = outcome
            self._end_cycle()

    def _claim_cashback_or_end(self, cycle: Cycle) -> None:
        trading = self.settings.trading
        if cycle.cashback or not (trading.cashback_claim_min_lamports or trading.cashback_claim_min_usdc):
            self._end_cycle()
            return
        cycle.cashback = "claiming"
        self.send(self.peers.wallet, ClaimCashback(cycle.id, trading.cashback_claim_min_lamports,
                                                   trading.cashback_claim_min_usdc))

    def _end_cycle(self) -> None:
        cycle, self.cycle = self.cycle, None
        report = SweepReport(cycle.id, tuple(cycle.sold), tuple(cycle.unsellable), cycle.closed,
                             cycle.rebalance, cycle.cashback)
        for request_id, requester in cycle.requesters:
            self.send(requester, dataclasses.replace(report, request_id=request_id))
        if self.queued:
            queued, self.queued = self.queued, []
            first = queued[0][0]
            self._start_cycle([(m.request_id, s) for m, s in queued], first.live_mints,
                              first.rebalance)

    def receiveMsg_PidRequest(self, msg: PidRequest, sender):
        self.send(sender, PidReply(msg.request_id, os.getpid()))

    def receiveUnrecognizedMessage(self, msg, sender):
        logger.debug("balance monitor: ignored {}", type(msg).__name__)
