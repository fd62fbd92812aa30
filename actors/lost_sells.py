"""Sells a position sent but never journaled, found again on chain.

In safety mode (the journal failed) a sell still goes out unjournaled; if its PositionActor then dies
(its Director killed, the whole bot restarted) the restarted position reads a row without that sell
and finds the tokens gone. Before it calls them "gone" it asks the chain: the wallet's token account
of that mint lists every transaction that touched it (getSignaturesForAddress), and a successful one
that took tokens out, brought SOL (or USDC) in and is not among the row's orders is such a sell; it
is booked with the wallet's exact change read from the transaction, as any settled sell is. (A sale
the user made by hand from the bot's wallet looks the same and is booked too: the books then match
the chain. Tokens burned or sent away bring nothing in and stay "tokens_gone".)
"""
from __future__ import annotations

from solders.pubkey import Pubkey

from actors.trading_io import ChainAccess, Settlement
from adapters.pumpfun import addresses

SIGNATURES_LIMIT = 100   # a position's token account sees a buy, a few sells and their retries


async def landed_unknown_sells(chain: ChainAccess, launch, known: set[str]) -> list[Settlement]:
    """Successful transactions of the wallet that took tokens of `launch.mint` out and whose
    signature is not in `known`, oldest first, as Settlements."""
    account = addresses.associated_token_address(chain.owner, Pubkey.from_string(launch.mint),
                                                 Pubkey.from_string(launch.token_program))
    answer = await chain.rpc.call("getSignaturesForAddress", lambda client: client.get_signatures_for_address(
        account, limit=SIGNATURES_LIMIT))
    found = []
    for entry in reversed(answer.value):   # newest first on the wire
        signature = str(entry.signature)
        if signature in known or entry.err is not None:
            continue
        meta = await chain.rpc.get_transaction_meta(signature)
        if meta is None or not meta.succeeded or meta.token_delta(chain.owner, launch.mint) >= 0:
            continue
        settled = chain.settlement_of(signature, "sell", launch.mint, meta)
        if settled.lamport_delta > 0 or settled.usdc_delta > 0:   # paid for them: a sale, not a burn or transfer
            found.append(settled)
    return found
