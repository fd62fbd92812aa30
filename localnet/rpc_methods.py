"""JSON-RPC errors, parameter parsing shared by every method, and the cluster-level methods."""
from __future__ import annotations

from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.signature import Signature

from localnet.chain import Chain

API_VERSION = "2.3.0"
FEATURE_SET = 3294202862  # any u32; clients only display it
PRIORITIZATION_FEE_SLOTS = 150

# JSON-RPC 2.0 and Solana-specific error codes, as the real validator uses them
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SEND_TRANSACTION_PREFLIGHT_FAILURE = -32002
TRANSACTION_SIGNATURE_VERIFICATION_FAILURE = -32003
MIN_CONTEXT_SLOT_NOT_REACHED = -32016
UNSUPPORTED_TRANSACTION_VERSION = -32015

COMMITMENTS = ("processed", "confirmed", "finalized", "recent", "single", "singleGossip", "root", "max")


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: object = None):
        super().__init__(message)
        self.code, self.message, self.data = code, message, data

    def to_json(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def invalid_params(problem: str) -> RpcError:
    return RpcError(INVALID_PARAMS, f"Invalid params: {problem}")


class Params:
    """Positional params of one request, with typed accessors that fail as -32602 naming the problem."""

    def __init__(self, method: str, raw: object):
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            raise invalid_params(f"{method} expects params as an array")
        self.method = method
        self.raw = raw

    def _get(self, index: int, name: str, required: bool = True):
        if index < len(self.raw) and self.raw[index] is not None:
            return self.raw[index]
        if required:
            raise invalid_params(f"{self.method} needs parameter {index} ({name})")
        return None

    def string(self, index: int, name: str) -> str:
        value = self._get(index, name)
        if not isinstance(value, str):
            raise invalid_params(f"{name} must be a string, got {type(value).__name__}")
        return value

    def pubkey(self, index: int, name: str = "pubkey") -> Pubkey:
        return parse_pubkey(self.string(index, name), name)

    def pubkey_list(self, index: int, name: str, limit: int) -> list[Pubkey]:
        value = self._get(index, name)
        if not isinstance(value, list):
            raise invalid_params(f"{name} must be an array of base-58 public keys")
        if len(value) > limit:
            raise invalid_params(f"Too many inputs provided; max {limit}")
        return [parse_pubkey(item, name) for item in value]

    def signature(self, index: int, name: str = "signature") -> Signature:
        return parse_signature(self.string(index, name))

    def unsigned(self, index: int, name: str) -> int:
        value = self._get(index, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value >= 2**64:
            raise invalid_params(f"{name} must be an unsigned 64-bit integer, got {value!r}")
        return value

    def config(self, index: int) -> dict:
        value = self._get(index, "config", required=False)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise invalid_params(f"{self.method} config (parameter {index}) must be an object")
        commitment = value.get("commitment")
        if commitment is not None and commitment not in COMMITMENTS:
            raise invalid_params(f"unknown commitment {commitment!r}; use processed, confirmed or finalized")
        return value


def parse_pubkey(value: object, name: str = "pubkey") -> Pubkey:
    if not isinstance(value, str):
        raise invalid_params(f"{name} must be a base-58 string")
    try:
        return Pubkey.from_string(value)
    except Exception:
        raise invalid_params(f"{name} is not a valid base-58 public key: {value[:64]!r}") from None


def parse_signature(value: str) -> Signature:
    try:
        return Signature.from_string(value)
    except Exception:
        raise invalid_params(f"not a valid base-58 signature: {value[:100]!r}") from None


def commitment_of(config: dict) -> str:
    """The commitment a read answers at: the request's, else finalized, as Solana's RPC defaults."""
    return config.get("commitment") or "finalized"


def context_slot(chain: Chain, config: dict) -> int:
    """The slot a read answers at; refuses minContextSlot beyond it, as the real node does."""
    slot = chain.slot_for_commitment(commitment_of(config))
    min_slot = config.get("minContextSlot")
    if min_slot is not None:
        if not isinstance(min_slot, int) or isinstance(min_slot, bool):
            raise invalid_params("minContextSlot must be an integer")
        if min_slot > slot:
            raise RpcError(MIN_CONTEXT_SLOT_NOT_REACHED, "Minimum context slot has not been reached",
                           {"contextSlot": slot})
    return slot


def with_context(chain: Chain, config: dict, value: object) -> dict:
    return {"context": {"apiVersion": API_VERSION, "slot": context_slot(chain, config)}, "value": value}


# ---- cluster methods -------------------------------------------------------------
def get_health(chain: Chain, params: Params):
    return "ok"


def get_version(chain: Chain, params: Params):
    return {"feature-set": FEATURE_SET, "solana-core": API_VERSION}


def get_slot(chain: Chain, params: Params):
    return context_slot(chain, params.config(0))


def get_block_height(chain: Chain, params: Params):
    config = params.config(0)
    return max(0, chain.block_height() - (chain.slot - context_slot(chain, config)))


def get_latest_blockhash(chain: Chain, params: Params):
    config = params.config(0)
    blockhash, last_valid = chain.latest_blockhash(commitment_of(config))
    return with_context(chain, config, {"blockhash": str(blockhash), "lastValidBlockHeight": last_valid})


def is_blockhash_valid(chain: Chain, params: Params):
    text = params.string(0, "blockhash")
    try:
        blockhash = Hash.from_string(text)
    except Exception:
        raise invalid_params(f"blockhash is not a valid base-58 hash: {text[:64]!r}") from None
    return with_context(chain, params.config(1), chain.is_blockhash_valid(blockhash))


def get_minimum_balance_for_rent_exemption(chain: Chain, params: Params):
    data_len = params.unsigned(0, "data length")
    if data_len > 10 * 1024 * 1024:
        raise invalid_params("data length exceeds the 10 MiB account size limit")
    return chain.minimum_balance_for_rent_exemption(data_len)


def get_recent_prioritization_fees(chain: Chain, params: Params):
    accounts = params.pubkey_list(0, "account addresses", limit=128) if params.raw and params.raw[0] is not None else []
    first = max(1, chain.slot - PRIORITIZATION_FEE_SLOTS + 1)
    return chain.priority_fees.fees(first, chain.slot, accounts)


def get_epoch_info(chain: Chain, params: Params):
    slot = context_slot(chain, params.config(0))
    schedule = chain.svm.get_epoch_schedule()
    epoch, slot_index = schedule.get_epoch_and_slot_index(slot)
    return {"absoluteSlot": slot, "blockHeight": max(0, chain.block_height() - (chain.slot - slot)), "epoch": epoch,
            "slotIndex": slot_index, "slotsInEpoch": schedule.get_slots_in_epoch(epoch),
            "transactionCount": None}


def get_genesis_hash(chain: Chain, params: Params):
    return str(chain.genesis_hash)


CLUSTER_METHODS = {
    "getHealth": get_health,
    "getVersion": get_version,
    "getSlot": get_slot,
    "getBlockHeight": get_block_height,
    "getLatestBlockhash": get_latest_blockhash,
    "isBlockhashValid": is_blockhash_valid,
    "getMinimumBalanceForRentExemption": get_minimum_balance_for_rent_exemption,
    "getRecentPrioritizationFees": get_recent_prioritization_fees,
    "getEpochInfo": get_epoch_info,
    "getGenesisHash": get_genesis_hash,
}
