"""How ChainAccess.confirm waits for a sent transaction to settle: cheap looks at its status, one
read of its meta.

At 10 launches/s the live positions were the bot's largest CPU user, most of it polling
getTransaction every 50 ms until each transaction was confirmed (~4 reads each through solana-py,
~1.4 ms of CPU a read). Now:
- the wait looks at the signature's status (getSignatureStatuses: a few bytes, at processed) and
  reads the meta (getTransaction, where the exact lamport and token deltas come from) once, when
  the status has reached the client's commitment; both over the light transport
  (adapters/light_rpc.py);
- while the node does not know the signature yet, looks back off from SETTLE_POLL_SECONDS to
  LANDING_POLL_MAX_SECONDS; a sighting on the stream (the position saw its own signature among its
  coin's trades, actors/position.py) ends that back-off at once. Once it landed, looks come every
  SETTLE_POLL_SECONDS until it is confirmed, as before. A failed transaction (not on the stream,
  which subscribes to successful ones) and a dropped stream event only cost the back-off;
- the same signed bytes are rebroadcast every trading.rebroadcast_ms while the node does not know
  them; the block height is asked only then too (a known signature cannot expire), first after
  HEIGHT_CHECK_SECONDS: past the blockhash's last valid height, one last getTransaction (it may have
  landed in the block that ended the window, or long ago: a recovered order) before it is expired;
- a failed read (429, 5xx, timeout) is asked again; only the chain's answer ends the wait.
"""
from __future__ import annotations

import asyncio
import collections

from loguru import logger

from adapters.solana_rpc import RpcError

SETTLE_POLL_SECONDS = 0.05
LANDING_POLL_MAX_SECONDS = 0.2         # the back-off's ceiling while the node does not know it
HEIGHT_CHECK_SECONDS = 0.5             # how often an unknown signature's blockhash is checked
EARLY_SIGHTINGS_REMEMBERED = 64        # sightings that came before their wait began


class Sightings:
    """Signatures the stream saw land, told by the actor thread (saw()), awaited on the I/O loop."""

    def __init__(self):
        self._waits: dict[str, asyncio.Event] = {}
        self._early: collections.OrderedDict = collections.OrderedDict()   # seen, no wait yet
        self.count = 0

    def saw(self, signature: str) -> None:
        """On the loop: `signature` landed (the stream's word)."""
        self.count += 1
        event = self._waits.get(signature)
        if event is not None:
            event.set()
            return
        self._early[signature] = True   # the stream may beat the send's reply, and so the wait
        while len(self._early) > EARLY_SIGHTINGS_REMEMBERED:
            self._early.popitem(last=False)

    def watch(self, signature: str) -> asyncio.Event:
        event = self._waits.get(signature) or asyncio.Event()
        if self._early.pop(signature, None):
            event.set()
        self._waits[signature] = event
        return event

    def waiting(self, signature: str) -> bool:
        """A wait for `signature` is in progress and no sighting has ended its back-off yet."""
        event = self._waits.get(signature)
        return event is not None and not event.is_set()

    def forget(self, signature: str) -> None:
        self._waits.pop(signature, None)


async def wait_settled(chain, signature: str, kind: str, mint: str, last_valid_block_height: int,
                       poll: float = SETTLE_POLL_SECONDS, raw: bytes | None = None):
    """ChainAccess.confirm (see the module doc): the transaction's Settlement."""
    from actors.trading_io import Settlement   # imports this module
    rpc, loop = chain.rpc, asyncio.get_running_loop()
    rebroadcast_every = chain.settings.trading.rebroadcast_ms / 1000
    next_rebroadcast = loop.time() + rebroadcast_every
    next_height_check = loop.time() + HEIGHT_CHECK_SECONDS
    landed = chain.sightings.watch(signature)
    backoff = poll
    try:
        while True:
            known = False
            try:
                status = (await rpc.get_signature_statuses([signature]))[0]
                known = status is not None
                if known and status.reached(rpc.meta_commitment):
                    meta = await rpc.get_transaction_meta(signature)
                    if meta is not None:
                        return chain.settlement_of(signature, kind, mint, meta)
                if not known and loop.time() >= next_height_check:
                    next_height_check = loop.time() + HEIGHT_CHECK_SECONDS
                    if await rpc.get_block_height() > last_valid_block_height:
                        meta = await rpc.get_transaction_meta(signature)   # one last look
                        if meta is not None:
                            return chain.settlement_of(signature, kind, mint, meta)
                        if (await rpc.get_signature_statuses([signature]))[0] is None:
                            return Settlement(signature, kind, False, False, 0, 0,
                                              "blockhash expired before it landed", expired=True)
                        known = True   # it landed in the window's last block: wait for it
                if not known and raw is not None and loop.time() >= next_rebroadcast:
                    next_rebroadcast = loop.time() + rebroadcast_every
                    await chain.rebroadcast(raw, signature)
            except RpcError as exc:   # a read (or a 429'd rebroadcast) failed: ask again
                logger.debug("confirming {}: {}; asking again", signature[:12], exc)
                known = True   # no back-off on a failed read
            if known or landed.is_set():
                await asyncio.sleep(poll)
                continue
            try:   # not landed yet: back off, unless the stream says it landed meanwhile
                await asyncio.wait_for(landed.wait(), backoff)
            except asyncio.TimeoutError:
                pass
            backoff = min(backoff * 2, LANDING_POLL_MAX_SECONDS)
    finally:
        chain.sightings.forget(signature)
