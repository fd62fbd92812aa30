"""Faults from `python -m localnet` flags, seen end to end in a real process: the banner, the admin
endpoint, the RPC answering 429, a run-time switch off; and seeded decisions repeat exactly."""
from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import aiohttp
import pytest
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.transaction import VersionedTransaction

from localnet.chain import Chain
from localnet.faults import FaultPlan, FaultSettings
from tests.localnet.helpers import SOL, sol_transfer

pytestmark = pytest.mark.timeout(60)
PROJECT_ROOT = Path(__file__).resolve().parents[2]


async def test_flags_switch_faults_on_in_a_running_node_and_admin_switches_them_off():
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "localnet", "--rpc-port", "0", "--ws-port", "0", "--grpc-port", "0", "--api-port", "0",
        "--slot-ms", "100", "--quiet", "--fault-429-rate", "1", "--fault-blockhash-window", "50",
        cwd=PROJECT_ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    try:
        lines: list[str] = []
        async with asyncio.timeout(15):
            while not lines or not lines[-1].startswith("READY"):
                line = (await process.stdout.readline()).decode()
                assert line, "localnet exited before READY"
                lines.append(line.strip())
        assert any(line.startswith("faults: 429, blockhash-window(50)") for line in lines)
        fields = dict(part.split("=", 1) for part in lines[-1].split()[1:])
        body = {"jsonrpc": "2.0", "id": 1, "method": "getSlot"}
        async with aiohttp.ClientSession() as session:
            async with session.post(fields["rpc"], json=body) as resp:
                assert resp.status == 429 and resp.headers["Retry-After"] == "1"
            async with session.post(f"{fields['api']}/admin/faults", json={"rpc": {"rate_429": 0}}) as resp:
                state = await resp.json()
                assert state["active"] == ["blockhash-window(50)"] and state["counters"]["rpc_429"] == 1
            async with session.post(fields["rpc"], json=body) as resp:
                assert resp.status == 200 and "result" in await resp.json()
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(10):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def test_seeded_drop_decisions_repeat_exactly():
    def decisions(seed: int) -> list[bool]:
        chain = Chain(slot_ms=0)
        FaultPlan(FaultSettings().merged({"tx": {"drop_rate": 0.5}}), seed=seed).attach(chain)
        payer = Keypair()
        chain.airdrop(payer.pubkey(), 10 * SOL)   # airdrops never pass the gate
        blockhash = chain.latest_blockhash()[0]
        return [chain.submit_gate(VersionedTransaction(MessageV0.try_compile(
            payer.pubkey(), [sol_transfer(payer, payer.pubkey(), n)], [], blockhash), [payer])) for n in range(1, 41)]

    first = decisions(5)
    assert first == decisions(5) and first != decisions(6)
    assert 5 < sum(first) < 35
