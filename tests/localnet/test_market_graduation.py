"""A graduating coin in the running market is migrated on-chain to its PumpSwap pool, after which the
Jupiter-compatible API routes it through the pool; the market's scripts reach the safety service."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest
from solana.rpc.async_api import AsyncClient

from adapters.pumpfun.layout_v1 import BONDING_CURVE
from adapters.pumpfun import addresses as pump_addr
from adapters.pumpswap.addresses import canonical_pool
from localnet.market import Fate, MarketConfig, parse_fate_weights
from localnet.market.cli import MarketRuntime
from localnet.node import LocalNode

pytestmark = pytest.mark.timeout(90)
WSOL = "So11111111111111111111111111111111111111112"


async def test_graduated_coin_moves_to_its_pool_and_sells_through_it():
    node = await LocalNode(rpc_port=0, ws_port=0, grpc_port=0, api_port=0, slot_ms=100).start()
    config = MarketConfig(seed=7, speed=20, fate_weights=parse_fate_weights("dies=1,graduate=3"), stop_after_s=40)
    runtime = await MarketRuntime.start(node, config, quiet=True)
    try:
        await asyncio.wait_for(runtime.market.wait(), 60)
        for _ in range(50):                       # migration is scheduled right after the CompleteEvent
            if runtime.migrator.migrated >= runtime.market.status()["graduated"]:
                break
            await asyncio.sleep(0.1)
        status = runtime.market.status()
        assert status["graduated"] >= 1
        assert runtime.migrator.migrated == status["graduated"] and runtime.migrator.failed == 0
        graduated = runtime.market.mints_with_fate(Fate.GRADUATE)
        async with AsyncClient(node.rpc_url, commitment="processed") as rpc, aiohttp.ClientSession() as http:
            pools, programs = 0, set()
            for mint in graduated:
                curve_info = (await rpc.get_account_info(pump_addr.bonding_curve(mint))).value
                curve = BONDING_CURVE.decode(bytes(curve_info.data))
                if not curve.complete:
                    continue
                assert curve.real_token_reserves == 0 and curve.real_sol_reserves == 0   # all moved out
                assert (await rpc.get_account_info(canonical_pool(mint))).value is not None
                programs.add(str((await rpc.get_account_info(mint)).value.owner))
                pools += 1
                params = {"inputMint": str(mint), "outputMint": WSOL, "amount": str(10**9), "slippageBps": "100"}
                async with http.get(f"{node.api_url}/swap/v1/quote", params=params) as response:
                    quote = await response.json()
                assert response.status == 200, quote
                assert quote["routePlan"][0]["swapInfo"]["label"] == "Pump.fun Amm"
                assert int(quote["outAmount"]) > 0
            assert pools == status["graduated"]
            assert "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb" in programs, programs   # create_v2 coins graduate too
            # the safety service now knows each coin's script (a hint it turns into noisy scores)
            assert node.api.safety._fate_from_source(graduated[0]) == "graduate"
    finally:
        await runtime.stop()
        await node.stop()
