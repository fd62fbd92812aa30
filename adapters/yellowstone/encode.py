"""Executed transactions encoded as Yellowstone protobuf, as a real Geyser plugin reports them.

Takes any record with the fields of localnet.chain.TxRecord (signature, transaction, slot, index,
err in RPC JSON form, fee, balances, token balances in RPC JSON shape, logs, inner instructions,
compute units, loaded addresses, return data), so this module needs nothing from localnet.
"""
from __future__ import annotations

from solders.message import MessageV0

from adapters.yellowstone.generated import geyser_pb2 as geyser
from adapters.yellowstone.generated import solana_storage_pb2 as storage
from adapters.yellowstone.tx_error import encode_transaction_error


def _message_proto(message) -> storage.Message:
    header = message.header
    lookups = getattr(message, "address_table_lookups", None) or []
    return storage.Message(
        header=storage.MessageHeader(num_required_signatures=header.num_required_signatures,
                                     num_readonly_signed_accounts=header.num_readonly_signed_accounts,
                                     num_readonly_unsigned_accounts=header.num_readonly_unsigned_accounts),
        account_keys=[bytes(key) for key in message.account_keys],
        recent_blockhash=bytes(message.recent_blockhash),
        instructions=[storage.CompiledInstruction(program_id_index=ix.program_id_index, accounts=bytes(ix.accounts),
                                                  data=bytes(ix.data)) for ix in message.instructions],
        versioned=isinstance(message, MessageV0),
        address_table_lookups=[storage.MessageAddressTableLookup(account_key=bytes(lookup.account_key),
                                                                 writable_indexes=bytes(lookup.writable_indexes),
                                                                 readonly_indexes=bytes(lookup.readonly_indexes))
                               for lookup in lookups])


def _token_balance_proto(entry: dict) -> storage.TokenBalance:
    amount = entry["uiTokenAmount"]
    return storage.TokenBalance(
        account_index=entry["accountIndex"], mint=entry["mint"], owner=entry.get("owner", ""),
        program_id=entry.get("programId", ""),
        ui_token_amount=storage.UiTokenAmount(ui_amount=amount.get("uiAmount") or 0.0, decimals=amount["decimals"],
                                              amount=amount["amount"], ui_amount_string=amount["uiAmountString"]))


def _meta_proto(rec) -> storage.TransactionStatusMeta:
    meta = storage.TransactionStatusMeta(
        fee=rec.fee, pre_balances=rec.pre_balances, post_balances=rec.post_balances,
        log_messages=rec.log_messages, compute_units_consumed=rec.compute_units,
        inner_instructions=[storage.InnerInstructions(index=group["index"], instructions=[
            storage.InnerInstruction(program_id_index=ix["programIdIndex"], accounts=bytes(ix["accounts"]),
                                     data=bytes(ix["data"]), stack_height=ix.get("stackHeight"))
            for ix in group["instructions"]]) for group in rec.inner_instructions],
        pre_token_balances=[_token_balance_proto(entry) for entry in rec.pre_token_balances],
        post_token_balances=[_token_balance_proto(entry) for entry in rec.post_token_balances],
        loaded_writable_addresses=[bytes(key) for key in rec.loaded_writable],
        loaded_readonly_addresses=[bytes(key) for key in rec.loaded_readonly],
        return_data_none=rec.return_data is None)
    if rec.err is not None:
        meta.err.err = encode_transaction_error(rec.err)
    if rec.return_data is not None:
        meta.return_data.program_id = bytes(rec.return_data[0])
        meta.return_data.data = rec.return_data[1]
    return meta


def transaction_update(rec) -> geyser.SubscribeUpdateTransaction:
    """The SubscribeUpdateTransaction a real Yellowstone server sends for this executed transaction."""
    tx = rec.transaction
    return geyser.SubscribeUpdateTransaction(slot=rec.slot, transaction=geyser.SubscribeUpdateTransactionInfo(
        signature=bytes(rec.signature), is_vote=rec.is_vote, index=rec.index, meta=_meta_proto(rec),
        transaction=storage.Transaction(signatures=[bytes(s) for s in tx.signatures], message=_message_proto(tx.message))))
