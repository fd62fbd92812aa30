"""What a person reads: exact SOL amounts, percentiles, the live status line and the final summary."""
from __future__ import annotations

import math
import time
from decimal import Decimal
from pathlib import Path

from config.parsing import LAMPORTS_PER_SOL


def lamports_to_sol(lamports: int) -> str:
    """Exact: integer lamports shown as SOL with 9 decimals (Decimal, never float)."""
    return f'{Decimal(lamports) / LAMPORTS_PER_SOL:.9f}'


def percentile(values, fraction: float):
    """Nearest-rank percentile; None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(len(ordered) * Decimal(str(fraction))))
    return ordered[rank - 1]


def _ms(value) -> str:
    return '-' if value is None else f'{value:.1f} ms'


def status_line(status) -> str:
    failures = sum(status.failures.values())
    return (f'{time.strftime("%H:%M:%S")} seen {status.coins_seen} analysed {status.analysed} '
            f'bought {status.bought} sold {status.sold} open {status.active_positions} '
            f'pnl {lamports_to_sol(status.pnl_lamports)} SOL failures {failures}'
            + (' SAFETY-MODE' if status.safety_mode else ''))


def summary_text(status, stop_reason: str, run_dir: Path) -> str:
    lines = [f'--- summary (stopped: {stop_reason}) ---']
    if status is None:
        lines.append('no status from the bot (it did not start or did not answer)')
    else:
        latencies = list(status.latencies_ms)
        failures = ', '.join(f'{k} {v}' for k, v in sorted(status.failures.items())) or 'none'
        restarts = ', '.join(f'{k} {v}' for k, v in sorted(status.restarts.items())) or 'none'
        lifecycle = ', '.join(f'{k} {v}' for k, v in sorted(status.lifecycle.items()) if v) or 'none'
        lines += [
            f'coins seen {status.coins_seen}, analysed {status.analysed}, bought {status.bought}, '
            f'sold {status.sold}, still open {status.active_positions}',
            f'PnL {lamports_to_sol(status.pnl_lamports)} SOL ({status.pnl_lamports} lamports)',
            f'detection-to-buy-sent p50 {_ms(percentile(latencies, 0.5))}, '
            f'p99 {_ms(percentile(latencies, 0.99))} over {len(latencies)} buys',
            f'failures: {failures}',
            f'restarts: {restarts}',
            f'lifecycle: {lifecycle}',
            f'unresolved signatures {status.unresolved_signatures}'
            + (', SAFETY MODE was on' if status.safety_mode else ''),
        ]
    lines.append(f'log: {run_dir / "bot.log"}')
    return '\n'.join(lines)
