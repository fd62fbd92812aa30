"""The simulated market against a whole local node: 60 simulated seconds under a fixed seed give
launches, trades, rugs and graduations, all seen by a real Yellowstone subscriber; metadata and
the wallets endpoint answer over HTTP; the same seed gives the same market."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest
from solana.rpc.async_api import AsyncClient
from solders.pubkey import Pubkey

from adapters.pumpfun import instructions as pump_ix
from adapters.pumpfun.addresses import TOKEN_2022_PROGRAM as TOKEN_2022
from adapters.pumpfun.addresses import TOKEN_PROGRAM as TOKEN
from adapters.pumpfun.layout_v1 import CompleteEvent, CreateEvent, TradeEvent
from localnet.market import Fate, MarketConfig, MarketSimulator, parse_fate_weights
from tests.localnet.helpers import SOL, funded, send
from tests.localnet.test_market_helpers import PumpEventCollector, node_with_metadata

pytestmark = pytest.mark.timeout(60)
TEST_FATES = parse_fate_weights("dies=3,pump_dump=2,rug=2,grind=1,graduate=2")


def config(seconds: float, speed: float = 20, seed: int = 7) -> MarketConfig:
    return MarketConfig(seed=seed, speed=speed, fate_weights=TEST_FATES, stop_after_s=seconds)


async def run_market(node, metadata, market_config: MarketConfig) -> MarketSimulator:
    market = await MarketSimulator(market_config, node.rpc_url, node.faucet, metadata).start()
    await market.wait()
    return market


async def test_sixty_simulated_seconds_seen_by_a_yellowstone_subscriber():
    async with node_with_metadata() as (node, metadata):
        collector = await PumpEventCollector(node).start()
        try:
            market = await run_market(node, metadata, config(60))
            await collector.collect()
            status = market.status()
            await market.stop()
        finally:
            await collector.stop()
        # the script itself
        assert status["failed"] == 0 and status["transactions"]["rejected"] == 0
        assert status["launched"] >= 20 and status["trades"] >= 200
        assert status["rugs"] >= 1 and status["graduated"] >= 1
        # everything the market did reached the subscriber
        assert len(collector.signatures) == status["launched"] + status["trades"]
        creates = collector.of_type(CreateEvent)
        trades = collector.of_type(TradeEvent)
        completes = collector.of_type(CompleteEvent)
        assert len(creates) == status["launched"] and len(completes) == status["graduated"]
        # the launch and instruction mix (fitted.py): create_v2 and legacy coins, every trade family
        assert {str(e.token_program) for e in creates} == {str(TOKEN_2022), str(TOKEN)}
        names = {t.ix_name for t in trades}
        assert {"buy", "buy_v2", "buy_v3", "sell"} <= names and names & {"sell_v2", "sell_v3"}, names
        creators = {e.mint: e.creator for e in creates}
        rug_sales = [t for t in trades if not t.is_buy and t.user == creators[t.mint] and t.token_amount > 10**13]
        smart = {Pubkey.from_string(w) for w in status["wallets"]["smart"]}
        assert any(t.user in smart and t.is_buy for t in trades), "no smart wallet bought early"
        for complete in completes:
            last = [t for t in trades if t.mint == complete.mint][-1]
            assert last.is_buy and last.real_token_reserves == 0
            assert market.fate_of(complete.mint) is Fate.GRADUATE
        assert sum(market.fate_of(t.mint) is Fate.RUG for t in rug_sales) == status["rugs"]


async def test_metadata_uri_and_wallets_endpoint_answer_over_http():
    async with node_with_metadata() as (node, metadata):
        collector = await PumpEventCollector(node).start()
        try:
            market = await run_market(node, metadata, config(8, speed=40))
            await collector.collect(quiet_s=0.5)
        finally:
            await collector.stop()
        async with aiohttp.ClientSession() as http:
            creates = collector.of_type(CreateEvent)
            assert creates
            for create in creates:
                async with http.get(create.uri) as response:
                    document = await response.json()
                assert (document["name"], document["symbol"]) == (create.name, create.symbol)
                async with http.get(document["image"]) as response:
                    assert response.status == 200 and response.content_type == "image/svg+xml"
            async with http.get(f"{metadata.base_url}/market/wallets") as response:
                wallets = await response.json()
            async with http.get(f"{metadata.base_url}/coins/unknown.json") as response:
                assert response.status == 404
        assert len(wallets["wallets"]["smart"]) == 3 and wallets["launched"] == len(creates)
        assert {"live", "graduated", "trades"} <= set(wallets)
        await market.stop()


async def test_same_seed_same_market():
    outcomes = []
    for _ in range(2):
        async with node_with_metadata() as (node, metadata):
            market = await run_market(node, metadata, config(20, speed=40, seed=11))
            status = market.status()
            outcomes.append((status["wallets"], status["launched"], status["trades"], status["rugs"],
                             status["graduated"], status["transactions"]["succeeded"]))
            await market.stop()
    assert outcomes[0] == outcomes[1]


def test_bad_settings_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="launch rate"):
        MarketConfig(launch_rate=51)
    with pytest.raises(ValueError, match="speed"):
        MarketConfig(speed=0)
    with pytest.raises(ValueError, match="NAME=NUMBER"):
        parse_fate_weights("dies=1,moon=3")
    with pytest.raises(ValueError, match="all zero"):
        parse_fate_weights("dies=0")


async def test_trades_failing_after_an_outside_buy_are_counted_and_the_market_recovers():
    """A bot's large buy moves the price past the market's 10% limits: its next buys fail (6002),
    it reads the curve back over RPC and trades on."""
    async with node_with_metadata() as (node, metadata):
        collector = await PumpEventCollector(node).start()
        pump_only = MarketConfig(seed=3, speed=20, fate_weights=parse_fate_weights("pump_dump=1"), max_coins=1,
                                 stop_after_s=40)
        market = await MarketSimulator(pump_only, node.rpc_url, node.faucet, metadata).start()
        try:
            while market.status()["launched"] == 0:
                await asyncio.sleep(0.02)
            await collector.collect(quiet_s=0.1)
            (create,) = collector.of_type(CreateEvent)
            async with AsyncClient(node.rpc_url, commitment="confirmed") as client:
                bot = await funded(client, 200 * SOL)
                await send(client, pump_ix.build_buy_with_ata(
                    bot.pubkey(), create.mint, create.creator, node.chain.pumpfun.global_state.fee_recipient,
                    300_000_000_000_000, 150 * SOL, token_program=create.token_program), [bot])
            trades_before = market.status()["trades"]
            await market.wait()
            status = market.status()
        finally:
            await market.stop()
            await collector.stop()
        assert status["failed"] >= 1 and status["transactions"]["failed"] == status["failed"]
        assert status["trades"] > trades_before + 2, "the market stopped trading after its failures"


def test_instruction_mix_weights_parse_and_refuse_bad_input():
    from localnet.market import instruction_mix
    weights = instruction_mix.parse_weights("create_v2=80, mayhem=20", instruction_mix.LAUNCH_KINDS, "launch kind")
    assert weights == {"create_v2": 80.0, "create": 0.0, "mayhem": 20.0, "usdc": 0.0}
    for bad in ("cashback=1", "create=-1", "create=x", "create=0"):
        with pytest.raises(ValueError, match="launch kind"):
            instruction_mix.parse_weights(bad, instruction_mix.LAUNCH_KINDS, "launch kind")
    with pytest.raises(ValueError, match="trade family"):
        MarketConfig(trade_families={"legacy": 0.0})


async def test_mayhem_coins_opt_in_pay_the_reserved_fee_recipient():
    async with node_with_metadata() as (node, metadata):
        collector = await PumpEventCollector(node).start()
        try:
            mayhem_only = MarketConfig(seed=5, speed=20, fate_weights=parse_fate_weights("pump_dump=1"), max_coins=2,
                                       stop_after_s=20, launch_kinds={"mayhem": 1.0})
            market = await run_market(node, metadata, mayhem_only)
            await collector.collect()
            status = market.status()
            await market.stop()
        finally:
            await collector.stop()
        assert status["failed"] == 0 and status["launched"] == 2
        assert all(e.is_mayhem_mode for e in collector.of_type(CreateEvent))
        trades = collector.of_type(TradeEvent)
        reserved = node.chain.pumpfun.global_state.reserved_fee_recipient
        paid = [t for t in trades if t.ix_name != "buy_v3" and t.ix_name != "sell_v3"]
        assert trades and all(t.mayhem_mode for t in trades) and all(t.fee_recipient == reserved for t in paid)


async def test_usdc_paired_coins_trade_through_the_quote_lists_in_usdc():
    """Every wallet gets USDC from the node's faucet; the coins' curves, fees and the market's model
    are in USDC units, through buy_v2 / sell_v2 / buy_v3 / sell_v3 (no legacy list takes a quote token)."""
    from localnet.programs.usdc import USDC_MINT
    async with node_with_metadata() as (node, metadata):
        collector = await PumpEventCollector(node).start()
        try:
            usdc_only = MarketConfig(seed=6, speed=20, fate_weights=parse_fate_weights("pump_dump=1"), max_coins=2,
                                     stop_after_s=20, launch_kinds={"usdc": 1.0})
            market = await run_market(node, metadata, usdc_only)
            await collector.collect()
            status = market.status()
            await market.stop()
        finally:
            await collector.stop()
        assert status["failed"] == 0 and status["launched"] == 2
        creates = collector.of_type(CreateEvent)
        assert len(creates) == 2 and all(e.quote_mint == USDC_MINT for e in creates)
        trades = collector.of_type(TradeEvent)
        assert len(trades) >= 10 and all(t.quote_mint == USDC_MINT for t in trades)
        names = {t.ix_name for t in trades}
        assert names <= {"buy_v2", "sell_v2", "buy_v3", "sell_v3"} and {"buy_v2", "buy_v3"} <= names, names
        # sizes in USDC units: a fitted 0.035 SOL trade is ~4.7 USDC here, far below a lamport-sized one
        buys = sorted(t.sol_amount for t in trades if t.is_buy)
        assert 10**5 < buys[len(buys) // 2] < 10**9
