"""The WalletActor's housekeeping jobs: wrap SOL, rebalance SOL/WSOL to the target ratio (then
auto-wrap), close empty token accounts. One job at a time, queued; each reads the chain, plans exact
lamport moves, sends, settles, and feeds every change into the wallet's reconciliation. The planning
is pure (rebalance_steps) so it is tested without a chain."""
from __future__ import annotations

import collections

from loguru import logger

from actors.cashback import claim_cashback, ledger_report
from actors.trading_io import ATA_RENT_LAMPORTS, Settlement, token_accounts
from adapters.pumpfun.addresses import WSOL_MINT
from messages.position import TxSettled
from messages.wallet import (ClaimCashback, CloseEmptyAccounts, HousekeepingDone, HousekeepingFailed,
                             Rebalance, WrapSol)

HOUSEKEEPING = (WrapSol, Rebalance, CloseEmptyAccounts, ClaimCashback)
BPS = 10_000
CLOSES_PER_TX = 8
JOB_TIMEOUT_SECONDS = 300.0   # a safety net: each transaction already ends by its blockhash (~1 min)
WSOL = str(WSOL_MINT)


def rebalance_steps(sol: int, wsol: int, target_sol_bps: int, threshold_bps: int,
                    free: int) -> tuple[list, str]:
    """Steps [("wrap", lamports) | ("unwrap", 0), ...] that bring WSOL to its target share of
    SOL + WSOL when the SOL share is off target by more than the threshold; never wraps more
    than `free` SOL (reservations, fee reserve and the WSOL account's rent stay)."""
    total = sol + wsol
    if total <= 0:
        return [], "no SOL"
    sol_share = sol * BPS // total
    if abs(sol_share - target_sol_bps) <= threshold_bps:
        return [], f"SOL share {sol_share} bps is within {threshold_bps} of {target_sol_bps}"
    want_wsol = total * (BPS - target_sol_bps) // BPS
    if want_wsol > wsol:
        amount = min(want_wsol - wsol, free - ATA_RENT_LAMPORTS)
        if amount <= 0:
            return [], f"SOL share {sol_share} bps but no free SOL to wrap"
        return [("wrap", amount)], f"SOL share {sol_share} bps: wrap {amount}"
    steps = [("unwrap", 0)] + ([("wrap", want_wsol)] if want_wsol else [])
    return steps, f"SOL share {sol_share} bps: unwrap {wsol}, wrap {want_wsol}"


class HousekeepingJobs:
    def __init__(self, wallet):
        self.wallet = wallet
        self.queue: collections.deque = collections.deque()
        self.busy = False
        self.in_flight_lamports = 0     # SOL a job's unsettled txs may already have moved

    # ---- queue ---------------------------------------------------------------------------------
    def request(self, msg, sender) -> None:
        self.queue.append((msg, sender))
        self._next()

    def fail(self, msg, sender, reason: str) -> None:
        logger.warning("wallet: {} failed: {}", _action(msg), reason)
        self.wallet.send(sender, HousekeepingFailed(msg.request_id, _action(msg), reason))

    def _next(self) -> None:
        while not self.busy and self.queue:
            msg, sender = self.queue.popleft()
            try:
                self._start(msg, sender)
            except Exception as exc:
                self._done()
                self.fail(msg, sender, repr(exc))

    def _done(self) -> None:
        self.busy, self.in_flight_lamports = False, 0

    def _finish(self, msg, sender, reply) -> None:
        self._done()
        self.wallet.send(sender, reply)
        self._next()

    # ---- jobs ----------------------------------------------------------------------------------
    def _start(self, msg, sender) -> None:
        wallet = self.wallet
        if wallet.chain is None or wallet.sol_lamports is None:
            raise RuntimeError("wallet not ready (balances not read yet)")
        self.busy = True
        if isinstance(msg, WrapSol):
            if not isinstance(msg.lamports, int) or isinstance(msg.lamports, bool) or msg.lamports <= 0:
                raise ValueError(f"bad amount {msg.lamports!r}: a positive int of lamports")
            free = wallet.free_lamports()
            if msg.lamports + ATA_RENT_LAMPORTS > free:
                raise ValueError(f"insufficient free SOL: wrap {msg.lamports} needs "
                                 f"{msg.lamports + ATA_RENT_LAMPORTS}, free {free} lamports")
            self._execute(msg, sender, [("wrap", msg.lamports)], f"wrap {msg.lamports}")
        elif isinstance(msg, Rebalance):
            wallet.submit(self._read_sol_and_wsol(), lambda r: self._plan_rebalance(msg, sender, *r),
                          lambda exc: self._finish(msg, sender, _failed(msg, repr(exc))),
                          timeout=JOB_TIMEOUT_SECONDS)
        elif isinstance(msg, ClaimCashback):   # actors/cashback.py
            wallet.submit(claim_cashback(wallet.chain, msg.min_lamports, msg.min_usdc),
                          lambda result: self._settled(msg, sender, *result),
                          lambda exc: self._finish(msg, sender, _failed(msg, repr(exc))),
                          timeout=JOB_TIMEOUT_SECONDS)
        else:
            keep = set(msg.keep_mints)
            wallet.submit(self._close_empty(keep), lambda s: self._settled(msg, sender, s, "closed"),
                          lambda exc: self._finish(msg, sender, _failed(msg, repr(exc))),
                          timeout=JOB_TIMEOUT_SECONDS)

    async def _read_sol_and_wsol(self) -> tuple[int, int]:
        chain = self.wallet.chain
        return await chain.rpc.get_balance(chain.owner), await chain.wsol_balance()

    def _plan_rebalance(self, msg: Rebalance, sender, sol: int, wsol: int) -> None:
        balance = self.wallet.settings.balance
        if msg.only_if_holding_wsol and wsol == 0:
            self._execute(msg, sender, [], "no WSOL held: SOL/WSOL management not opted into")
            return
        free = self.wallet.free_lamports()
        steps, detail = rebalance_steps(sol, wsol, balance.sol_wsol_target_ratio_bps,
                                        balance.rebalance_threshold_bps, free)
        if msg.auto_wrap and balance.auto_wrap_enabled and balance.wrap_lamports > 0:
            wsol_after = wsol
            for kind, amount in steps:
                wsol_after = 0 if kind == "unwrap" else wsol_after + amount
            wrapped = sum(amount for kind, amount in steps if kind == "wrap")
            if wsol_after < balance.wrap_lamports:
                if balance.wrap_lamports + ATA_RENT_LAMPORTS <= free - wrapped:
                    steps.append(("wrap", balance.wrap_lamports))
                    detail += f"; auto-wrap {balance.wrap_lamports}"
                else:
                    detail += "; auto-wrap skipped: not enough free SOL"
        self._execute(msg, sender, steps, detail)

    def _execute(self, msg, sender, steps: list, detail: str) -> None:
        if not steps:
            self._finish(msg, sender, HousekeepingDone(msg.request_id, _action(msg), detail=detail))
            return
        logger.info("wallet: {}: {}", _action(msg), detail)
        self.in_flight_lamports = sum(amount + ATA_RENT_LAMPORTS for _, amount in steps)
        self.wallet.submit(self._run_steps(steps), lambda s: self._settled(msg, sender, s, detail),
                           lambda exc: self._finish(msg, sender, _failed(msg, repr(exc))),
                           timeout=JOB_TIMEOUT_SECONDS)

    async def _run_steps(self, steps: list) -> list[Settlement]:
        chain, done = self.wallet.chain, []
        for kind, amount in steps:
            prepared = await (chain.prepare_wrap(amount) if kind == "wrap" else chain.prepare_unwrap())
            settled = await chain.send_and_settle(prepared, WSOL)
            done.append(settled)
            if not settled.ok:
                break
        return done

    async def _close_empty(self, keep: set) -> list[Settlement]:
        chain = self.wallet.chain
        empty = [(address, program) for address, mint, amount, program
                 in await token_accounts(chain.rpc, chain.owner) if amount == 0 and mint not in keep]
        done = []
        for start in range(0, len(empty), CLOSES_PER_TX):
            prepared = await chain.prepare_close_accounts(empty[start:start + CLOSES_PER_TX])
            done.append(await chain.send_and_settle(prepared, WSOL))
        return done

    def _settled(self, msg, sender, settlements: list, detail: str) -> None:
        for settled in settlements:
            if settled.found:   # landed (even failed: it paid its fee)
                self.wallet.expect_change(settled.signature, settled.lamport_delta, settled.slot)
            if settled.found and settled.kind == "close" and self.wallet.director is not None:
                # the rent comes back from accounts our trades paid for: it belongs in the PnL
                self.wallet.send(self.wallet.director, TxSettled(
                    "", settled.signature, "close", settled.lamport_delta, settled.ok, 0, settled.error))
            if settled.found and settled.kind == "cashback" and self.wallet.director is not None:
                self.wallet.send(self.wallet.director, ledger_report(settled))   # its own line in the books
        bad = next((s for s in settlements if not s.ok), None)
        if bad is not None:
            reply = _failed(msg, f"{bad.kind} {bad.signature[:12]} failed: {bad.error}")
        else:
            reply = HousekeepingDone(msg.request_id, _action(msg),
                                     tuple(s.signature for s in settlements),
                                     sum(s.lamport_delta for s in settlements),
                                     sum(s.token_delta for s in settlements), detail)
            logger.info("wallet: {} done: SOL {:+d}, WSOL {:+d} lamports ({})", reply.action,
                        reply.sol_delta, reply.wsol_delta, detail)
        self._finish(msg, sender, reply)


def _action(msg) -> str:
    return {WrapSol: "wrap", Rebalance: "rebalance", CloseEmptyAccounts: "close",
            ClaimCashback: "cashback"}.get(type(msg), "?")


def _failed(msg, reason: str) -> HousekeepingFailed:
    return HousekeepingFailed(msg.request_id, _action(msg), reason)
