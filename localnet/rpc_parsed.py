"""The `jsonParsed` transaction encoding: account keys as objects, and System, SPL Token, ATA and
Memo instructions parsed the way Agave's transaction-status parsers print them; any other program's
instruction stays partially decoded ({programId, accounts, data})."""
from __future__ import annotations

import base58
from solders.message import MessageV0
from solders.pubkey import Pubkey

from localnet import encoding
from localnet.chain import TxRecord, _writable_flags

SYSTEM_PROGRAM = str(Pubkey.default())
ATA_PROGRAM = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"
MEMO_PROGRAMS = ("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr", "Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo")
TOKEN_PROGRAMS = {str(encoding.TOKEN_PROGRAM_ID): "spl-token", str(encoding.TOKEN_2022_PROGRAM_ID): "spl-token-2022"}


def account_keys_json(record: TxRecord) -> list[dict]:
    message = record.transaction.message
    static = list(message.account_keys)
    keys = record.account_keys
    writable = _writable_flags(message, len(static), len(record.loaded_writable), len(keys) - len(static))
    signers = message.header.num_required_signatures
    return [{"pubkey": str(key), "signer": i < signers, "source": "transaction" if i < len(static) else "lookupTable",
             "writable": writable[i]} for i, key in enumerate(keys)]


def instruction_json(program_id: str, accounts: list[str], data: bytes, stack_height: int | None) -> dict:
    """One instruction, parsed if its program is known and its data well formed."""
    parsed = None
    try:
        if program_id == SYSTEM_PROGRAM:
            parsed = _system(accounts, data)
        elif program_id in TOKEN_PROGRAMS:
            parsed = _token(accounts, data)
        elif program_id == ATA_PROGRAM:
            parsed = _ata(accounts, data)
        elif program_id in MEMO_PROGRAMS:
            return {"parsed": data.decode(), "program": "spl-memo", "programId": program_id, "stackHeight": stack_height}
    except (IndexError, ValueError, UnicodeDecodeError):
        parsed = None  # malformed: shown partially decoded, as Agave does
    if parsed is None:
        return {"accounts": accounts, "data": base58.b58encode(data).decode(), "programId": program_id,
                "stackHeight": stack_height}
    label = {SYSTEM_PROGRAM: "system", ATA_PROGRAM: "spl-associated-token-account"}.get(program_id) \
        or TOKEN_PROGRAMS[program_id]
    return {"parsed": parsed, "program": label, "programId": program_id, "stackHeight": stack_height}


def _u64(data: bytes, offset: int) -> int:
    if len(data) < offset + 8:
        raise ValueError("short instruction data")
    return int.from_bytes(data[offset:offset + 8], "little")


def _system(a: list[str], data: bytes) -> dict | None:
    kind = int.from_bytes(data[0:4], "little") if len(data) >= 4 else None
    if kind == 0:
        return {"info": {"lamports": _u64(data, 4), "newAccount": a[1], "owner": str(Pubkey.from_bytes(data[20:52])),
                         "source": a[0], "space": _u64(data, 12)}, "type": "createAccount"}
    if kind == 1:
        return {"info": {"account": a[0], "owner": str(Pubkey.from_bytes(data[4:36]))}, "type": "assign"}
    if kind == 2:
        return {"info": {"destination": a[1], "lamports": _u64(data, 4), "source": a[0]}, "type": "transfer"}
    if kind == 8:
        return {"info": {"account": a[0], "space": _u64(data, 4)}, "type": "allocate"}
    return None


def _token_amount(amount: int, decimals: int) -> dict:
    return encoding.ui_token_amount(amount, decimals)


def _token(a: list[str], data: bytes) -> dict | None:
    kind = data[0] if data else None
    if kind == 3:
        return {"info": {"amount": str(_u64(data, 1)), "authority": a[2], "destination": a[1], "source": a[0]},
                "type": "transfer"}
    if kind == 7:
        return {"info": {"account": a[1], "amount": str(_u64(data, 1)), "mint": a[0], "mintAuthority": a[2]},
                "type": "mintTo"}
    if kind == 8:
        return {"info": {"account": a[0], "amount": str(_u64(data, 1)), "authority": a[2], "mint": a[1]}, "type": "burn"}
    if kind == 9:
        return {"info": {"account": a[0], "destination": a[1], "owner": a[2]}, "type": "closeAccount"}
    if kind == 12:
        return {"info": {"authority": a[3], "destination": a[2], "mint": a[1], "source": a[0],
                         "tokenAmount": _token_amount(_u64(data, 1), data[9])}, "type": "transferChecked"}
    if kind == 17:
        return {"info": {"account": a[0]}, "type": "syncNative"}
    if kind == 18:
        return {"info": {"account": a[0], "mint": a[1], "owner": str(Pubkey.from_bytes(data[1:33]))},
                "type": "initializeAccount3"}
    if kind == 20:
        info = {"decimals": data[1], "mint": a[0], "mintAuthority": str(Pubkey.from_bytes(data[2:34]))}
        if len(data) >= 67 and data[34]:
            info["freezeAuthority"] = str(Pubkey.from_bytes(data[35:67]))
        return {"info": info, "type": "initializeMint2"}
    return None


def _ata(a: list[str], data: bytes) -> dict | None:
    kind = data[0] if data else 0
    if kind not in (0, 1):
        return None
    return {"info": {"account": a[1], "mint": a[3], "source": a[0], "systemProgram": a[4], "tokenProgram": a[5],
                     "wallet": a[2]}, "type": "create" if kind == 0 else "createIdempotent"}


def parsed_transaction_json(record: TxRecord) -> dict:
    """The `transaction` field of getTransaction in jsonParsed encoding."""
    tx = record.transaction
    message = tx.message
    keys = [str(k) for k in record.account_keys]
    out = {"accountKeys": account_keys_json(record),
           "instructions": [instruction_json(keys[ix.program_id_index], [keys[i] for i in bytes(ix.accounts)],
                                             bytes(ix.data), None) for ix in message.instructions],
           "recentBlockhash": str(message.recent_blockhash)}
    if isinstance(message, MessageV0):
        out["addressTableLookups"] = [{"accountKey": str(lookup.account_key),
                                       "readonlyIndexes": list(bytes(lookup.readonly_indexes)),
                                       "writableIndexes": list(bytes(lookup.writable_indexes))}
                                      for lookup in message.address_table_lookups]
    return {"message": out, "signatures": [str(s) for s in tx.signatures]}


def parsed_inner_instructions_json(record: TxRecord) -> list[dict]:
    keys = [str(k) for k in record.account_keys]
    return [{"index": group["index"], "instructions": [
        instruction_json(keys[ix["programIdIndex"]], [keys[i] for i in ix["accounts"]], ix["data"], ix["stackHeight"])
        for ix in group["instructions"]]} for group in record.inner_instructions]
