"""A pump.fun coin created and traded over JSON-RPC; its events read back from getTransaction."""
from __future__ import annotations

import pytest
from solana.rpc.async_api import AsyncClient
from solders.keypair import Keypair

pytest.importorskip("localnet.programs", reason="pump.fun program not installed")
from adapters.pumpfun import addresses as addr  # noqa: E402
from adapters.pumpfun import instructions as pump_ix  # noqa: E402
from adapters.pumpfun.events import events_from_transaction  # noqa: E402
from adapters.pumpfun.layout_v1 import CreateEvent, TradeEvent  # noqa: E402

from tests.localnet.helpers import SOL, call, funded, send  # noqa: E402

TOKENS = 1_000_000_000_000
VIRTUAL_SOL, VIRTUAL_TOKENS = 30_000_000_000, 1_073_000_000_000_000


async def _transaction_json(url: str, signature) -> dict:
    answer = await call(url, "getTransaction", [str(signature), {"commitment": "confirmed", "encoding": "json",
                                                                  "maxSupportedTransactionVersion": 0}])
    return answer["result"]


async def test_create_buy_sell_and_read_events(localnet):
    fee_recipient = localnet.chain.pumpfun.global_state.fee_recipient
    async with AsyncClient(localnet.rpc_url, commitment="confirmed") as client:
        creator, trader, mint = await funded(client), await funded(client), Keypair()
        create_sig = await send(client, [pump_ix.build_create(mint.pubkey(), creator.pubkey(), "Local", "LCL",
                                                              "https://example.invalid/l.json")], [creator, mint])
        created = events_from_transaction(await _transaction_json(localnet.rpc_url, create_sig)).of_type(CreateEvent)
        assert [(e.mint, e.symbol, e.user) for e in created] == [(mint.pubkey(), "LCL", creator.pubkey())]

        buy_sig = await send(client, pump_ix.build_buy_with_ata(trader.pubkey(), mint.pubkey(), creator.pubkey(),
                                                                fee_recipient, TOKENS, SOL), [trader])
        buy_json = await _transaction_json(localnet.rpc_url, buy_sig)
        (buy,) = events_from_transaction(buy_json).of_type(TradeEvent)
        assert buy.is_buy and buy.token_amount == TOKENS and buy.user == trader.pubkey()
        assert buy.sol_amount == VIRTUAL_SOL * TOKENS // (VIRTUAL_TOKENS - TOKENS) + 1
        # the buy's CPIs (SOL to curve and fee recipients, tokens to the trader) are inner instructions
        keys = buy_json["transaction"]["message"]["accountKeys"]
        inner = next(g for g in buy_json["meta"]["innerInstructions"] if g["index"] == 1)["instructions"]
        assert {keys[ix["programIdIndex"]] for ix in inner} >= {str(addr.SYSTEM_PROGRAM), str(addr.TOKEN_PROGRAM)}
        assert all(ix["stackHeight"] == 2 for ix in inner)
        post = {b["owner"]: b["uiTokenAmount"]["amount"] for b in buy_json["meta"]["postTokenBalances"]}
        assert post[str(trader.pubkey())] == str(TOKENS)
        ata = addr.associated_token_address(trader.pubkey(), mint.pubkey())
        assert (await client.get_token_account_balance(ata)).value.amount == str(TOKENS)

        sell_sig = await send(client, [pump_ix.build_sell(trader.pubkey(), mint.pubkey(), creator.pubkey(),
                                                          fee_recipient, TOKENS, 0)], [trader])
        (sell,) = events_from_transaction(await _transaction_json(localnet.rpc_url, sell_sig)).of_type(TradeEvent)
        assert not sell.is_buy and sell.token_amount == TOKENS
        assert (await client.get_token_account_balance(ata)).value.amount == "0"


async def test_buy_with_too_low_max_cost_fails_with_slippage_error(localnet):
    fee_recipient = localnet.chain.pumpfun.global_state.fee_recipient
    async with AsyncClient(localnet.rpc_url, commitment="confirmed") as client:
        creator, trader, mint = await funded(client), await funded(client), Keypair()
        await send(client, [pump_ix.build_create(mint.pubkey(), creator.pubkey(), "S", "S", "u")], [creator, mint])
        sig = await send(client, pump_ix.build_buy_with_ata(trader.pubkey(), mint.pubkey(), creator.pubkey(),
                                                            fee_recipient, TOKENS, 1), [trader], skip_preflight=True)
        result = await _transaction_json(localnet.rpc_url, sig)
        assert result["meta"]["err"] == {"InstructionError": [1, {"Custom": 6002}]}
        assert result["meta"]["fee"] == 5000
