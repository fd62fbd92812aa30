"""SPL Token flows and token read methods through solana-py: mints, ATAs, WSOL wrap/unwrap, close."""
from __future__ import annotations

import base58
from solana.rpc.async_api import AsyncClient
from solana.rpc.models import MemcmpOpts, TokenAccountOpts
from solders.keypair import Keypair
from spl.token.constants import TOKEN_PROGRAM_ID, WRAPPED_SOL_MINT
import spl.token.instructions as token_ix
import spl.token.models as token_models

from tests.localnet.helpers import SOL, call, create_mint, funded, send, sol_transfer

ATA_RENT = 2_039_280


async def _minted(client: AsyncClient, payer: Keypair, holders: list[Keypair], amounts: list[int]):
    mint = await create_mint(client, payer)
    atas = [token_ix.get_associated_token_address(h.pubkey(), mint.pubkey()) for h in holders]
    await send(client, [token_ix.create_associated_token_account(payer.pubkey(), h.pubkey(), mint.pubkey()) for h in holders]
               + [token_ix.mint_to(token_models.MintToParams(program_id=TOKEN_PROGRAM_ID, mint=mint.pubkey(), dest=ata,
                                                             mint_authority=payer.pubkey(), amount=amount))
                  for ata, amount in zip(atas, amounts)], [payer])
    return mint, atas


async def test_token_transfer_meta_and_token_read_methods(localnet):
    async with AsyncClient(localnet.rpc_url, commitment="confirmed") as client:
        payer, alice, bob = await funded(client), await funded(client), Keypair()
        mint, (ata_a, ata_b) = await _minted(client, payer, [alice, bob], [5_000_000, 0])
        sig = await send(client, [token_ix.transfer_checked(token_models.TransferCheckedParams(
            program_id=TOKEN_PROGRAM_ID, source=ata_a, mint=mint.pubkey(), dest=ata_b, owner=alice.pubkey(),
            amount=1_250_000, decimals=6))], [alice])
        meta = (await client.get_transaction(sig, max_supported_transaction_version=0)).value.transaction.meta
        pre = {b.owner: b.ui_token_amount.amount for b in meta.pre_token_balances}
        post = {b.owner: b.ui_token_amount.amount for b in meta.post_token_balances}
        assert pre == {alice.pubkey(): "5000000", bob.pubkey(): "0"}
        assert post == {alice.pubkey(): "3750000", bob.pubkey(): "1250000"}
        assert meta.post_token_balances[0].mint == mint.pubkey()

        balance = (await client.get_token_account_balance(ata_b)).value
        assert (balance.amount, balance.decimals, balance.ui_amount_string) == ("1250000", 6, "1.25")
        supply = (await client.get_token_supply(mint.pubkey())).value
        assert supply.amount == "5000000"
        largest = (await client.get_token_largest_accounts(mint.pubkey())).value
        assert [(x.address, x.amount.amount) for x in largest] == [(ata_a, "3750000"), (ata_b, "1250000")]
        by_mint = (await client.get_token_accounts_by_owner(bob.pubkey(), TokenAccountOpts(mint=mint.pubkey()))).value
        assert [x.pubkey for x in by_mint] == [ata_b]
        by_program = (await client.get_token_accounts_by_owner_json_parsed(
            alice.pubkey(), TokenAccountOpts(program_id=TOKEN_PROGRAM_ID))).value
        parsed = by_program[0].account.data.parsed
        assert by_program[0].account.data.program == "spl-token" and by_program[0].account.data.space == 165
        assert parsed["type"] == "account" and parsed["info"]["tokenAmount"]["amount"] == "3750000"
        assert parsed["info"]["owner"] == str(alice.pubkey()) and parsed["info"]["state"] == "initialized"


async def test_account_encodings_and_program_accounts_filters(localnet):
    async with AsyncClient(localnet.rpc_url, commitment="confirmed") as client:
        payer, alice = await funded(client), await funded(client)
        mint, (ata_a,) = await _minted(client, payer, [alice], [42])
        b64 = (await client.get_account_info(ata_a)).value
        assert b64.owner == TOKEN_PROGRAM_ID and len(b64.data) == 165 and b64.lamports == ATA_RENT
        b58 = await call(localnet.rpc_url, "getAccountInfo", [str(mint.pubkey()), {"encoding": "base58", "commitment": "confirmed"}])
        assert base58.b58decode(b58["result"]["value"]["data"][0]) == bytes(b64.data)[:0] + bytes(
            (await client.get_account_info(mint.pubkey())).value.data)
        many = (await client.get_multiple_accounts_json_parsed([mint.pubkey(), ata_a, Keypair().pubkey()])).value
        assert many[0].data.parsed["info"]["supply"] == "42" and many[2] is None
        wanted = [MemcmpOpts(offset=0, bytes=str(mint.pubkey())), 165]
        found = (await client.get_program_accounts(TOKEN_PROGRAM_ID, filters=wanted)).value
        assert [x.pubkey for x in found] == [ata_a]
        nothing = (await client.get_program_accounts(TOKEN_PROGRAM_ID, filters=[MemcmpOpts(offset=0, bytes=str(mint.pubkey())), 82])).value
        assert nothing == []


async def test_wsol_wrap_and_unwrap_returns_rent(localnet):
    async with AsyncClient(localnet.rpc_url, commitment="confirmed") as client:
        alice = await funded(client, 3 * SOL)
        wsol = token_ix.get_associated_token_address(alice.pubkey(), WRAPPED_SOL_MINT)
        await send(client, [token_ix.create_idempotent_associated_token_account(alice.pubkey(), alice.pubkey(), WRAPPED_SOL_MINT),
                            sol_transfer(alice, wsol, SOL),
                            token_ix.sync_native(token_models.SyncNativeParams(program_id=TOKEN_PROGRAM_ID, account=wsol))],
                   [alice], legacy=True)
        assert (await client.get_token_account_balance(wsol)).value.amount == str(SOL)
        assert (await client.get_balance(alice.pubkey())).value == 3 * SOL - SOL - ATA_RENT - 5000
        parsed = (await client.get_account_info_json_parsed(wsol)).value.data.parsed["info"]
        assert parsed["isNative"] is True and parsed["rentExemptReserve"]["amount"] == str(ATA_RENT)
        await send(client, [token_ix.close_account(token_models.CloseAccountParams(
            program_id=TOKEN_PROGRAM_ID, account=wsol, dest=alice.pubkey(), owner=alice.pubkey()))], [alice])
        assert (await client.get_account_info(wsol)).value is None
        assert (await client.get_balance(alice.pubkey())).value == 3 * SOL - 2 * 5000


async def test_close_empty_token_account_returns_rent(localnet):
    async with AsyncClient(localnet.rpc_url, commitment="confirmed") as client:
        payer, alice = await funded(client), await funded(client)
        mint, (ata_a,) = await _minted(client, payer, [alice], [0])
        before = (await client.get_balance(alice.pubkey())).value
        await send(client, [token_ix.close_account(token_models.CloseAccountParams(
            program_id=TOKEN_PROGRAM_ID, account=ata_a, dest=alice.pubkey(), owner=alice.pubkey()))], [alice])
        assert (await client.get_balance(alice.pubkey())).value == before + ATA_RENT - 5000
        assert (await client.get_token_accounts_by_owner(alice.pubkey(), TokenAccountOpts(mint=mint.pubkey()))).value == []
