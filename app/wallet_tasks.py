"""One-shot wallet modes of run.py: `--sell` (sell every token left in the wallet: must-sell,
native then Jupiter; then close the emptied accounts), `--balance` (rebalance SOL/WSOL to the
target ratio), `--wrap [SOL]` (wrap SOL), `--claim-cashback` (claim all earned cashback).
Each starts the same WalletActor, SellerActor and BalanceMonitorActor the bot runs (no Director,
no stream: nothing buys), asks once, prints the outcome and stops; in local mode against a freshly started local chain."""
from __future__ import annotations

from loguru import logger

from app.bot_run import BotRun
from adapters.jupiter import SOL_MINT as WSOL_MINT
from app.summary import lamports_to_sol

TASK_TIMEOUT_SECONDS = 600.0
WALLET_READY_TIMEOUT_SECONDS = 30.0


class WalletTask(BotRun):
    def __init__(self, settings, run_dir, task: str, wrap_lamports: int | None = None):
        super().__init__(settings, run_dir, None)
        self.task, self.wrap_lamports = task, wrap_lamports
        self.outcome_lines: list[str] = []
        self.stop_reason = 'done'

    def _start_director(self) -> None:   # the one-shot tree: wallet, seller, monitor
        from actors.balance_monitor import BalanceMonitorActor
        from actors.seller import SellerActor
        from actors.wallet import WalletActor
        from messages.start import Peers, StartBalanceMonitor, StartSeller, StartWallet
        settings = self.settings.replace(**{'balance.interval_seconds': 86_400})   # no ticks
        wallet, seller, self.monitor = (self.system.create_actor(cls) for cls in
                                        (WalletActor, SellerActor, BalanceMonitorActor))
        peers = Peers(wallet=wallet, seller=seller)
        self.wallet = wallet
        self.system.tell(wallet, StartWallet(settings, peers))
        self.system.tell(seller, StartSeller(settings, peers))
        self.system.tell(self.monitor, StartBalanceMonitor(settings, peers))

    def _watch(self) -> None:
        from messages import new_request_id
        from messages.balance import SweepNow
        from messages.wallet import BalancesReport, ClaimCashback, Rebalance, RefreshBalances, WrapSol
        ready = self.system.ask(self.wallet, RefreshBalances(new_request_id('cli')),
                                timeout=WALLET_READY_TIMEOUT_SECONDS)
        if not isinstance(ready, BalancesReport):
            raise RuntimeError(f'the wallet could not read its balances: {ready!r}')
        self.outcome_lines.append(f'before: {balance_line(ready)}')
        if self.task == 'sell':
            request, target = SweepNow(new_request_id('sell'), live_mints=(), rebalance=False), self.monitor
        elif self.task == 'cashback':   # every part, however small (the thresholds are for the background)
            request, target = ClaimCashback(new_request_id('cashback'), 1, 1), self.wallet
        elif self.task == 'balance':
            request, target = Rebalance(new_request_id('balance'), auto_wrap=False), self.wallet
        else:
            wrap = self.wrap_lamports or self.settings.balance.wrap_lamports
            request, target = WrapSol(new_request_id('wrap'), wrap), self.wallet
        reply = self.system.ask(target, request, timeout=TASK_TIMEOUT_SECONDS)
        failed = self._describe(reply)
        after = self.system.ask(self.wallet, RefreshBalances(new_request_id('cli')),
                                timeout=WALLET_READY_TIMEOUT_SECONDS)
        self.outcome_lines.append(f'after: {balance_line(after)}' if isinstance(after, BalancesReport)
                                  else f'after: the wallet could not read its balances ({after!r})')
        if failed:
            self.stop_reason = 'failed'
            raise RuntimeError(failed)

    def _describe(self, reply) -> str:
        """Adds the outcome lines; returns why the task failed ('' when it did not)."""
        from messages.balance import SweepReport
        from messages.wallet import HousekeepingDone, HousekeepingFailed
        lines = self.outcome_lines
        if isinstance(reply, SweepReport):
            for mint, tokens, lamports in reply.sold:
                lines.append(f'sold {tokens} of {mint} for {lamports_to_sol(lamports)} SOL')
            for mint, tokens, reason in reply.unsellable:
                lines.append(f'UNSELLABLE {tokens} of {mint}: {reason}')
            lines.append(f'sold {len(reply.sold)} token(s); closed accounts: {reply.closed or "-"}')
            return f'{len(reply.unsellable)} token(s) unsellable' if reply.unsellable else ''
        if isinstance(reply, HousekeepingDone):
            lines.append(f'{reply.action}: {reply.detail}; SOL {reply.sol_delta:+d} lamports, '
                         f'WSOL {reply.wsol_delta:+d} lamports; tx {", ".join(reply.signatures) or "none"}')
            return ''
        if isinstance(reply, HousekeepingFailed):
            lines.append(f'{reply.action} failed: {reply.reason}')
            return reply.reason
        lines.append(f'no answer from the bot ({reply!r})')
        return 'no answer'

    def _final_summary(self) -> None:
        print(f'--- {self.task} ({self.stop_reason}) ---', flush=True)
        for line in self.outcome_lines:
            print(line, flush=True)
        print(f'log: {self.run_dir / "bot.log"}', flush=True)
        logger.info('{} finished: {}', self.task, '; '.join(self.outcome_lines))


def balance_line(report) -> str:
    """SOL, WSOL and the other token mints held, from a BalancesReport (exact amounts)."""
    wsol = sum(amount for mint, amount in report.tokens if str(mint) == WSOL_MINT)
    others = sum(1 for mint, amount in report.tokens if str(mint) != WSOL_MINT and amount)
    return (f'SOL {lamports_to_sol(report.sol_lamports)}, WSOL {lamports_to_sol(wsol)}, '
            f'{others} other token mint(s) held')


def run_wallet_task(settings, run_dir, task: str, wrap_sol: str | None) -> int:
    wrap_lamports = None
    if task == 'wrap' and wrap_sol:
        from config.parsing import sol
        wrap_lamports = sol(1)('--wrap', wrap_sol)
    return WalletTask(settings, run_dir, task, wrap_lamports).run()
