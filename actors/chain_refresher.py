"""ChainCacheActor: reads the blockhash, the priority-fee rate and the Global account for the whole
bot and writes them where every spare and live position reads them with no I/O
(actors/chain_cache.py). Supervised by the Director like the wallet or the stream; while it is
dead or failing, its values age out and each reader reads the chain itself."""
from __future__ import annotations

import os
import time

from loguru import logger
from thespian.actors import WakeupMessage

from actors.bridge import IOActor
from actors.chain_cache import cache_path, write_cache
from actors.trading_io import ChainAccess, account_data, process_logging
from adapters.pumpfun import addresses, venue
from adapters.pumpfun.layout_v1 import GLOBAL
from messages.start import StartChainCache
from messages.status import PidReply, PidRequest

REFRESH_SECONDS = 0.5        # readers take values up to chain_cache.SHARED_MAX_AGE_SECONDS old
FAILURE_BACKOFF_MAX_SECONDS = 5.0
REFRESH_TIMEOUT_SECONDS = 5.0


class ChainCacheActor(IOActor):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.settings = None
        self.chain: ChainAccess | None = None
        self.path = None
        self.global_data, self.global_read_at = b"", 0.0   # raw Global and its read time (wall)
        self.failures = 0
        self.refreshing = False

    def process_kind(self) -> str:
        return "chain_cache"

    async def on_loop_close(self) -> None:
        if self.chain is not None:
            await self.chain.close()

    def on_message(self, msg, sender) -> None:
        if isinstance(msg, StartChainCache):
            self.settings = msg.settings
            process_logging(msg.settings, "chain_cache")
            self.path = cache_path(msg.settings)
            if self.path is None:
                logger.info("chain cache: no run directory; each position reads the chain itself")
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.chain = ChainAccess(msg.settings, shared=False)
            self._refresh()
        elif isinstance(msg, WakeupMessage) and msg.payload == "refresh":
            self._refresh()
        elif isinstance(msg, PidRequest):
            self.send(sender, PidReply(msg.request_id, os.getpid()))

    def _refresh(self) -> None:
        if not self.refreshing:
            self.refreshing = True
            self.submit(self._read_and_write(), self._refreshed, self._failed, timeout=REFRESH_TIMEOUT_SECONDS)

    async def _read_and_write(self) -> None:
        chain, trading = self.chain, self.settings.trading
        if not self.global_data or chain.fees is None \
                or time.time() - self.global_read_at >= trading.global_refresh_seconds:
            data = await account_data(chain.rpc, addresses.GLOBAL)
            if data is None:
                raise LookupError("pump.fun Global account not found")
            chain.global_ = GLOBAL.decode(data)
            chain.fees = venue.FeeAccounts.of_global(chain.global_)
            self.global_data, self.global_read_at = data, time.time()
        recent = await chain.recent_blockhash(max_age=0.0)
        fee = chain.priority_fee
        if fee.dynamic:
            await fee.refresh(chain.rpc, list(chain.fees.fee_recipients))   # re-reads when stale
        fee_read_at = time.time() - (time.monotonic() - fee.read_at)
        write_cache(self.path, recent, self.global_data, self.global_read_at,
                    fee.price if fee.dynamic else None, fee_read_at)

    def _refreshed(self, _result) -> None:
        if self.failures:
            logger.info("chain cache: reading works again after {} failure(s)", self.failures)
        self.failures, self.refreshing = 0, False
        self.wakeupAfter(REFRESH_SECONDS, payload="refresh")

    def _failed(self, exc: BaseException) -> None:
        self.failures += 1
        self.refreshing = False
        delay = min(REFRESH_SECONDS * 2 ** self.failures, FAILURE_BACKOFF_MAX_SECONDS)
        logger.warning("chain cache: refresh failed ({} in a row): {!r}; positions read the chain "
                       "themselves meanwhile; next try in {:.1f} s", self.failures, exc, delay)
        self.wakeupAfter(delay, payload="refresh")
