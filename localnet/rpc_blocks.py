"""Block JSON for blockSubscribe notifications (the `RpcBlockUpdate` shape of Solana's RPC docs)."""
from __future__ import annotations

from dataclasses import dataclass

from solders.message import MessageV0
from solders.pubkey import Pubkey

from localnet.chain import Chain
from localnet.rpc_methods import Params, invalid_params
from localnet.rpc_methods_tx import transaction_json
from localnet.rpc_parsed import account_keys_json

TRANSACTION_ENCODINGS = ("json", "jsonParsed", "base64", "base58")
TRANSACTION_DETAILS = ("full", "accounts", "signatures", "none")


@dataclass(frozen=True)
class BlockOptions:
    mentions: Pubkey | None        # None: every block ("all")
    encoding: str
    details: str
    show_rewards: bool
    max_version: int | None

    @classmethod
    def parse(cls, params: Params, config: dict) -> "BlockOptions":
        spec = params._get(0, "filter")
        mentions = None
        if spec != "all":
            key = spec.get("mentionsAccountOrProgram") if isinstance(spec, dict) else None
            if not isinstance(key, str):
                raise invalid_params("block filter must be \"all\" or {\"mentionsAccountOrProgram\": <pubkey>}")
            mentions = Params("blockSubscribe", [key]).pubkey(0, "mentionsAccountOrProgram")
        encoding = config.get("encoding") or "json"
        details = config.get("transactionDetails") or "full"
        max_version = config.get("maxSupportedTransactionVersion")
        if encoding not in TRANSACTION_ENCODINGS:
            raise invalid_params(f"unsupported encoding {encoding!r}; use one of {', '.join(TRANSACTION_ENCODINGS)}")
        if details not in TRANSACTION_DETAILS:
            raise invalid_params(f"unsupported transactionDetails {details!r}; use one of {', '.join(TRANSACTION_DETAILS)}")
        if max_version is not None and max_version != 0:
            raise invalid_params("maxSupportedTransactionVersion must be 0")
        if config.get("commitment") in ("processed", "recent"):
            raise invalid_params("Method does not support commitment below `confirmed`")
        return cls(mentions, encoding, details, config.get("showRewards", True) is not False, max_version)


def accounts_entry(record, max_version: int | None) -> dict:
    """transactionDetails "accounts" (Agave's UiAccountsList): the signatures, the annotated account
    keys, and a meta of fee, status and balances only."""
    entry = {"meta": {"err": record.err, "fee": record.fee, "postBalances": record.post_balances,
                      "postTokenBalances": record.post_token_balances, "preBalances": record.pre_balances,
                      "preTokenBalances": record.pre_token_balances,
                      "status": {"Ok": None} if record.err is None else {"Err": record.err}},
             "transaction": {"accountKeys": account_keys_json(record),
                             "signatures": [str(s) for s in record.transaction.signatures]}}
    if max_version is not None:
        entry["version"] = 0 if isinstance(record.transaction.message, MessageV0) else "legacy"
    return entry


def block_update(chain: Chain, slot: int, options: BlockOptions) -> dict | None:
    """The notification value for `slot`, or None when a mentions filter matches nothing in it."""
    header = chain.block_header(slot)
    if header is None:
        return None
    records = chain.records_in_slot(slot)
    if options.mentions is not None:
        records = [r for r in records if options.mentions in r.account_keys]
        if not records:
            return None
    if options.details in ("full", "accounts") and options.max_version is None and any(isinstance(r.transaction.message, MessageV0) for r in records):
        return {"block": None, "err": {"UnsupportedTransactionVersion": 0}, "slot": slot}
    block = dict(header)
    if options.show_rewards:
        block["rewards"] = []
    if options.details == "signatures":
        block["signatures"] = [str(r.signature) for r in records]
    elif options.details == "accounts":
        block["transactions"] = [accounts_entry(record, options.max_version) for record in records]
    elif options.details == "full":
        block["transactions"] = []
        for record in records:
            entry = transaction_json(record, options.encoding, options.max_version)
            del entry["blockTime"], entry["slot"]
            block["transactions"].append(entry)
    return {"block": block, "err": None, "slot": slot}
