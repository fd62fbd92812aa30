"""A SubscribeUpdateTransaction turned into what the pump.fun event decoder needs.

Account keys are the static keys followed by the v0 lookup-table addresses (writable, then
readonly), the order inner instructions index into. Money stays in integers (lamports, raw units).
"""
from __future__ import annotations

from dataclasses import dataclass

from solders.pubkey import Pubkey
from solders.signature import Signature

from adapters.pumpfun.addresses import PUMP_PROGRAM
from adapters.pumpfun.events import DecodedEvents, events_from_inner_instructions, events_from_logs
from adapters.yellowstone.generated import geyser_pb2 as geyser
from adapters.yellowstone.tx_error import TransactionErrorFormatError, decode_transaction_error


class MalformedUpdate(ValueError):
    """A transaction update missing parts every real server sends, or with undecodable bytes."""


@dataclass(frozen=True)
class InnerInstruction:
    top_index: int            # the top-level instruction that made this call
    program_id: Pubkey
    accounts: tuple[int, ...]  # indexes into StreamedTransaction.account_keys
    data: bytes
    stack_height: int | None


@dataclass(frozen=True)
class StreamedTransaction:
    signature: Signature
    slot: int
    index: int
    err: object | None               # RPC JSON form, None = success
    fee: int
    account_keys: tuple[Pubkey, ...]
    log_messages: tuple[str, ...]
    inner_instructions: tuple[InnerInstruction, ...]
    pre_balances: tuple[int, ...]
    post_balances: tuple[int, ...]
    compute_units: int | None
    logs_truncated: bool

    @property
    def failed(self) -> bool:
        return self.err is not None

    def inner_data_of(self, program: Pubkey) -> list[bytes]:
        return [ix.data for ix in self.inner_instructions if ix.program_id == program]


def _pubkey(raw: bytes, what: str) -> Pubkey:
    if len(raw) != 32:
        raise MalformedUpdate(f"{what}: {len(raw)} bytes, expected 32")
    return Pubkey.from_bytes(raw)


def streamed_transaction(update: geyser.SubscribeUpdateTransaction) -> StreamedTransaction:
    """Convert one transaction update; raises MalformedUpdate when it cannot be read."""
    info = update.transaction
    if not update.HasField("transaction") or not info.HasField("transaction") or not info.HasField("meta"):
        raise MalformedUpdate("transaction update without transaction or meta")
    message, meta = info.transaction.message, info.meta
    keys = tuple(_pubkey(k, "account key") for k in message.account_keys) \
        + tuple(_pubkey(k, "loaded address") for k in meta.loaded_writable_addresses) \
        + tuple(_pubkey(k, "loaded address") for k in meta.loaded_readonly_addresses)
    if len(info.signature) != 64:
        raise MalformedUpdate(f"signature of {len(info.signature)} bytes")
    inner = []
    for group in meta.inner_instructions:
        for ix in group.instructions:
            if ix.program_id_index >= len(keys):
                raise MalformedUpdate(f"inner instruction program index {ix.program_id_index} out of {len(keys)} keys")
            inner.append(InnerInstruction(top_index=group.index, program_id=keys[ix.program_id_index],
                                          accounts=tuple(ix.accounts), data=bytes(ix.data),
                                          stack_height=ix.stack_height if ix.HasField("stack_height") else None))
    try:
        err = decode_transaction_error(meta.err.err) if meta.HasField("err") and meta.err.err else None
    except TransactionErrorFormatError as bad:
        raise MalformedUpdate(str(bad)) from None
    logs = tuple(meta.log_messages)
    return StreamedTransaction(
        signature=Signature.from_bytes(info.signature), slot=update.slot, index=info.index, err=err, fee=meta.fee,
        account_keys=keys, log_messages=logs, inner_instructions=tuple(inner),
        pre_balances=tuple(meta.pre_balances), post_balances=tuple(meta.post_balances),
        compute_units=meta.compute_units_consumed if meta.HasField("compute_units_consumed") else None,
        logs_truncated=meta.log_messages_none or any("Log truncated" in line for line in logs))


def pump_events(tx: StreamedTransaction) -> DecodedEvents:
    """pump.fun events of a streamed transaction: from the logs, or from the self-CPI event
    instructions when the logs are missing or truncated (pump.fun writes every event both ways)."""
    if tx.log_messages and not tx.logs_truncated:
        return events_from_logs(tx.log_messages)
    return events_from_inner_instructions(tx.inner_data_of(PUMP_PROGRAM))
