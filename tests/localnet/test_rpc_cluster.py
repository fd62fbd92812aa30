"""Cluster-level JSON-RPC methods through solana-py's AsyncClient, and the commitment lag."""
from __future__ import annotations

import asyncio

from solana.rpc.async_api import AsyncClient
from solders.hash import Hash

from tests.localnet.helpers import call


async def test_cluster_methods_parse_into_solders_types(localnet):
    async with AsyncClient(localnet.rpc_url) as client:
        assert await client.is_connected()
        assert (await client.get_version()).value.solana_core == "2.3.0"
        latest = (await client.get_latest_blockhash("processed")).value
        assert latest.last_valid_block_height - 150 <= localnet.chain.block_height()
        valid = await call(localnet.rpc_url, "isBlockhashValid", [str(latest.blockhash), {"commitment": "processed"}])
        assert valid["result"]["value"] is True
        unknown = await call(localnet.rpc_url, "isBlockhashValid", [str(Hash.new_unique())])
        assert unknown["result"]["value"] is False
        rent = (await client.get_minimum_balance_for_rent_exemption(165)).value
        assert rent == 2_039_280
        fees = (await client.get_recent_prioritization_fees()).value
        assert fees and all(f.prioritization_fee == 0 for f in fees)


async def test_commitment_lag_is_visible(make_localnet):
    node = await make_localnet(slot_ms=20, confirmed_lag=2, finalized_lag=10)
    async with AsyncClient(node.rpc_url) as client:
        while (await client.get_slot("processed")).value < 15:
            await asyncio.sleep(0.02)
        node.chain.start_clock()  # no-op: already running
        await node.chain.stop_clock()  # freeze time so the three reads see one slot
        processed = (await client.get_slot("processed")).value
        confirmed = (await client.get_slot("confirmed")).value
        finalized = (await client.get_slot("finalized")).value
        assert (processed - confirmed, processed - finalized) == (2, 10)
        heights = [(await client.get_block_height(c)).value for c in ("processed", "confirmed", "finalized")]
        assert heights[0] - heights[1] == 2 and heights[0] - heights[2] == 10
        by_level = [(await client.get_latest_blockhash(c)).value for c in ("processed", "finalized")]
        assert by_level[0].blockhash != by_level[1].blockhash
        assert by_level[0].last_valid_block_height - by_level[1].last_valid_block_height == 10


async def test_slot_clock_advances_and_new_blockhash_each_slot(make_localnet):
    node = await make_localnet(slot_ms=20)
    first_slot, (first_hash, _) = node.chain.slot, node.chain.latest_blockhash()
    await asyncio.sleep(0.2)
    assert node.chain.slot >= first_slot + 3
    assert node.chain.latest_blockhash()[0] != first_hash
    assert node.chain.is_blockhash_valid(first_hash)
