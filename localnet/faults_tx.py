"""Transaction faults: sendTransaction answers the signature but the transaction is dropped, or runs
N slots later (and only if its blockhash is still valid then); and a shorter blockhash window.

The gate sits on Chain.submit (the sendTransaction path only: airdrops and the chain's own set-up
transactions are never touched); postponed transactions run from a chain listener at slot start.
"""
from __future__ import annotations

import random
from collections import defaultdict

from loguru import logger
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from localnet.chain import BLOCKHASH_WINDOW, Chain, TransactionRejected
from localnet.faults_rpc import world_traffic

MAX_POSTPONED = 100_000    # beyond this, further postponed sends are dropped (memory stays bounded)


class TransactionFaults:
    """A chain listener and submit gate driven by `plan.settings.tx` / `.chain`, counting into `plan.counters`."""

    def __init__(self, plan, chain: Chain, rng: random.Random):
        self.plan = plan
        self.chain = chain
        self.rng = rng
        self._due: dict[int, list[VersionedTransaction]] = defaultdict(list)   # slot -> transactions to run
        self._postponed: set[Signature] = set()
        self._remove_listener = chain.add_listener(self)

    @property
    def postponed_count(self) -> int:
        return len(self._postponed)

    def apply(self) -> None:
        """Follow the plan's current settings (gate on only while a transaction fault is active)."""
        settings = self.plan.settings
        self.chain.submit_gate = self.gate if settings.tx.active else None
        if settings.chain.blockhash_window != self.chain.blockhash_window:
            self.plan.counters.blockhashes_expired_early += self.chain.set_blockhash_window(settings.chain.blockhash_window)

    def detach(self) -> None:
        self.chain.submit_gate = None
        self._remove_listener()

    def gate(self, tx: VersionedTransaction) -> bool:
        """True when this sent transaction is dropped or postponed instead of running now."""
        if world_traffic.get():
            return False     # the simulated market's own transactions are not faulted
        signature = tx.signatures[0]
        if signature in self._postponed:
            return True      # a resend of a postponed transaction: already accepted
        faults, counters = self.plan.settings.tx, self.plan.counters
        if faults.drop_rate and self.rng.random() < faults.drop_rate:
            counters.tx_dropped += 1
            return True
        if faults.delay_slots and faults.delay_rate and self.rng.random() < faults.delay_rate:
            if len(self._postponed) >= MAX_POSTPONED:
                counters.tx_dropped += 1
                return True
            self._due[self.chain.slot + faults.delay_slots].append(tx)
            self._postponed.add(signature)
            counters.tx_delayed += 1
            return True
        return False

    # ---- chain listener ---------------------------------------------------------------------
    def on_transaction(self, record) -> None:
        pass

    def on_slot(self, slot: int, parent: int | None, status: str) -> None:
        if status != "processed":
            return
        if self.chain.blockhash_window < BLOCKHASH_WINDOW and self.chain.block_height() >= self.chain.blockhash_window:
            self.plan.counters.blockhashes_expired_early += 1   # one hash a slot leaves the window early
        for due_slot in [s for s in self._due if s <= slot]:
            for tx in self._due.pop(due_slot):
                self._run_postponed(tx)

    def _run_postponed(self, tx: VersionedTransaction) -> None:
        counters = self.plan.counters
        self._postponed.discard(tx.signatures[0])
        try:
            self.chain.execute(tx)
            counters.tx_delayed_executed += 1
        except TransactionRejected as rejected:
            if rejected.err == "BlockhashNotFound":
                counters.tx_delayed_expired += 1
            else:
                counters.tx_delayed_rejected += 1
        except BaseException as failure:   # pyo3 panics are BaseExceptions; the slot clock must go on
            if isinstance(failure, (KeyboardInterrupt, SystemExit)):
                raise
            counters.tx_delayed_rejected += 1
            logger.exception("running a postponed transaction failed")
