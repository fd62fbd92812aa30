"""Fault injection on the JSON-RPC side, seen by the bot's real client (solana-py AsyncClient) and
switched at run time through the admin endpoint (aiohttp): latency, 429, 5xx, timeouts, dropped and
delayed transactions, a shorter blockhash window; every fault counted, the chain never hurt."""
from __future__ import annotations

import asyncio
import time

import aiohttp
import httpx2
import pytest
from solana.exceptions import SolanaRpcException
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solana.rpc.core import RPCException
from solana.rpc.models import TxOpts
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.transaction import VersionedTransaction

from localnet.faults import FaultPlan, FaultSettings
from localnet.faults_settings import Latency
from tests.localnet.helpers import SOL, build_tx, call, funded, sol_transfer

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def faulty(make_localnet):
    """A node with a fault plan (all off) and its admin endpoint; returns (node, client, admin)."""
    node = await make_localnet(api_port=0, faults=FaultPlan(seed=3))
    client = AsyncClient(node.rpc_url, commitment=Confirmed, timeout=5)
    async with aiohttp.ClientSession() as session:
        yield node, client, Admin(session, f"{node.api_url}/admin/faults")
    await client.close()


class Admin:
    def __init__(self, session: aiohttp.ClientSession, url: str):
        self.session, self.url = session, url

    async def set(self, changes: dict, expect_status: int = 200) -> dict:
        async with self.session.post(self.url, json=changes) as resp:
            assert resp.status == expect_status, await resp.text()
            return await resp.json()

    async def counters(self) -> dict:
        async with self.session.get(self.url) as resp:
            assert resp.status == 200
            return (await resp.json())["counters"]


def http_status_of(failure: SolanaRpcException) -> int | None:
    cause = failure.__cause__
    return cause.response.status_code if isinstance(cause, httpx2.HTTPStatusError) else None


async def test_429_and_5xx_switched_at_run_time_and_counted(faulty):
    node, client, admin = faulty
    await client.get_slot()
    state = await admin.set({"rpc": {"rate_429": 1.0}})
    assert state["active"] == ["429"]
    with pytest.raises(SolanaRpcException) as refused:
        await client.get_slot()
    assert http_status_of(refused.value) == 429
    await admin.set({"clear": True, "rpc": {"rate_5xx": 1.0}})
    with pytest.raises(SolanaRpcException) as failed:
        await client.get_balance(node.faucet.pubkey())
    assert http_status_of(failed.value) in (500, 502, 503, 504)
    counters = await admin.counters()
    assert counters["rpc_429"] == 1 and counters["rpc_5xx"] == 1
    await admin.set({"rpc": {"rate_5xx": 0.5}})
    outcomes = []
    for _ in range(40):
        try:
            await client.get_slot()
            outcomes.append("ok")
        except SolanaRpcException:
            outcomes.append("5xx")
    assert 5 < outcomes.count("5xx") < 35, "a rate of 0.5 fails about half the requests"
    assert (await admin.counters())["rpc_5xx"] == 1 + outcomes.count("5xx")
    await admin.set({"clear": True})
    assert (await client.get_slot()).value >= 0


async def test_latency_distributions_delay_requests(faulty):
    _, client, admin = faulty
    await admin.set({"rpc": {"latency": "fixed:150"}})
    started = time.perf_counter()
    await client.get_slot()
    assert time.perf_counter() - started >= 0.15
    await admin.set({"rpc": {"latency": {"kind": "uniform", "min_ms": 20, "max_ms": 60}}})
    started = time.perf_counter()
    for _ in range(5):
        await client.get_slot()
    assert time.perf_counter() - started >= 5 * 0.02
    counters = await admin.counters()
    assert counters["rpc_delayed"] == 6 and counters["rpc_delay_ms_total"] >= 150 + 5 * 20
    await admin.set({"clear": True})
    started = time.perf_counter()
    await client.get_slot()
    assert time.perf_counter() - started < 0.1


def test_lognormal_latency_is_seeded_and_heavy_tailed():
    import random
    latency = Latency.parse("lognormal:40:0.8")
    first = [latency.sample_s(random.Random(5)) for _ in range(3)]
    assert first == [latency.sample_s(random.Random(5)) for _ in range(3)]
    samples = sorted(latency.sample_s(rng) for rng in [random.Random(9)] for _ in range(2000))
    median, p99 = samples[1000], samples[1980]
    assert 0.035 < median < 0.045 and p99 > 3 * median


async def test_timeout_holds_the_request_then_drops_the_connection(faulty):
    node, client, admin = faulty
    await admin.set({"rpc": {"timeout_rate": 1.0, "timeout_hold_s": 1.0}})
    impatient = AsyncClient(node.rpc_url, timeout=0.3, max_transport_retries=0)
    started = time.perf_counter()
    with pytest.raises(SolanaRpcException) as timed_out:
        await impatient.get_slot()
    assert isinstance(timed_out.value.__cause__, httpx2.TimeoutException)
    assert time.perf_counter() - started < 0.9
    await impatient.close()
    async with aiohttp.ClientSession() as session:   # a patient client is never answered either
        started = time.perf_counter()
        with pytest.raises(aiohttp.ClientError):
            async with session.post(node.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": "getSlot"},
                                    timeout=aiohttp.ClientTimeout(total=5)) as resp:
                await resp.read()
        assert 0.9 < time.perf_counter() - started < 3
    assert (await admin.counters())["rpc_timeouts"] == 2
    await admin.set({"clear": True})
    assert (await client.get_slot()).value >= 0


async def _send_transfer(client: AsyncClient, payer: Keypair, lamports: int):
    tx = await build_tx(client, [sol_transfer(payer, Keypair().pubkey(), lamports)], [payer])
    return (await client.send_transaction(tx, opts=TxOpts(skip_preflight=False))).value


async def _status(client: AsyncClient, signature):
    return (await client.get_signature_statuses([signature])).value[0]


async def _wait_slots(node, count: int) -> None:
    target = node.chain.slot + count
    while node.chain.slot < target:
        await asyncio.sleep(0.02)


async def test_dropped_transaction_is_accepted_but_never_executed(faulty):
    node, client, admin = faulty
    payer = await funded(client, 10 * SOL)
    await admin.set({"tx": {"drop_rate": 1.0}})
    signature = await _send_transfer(client, payer, SOL)
    await _wait_slots(node, 5)
    assert await _status(client, signature) is None
    assert (await client.get_balance(payer.pubkey())).value == 10 * SOL
    assert (await admin.counters())["tx_dropped"] == 1
    await admin.set({"tx": {"drop_rate": 0.0}})
    signature = await _send_transfer(client, payer, SOL)
    assert (await _status(client, signature)) is not None, "with the fault off it runs at once"


async def test_delayed_transaction_runs_n_slots_later(faulty):
    node, client, admin = faulty
    payer = await funded(client, 10 * SOL)
    await admin.set({"tx": {"delay_slots": 4}})
    tx = await build_tx(client, [sol_transfer(payer, Keypair().pubkey(), SOL)], [payer])
    sent_at = node.chain.slot
    signature = (await client.send_transaction(tx)).value
    assert (await client.send_transaction(tx)).value == signature, "a resend is accepted, and runs once"
    assert await _status(client, signature) is None
    assert (await admin.counters())["tx_postponed_now"] == 1
    await _wait_slots(node, 6)
    status = await _status(client, signature)
    assert status is not None and status.err is None and status.slot >= sent_at + 4
    assert (await client.get_balance(payer.pubkey())).value == 9 * SOL - 5000
    counters = await admin.counters()
    assert counters["tx_delayed"] == 1 and counters["tx_delayed_executed"] == 1
    assert counters["tx_postponed_now"] == 0


async def test_delayed_transaction_whose_blockhash_expired_never_lands(faulty):
    node, client, admin = faulty
    payer = await funded(client, 10 * SOL)
    await admin.set({"tx": {"delay_slots": 6}, "chain": {"blockhash_window": 3}})
    signature = await _send_transfer(client, payer, SOL)
    await _wait_slots(node, 8)
    assert await _status(client, signature) is None
    counters = await admin.counters()
    assert counters["tx_delayed"] == 1 and counters["tx_delayed_expired"] == 1
    assert counters["blockhashes_expired_early"] > 0


async def _blockhash_valid(node, blockhash) -> bool:
    return (await call(node.rpc_url, "isBlockhashValid", [str(blockhash), {"commitment": "processed"}]))["result"]["value"]


async def test_shorter_blockhash_window_expires_hashes_sooner(faulty):
    node, client, admin = faulty
    payer = await funded(client, 10 * SOL)
    await admin.set({"chain": {"blockhash_window": 4}})
    latest = (await client.get_latest_blockhash(Confirmed)).value
    height = (await client.get_block_height(Confirmed)).value
    assert latest.last_valid_block_height <= height + 4
    assert await _blockhash_valid(node, latest.blockhash)
    tx = VersionedTransaction(MessageV0.try_compile(payer.pubkey(), [sol_transfer(payer, Keypair().pubkey(), SOL)],
                                                    [], latest.blockhash), [payer])
    await _wait_slots(node, 5)
    assert not await _blockhash_valid(node, latest.blockhash)
    with pytest.raises(RPCException, match="Blockhash not found"):
        await client.send_transaction(tx)
    await admin.set({"chain": {"blockhash_window": 150}})
    fresh = (await client.get_latest_blockhash(Confirmed)).value
    await _wait_slots(node, 6)
    assert await _blockhash_valid(node, fresh.blockhash)
    assert (await admin.counters())["blockhashes_expired_early"] >= 1


async def test_bad_admin_requests_are_refused_and_change_nothing(faulty):
    node, client, admin = faulty
    await admin.set({"rpc": {"rate_429": 0.25}})
    for bad in ({"rpc": {"rate_429": 3}}, {"bogus": {}}, {"tx": {"delay_slots": -1}}, {"clear": "yes"}):
        answer = await admin.set(bad, expect_status=400)
        assert answer["error"]
    async with admin.session.post(admin.url, data=b"not json") as resp:
        assert resp.status == 400
    assert node.faults.settings.rpc.rate_429 == 0.25
    await admin.set({"clear": True, "reset_counters": True})
    assert all(value == 0 for value in (await admin.counters()).values())
    assert (await client.get_slot()).value >= 0


async def test_with_every_fault_off_the_node_behaves_as_before(make_localnet):
    plan = FaultPlan(FaultSettings())
    node = await make_localnet(faults=plan)
    assert node.chain.submit_gate is None and node.geyser.stream_faults is None and plan.rpc_faults is None
    async with AsyncClient(node.rpc_url) as client:
        payer = await funded(client, 10 * SOL)
        signature = await _send_transfer(client, payer, SOL)
        assert (await _status(client, signature)).err is None
    assert not any(plan.snapshot()["counters"].values())


def test_flags_and_toml_file_make_the_settings(tmp_path):
    from localnet.__main__ import parse_args
    config = tmp_path / "faults.toml"
    config.write_text('[rpc]\nrate_429 = 0.1\nlatency = "uniform:5:10"\n[stream]\ndup_rate = 0.2\n')
    args = parse_args(["--faults", str(config), "--fault-429-rate", "0.3", "--fault-delay-slots", "2",
                       "--fault-blockhash-window", "40", "--fault-stream-disconnect-s", "5"])
    settings = args.fault_settings
    assert settings.rpc.rate_429 == 0.3 and settings.rpc.latency == Latency("uniform", min_ms=5, max_ms=10)
    assert settings.tx.delay_slots == 2 and settings.chain.blockhash_window == 40
    assert settings.stream.dup_rate == 0.2 and settings.stream.disconnect_every_s == 5
    assert parse_args([]).fault_settings == FaultSettings()
    with pytest.raises(SystemExit):
        parse_args(["--fault-5xx-rate", "1.5"])
    from pathlib import Path
    example = Path(__file__).resolve().parents[2] / "localnet" / "faults.example.toml"
    assert parse_args(["--faults", str(example)]).fault_settings.active_names()


async def test_the_simulated_markets_traffic_is_never_faulted(faulty):
    """Faults model the endpoint under test; the market stands for other traders on their own RPC."""
    from localnet.faults_rpc import WORLD_TRAFFIC_HEADER
    node, client, admin = faulty
    payer = await funded(client, 10 * SOL)
    await admin.set({"rpc": {"rate_429": 1.0}, "tx": {"drop_rate": 1.0}})
    world = AsyncClient(node.rpc_url, timeout=5, extra_headers={WORLD_TRAFFIC_HEADER: "1"})
    try:
        with pytest.raises(SolanaRpcException):
            await client.get_slot()
        signature = await _send_transfer(world, payer, SOL)
        assert await _status(world, signature) is not None, "the market's transaction ran at once"
        counters = await admin.counters()
        assert counters["rpc_429"] == 1 and counters["tx_dropped"] == 0
    finally:
        await world.close()
