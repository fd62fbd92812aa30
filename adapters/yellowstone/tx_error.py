"""TransactionError <-> bincode bytes, as Yellowstone carries it in `TransactionError.err`.

The real server fills that field with `bincode::serialize(&TransactionError)`: a u32 little-endian
variant index, then the variant's fields (u8 instruction index, nested InstructionError enum as
another u32 index, Custom as u32, strings as u64 length + UTF-8). The JSON side is the form
getTransaction returns, e.g. {"InstructionError": [0, {"Custom": 6002}]} or "BlockhashNotFound".
Variant order is from anza-xyz/solana-sdk transaction-error and instruction-error.
"""
from __future__ import annotations

import struct

TRANSACTION_ERRORS = (
    "AccountInUse", "AccountLoadedTwice", "AccountNotFound", "ProgramAccountNotFound",
    "InsufficientFundsForFee", "InvalidAccountForFee", "AlreadyProcessed", "BlockhashNotFound",
    "InstructionError", "CallChainTooDeep", "MissingSignatureForFee", "InvalidAccountIndex",
    "SignatureFailure", "InvalidProgramForExecution", "SanitizeFailure", "ClusterMaintenance",
    "AccountBorrowOutstanding", "WouldExceedMaxBlockCostLimit", "UnsupportedVersion",
    "InvalidWritableAccount", "WouldExceedMaxAccountCostLimit", "WouldExceedAccountDataBlockLimit",
    "TooManyAccountLocks", "AddressLookupTableNotFound", "InvalidAddressLookupTableOwner",
    "InvalidAddressLookupTableData", "InvalidAddressLookupTableIndex", "InvalidRentPayingAccount",
    "WouldExceedMaxVoteCostLimit", "WouldExceedAccountDataTotalLimit", "DuplicateInstruction",
    "InsufficientFundsForRent", "MaxLoadedAccountsDataSizeExceeded", "InvalidLoadedAccountsDataSizeLimit",
    "ResanitizationNeeded", "ProgramExecutionTemporarilyRestricted", "UnbalancedTransaction",
    "ProgramCacheHitMaxLimit", "CommitCancelled",
)
INSTRUCTION_ERRORS = (
    "GenericError", "InvalidArgument", "InvalidInstructionData", "InvalidAccountData", "AccountDataTooSmall",
    "InsufficientFunds", "IncorrectProgramId", "MissingRequiredSignature", "AccountAlreadyInitialized",
    "UninitializedAccount", "UnbalancedInstruction", "ModifiedProgramId", "ExternalAccountLamportSpend",
    "ExternalAccountDataModified", "ReadonlyLamportChange", "ReadonlyDataModified", "DuplicateAccountIndex",
    "ExecutableModified", "RentEpochModified", "NotEnoughAccountKeys", "AccountDataSizeChanged",
    "AccountNotExecutable", "AccountBorrowFailed", "AccountBorrowOutstanding", "DuplicateAccountOutOfSync",
    "Custom", "InvalidError", "ExecutableDataModified", "ExecutableLamportChange",
    "ExecutableAccountNotRentExempt", "UnsupportedProgramId", "CallDepth", "MissingAccount",
    "ReentrancyNotAllowed", "MaxSeedLengthExceeded", "InvalidSeeds", "InvalidRealloc",
    "ComputationalBudgetExceeded", "PrivilegeEscalation", "ProgramEnvironmentSetupFailure",
    "ProgramFailedToComplete", "ProgramFailedToCompile", "Immutable", "IncorrectAuthority", "BorshIoError",
    "AccountNotRentExempt", "InvalidAccountOwner", "ArithmeticOverflow", "UnsupportedSysvar", "IllegalOwner",
    "MaxAccountsDataAllocationsExceeded", "MaxAccountsExceeded", "MaxInstructionTraceLengthExceeded",
    "BuiltinProgramsMustConsumeComputeUnits", "BailOut",
)
_TX_INDEX = {name: i for i, name in enumerate(TRANSACTION_ERRORS)}
_IX_INDEX = {name: i for i, name in enumerate(INSTRUCTION_ERRORS)}
_ACCOUNT_INDEX_VARIANTS = ("InsufficientFundsForRent", "ProgramExecutionTemporarilyRestricted")


class TransactionErrorFormatError(ValueError):
    """The error value (JSON form or bincode bytes) is not a TransactionError this module knows."""


def _variant(value: object) -> tuple[str, object]:
    if isinstance(value, str):
        return value, None
    if isinstance(value, dict) and len(value) == 1:
        return next(iter(value.items()))
    raise TransactionErrorFormatError(f"not a TransactionError: {value!r}")


def _u8(value: object) -> bytes:
    if not isinstance(value, int) or not 0 <= value <= 255:
        raise TransactionErrorFormatError(f"expected a u8, got {value!r}")
    return bytes([value])


def _instruction_error_bytes(value: object) -> bytes:
    name, payload = _variant(value)
    if name not in _IX_INDEX:
        raise TransactionErrorFormatError(f"unknown InstructionError {name!r}")
    out = struct.pack("<I", _IX_INDEX[name])
    if name == "Custom":
        if not isinstance(payload, int) or not 0 <= payload < 2**32:
            raise TransactionErrorFormatError(f"Custom code must be a u32, got {payload!r}")
        out += struct.pack("<I", payload)
    elif name == "BorshIoError" and isinstance(payload, str):  # older releases carried a message
        text = payload.encode()
        out += struct.pack("<Q", len(text)) + text
    return out


def encode_transaction_error(err: object) -> bytes:
    """Bincode bytes of a TransactionError given in its RPC JSON form."""
    name, payload = _variant(err)
    if name not in _TX_INDEX:
        raise TransactionErrorFormatError(f"unknown TransactionError {name!r}")
    out = struct.pack("<I", _TX_INDEX[name])
    if name == "InstructionError":
        if not isinstance(payload, (list, tuple)) or len(payload) != 2:
            raise TransactionErrorFormatError(f"InstructionError needs [index, error], got {payload!r}")
        out += _u8(payload[0]) + _instruction_error_bytes(payload[1])
    elif name == "DuplicateInstruction":
        out += _u8(payload)
    elif name in _ACCOUNT_INDEX_VARIANTS:
        if not isinstance(payload, dict):
            raise TransactionErrorFormatError(f"{name} needs {{'account_index': n}}, got {payload!r}")
        out += _u8(payload.get("account_index"))
    return out


def decode_transaction_error(data: bytes) -> object:
    """The RPC JSON form of bincode TransactionError bytes (inverse of encode_transaction_error)."""
    try:
        (tag,) = struct.unpack_from("<I", data, 0)
        name = TRANSACTION_ERRORS[tag]
        if name == "InstructionError":
            index = data[4]
            (ix_tag,) = struct.unpack_from("<I", data, 5)
            ix_name = INSTRUCTION_ERRORS[ix_tag]
            if ix_name == "Custom":
                return {name: [index, {"Custom": struct.unpack_from("<I", data, 9)[0]}]}
            if ix_name == "BorshIoError" and len(data) > 9:
                (length,) = struct.unpack_from("<Q", data, 9)
                return {name: [index, {"BorshIoError": bytes(data[17:17 + length]).decode()}]}
            return {name: [index, ix_name]}
        if name == "DuplicateInstruction":
            return {name: data[4]}
        if name in _ACCOUNT_INDEX_VARIANTS:
            return {name: {"account_index": data[4]}}
        return name
    except (struct.error, IndexError, UnicodeDecodeError) as bad:
        raise TransactionErrorFormatError(f"malformed TransactionError bytes {bytes(data).hex()}: {bad}") from None
