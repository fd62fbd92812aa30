"""getTransaction in `jsonParsed` encoding, decoded by solana-py/solders' own response types.

Expected shapes are from Solana's RPC docs and Agave's transaction-status parsers: account keys as
{pubkey, signer, source, writable}; System / SPL Token / ATA / Memo instructions parsed into
{program, programId, parsed: {type, info}}; other programs partially decoded {programId, accounts, data}."""
from __future__ import annotations

import pytest
import spl.token.instructions as token_ix
import spl.token.models as token_models
from solana.rpc.async_api import AsyncClient
from solders.compute_budget import set_compute_unit_price
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import CreateAccountParams, create_account
from solders.transaction_status import ParsedInstruction, UiPartiallyDecodedInstruction
from spl.token.constants import MINT_LEN, TOKEN_PROGRAM_ID

from tests.localnet.helpers import SOL, call, funded, send

pytestmark = pytest.mark.timeout(30)
MEMO = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
COMPUTE_BUDGET = "ComputeBudget111111111111111111111111111111"


async def test_json_parsed_transaction_through_solana_py(localnet):
    async with AsyncClient(localnet.rpc_url, commitment="confirmed") as client:
        payer, holder, mint = await funded(client, 10 * SOL), Keypair(), Keypair()
        ata = token_ix.get_associated_token_address(holder.pubkey(), mint.pubkey())
        rent = (await client.get_minimum_balance_for_rent_exemption(MINT_LEN)).value
        signature = str(await send(client, [
            set_compute_unit_price(7),
            create_account(CreateAccountParams(from_pubkey=payer.pubkey(), to_pubkey=mint.pubkey(), lamports=rent,
                                               space=MINT_LEN, owner=TOKEN_PROGRAM_ID)),
            token_ix.initialize_mint2(token_models.InitializeMint2Params(
                decimals=6, program_id=TOKEN_PROGRAM_ID, mint=mint.pubkey(), mint_authority=payer.pubkey())),
            token_ix.create_associated_token_account(payer.pubkey(), holder.pubkey(), mint.pubkey()),
            token_ix.mint_to(token_models.MintToParams(program_id=TOKEN_PROGRAM_ID, mint=mint.pubkey(), dest=ata,
                                                       mint_authority=payer.pubkey(), amount=2_500_000)),
            Instruction(MEMO, b"hello parsed", [])], [payer, mint]))
        found = (await client.get_transaction(Signature.from_string(signature), encoding="jsonParsed", max_supported_transaction_version=0)).value
        message = found.transaction.transaction.message
        keys = {k.pubkey: k for k in message.account_keys}
        assert message.account_keys[0].pubkey == payer.pubkey()
        assert (keys[payer.pubkey()].signer, keys[payer.pubkey()].writable) == (True, True)
        assert (keys[mint.pubkey()].signer, keys[mint.pubkey()].writable) == (True, True)
        assert (keys[ata].signer, keys[ata].writable) == (False, True)
        assert (keys[holder.pubkey()].signer, keys[holder.pubkey()].writable) == (False, False)
        assert (keys[TOKEN_PROGRAM_ID].signer, keys[TOKEN_PROGRAM_ID].writable) == (False, False)
        assert {str(k.source) for k in message.account_keys} == {"ParsedAccountSource.Transaction"}

        budget, create, init_mint, create_ata, mint_to, memo = message.instructions
        assert isinstance(budget, UiPartiallyDecodedInstruction) and str(budget.program_id) == COMPUTE_BUDGET
        assert budget.accounts == [] and budget.data == "3EdUJnbcGFLs"   # [3, 7u64 LE] in base58
        assert isinstance(create, ParsedInstruction) and create.program == "system"
        assert create.parsed == {"type": "createAccount", "info": {
            "source": str(payer.pubkey()), "newAccount": str(mint.pubkey()), "lamports": rent, "space": MINT_LEN,
            "owner": str(TOKEN_PROGRAM_ID)}}
        assert init_mint.program == "spl-token" and init_mint.parsed == {"type": "initializeMint2", "info": {
            "mint": str(mint.pubkey()), "decimals": 6, "mintAuthority": str(payer.pubkey())}}
        assert create_ata.program == "spl-associated-token-account" and create_ata.parsed == {"type": "create", "info": {
            "source": str(payer.pubkey()), "account": str(ata), "wallet": str(holder.pubkey()),
            "mint": str(mint.pubkey()), "systemProgram": "11111111111111111111111111111111",
            "tokenProgram": str(TOKEN_PROGRAM_ID)}}
        assert mint_to.parsed == {"type": "mintTo", "info": {
            "mint": str(mint.pubkey()), "account": str(ata), "mintAuthority": str(payer.pubkey()), "amount": "2500000"}}
        assert memo.program == "spl-memo" and memo.parsed == "hello parsed"
        inner = found.transaction.meta.inner_instructions   # the ATA program's CPIs, parsed too
        inner_types = [ix.parsed["type"] for group in inner for ix in group.instructions if isinstance(ix, ParsedInstruction)]
        assert "initializeAccount3" in inner_types and "createAccount" in inner_types

        raw = await call(localnet.rpc_url, "getTransaction", [signature, {
            "encoding": "jsonParsed", "commitment": "confirmed", "maxSupportedTransactionVersion": 0}])
        assert "loadedAddresses" not in raw["result"]["meta"]
        assert raw["result"]["transaction"]["message"]["accountKeys"][0] == {
            "pubkey": str(payer.pubkey()), "signer": True, "source": "transaction", "writable": True}
