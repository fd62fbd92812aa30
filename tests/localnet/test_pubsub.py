"""PubSub subscriptions through solana-py's SolanaWsClient, and protection against slow clients."""
from __future__ import annotations

import asyncio

import aiohttp
import orjson
from solana.rpc.async_api import AsyncClient
from solana.rpc.websocket_api import SolanaWsClient
from solders.keypair import Keypair
from solders.rpc.config import RpcTransactionLogsFilter, RpcTransactionLogsFilterMentions
from solders.rpc.responses import (AccountNotification, LogsNotification, ProgramNotification,
                                   SignatureNotification, SlotNotification)
from solders.system_program import ID as SYSTEM_PROGRAM_ID

from tests.localnet.helpers import SOL, build_tx, funded, send, sol_transfer
from solana.rpc.models import TxOpts


async def _collect(ws: SolanaWsClient, kind, count: int = 1, timeout: float = 3.0) -> list:
    found = []
    async with asyncio.timeout(timeout):
        while len(found) < count:
            note = await ws.recv()
            if isinstance(note, kind):
                found.append(note)
    return found


async def test_logs_account_signature_and_program_notifications(localnet):
    async with AsyncClient(localnet.rpc_url, commitment="confirmed") as client, \
            SolanaWsClient(localnet.ws_url) as ws:
        alice, bob = await funded(client), Keypair()
        logs_all = await ws.logs_subscribe(filter_=RpcTransactionLogsFilter.All, commitment="processed")
        logs_bob = await ws.logs_subscribe(filter_=RpcTransactionLogsFilterMentions(bob.pubkey()), commitment="confirmed")
        account = await ws.account_subscribe(pubkey=bob.pubkey(), commitment="confirmed", encoding="base64")
        program = await ws.program_subscribe(program_id=SYSTEM_PROGRAM_ID, commitment="processed", encoding="base64",
                                             filters=[0])
        tx = await build_tx(client, [sol_transfer(alice, bob.pubkey(), SOL)], [alice])
        signature = await ws.signature_subscribe(signature=tx.signatures[0], commitment="confirmed")
        await client.send_transaction(tx, opts=TxOpts(skip_confirmation=True))

        notes = await _collect(ws, (LogsNotification, AccountNotification, SignatureNotification, ProgramNotification), 6)
        by_sub = {}
        for note in notes:
            by_sub.setdefault(note.subscription, []).append(note)
        assert by_sub[logs_all.subscription_id][0].result.value.signature == tx.signatures[0]
        assert by_sub[logs_bob.subscription_id][0].result.value.err is None
        assert by_sub[account.subscription_id][0].result.value.lamports == SOL
        assert by_sub[signature.subscription_id][0].result.value.err is None
        program_keys = {n.result.value.pubkey for n in by_sub[program.subscription_id]}
        assert program_keys == {alice.pubkey(), bob.pubkey()}
        await ws.unsubscribe(logs_all)
        await ws.unsubscribe(account)


async def test_slot_notifications_and_unsubscribe(localnet):
    async with SolanaWsClient(localnet.ws_url) as ws:
        sub = await ws.slot_subscribe()
        first, second = await _collect(ws, SlotNotification, 2)
        assert second.result.slot == first.result.slot + 1 and second.result.parent == first.result.slot
        await ws.unsubscribe(sub)


async def test_signature_subscribe_after_landing_notifies_at_once(localnet):
    async with AsyncClient(localnet.rpc_url, commitment="confirmed") as client, SolanaWsClient(localnet.ws_url) as ws:
        alice = await funded(client)
        sig = await send(client, [sol_transfer(alice, Keypair().pubkey(), SOL)], [alice])
        await ws.signature_subscribe(signature=sig, commitment="confirmed")
        (note,) = await _collect(ws, SignatureNotification)
        assert note.result.value.err is None


async def _raw_ws(url: str, requests: list[dict]) -> list[dict]:
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        answers = []
        for request in requests:
            await ws.send_str(request if isinstance(request, str) else orjson.dumps(request).decode())
            answers.append(orjson.loads((await ws.receive(timeout=2)).data))
        return answers


async def test_bad_requests_get_errors_and_the_socket_lives_on(localnet):
    answers = await _raw_ws(localnet.ws_url, [
        "{not json",
        {"jsonrpc": "2.0", "id": 1, "method": "fooSubscribe", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "accountSubscribe", "params": ["not-a-key"]},
        {"jsonrpc": "2.0", "id": 3, "method": "logsSubscribe", "params": [{"mentions": []}]},
        {"jsonrpc": "2.0", "id": 4, "method": "accountUnsubscribe", "params": [987654]},
        {"jsonrpc": "2.0", "id": 5, "method": "programSubscribe", "params": [str(SYSTEM_PROGRAM_ID), {"filters": [{"x": 1}]}]},
        {"jsonrpc": "2.0", "id": 6, "method": "slotSubscribe"},
    ])
    codes = [a.get("error", {}).get("code") for a in answers]
    assert codes == [-32700, -32601, -32602, -32602, -32602, -32602, None]
    assert isinstance(answers[-1]["result"], int)


async def test_a_client_that_never_reads_is_dropped_without_blocking_the_chain(localnet, monkeypatch):
    import localnet.pubsub as pubsub
    async with aiohttp.ClientSession() as session, session.ws_connect(localnet.ws_url) as ws:
        await ws.send_str(orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "logsSubscribe",
                                        "params": ["all", {"commitment": "processed"}]}).decode())
        await ws.receive(timeout=2)
        hub = next(l for l in localnet.chain._listeners if isinstance(l, pubsub.PubSubHub))
        (socket,) = {s.socket for s in hub._by_id.values()}
        monkeypatch.setattr(socket.queue, "_maxsize", 5)
        wallet = Keypair()
        for _ in range(20):
            localnet.chain.airdrop(wallet.pubkey(), SOL)  # no await in between: the writer cannot drain
        assert socket.overflowed
        await asyncio.sleep(0.1)
        assert not hub._by_id


async def test_notifications_wait_for_the_requested_commitment(make_localnet):
    node = await make_localnet(slot_ms=0, confirmed_lag=1, finalized_lag=3)
    async with SolanaWsClient(node.ws_url) as ws:
        wallet = Keypair()
        finalized = await ws.logs_subscribe(filter_=RpcTransactionLogsFilterMentions(wallet.pubkey()))  # default: finalized
        confirmed = await ws.account_subscribe(pubkey=wallet.pubkey(), commitment="confirmed", encoding="jsonParsed")
        record = node.chain.airdrop(wallet.pubkey(), SOL)
        seen = []
        for _ in range(4):
            try:
                async with asyncio.timeout(0.2):
                    while True:
                        seen.append((node.chain.slot - record.slot, (await ws.recv()).subscription))
            except TimeoutError:
                pass
            node.chain.advance_slot()
        assert seen == [(1, confirmed.subscription_id), (3, finalized.subscription_id)]


async def test_node_stops_promptly_with_clients_connected(make_localnet):
    import time
    node = await make_localnet()
    async with aiohttp.ClientSession() as session, session.ws_connect(node.ws_url) as ws:
        await ws.send_str('{"jsonrpc":"2.0","id":1,"method":"slotSubscribe"}')
        await ws.receive(timeout=2)
        started = time.monotonic()
        await node.stop()
        assert time.monotonic() - started < 2.0
        assert (await ws.receive(timeout=2)).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                                                      aiohttp.WSMsgType.CLOSING)
