"""blockSubscribe through solana-py's SolanaWsClient (notifications decoded by solders' BlockNotification),
plus the raw JSON shape of Solana's RPC docs: {context, value: {slot, block, err}}."""
from __future__ import annotations

import asyncio
import base64

import aiohttp
import orjson
import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.websocket_api import SolanaWsClient
from solders.keypair import Keypair
from solders.rpc.config import RpcBlockSubscribeFilter, RpcBlockSubscribeFilterMentions
from solders.rpc.responses import BlockNotification
from solders.transaction import VersionedTransaction
from solders.transaction_status import TransactionDetails

from tests.localnet.helpers import SOL, funded, send, sol_transfer

pytestmark = pytest.mark.timeout(30)


async def _block_with(ws: SolanaWsClient, subscription_id: int, slot: int, timeout: float = 5.0):
    """The notification of `subscription_id` for `slot`, skipping others."""
    async with asyncio.timeout(timeout):
        while True:
            note = await ws.recv()
            if isinstance(note, BlockNotification) and note.subscription == subscription_id \
                    and note.result.value.slot == slot:
                return note.result.value


async def test_block_subscribe_full_and_signatures_through_solana_py(localnet):
    async with AsyncClient(localnet.rpc_url, commitment="confirmed") as client, SolanaWsClient(localnet.ws_url) as ws:
        alice, bob = await funded(client), Keypair()
        full = await ws.block_subscribe(filter_=RpcBlockSubscribeFilterMentions(bob.pubkey()), commitment="confirmed",
                                        encoding="json", transaction_details=TransactionDetails.Full,
                                        show_rewards=True, max_supported_transaction_version=0)
        sigs = await ws.block_subscribe(filter_=RpcBlockSubscribeFilter.All, commitment="confirmed",
                                        transaction_details=TransactionDetails.Signatures, show_rewards=False,
                                        max_supported_transaction_version=0)
        signature = await send(client, [sol_transfer(alice, bob.pubkey(), SOL)], [alice])
        slot = localnet.chain.get_record(signature).slot
        value = await _block_with(ws, full.subscription_id, slot)
        assert value.err is None and value.block.parent_slot == slot - 1 and value.block.rewards == []
        (only,) = value.block.transactions    # the mentions filter keeps bob's transfer only
        assert only.transaction.signatures[0] == signature
        assert only.meta.post_balances[1] == SOL and only.meta.fee == 5000
        assert value.block.block_height == localnet.chain.block_header(slot)["blockHeight"]
        value = await _block_with(ws, sigs.subscription_id, slot)
        assert signature in value.block.signatures and value.block.transactions is None


async def _reply(ws, request_id: int) -> dict:
    """The answer to request `request_id`, skipping notifications of earlier subscriptions."""
    while True:
        message = orjson.loads((await ws.receive(timeout=2)).data)
        if message.get("id") == request_id:
            return message


async def test_block_notification_raw_shape_and_errors(localnet):
    async with AsyncClient(localnet.rpc_url, commitment="confirmed") as client, \
            aiohttp.ClientSession() as session, session.ws_connect(localnet.ws_url) as ws:
        alice = await funded(client)
        requests = [
            ("all", {"commitment": "confirmed", "encoding": "base64", "transactionDetails": "full",
                     "maxSupportedTransactionVersion": 0}),
            ({"mentionsAccountOrProgram": str(alice.pubkey())}, {"commitment": "finalized", "transactionDetails": "none"}),
            ("all", {"commitment": "confirmed"}),     # v0 transactions without maxSupportedTransactionVersion
        ]
        subscriptions = []
        for index, (spec, config) in enumerate(requests):
            await ws.send_str(orjson.dumps({"jsonrpc": "2.0", "id": index, "method": "blockSubscribe",
                                            "params": [spec, config]}).decode())
            subscriptions.append((await _reply(ws, index))["result"])
        for bad_id, params in enumerate(([{"mentions": "x"}], ["all", {"commitment": "processed"}],
                                         ["all", {"transactionDetails": "some"}]), start=10):
            await ws.send_str(orjson.dumps({"jsonrpc": "2.0", "id": bad_id, "method": "blockSubscribe",
                                            "params": params}).decode())
            assert (await _reply(ws, bad_id))["error"]["code"] == -32602
        signature = await send(client, [sol_transfer(alice, Keypair().pubkey(), SOL)], [alice])
        slot = localnet.chain.get_record(signature).slot
        wanted = {(sub, slot) for sub in subscriptions}
        seen = {}
        async with asyncio.timeout(10):        # finalized comes 32 slots (1.6 s) after processed
            while wanted - seen.keys():
                note = orjson.loads((await ws.receive()).data)
                result = note["params"]["result"]
                seen[(note["params"]["subscription"], result["value"]["slot"])] = result
        full = seen[(subscriptions[0], slot)]
        assert full["context"]["slot"] == slot and full["value"]["err"] is None
        block = full["value"]["block"]
        assert set(block) == {"blockHeight", "blockTime", "blockhash", "parentSlot", "previousBlockhash", "rewards",
                              "transactions"}
        bodies = [VersionedTransaction.from_bytes(base64.b64decode(t["transaction"][0])) for t in block["transactions"]]
        assert signature in [tx.signatures[0] for tx in bodies]
        assert all(t["version"] == 0 and "meta" in t for t in block["transactions"])
        none = seen[(subscriptions[1], slot)]["value"]["block"]
        assert "transactions" not in none and "signatures" not in none
        refused = seen[(subscriptions[2], slot)]["value"]
        assert refused == {"block": None, "err": {"UnsupportedTransactionVersion": 0}, "slot": slot}


async def test_block_subscribe_accounts_details_decode_in_solana_py(localnet):
    """transactionDetails "accounts" (Solana's RPC docs): signatures, annotated account keys and a meta of
    fee, status and balances, as solders' UiAccountsList decodes it."""
    async with AsyncClient(localnet.rpc_url, commitment="confirmed") as client, SolanaWsClient(localnet.ws_url) as ws:
        alice, bob = await funded(client), Keypair()
        sub = await ws.block_subscribe(filter_=RpcBlockSubscribeFilterMentions(alice.pubkey()), commitment="confirmed",
                                       transaction_details=TransactionDetails.Accounts, show_rewards=False,
                                       max_supported_transaction_version=0)
        signature = await send(client, [sol_transfer(alice, bob.pubkey(), SOL)], [alice])
        slot = localnet.chain.get_record(signature).slot
        value = await _block_with(ws, sub.subscription_id, slot)
        (only,) = value.block.transactions
        accounts = only.transaction
        assert accounts.signatures == [signature]
        keys = {str(k.pubkey): (k.signer, k.writable) for k in accounts.account_keys}
        assert keys[str(alice.pubkey())] == (True, True) and keys[str(bob.pubkey())] == (False, True)
        assert only.meta.fee == 5000 and only.meta.post_balances[1] == SOL and only.meta.log_messages is None
