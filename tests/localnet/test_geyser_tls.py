"""The Yellowstone server over TLS: a real grpc client trusting the generated self-signed certificate
as its root; a plaintext client is refused. In-process and through `python -m localnet`."""
from __future__ import annotations

import asyncio
import stat
import sys
from pathlib import Path

import grpc
import pytest

from adapters.yellowstone.generated import geyser_pb2 as geyser
from adapters.yellowstone.generated import geyser_pb2_grpc as geyser_grpc
from localnet.chain import Chain
from localnet.geyser import start_geyser
from localnet.tls import write_self_signed
from tests.localnet.test_geyser_helpers import Subscription

pytestmark = pytest.mark.timeout(30)
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def tls_channel(address: str, cert: bytes) -> grpc.aio.Channel:
    return grpc.aio.secure_channel(address, grpc.ssl_channel_credentials(root_certificates=cert))


async def test_tls_server_serves_a_client_that_trusts_its_certificate(tmp_path):
    files = write_self_signed(tmp_path)
    assert stat.S_IMODE(files.key_path.stat().st_mode) == 0o600, "the private key is owner-only"
    chain = Chain(slot_ms=0)
    server = await start_geyser(chain, "127.0.0.1", 0, None, tls=files)
    try:
        for host in ("127.0.0.1", "localhost"):
            async with tls_channel(f"{host}:{server.port}", files.cert_path.read_bytes()) as channel:
                stub = geyser_grpc.GeyserStub(channel)
                assert (await stub.GetSlot(geyser.GetSlotRequest(), timeout=5)).slot == chain.slot
                subscription = Subscription(stub, geyser.SubscribeRequest(
                    slots={"s": geyser.SubscribeRequestFilterSlots()}), token=None)
                try:
                    await subscription.wait_ready()
                    chain.advance_slot()
                    update = await subscription.next_update()
                    assert update.slot.slot == chain.slot
                finally:
                    subscription.close()
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as plain:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await geyser_grpc.GeyserStub(plain).GetSlot(geyser.GetSlotRequest(), timeout=2)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        other = write_self_signed(tmp_path / "other")   # a client trusting another certificate is refused
        async with tls_channel(f"127.0.0.1:{server.port}", other.cert_path.read_bytes()) as channel:
            with pytest.raises(grpc.aio.AioRpcError):
                await geyser_grpc.GeyserStub(channel).GetSlot(geyser.GetSlotRequest(), timeout=2)
    finally:
        await server.stop()


async def test_cli_self_signed_flag_and_argument_errors(tmp_path):
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "localnet", "--rpc-port", "0", "--ws-port", "0", "--grpc-port", "0", "--api-port", "-1",
        "--grpc-tls-self-signed", str(tmp_path), "--quiet",
        cwd=PROJECT_ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        lines = []
        async with asyncio.timeout(15):
            while not lines or not lines[-1].startswith("READY"):
                line = (await process.stdout.readline()).decode()
                assert line, f"exited early: {(await process.stderr.read()).decode()[-500:]}"
                lines.append(line.strip())
        fields = dict(part.split("=", 1) for part in lines[-1].split()[1:])
        cert = (tmp_path / "localnet-grpc.crt").read_bytes()
        async with tls_channel(fields["grpc"], cert) as channel:
            assert (await geyser_grpc.GeyserStub(channel).GetVersion(geyser.GetVersionRequest(), timeout=5)).version
    finally:
        process.terminate()
        await process.wait()
    for bad in (["--grpc-tls-cert", str(tmp_path / "localnet-grpc.crt")],
                ["--grpc-tls-cert", str(tmp_path / "missing.crt"), "--grpc-tls-key", str(tmp_path / "missing.key")],
                ["--grpc-tls-self-signed", str(tmp_path), "--grpc-tls-key", str(tmp_path / "localnet-grpc.key")]):
        refused = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "localnet", *bad, cwd=PROJECT_ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, stderr = await refused.communicate()
        assert refused.returncode == 2, stderr
        assert b"grpc-tls" in stderr.lower() or b"grpc tls" in stderr.lower(), stderr
