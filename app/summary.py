"""What a person reads: exact SOL amounts, percentiles, the live status line and the final summary."""
from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

from adapters.stats import nearest_rank
from config.parsing import LAMPORTS_PER_SOL


def lamports_to_sol(lamports: int) -> str:
    """Exact: integer lamports shown as SOL with 9 decimals (Decimal, never float)."""
    return f'{Decimal(lamports) / LAMPORTS_PER_SOL:.9f}'


def latency_percentiles(status) -> tuple:
    """(p50, p99, buys) of detection-to-buy-sent: exact over the recent window while it holds every
    buy, else from the run's histogram (within 5 %, adapters/stats.py)."""
    recent = list(status.latencies_ms)
    histogram = getattr(status, 'latency_histogram', None)
    if histogram is not None and histogram.count > len(recent):
        return histogram.quantile(0.5), histogram.quantile(0.99), histogram.count
    if not recent:
        return None, None, 0
    ordered = sorted(recent)
    return nearest_rank(ordered, 0.5), nearest_rank(ordered, 0.99), len(ordered)


def hot_path_lines(status) -> list[str]:
    """Buys by slots after their create (sent -> landed) and exit signal -> sell sent p50/p99."""
    lines = []
    landing = getattr(status, 'landing_slots', None) or {}
    if landing:
        landed = sum(landing.values())
        ordered = sorted(slot for slot, count in landing.items() for _ in range(count))
        lines.append(f'buy landed slots after create: p50 {nearest_rank(ordered, 0.5)}, '
                     f'p99 {nearest_rank(ordered, 0.99)}, same slot {landing.get(0, 0)}/{landed}')
    exits = getattr(status, 'exit_to_sell_histogram', None)
    if exits is not None and exits.count:
        lines.append(f'exit-to-sell-sent p50 {_ms(exits.quantile(0.5))}, p99 {_ms(exits.quantile(0.99))} '
                     f'over {exits.count} sells')
    return lines


def skips_text(skips: dict) -> str:
    """Why coins were not bought, most frequent first."""
    return ', '.join(f'{reason} {count}' for reason, count in
                     sorted(skips.items(), key=lambda item: (-item[1], item[0]))) or 'none'


def _ms(value) -> str:
    return '-' if value is None else f'{value:.1f} ms'


def status_line(status) -> str:
    failures = sum(status.failures.values())
    return (f'{time.strftime("%H:%M:%S")} seen {status.coins_seen} analysed {status.analysed} '
            f'bought {status.bought} sold {status.sold} open {status.active_positions} '
            f'pnl {lamports_to_sol(status.pnl_lamports)} SOL failures {failures}'
            + (' SAFETY-MODE' if status.safety_mode else '')
            + (' JOURNAL-FAILED' if getattr(status, 'journal_failure', '') else '') + _buying_flag(status))


def _buying_flag(status) -> str:
    breaker = getattr(status, 'breaker', '')
    if breaker:
        return f' BREAKER: {breaker}'
    return '' if getattr(status, 'buying', True) else ' PAUSED'


def copy_lines(books: dict) -> list[str]:
    """One line per copy target: trades copied, skipped with reason, PnL (every settled transaction
    of its copies, open ones' buys included: the ledger's Ledger.copy_pnl) and copies closed."""
    return [f'copy {wallet}: copied {book["copied_buys"]} buys, {book["copied_sells"]} sells; '
            f'PnL {lamports_to_sol(book["pnl_lamports"])} SOL, {book["closed"]} closed; '
            f'skipped: {skips_text(book["skips"])}' for wallet, book in sorted(books.items())]


def cashback_lines(status) -> list[str]:
    """'cashback claimed ...' when the run claimed any (net of fees; part of the PnL above)."""
    lamports, usdc = getattr(status, 'cashback_lamports', 0), getattr(status, 'cashback_usdc', 0)
    if not lamports and not usdc:
        return []
    return [f'cashback claimed {lamports_to_sol(lamports)} SOL ({lamports} lamports)'
            + (f', {Decimal(usdc) / 10**6:+.6f} USDC ({usdc} raw)' if usdc else '') + ', in the PnL']


def summary_text(status, stop_reason: str, run_dir: Path) -> str:
    lines = [f'--- summary (stopped: {stop_reason}) ---']
    if status is None:
        lines.append('no status from the bot (it did not start or did not answer)')
    else:
        p50, p99, buys = latency_percentiles(status)
        failures = ', '.join(f'{k} {v}' for k, v in sorted(status.failures.items())) or 'none'
        restarts = ', '.join(f'{k} {v}' for k, v in sorted(status.restarts.items())) or 'none'
        lifecycle = ', '.join(f'{k} {v}' for k, v in sorted(status.lifecycle.items()) if v) or 'none'
        lines += [
            f'coins seen {status.coins_seen}, analysed {status.analysed}, bought {status.bought}, '
            f'sold {status.sold}, still open {status.active_positions}',
            f'PnL {lamports_to_sol(status.pnl_lamports)} SOL ({status.pnl_lamports} lamports)'
            + (f', {getattr(status, "pnl_usdc", 0) / 10**6:+.6f} USDC ({status.pnl_usdc} raw)'
               if getattr(status, 'pnl_usdc', 0) else ''),
            *cashback_lines(status),
            f'detection-to-buy-sent p50 {_ms(p50)}, p99 {_ms(p99)} over {buys} buys',
            *hot_path_lines(status),
            f'skipped: {skips_text(getattr(status, "skips", {}) or {})}',
            f'failures: {failures}',
            f'restarts: {restarts}',
            f'lifecycle: {lifecycle}',
            f'unresolved signatures {status.unresolved_signatures}'
            + (', SAFETY MODE was on' if status.safety_mode else ''),
        ]
        if getattr(status, 'breaker', ''):
            lines.append(f'BREAKER: {status.breaker}')
        lines += copy_lines(getattr(status, 'copy', {}) or {})
    lines.append(f'log: {run_dir / "bot.log"}')
    return '\n'.join(lines)
