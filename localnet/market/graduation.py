"""Graduation: when a curve completes, move the coin to its PumpSwap pool, as pump.fun's migration
service does on mainnet shortly after a CompleteEvent (one real `migrate` transaction, `delay_s`
after the completing trade: a sell in between meets a complete curve and no pool yet)."""
from __future__ import annotations

import asyncio
import base64

from loguru import logger

from adapters.pumpfun.events import events_from_logs
from adapters.pumpfun.layout_v1 import COMPLETE_EVENT, CompleteEvent
from localnet.programs.pumpswap_setup import MigrationError, migrate_graduated_coin

# the first 6 bytes of the discriminator fix the first 8 base64 characters: a cheap pre-filter
_COMPLETE_PREFIX = "Program data: " + base64.b64encode(COMPLETE_EVENT.discriminator).decode()[:8]


class GraduationMigrator:
    """Chain listener: on each CompleteEvent, schedule the coin's migration on the node's loop
    (never inside the listener: it runs in the middle of another transaction's bookkeeping)."""

    def __init__(self, chain, delay_s: float = 0.0):
        self.chain = chain
        self.delay_s = delay_s
        self._pending: dict = {}   # mint -> TimerHandle of a migration not run yet (cancelled by stop)
        self.migrated = 0
        self.failed = 0
        self._loop = asyncio.get_running_loop()
        self._remove = chain.add_listener(self)

    def on_transaction(self, record) -> None:
        if record.err is not None or not any(line.startswith(_COMPLETE_PREFIX) for line in record.log_messages):
            return
        for event in events_from_logs(record.log_messages).events:
            if isinstance(event, CompleteEvent):
                self._pending[event.mint] = self._loop.call_later(self.delay_s, self._due, event.mint)

    def on_slot(self, slot, parent, status) -> None:
        pass

    def _due(self, mint) -> None:
        self._pending.pop(mint, None)
        self._migrate(mint)

    def _migrate(self, mint) -> None:
        try:
            pool = migrate_graduated_coin(self.chain, mint)
        except MigrationError as problem:
            self.failed += 1
            logger.warning("graduation of {} not migrated: {}", mint, problem)
            return
        self.migrated += 1
        logger.info("graduated {} into pool {}", mint, pool)

    def stop(self) -> None:
        self._remove()
        for handle in self._pending.values():
            handle.cancel()
        self._pending.clear()
