"""StreamActor: the bot's eyes. Subscribes to pump.fun program transactions over Yellowstone gRPC
(websocket logsSubscribe when no gRPC endpoint is configured).

Updates are decoded on the I/O loop (never in the actor thread), stamped with their receive time,
and queued; the actor drains the queue once per wake-up and forwards one message per recipient:
a LaunchBatch to the Director, a TradeBatch to each PositionActor that watches a mint in the batch
(THESPIAN_NOTES.md: one message per update collapses at high rates). In fast mode a launch is
decided and sent to an armed spare on the I/O loop itself, before the actor thread books it
(actors/fastpath_stream.py says which state crosses the threads and how). Malformed updates are counted
and skipped. The Yellowstone subscriber reconnects by itself; a source that ends or fails is
started again here.
"""
from __future__ import annotations

import collections
import dataclasses
import os
import time

from loguru import logger
from solders.pubkey import Pubkey
from solders.signature import Signature
from thespian.actors import WakeupMessage

from actors import copy_stream
from actors.bridge import IOActor
from actors.copy_gaps import CopyGapChecking
from actors.copy_pool_state import PoolStateStamping
from actors.hot_trace import hot_trace
from actors.hot_threads import hot_thread
from actors.trading_io import process_logging
from adapters.analysis.rug_watch import rug_watch_for
from adapters.pumpfun import events
from adapters.pumpfun.addresses import PUMP_PROGRAM, WSOL_MINT
from adapters.pumpfun.layout_v1 import ZERO_KEY, CompleteEvent, CreateEvent, TradeEvent
from adapters.stats import BoundedDict
from actors.fastpath_stream import FastOpen, StreamFastPath
from messages.fastpath import ArmedSpares, FastOpened
from messages.copy import TargetTrade, TargetTradeBatch
from messages.start import PeersChanged, StartFailed, StartStream
from messages.status import PidReply, PidRequest
from messages.stream import (SOL_QUOTE_MINT, Launch, LaunchBatch, StreamStats, StreamStatsRequest, Trade,
                             TradeBatch, UnwatchMint, WatchMint)

MALFORMED = object()
STATS_REPORT_SECONDS = 2.0
MAX_WATCHED_MINTS = 4_096        # a position that died unwatched must not pin its entry for ever
MAX_INBOX_ITEMS = 200_000        # decoded items waiting for the actor thread; past it updates are dropped


class StreamActor(CopyGapChecking, PoolStateStamping, IOActor):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.settings = None
        self.peers = None
        self.watchers = BoundedDict(MAX_WATCHED_MINTS)   # mint -> PositionActor address
        self.inbox: collections.deque = collections.deque()   # filled on the loop, drained here
        self.flush_scheduled = False
        self.counts = collections.Counter()
        self.connected = False
        self.subscriber = None                       # the Yellowstone subscriber, when used
        self.last_reported = None
        self.fastpath = None                         # StreamFastPath in analysis.mode "fast"
        self.copy_targets: frozenset[str] = frozenset()   # followed wallets (copy mode)
        self.copy_tracker = copy_stream.CopyTracker()
        self.rug_watch = None                        # rugs seen here -> creator history (rug_watch.py)
        self.trace = hot_trace()                     # stage stamps for the benchmarks (hot_trace.py)

    def on_message(self, msg, sender) -> None:
        try:
            if isinstance(msg, StartStream):
                self._start(msg)
            elif isinstance(msg, WatchMint):
                self.watchers[msg.mint] = msg.position
                self._publish_watched()
            elif isinstance(msg, UnwatchMint):
                self.watchers.pop(msg.mint, None)
                self._publish_watched()
            elif isinstance(msg, PeersChanged):
                self.peers = msg.peers
            elif isinstance(msg, ArmedSpares):
                if self.fastpath is not None:
                    self.fastpath.arm(msg.spares, msg.lanes)
            elif isinstance(msg, StreamStatsRequest):
                self.send(sender, self._stats(msg.request_id))
            elif isinstance(msg, WakeupMessage) and msg.payload == "report":
                self._report_stats()
            elif isinstance(msg, PidRequest):
                self.send(sender, PidReply(msg.request_id, os.getpid()))
            elif isinstance(msg, WakeupMessage) and msg.payload == "copy_gaps":
                self.copy_gap_check()
            elif isinstance(msg, WakeupMessage) and msg.payload == "resubscribe":
                self.submit(self._consume(), self._stream_ended, self._stream_failed)
        except Exception as exc:
            logger.exception("stream: {} failed", type(msg).__name__)
            if isinstance(msg, StartStream) and msg.peers.director is not None:
                self.send(msg.peers.director, StartFailed("stream", repr(exc)))

    def _start(self, msg: StartStream) -> None:
        self.settings, self.peers = msg.settings, msg.peers
        process_logging(msg.settings, "stream")
        self.watchers.update(dict(msg.watched))
        if msg.settings.analysis.mode == "fast":
            self.fastpath = StreamFastPath(msg.settings)
            self._publish_watched()
        self.copy_targets = copy_stream.copy_targets(msg.settings)
        self.copy_gap_start(msg.copy_since)   # trades missed before this stream subscribed
        self.rug_watch = rug_watch_for(msg.settings)
        self._report_stats()
        chain = msg.settings.chain
        if not chain.grpc_endpoint and not chain.ws_url:
            logger.error("stream: neither chain.grpc_endpoint nor chain.ws_url is set: no launches")
            return
        self.submit(self._consume(), self._stream_ended, self._stream_failed)

    def _stats(self, request_id: str) -> StreamStats:
        c, sub = self.counts, getattr(self.subscriber, "stats", None)
        reconnects = c["reconnects"] + (sub.reconnects if sub else 0)
        malformed = c["malformed"] + (sub.malformed_updates if sub else 0)
        return StreamStats(request_id, c["updates"], c["launches"], c["trades"], malformed,
                           reconnects, self.connected)

    def _report_stats(self) -> None:
        """Counters to the Director every few seconds (for its Status), only when they changed."""
        stats = self._stats("periodic")
        if stats != self.last_reported:
            self.last_reported = stats
            self.send(self.peers.director, stats)
        self.wakeupAfter(STATS_REPORT_SECONDS, payload="report")

    # ---- on the loop -------------------------------------------------------------------------------
    async def _consume(self) -> None:
        hot_thread(self.settings)   # this I/O thread decodes and hands launches off (hot_threads.py)
        async for received_at, decode in self._source():
            self.connected = True
            try:
                decoded = decode()
            except Exception:   # one bad update is counted and skipped, never fatal
                decoded = [MALFORMED]
            if self.trace.on:
                self._trace_decoded(received_at, decoded)
            if len(self.inbox) >= MAX_INBOX_ITEMS:   # the actor thread is stalled: shed, count, never grow
                self.counts["dropped_backlog"] += 1
                if self.counts["dropped_backlog"] % 1000 == 1:
                    logger.error("stream: {} updates waiting, {} dropped so far: the actor is stalled",
                                 len(self.inbox), self.counts["dropped_backlog"])
                continue   # before the fast path: nothing is bought that the actor would not book
            if self.fastpath is not None:
                decoded = self._open_fast(decoded)
            self.inbox.extend(decoded)
            self.inbox.append(None)   # marks one update, for the counter
            if not self.flush_scheduled:
                self.flush_scheduled = True
                self.post(self._flush)

    def _open_fast(self, decoded: list) -> list:
        """Fast mode, on the I/O thread: each launch the fast path takes leaves for its spare here and
        is queued as a FastOpen for the actor thread to book (actors/fastpath_stream.py)."""
        out = []
        for item in decoded:
            if isinstance(item, Launch):
                try:
                    item = self.fastpath.try_open(item) or item
                except Exception:   # a fast-path bug: the launch goes the normal way
                    logger.exception("stream: fast path failed on {}", item.mint)
            out.append(item)
        return out

    def _trace_decoded(self, received_at: float, decoded: list) -> None:
        for item in decoded:
            if isinstance(item, Launch):
                self.trace.stamp(item.mint, "stream_received", received_at)
                self.trace.stamp(item.mint, "decoded")

    def _source(self):
        """chain.stream_source; auto: Yellowstone gRPC when an endpoint is configured, websocket
        logsSubscribe otherwise."""
        chain = self.settings.chain
        source = chain.stream_source
        if source == "yellowstone" or (source == "auto" and chain.grpc_endpoint):
            # a reconnect may leave a gap (no replay from the last slot): look for missed target trades
            return yellowstone_updates(chain, self._keep_subscriber, self.copy_targets,
                                       on_reconnect=lambda: self.post(self.copy_gap_restart))
        if source == "blocks":
            return websocket_block_updates(chain.ws_url, self.copy_targets)
        return websocket_log_updates(chain.ws_url, self.copy_targets)

    def _keep_subscriber(self, subscriber) -> None:
        self.subscriber = subscriber

    async def on_loop_close(self) -> None:
        if self.fastpath is not None:
            self.fastpath.close()   # its lane socket and creator-history connection are the loop's
        if self.subscriber is not None:
            await self.subscriber.close()

    # ---- in the actor thread -----------------------------------------------------------------------
    def _flush(self) -> None:
        self.flush_scheduled = False   # cleared before draining, so nothing queued after is stranded
        launches, trades, fast = [], collections.defaultdict(list), []
        copied, latest = [], {}   # target trades; mint -> its newest trade in this drain
        while self.inbox:
            item = self.inbox.popleft()
            if item is None:
                self.counts["updates"] += 1
            elif item is MALFORMED:
                self.counts["malformed"] += 1
            elif isinstance(item, Launch):
                self.counts["launches"] += 1
                self.copy_tracker.on_launch(item)
                if self.rug_watch is not None:
                    self.rug_watch.on_launch(item)
                self.trace.stamp(item.mint, "stream_actor")
                launches.append(item)
            elif isinstance(item, FastOpen):
                self._book_fast(item)
                fast.append(item.entry)
            elif isinstance(item, Trade):
                self.counts["trades"] += 1
                latest[item.mint] = item
                if self.rug_watch is not None:
                    self.rug_watch.on_trade(item)
                if item.mint in self.watchers:
                    trades[item.mint].append(item)
            elif isinstance(item, TargetTrade):
                self.counts["target_trades"] += 1
                self.copy_gap_seen(item.signature, item.target)
                copied.append(item)
        if fast:
            self.send(self.peers.director, FastOpened(tuple(fast)))
        if self.trace.on:   # the normal path's too: why it missed the fast path (no_armed_spare)
            for mint in [entry[0].launch.mint for entry in fast] + [launch.mint for launch in launches]:
                self.trace.write(mint)
        if launches:
            self.send(self.peers.director, LaunchBatch(tuple(launches)))
        if copied:   # before the held mints' trades: a target's exit beats our own exit rules
            self.send(self.peers.director, TargetTradeBatch(self.copy_tracker.stamp(self.pool_states_stamp(copied), latest)))
        for mint, batch in trades.items():
            self.send(self.watchers[mint], TradeBatch(tuple(batch)))

    def _book_fast(self, opened: FastOpen) -> None:
        """A launch the I/O side decided: counted and watched here, as the ordinary path's are."""
        launch, address = opened.launch, opened.entry[2]
        self.counts["launches"] += 1
        self.copy_tracker.on_launch(launch)
        if self.rug_watch is not None:
            self.rug_watch.on_launch(launch)
        if address is not None:
            if opened.unsent is not None:   # its lane refused it: thespian carries it
                self.send(address, opened.unsent)
            self.watchers[launch.mint] = address
            self._publish_watched()

    def _publish_watched(self) -> None:
        if self.fastpath is not None:
            self.fastpath.publish_watched(self.watchers)

    def _stream_ended(self, _result) -> None:
        self.connected = False
        self.copy_gap_restart()   # the targets' trades meanwhile are not replayed (actors/copy_gaps.py)
        logger.warning("stream: subscription ended; starting again")
        self.submit(self._consume(), self._stream_ended, self._stream_failed)

    def _stream_failed(self, exc: BaseException) -> None:
        self.connected = False
        logger.error("stream: subscription failed: {!r}; starting again in 1 s", exc)
        self.counts["reconnects"] += 1
        self.copy_gap_restart()
        self.wakeupAfter(1.0, payload="resubscribe")


# A source yields (received_at, decode) per pump.fun transaction; decode() -> [Launch | Trade | MALFORMED].
async def yellowstone_updates(chain_settings, keep, targets: frozenset = frozenset(), on_reconnect=None):
    """From a Yellowstone gRPC transaction subscription (events from logs or self-CPI data); the
    subscriber reconnects by itself (calling on_reconnect(), on the loop, each time). `keep(subscriber)`
    lets the actor read its stats and close it. With copy `targets`, their transactions are
    subscribed too and their trades decoded."""
    from adapters.yellowstone.client import YellowstoneSubscriber, subscribe_request
    request = subscribe_request(transactions={"pump": {
        "account_include": [str(PUMP_PROGRAM)], "failed": False, "vote": False},
        **copy_stream.transaction_filters(targets)}, commitment="processed")
    token = chain_settings.grpc_x_token
    subscriber = YellowstoneSubscriber(chain_settings.grpc_endpoint, request,
                                       x_token=token.reveal() if token else None, on_reconnect=on_reconnect)
    keep(subscriber)
    target_keys = frozenset(bytes(Pubkey.from_string(target)) for target in targets)   # as the stream has them
    async for update in subscriber:
        received_at = time.time()
        if update.WhichOneof("update_oneof") != "transaction":
            continue

        def decode(update=update, received_at=received_at):
            return decode_transaction_update(update.transaction, received_at, targets, target_keys)
        yield received_at, decode


def decode_transaction_update(update, received_at: float, targets: frozenset = frozenset(),
                              target_keys: frozenset = frozenset()) -> list:
    """Launch/Trade (and copy targets' TargetTrade) messages of one Yellowstone transaction update.
    A successful transaction with complete logs that no target signed is read from its logs alone
    (most of the stream: no account-key conversion); anything else through the full conversion."""
    from adapters.yellowstone.transactions import pump_events, streamed_transaction
    info, meta = update.transaction, update.transaction.meta
    if update.HasField("transaction") and info.HasField("transaction") and info.HasField("meta") \
            and len(info.signature) == 64 and not meta.HasField("err") and not meta.log_messages_none \
            and not (target_keys and target_keys.intersection(info.transaction.message.account_keys)):
        logs = list(meta.log_messages)   # each read of the repeated field builds new strs: once
        if logs and "Log truncated" not in "\n".join(logs):
            return messages_from_events(events.events_from_logs(logs),
                                        str(Signature.from_bytes(info.signature)), update.slot,
                                        received_at)
    tx = streamed_transaction(update)
    if tx.failed:
        return []
    decoded = pump_events(tx)
    out = messages_from_events(decoded, str(tx.signature), tx.slot, received_at)
    if targets:
        balances = copy_stream.token_balances(meta)
        out += copy_stream.target_trades(decoded.events, targets, str(tx.signature), tx.slot,
                                         received_at, balances)
        out += copy_stream.target_swaps(tx.log_messages, targets, str(tx.signature), tx.slot,
                                        received_at, balances,
                                        copy_stream.token_account_mints(meta, tx.account_keys))
    return out


async def websocket_log_updates(ws_url, targets: frozenset = frozenset()):
    """From websocket logsSubscribe mentioning the pump.fun program: the fallback source. Targets'
    pump.fun trades are in it too (without token balances: their holdings are tracked instead)."""
    from solana.rpc.websocket_api import SolanaWsClient
    from solders.rpc.config import RpcTransactionLogsFilterMentions
    url = ws_url.reveal() if hasattr(ws_url, "reveal") else ws_url
    ws = await SolanaWsClient(url).connect()
    try:
        await ws.logs_subscribe(filter_=RpcTransactionLogsFilterMentions(PUMP_PROGRAM),
                                commitment="processed")
        while True:
            note = await ws.recv()
            received_at = time.time()

            def decode(note=note, received_at=received_at):
                value = note.result.value
                if value.err is not None:
                    return []
                return decode_logs(str(value.signature), note.result.context.slot, value.logs,
                                   received_at, targets)
            yield received_at, decode
    finally:
        await ws.close()


async def websocket_block_updates(ws_url, targets: frozenset = frozenset()):
    """From websocket blockSubscribe (blocks mentioning the pump.fun program, full transactions):
    for RPC providers that offer blocks but not logs. Blocks come at `confirmed` (the method has no
    `processed`), so about a slot after logsSubscribe or Yellowstone. Each successful transaction
    is read from its logs, as logsSubscribe's are."""
    from solana.rpc.websocket_api import SolanaWsClient
    from solders.rpc.config import RpcBlockSubscribeFilterMentions
    from solders.rpc.responses import BlockNotification
    from solders.transaction_status import TransactionDetails
    url = ws_url.reveal() if hasattr(ws_url, "reveal") else ws_url
    ws = await SolanaWsClient(url).connect()
    try:
        await ws.block_subscribe(filter_=RpcBlockSubscribeFilterMentions(PUMP_PROGRAM),
                                 commitment="confirmed", encoding="json",
                                 transaction_details=TransactionDetails.Full, show_rewards=False,
                                 max_supported_transaction_version=0)
        while True:
            note = await ws.recv()
            received_at = time.time()
            if not isinstance(note, BlockNotification) or note.result.value.block is None:
                continue
            value = note.result.value
            for tx in value.block.transactions or ():
                if tx.meta is None or tx.meta.err is not None:
                    continue

                def decode(tx=tx, slot=value.slot, received_at=received_at):
                    return decode_logs(str(tx.transaction.signatures[0]), slot,
                                       tx.meta.log_messages or [], received_at, targets)
                yield received_at, decode
    finally:
        await ws.close()


def decode_logs(signature: str, slot: int, log_lines, received_at: float,
                targets: frozenset = frozenset()) -> list:
    """Launch/Trade (and copy targets' TargetTrade) messages from one transaction's `Program data:`
    log lines; [] if none."""
    decoded = events.events_from_logs(log_lines)
    out = messages_from_events(decoded, signature, slot, received_at)
    if targets:
        out += copy_stream.target_trades(decoded.events, targets, signature, slot, received_at)
    return out


def quote_mint_of(event: CreateEvent) -> str:
    """The coin's quote mint; the default key (what SOL-paired curves record) reads as WSOL."""
    return SOL_QUOTE_MINT if event.quote_mint in (ZERO_KEY, WSOL_MINT) else str(event.quote_mint)


def messages_from_events(decoded, signature: str, slot: int, received_at: float) -> list:
    """Launch/Trade messages from decoded pump.fun events; a MALFORMED marker per skipped payload."""
    out = [MALFORMED] * decoded.skipped
    for event in decoded.events:
        if isinstance(event, CreateEvent):
            out.append(Launch(
                mint=str(event.mint), bonding_curve=str(event.bonding_curve),
                creator=str(event.creator), user=str(event.user), name=event.name,
                symbol=event.symbol, uri=event.uri, token_program=str(event.token_program),
                virtual_token_reserves=event.virtual_token_reserves,
                virtual_sol_reserves=event.virtual_sol_reserves,
                real_token_reserves=event.real_token_reserves,
                signature=signature, slot=slot, received_at=received_at,
                quote_mint=quote_mint_of(event), is_mayhem_mode=event.is_mayhem_mode,
                is_cashback_coin=event.is_cashback_enabled))
        elif isinstance(event, TradeEvent):
            out.append(Trade(
                mint=str(event.mint), is_buy=event.is_buy, sol_amount=event.sol_amount,
                token_amount=event.token_amount, user=str(event.user),
                virtual_sol_reserves=event.virtual_sol_reserves,
                virtual_token_reserves=event.virtual_token_reserves,
                signature=signature, slot=slot, received_at=received_at,
                curve_complete=event.real_token_reserves == 0 and event.real_sol_reserves > 0))
    return mark_completed_curves(out, decoded.events)


def mark_completed_curves(out: list, decoded_events) -> list:
    """A CompleteEvent marks the trades of its mint in the same transaction as completing the curve
    (an older TradeEvent may not carry the real reserves that tell it alone)."""
    completed = {str(event.mint) for event in decoded_events if isinstance(event, CompleteEvent)}
    if not completed:
        return out
    return [dataclasses.replace(item, curve_complete=True)
            if isinstance(item, Trade) and item.mint in completed else item for item in out]
