"""The market's wallets: keypairs derived from the seed, funded from the node's faucet by real
transfer transactions sent through the JSON-RPC."""
from __future__ import annotations

import asyncio
import hashlib

from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer

from localnet.market.rpc_sender import RpcSender

TRANSFERS_PER_TX = 20


def derive_keypair(seed: int, role: str, key: str | int) -> Keypair:
    """The same (seed, role, key) gives the same wallet on every run."""
    return Keypair.from_seed(hashlib.sha256(f"localnet-market:{seed}:{role}:{key}".encode()).digest())


def derive_wallets(seed: int, role: str, count: int) -> list[Keypair]:
    return [derive_keypair(seed, role, i) for i in range(count)]


async def fund_wallets(sender: RpcSender, faucet: Keypair, owners: list[Pubkey], lamports: int) -> None:
    """Transfer `lamports` from the faucet to each owner; raises if any transfer does not land."""
    futures = []
    for start in range(0, len(owners), TRANSFERS_PER_TX):
        chunk = owners[start:start + TRANSFERS_PER_TX]
        instructions = [transfer(TransferParams(from_pubkey=faucet.pubkey(), to_pubkey=owner, lamports=lamports))
                        for owner in chunk]
        futures.append(sender.submit(instructions, [faucet]))
    for outcome in await asyncio.gather(*futures):
        if not outcome.ok:
            raise RuntimeError(f"funding the market's wallets failed: {outcome.err}")
