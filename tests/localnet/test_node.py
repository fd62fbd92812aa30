"""LocalNode assembly: every server on its own free port, and a clean stop."""
from __future__ import annotations

import pytest

from localnet.node import LocalNode
from tests.localnet.helpers import call


async def test_node_serves_rpc_and_pubsub_on_free_ports_and_stops_cleanly():
    node = await LocalNode(rpc_port=0, ws_port=0, grpc_port=None, slot_ms=50, seed=9).start()
    try:
        assert node.rpc.port != node.pubsub.port and node.grpc_addr is None
        assert node.ws_url.startswith("ws://127.0.0.1:")
        answer = await call(node.rpc_url, "getBalance", [str(node.faucet.pubkey())])
        assert answer["result"]["value"] > 10**15
    finally:
        await node.stop()
    await node.stop()  # idempotent


async def test_node_wires_the_yellowstone_server_when_present():
    pytest.importorskip("localnet.geyser", reason="Yellowstone gRPC server not written yet")
    node = await LocalNode(rpc_port=0, ws_port=0, grpc_port=0, slot_ms=50, x_token="secret").start()
    try:
        host, port = node.grpc_addr.rsplit(":", 1)
        assert host == "127.0.0.1" and int(port) > 0
    finally:
        await node.stop()
