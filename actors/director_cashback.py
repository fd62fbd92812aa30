"""Mixin of Director: `run.py --control claim-cashback` asks a running bot to claim the cashback its
wallet earned now, whatever the thresholds. The WalletActor claims (actors/cashback.py) and reports
the landed claim as a TxSettled of kind "cashback", which the ledger books; its reply only logs here."""
from __future__ import annotations

from loguru import logger

from messages.wallet import ClaimCashback, HousekeepingDone, HousekeepingFailed


class CashbackClaims:
    def receiveMsg_ClaimCashback(self, msg: ClaimCashback, sender):
        if self.peers.wallet is not None:
            self.send(self.peers.wallet, msg)

    def receiveMsg_HousekeepingDone(self, msg: HousekeepingDone, sender):
        logger.info("director: {}: {} ({} tx)", msg.action, msg.detail, len(msg.signatures))

    def receiveMsg_HousekeepingFailed(self, msg: HousekeepingFailed, sender):
        logger.warning("director: {} failed: {}", msg.action, msg.reason)
