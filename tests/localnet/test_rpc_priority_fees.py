"""getRecentPrioritizationFees reports the compute-unit prices transactions actually paid, per slot,
filtered by write-locked accounts as Agave's prioritization fee cache does (per slot: the largest
of the slot's minimum price and each given account's minimum price). Read through solana-py."""
from __future__ import annotations

import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.models import TxOpts
from solders.compute_budget import set_compute_unit_price
from solders.keypair import Keypair

from tests.localnet.helpers import SOL, build_tx, sol_transfer

pytestmark = pytest.mark.timeout(30)


async def test_fees_paid_per_slot_and_per_written_account(make_localnet):
    node = await make_localnet(slot_ms=0)
    async with AsyncClient(node.rpc_url, commitment="processed") as client:
        alice, bob = Keypair(), Keypair()
        node.chain.airdrop(alice.pubkey(), 10 * SOL)
        node.chain.airdrop(bob.pubkey(), 10 * SOL)
        node.chain.advance_slot()
        cheap_sink, dear_sink, bystander = Keypair().pubkey(), Keypair().pubkey(), Keypair().pubkey()
        for payer, sink, price in ((alice, cheap_sink, 100), (bob, dear_sink, 300)):
            tx = await build_tx(client, [set_compute_unit_price(price), sol_transfer(payer, sink, SOL)], [payer])
            await client.send_transaction(tx, opts=TxOpts(skip_confirmation=True))
        priced_slot = node.chain.slot
        node.chain.advance_slot()                                      # an empty slot

        def by_slot(response) -> dict[int, int]:
            return {f.slot: f.prioritization_fee for f in response.value}
        overall = by_slot(await client.get_recent_prioritization_fees())
        assert overall[priced_slot] == 100, "the slot's minimum price"
        assert overall[priced_slot - 1] == 0, "the airdrops set no price"
        assert overall[priced_slot + 1] == 0, "no transactions"
        assert by_slot(await client.get_recent_prioritization_fees([dear_sink]))[priced_slot] == 300
        assert by_slot(await client.get_recent_prioritization_fees([cheap_sink, dear_sink]))[priced_slot] == 300
        assert by_slot(await client.get_recent_prioritization_fees([cheap_sink]))[priced_slot] == 100
        assert by_slot(await client.get_recent_prioritization_fees([bystander]))[priced_slot] == 100
        for _ in range(200):
            node.chain.advance_slot()
        recent = (await client.get_recent_prioritization_fees()).value
        assert len(recent) == 150 and recent[-1].slot == node.chain.slot
