"""Trades of a copy target made while no stream of ours was subscribed (a restarted Director's or
StreamActor's stream resubscribing): too late to copy, but counted and reported. The ledger keeps
the last signature seen of each target (Ledger.copy_last_seen, mirrored to the root, so it outlives
a Director; and in the journal, actors/copy_seen.py, so it outlives the bot); a restarted stream, once live, asks the chain for that target's signatures since
(getSignaturesForAddress until it) and reports those it did not see itself whose transaction holds
a pump.fun or PumpSwap trade of the target (TargetTradesMissed). It looks CHECK_AFTER_SECONDS after
the stream started (a quiet stream may bring no update to tell it is live): a subscription slower
than that leaves trades in between unseen and uncounted. A subscription that ends inside a running
StreamActor (a websocket reconnect: nothing replays its gap; a Yellowstone reconnect, whose replay
from the last slot a server may refuse) is checked the same way, from the last trade of each target
this stream saw (copy_gap_restart). A missed sell of a coin we copy is then followed late (the
target's balance after it: CopyDesk.missed); a missed buy stays missed. Runs on the stream's loop."""
from __future__ import annotations

from loguru import logger
from solders.pubkey import Pubkey
from solders.signature import Signature

from actors.copy_seen import CopySeenWriting
from adapters.pumpfun import events
from adapters.pumpfun.layout_v1 import TradeEvent
from adapters.pumpswap.events import swap_events_from_logs
from adapters.stats import BoundedDict
from messages.copy import TargetTradesMissed

SIGNATURES_LIMIT = 100      # a restart takes seconds: a target trading more meanwhile is counted as 100
CHECK_AFTER_SECONDS = 3.0   # after the start: the subscription is up (about a second under load)
MAX_SEEN = 4_096            # target trade signatures the stream received since it started


def trades_of(target: str, log_lines) -> bool:
    """Whether a transaction's logs hold a pump.fun or PumpSwap trade made by `target`."""
    decoded = events.events_from_logs(log_lines)
    return (any(isinstance(e, TradeEvent) and str(e.user) == target for e in decoded.events)
            or any(str(e.user) == target for e in swap_events_from_logs(log_lines)))


def holdings_after(meta, target: str) -> dict[str, int]:
    """mint -> the target's raw balance after a transaction, for each mint it held before or after
    (an account closed by it reads 0)."""
    after: dict[str, int] = {}
    for balance in meta.pre_token_balances:
        if balance.owner == target:
            after.setdefault(balance.mint, 0)
    for balance in meta.post_token_balances:
        if balance.owner == target:
            after[balance.mint] = after.get(balance.mint, 0) + balance.amount
    return after


async def missed_trades(rpc, since: tuple, seen) -> list[tuple[str, tuple, tuple]]:
    """[(target, signatures oldest first, holdings)] of trades after `since` ((target, last signature
    seen), ...) that are not in `seen` (signatures the stream received); holdings: (mint, their
    balance after the last of them that changed it, its slot), so the Director can follow a missed
    exit (TargetTradesMissed)."""
    found = []
    for target, last in since:
        answer = await rpc.call("getSignaturesForAddress", lambda client, target=target, last=last:
                                client.get_signatures_for_address(Pubkey.from_string(target),
                                                                  until=Signature.from_string(last),
                                                                  limit=SIGNATURES_LIMIT))
        missed, holdings = [], {}
        for entry in reversed(answer.value):   # newest first on the wire
            signature = str(entry.signature)
            if entry.err is not None or signature in seen:
                continue
            meta = await rpc.get_transaction_meta(signature)
            if meta is not None and meta.succeeded and trades_of(target, meta.log_messages):
                missed.append(signature)
                holdings.update((mint, (mint, amount, meta.slot))
                                for mint, amount in holdings_after(meta, target).items())
        if missed:
            found.append((target, tuple(missed), tuple(holdings.values())))
    return found


async def check_with_own_client(settings, since: tuple, seen) -> list[tuple[str, tuple, tuple]]:
    from adapters.solana_rpc import RpcClient
    rpc = RpcClient.from_settings(settings)
    try:
        return await missed_trades(rpc, since, seen)
    finally:
        await rpc.close()


class CopyGapChecking(CopySeenWriting):
    """Mixin of StreamActor: copy_gap_start() at start, copy_gap_seen() per target trade drained,
    copy_gap_restart() when its subscription starts again; the WakeupMessage 'copy_gaps' runs the
    check once."""
    gap_since: tuple = ()
    gap_seen: BoundedDict | None = None
    gap_last: dict | None = None      # target -> the last signature of theirs this stream knows
    gap_pending: bool = False         # a check is scheduled: a further restart joins it

    def copy_gap_start(self, since: tuple) -> None:
        self.gap_last = {target: last for target, last in since if target in self.copy_targets}
        self._copy_gap_schedule(tuple(self.gap_last.items()))

    def copy_gap_restart(self) -> None:
        """The subscription ended and starts again: what the targets did meanwhile is not replayed."""
        if self.gap_last:
            self._copy_gap_schedule(tuple(self.gap_last.items()))

    def _copy_gap_schedule(self, since: tuple) -> None:
        if self.gap_pending:   # from the older signature of a target: both gaps in one check
            known = dict(self.gap_since)
            self.gap_since = tuple(known.items()) + tuple(item for item in since if item[0] not in known)
            return
        self.gap_since = since
        self.gap_seen = BoundedDict(MAX_SEEN)
        if self.gap_since:
            self.gap_pending = True
            self.wakeupAfter(CHECK_AFTER_SECONDS, payload="copy_gaps")

    def copy_gap_seen(self, signature: str, target: str = "") -> None:
        if self.gap_seen is not None:
            self.gap_seen[signature] = True
        if target and self.gap_last is not None and self.gap_last.get(target) != signature:
            self.gap_last[target] = signature
            self.copy_seen_changed(self.gap_last)   # journaled, for a whole-bot restart (copy_seen.py)

    def copy_gap_check(self) -> None:
        self.gap_pending = False
        self.submit(check_with_own_client(self.settings, self.gap_since, self.gap_seen),
                    self._copy_gaps_found, self._copy_gaps_failed)

    def _copy_gaps_found(self, found: list) -> None:
        for target, signatures, holdings in found:
            logger.warning("stream: {} trade(s) of copy target {} landed while the stream was "
                           "resubscribing (not copied): {}", len(signatures), target,
                           ", ".join(s[:12] for s in signatures))
            self.send(self.peers.director, TargetTradesMissed(target, signatures, holdings))

    def _copy_gaps_failed(self, exc: BaseException) -> None:
        logger.warning("stream: could not look for copy target trades missed while resubscribing: {!r}", exc)
