"""sendTransaction / simulateTransaction / statuses / getTransaction through solana-py's AsyncClient."""
from __future__ import annotations

import base64

import base58
import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.core import RPCException
from solana.rpc.models import TxOpts
from solders.keypair import Keypair
from solders.rpc.errors import SendTransactionPreflightFailureMessage
from solders.transaction_status import TransactionErrorInstructionError

from tests.localnet.helpers import SOL, build_tx, call, funded, send, sol_transfer

NO_PREFLIGHT = TxOpts(skip_preflight=True, skip_confirmation=True)


async def test_airdrop_is_a_recorded_transaction(localnet):
    async with AsyncClient(localnet.rpc_url, commitment="confirmed") as client:
        wallet = Keypair()
        sig = (await client.request_airdrop(wallet.pubkey(), 3 * SOL)).value
        assert (await client.get_balance(wallet.pubkey(), "processed")).value == 3 * SOL
        status = (await client.get_signature_statuses([sig])).value[0]
        assert status.err is None and status.slot == localnet.chain.get_record(sig).slot
        second = (await client.request_airdrop(wallet.pubkey(), 3 * SOL)).value
        assert second != sig


async def test_transfer_lands_with_balances_and_meta(localnet):
    async with AsyncClient(localnet.rpc_url, commitment="confirmed") as client:
        alice, bob = await funded(client), Keypair()
        sig = await send(client, [sol_transfer(alice, bob.pubkey(), SOL)], [alice])
        assert (await client.get_balance(bob.pubkey())).value == SOL
        tx = (await client.get_transaction(sig, max_supported_transaction_version=0)).value
        meta = tx.transaction.meta
        assert meta.err is None and meta.fee == 5000
        assert meta.pre_balances[0] - meta.post_balances[0] == SOL + 5000
        assert meta.post_balances[1] == SOL and tx.transaction.version == 0
        assert meta.compute_units_consumed == 150 and meta.log_messages[0].startswith("Program 1111")
        as_b64 = (await client.get_transaction(sig, "base64", max_supported_transaction_version=0)).value
        assert as_b64.transaction.transaction.signatures[0] == sig
        with pytest.raises(RPCException, match="maxSupportedTransactionVersion"):
            await client.get_transaction(sig)


async def test_legacy_transaction_and_base58_wire_encoding(localnet):
    async with AsyncClient(localnet.rpc_url, commitment="confirmed") as client:
        alice = await funded(client)
        tx = await build_tx(client, [sol_transfer(alice, Keypair().pubkey(), 10**7)], [alice], legacy=True)
        answer = await call(localnet.rpc_url, "sendTransaction", [base58.b58encode(bytes(tx)).decode()])
        sig = answer["result"]
        assert sig == str(tx.signatures[0])
        await client.confirm_transaction(tx.signatures[0], "confirmed", sleep_seconds=0.05)
        got = (await client.get_transaction(tx.signatures[0])).value
        assert got.transaction.version is None  # legacy without maxSupportedTransactionVersion: no version field


async def test_preflight_failure_has_the_real_error_shape(localnet):
    async with AsyncClient(localnet.rpc_url, commitment="confirmed") as client:
        alice = await funded(client, SOL)
        tx = await build_tx(client, [sol_transfer(alice, Keypair().pubkey(), 5 * SOL)], [alice])
        with pytest.raises(RPCException) as caught:
            await client.send_transaction(tx)
        failure = caught.value.args[0]
        assert isinstance(failure, SendTransactionPreflightFailureMessage)
        assert isinstance(failure.data.err, TransactionErrorInstructionError)
        assert failure.data.units_consumed == 150 and any("insufficient lamports" in l for l in failure.data.logs)
        raw = await call(localnet.rpc_url, "sendTransaction", [base64.b64encode(bytes(tx)).decode(), {"encoding": "base64"}])
        assert raw["error"]["code"] == -32002
        assert raw["error"]["data"]["err"] == {"InstructionError": [0, {"Custom": 1}]}
        assert localnet.chain.get_record(tx.signatures[0]) is None


async def test_failed_transaction_is_charged_its_fee_and_recorded(localnet):
    async with AsyncClient(localnet.rpc_url, commitment="confirmed") as client:
        alice = await funded(client, SOL)
        tx = await build_tx(client, [sol_transfer(alice, Keypair().pubkey(), 5 * SOL)], [alice])
        sig = (await client.send_transaction(tx, opts=NO_PREFLIGHT)).value
        await client.confirm_transaction(sig, "confirmed", sleep_seconds=0.05)  # confirms; does not check err
        status = (await client.get_signature_statuses([sig])).value[0]
        assert status.err is not None
        assert (await client.get_balance(alice.pubkey(), "processed")).value == SOL - 5000
        meta = (await client.get_transaction(sig, max_supported_transaction_version=0)).value.transaction.meta
        assert isinstance(meta.err, TransactionErrorInstructionError) and meta.fee == 5000


async def test_duplicate_and_expired_blockhash_refused_or_dropped_with_skip_preflight(make_localnet):
    node = await make_localnet(slot_ms=0)  # time moves only when the test says so
    async with AsyncClient(node.rpc_url, commitment="processed") as client:
        alice = Keypair()
        node.chain.airdrop(alice.pubkey(), SOL)
        tx = await build_tx(client, [sol_transfer(alice, Keypair().pubkey(), 10**7)], [alice])
        await client.send_transaction(tx, opts=NO_PREFLIGHT)
        with pytest.raises(RPCException, match="already been processed"):
            await client.send_transaction(tx, opts=TxOpts(skip_confirmation=True))
        # with skipPreflight a real RPC answers the signature and the leader drops the duplicate
        assert (await client.send_transaction(tx, opts=NO_PREFLIGHT)).value == tx.signatures[0]
        assert len(node.chain.records_in_slot(node.chain.slot)) == 2, "the airdrop and the transfer, once"
        stale = await build_tx(client, [sol_transfer(alice, Keypair().pubkey(), 2 * 10**7)], [alice])
        for _ in range(150):
            node.chain.advance_slot()
        assert not node.chain.is_blockhash_valid(stale.message.recent_blockhash)
        with pytest.raises(RPCException, match="Blockhash not found"):
            await client.send_transaction(stale, opts=TxOpts(skip_confirmation=True))
        raw = await call(node.rpc_url, "sendTransaction", [base64.b64encode(bytes(stale)).decode(),
                                                           {"encoding": "base64", "skipPreflight": True}])
        assert raw["result"] == str(stale.signatures[0])
        assert node.chain.get_record(stale.signatures[0]) is None, "dropped, never executed"
        status = (await client.get_signature_statuses([stale.signatures[0]])).value[0]
        assert status is None


async def test_bad_signature_is_refused(localnet):
    async with AsyncClient(localnet.rpc_url) as client:
        alice = Keypair()
        localnet.chain.airdrop(alice.pubkey(), SOL)
        tx = await build_tx(client, [sol_transfer(alice, Keypair().pubkey(), 10**7)], [alice])
        raw = bytearray(bytes(tx))
        raw[10] ^= 0xFF  # inside the signature
        for skip in (False, True):
            answer = await call(localnet.rpc_url, "sendTransaction", [base64.b64encode(bytes(raw)).decode(),
                                                                      {"encoding": "base64", "skipPreflight": skip}])
            assert answer["error"]["code"] == -32003


async def test_simulate_does_not_change_state(localnet):
    async with AsyncClient(localnet.rpc_url, commitment="confirmed") as client:
        alice, bob = await funded(client), Keypair()
        tx = await build_tx(client, [sol_transfer(alice, bob.pubkey(), SOL)], [alice])
        sim = (await client.simulate_transaction(tx, sig_verify=True)).value
        assert sim.err is None and sim.units_consumed == 150
        assert (await client.get_balance(bob.pubkey(), "processed")).value == 0
        answer = await call(localnet.rpc_url, "simulateTransaction", [
            base64.b64encode(bytes(tx)).decode(), {"encoding": "base64", "replaceRecentBlockhash": True,
                                                   "accounts": {"addresses": [str(bob.pubkey())], "encoding": "base64"}}])
        value = answer["result"]["value"]
        assert value["accounts"][0]["lamports"] == SOL and value["replacementBlockhash"]["blockhash"]


async def test_signature_status_follows_commitment_lag(make_localnet):
    node = await make_localnet(slot_ms=0, confirmed_lag=1, finalized_lag=3)
    async with AsyncClient(node.rpc_url) as client:
        sig = node.chain.airdrop(Keypair().pubkey(), SOL).signature
        seen = []
        for _ in range(4):
            status = (await client.get_signature_statuses([sig], search_transaction_history=True)).value[0]
            seen.append((str(status.confirmation_status), status.confirmations))
            node.chain.advance_slot()
        assert seen == [("TransactionConfirmationStatus.Processed", 0), ("TransactionConfirmationStatus.Confirmed", 1),
                        ("TransactionConfirmationStatus.Confirmed", 2), ("TransactionConfirmationStatus.Finalized", None)]
        # getTransaction defaults to finalized, and refuses processed as the real node does
        assert (await client.get_transaction(sig, max_supported_transaction_version=0)).value is not None
        refused = await call(node.rpc_url, "getTransaction", [str(sig), {"commitment": "processed"}])
        assert refused["error"]["code"] == -32602


async def test_signatures_for_address_epoch_info_and_genesis_hash(make_localnet):
    node = await make_localnet(slot_ms=0, confirmed_lag=1, finalized_lag=2)
    async with AsyncClient(node.rpc_url, commitment="confirmed") as client:
        wallet = Keypair()
        first = node.chain.airdrop(wallet.pubkey(), SOL).signature
        second = node.chain.airdrop(wallet.pubkey(), SOL).signature
        node.chain.airdrop(Keypair().pubkey(), SOL)
        node.chain.advance_slot()
        found = (await client.get_signatures_for_address(wallet.pubkey())).value
        assert [s.signature for s in found] == [second, first]
        older = (await client.get_signatures_for_address(wallet.pubkey(), before=second, limit=5)).value
        assert [s.signature for s in older] == [first]
        assert (await client.get_signatures_for_address(wallet.pubkey(), commitment="finalized")).value == []
        info = (await client.get_epoch_info()).value
        assert info.absolute_slot == node.chain.confirmed_slot and info.slots_in_epoch > 0
        assert str((await client.get_genesis_hash()).value) == str(node.chain.genesis_hash)
