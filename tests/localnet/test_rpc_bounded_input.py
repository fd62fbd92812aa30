"""No request can stall the node: oversized base58/base64 input is refused before it is decoded, on
JSON-RPC, PubSub and Yellowstone gRPC, while getHealth keeps answering within 100 ms.

Python's base58 decoder is quadratic: decoding the 120,000-character strings below took the whole
node (and its slot clock) 6-9 s before the bounds. Expected messages are Agave's (rpc.rs
decode_and_deserialize; rpc-client-types filter.rs `Invalid param: DataTooLarge`)."""
from __future__ import annotations

import asyncio
import base64
import os
import time

import aiohttp
import base58
import grpc
import orjson
import pytest

from adapters.yellowstone.generated import geyser_pb2 as geyser
from tests.localnet.helpers import call, raw_rpc
from tests.localnet.test_geyser_helpers import Subscription
from adapters.yellowstone.generated import geyser_pb2_grpc as geyser_grpc

pytestmark = pytest.mark.timeout(60)

HUGE_BASE58 = "2" * 120_000
HUGE_BASE64 = "A" * 120_000
HEALTH_BUDGET_S = 0.1
TX_TYPE = "solana_transaction::versioned::VersionedTransaction"


async def health_latency_during(url: str, make_work, attempts: int = 3) -> tuple[object, float]:
    """Run `make_work()` and, meanwhile, time getHealth round trips; returns (work's result, the slowest
    round trip less twice the slowest idle one: on a loaded shared machine an idle trip can itself
    take tens of ms, while a stalled node takes seconds). A stall the request causes comes back on
    every run; a scheduling hiccup of a shared CI machine (0.18 s once) does not, so the work is run
    again, up to `attempts` times, until one run keeps getHealth within the budget."""
    best = float("inf")
    async with aiohttp.ClientSession() as session:
        for _ in range(attempts):
            result, slowest = await _one_timed_run(session, url, make_work())
            best = min(best, slowest)
            if best < HEALTH_BUDGET_S:
                break
    return result, best


async def _one_timed_run(session: aiohttp.ClientSession, url: str, work) -> tuple[object, float]:
    slowest = idle = 0.0
    for round_ in range(6):     # warm the connection (connect time is not the node's latency), then time idle trips
        started = time.perf_counter()
        async with session.post(url, json={"jsonrpc": "2.0", "id": 0, "method": "getHealth"}) as resp:
            await resp.read()
        if round_ >= 2:
            idle = max(idle, time.perf_counter() - started)
    task = asyncio.ensure_future(work)
    rounds = 0
    while not task.done() or rounds < 5:
        started = time.perf_counter()
        async with session.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "getHealth"}) as resp:
            assert (await resp.json())["result"] == "ok"
        slowest = max(slowest, time.perf_counter() - started)
        rounds += 1
    return await task, max(0.0, slowest - 2 * idle)


async def test_huge_transactions_are_refused_with_agave_messages_without_stalling(localnet):
    url = localnet.rpc_url
    cases = [
        ("sendTransaction", [HUGE_BASE58], f"base58 encoded {TX_TYPE} too large: 120000 bytes (max: encoded/raw 1683/1232)"),
        ("sendTransaction", [HUGE_BASE64, {"encoding": "base64"}],
         f"base64 encoded {TX_TYPE} too large: 120000 bytes (max: encoded/raw 1644/1232)"),
        ("simulateTransaction", [HUGE_BASE58], f"base58 encoded {TX_TYPE} too large: 120000 bytes (max: encoded/raw 1683/1232)"),
        ("simulateTransaction", [HUGE_BASE64, {"encoding": "base64"}],
         f"base64 encoded {TX_TYPE} too large: 120000 bytes (max: encoded/raw 1644/1232)"),
    ]
    for method, params, message in cases:
        answer, slowest = await health_latency_during(url, lambda: call(url, method, params))
        assert answer["error"] == {"code": -32602, "message": message}, method
        assert slowest < HEALTH_BUDGET_S, f"{method} held getHealth for {slowest:.3f} s"


async def test_decoded_size_is_checked_too(localnet):
    # 1,644 base64 characters decode to 1,233 bytes: one past the packet size
    answer = await call(localnet.rpc_url, "sendTransaction", [base64.b64encode(bytes(1233)).decode(), {"encoding": "base64"}])
    assert answer["error"] == {"code": -32602, "message": f"decoded {TX_TYPE} too large: 1233 bytes (max: 1232 bytes)"}


async def test_huge_memcmp_and_keys_are_refused_without_stalling(localnet):
    url = localnet.rpc_url
    program = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
    too_large = {"code": -32602, "message": "Invalid param: DataTooLarge"}
    for memcmp in ({"offset": 0, "bytes": HUGE_BASE58}, {"offset": 0, "bytes": HUGE_BASE64, "encoding": "base64"},
                   {"offset": 0, "bytes": base58.b58encode(bytes(range(1, 130))).decode()}):
        answer, slowest = await health_latency_during(
            url, lambda: call(url, "getProgramAccounts", [program, {"filters": [{"memcmp": memcmp}]}]))
        assert answer["error"] == too_large
        assert slowest < HEALTH_BUDGET_S
    for method, params in (("getBalance", [HUGE_BASE58]), ("getAccountInfo", [HUGE_BASE58]),
                           ("getMultipleAccounts", [[HUGE_BASE58]]), ("getSignatureStatuses", [[HUGE_BASE58]]),
                           ("getTransaction", [HUGE_BASE58]), ("getSignaturesForAddress", [HUGE_BASE58]),
                           ("isBlockhashValid", [HUGE_BASE58]), ("getTokenAccountsByOwner", [HUGE_BASE58, {"mint": HUGE_BASE58}])):
        answer, slowest = await health_latency_during(url, lambda: call(url, method, params))
        assert answer["error"]["code"] == -32602, method
        assert slowest < HEALTH_BUDGET_S, f"{method} held getHealth for {slowest:.3f} s"


async def test_a_batch_of_maximal_transactions_does_not_hold_up_other_clients(localnet):
    # 1,000 sends of the largest accepted base58 text: each decode is bounded, and the batch lets
    # other requests in between its members
    text = base58.b58encode(os.urandom(1232)).decode()
    batch = [{"jsonrpc": "2.0", "id": i, "method": "sendTransaction", "params": [text]} for i in range(1000)]
    answers, slowest = await health_latency_during(localnet.rpc_url, lambda: raw_rpc(localnet.rpc_url, batch))
    assert len(answers) == 1000 and all(a["error"]["code"] == -32602 for a in answers)
    assert slowest < HEALTH_BUDGET_S, f"the batch held getHealth for {slowest:.3f} s"


async def test_pubsub_refuses_huge_filters_and_keys_without_stalling(localnet):
    requests = [
        ("programSubscribe", ["TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
                              {"filters": [{"memcmp": {"offset": 0, "bytes": HUGE_BASE58}}]}]),
        ("accountSubscribe", [HUGE_BASE58]),
        ("signatureSubscribe", [HUGE_BASE58]),
        ("logsSubscribe", [{"mentions": [HUGE_BASE58]}]),
    ]
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(localnet.ws_url) as ws:
            for index, (method, params) in enumerate(requests):
                async def ask():
                    await ws.send_str(orjson.dumps({"jsonrpc": "2.0", "id": index, "method": method, "params": params}).decode())
                    return orjson.loads((await ws.receive()).data)
                answer, slowest = await health_latency_during(localnet.rpc_url, ask)
                assert answer["id"] == index and answer["error"]["code"] == -32602, method
                assert slowest < HEALTH_BUDGET_S, f"{method} held getHealth for {slowest:.3f} s"
                if method == "programSubscribe":
                    assert answer["error"]["message"] == "Invalid param: DataTooLarge"


async def test_grpc_refuses_a_huge_memcmp_without_stalling(localnet):
    async with grpc.aio.insecure_channel(localnet.grpc_addr) as channel:
        stub = geyser_grpc.GeyserStub(channel)
        for memcmp in (geyser.SubscribeRequestFilterAccountsFilterMemcmp(offset=0, base58=HUGE_BASE58),
                       geyser.SubscribeRequestFilterAccountsFilterMemcmp(offset=0, base64=HUGE_BASE64),
                       geyser.SubscribeRequestFilterAccountsFilterMemcmp(offset=0, bytes=bytes(129))):
            request = geyser.SubscribeRequest(accounts={"big": geyser.SubscribeRequestFilterAccounts(
                filters=[geyser.SubscribeRequestFilterAccountsFilter(memcmp=memcmp)])})
            async def refused():
                subscription = Subscription(stub, request, token=None)
                try:
                    with pytest.raises(grpc.aio.AioRpcError) as error:
                        await subscription.next_update(timeout=10)
                    return error.value
                finally:
                    subscription.close()
            error, slowest = await health_latency_during(localnet.rpc_url, refused)
            assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "data too large" in error.details()
            assert slowest < HEALTH_BUDGET_S, f"the gRPC filter held getHealth for {slowest:.3f} s"


def test_fast_base58_decoder_agrees_with_independent_decoders():
    from solders.keypair import Keypair as _Keypair
    from localnet.bounded_decode import b58decode
    assert b58decode("11111111111111111111111111111111") == bytes(32)   # the system program id
    for _ in range(20):
        key = _Keypair().pubkey()
        assert b58decode(str(key)) == bytes(key)
    for size in (0, 1, 2, 33, 64, 500, 1232):
        for zeros in (0, 1, 4):
            raw = bytes(zeros) + os.urandom(size)
            assert b58decode(base58.b58encode(raw).decode()) == raw
    with pytest.raises(ValueError):
        b58decode("0OIl")


async def test_simulate_accounts_list_is_bounded_by_the_transaction(localnet):
    from solders.hash import Hash
    from solders.message import MessageV0
    from solders.transaction import VersionedTransaction
    from solders.keypair import Keypair as _Keypair
    from tests.localnet.helpers import sol_transfer
    payer = _Keypair()
    tx = VersionedTransaction(MessageV0.try_compile(payer.pubkey(), [sol_transfer(payer, _Keypair().pubkey(), 1)], [],
                                                    Hash.default()), [payer])
    many = [str(_Keypair().pubkey()) for _ in range(20_000)]
    answer, slowest = await health_latency_during(localnet.rpc_url, lambda: call(localnet.rpc_url, "simulateTransaction", [
        base64.b64encode(bytes(tx)).decode(), {"encoding": "base64", "replaceRecentBlockhash": True,
                                               "accounts": {"addresses": many, "encoding": "base64"}}]))
    assert answer["error"] == {"code": -32602, "message": "Too many accounts provided; max 3"}
    assert slowest < HEALTH_BUDGET_S
