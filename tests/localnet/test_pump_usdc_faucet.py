"""The local chain's USDC: a mint at mainnet's address (6 decimals) from genesis, and the
requestUsdcAirdrop JSON-RPC faucet a test or a wallet uses to get USDC, over real HTTP."""
from __future__ import annotations

import base64

from solana.rpc.async_api import AsyncClient
from solders.pubkey import Pubkey
from solders.token.state import Mint, TokenAccount

from adapters.pumpfun.addresses import TOKEN_PROGRAM, associated_token_address
from tests.localnet.helpers import call
from tests.localnet.test_market_helpers import node_with_metadata

USDC = Pubkey.from_string("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")   # mainnet USDC (pump-public-docs BUY.md)


async def account_bytes(url: str, key: Pubkey) -> bytes:
    answer = await call(url, "getAccountInfo", [str(key), {"encoding": "base64", "commitment": "processed"}])
    return base64.b64decode(answer["result"]["value"]["data"][0])


async def test_request_usdc_airdrop_mints_to_the_wallets_usdc_account():
    async with node_with_metadata() as (node, _metadata):
        mint = Mint.from_bytes(await account_bytes(node.rpc_url, USDC))
        assert mint.decimals == 6 and mint.is_initialized
        wallet = Pubkey.new_unique()
        for amount in (250 * 10**6, 1):
            answer = await call(node.rpc_url, "requestUsdcAirdrop", [str(wallet), amount])
            assert isinstance(answer["result"], str), answer
        async with AsyncClient(node.rpc_url) as client:
            from solders.signature import Signature
            status = (await client.get_signature_statuses([Signature.from_string(answer["result"])])).value[0]
            assert status is not None and status.err is None
        holding = TokenAccount.from_bytes(await account_bytes(node.rpc_url, associated_token_address(wallet, USDC, TOKEN_PROGRAM)))
        assert (holding.mint, holding.owner, holding.amount) == (USDC, wallet, 250 * 10**6 + 1)
        assert Mint.from_bytes(await account_bytes(node.rpc_url, USDC)).supply == 250 * 10**6 + 1
        for bad in ([str(wallet), 0], [str(wallet), 10**14], ["not-a-key", 5]):
            answer = await call(node.rpc_url, "requestUsdcAirdrop", bad)
            assert answer["error"]["code"] == -32602, answer
