"""The local Jupiter API over real HTTP: quotes and /swap transactions for a coin on its curve and a
graduated coin on its pool, signed and sent through the node's JSON-RPC; exact amounts moved."""
from __future__ import annotations

import base64

import aiohttp
import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.models import TxOpts
from solders.keypair import Keypair
from solders.transaction import VersionedTransaction

from adapters.pumpfun import addresses as pump
from adapters.pumpfun import curve as curve_math
from adapters.pumpfun.layout_v1 import BONDING_CURVE, GLOBAL
from adapters.pumpswap import addresses as swap_addr
from adapters.pumpswap import amm
from localnet.jupiter import JupiterOptions
from localnet.jupiter_limits import RateLimit
from localnet.jupiter_server import ApiOptions


from tests.localnet.helpers import SOL, funded, pool_fee_rates_now
from tests.localnet.test_pumpswap import create_coin, graduate_new_coin, pool_reserves, token_balance

SOL_MINT = str(pump.WSOL_MINT)
ATA_RENT = 2_039_280


async def jupiter_quote(session: aiohttp.ClientSession, api: str, **params) -> dict:
    async with session.get(f"{api}/swap/v1/quote", params={k: str(v) for k, v in params.items()}) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def jupiter_swap_and_send(session, api: str, client: AsyncClient, user: Keypair, quote: dict, **options) -> tuple[dict, dict]:
    """POST /swap, sign the returned transaction, send it over JSON-RPC; returns (swap answer, tx meta)."""
    async with session.post(f"{api}/swap/v1/swap", json={"userPublicKey": str(user.pubkey()), "quoteResponse": quote,
                                                         **options}) as resp:
        assert resp.status == 200, await resp.text()
        answer = await resp.json()
    unsigned = VersionedTransaction.from_bytes(base64.b64decode(answer["swapTransaction"]))
    signed = VersionedTransaction(unsigned.message, [user])
    signature = (await client.send_transaction(signed, opts=TxOpts(preflight_commitment="confirmed"))).value
    await client.confirm_transaction(signature, "confirmed", sleep_seconds=0.05)
    meta = (await client.get_transaction(signature, "json", "confirmed", max_supported_transaction_version=0)).value
    assert meta.transaction.meta.err is None
    return answer, meta.transaction.meta


async def lamports(client: AsyncClient, user: Keypair) -> int:
    return (await client.get_balance(user.pubkey())).value


async def test_quote_and_swap_on_the_bonding_curve(make_localnet):
    node = await make_localnet(api_port=0)
    chain, api = node.chain, node.api_url
    async with AsyncClient(node.rpc_url, commitment="confirmed") as client, aiohttp.ClientSession() as session:
        mint = (await create_coin(client, await funded(client))).pubkey()
        buyer = await funded(client)
        curve = BONDING_CURVE.decode(bytes(chain.get_account(pump.bonding_curve(mint)).data))
        global_ = GLOBAL.decode(bytes(chain.get_account(pump.GLOBAL).data))
        quote = await jupiter_quote(session, api, inputMint=SOL_MINT, outputMint=mint, amount=SOL, slippageBps=100)
        tokens = curve_math.tokens_for_sol(curve, global_, SOL)
        assert (quote["inAmount"], quote["outAmount"]) == (str(SOL), str(tokens))
        assert quote["otherAmountThreshold"] == str(tokens * 9_900 // 10_000)
        assert quote["routePlan"][0]["swapInfo"]["label"] == "Pump.fun"
        before = await lamports(client, buyer)
        priority = {"priorityLevelWithMaxLamports": {"priorityLevel": "high", "maxLamports": 20_000}}
        answer, meta = await jupiter_swap_and_send(session, api, client, buyer, quote, dynamicComputeUnitLimit=True,
                                                   prioritizationFeeLamports=priority)
        assert 0 < answer["prioritizationFeeLamports"] <= 20_000 and answer["computeUnitLimit"] < 1_400_000
        assert meta.fee == 5_000 + answer["prioritizationFeeLamports"]
        assert await token_balance(client, buyer.pubkey(), mint) == tokens
        assert before - await lamports(client, buyer) == curve_math.buy_total_cost(curve, global_, tokens) + meta.fee + ATA_RENT

        curve = BONDING_CURVE.decode(bytes(chain.get_account(pump.bonding_curve(mint)).data))
        sell = await jupiter_quote(session, api, inputMint=mint, outputMint=SOL_MINT, amount=tokens)
        assert sell["outAmount"] == str(curve_math.sell_net_proceeds(curve, global_, tokens))
        before = await lamports(client, buyer)
        _, meta = await jupiter_swap_and_send(session, api, client, buyer, sell)
        assert await lamports(client, buyer) - before == int(sell["outAmount"]) - meta.fee
        assert await token_balance(client, buyer.pubkey(), mint) == 0


async def test_quote_and_swap_of_a_graduated_coin_on_its_pool(make_localnet):
    node = await make_localnet(api_port=0)
    api = node.api_url
    async with AsyncClient(node.rpc_url, commitment="confirmed") as client, aiohttp.ClientSession() as session:
        mint, whale, _ = await graduate_new_coin(node, client)
        m = mint.pubkey()
        reserves = await pool_reserves(client, m)
        fees = pool_fee_rates_now(node.chain, m)
        sold = 20_000_000_000_000
        quote = await jupiter_quote(session, api, inputMint=m, outputMint=SOL_MINT, amount=sold, slippageBps=300)
        expected = amm.sell_base_in(reserves, sold, *fees)
        assert quote["outAmount"] == str(expected.user_quote_amount)
        assert quote["routePlan"][0]["swapInfo"]["ammKey"] == str(swap_addr.canonical_pool(m))
        tokens, before = await token_balance(client, whale.pubkey(), m), await lamports(client, whale)
        _, meta = await jupiter_swap_and_send(session, api, client, whale, quote)     # wraps and unwraps SOL
        assert await lamports(client, whale) - before == expected.user_quote_amount - meta.fee
        assert await token_balance(client, whale.pubkey(), m) == tokens - sold
        reserves = expected.reserves_after(reserves, is_buy=False)
        assert await pool_reserves(client, m) == reserves

        quote = await jupiter_quote(session, api, inputMint=SOL_MINT, outputMint=m, amount=2 * SOL, slippageBps=100)
        buy = amm.buy_base_for_quote(reserves, 2 * SOL, *pool_fee_rates_now(node.chain, m))
        assert quote["outAmount"] == str(buy.base_amount) and buy.user_quote_amount <= 2 * SOL
        before = await lamports(client, whale)
        accumulator = swap_addr.user_volume_accumulator(whale.pubkey())
        assert (await client.get_account_info(accumulator)).value is None
        _, meta = await jupiter_swap_and_send(session, api, client, whale, quote, prioritizationFeeLamports=7_000)
        # a first pool buy also makes the buyer's AMM volume accumulator, paid by the buyer (idl
        # buy_exact_quote_in docs; 137 bytes, docs/instructions/BUY.md)
        rent = await client.get_minimum_balance_for_rent_exemption(137)
        assert (await client.get_account_info(accumulator)).value.lamports == rent.value
        assert before - await lamports(client, whale) == buy.user_quote_amount + meta.fee + rent.value
        assert await token_balance(client, whale.pubkey(), m) == tokens - sold + buy.base_amount
        assert await pool_reserves(client, m) == buy.reserves_after(reserves, is_buy=True)


async def test_slippage_threshold_is_enforced_on_chain(make_localnet):
    node = await make_localnet(api_port=0)
    async with AsyncClient(node.rpc_url, commitment="confirmed") as client, aiohttp.ClientSession() as session:
        mint = (await create_coin(client, await funded(client))).pubkey()
        trader = await funded(client)
        quote = await jupiter_quote(session, node.api_url, inputMint=SOL_MINT, outputMint=mint, amount=SOL // 10)
        await jupiter_swap_and_send(session, node.api_url, client, trader, quote)
        sell = await jupiter_quote(session, node.api_url, inputMint=mint, outputMint=SOL_MINT, amount=quote["outAmount"])
        sell["otherAmountThreshold"] = str(int(sell["outAmount"]) + 1)       # demand more than the curve pays
        with pytest.raises(Exception, match="TooLittleSolReceived|0x1773"):
            await jupiter_swap_and_send(session, node.api_url, client, trader, sell)


async def test_rate_limit_answers_429_as_configured(make_localnet):
    node = await make_localnet(api_port=0, api_options=ApiOptions(jupiter=JupiterOptions(RateLimit(3, 60))))
    url = f"{node.api_url}/swap/v1/quote"
    params = {"inputMint": SOL_MINT, "outputMint": str(Keypair().pubkey()), "amount": "1"}
    async with aiohttp.ClientSession() as session:
        statuses = []
        for _ in range(4):
            async with session.get(url, params=params, headers={"x-api-key": "first"}) as resp:
                statuses.append(resp.status)
                retry_after = resp.headers.get("Retry-After")
        assert statuses == [400, 400, 400, 429] and 1 <= int(retry_after) <= 60
        async with session.get(url, params=params, headers={"x-api-key": "second"}) as resp:
            assert resp.status == 400          # another client has its own window


BAD_QUOTES = [
    {}, {"inputMint": SOL_MINT}, {"inputMint": "nope", "outputMint": SOL_MINT, "amount": "1"},
    {"inputMint": SOL_MINT, "outputMint": SOL_MINT, "amount": "1"},
    {"inputMint": SOL_MINT, "outputMint": "11111111111111111111111111111111", "amount": "abc"},
    {"inputMint": SOL_MINT, "outputMint": "11111111111111111111111111111111", "amount": "-5"},
    {"inputMint": SOL_MINT, "outputMint": "11111111111111111111111111111111", "amount": "9" * 40},
    {"inputMint": SOL_MINT, "outputMint": "11111111111111111111111111111111", "amount": "1", "slippageBps": "20000"},
    {"inputMint": SOL_MINT, "outputMint": "11111111111111111111111111111111", "amount": "1", "swapMode": "Both"},
]
BAD_SWAPS = [b"not json", b"[]", b'{"userPublicKey": "x"}', b'{"userPublicKey": "11111111111111111111111111111111"}',
             b'{"userPublicKey": "11111111111111111111111111111111", "quoteResponse": {"routePlan": []}}',
             b'{"userPublicKey": "11111111111111111111111111111111", "quoteResponse": {"routePlan": [{"swapInfo": '
             b'{"label": "Orca"}}]}}']


async def test_bad_requests_get_clear_400s_and_the_server_keeps_serving(make_localnet):
    node = await make_localnet(api_port=0, api_options=ApiOptions(jupiter=JupiterOptions(RateLimit(0))))
    async with AsyncClient(node.rpc_url, commitment="confirmed") as client, aiohttp.ClientSession() as session:
        for params in BAD_QUOTES:
            async with session.get(f"{node.api_url}/swap/v1/quote", params=params) as resp:
                body = await resp.json()
                assert resp.status == 400 and body["error"] and body["errorCode"], (params, body)
        for raw in BAD_SWAPS:
            async with session.post(f"{node.api_url}/swap/v1/swap", data=raw) as resp:
                assert resp.status == 400 and (await resp.json())["errorCode"] == "INVALID_REQUEST", raw
        mint = (await create_coin(client, await funded(client))).pubkey()
        quote = await jupiter_quote(session, node.api_url, inputMint=SOL_MINT, outputMint=mint, amount=SOL)
        assert int(quote["outAmount"]) > 0


async def test_exact_out_buy_and_unwrapped_pool_sell(make_localnet):
    node = await make_localnet(api_port=0)
    api = node.api_url
    async with AsyncClient(node.rpc_url, commitment="confirmed") as client, aiohttp.ClientSession() as session:
        mint = (await create_coin(client, await funded(client))).pubkey()
        buyer = await funded(client)
        wanted = 3_000_000_000_000
        curve = BONDING_CURVE.decode(bytes(node.chain.get_account(pump.bonding_curve(mint)).data))
        global_ = GLOBAL.decode(bytes(node.chain.get_account(pump.GLOBAL).data))
        quote = await jupiter_quote(session, api, inputMint=SOL_MINT, outputMint=mint, amount=wanted,
                                    swapMode="ExactOut", slippageBps=200)
        cost = curve_math.buy_total_cost(curve, global_, wanted)
        assert (quote["inAmount"], quote["outAmount"]) == (str(cost), str(wanted))
        assert quote["otherAmountThreshold"] == str(-(-cost * 10_200 // 10_000))
        await jupiter_swap_and_send(session, api, client, buyer, quote)
        assert await token_balance(client, buyer.pubkey(), mint) == wanted

        graduated, whale, _ = await graduate_new_coin(node, client)
        m = graduated.pubkey()
        reserves, rates = await pool_reserves(client, m), pool_fee_rates_now(node.chain, m)
        quote = await jupiter_quote(session, api, inputMint=m, outputMint=SOL_MINT, amount=10**12)
        await jupiter_swap_and_send(session, api, client, whale, quote, wrapAndUnwrapSol=False)
        expected = amm.sell_base_in(reserves, 10**12, *rates)
        assert await token_balance(client, whale.pubkey(), pump.WSOL_MINT) == expected.user_quote_amount


async def test_token_2022_and_mayhem_coins_on_the_curve_and_usdc_pairs_refused(make_localnet):
    """create_v2 coins (Token-2022, mayhem paying a reserved fee recipient) route through the curve;
    a USDC-paired curve has no SOL route (its USDC routes: test_jupiter_usdc.py)."""
    from solders.instruction import AccountMeta, Instruction
    from solders.message import MessageV0

    from adapters.pumpfun import instructions_v2 as v2
    from localnet.programs.usdc import USDC_MINT

    node = await make_localnet(api_port=0)
    api = node.api_url
    async with AsyncClient(node.rpc_url, commitment="confirmed") as client, aiohttp.ClientSession() as session:
        creator, buyer = await funded(client), await funded(client)

        async def launch(mayhem: bool = False, quote_accounts: list | None = None) -> object:
            mint = Keypair()
            ix = v2.build_create_v2(mint.pubkey(), creator.pubkey(), "T22", "T22", "https://x", is_mayhem_mode=mayhem)
            if quote_accounts:
                ix = Instruction(ix.program_id, bytes(ix.data), list(ix.accounts) + quote_accounts(mint.pubkey()))
            blockhash = (await client.get_latest_blockhash()).value.blockhash
            tx = VersionedTransaction(MessageV0.try_compile(creator.pubkey(), [ix], [], blockhash), [creator, mint])
            signature = (await client.send_transaction(tx)).value
            await client.confirm_transaction(signature, "confirmed", sleep_seconds=0.05)
            return mint.pubkey()

        for mayhem in (False, True):
            mint = await launch(mayhem)
            quote = await jupiter_quote(session, api, inputMint=SOL_MINT, outputMint=mint, amount=SOL // 10)
            await jupiter_swap_and_send(session, api, client, buyer, quote)
            account = pump.associated_token_address(buyer.pubkey(), mint, pump.TOKEN_2022_PROGRAM)
            held = int((await client.get_token_account_balance(account)).value.amount)
            assert held == int(quote["outAmount"]) > 0
            sell = await jupiter_quote(session, api, inputMint=mint, outputMint=SOL_MINT, amount=held)
            await jupiter_swap_and_send(session, api, client, buyer, sell)
            assert (await client.get_token_account_balance(account)).value.amount == "0"

        def usdc_accounts(mint):
            curve = pump.bonding_curve(mint)
            return [AccountMeta(USDC_MINT, False, False),
                    AccountMeta(pump.associated_token_address(curve, USDC_MINT), False, True),
                    AccountMeta(pump.TOKEN_PROGRAM, False, False)]
        usdc_coin = await launch(quote_accounts=usdc_accounts)
        async with session.get(f"{api}/swap/v1/quote", params={"inputMint": SOL_MINT, "outputMint": str(usdc_coin),
                                                               "amount": str(SOL)}) as resp:
            assert resp.status == 400 and f"paired with {USDC_MINT}" in await resp.text()
