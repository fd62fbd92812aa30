"""Shared fixtures: a whole local node (chain, JSON-RPC, PubSub, gRPC) in-process on free ports."""
from __future__ import annotations

import pytest

from localnet.node import LocalNode

FAST_SLOT_MS = 50  # fast slots keep confirmation waits short; lags stay as on mainnet


@pytest.fixture
async def make_localnet():
    """Factory: `node = await make_localnet(slot_ms=..., confirmed_lag=..., finalized_lag=...)`; all stopped after."""
    nodes: list[LocalNode] = []

    async def start(**options) -> LocalNode:
        options = {"slot_ms": FAST_SLOT_MS, **options}
        node = LocalNode(rpc_port=0, ws_port=0, grpc_port=0, **options)
        nodes.append(node)
        return await node.start()

    yield start
    for node in nodes:
        await node.stop()


@pytest.fixture
async def localnet(make_localnet) -> LocalNode:
    """A running LocalNode: use .rpc_url, .ws_url, .grpc_addr, .faucet, .chain."""
    return await make_localnet()
