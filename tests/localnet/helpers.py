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


def pool_fee_rates_now(chain, mint, quote_mint=None):
    """The lp, protocol and creator fee rates a trade on the coin's canonical pool pays at its reserves
    now (adapters/pumpswap/fees.py; which tier a market cap pays is tested from the docs in
    test_pumpswap_accounts.py). `chain`: anything with get_account (the node's Chain, a LiteSVM wrapper)."""
    from solders.token.state import Mint

    from adapters.pumpswap import addresses as swap_addr
    from adapters.pumpswap.amm import Reserves
    from adapters.pumpswap.fees import decode_fee_config, pool_fee_rates
    from adapters.pumpswap.layout import GLOBAL_CONFIG, POOL, token_account_amount
    quote_mint = quote_mint or swap_addr.WSOL_MINT
    pool_key = swap_addr.pool_address(swap_addr.CANONICAL_POOL_INDEX, swap_addr.pool_authority(mint), mint, quote_mint)
    pool = POOL.decode(bytes(chain.get_account(pool_key).data))
    reserves = Reserves(token_account_amount(bytes(chain.get_account(pool.pool_base_token_account).data)),
                        token_account_amount(bytes(chain.get_account(pool.pool_quote_token_account).data)))
    fee_account = chain.get_account(swap_addr.FEE_CONFIG)
    return pool_fee_rates(GLOBAL_CONFIG.decode(bytes(chain.get_account(swap_addr.GLOBAL_CONFIG).data)), pool,
                          decode_fee_config(bytes(fee_account.data)) if fee_account else None, reserves,
                          Mint.from_bytes(bytes(chain.get_account(mint).data)[:82]).supply)
