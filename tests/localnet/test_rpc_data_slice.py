"""dataSlice on getAccountInfo / getMultipleAccounts, as the Solana RPC docs define it: "Request a
slice of the account's data": `offset` = byte offset from which to start reading, `length` = number
of bytes to return, applied to the raw bytes before encoding ("only available for base58, base64,
base64+zstd and binary encodings"); lamports, owner and space are the whole account's.

Expected bytes come from the SPL Token mint layout (82 bytes: COption<Pubkey> mint authority at 0,
u64 supply at 36, u8 decimals at 44, bool is_initialized at 45, COption<Pubkey> freeze authority
at 46), not from the encoder under test."""
from __future__ import annotations

import base64

import base58
import pytest
from solana.rpc.async_api import AsyncClient
from solders.account import Account
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from tests.localnet.helpers import call, create_mint, funded

pytestmark = pytest.mark.timeout(30)
SYSTEM_PROGRAM = Pubkey.from_string("11111111111111111111111111111111")


def data_of(value) -> bytes:
    encoded, encoding = value["data"]
    return base64.b64decode(encoded) if encoding == "base64" else base58.b58decode(encoded)


async def test_a_slice_returns_those_bytes_of_the_raw_account_and_the_whole_accounts_lamports(localnet):
    async with AsyncClient(localnet.rpc_url, commitment="processed") as client:
        payer = await funded(client)
        mint = await create_mint(client, payer, decimals=9)
    key = str(mint.pubkey())

    async def sliced(method, offset, length, encoding="base64"):
        config = {"encoding": encoding, "commitment": "processed", "dataSlice": {"offset": offset, "length": length}}
        params = [key, config] if method == "getAccountInfo" else [[key], config]
        value = (await call(localnet.rpc_url, method, params))["result"]["value"]
        return value if method == "getAccountInfo" else value[0]

    for method in ("getAccountInfo", "getMultipleAccounts"):
        whole = await sliced(method, 0, 10_000)
        assert len(data_of(whole)) == 82 and whole["space"] == 82
        decimals_and_init = await sliced(method, 44, 2)
        assert data_of(decimals_and_init) == bytes([9, 1])               # decimals 9, initialized
        assert decimals_and_init["lamports"] == whole["lamports"] > 0 and decimals_and_init["space"] == 82
        authority = await sliced(method, 0, 36, "base58")
        assert data_of(authority) == (1).to_bytes(4, "little") + bytes(payer.pubkey())   # COption Some
        assert data_of(await sliced(method, 80, 10)) == data_of(whole)[80:]   # cut at the account's end
        assert data_of(await sliced(method, 200, 4)) == b""                   # past the end: no bytes
        lamports_only = await sliced(method, 0, 0)
        assert data_of(lamports_only) == b"" and lamports_only["lamports"] == whole["lamports"]


async def test_base58_refuses_more_than_128_bytes_but_a_smaller_slice_of_a_big_account_is_fine(localnet):
    key = Keypair().pubkey()
    localnet.chain.set_account(key, Account(lamports=10**9, data=bytes(range(200)), owner=SYSTEM_PROGRAM,
                                            executable=False, rent_epoch=0))

    async def info(config):
        return await call(localnet.rpc_url, "getAccountInfo", [str(key), {"commitment": "processed", **config}])

    refused = await info({"encoding": "base58"})
    assert "128 bytes" in refused["error"]["message"]
    value = (await info({"encoding": "base58", "dataSlice": {"offset": 150, "length": 40}}))["result"]["value"]
    assert data_of(value) == bytes(range(150, 190))
