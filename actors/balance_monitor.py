"""BalanceMonitorActor: every BALANCE_MONITOR_INTERVAL_SECONDS, refresh balances through the
WalletActor (which reconciles and may enter safety mode) and log tokens that no live position holds.

Selling strays (Jupiter), closing empty accounts and SOL/WSOL rebalancing are later issues; the
stray list is reported to the Director so they are visible in the status.
"""
from __future__ import annotations

import os

from loguru import logger
from thespian.actors import ActorTypeDispatcher, WakeupMessage

from actors.trading_io import process_logging
from messages import new_request_id
from messages.balance import LiveMints, LiveMintsRequest, StrayTokens
from messages.start import PeersChanged, StartBalanceMonitor
from messages.status import PidReply, PidRequest
from messages.wallet import BalancesReport, RefreshBalances, RefreshFailed


def stray_tokens(holdings: tuple, live_mints: tuple) -> tuple:
    """((mint, raw), ...) with a positive balance that no live position holds."""
    live = set(live_mints)
    return tuple((mint, amount) for mint, amount in holdings if amount > 0 and mint not in live)


class BalanceMonitorActor(ActorTypeDispatcher):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.settings = None
        self.peers = None
        self.generation = 0
        self.last_report: BalancesReport | None = None
        self.ticks = 0

    def receiveMessage(self, msg, sender):
        try:
            super().receiveMessage(msg, sender)
        except Exception:
            logger.exception("balance monitor: {} failed", type(msg).__name__)

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
        if msg.payload != self.generation:
            return
        self.ticks += 1
        self.send(self.peers.wallet, RefreshBalances(new_request_id("bal")))
        self._schedule()

    def receiveMsg_BalancesReport(self, msg: BalancesReport, sender):
        self.last_report = msg
        self.send(self.peers.director, msg)   # the Director mirrors the wallet's safety mode
        self.send(self.peers.director, LiveMintsRequest(msg.request_id))

    def receiveMsg_RefreshFailed(self, msg: RefreshFailed, sender):
        logger.warning("balance monitor: wallet refresh failed: {}", msg.reason)

    def receiveMsg_LiveMints(self, msg: LiveMints, sender):
        if self.last_report is None or self.last_report.request_id != msg.request_id:
            return
        strays = stray_tokens(self.last_report.tokens, msg.mints)
        for mint, amount in strays:
            logger.warning("balance monitor: stray token {} ({} raw units) held by no position",
                           mint, amount)
        self.send(self.peers.director, StrayTokens(msg.request_id, strays))

    def receiveMsg_PidRequest(self, msg: PidRequest, sender):
        self.send(sender, PidReply(msg.request_id, os.getpid()))

    def receiveUnrecognizedMessage(self, msg, sender):
        logger.debug("balance monitor: ignored {}", type(msg).__name__)
