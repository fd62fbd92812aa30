"""The sources' requests and answers: the chain's JSON-RPC calls (built here, sent as one batch by
adapters/analysis/rpc.py, parsed here) and one async reader per HTTP source. Each raises on
failure; the caller (gather.py) puts them under the deadline, the rate limit and the cache."""
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


def chain_calls(launch) -> list[tuple[str, list]]:
    """[getMultipleAccounts of (mint, Metaplex metadata, bonding curve), getTokenLargestAccounts]:
    one batch, read at processed (the stream saw the coin there)."""
    mint = Pubkey.from_string(launch.mint)
    keys = [launch.mint, str(addresses.metadata(mint)), str(addresses.bonding_curve(mint))]
    return [("getMultipleAccounts", [keys, {"encoding": "base64", "commitment": FRESH_COMMITMENT}]),
            ("getTokenLargestAccounts", [launch.mint, {"commitment": FRESH_COMMITMENT}])]


def _data(account) -> bytes | None:
    return None if account is None else base64.b64decode(account["data"][0])


def parse_chain_accounts(value, mint: str) -> tuple:
    """(MintFacts, TokenMetadata | None, BondingCurve | None) from getMultipleAccounts' value."""
    mint_data, metadata_data, curve_data = (_data(account) for account in value)
    if mint_data is None:
        raise LookupError(f"mint {mint} not found")
    mint_facts = parse_mint(mint_data)
    metadata: TokenMetadata | None = None
    if metadata_data is not None:
        metadata = parse_metaplex_metadata(metadata_data)
    elif TOKEN_METADATA in mint_facts.extensions:
        metadata = parse_token_metadata_extension(mint_facts.extensions[TOKEN_METADATA])
    state = BONDING_CURVE.decode(curve_data) if curve_data is not None else None
    return mint_facts, metadata, state


def largest_other_holding(value, launch) -> int:
    """Largest token account of the mint other than the bonding curve's own (raw units), from
    getTokenLargestAccounts' value."""
    mint = Pubkey.from_string(launch.mint)
    curve_account = str(addresses.associated_bonding_curve(mint, Pubkey.from_string(launch.token_program)))
    return max((int(item["amount"]) for item in value if item["address"] != curve_account), default=0)


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


async def organic_entries(session, jupiter_url: str, mints: list, headers=None) -> dict:
    """{mint: entry} from one Tokens V2 search of up to 100 comma-separated mints (the docs:
    "Comma-separate to ONLY search for multiple mint addresses"); a mint it does not know is absent."""
    found = await get_json(session, f"{jupiter_url.rstrip('/')}/tokens/v2/search?query={','.join(mints)}",
                           "jupiter", headers)
    wanted = set(mints)
    return {e["id"]: e for e in found or () if isinstance(e, dict) and e.get("id") in wanted}


async def rugcheck_summary(session, rugcheck_url: str, mint: str) -> dict | None:
    return await get_json(session, f"{rugcheck_url.rstrip('/')}/v1/tokens/{mint}/report/summary",
                          "rugcheck")
