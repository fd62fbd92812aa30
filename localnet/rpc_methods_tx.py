"""Transaction methods: send, simulate, statuses, getTransaction, airdrops; and their JSON shapes."""
from __future__ import annotations

import base64

import base58
from loguru import logger
from solders.message import Message, MessageV0
from solders.transaction import VersionedTransaction

from localnet.bounded_decode import TRANSACTION_TYPE_NAME, DecodeRefused, decode_transaction_bytes
from localnet.chain import Chain, SimulationOutcome, TransactionRejected, TxRecord
from localnet.rpc_methods import (
    INVALID_PARAMS, SEND_TRANSACTION_PREFLIGHT_FAILURE, TRANSACTION_SIGNATURE_VERIFICATION_FAILURE,
    UNSUPPORTED_TRANSACTION_VERSION, Params, RpcError, invalid_params, parse_pubkey, with_context)
from localnet.rpc_methods_accounts import encode_for_config
from localnet.rpc_parsed import parsed_inner_instructions_json, parsed_transaction_json

MAX_SIGNATURE_STATUSES = 256
MAX_AIRDROP_LAMPORTS = 10**18
MAX_SIGNATURES_FOR_ADDRESS = 1000


def describe_transaction_error(err: object) -> str:
    """The human text the validator prints for a TransactionError (the common ones)."""
    if isinstance(err, dict) and "InstructionError" in err:
        index, inner = err["InstructionError"]
        if isinstance(inner, dict) and "Custom" in inner:
            return f"Error processing Instruction {index}: custom program error: {inner['Custom']:#x}"
        return f"Error processing Instruction {index}: {inner}"
    if isinstance(err, dict) and "InsufficientFundsForRent" in err:
        return (f"Transaction results in an account ({err['InsufficientFundsForRent'].get('account_index')}) "
                "with insufficient funds for rent")
    return {
        "BlockhashNotFound": "Blockhash not found",
        "AlreadyProcessed": "This transaction has already been processed",
        "AccountNotFound": "Attempt to debit an account but found no record of a prior credit.",
        "InsufficientFundsForFee": "Insufficient funds for fee",
    }.get(err, str(err)) if isinstance(err, str) else str(err)


def _decode_transaction(params: Params, config: dict) -> VersionedTransaction:
    text = params.string(0, "transaction")
    kind = config.get("encoding") or "base58"
    if kind not in ("base58", "base64"):
        raise RpcError(INVALID_PARAMS, f"unsupported encoding: {kind}. Supported encodings: base58, base64")
    try:
        raw = decode_transaction_bytes(text, kind)
    except DecodeRefused as refused:
        raise RpcError(INVALID_PARAMS, str(refused)) from None
    try:
        tx = VersionedTransaction.from_bytes(raw)
    except Exception as problem:
        raise RpcError(INVALID_PARAMS, f"failed to deserialize {TRANSACTION_TYPE_NAME}: {problem}") from None
    if not tx.signatures:
        raise invalid_params("transaction has no signatures")
    return tx


def _inner_instructions_json(groups: list[dict]) -> list[dict]:
    return [{"index": group["index"], "instructions": [
        {"accounts": ix["accounts"], "data": base58.b58encode(ix["data"]).decode(),
         "programIdIndex": ix["programIdIndex"], "stackHeight": ix["stackHeight"]} for ix in group["instructions"]]}
        for group in groups]


def _return_data_json(return_data) -> dict | None:
    if return_data is None:
        return None
    program_id, data = return_data
    return {"data": [base64.b64encode(data).decode(), "base64"], "programId": str(program_id)}


def _simulation_json(outcome: SimulationOutcome, accounts: list | None = None, inner: bool = False,
                     replacement: dict | None = None) -> dict:
    return {"accounts": accounts, "err": outcome.err,
            "innerInstructions": _inner_instructions_json(outcome.inner_instructions) if inner else None,
            "logs": outcome.logs, "replacementBlockhash": replacement,
            "returnData": _return_data_json(outcome.return_data), "unitsConsumed": outcome.units_consumed}


def rejection_error(rejected: TransactionRejected) -> RpcError:
    """The RPC error a refused transaction answers with (sendTransaction, and the faucets that mint by one)."""
    if rejected.err == "SignatureFailure":
        return RpcError(TRANSACTION_SIGNATURE_VERIFICATION_FAILURE, "Transaction signature verification failure")
    return RpcError(SEND_TRANSACTION_PREFLIGHT_FAILURE,
                    f"Transaction simulation failed: {describe_transaction_error(rejected.err)}",
                    _simulation_json(SimulationOutcome.refused(rejected.err)))


def send_transaction(chain: Chain, params: Params):
    config = params.config(1)
    tx = _decode_transaction(params, config)
    skip_preflight = bool(config.get("skipPreflight", False))
    try:
        if skip_preflight:
            return _send_unchecked(chain, tx)
        chain.check_admissible(tx)
        outcome = chain.simulate(tx, sig_verify=True, check_blockhash=False)
        if outcome.err == "SignatureFailure":
            raise TransactionRejected("SignatureFailure", "signature verification failed")
        if outcome.err is not None:
            raise RpcError(SEND_TRANSACTION_PREFLIGHT_FAILURE,
                           f"Transaction simulation failed: {describe_transaction_error(outcome.err)}",
                           _simulation_json(outcome))
        return str(chain.submit(tx))
    except TransactionRejected as rejected:
        raise rejection_error(rejected) from None


def _send_unchecked(chain: Chain, tx: VersionedTransaction) -> str:
    """skipPreflight: a real RPC forwards to the leader and answers the signature at once; a
    duplicate, an expired blockhash or an unpayable fee only makes the leader drop it."""
    try:
        return str(chain.submit(tx))
    except TransactionRejected as dropped:
        if dropped.err == "SignatureFailure":   # the RPC verifies signatures even so
            raise
        logger.debug("skipPreflight transaction {} dropped: {}", tx.signatures[0], dropped.err)
        return str(tx.signatures[0])


def simulate_transaction(chain: Chain, params: Params):
    config = params.config(1)
    tx = _decode_transaction(params, config)
    sig_verify, replace = bool(config.get("sigVerify", False)), bool(config.get("replaceRecentBlockhash", False))
    if sig_verify and replace:
        raise invalid_params("sigVerify may not be used with replaceRecentBlockhash")
    replacement = None
    if replace:
        blockhash, last_valid = chain.latest_blockhash()
        replacement = {"blockhash": str(blockhash), "lastValidBlockHeight": last_valid}
        tx = VersionedTransaction.populate(_with_blockhash(tx.message, blockhash), tx.signatures)
    try:
        outcome = chain.simulate(tx, sig_verify=sig_verify, check_blockhash=not replace,
                                 inner_instructions=bool(config.get("innerInstructions")))
    except TransactionRejected as rejected:
        outcome = SimulationOutcome.refused(rejected.err)
    accounts = None
    wanted = config.get("accounts")
    if isinstance(wanted, dict) and isinstance(wanted.get("addresses"), list):
        limit = len(tx.message.account_keys) + sum(len(bytes(lookup.writable_indexes)) + len(bytes(lookup.readonly_indexes))
                                                   for lookup in getattr(tx.message, "address_table_lookups", None) or [])
        if len(wanted["addresses"]) > limit:   # Agave's bound: one per account the transaction loads
            raise RpcError(INVALID_PARAMS, f"Too many accounts provided; max {limit}")
        keys = [parse_pubkey(k, "accounts.addresses") for k in wanted["addresses"]]
        account_config = {"encoding": wanted.get("encoding") or "base64"}
        accounts = [encode_for_config(chain, outcome.post_accounts.get(k) or chain.get_account(k), account_config) for k in keys]
    return with_context(chain, config, _simulation_json(outcome, accounts, bool(config.get("innerInstructions")), replacement))


def _with_blockhash(message, blockhash):
    if isinstance(message, MessageV0):
        return MessageV0(message.header, message.account_keys, blockhash, message.instructions,
                         message.address_table_lookups)
    return Message.new_with_compiled_instructions(
        message.header.num_required_signatures, message.header.num_readonly_signed_accounts,
        message.header.num_readonly_unsigned_accounts, message.account_keys, blockhash, message.instructions)


def _status_json(chain: Chain, record: TxRecord | None) -> dict | None:
    if record is None:
        return None
    commitment = chain.commitment_of(record.slot)
    return {"confirmationStatus": commitment,
            "confirmations": None if commitment == "finalized" else chain.slot - record.slot,
            "err": record.err, "slot": record.slot,
            "status": {"Ok": None} if record.err is None else {"Err": record.err}}


def get_signature_statuses(chain: Chain, params: Params):
    texts = params._get(0, "signatures")
    if not isinstance(texts, list) or len(texts) > MAX_SIGNATURE_STATUSES:
        raise invalid_params(f"signatures must be an array of at most {MAX_SIGNATURE_STATUSES} base-58 strings")
    config = params.config(1)  # searchTransactionHistory accepted: all history is searched anyway
    statuses = [_status_json(chain, chain.get_record(Params("getSignatureStatuses", texts).signature(i)))
                for i in range(len(texts))]
    return with_context(chain, config, statuses)


def _message_json(message) -> dict:
    header = message.header
    out = {"accountKeys": [str(k) for k in message.account_keys],
           "header": {"numReadonlySignedAccounts": header.num_readonly_signed_accounts,
                      "numReadonlyUnsignedAccounts": header.num_readonly_unsigned_accounts,
                      "numRequiredSignatures": header.num_required_signatures},
           "instructions": [{"accounts": list(bytes(ix.accounts)), "data": base58.b58encode(bytes(ix.data)).decode(),
                             "programIdIndex": ix.program_id_index, "stackHeight": None}
                            for ix in message.instructions],
           "recentBlockhash": str(message.recent_blockhash)}
    if isinstance(message, MessageV0):
        out["addressTableLookups"] = [{"accountKey": str(lookup.account_key),
                                       "readonlyIndexes": list(bytes(lookup.readonly_indexes)),
                                       "writableIndexes": list(bytes(lookup.writable_indexes))}
                                      for lookup in message.address_table_lookups]
    return out


def _meta_json(record: TxRecord) -> dict:
    meta = {"computeUnitsConsumed": record.compute_units, "err": record.err, "fee": record.fee,
            "innerInstructions": _inner_instructions_json(record.inner_instructions),
            "loadedAddresses": {"readonly": [str(k) for k in record.loaded_readonly],
                                "writable": [str(k) for k in record.loaded_writable]},
            "logMessages": record.log_messages, "postBalances": record.post_balances,
            "postTokenBalances": record.post_token_balances, "preBalances": record.pre_balances,
            "preTokenBalances": record.pre_token_balances, "rewards": [],
            "status": {"Ok": None} if record.err is None else {"Err": record.err}}
    if record.return_data is not None:
        meta["returnData"] = _return_data_json(record.return_data)
    return meta


def transaction_json(record: TxRecord, tx_encoding: str, max_version: int | None) -> dict:
    """The getTransaction result for one record."""
    tx = record.transaction
    is_v0 = isinstance(tx.message, MessageV0)
    if tx_encoding == "base64":
        body: object = [base64.b64encode(bytes(tx)).decode(), "base64"]
    elif tx_encoding == "base58":
        body = [base58.b58encode(bytes(tx)).decode(), "base58"]
    elif tx_encoding == "jsonParsed":
        body = parsed_transaction_json(record)
    else:
        body = {"message": _message_json(tx.message), "signatures": [str(s) for s in tx.signatures]}
    meta = _meta_json(record)
    if tx_encoding == "jsonParsed":   # loaded addresses are among the accountKeys instead
        meta["innerInstructions"] = parsed_inner_instructions_json(record)
        del meta["loadedAddresses"]
    out = {"blockTime": record.block_time, "meta": meta, "slot": record.slot, "transaction": body}
    if max_version is not None:
        out["version"] = 0 if is_v0 else "legacy"
    return out


def get_transaction(chain: Chain, params: Params):
    signature = params.signature(0)
    if len(params.raw) > 1 and isinstance(params.raw[1], str):  # legacy form: second param is the encoding
        config = {"encoding": params.raw[1]}
    else:
        config = params.config(1)
    tx_encoding = config.get("encoding") or "json"
    if tx_encoding not in ("json", "jsonParsed", "base64", "base58"):
        raise invalid_params(f"unsupported encoding {tx_encoding!r} for getTransaction; use json, jsonParsed, base64 or base58")
    commitment = config.get("commitment") or "finalized"
    if commitment == "processed":
        raise invalid_params("Method does not support commitment below `confirmed`")
    max_version = config.get("maxSupportedTransactionVersion")
    if max_version is not None and max_version != 0:
        raise invalid_params("maxSupportedTransactionVersion must be 0")
    record = chain.get_record(signature)
    if record is None or record.slot > chain.slot_for_commitment(commitment):
        return None
    if isinstance(record.transaction.message, MessageV0) and max_version is None:
        raise RpcError(UNSUPPORTED_TRANSACTION_VERSION,
                       "Transaction version (0) is not supported by the requesting client. Please try the request "
                       "again with the following configuration parameter: \"maxSupportedTransactionVersion\": 0")
    return transaction_json(record, tx_encoding, max_version)


def get_signatures_for_address(chain: Chain, params: Params):
    """Newest first, from the records the chain still keeps; before/until are exclusive bounds."""
    address = params.pubkey(0, "address")
    config = params.config(1)
    limit = config.get("limit") or MAX_SIGNATURES_FOR_ADDRESS
    if not isinstance(limit, int) or not 1 <= limit <= MAX_SIGNATURES_FOR_ADDRESS:
        raise invalid_params(f"limit must be between 1 and {MAX_SIGNATURES_FOR_ADDRESS}")
    before = parse_signature_or_none(config.get("before"))
    until = parse_signature_or_none(config.get("until"))
    max_slot = chain.slot_for_commitment(config.get("commitment") or "finalized")
    if config.get("commitment") == "processed":
        raise invalid_params("Method does not support commitment below `confirmed`")
    found, started = [], before is None
    for record in chain.records_newest_first():
        if not started:
            started = record.signature == before
            continue
        if record.signature == until or len(found) == limit:
            break
        if record.slot <= max_slot and address in record.account_keys:
            found.append({"blockTime": record.block_time, "confirmationStatus": chain.commitment_of(record.slot),
                          "err": record.err, "memo": None, "signature": str(record.signature), "slot": record.slot})
    return found


def parse_signature_or_none(value: object):
    return None if value is None else Params("getSignaturesForAddress", [value]).signature(0)


def request_airdrop(chain: Chain, params: Params):
    to = params.pubkey(0)
    lamports = params.unsigned(1, "lamports")
    params.config(2)
    if not 0 < lamports <= MAX_AIRDROP_LAMPORTS:
        raise invalid_params(f"airdrop lamports must be between 1 and {MAX_AIRDROP_LAMPORTS}")
    try:
        return str(chain.airdrop(to, lamports).signature)
    except TransactionRejected as rejected:
        raise rejection_error(rejected) from None


TRANSACTION_METHODS = {
    "sendTransaction": send_transaction,
    "simulateTransaction": simulate_transaction,
    "getSignatureStatuses": get_signature_statuses,
    "getTransaction": get_transaction,
    "requestAirdrop": request_airdrop,
    "getSignaturesForAddress": get_signatures_for_address,
}
