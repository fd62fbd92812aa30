"""The Director's copy-trading part (a mixin): target trades from the StreamActor go through the copy
policy (actors/policy/copy.py); a copied buy opens an ordinary PositionActor (journaled, recovered,
must-sold) sized by the policy, a partial sell reaches it as SellPart, a full exit as ExitNow.
The per-target counters live here; a restarted Director rebuilds them from the journal (copy_resume),
the skips from the ledger the root kept (Ledger.copy_skips). Per-target PnL is the ledger's own
(Ledger.copy_pnl), booked from the same settled transactions and journal rows as its total."""
from __future__ import annotations

import time

from loguru import logger

from actors.copy_seen import CopySeenResuming
from actors.policy import copy as policy
from adapters.pumpfun import venue
from messages.copy import BuyMore, SellPart, TargetTradeBatch, TargetTradesMissed
from messages.position import ExitNow


class CopyDirecting(CopySeenResuming):
    copy_desk: policy.CopyDesk | None = None

    def start_copying(self, settings) -> None:
        if settings.trading.mode in ("copy", "both"):
            # imported once here, so every spare forked from this process has the pool buy loaded
            # (imported on a graduated coin's first copy it cost a fresh spare ~20-40 ms)
            import actors.pool_buy  # noqa: F401
            self.copy_desk = policy.CopyDesk(settings.copy.resolved_targets, settings.copy.follow_sells,
                                             settings.trading.usdc_buy_amount)
            logger.info("director: copying {} wallet(s): {}", len(self.copy_desk.targets),
                        ", ".join(self.copy_desk.targets))

    def receiveMsg_TargetTradeBatch(self, msg: TargetTradeBatch, sender):
        if self.copy_desk is None:
            return
        for trade in msg.trades:   # in stream order: each target's newest comes last
            self.ledger.copy_last_seen[trade.target] = trade.signature
        try:
            decided = self.copy_desk.decide_batch(msg.trades, time.time(),
                                                  lambda launch: self._why_not_buy(launch.mint, launch),
                                                  self._why_not_add)
        except Exception:
            logger.exception("director: a batch of {} target trades could not be judged", len(msg.trades))
            return
        for trade, decision in decided:
            try:
                self._copy_one(trade, decision)
            except Exception:   # one bad trade must not cost the rest of the batch
                logger.exception("director: copy of {} {} failed", trade.target, trade.signature[:12])

    def receiveMsg_TargetTradesMissed(self, msg: TargetTradesMissed, sender):
        """Trades a target made while our stream was resubscribing (actors/copy_gaps.py): a skip."""
        book = self.copy_desk.books.get(msg.target) if self.copy_desk is not None else None
        if book is not None:
            book.skips[policy.MISSED_RESUBSCRIBING] += len(msg.signatures)
            logger.warning("director: copy {}: {} trade(s) missed while the stream resubscribed",
                           msg.target, len(msg.signatures))
            # a missed buy stays missed (too late to copy); a missed sell of a coin we hold is followed
            for mint, decision in self.copy_desk.missed(msg.target, msg.holdings):
                logger.warning("director: copy {}: following their missed sell of {} late", msg.target, mint)
                self._follow_sell(msg.target, mint, decision)

    def _copy_one(self, trade, decision) -> None:
        side = "buy" if trade.is_buy else "sell"
        if isinstance(decision, policy.Buy):
            logger.info("director: copy {} buy of {} ({} lamports) with {} lamports", trade.target,
                        trade.mint, trade.sol_amount, decision.lamports)
            self.copy_desk.opened(trade, decision.lamports)
            self._open_position(decision.launch, buy_lamports=decision.lamports,   # armed: director_copy_spares.py
                                address=self.take_copy_spare(decision.launch, decision.lamports))
        elif isinstance(decision, policy.AddBuy):
            live = self.positions.get(trade.mint)
            if live is None or live.address is None:
                return
            logger.info("director: copy {} bought {} again ({} lamports): {} lamports more", trade.target,
                        trade.mint, trade.sol_amount, decision.lamports)
            self.copy_desk.added(trade, decision.lamports)
            self.send(live.address, BuyMore(f"copy: {trade.target[:8]} bought again", decision.lamports,
                                            decision.launch))
        elif isinstance(decision, policy.Skip):
            logger.info("director: copy skip {} {} of {}: {}", trade.target, side, trade.mint,
                        decision.reason)
        elif isinstance(decision, (policy.Exit, policy.SellPart)):
            self._follow_sell(trade.target, trade.mint, decision)

    def _follow_sell(self, target: str, mint: str, decision) -> None:
        live = self.positions.get(mint)
        if live is None or live.address is None:
            return
        if isinstance(decision, policy.Exit):
            logger.info("director: copy {} exited {}: full exit", target, mint)
            self.send(live.address, ExitNow(f"copy: {target[:8]} exited"))
        else:
            logger.info("director: copy {} sold {}/{} of {}", target, decision.sold, decision.before, mint)
            self.send(live.address, SellPart(f"copy: {target[:8]} sold part", decision.sold, decision.before))

    def _why_not_add(self, launch) -> str:
        """The Director's gate for a repeat buy into an open position: '' lets it through."""
        if launch.mint not in self.positions:
            return "position closed"
        refusal = venue.policy_refusal(launch, self.settings.trading)
        if refusal:
            return refusal
        if self.ledger.breaker.tripped:
            return "circuit breaker open"
        if self.safety_mode or self.ledger.failures.get("journal_failed"):   # director.JOURNAL_FAILED_KEY
            return "wallet safety mode"
        return "" if self.buying else "buying paused"

    def copy_resume(self, rows: list) -> None:
        """After the ledger is known: skip counters live in it (mirrored to the root, so they outlive
        this Director); `rows`: this run's journal rows, when this Director replaces a dead one."""
        if self.copy_desk is None:
            return
        for wallet, book in self.copy_desk.books.items():
            book.skips = self.ledger.copy_skips.setdefault(wallet, book.skips)
        if rows:
            self.copy_desk.rebuild(rows, self.ledger.started_at)
            logger.info("director: copy books rebuilt from {} journal row(s): {}", len(rows),
                        self.copy_desk.report())

    def copy_recovered(self, launch) -> None:
        self.ledger.note_position(launch.mint, policy.copy_target_of(launch))
        if self.copy_desk is not None and self.copy_desk.adopt(launch):
            logger.info("director: resumed copy of {} from {}", launch.mint, launch.user)

    def copy_position_closed(self, mint: str) -> None:
        if self.copy_desk is not None:
            self.copy_desk.closed(mint)

    def copy_report(self) -> dict:
        """Per target; its PnL is the ledger's (Ledger.copy_pnl): every settled transaction of its
        copies, whoever reported it, so the targets' PnL adds up to the ledger's."""
        return self.copy_desk.report(self.ledger.copy_pnl) if self.copy_desk is not None else {}
