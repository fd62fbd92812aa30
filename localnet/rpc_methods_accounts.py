"""Account and token read methods: balances, account infos, program accounts, SPL token queries."""
from __future__ import annotations

from solders.pubkey import Pubkey

from localnet import encoding
from localnet.bounded_decode import DecodeRefused, decode_memcmp_bytes
from localnet.chain import Chain
from localnet.rpc_methods import (
    INVALID_PARAMS, Params, RpcError, commitment_of, invalid_params, parse_pubkey, with_context)

MAX_MULTIPLE_ACCOUNTS = 100
MAX_LARGEST_ACCOUNTS = 20
MAX_FILTERS = 4
ACCOUNT_ENCODINGS = ("base58", "base64", "jsonParsed")


def _encoding_of(config: dict, default: str = "base64") -> str:
    value = config.get("encoding") or default
    if value not in ACCOUNT_ENCODINGS:
        raise invalid_params(f"unsupported encoding {value!r}; use one of {', '.join(ACCOUNT_ENCODINGS)}")
    return value


def _data_slice_of(config: dict) -> dict | None:
    data_slice = config.get("dataSlice")
    if data_slice is None:
        return None
    if (not isinstance(data_slice, dict) or not all(isinstance(data_slice.get(k), int) and data_slice[k] >= 0
                                                    for k in ("offset", "length"))):
        raise invalid_params("dataSlice must be {\"offset\": uint, \"length\": uint}")
    return data_slice


def _returned_bytes(account, config: dict) -> int:
    """How many data bytes an answer holds: Agave checks base58's 128-byte cap on the slice."""
    size, data_slice = len(bytes(account.data)), _data_slice_of(config)
    return size if data_slice is None else max(0, min(data_slice["length"], size - data_slice["offset"]))


def validate_account_config(config: dict) -> None:
    _encoding_of(config)
    _data_slice_of(config)


def encode_for_config(chain: Chain, account, config: dict) -> dict | None:
    try:
        return encoding.encode_account(account, _encoding_of(config), chain.mint_decimals, _data_slice_of(config))
    except ValueError as problem:
        raise invalid_params(str(problem)) from None


def get_balance(chain: Chain, params: Params):
    key, config = params.pubkey(0), params.config(1)
    account = chain.get_account(key, commitment_of(config))
    return with_context(chain, config, account.lamports if account is not None else 0)


def get_account_info(chain: Chain, params: Params):
    key, config = params.pubkey(0), params.config(1)
    account = chain.get_account(key, commitment_of(config))
    if account is not None and _encoding_of(config) == "base58" and _returned_bytes(account, config) > 128:
        raise invalid_params("Encoded binary (base 58) data should be less than 128 bytes, please use Base64 encoding.")
    return with_context(chain, config, encode_for_config(chain, account, config))


def get_multiple_accounts(chain: Chain, params: Params):
    keys = params.pubkey_list(0, "account addresses", MAX_MULTIPLE_ACCOUNTS)
    config = params.config(1)
    commitment = commitment_of(config)
    return with_context(chain, config, [encode_for_config(chain, chain.get_account(k, commitment), config) for k in keys])


def _memcmp_matcher(memcmp: object):
    if not isinstance(memcmp, dict) or not isinstance(memcmp.get("offset"), int) or not isinstance(memcmp.get("bytes"), str):
        raise invalid_params("memcmp filter must be {\"offset\": uint, \"bytes\": string, \"encoding\"?: base58|base64}")
    offset = memcmp["offset"]
    if offset < 0:
        raise invalid_params("memcmp offset must be >= 0")
    try:
        wanted = decode_memcmp_bytes(memcmp["bytes"], memcmp.get("encoding") or "base58")
    except DecodeRefused as refused:
        raise RpcError(INVALID_PARAMS, str(refused)) from None
    return lambda data: data[offset:offset + len(wanted)] == wanted


def account_filters(config: dict) -> list:
    filters = config.get("filters") or []
    if not isinstance(filters, list) or len(filters) > MAX_FILTERS:
        raise invalid_params(f"filters must be an array of at most {MAX_FILTERS} filters")
    matchers = []
    for item in filters:
        if isinstance(item, dict) and "dataSize" in item and isinstance(item["dataSize"], int):
            size = item["dataSize"]
            matchers.append(lambda data, size=size: len(data) == size)
        elif isinstance(item, dict) and "memcmp" in item:
            matchers.append(_memcmp_matcher(item["memcmp"]))
        elif isinstance(item, dict) and "tokenAccountState" in item:
            matchers.append(lambda data: len(data) >= encoding.TOKEN_ACCOUNT_LEN)
        else:
            raise invalid_params(f"unknown filter {item!r}; use memcmp or dataSize")
    return matchers


def get_program_accounts(chain: Chain, params: Params):
    program = params.pubkey(0, "program id")
    config = params.config(1)
    matchers = account_filters(config)
    _encoding_of(config)
    rows = [{"account": encode_for_config(chain, account, config), "pubkey": str(key)}
            for key, account in chain.program_accounts(program, commitment_of(config))
            if all(match(bytes(account.data)) for match in matchers)]
    return with_context(chain, config, rows) if config.get("withContext") else rows


# ---- SPL token ---------------------------------------------------------------------
def _indexed_token_accounts(chain: Chain, keys_of, group: Pubkey, programs, commitment: str):
    """(key, account, data) of the token accounts the chain's index lists for `group` (a mint
    or an owner), read as of `commitment` and owned by one of `programs`, in key order."""
    lagging = chain.slot_for_commitment(commitment) < chain.slot
    for key in sorted(keys_of(group, lagging), key=bytes):
        account = chain.get_account(key, commitment)
        if account is None or account.owner not in programs:
            continue
        data = bytes(account.data)
        if encoding.is_token_account(account.owner, data):
            yield key, account, data


def get_token_accounts_by_owner(chain: Chain, params: Params):
    owner = params.pubkey(0, "owner")
    token_filter = params.raw[1] if len(params.raw) > 1 else None
    config = params.config(2)
    if not isinstance(token_filter, dict) or len(token_filter) != 1 or not ({"mint", "programId"} & token_filter.keys()):
        raise invalid_params("second parameter must be {\"mint\": <pubkey>} or {\"programId\": <pubkey>}")
    mint = None
    if "mint" in token_filter:
        mint = parse_pubkey(token_filter["mint"], "mint")
        mint_account = chain.get_account(mint, commitment_of(config))
        if mint_account is None or not encoding.is_mint(mint_account.owner, bytes(mint_account.data)):
            raise RpcError(INVALID_PARAMS, "Invalid param: could not find mint")
        programs = [mint_account.owner]
    else:
        program = parse_pubkey(token_filter["programId"], "programId")
        if program not in encoding.TOKEN_PROGRAMS:
            raise RpcError(INVALID_PARAMS, "Invalid param: unrecognized Token program id")
        programs = [program]
    owner_bytes, mint_bytes = bytes(owner), bytes(mint) if mint is not None else None
    rows = [{"account": encode_for_config(chain, account, config), "pubkey": str(key)}
            for key, account, data in _indexed_token_accounts(chain, chain.token_accounts.of_owner, owner, programs,
                                                              commitment_of(config))
            if data[32:64] == owner_bytes and (mint_bytes is None or data[0:32] == mint_bytes)]
    return with_context(chain, config, rows)


def _token_account_data(chain: Chain, key: Pubkey, commitment: str) -> bytes:
    account = chain.get_account(key, commitment)
    data = bytes(account.data) if account is not None else b""
    if account is None or not encoding.is_token_account(account.owner, data):
        raise RpcError(INVALID_PARAMS, "Invalid param: not a Token account")
    return data


def _mint_data(chain: Chain, key: Pubkey, commitment: str) -> tuple[bytes, Pubkey]:
    account = chain.get_account(key, commitment)
    data = bytes(account.data) if account is not None else b""
    if account is None or not encoding.is_mint(account.owner, data):
        raise RpcError(INVALID_PARAMS, "Invalid param: not a Token mint")
    return data, account.owner


def get_token_account_balance(chain: Chain, params: Params):
    key, config = params.pubkey(0, "token account"), params.config(1)
    data = _token_account_data(chain, key, commitment_of(config))
    decimals = chain.mint_decimals(encoding.token_account_mint(data)) or 0
    return with_context(chain, config, encoding.ui_token_amount(encoding.token_account_amount(data), decimals))


def get_token_supply(chain: Chain, params: Params):
    key, config = params.pubkey(0, "mint"), params.config(1)
    data, _ = _mint_data(chain, key, commitment_of(config))
    return with_context(chain, config,
                        encoding.ui_token_amount(encoding.mint_supply(data), encoding.mint_decimals(data)))


def get_token_largest_accounts(chain: Chain, params: Params):
    mint, config = params.pubkey(0, "mint"), params.config(1)
    commitment = commitment_of(config)
    mint_data, program = _mint_data(chain, mint, commitment)
    decimals = encoding.mint_decimals(mint_data)
    wanted = bytes(mint)
    holders = [(encoding.token_account_amount(data), key)
               for key, _, data in _indexed_token_accounts(chain, chain.token_accounts.of_mint, mint, (program,), commitment)
               if data[0:32] == wanted]
    holders.sort(key=lambda row: (-row[0], str(row[1])))
    return with_context(chain, config, [
        {"address": str(key), **encoding.ui_token_amount(amount, decimals)} for amount, key in holders[:MAX_LARGEST_ACCOUNTS]])


ACCOUNT_METHODS = {
    "getBalance": get_balance,
    "getAccountInfo": get_account_info,
    "getMultipleAccounts": get_multiple_accounts,
    "getProgramAccounts": get_program_accounts,
    "getTokenAccountsByOwner": get_token_accounts_by_owner,
    "getTokenAccountBalance": get_token_account_balance,
    "getTokenSupply": get_token_supply,
    "getTokenLargestAccounts": get_token_largest_accounts,
}
