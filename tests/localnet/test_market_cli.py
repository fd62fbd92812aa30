"""`python -m localnet --market` as a subprocess: prints its wallets and metadata address, serves
/market/wallets while trading, refuses bad flags with a reason, stops cleanly; the status line."""
from __future__ import annotations

import asyncio
import io
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from localnet.chain import Chain
from localnet.market.status import StatusLine

PROJECT_ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(60)


async def _start(*flags: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "localnet", "--rpc-port", "0", "--ws-port", "0", "--grpc-port", "0",
        "--slot-ms", "100", "--quiet", *flags,
        cwd=PROJECT_ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def test_market_flags_wallets_endpoint_and_clean_stop():
    process = await _start("--market", "--speed", "20", "--seed", "3", "--smart-wallets", "2", "--metadata-port", "0")
    try:
        lines = []
        async with asyncio.timeout(15):
            while not lines or not lines[-1].startswith("READY"):
                lines.append((await process.stdout.readline()).decode().strip())
        metadata_url = next(line.split()[2] for line in lines if line.startswith("market metadata"))
        printed_smart = next(line for line in lines if line.startswith("market smart wallets:")).split(":")[1].split()
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                async with http.get(f"{metadata_url}/market/wallets") as response:
                    status = await response.json()
                if status["trades"] > 0:
                    break
                await asyncio.sleep(0.1)
        assert status["wallets"]["smart"] == printed_smart and len(printed_smart) == 2
        ready = dict(part.split("=", 1) for part in lines[-1].split()[1:])
        assert ready["market"] == metadata_url   # where run.py finds the smart wallets to copy
        from app.copy_targets import market_smart_wallets
        assert await asyncio.to_thread(market_smart_wallets, ready["market"]) == printed_smart
        assert status["launched"] > 0 and status["trades"] > 0 and status["running"]
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(15):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.parametrize("flags, reason", [
    (["--market", "--launch-rate", "51"], "launch rate"),
    (["--market", "--fate-weights", "moon=1"], "NAME=NUMBER"),
    (["--replay", "/nonexistent/trades.csv"], "replay file not found"),
    (["--market", "--migration-delay", "-1"], "migration delay"),
])
async def test_bad_market_flags_stop_with_a_reason(flags, reason):
    process = await _start(*flags)
    async with asyncio.timeout(15):
        _, stderr = await process.communicate()
    assert process.returncode == 2 and reason in stderr.decode()


async def test_status_line_shows_slot_rate_and_market_counters():
    chain = Chain(slot_ms=0)
    stream = io.StringIO()
    market = {"live": 4, "launched": 9, "graduated": 1, "trades": 120}
    line = StatusLine(chain, lambda: market, stream=stream, period_s=0.05).start()
    chain.airdrop(chain.faucet.pubkey(), 1)
    await asyncio.sleep(0.08)
    await line.stop()
    output = stream.getvalue()
    assert output.startswith("status: slot 1 | ")
    assert "tx/s | coins live 4 | launched 9 | graduated 1 | trades 120" in output
