"""Yellowstone server: filters, account and slot updates, commitment, ping/pong, auth, unary calls.
Real gRPC client and server on loopback, fed by a real Chain executing signed transactions."""
from __future__ import annotations

import json
import struct
import time

import grpc
import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature

from adapters.yellowstone.generated import geyser_pb2 as geyser
from adapters.yellowstone.transactions import streamed_transaction
from adapters.yellowstone.tx_error import decode_transaction_error
from tests.localnet.test_geyser_helpers import SOL, TOKEN, GeyserEnv, Subscription, funded, transfer_tx

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
async def env():
    environment = await GeyserEnv.start(ping_interval_s=0.2)
    yield environment
    await environment.stop()


def tx_request(commitment=geyser.PROCESSED, **filters) -> geyser.SubscribeRequest:
    return geyser.SubscribeRequest(commitment=commitment, transactions={
        name: geyser.SubscribeRequestFilterTransactions(**spec) for name, spec in filters.items()})


async def test_transaction_update_carries_full_transaction_and_meta(env):
    alice = funded(env.chain)
    bob = Keypair().pubkey()
    sub = await env.subscribe(tx_request(mine={"account_include": [str(alice.pubkey())]}))
    rec = env.chain.execute(transfer_tx(env.chain, alice, bob, SOL))
    update = await sub.next_update()
    assert list(update.filters) == ["mine"]
    assert abs(update.created_at.ToNanoseconds() - time.time_ns()) < 5 * 10**9
    info = update.transaction.transaction
    assert update.transaction.slot == rec.slot and info.index == rec.index
    assert Signature.from_bytes(info.signature) == rec.signature and not info.is_vote
    message = info.transaction.message
    assert [Pubkey.from_bytes(k) for k in message.account_keys] == list(rec.transaction.message.account_keys)
    assert message.header.num_required_signatures == 1 and message.versioned
    assert bytes(message.recent_blockhash) == bytes(rec.transaction.message.recent_blockhash)
    assert message.instructions[0].program_id_index == 2 and message.instructions[0].data[:4] == b"\x02\0\0\0"
    assert info.meta.fee == 5000 and list(info.meta.pre_balances) == rec.pre_balances
    assert list(info.meta.post_balances) == rec.post_balances and info.meta.post_balances[1] == SOL
    assert list(info.meta.log_messages) == rec.log_messages and info.meta.compute_units_consumed == rec.compute_units
    assert not info.meta.HasField("err") and info.meta.return_data_none
    sub.close()


async def test_failed_transaction_err_is_bincode(env):
    poor = funded(env.chain, SOL)
    sub = await env.subscribe(tx_request(failed_only={"failed": True}))
    env.chain.execute(transfer_tx(env.chain, poor, Keypair().pubkey(), 5 * SOL))  # fails, pays the fee
    update = await sub.next_update()
    raw = bytes(update.transaction.transaction.meta.err.err)
    assert raw == bytes.fromhex("08000000" "00" "19000000" "01000000")  # InstructionError(0, Custom(1))
    assert decode_transaction_error(raw) == {"InstructionError": [0, {"Custom": 1}]}
    sub.close()


async def test_include_exclude_required_failed_vote_filters(env):
    alice, carol = funded(env.chain), funded(env.chain)
    bob = Keypair().pubkey()
    a, b, c = str(alice.pubkey()), str(bob), str(carol.pubkey())
    sub = await env.subscribe(tx_request(
        inc={"account_include": [a, c]},
        exc={"account_include": [a, c], "account_exclude": [b]},
        req={"account_required": [a, b]},
        ok={"account_include": [a, c], "failed": False},
        bad={"account_include": [a, c], "failed": True},
        votes={"vote": True}))
    env.chain.execute(transfer_tx(env.chain, alice, bob, SOL))             # alice -> bob, succeeds
    assert set((await sub.next_update()).filters) == {"inc", "req", "ok"}
    env.chain.execute(transfer_tx(env.chain, carol, Keypair().pubkey(), SOL))
    assert set((await sub.next_update()).filters) == {"inc", "exc", "ok"}
    env.chain.execute(transfer_tx(env.chain, carol, Keypair().pubkey(), 100 * SOL))  # fails
    assert set((await sub.next_update()).filters) == {"inc", "exc", "bad"}
    env.chain.execute(transfer_tx(env.chain, funded(env.chain), Keypair().pubkey(), SOL))  # no key of ours
    await sub.expect_nothing()
    sub.close()


async def test_signature_filter_and_request_replacement(env):
    alice = funded(env.chain)
    first = transfer_tx(env.chain, alice, Keypair().pubkey(), SOL)
    sub = await env.subscribe(tx_request(sig={"signature": str(first.signatures[0])}))
    env.chain.execute(transfer_tx(env.chain, alice, Keypair().pubkey(), 2 * SOL))
    env.chain.execute(first)
    update = await sub.next_update()
    assert Signature.from_bytes(update.transaction.transaction.signature) == first.signatures[0]
    await sub.expect_nothing()
    sub.send(tx_request(everything={}))  # any non-ping request replaces the filter
    await sub.wait_ready()
    env.chain.airdrop(Keypair().pubkey(), SOL)
    assert list((await sub.next_update()).filters) == ["everything"]
    sub.close()


async def test_account_updates_by_account_and_owner(env):
    alice = funded(env.chain)
    bob = Keypair().pubkey()
    request = geyser.SubscribeRequest(accounts={
        "bob": geyser.SubscribeRequestFilterAccounts(account=[str(bob)]),
        "bob_small": geyser.SubscribeRequestFilterAccounts(
            account=[str(bob)], filters=[geyser.SubscribeRequestFilterAccountsFilter(
                lamports=geyser.SubscribeRequestFilterAccountsFilterLamports(lt=2 * SOL))])})
    sub = await env.subscribe(request)
    rec = env.chain.execute(transfer_tx(env.chain, alice, bob, SOL))
    update = await sub.next_update()
    assert set(update.filters) == {"bob", "bob_small"}
    account = update.account.account
    assert Pubkey.from_bytes(account.pubkey) == bob and account.lamports == SOL
    assert account.owner == bytes(Pubkey.default()) and account.txn_signature == bytes(rec.signature)
    assert update.account.slot == rec.slot
    env.chain.execute(transfer_tx(env.chain, alice, bob, 2 * SOL))
    update = await sub.next_update()
    assert list(update.filters) == ["bob"] and update.account.account.lamports == 3 * SOL
    sub.send(geyser.SubscribeRequest(accounts={"system": geyser.SubscribeRequestFilterAccounts(
        owner=["11111111111111111111111111111111"])}))
    await sub.wait_ready()
    env.chain.execute(transfer_tx(env.chain, alice, bob, SOL + 1))
    owners = {Pubkey.from_bytes((await sub.next_update()).account.account.pubkey) for _ in range(2)}
    assert owners == {alice.pubkey(), bob}  # both writable accounts, both system-owned
    sub.close()


async def test_slot_updates_with_statuses(env):
    request = geyser.SubscribeRequest(slots={"s": geyser.SubscribeRequestFilterSlots(filter_by_commitment=False)})
    sub = await env.subscribe(request)
    start = env.chain.slot
    env.chain.advance_slot()
    seen = [(u.slot.slot, u.slot.status) for u in [await sub.next_update(), await sub.next_update()]]
    assert seen == [(start + 1, geyser.SLOT_PROCESSED), (start, geyser.SLOT_CONFIRMED)]
    sub.send(geyser.SubscribeRequest(commitment=geyser.CONFIRMED, slots={
        "c": geyser.SubscribeRequestFilterSlots(filter_by_commitment=True)}))
    await sub.wait_ready()
    env.chain.advance_slot()
    update = await sub.next_update()
    assert (update.slot.slot, update.slot.status, list(update.filters)) == (start + 1, geyser.SLOT_CONFIRMED, ["c"])
    sub.close()


async def test_confirmed_commitment_holds_until_slot_confirmed(env):
    alice = funded(env.chain)
    sub = await env.subscribe(tx_request(geyser.CONFIRMED, mine={"account_include": [str(alice.pubkey())]}))
    rec = env.chain.execute(transfer_tx(env.chain, alice, Keypair().pubkey(), SOL))
    await sub.expect_nothing()
    env.chain.advance_slot()  # confirmed_lag=1: the transaction's slot is now confirmed
    update = await sub.next_update()
    assert update.transaction.slot == rec.slot
    sub.close()


async def test_a_new_request_keeps_what_waits_for_its_commitment(env):
    """yellowstone-grpc filters a slot's messages when the slot is confirmed, with the filter of
    that moment: a filter change in between drops nothing the new filter matches."""
    alice = funded(env.chain)
    sub = await env.subscribe(tx_request(geyser.CONFIRMED, mine={"account_include": [str(alice.pubkey())]}))
    rec = env.chain.execute(transfer_tx(env.chain, alice, Keypair().pubkey(), SOL))   # held
    sub.send(tx_request(geyser.CONFIRMED, alice={"account_include": [str(alice.pubkey())]},
                        other={"account_include": [str(Keypair().pubkey())]}))
    await sub.wait_ready()
    await sub.expect_nothing()
    env.chain.advance_slot()
    update = await sub.next_update()
    assert update.transaction.slot == rec.slot and list(update.filters) == ["alice"]
    sub.close()


async def test_finalized_commitment_holds_for_finalized_lag(env):
    alice = funded(env.chain)
    sub = await env.subscribe(tx_request(geyser.FINALIZED, mine={"account_include": [str(alice.pubkey())]}))
    rec = env.chain.execute(transfer_tx(env.chain, alice, Keypair().pubkey(), SOL))
    for _ in range(env.chain.finalized_lag - 1):
        env.chain.advance_slot()
    await sub.expect_nothing()
    env.chain.advance_slot()
    assert (await sub.next_update()).transaction.slot == rec.slot
    sub.close()


async def test_ping_gets_pong_and_keeps_filter_and_server_pings(env):
    alice = funded(env.chain)
    sub = await env.subscribe(tx_request(mine={"account_include": [str(alice.pubkey())]}))
    sub.send(geyser.SubscribeRequest(ping=geyser.SubscribeRequestPing(id=42)))
    assert (await sub.next_update()).pong.id == 42
    env.chain.execute(transfer_tx(env.chain, alice, Keypair().pubkey(), SOL))
    assert list((await sub.next_update()).filters) == ["mine"]
    assert (await sub.next_update(skip_pings=False, timeout=1.0)).HasField("ping")  # every 0.2 s here
    sub.close()


@pytest.mark.parametrize("token", [None, "wrong"])
async def test_wrong_or_missing_token_is_unauthenticated(env, token):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await env.subscribe(tx_request(all={}), token=token)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await env.stub.GetSlot(geyser.GetSlotRequest(), metadata=(("x-token", token or ""),))
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_invalid_filter_is_refused_and_server_keeps_serving(env):
    bad = Subscription(env.stub, tx_request(x={"account_include": ["not-a-pubkey"]}))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await bad.next_update()
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "not-a-pubkey" in refused.value.details()
    good = await env.subscribe(tx_request(all={}))
    env.chain.airdrop(Keypair().pubkey(), SOL)
    assert list((await good.next_update()).filters) == ["all"]
    good.close()


async def test_unary_methods(env):
    md = (("x-token", TOKEN),)
    assert (await env.stub.Ping(geyser.PingRequest(count=7), metadata=md)).count == 7
    env.chain.advance_slot()
    assert (await env.stub.GetSlot(geyser.GetSlotRequest(), metadata=md)).slot == env.chain.slot
    confirmed = await env.stub.GetSlot(geyser.GetSlotRequest(commitment=geyser.CONFIRMED), metadata=md)
    assert confirmed.slot == env.chain.confirmed_slot
    height = await env.stub.GetBlockHeight(geyser.GetBlockHeightRequest(), metadata=md)
    assert height.block_height == env.chain.block_height()
    latest = await env.stub.GetLatestBlockhash(geyser.GetLatestBlockhashRequest(), metadata=md)
    blockhash, last_valid = env.chain.latest_blockhash()
    assert (latest.blockhash, latest.last_valid_block_height) == (str(blockhash), last_valid)
    valid = await env.stub.IsBlockhashValid(geyser.IsBlockhashValidRequest(blockhash=latest.blockhash), metadata=md)
    assert valid.valid
    unknown = await env.stub.IsBlockhashValid(geyser.IsBlockhashValidRequest(blockhash=str(Keypair().pubkey())), metadata=md)
    assert not unknown.valid
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await env.stub.IsBlockhashValid(geyser.IsBlockhashValidRequest(blockhash="!!"), metadata=md)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    version = json.loads((await env.stub.GetVersion(geyser.GetVersionRequest(), metadata=md)).version)
    assert version["version"]["package"]


def _install_lookup_table(chain, addresses: list[Pubkey]) -> Pubkey:
    """An active address lookup table, written straight into the ledger (meta: 56 bytes)."""
    from solders.account import Account
    from solders.address_lookup_table_account import ID as ALT_PROGRAM, AddressLookupTable
    meta = (struct.pack("<IQQB", 1, 2**64 - 1, 0, 0) + b"\x01" + bytes(Pubkey.default()) + b"\0\0")
    data = meta + b"".join(bytes(a) for a in addresses)
    assert list(AddressLookupTable.deserialize(data).addresses) == addresses
    table = Keypair().pubkey()
    chain.svm.set_account(table, Account(lamports=10 * SOL, data=data, owner=ALT_PROGRAM, executable=False))
    return table


async def test_v0_lookup_table_addresses_are_sent_and_filterable(env):
    from solders.address_lookup_table_account import AddressLookupTableAccount
    from solders.message import MessageV0
    from solders.system_program import TransferParams, transfer
    from solders.transaction import VersionedTransaction
    alice = funded(env.chain)
    bob = Keypair().pubkey()
    table = _install_lookup_table(env.chain, [bob])
    sub = await env.subscribe(tx_request(to_bob={"account_include": [str(bob)]}))
    blockhash, _ = env.chain.latest_blockhash()
    ix = transfer(TransferParams(from_pubkey=alice.pubkey(), to_pubkey=bob, lamports=SOL))
    message = MessageV0.try_compile(alice.pubkey(), [ix], [AddressLookupTableAccount(table, [bob])], blockhash)
    rec = env.chain.execute(VersionedTransaction(message, [alice]))
    assert rec.err is None and rec.loaded_writable == [bob]
    update = await sub.next_update()
    info = update.transaction.transaction
    assert streamed_transaction(update.transaction).account_keys == tuple(rec.account_keys)  # loaded ones last
    lookup = info.transaction.message.address_table_lookups[0]
    assert Pubkey.from_bytes(lookup.account_key) == table and bytes(lookup.writable_indexes) == b"\0"
    assert [Pubkey.from_bytes(k) for k in info.meta.loaded_writable_addresses] == [bob]
    assert bob not in [Pubkey.from_bytes(k) for k in info.transaction.message.account_keys]
    sub.close()


async def test_a_bot_is_not_forked_from_a_process_whose_grpc_threads_run(env):
    from tests.bot.harness import Bot, refuse_fork_after_grpc
    sub = await env.subscribe(tx_request(all={}))   # a real call: gRPC's threads now run here
    with pytest.raises(RuntimeError, match="gRPC threads"):
        refuse_fork_after_grpc()
    with pytest.raises(RuntimeError, match="a bot forked now would not start"):
        Bot()
    sub.close()
