"""Yellowstone stream faults seen by the bot's own subscriber (adapters/yellowstone/client.py) over
real gRPC: periodic disconnects (it reconnects and loses nothing), duplicated and out-of-order
updates, and a slow subscriber cut off under a small queue; every fault counted."""
from __future__ import annotations

import asyncio

import aiohttp
import grpc
import pytest
from solders.keypair import Keypair

from adapters.yellowstone.client import YellowstoneSubscriber, subscribe_request
from adapters.yellowstone.generated import geyser_pb2 as geyser
from adapters.yellowstone.generated import geyser_pb2_grpc as geyser_grpc
from localnet.faults import FaultPlan, FaultSettings

pytestmark = pytest.mark.timeout(60)
SOL = 10**9


class Collector:
    """Reads a YellowstoneSubscriber in a task (a timeout never cancels a gRPC read mid-way)."""

    def __init__(self, node, request):
        self.subscriber = YellowstoneSubscriber(f"http://{node.grpc_addr}", request, backoff_initial_s=0.01,
                                                backoff_max_s=0.05)
        self.signatures: list[bytes] = []
        self._task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for update in self.subscriber:
            if update.HasField("transaction"):
                self.signatures.append(update.transaction.transaction.signature)

    async def wait_for(self, count: int, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while len(self.signatures) < count:
                await asyncio.sleep(0.01)

    async def close(self) -> None:
        await self.subscriber.close()
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


def faucet_request(node):
    return subscribe_request(transactions={"faucet": {"account_include": [str(node.faucet.pubkey())]}})


async def airdrops(node, count: int, pause_s: float = 0.0) -> list[bytes]:
    signatures = []
    for _ in range(count):
        signatures.append(bytes(node.chain.airdrop(Keypair().pubkey(), SOL).signature))
        await asyncio.sleep(pause_s)
    return signatures


async def started_collector(node) -> Collector:
    collector = Collector(node, faucet_request(node))
    while node.geyser.subscribers == set() or not all(s.request for s in node.geyser.subscribers):
        await asyncio.sleep(0.01)
    return collector


async def test_periodic_disconnects_are_counted_and_the_client_catches_up(make_localnet):
    plan = FaultPlan(FaultSettings().merged({"stream": {"disconnect_every_s": 0.3}}))
    node = await make_localnet(faults=plan)
    collector = await started_collector(node)
    sent = await airdrops(node, 30, pause_s=0.03)      # ~0.9 s: at least two disconnects meanwhile
    await collector.wait_for(len(sent))
    assert plan.counters.stream_disconnects >= 2
    assert collector.subscriber.stats.reconnects >= 2
    assert set(collector.signatures) == set(sent), "from_slot resume: nothing lost across reconnects"
    plan.update({"stream": {"disconnect_every_s": 0}})
    reconnects = collector.subscriber.stats.reconnects
    await asyncio.sleep(0.5)
    assert collector.subscriber.stats.reconnects == reconnects, "switched off at run time"
    await collector.close()


async def test_duplicated_updates_are_counted_and_dropped_by_the_client(make_localnet):
    plan = FaultPlan(FaultSettings().merged({"stream": {"dup_rate": 1.0}}))
    node = await make_localnet(faults=plan)
    collector = await started_collector(node)
    sent = await airdrops(node, 10, pause_s=0.01)
    await collector.wait_for(len(sent))
    await asyncio.sleep(0.1)
    assert plan.counters.stream_duplicated >= 10
    assert collector.subscriber.stats.duplicates_dropped >= 10
    assert collector.signatures == sent
    await collector.close()


async def test_reordered_updates_arrive_out_of_order_and_none_is_lost(make_localnet):
    plan = FaultPlan(FaultSettings().merged({"stream": {"reorder_rate": 0.5}}), seed=11)
    node = await make_localnet(faults=plan)
    collector = await started_collector(node)
    sent = await airdrops(node, 40)
    await collector.wait_for(len(sent))
    assert sorted(collector.signatures) == sorted(sent)
    assert collector.signatures != sent
    assert plan.counters.stream_reordered >= 5
    plan.update({"stream": {"reorder_rate": 0.0}})
    more = await airdrops(node, 10)
    await collector.wait_for(len(sent) + len(more))
    assert collector.signatures[-len(more):] == more, "in order again once switched off"
    await collector.close()


async def test_small_queue_cuts_off_a_slow_subscriber_set_through_the_admin_endpoint(make_localnet):
    node = await make_localnet(api_port=0, faults=FaultPlan())
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{node.api_url}/admin/faults", json={"stream": {"queue_size": 20}}) as resp:
            assert resp.status == 200 and "stream-queue(20)" in (await resp.json())["active"]
        fast = await started_collector(node)
        # a stream nobody reads; a small fixed HTTP/2 window makes it push back after a few updates
        channel = grpc.aio.insecure_channel(node.grpc_addr, options=[("grpc.http2.bdp_probe", 0),
                                                                     ("grpc.http2.lookahead_bytes", 16384)])
        slow = geyser_grpc.GeyserStub(channel).Subscribe(iter([geyser.SubscribeRequest(
            transactions={"all": geyser.SubscribeRequestFilterTransactions()})]))
        await asyncio.sleep(0.3)
        sent = []
        for _ in range(100):
            sent += await airdrops(node, 10)
            await asyncio.sleep(0.01)
            if node.geyser.cut_off_count:
                break
        async with session.get(f"{node.api_url}/admin/faults") as resp:
            assert (await resp.json())["counters"]["stream_cut_off"] == 1
        with pytest.raises(grpc.aio.AioRpcError) as cut:
            async for _ in slow:
                pass
        assert cut.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        await fast.wait_for(len(sent))
        assert fast.signatures == sent, "the subscriber that keeps up gets everything, in order"
        await fast.close()
        await channel.close()


async def test_stream_faults_off_leave_the_stream_untouched(make_localnet):
    plan = FaultPlan(FaultSettings().merged({"stream": {"dup_rate": 1.0, "reorder_rate": 1.0}}))
    node = await make_localnet(faults=plan)
    plan.update({}, clear=True)
    assert node.geyser.stream_faults is None
    collector = await started_collector(node)
    sent = await airdrops(node, 20)
    await collector.wait_for(len(sent))
    assert collector.signatures == sent and collector.subscriber.stats.duplicates_dropped == 0
    assert plan.counters.stream_duplicated == plan.counters.stream_reordered == 0
    await collector.close()


async def test_every_fault_at_once_never_hurts_the_chain(make_localnet):
    from solana.rpc.async_api import AsyncClient
    from solana.rpc.commitment import Confirmed
    from tests.localnet.helpers import build_tx, funded, sol_transfer
    plan = FaultPlan(seed=2)
    node = await make_localnet(faults=plan)
    collector = await started_collector(node)
    async with AsyncClient(node.rpc_url, Confirmed, timeout=2, max_transport_retries=0) as client:
        payer = await funded(client, 100 * SOL)
        plan.update({"rpc": {"latency": "lognormal:5:1", "rate_429": 0.2, "rate_5xx": 0.2, "timeout_rate": 0.05,
                             "timeout_hold_s": 0.5},
                     "tx": {"drop_rate": 0.2, "delay_slots": 2, "delay_rate": 0.3}, "chain": {"blockhash_window": 5},
                     "stream": {"disconnect_every_s": 0.2, "dup_rate": 0.3, "reorder_rate": 0.3, "queue_size": 50}})
        results = await asyncio.gather(*(send_through_faults(client, payer, n) for n in range(60)),
                                       return_exceptions=True)
        assert any(isinstance(r, Exception) for r in results) and any(not isinstance(r, Exception) for r in results)
        await asyncio.sleep(0.5)
        counters = plan.snapshot()["counters"]
        for name in ("rpc_429", "rpc_5xx", "rpc_delayed", "tx_dropped", "tx_delayed", "stream_disconnects",
                     "blockhashes_expired_early"):
            assert counters[name] > 0, name
        plan.update({}, clear=True)
        await asyncio.sleep(0.3)      # held requests and postponed transactions drain
        slot = node.chain.slot
        tx = await build_tx(client, [sol_transfer(payer, Keypair().pubkey(), SOL)], [payer])
        signature = (await client.send_transaction(tx)).value
        assert (await client.get_signature_statuses([signature])).value[0] is not None
        await asyncio.sleep(0.2)
        assert node.chain.slot > slot, "the slot clock still runs"
        before = len(collector.signatures)
        node.chain.airdrop(Keypair().pubkey(), SOL)
        await collector.wait_for(before + 1)
    await collector.close()


async def send_through_faults(client, payer, n: int):
    from tests.localnet.helpers import build_tx, sol_transfer
    tx = await build_tx(client, [sol_transfer(payer, Keypair().pubkey(), SOL + n)], [payer])
    return (await client.send_transaction(tx)).value
