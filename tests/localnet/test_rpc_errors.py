"""JSON-RPC error codes, batches, and a little fuzzing: nothing a client sends may break the server."""
from __future__ import annotations

import random

import orjson
from solders.keypair import Keypair

from tests.localnet.helpers import call, raw_rpc

METHODS = ["getHealth", "getVersion", "getSlot", "getBlockHeight", "getLatestBlockhash", "isBlockhashValid",
           "getMinimumBalanceForRentExemption", "getRecentPrioritizationFees", "requestAirdrop", "sendTransaction",
           "simulateTransaction", "getSignatureStatuses", "getTransaction", "getBalance", "getAccountInfo",
           "getMultipleAccounts", "getTokenAccountsByOwner", "getTokenAccountBalance", "getTokenLargestAccounts",
           "getTokenSupply", "getProgramAccounts", "getSignaturesForAddress", "getEpochInfo", "getGenesisHash"]


async def test_standard_error_codes(localnet):
    url = localnet.rpc_url
    assert (await raw_rpc(url, b"{nope"))["error"]["code"] == -32700
    assert (await call(url, "getNothing"))["error"] == {"code": -32601, "message": "Method not found"}
    assert (await raw_rpc(url, {"jsonrpc": "2.0", "id": 1}))["error"]["code"] == -32600
    assert (await raw_rpc(url, []))["error"]["code"] == -32600
    missing = await call(url, "getBalance", [])
    assert missing["error"]["code"] == -32602 and "parameter 0" in missing["error"]["message"]
    bad_key = await call(url, "getBalance", ["xyz"])
    assert "not a valid base-58 public key" in bad_key["error"]["message"]
    bad_commitment = await call(url, "getSlot", [{"commitment": "soon"}])
    assert "unknown commitment" in bad_commitment["error"]["message"]
    bad_tx = await call(url, "sendTransaction", ["AAAA", {"encoding": "base64"}])
    assert bad_tx["error"]["code"] == -32602 and "deserialize" in bad_tx["error"]["message"]
    not_token = await call(url, "getTokenAccountBalance", [str(Keypair().pubkey())])
    assert not_token["error"]["message"] == "Invalid param: not a Token account"
    too_far = await call(url, "getBalance", [str(Keypair().pubkey()), {"minContextSlot": 10**9}])
    assert too_far["error"]["code"] == -32016


async def test_batch_answers_each_request_in_order(localnet):
    answers = await raw_rpc(localnet.rpc_url, [
        {"jsonrpc": "2.0", "id": 1, "method": "getHealth"},
        {"jsonrpc": "2.0", "id": "two", "method": "getNothing"},
        {"jsonrpc": "2.0", "id": 3, "method": "getBalance", "params": [str(localnet.faucet.pubkey())]},
        17,
    ])
    assert [a["id"] for a in answers] == [1, "two", 3, None]
    assert answers[0]["result"] == "ok" and answers[1]["error"]["code"] == -32601
    assert answers[2]["result"]["value"] > 0 and answers[3]["error"]["code"] == -32600


async def test_fuzzed_params_never_crash_the_server(localnet):
    rng = random.Random(7)
    key, sig = str(Keypair().pubkey()), "1" * 64
    junk = [None, 0, -1, 2**64 - 1, 1.5, True, "", "x" * 300, key, sig, [], [key], {}, {"encoding": "bogus"},
            {"commitment": 5}, {"filters": [{"memcmp": {"offset": -3, "bytes": "!!"}}]}, {"mint": key},
            {"programId": "zz"}, {"dataSlice": {"offset": "a"}}, [[[]]], {"encoding": "jsonParsed"}]
    requests = [{"jsonrpc": "2.0", "id": i, "method": rng.choice(METHODS),
                 "params": [rng.choice(junk) for _ in range(rng.randint(0, 3))]} for i in range(400)]
    for start in range(0, len(requests), 100):
        answers = await raw_rpc(localnet.rpc_url, requests[start:start + 100])
        for answer in answers:
            assert "result" in answer or answer["error"]["code"] in (-32602, -32002, -32003, -32016), answer
    assert (await call(localnet.rpc_url, "getHealth"))["result"] == "ok"
    orjson.dumps(answers)


async def test_mutated_transactions_never_crash_the_server(localnet):
    from solana.rpc.async_api import AsyncClient
    import base64
    from tests.localnet.helpers import build_tx, sol_transfer
    rng = random.Random(11)
    payer = Keypair()
    localnet.chain.airdrop(payer.pubkey(), 10**9)
    async with AsyncClient(localnet.rpc_url) as client:
        good = bytes(await build_tx(client, [sol_transfer(payer, Keypair().pubkey(), 10**7)], [payer]))
    requests = []
    for i in range(300):
        raw = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        if rng.random() < 0.2:
            raw = raw[:rng.randrange(len(raw))]
        method = rng.choice(["sendTransaction", "simulateTransaction"])
        requests.append({"jsonrpc": "2.0", "id": i, "method": method,
                         "params": [base64.b64encode(bytes(raw)).decode(),
                                    {"encoding": "base64", "skipPreflight": rng.random() < 0.5}]})
    for start in range(0, len(requests), 100):
        for answer in await raw_rpc(localnet.rpc_url, requests[start:start + 100]):
            assert "result" in answer or answer["error"]["code"] in (-32602, -32002, -32003), answer
    assert (await call(localnet.rpc_url, "getHealth"))["result"] == "ok"
