"""The Jupiter-compatible API routes USDC-paired coins in USDC: on the live curve (buy_v2 / sell_v2 with
USDC as quote), and once the coin graduated through migrate_v2, on its USDC-quoted PumpSwap pool."""
from __future__ import annotations

import aiohttp
from solana.rpc.async_api import AsyncClient
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from adapters.pumpfun import addresses as pump
from adapters.pumpfun import curve as curve_math
from adapters.pumpfun import instructions_v2 as v2
from adapters.pumpfun.layout_v1 import BONDING_CURVE, GLOBAL
from adapters.pumpswap import amm
from localnet.programs.pumpswap_setup import migrate_graduated_coin
from localnet.programs.usdc import USDC_MINT
from tests.localnet.helpers import SOL, funded, pool_fee_rates_now, until_committed
from tests.localnet.test_jupiter import jupiter_quote, jupiter_swap_and_send

USDC = str(USDC_MINT)


async def usdc_airdrop(session: aiohttp.ClientSession, rpc_url: str, owner, amount: int) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "requestUsdcAirdrop", "params": [str(owner), amount]}
    async with session.post(rpc_url, json=body) as resp:
        assert "result" in await resp.json()


async def balance(client: AsyncClient, owner, mint, token_program=pump.TOKEN_PROGRAM) -> int:
    account = pump.associated_token_address(owner, mint, token_program)
    return int((await client.get_token_account_balance(account)).value.amount)


async def launch_usdc_coin(client: AsyncClient, creator: Keypair):
    mint = Keypair()
    ix = v2.build_create_v2(mint.pubkey(), creator.pubkey(), "USD", "USD", "https://x")
    curve = pump.bonding_curve(mint.pubkey())
    quote = [AccountMeta(USDC_MINT, False, False), AccountMeta(pump.associated_token_address(curve, USDC_MINT), False, True),
             AccountMeta(pump.TOKEN_PROGRAM, False, False)]           # COIN_CREATION.md "USDC-Paired Mint"
    ix = Instruction(ix.program_id, bytes(ix.data), list(ix.accounts) + quote)
    blockhash = (await client.get_latest_blockhash()).value.blockhash
    tx = VersionedTransaction(MessageV0.try_compile(creator.pubkey(), [ix], [], blockhash), [creator, mint])
    await client.confirm_transaction((await client.send_transaction(tx)).value, "confirmed", sleep_seconds=0.05)
    return mint.pubkey()


async def test_usdc_coin_routes_in_usdc_on_its_curve_then_its_pool(make_localnet):
    node = await make_localnet(api_port=0)
    api, chain = node.api_url, node.chain
    async with AsyncClient(node.rpc_url, commitment="confirmed") as client, aiohttp.ClientSession() as session:
        creator, buyer = await funded(client), await funded(client, 20 * SOL)
        await usdc_airdrop(session, node.rpc_url, buyer.pubkey(), 20_000 * 10**6)
        mint = await launch_usdc_coin(client, creator)
        t22 = pump.TOKEN_2022_PROGRAM

        async with session.get(f"{api}/swap/v1/quote", params={"inputMint": str(pump.WSOL_MINT), "outputMint": str(mint),
                                                               "amount": str(SOL)}) as resp:
            assert resp.status == 400 and "paired with" in await resp.text()   # SOL is not this coin's quote

        # the curve, exact-in: 5 USDC for the tokens the curve math gives
        curve = BONDING_CURVE.decode(bytes(chain.get_account(pump.bonding_curve(mint)).data))
        global_ = GLOBAL.decode(bytes(chain.get_account(pump.GLOBAL).data))
        quote = await jupiter_quote(session, api, inputMint=USDC, outputMint=mint, amount=5 * 10**6)
        assert quote["routePlan"][0]["swapInfo"]["label"] == "Pump.fun"
        assert quote["routePlan"][0]["swapInfo"]["feeMint"] == USDC
        assert int(quote["outAmount"]) == curve_math.tokens_for_sol(curve, global_, 5 * 10**6)
        before = await balance(client, buyer.pubkey(), USDC_MINT)
        await jupiter_swap_and_send(session, api, client, buyer, quote)
        held = await balance(client, buyer.pubkey(), mint, t22)
        assert held == int(quote["outAmount"])
        spent = before - await balance(client, buyer.pubkey(), USDC_MINT)
        assert 0 < spent <= 5 * 10**6 * 10_050 // 10_000            # within the default slippage

        sell = await jupiter_quote(session, api, inputMint=mint, outputMint=USDC, amount=held // 2)
        before = await balance(client, buyer.pubkey(), USDC_MINT)
        await jupiter_swap_and_send(session, api, client, buyer, sell)
        assert await balance(client, buyer.pubkey(), USDC_MINT) - before == int(sell["outAmount"])

        # buy out the curve (ExactOut), graduate it with migrate_v2, then the pool answers in USDC
        curve = BONDING_CURVE.decode(bytes(chain.get_account(pump.bonding_curve(mint)).data))
        rest = await jupiter_quote(session, api, inputMint=USDC, outputMint=mint, amount=curve.real_token_reserves,
                                   swapMode="ExactOut")
        await jupiter_swap_and_send(session, api, client, buyer, rest)
        migrate_graduated_coin(chain, mint)
        await until_committed(chain, chain.slot)
        pool = await jupiter_quote(session, api, inputMint=USDC, outputMint=mint, amount=10 * 10**6)
        assert pool["routePlan"][0]["swapInfo"]["label"] == "Pump.fun Amm"
        pool_key = Pubkey.from_string(pool["routePlan"][0]["swapInfo"]["ammKey"])
        reserves = amm.Reserves(await balance(client, pool_key, mint, t22), await balance(client, pool_key, USDC_MINT))
        expected = amm.buy_base_for_quote(reserves, 10 * 10**6, *pool_fee_rates_now(chain, mint, USDC_MINT))
        assert int(pool["outAmount"]) == expected.base_amount
        held = await balance(client, buyer.pubkey(), mint, t22)
        sol_before = (await client.get_balance(buyer.pubkey())).value
        await jupiter_swap_and_send(session, api, client, buyer, pool)
        assert await balance(client, buyer.pubkey(), mint, t22) - held == expected.base_amount
        assert sol_before - (await client.get_balance(buyer.pubkey())).value < SOL // 100   # fees only: no SOL wrapped
        sell = await jupiter_quote(session, api, inputMint=mint, outputMint=USDC, amount=10**12)
        before = await balance(client, buyer.pubkey(), USDC_MINT)
        await jupiter_swap_and_send(session, api, client, buyer, sell)
        assert await balance(client, buyer.pubkey(), USDC_MINT) - before == int(sell["outAmount"])
