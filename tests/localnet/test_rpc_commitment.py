"""Reads honour commitment: a write is seen at `processed` at once, at `confirmed` once its slot is
confirmed, at `finalized` (the default, as on Solana's RPC) once its slot is finalized.

The node's clock is stopped (slot_ms=0) and slots are stepped by hand, so every view is exact;
reads go through solana-py's AsyncClient, as the bot's do."""
from __future__ import annotations

import pytest
import spl.token.instructions as token_ix
import spl.token.models as token_models
from solana.rpc.async_api import AsyncClient
from solana.rpc.models import TokenAccountOpts, TxOpts
from solders.keypair import Keypair
from solders.system_program import CreateAccountParams, create_account
from spl.token.constants import MINT_LEN, TOKEN_PROGRAM_ID

from tests.localnet.helpers import SOL, build_tx, call, sol_transfer

pytestmark = pytest.mark.timeout(30)
CONFIRMED_LAG, FINALIZED_LAG = 1, 3


@pytest.fixture
async def node(make_localnet):
    return await make_localnet(slot_ms=0, confirmed_lag=CONFIRMED_LAG, finalized_lag=FINALIZED_LAG)


async def execute_now(client: AsyncClient, instructions, signers) -> str:
    """Send with preflight: the local chain executes it in the current slot before answering."""
    tx = await build_tx(client, instructions, signers)
    return str((await client.send_transaction(tx, opts=TxOpts(preflight_commitment="processed"))).value)


def step(node, slots: int) -> None:
    for _ in range(slots):
        node.chain.advance_slot()


async def balances(client: AsyncClient, key) -> tuple[int, int, int, int]:
    """(processed, confirmed, finalized, default) balance of `key`."""
    views = [(await client.get_balance(key, commitment)).value for commitment in ("processed", "confirmed", "finalized")]
    async with AsyncClient(client._provider.endpoint_uri) as default_client:   # solana-py's default commitment
        views.append((await default_client.get_balance(key)).value)
    return tuple(views)


async def test_a_fresh_account_appears_at_each_commitment_in_turn(node):
    async with AsyncClient(node.rpc_url, commitment="processed") as client:
        fresh = Keypair().pubkey()
        await client.request_airdrop(fresh, 5 * SOL)
        assert await balances(client, fresh) == (5 * SOL, 0, 0, 0)
        assert (await client.get_account_info(fresh, "finalized")).value is None
        assert (await client.get_account_info(fresh, "processed")).value.lamports == 5 * SOL
        step(node, CONFIRMED_LAG)
        assert await balances(client, fresh) == (5 * SOL, 5 * SOL, 0, 0)
        many = (await client.get_multiple_accounts([fresh], "confirmed")).value
        assert many[0].lamports == 5 * SOL
        assert (await client.get_multiple_accounts([fresh], "finalized")).value == [None]
        step(node, FINALIZED_LAG - CONFIRMED_LAG)
        assert await balances(client, fresh) == (5 * SOL, 5 * SOL, 5 * SOL, 5 * SOL)


async def test_later_writes_stay_behind_their_commitment(node):
    async with AsyncClient(node.rpc_url, commitment="processed") as client:
        payer = Keypair()
        await client.request_airdrop(payer.pubkey(), 10 * SOL)
        step(node, FINALIZED_LAG)
        sink = Keypair().pubkey()
        await execute_now(client, [sol_transfer(payer, sink, SOL)], [payer])
        step(node, 1)
        await execute_now(client, [sol_transfer(payer, sink, 2 * SOL)], [payer])
        after_first, after_second = 9 * SOL - 5000, 7 * SOL - 10_000
        assert await balances(client, payer.pubkey()) == (after_second, after_first, 10 * SOL, 10 * SOL)
        assert await balances(client, sink) == (3 * SOL, SOL, 0, 0)
        step(node, 1)
        assert await balances(client, payer.pubkey()) == (after_second, after_second, 10 * SOL, 10 * SOL)
        step(node, 1)
        assert await balances(client, payer.pubkey()) == (after_second, after_second, after_first, after_first)
        step(node, 1)
        assert await balances(client, payer.pubkey()) == (after_second,) * 4
        assert len(node.chain.versions) == 0, "versions are dropped once their slot is finalized"


async def test_token_reads_and_transactions_honour_commitment(node):
    async with AsyncClient(node.rpc_url, commitment="processed") as client:
        payer, holder, mint = Keypair(), Keypair(), Keypair()
        await client.request_airdrop(payer.pubkey(), 10 * SOL)
        step(node, FINALIZED_LAG)
        rent = (await client.get_minimum_balance_for_rent_exemption(MINT_LEN)).value
        ata = token_ix.get_associated_token_address(holder.pubkey(), mint.pubkey())
        signature = await execute_now(client, [
            create_account(CreateAccountParams(from_pubkey=payer.pubkey(), to_pubkey=mint.pubkey(), lamports=rent,
                                               space=MINT_LEN, owner=TOKEN_PROGRAM_ID)),
            token_ix.initialize_mint2(token_models.InitializeMint2Params(
                decimals=6, program_id=TOKEN_PROGRAM_ID, mint=mint.pubkey(), mint_authority=payer.pubkey())),
            token_ix.create_associated_token_account(payer.pubkey(), holder.pubkey(), mint.pubkey()),
            token_ix.mint_to(token_models.MintToParams(program_id=TOKEN_PROGRAM_ID, mint=mint.pubkey(), dest=ata,
                                                       mint_authority=payer.pubkey(), amount=1_500_000))],
            [payer, mint])
        by_owner = TokenAccountOpts(mint=mint.pubkey())
        assert (await client.get_token_account_balance(ata, "processed")).value.amount == "1500000"
        assert [a.pubkey for a in (await client.get_token_accounts_by_owner(holder.pubkey(), by_owner, "processed")).value] == [ata]
        owned = (await call(node.rpc_url, "getProgramAccounts", [str(TOKEN_PROGRAM_ID), {
            "commitment": "processed", "filters": [{"memcmp": {"offset": 0, "bytes": str(mint.pubkey())}}]}]))["result"]
        assert [row["pubkey"] for row in owned] == [str(ata)]
        for hidden in ("confirmed", "finalized"):
            answer = await call(node.rpc_url, "getTokenAccountBalance", [str(ata), {"commitment": hidden}])
            assert answer["error"]["message"] == "Invalid param: not a Token account"
            answer = await call(node.rpc_url, "getTokenAccountsByOwner",
                                [str(holder.pubkey()), {"mint": str(mint.pubkey())}, {"commitment": hidden}])
            assert answer["error"]["message"] == "Invalid param: could not find mint"
            owned = (await call(node.rpc_url, "getProgramAccounts", [str(TOKEN_PROGRAM_ID), {
                "commitment": hidden, "filters": [{"memcmp": {"offset": 0, "bytes": str(mint.pubkey())}}]}]))["result"]
            assert owned == []
            answer = await call(node.rpc_url, "getTransaction",
                                [signature, {"commitment": hidden, "maxSupportedTransactionVersion": 0}])
            assert answer["result"] is None
        step(node, CONFIRMED_LAG)
        assert (await client.get_token_account_balance(ata, "confirmed")).value.amount == "1500000"
        assert [a.pubkey for a in (await client.get_token_accounts_by_owner(holder.pubkey(), by_owner, "confirmed")).value] == [ata]
        found = await call(node.rpc_url, "getTransaction", [signature, {"commitment": "confirmed", "maxSupportedTransactionVersion": 0}])
        assert found["result"]["slot"] == node.chain.slot - CONFIRMED_LAG
        answer = await call(node.rpc_url, "getTokenSupply", [str(mint.pubkey())])   # default: finalized
        assert answer["error"]["message"] == "Invalid param: not a Token mint"
        step(node, FINALIZED_LAG - CONFIRMED_LAG)
        assert (await client.get_token_supply(mint.pubkey(), "finalized")).value.amount == "1500000"
