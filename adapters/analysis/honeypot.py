"""Honeypot probe with the bot's own builders: simulate [create ATA, buy] and [create ATA, buy,
sell all] side by side; the difference of the wallet's lamports after each is exactly what the sell
paid (rent of accounts the buy creates cancels out). A coin whose sell fails, or pays back far less
than the buy cost (fees aside), is a honeypot (transfer fee or hook, frozen accounts...)."""
from __future__ import annotations

import base64
from dataclasses import replace

from solders.hash import Hash
from solders.message import MessageV0
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from adapters.pumpfun import curve, venue
from adapters.pumpfun.layout_v1 import BondingCurve, Global
from adapters.solana_rpc import FRESH_COMMITMENT


class ProbeBuyFailed(RuntimeError):
    """Our own probe buy cannot run (funds, a stale curve): no verdict on the coin."""


PROBE_SLIPPAGE = 2     # max_sol_cost = 2x the quote: the probe asks "can it sell", not "at what price"


def unsigned(payer, instructions) -> bytes:
    """A transaction with blank signatures: simulateTransaction with sigVerify false needs none
    ("not required to be signed unless sigVerify is true", solana.com docs), and
    replaceRecentBlockhash puts in a real blockhash, so nothing is signed per coin."""
    message = MessageV0.try_compile(payer, instructions, [], Hash.default())
    return bytes(VersionedTransaction.populate(message, [Signature.default()] * message.header.num_required_signatures))


def probe_tokens(state: BondingCurve, probe_lamports: int) -> int:
    """About probe_lamports' worth of tokens (fees aside), in one step: the probe needs some amount
    and its exact cost (buy_total_cost), not the largest amount a budget buys (a 36-step search)."""
    tokens = probe_lamports * state.virtual_token_reserves // (state.virtual_sol_reserves + probe_lamports)
    tokens = min(tokens, state.real_token_reserves)
    if tokens <= 0:
        raise ValueError("the curve sells no tokens for the probe")
    return tokens


def probe_transactions(owner, launch, state: BondingCurve, global_: Global,
                       probe_lamports: int) -> tuple[bytes, bytes, int]:
    """(buy-only tx, buy+sell tx, quoted buy cost in lamports) paid by `owner` (a Pubkey)."""
    tokens = probe_tokens(state, probe_lamports)
    cost = curve.buy_total_cost(state, global_, tokens)
    # legacy instructions, recipients Global allows for this coin (a reserved one for mayhem coins)
    kind, fees = venue.CoinKind.of_curve(launch.mint, launch.token_program, state), venue.FeeAccounts.of_global(global_)
    # a curve modelled from the create event carries no flags: the event's cashback flag picks the sell's accounts
    kind = replace(kind, is_cashback_coin=kind.is_cashback_coin or bool(getattr(launch, "is_cashback_coin", False)))
    buy = venue.buy_instructions("legacy", owner, kind, fees, tokens, cost * PROBE_SLIPPAGE)
    sell = venue.sell_instruction("legacy", owner, kind, fees, tokens, 0)
    return unsigned(owner, buy), unsigned(owner, buy + [sell]), cost


def simulate_call(tx_bytes: bytes, owner: str) -> tuple[str, list]:
    """simulateTransaction with replaceRecentBlockhash, returning the owner's post-state."""
    return "simulateTransaction", [
        base64.b64encode(tx_bytes).decode(),
        {"encoding": "base64", "sigVerify": False, "replaceRecentBlockhash": True,
         "commitment": FRESH_COMMITMENT, "accounts": {"addresses": [owner], "encoding": "base64"}}]


def probe_calls(owner, launch, state: BondingCurve, global_: Global, probe_lamports: int) -> tuple[list, int]:
    """([simulate buy, simulate buy+sell] JSON-RPC calls, quoted buy cost)."""
    if state.complete:
        raise ProbeBuyFailed("curve complete")
    buy_tx, round_trip_tx, cost = probe_transactions(owner, launch, state, global_, probe_lamports)
    return [simulate_call(buy_tx, str(owner)), simulate_call(round_trip_tx, str(owner))], cost


def verdict(bought, sold, cost: int) -> tuple[bool, int, str]:
    """(sell works, round-trip loss in bps of the buy cost, error text) from the two simulations;
    the difference of the wallet's lamports after each is what the sell paid."""
    for answer in (bought, sold):
        if isinstance(answer, Exception):
            raise answer
    if bought.get("err") is not None:   # our buy cannot run (funds, stale curve): no verdict
        raise ProbeBuyFailed(f"probe buy fails: {str(bought['err'])[:100]}")
    if sold.get("err") is not None:
        return False, 10_000, f"sell fails: {str(sold['err'])[:100]}"
    proceeds = int(sold["accounts"][0]["lamports"]) - int(bought["accounts"][0]["lamports"])
    return True, max(0, cost - proceeds) * 10_000 // max(cost, 1), ""
