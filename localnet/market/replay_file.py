"""Read a file of real pump.fun trades (the columns of shared/data/pumpfun_trades_2025-09.csv)
and put each coin's rows in execution order.

Rows inside one block are not always in execution order in such a file; ordered by state (each
row's pre-state is the previous row's post-state) they form one chain per coin from a freshly
created curve (PROTOCOL_FACTS.md). Amounts stay integers.
"""
from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

INITIAL_VIRTUAL_SOL = 30_000_000_000
INITIAL_VIRTUAL_TOKENS = 1_073_000_000_000_000
REQUIRED_COLUMNS = ("block_time", "token_address", "wallet_address", "is_buy", "amount_in_sol", "amount_in_token",
                    "virtual_sol_reserves", "virtual_token_reserves", "real_sol_reserves", "real_token_reserves",
                    "fee_recipient", "fee_amount", "creator_address", "creator_fee_amount")


class ReplayFileError(ValueError):
    """The file is not a trades file, or a coin's rows do not chain from a fresh curve."""


@dataclass(frozen=True)
class ReplayTrade:
    block_time: int
    mint: str
    wallet: str
    creator: str
    fee_recipient: str
    is_buy: bool
    sol: int                  # curve SOL in (buy) or out (sell), fees excluded
    tokens: int
    fee: int
    creator_fee: int
    virtual_sol: int          # reserves after the trade
    virtual_tokens: int
    real_sol: int
    real_tokens: int

    def pre_state(self) -> tuple[int, int]:
        if self.is_buy:
            return self.virtual_sol - self.sol, self.virtual_tokens + self.tokens
        return self.virtual_sol + self.sol, self.virtual_tokens - self.tokens

    @property
    def max_sol_cost(self) -> int:
        return self.sol + self.fee + self.creator_fee

    @property
    def min_sol_output(self) -> int:
        return self.sol - self.fee - self.creator_fee


def _parse_row(number: int, row: dict) -> ReplayTrade:
    try:
        return ReplayTrade(
            int(row["block_time"]), row["token_address"], row["wallet_address"], row["creator_address"],
            row["fee_recipient"], row["is_buy"].strip().lower() == "true", int(row["amount_in_sol"]),
            int(row["amount_in_token"]), int(row["fee_amount"]), int(row["creator_fee_amount"]),
            int(row["virtual_sol_reserves"]), int(row["virtual_token_reserves"]), int(row["real_sol_reserves"]),
            int(row["real_token_reserves"]))
    except (TypeError, ValueError, AttributeError) as problem:
        raise ReplayFileError(f"row {number}: {problem}") from None


def load_trade_chains(path: Path) -> dict[str, list[ReplayTrade]]:
    """Mint -> its trades in execution order (state order); raises ReplayFileError."""
    rows: dict[str, list[ReplayTrade]] = defaultdict(list)
    with Path(path).open(newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ReplayFileError(f"{path}: not a trades file, missing columns {', '.join(missing)}")
        for number, row in enumerate(reader, start=2):
            trade = _parse_row(number, row)
            rows[trade.mint].append(trade)
    return {mint: _state_order(mint, trades) for mint, trades in rows.items()}


def _state_order(mint: str, trades: list[ReplayTrade]) -> list[ReplayTrade]:
    by_pre_state: dict[tuple[int, int], list[ReplayTrade]] = defaultdict(list)
    for trade in sorted(trades, key=lambda t: t.block_time, reverse=True):
        by_pre_state[trade.pre_state()].append(trade)      # pop() then takes the earliest first
    state, chain = (INITIAL_VIRTUAL_SOL, INITIAL_VIRTUAL_TOKENS), []
    while by_pre_state.get(state):
        trade = by_pre_state[state].pop()
        chain.append(trade)
        state = (trade.virtual_sol, trade.virtual_tokens)
    if len(chain) != len(trades):
        raise ReplayFileError(f"coin {mint}: only {len(chain)} of {len(trades)} rows chain from a fresh curve")
    return chain
