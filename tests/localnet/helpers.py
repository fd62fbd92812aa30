"""Small helpers for localnet tests: build, sign and send transactions through the real RPC client."""
from __future__ import annotations

import asyncio

from solana.rpc.async_api import AsyncClient
from solana.rpc.models import TxOpts
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message, MessageV0
from solders.system_program import CreateAccountParams, TransferParams, create_account, transfer
from solders.transaction import Transaction, VersionedTransaction
from spl.token.constants import MINT_LEN, TOKEN_PROGRAM_ID
import spl.token.instructions as token_ix
import spl.token.models as token_models

SOL = 10**9


async def build_tx(client: AsyncClient, instructions: list[Instruction], signers: list[Keypair],
                   legacy: bool = False) -> VersionedTransaction | Transaction:
    blockhash = (await client.get_latest_blockhash()).value.blockhash
    if legacy:
        return Transaction(signers, Message(instructions, signers[0].pubkey()), blockhash)
    return VersionedTransaction(MessageV0.try_compile(signers[0].pubkey(), instructions, [], blockhash), signers)


async def send(client: AsyncClient, instructions: list[Instruction], signers: list[Keypair], *,
               skip_preflight: bool = False, legacy: bool = False):
    """Send and wait for `confirmed`; returns the signature."""
    tx = await build_tx(client, instructions, signers, legacy)
    resp = await client.send_transaction(tx, opts=TxOpts(skip_preflight=skip_preflight, preflight_commitment="confirmed"))
    await client.confirm_transaction(resp.value, "confirmed", sleep_seconds=0.05)
    return resp.value


async def funded(client: AsyncClient, lamports: int = 10 * SOL) -> Keypair:
    keypair = Keypair()
    sig = (await client.request_airdrop(keypair.pubkey(), lamports)).value
    await client.confirm_transaction(sig, "confirmed", sleep_seconds=0.05)
    return keypair


async def create_mint(client: AsyncClient, payer: Keypair, decimals: int = 6) -> Keypair:
    mint = Keypair()
    rent = (await client.get_minimum_balance_for_rent_exemption(MINT_LEN)).value
    await send(client, [
        create_account(CreateAccountParams(from_pubkey=payer.pubkey(), to_pubkey=mint.pubkey(), lamports=rent,
                                           space=MINT_LEN, owner=TOKEN_PROGRAM_ID)),
        token_ix.initialize_mint2(token_models.InitializeMint2Params(
            decimals=decimals, program_id=TOKEN_PROGRAM_ID, mint=mint.pubkey(), mint_authority=payer.pubkey()))],
        [payer, mint])
    return mint


def sol_transfer(sender: Keypair, to, lamports: int) -> Instruction:
    return transfer(TransferParams(from_pubkey=sender.pubkey(), to_pubkey=to, lamports=lamports))


async def raw_rpc(url: str, payload: object) -> object:
    """POST any JSON (or raw bytes) to the RPC and return the decoded JSON answer."""
    import aiohttp
    import orjson
    body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=body, headers={"Content-Type": "application/json"}) as resp:
            assert resp.status == 200
            return orjson.loads(await resp.read())


async def call(url: str, method: str, params: list | None = None) -> object:
    return await raw_rpc(url, {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})


async def until_committed(chain, slot: int, commitment: str = "confirmed") -> None:
    """Wait until writes made in `slot` are visible to reads at `commitment` (the node's clock runs)."""
    while chain.slot_for_commitment(commitment) < slot:
        await asyncio.sleep(0.01)
