"""`python run.py --positions`: the journal's positions as a plain-text table, open ones first."""
from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

from adapters.journal.store import Journal, journal_path

LAMPORTS_PER_SOL = 1_000_000_000
HEADERS = ('opened (UTC)', 'mint', 'state', 'outcome', 'buy', 'sells', 'bought', 'sold', 'pnl SOL',
           'exit', 'wallet')


def find_journal(settings) -> Path | None:
    """run.journal_path if set; in live mode the journal live runs share (runs/journal.sqlite3);
    else the newest runs/*/journal.sqlite3 (each local run has its own)."""
    if settings.run.journal_path or settings.chain.mode == 'live':
        path = journal_path(settings)
        return path if path.exists() else None
    found = sorted(Path(settings.run.runs_dir).glob('*/journal.sqlite3'),
                   key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def _order_states(orders: list) -> str:
    return ','.join(o['state'] for o in orders) or '-'


def _row_cells(row: dict) -> tuple:
    buy = row.get('buy_order')
    pnl = Decimal(row['pnl_lamports']) / LAMPORTS_PER_SOL
    return (time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(row['opened_at'])), row['mint'],
            row['state'], row['outcome'] or '-', buy['state'] if buy else '-',
            _order_states(row.get('sell_orders') or []), str(row['bought_tokens']),
            str(row['sold_tokens']), f'{pnl:+.9f}', row['exit_reason'] or '-',
            (row.get('wallet') or '')[:8] or 'unknown')   # rows from before migration 003: unknown


def positions_table(rows: list[dict]) -> str:
    cells = [HEADERS] + [_row_cells(row) for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADERS))]
    lines = ['  '.join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
             for line in cells]
    lines.insert(1, '  '.join('-' * width for width in widths))
    open_count = sum(1 for row in rows if row['state'] in ('pending', 'active', 'closing'))
    lines.append(f'{len(rows)} position(s), {open_count} open')
    return '\n'.join(lines)


def print_positions(settings) -> int:
    """Prints the table (or why there is none); returns a process exit code."""
    path = find_journal(settings)
    if path is None:
        where = (journal_path(settings) if settings.run.journal_path or settings.chain.mode == 'live'
                 else Path(settings.run.runs_dir) / '*' / 'journal.sqlite3')
        print(f'no position journal found at {where} (set run.journal_path or run the bot first)')
        return 0
    journal = Journal(path)
    try:
        rows = journal.all_positions()
    finally:
        journal.close()
    print(f'journal: {path}')
    print(positions_table(rows))
    return 0
