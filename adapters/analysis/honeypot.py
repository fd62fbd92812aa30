"""Honeypot probe with the bot's own builders: simulate [create ATA, buy] and [create ATA, buy,
sell all] side by side; the difference of the wallet's lamports after each is exactly what the sell
paid (rent of accounts the buy creates cancels out). A coin whose sell fails, or pays back far less
than the buy cost (fees aside), is a honeypot (transfer fee or hook, frozen accounts...)."""
from __future__ import annotations

import asyncio
from dataclasses import replace

from solders.hash import Hash
from solders.message import MessageV0
from solders.transaction import VersionedTransaction

from adapters.analysis.sources import simulate_json
from adapters.pumpfun import curve, venue
from adapters.pumpfun.layout_v1 import BondingCurve, Global

class ProbeBuyFailed(RuntimeError):
    """Our own probe buy cannot run (funds, a stale curve): no verdict on the coin."""


PROBE_SLIPPAGE = 2     # max_sol_cost = 2x the quote: the probe asks "can it sell", not "at what price"


def probe_transactions(key, launch, state: BondingCurve, global_: Global,
                       probe_lamports: int) -> tuple[bytes, bytes, int]:
    """(buy-only tx, buy+sell tx, quoted buy cost in lamports)."""
    owner = key.pubkey
    tokens = curve.tokens_for_sol(state, global_, probe_lamports)
    cost = curve.buy_total_cost(state, global_, tokens)
    # legacy instructions, recipients Global allows for this coin (a reserved one for mayhem coins)
    kind, fees = venue.CoinKind.of_curve(launch.mint, launch.token_program, state), venue.FeeAccounts.of_global(global_)
    # a curve modelled from the create event carries no flags: the event's cashback flag picks the sell's accounts
    kind = replace(kind, is_cashback_coin=kind.is_cashback_coin or bool(getattr(launch, "is_cashback_coin", False)))
    buy = venue.buy_instructions("legacy", owner, kind, fees, tokens, cost * PROBE_SLIPPAGE)
    sell = venue.sell_instruction("legacy", owner, kind, fees, tokens, 0)

    def signed(ixs) -> bytes:
        message = MessageV0.try_compile(owner, ixs, [], Hash.default())   # blockhash replaced by the node
        return bytes(VersionedTransaction(message, [key.signer]))
    return signed(buy), signed(buy + [sell]), cost


async def probe(session, rpc_url: str, key, launch, state: BondingCurve, global_: Global,
                probe_lamports: int):
    """(sell works, round-trip loss in bps of the buy cost, error text)."""
    if state.complete:
        return False, 10_000, "curve complete"
    buy_tx, round_trip_tx, cost = probe_transactions(key, launch, state, global_, probe_lamports)
    owner = [str(key.pubkey)]
    bought, sold = await asyncio.gather(simulate_json(session, rpc_url, buy_tx, owner),
                                        simulate_json(session, rpc_url, round_trip_tx, owner))
    if bought.get("err") is not None:   # our buy cannot run (funds, stale curve): no verdict
        raise ProbeBuyFailed(f"probe buy fails: {str(bought['err'])[:100]}")
    if sold.get("err") is not None:
        return False, 10_000, f"sell fails: {str(sold['err'])[:100]}"
    proceeds = int(sold["accounts"][0]["lamports"]) - int(bought["accounts"][0]["lamports"])
    return True, max(0, cost - proceeds) * 10_000 // max(cost, 1), ""
