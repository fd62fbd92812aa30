"""One async reader per source. Each returns the facts of its source or raises; the caller
(gather.py) puts them under the deadline, the rate limit and the cache."""
from __future__ import annotations

import base64

import aiohttp
import orjson
from solders.pubkey import Pubkey

from adapters.analysis.accounts import (TOKEN_METADATA, TokenMetadata, parse_metaplex_metadata,
                                        parse_mint, parse_token_metadata_extension)
from adapters.analysis.limits import RateLimited
from adapters.pumpfun import addresses
from adapters.pumpfun.layout_v1 import BONDING_CURVE
from adapters.solana_rpc import FRESH_COMMITMENT

MAX_DOCUMENT_BYTES = 64 * 1024    # a metadata JSON is a few hundred bytes; refuse anything huge


async def chain_accounts(rpc, launch) -> tuple:
    """(MintFacts, TokenMetadata | None, BondingCurve | None) from one getMultipleAccounts of
    [mint, Metaplex metadata, bonding curve]."""
    mint = Pubkey.from_string(launch.mint)
    keys = [mint, addresses.metadata(mint), addresses.bonding_curve(mint)]
    resp = await rpc.call("getMultipleAccounts", lambda c: c.get_multiple_accounts(keys, commitment=FRESH_COMMITMENT))
    mint_account, metadata_account, curve_account = resp.value
    if mint_account is None:
        raise LookupError(f"mint {launch.mint} not found")
    mint_facts = parse_mint(bytes(mint_account.data))
    metadata: TokenMetadata | None = None
    if metadata_account is not None:
        metadata = parse_metaplex_metadata(bytes(metadata_account.data))
    elif TOKEN_METADATA in mint_facts.extensions:
        metadata = parse_token_metadata_extension(mint_facts.extensions[TOKEN_METADATA])
    state = BONDING_CURVE.decode(bytes(curve_account.data)) if curve_account is not None else None
    return mint_facts, metadata, state


async def largest_other_holding(rpc, launch) -> int:
    """Largest token account of the mint other than the bonding curve's own (raw units)."""
    mint = Pubkey.from_string(launch.mint)
    curve_account = str(addresses.associated_bonding_curve(mint, Pubkey.from_string(launch.token_program)))
    resp = await rpc.call("getTokenLargestAccounts",
                          lambda c: c.get_token_largest_accounts(mint, commitment=FRESH_COMMITMENT))
    return max((int(item.amount.amount) for item in resp.value if str(item.address) != curve_account),
               default=0)


def share_bps(amount: int, supply: int) -> int:
    return amount * 10_000 // supply if supply else 10_000


async def get_json(session: aiohttp.ClientSession, url: str, source: str, headers=None):
    """GET a JSON document; 429 -> RateLimited (with Retry-After), other errors raise."""
    async with session.get(url, headers=headers, allow_redirects=False) as resp:
        if resp.status == 429:
            retry = resp.headers.get("Retry-After")
            raise RateLimited(source, float(retry) if retry and retry.replace(".", "", 1).isdigit() else None)
        if resp.status == 404:
            return None
        if resp.status != 200:
            raise RuntimeError(f"{source}: HTTP {resp.status}")
        body = await resp.content.read(MAX_DOCUMENT_BYTES + 1)
        if len(body) > MAX_DOCUMENT_BYTES:
            raise RuntimeError(f"{source}: document over {MAX_DOCUMENT_BYTES} bytes")
        return orjson.loads(body)


async def organic_entry(session, jupiter_url: str, mint: str, headers=None) -> dict | None:
    found = await get_json(session, f"{jupiter_url.rstrip('/')}/tokens/v2/search?query={mint}",
                           "jupiter", headers)
    return next((e for e in found or () if isinstance(e, dict) and e.get("id") == mint), None)


async def rugcheck_summary(session, rugcheck_url: str, mint: str) -> dict | None:
    return await get_json(session, f"{rugcheck_url.rstrip('/')}/v1/tokens/{mint}/report/summary",
                          "rugcheck")


async def rpc_json(session, rpc_url: str, method: str, params: list):
    """One plain JSON-RPC request (solana-py's simulate has no `accounts` option)."""
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    async with session.post(rpc_url, data=orjson.dumps(body),
                            headers={"content-type": "application/json"}) as resp:
        if resp.status == 429:
            raise RateLimited("rpc", None)
        reply = orjson.loads(await resp.read())
    if "error" in reply:
        raise RuntimeError(f"{method}: {reply['error'].get('message')}")
    return reply["result"]["value"]


async def simulate_json(session, rpc_url: str, tx_bytes: bytes, addresses_: list[str]) -> dict:
    """simulateTransaction with replaceRecentBlockhash and post-state of `addresses_` (solana-py
    has no `accounts` option, so this one request is plain JSON-RPC)."""
    return await rpc_json(session, rpc_url, "simulateTransaction", [
        base64.b64encode(tx_bytes).decode(),
        {"encoding": "base64", "sigVerify": False, "replaceRecentBlockhash": True,
         "commitment": FRESH_COMMITMENT, "accounts": {"addresses": addresses_, "encoding": "base64"}}])
