"""The judge of a fault-matrix run: what the chain says the wallet did, against what the bot says.

Pure checkers (each returns a list of Violation; tests plant a violation in each) and one reader that
collects the wallet's landed transactions over JSON-RPC (getSignaturesForAddress + getTransaction).
A trade is read from the transaction's own metadata, not from the bot's builders: the wallet's token
balance of a mint went up (a buy) or down (a sell) in a transaction without error.
"""
from __future__ import annotations

import json
import urllib.request
from collections import Counter
from dataclasses import dataclass, field

import psutil

WSOL_MINT = "So11111111111111111111111111111111111111112"
VIOLATION_KINDS = ("stranded", "double_buy", "double_sell", "books", "lamports", "leftover")
SIGNATURES_PAGE = 1_000
SUMMARY_MARK = "--- summary"   # the first line of run.py's final summary
LEFT_IN_WALLET = "LEFT IN THE WALLET: "   # run.py's exit report of a token it could not sell


@dataclass(frozen=True)
class Violation:
    kind: str          # one of VIOLATION_KINDS
    detail: str


@dataclass(frozen=True)
class WalletTx:
    """One landed transaction that touched the wallet: its lamport change and token changes by mint."""
    signature: str
    ok: bool
    lamport_delta: int
    token_deltas: dict = field(default_factory=dict)     # mint -> raw change (WSOL left out)

    @property
    def trades(self) -> list[tuple[str, str]]:
        """[(mint, 'buy' | 'sell'), ...] this transaction made (only a successful one trades)."""
        if not self.ok:
            return []
        return [(mint, "buy" if delta > 0 else "sell") for mint, delta in self.token_deltas.items() if delta]


def wallet_tx_from_json(signature: str, tx: dict, owner: str) -> WalletTx:
    """The wallet's effects in one getTransaction (json encoding) answer."""
    meta = tx["meta"]
    keys = list(tx["transaction"]["message"]["accountKeys"])
    loaded = meta.get("loadedAddresses") or {}
    keys += list(loaded.get("writable", [])) + list(loaded.get("readonly", []))
    lamports = 0
    if owner in keys:
        index = keys.index(owner)
        lamports = meta["postBalances"][index] - meta["preBalances"][index]
    tokens: Counter = Counter()
    for sign, entries in ((-1, meta.get("preTokenBalances") or []), (1, meta.get("postTokenBalances") or [])):
        for entry in entries:
            if entry.get("owner") == owner and entry["mint"] != WSOL_MINT:
                tokens[entry["mint"]] += sign * int(entry["uiTokenAmount"]["amount"])
    return WalletTx(signature, meta.get("err") is None, lamports, {m: d for m, d in tokens.items() if d})


class ChainReader:
    """Plain JSON-RPC over loopback (no retries: the audit runs with every fault switched off)."""

    def __init__(self, rpc_url: str):
        self.url = rpc_url

    def call(self, method: str, params: list):
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            reply = json.loads(answer.read())
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def wallet_txs(self, owner: str) -> list[WalletTx]:
        """Every confirmed transaction that names the wallet, oldest first."""
        found, before = [], None
        while True:
            config = {"limit": SIGNATURES_PAGE, "commitment": "confirmed", **({"before": before} if before else {})}
            page = self.call("getSignaturesForAddress", [owner, config])
            found += [entry["signature"] for entry in page]
            if len(page) < SIGNATURES_PAGE:
                break
            before = page[-1]["signature"]
        txs = []
        for signature in reversed(found):
            tx = self.call("getTransaction", [signature, {"encoding": "json", "commitment": "confirmed",
                                                         "maxSupportedTransactionVersion": 0}])
            if tx is not None:
                txs.append(wallet_tx_from_json(signature, tx, owner))
        return txs

    def balance(self, owner: str) -> int:
        return self.call("getBalance", [owner, {"commitment": "confirmed"}])["value"]


# ---- the checkers ------------------------------------------------------------------------------------
def check_stranded(holdings: dict[str, int], output: str = "", exit_code: int | None = None) -> list[Violation]:
    """Every token account of the wallet is empty at the end (WSOL aside). A leftover is reported
    when run.py's final summary has its `LEFT IN THE WALLET: <mint>` line and run.py exited non-zero
    (app/exit_report.py); a mention elsewhere does not count. Reported or not it stays a violation:
    the matrix's faults only thin the odds (at most 30 % errors or drops) and the local market always
    has a route (the curve, the pool or the Jupiter rung), so no token here is one the bot could not
    possibly sell within its close timeout."""
    summary = output[output.rfind(SUMMARY_MARK):] if SUMMARY_MARK in output else ""
    exited_failed = exit_code not in (None, 0)

    def reported(mint: str) -> str:
        if f"{LEFT_IN_WALLET}{mint}" in summary and exited_failed:
            return " (reported: LEFT IN THE WALLET, exit 1)"
        return " (NOT reported by the bot)" if not exited_failed else " (NOT named by the exit report)"
    return [Violation("stranded", f"{raw} raw of {mint} left in the wallet{reported(mint)}")
            for mint, raw in sorted(holdings.items()) if raw and mint != WSOL_MINT]


def journal_orders(rows: list[dict]) -> dict[str, tuple[str, str, str]]:
    """signature -> (mint, kind, state) of every order the journal holds."""
    orders = {}
    for row in rows:
        for order in ([row["buy_order"]] if row.get("buy_order") else []) + list(row.get("sell_orders") or []):
            orders[order["signature"]] = (row["mint"], order["kind"], order["state"])
    return orders


def check_trades(txs: list[WalletTx], rows: list[dict]) -> list[Violation]:
    """Per mint: at most one landed buy; no more landed sells than there were tokens to sell (a sell
    landing after the tokens were gone would fail); every landed trade is in the journal, and every
    order the journal calls confirmed landed."""
    found = []
    orders = journal_orders(rows)
    buys: Counter = Counter()
    sells: dict[str, list[str]] = {}
    for tx in txs:
        for mint, kind in tx.trades:
            if kind == "buy":
                buys[mint] += 1
            else:
                sells.setdefault(mint, []).append(tx.signature)
            if tx.signature not in orders:
                found.append(Violation("books", f"landed {kind} {tx.signature[:16]} of {mint} is not in the journal"))
    for mint, count in sorted(buys.items()):
        if count > 1:
            found.append(Violation("double_buy", f"{count} landed buys of {mint}"))
    for mint, signatures in sorted(sells.items()):
        confirmed = sum(1 for s in signatures if orders.get(s, ("", "", ""))[2] == "confirmed")
        if len(signatures) > 1 and len(signatures) > confirmed:
            found.append(Violation("double_sell", f"{len(signatures)} landed sells of {mint}, "
                                                  f"journal confirms {confirmed}"))
    landed = {tx.signature for tx in txs if tx.ok}
    for signature, (mint, kind, state) in sorted(orders.items()):
        if state == "confirmed" and signature not in landed:
            found.append(Violation("books", f"journal says {kind} {signature[:16]} of {mint} confirmed; "
                                            f"the chain has no such successful transaction"))
    return found


def summary_scope_change(txs: list[WalletTx], rows: list[dict], since: float) -> int:
    """What the summary of a run.py started at `since` must say (actors/director_ledger.py): the
    on-chain lamport change of every order of its positions, those opened since, and those an
    earlier (killed) run.py left open, which it recovered and wrote since, or still holds."""
    signatures = set()
    for row in rows:
        if row["opened_at"] >= since or row["updated_at"] >= since or row["state"] not in ("closed", "failed"):
            signatures |= set(journal_orders([row]))
    return sum(tx.lamport_delta for tx in txs if tx.signature in signatures)


def check_lamports(wallet_change: int, txs: list[WalletTx], rows: list[dict],
                   summary_pnl: int | None, summary_expected: int | None = None) -> list[Violation]:
    """Lamports unaccounted: the journal's PnL equals the wallet's lamport change on chain, and so
    does the run's summary PnL (when run.py was restarted, the last one's summary equals its scope
    on chain, `summary_expected`: summary_scope_change). Details name the wallet's transactions the
    journal does not hold, and any journaled order whose booked delta is wrong."""
    found = []
    orders = journal_orders(rows)
    chain_sum = sum(tx.lamport_delta for tx in txs)
    if chain_sum != wallet_change:
        found.append(Violation("lamports", f"the wallet's transactions sum to {chain_sum} lamports but its "
                                           f"balance changed by {wallet_change}"))
    journal_pnl = sum(int(row.get("pnl_lamports") or 0) for row in rows)
    if journal_pnl != wallet_change:
        foreign = [f"{tx.signature[:12]} {tx.lamport_delta:+d}" for tx in txs if tx.signature not in orders]
        journaled = sum(tx.lamport_delta for tx in txs if tx.signature in orders)
        found.append(Violation("lamports", f"journal PnL {journal_pnl} != wallet change {wallet_change} lamports "
                                           f"(its orders moved {journaled} on chain; not in the journal: "
                                           f"{', '.join(foreign[:6]) or 'none'})"))
    if summary_expected is None:
        summary_expected, scope = wallet_change, "wallet change"
    else:
        scope = "the on-chain change of the last run.py's positions"
    if summary_pnl is not None and summary_pnl != summary_expected:
        found.append(Violation("lamports", f"summary PnL {summary_pnl} != {scope} {summary_expected} lamports"))
    return found


def check_leftovers(processes: list[psutil.Process]) -> list[Violation]:
    """No process of the bot outlives it."""
    described = []
    for proc in processes:
        try:
            described.append(f"{proc.pid} {' '.join(proc.cmdline())[:60]}")
        except psutil.Error:
            continue
    return [Violation("leftover", f"{len(described)} process(es) of the bot still alive: {described}")] if described else []
