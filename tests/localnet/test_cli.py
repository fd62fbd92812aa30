"""`python -m localnet` as a subprocess: READY within 3 s, serves RPC, exits 0 on SIGTERM."""
from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path

from tests.localnet.helpers import call

PROJECT_ROOT = Path(__file__).resolve().parents[2]


async def test_cli_starts_prints_ready_and_stops_on_sigterm():
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "localnet", "--rpc-port", "0", "--ws-port", "0", "--grpc-port", "0",
        "--slot-ms", "100", "--seed", "3", "--quiet",
        cwd=PROJECT_ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        lines = []
        async with asyncio.timeout(10):
            while not lines or not lines[-1].startswith("READY"):
                lines.append((await process.stdout.readline()).decode().strip())
        ready_after = time.monotonic() - started
        assert ready_after < 3.0, f"READY after {ready_after:.2f} s"
        fields = dict(part.split("=", 1) for part in lines[-1].split()[1:])
        assert any("faucet" in line for line in lines)
        assert (await call(fields["rpc"], "getHealth"))["result"] == "ok"
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(10):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
