"""The market's wallets: keypairs derived from the seed, funded from the node's faucet by real
transfer transactions sent through the JSON-RPC."""
from __future__ import annotations

import asyncio
import hashlib

from typing import NamedTuple

from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer

from localnet.market.rpc_sender import RpcSender

TRANSFERS_PER_TX = 20
FUNDING_ATTEMPTS = 5
RETRY_DELAY_S = 0.2


class Wallet(NamedTuple):
    """A keypair with its public key worked out once (Keypair.pubkey() is not free)."""
    keypair: Keypair
    pubkey: Pubkey


def derive_keypair(seed: int, role: str, key: str | int) -> Keypair:
    """The same (seed, role, key) gives the same wallet on every run."""
    return Keypair.from_seed(hashlib.sha256(f"localnet-market:{seed}:{role}:{key}".encode()).digest())


def derive_wallets(seed: int, role: str, count: int) -> list[Wallet]:
    keypairs = [derive_keypair(seed, role, i) for i in range(count)]
    return [Wallet(k, k.pubkey()) for k in keypairs]


async def fund_wallets(sender: RpcSender, faucet: Keypair, owners: list[Pubkey], lamports: int) -> None:
    """Transfer `lamports` from the faucet to each owner, retrying transfers that did not land (a node
    with faults switched on may drop some); raises if some still have not landed after that."""
    unfunded = [owners[i:i + TRANSFERS_PER_TX] for i in range(0, len(owners), TRANSFERS_PER_TX)]
    for attempt in range(FUNDING_ATTEMPTS):
        futures = [sender.submit([transfer(TransferParams(from_pubkey=faucet.pubkey(), to_pubkey=owner,
                                                          lamports=lamports)) for owner in chunk], [faucet])
                   for chunk in unfunded]
        outcomes = await asyncio.gather(*futures)
        failures = [outcome for outcome in outcomes if not outcome.ok]
        unfunded = [chunk for chunk, outcome in zip(unfunded, outcomes) if not outcome.ok]
        if not unfunded:
            return
        await asyncio.sleep(RETRY_DELAY_S * (attempt + 1))
    raise RuntimeError(f"funding the market's wallets failed: {failures[0].err}")
