"""Account byte layouts (SPL Token / Token-2022), RPC JSON encodings of accounts, and the
conversion of LiteSVM execution metadata into the RPC meta shapes.

Both token programs share the 165-byte base layout (Token-2022 appends an account-type byte and
extensions); reading the few fields we need by offset avoids a full decode on every snapshot.
"""
from __future__ import annotations

import base64

import base58
import orjson

from solders.pubkey import Pubkey

TOKEN_PROGRAM_ID = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022_PROGRAM_ID = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
TOKEN_PROGRAMS = (TOKEN_PROGRAM_ID, TOKEN_2022_PROGRAM_ID)
NATIVE_MINT = Pubkey.from_string("So11111111111111111111111111111111111111112")

TOKEN_ACCOUNT_LEN = 165
MINT_LEN = 82
MAX_BASE58_ACCOUNT_BYTES = 128
_ACCOUNT_TYPE_MINT = 1
_ACCOUNT_TYPE_ACCOUNT = 2


def is_token_account(owner: Pubkey, data: bytes) -> bool:
    if owner not in TOKEN_PROGRAMS or len(data) < TOKEN_ACCOUNT_LEN:
        return False
    # Token-2022 accounts with extensions carry their type at byte 165.
    return len(data) == TOKEN_ACCOUNT_LEN or data[TOKEN_ACCOUNT_LEN] == _ACCOUNT_TYPE_ACCOUNT


def is_mint(owner: Pubkey, data: bytes) -> bool:
    if owner not in TOKEN_PROGRAMS or len(data) < MINT_LEN:
        return False
    return len(data) == MINT_LEN or (len(data) > TOKEN_ACCOUNT_LEN and data[TOKEN_ACCOUNT_LEN] == _ACCOUNT_TYPE_MINT)


def token_account_mint(data: bytes) -> Pubkey:
    return Pubkey.from_bytes(data[0:32])


def token_account_owner(data: bytes) -> Pubkey:
    return Pubkey.from_bytes(data[32:64])


def token_account_amount(data: bytes) -> int:
    return int.from_bytes(data[64:72], "little")


def mint_decimals(data: bytes) -> int:
    return data[44]


def mint_supply(data: bytes) -> int:
    return int.from_bytes(data[36:44], "little")


def ui_token_amount(amount: int, decimals: int) -> dict:
    """The RPC `UiTokenAmount` object; uiAmount is a display float, amount stays an integer string."""
    if decimals:
        whole, fraction = divmod(amount, 10**decimals)
        text = f"{whole}.{fraction:0{decimals}d}".rstrip("0").rstrip(".")
    else:
        text = str(amount)
    return {"amount": str(amount), "decimals": decimals, "uiAmount": float(text), "uiAmountString": text}


def _coption_pubkey(data: bytes, offset: int) -> str | None:
    return str(Pubkey.from_bytes(data[offset + 4:offset + 36])) if data[offset] else None


_TOKEN_STATES = {0: "uninitialized", 1: "initialized", 2: "frozen"}


def parsed_token_account(data: bytes, decimals: int) -> dict:
    info = {"isNative": bool(data[109]), "mint": str(token_account_mint(data)),
            "owner": str(token_account_owner(data)), "state": _TOKEN_STATES.get(data[108], "uninitialized"),
            "tokenAmount": ui_token_amount(token_account_amount(data), decimals)}
    if data[72]:
        info["delegate"] = _coption_pubkey(data, 72)
        info["delegatedAmount"] = ui_token_amount(int.from_bytes(data[121:129], "little"), decimals)
    if data[109]:
        info["rentExemptReserve"] = ui_token_amount(int.from_bytes(data[113:121], "little"), decimals)
    if data[129]:
        info["closeAuthority"] = _coption_pubkey(data, 129)
    return {"info": info, "type": "account"}


def parsed_mint(data: bytes) -> dict:
    return {"info": {"decimals": mint_decimals(data), "freezeAuthority": _coption_pubkey(data, 46),
                     "isInitialized": bool(data[45]), "mintAuthority": _coption_pubkey(data, 0),
                     "supply": str(mint_supply(data))}, "type": "mint"}


def _program_label(owner: Pubkey) -> str:
    return "spl-token" if owner == TOKEN_PROGRAM_ID else "spl-token-2022"


def encode_account_data(owner: Pubkey, data: bytes, encoding: str, mint_decimals_of) -> object:
    """The `data` field of an account in the requested encoding.

    jsonParsed covers token accounts and mints; anything else falls back to base64, as the real
    RPC does. `mint_decimals_of(mint) -> int | None` supplies decimals for token accounts.
    """
    if encoding == "jsonParsed":
        if is_token_account(owner, data):
            decimals = mint_decimals_of(token_account_mint(data)) or 0
            return {"program": _program_label(owner), "parsed": parsed_token_account(data, decimals), "space": len(data)}
        if is_mint(owner, data):
            return {"program": _program_label(owner), "parsed": parsed_mint(data), "space": len(data)}
        encoding = "base64"
    if encoding == "base58":
        # Agave's text for data past 128 bytes; base58 encoding is quadratic, so never attempt it
        if len(data) > MAX_BASE58_ACCOUNT_BYTES:
            return ["error: data too large for bs58 encoding", "base58"]
        return [base58.b58encode(data).decode(), "base58"]
    if encoding == "base64":
        return [base64.b64encode(data).decode(), "base64"]
    raise ValueError(f"unsupported account encoding {encoding!r}: use base58, base64 or jsonParsed")


def encode_account(account, encoding: str, mint_decimals_of, data_slice: dict | None = None) -> dict | None:
    """The RPC `Account` object (getAccountInfo value, getProgramAccounts entry, notifications)."""
    if account is None:
        return None
    data = bytes(account.data)
    if data_slice is not None and encoding != "jsonParsed":
        offset, length = data_slice["offset"], data_slice["length"]
        data = data[offset:offset + length]
    return {"data": encode_account_data(account.owner, data, encoding, mint_decimals_of),
            "executable": account.executable, "lamports": account.lamports, "owner": str(account.owner),
            "rentEpoch": account.rent_epoch, "space": len(bytes(account.data))}


# ---- execution metadata -> RPC meta shapes ---------------------------------------------
def transaction_error_json(failed) -> object:
    return orjson.loads(failed.to_json())["err"]


def inner_instructions_of(meta) -> list[dict]:
    groups = []
    for top_index, inner in enumerate(meta.inner_instructions()):
        if inner:
            instructions = []
            for item in inner:
                compiled = item.instruction()
                instructions.append({"programIdIndex": compiled.program_id_index, "accounts": list(bytes(compiled.accounts)),
                                     "data": bytes(compiled.data), "stackHeight": item.stack_height()})
            groups.append({"index": top_index, "instructions": instructions})
    return groups


def return_data_of(meta) -> tuple[Pubkey, bytes] | None:
    returned = meta.return_data()
    data = bytes(returned.data)
    return (returned.program_id, data) if data else None


def token_balances(accounts: list, mint_decimals_of) -> list[dict]:
    """pre/postTokenBalances entries for the token accounts among `accounts` (index-aligned)."""
    balances = []
    for index, account in enumerate(accounts):
        if account is None:
            continue
        data = bytes(account.data)
        if not is_token_account(account.owner, data):
            continue
        mint = token_account_mint(data)
        balances.append({"accountIndex": index, "mint": str(mint), "owner": str(token_account_owner(data)),
                         "programId": str(account.owner),
                         "uiTokenAmount": ui_token_amount(token_account_amount(data), mint_decimals_of(mint) or 0)})
    return balances
