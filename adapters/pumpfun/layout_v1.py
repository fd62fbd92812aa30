"""pump.fun account and event layouts, protocol version 1 (field order of pump-public-docs
idl/pump.json; checked against the mainnet samples in shared/data/mainnet).

Amounts are ints (lamports, raw token units). A protocol upgrade is a new layout_vN module.
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from solders.pubkey import Pubkey

from adapters.pumpfun.borsh import Layout, LayoutError

ZERO_KEY = Pubkey.default()


def anchor_discriminator(namespace: str, name: str) -> bytes:
    """sha256("<namespace>:<name>")[:8]: namespace is global (instructions), account or event."""
    return hashlib.sha256(f"{namespace}:{name}".encode()).digest()[:8]


@dataclass(frozen=True)
class Global:
    initialized: bool
    authority: Pubkey
    fee_recipient: Pubkey
    initial_virtual_token_reserves: int
    initial_virtual_sol_reserves: int
    initial_real_token_reserves: int
    token_total_supply: int
    fee_basis_points: int
    withdraw_authority: Pubkey
    enable_migrate: bool
    pool_migration_fee: int
    creator_fee_basis_points: int
    fee_recipients: tuple[Pubkey, ...]
    set_creator_authority: Pubkey = ZERO_KEY
    admin_set_creator_authority: Pubkey = ZERO_KEY
    create_v2_enabled: bool = False
    whitelist_pda: Pubkey = ZERO_KEY
    reserved_fee_recipient: Pubkey = ZERO_KEY
    mayhem_mode_enabled: bool = False
    reserved_fee_recipients: tuple[Pubkey, ...] = (ZERO_KEY,) * 7
    is_cashback_enabled: bool = False
    buyback_fee_recipients: tuple[Pubkey, ...] = (ZERO_KEY,) * 8
    buyback_basis_points: int = 0
    initial_virtual_quote_reserves: int = 0
    whitelisted_quote_mints: tuple[Pubkey, ...] = (ZERO_KEY,)

    def all_fee_recipients(self) -> tuple[Pubkey, ...]:
        return (self.fee_recipient, *self.fee_recipients)


GLOBAL = Layout(Global, anchor_discriminator("account", "Global"), (
    "bool", "pubkey", "pubkey", "u64", "u64", "u64", "u64", "u64", "pubkey", "bool", "u64", "u64", "pubkey*7",
    "pubkey", "pubkey", "bool", "pubkey", "pubkey", "bool", "pubkey*7", "bool", "pubkey*8", "u64", "u64", "pubkey*1"),
    required=13)


@dataclass(frozen=True)
class BondingCurve:
    virtual_token_reserves: int
    virtual_sol_reserves: int
    real_token_reserves: int
    real_sol_reserves: int
    token_total_supply: int
    complete: bool
    creator: Pubkey = ZERO_KEY
    is_mayhem_mode: bool = False
    is_cashback_coin: bool = False
    quote_mint: Pubkey = ZERO_KEY          # default key: a SOL-paired coin


BONDING_CURVE = Layout(BondingCurve, anchor_discriminator("account", "BondingCurve"), (
    "u64", "u64", "u64", "u64", "u64", "bool", "pubkey", "bool", "bool", "pubkey"), required=6)
BONDING_CURVE_SPACE = 151      # a current mainnet curve account; never filter on size


@dataclass(frozen=True)
class CreateEvent:
    name: str
    symbol: str
    uri: str
    mint: Pubkey
    bonding_curve: Pubkey
    user: Pubkey
    creator: Pubkey = ZERO_KEY
    timestamp: int = 0
    virtual_token_reserves: int = 0
    virtual_sol_reserves: int = 0
    real_token_reserves: int = 0
    token_total_supply: int = 0
    token_program: Pubkey = ZERO_KEY
    is_mayhem_mode: bool = False
    is_cashback_enabled: bool = False
    quote_mint: Pubkey = ZERO_KEY
    virtual_quote_reserves: int = 0


CREATE_EVENT = Layout(CreateEvent, anchor_discriminator("event", "CreateEvent"), (
    "string", "string", "string", "pubkey", "pubkey", "pubkey", "pubkey", "i64", "u64", "u64", "u64", "u64",
    "pubkey", "bool", "bool", "pubkey", "u64"), required=6)


@dataclass(frozen=True)
class TradeEvent:
    mint: Pubkey
    sol_amount: int
    token_amount: int
    is_buy: bool
    user: Pubkey
    timestamp: int
    virtual_sol_reserves: int
    virtual_token_reserves: int
    real_sol_reserves: int = 0
    real_token_reserves: int = 0
    fee_recipient: Pubkey = ZERO_KEY
    fee_basis_points: int = 0
    fee: int = 0
    creator: Pubkey = ZERO_KEY
    creator_fee_basis_points: int = 0
    creator_fee: int = 0
    track_volume: bool = False
    total_unclaimed_tokens: int = 0
    total_claimed_tokens: int = 0
    current_sol_volume: int = 0
    last_update_timestamp: int = 0
    ix_name: str = ""
    mayhem_mode: bool = False
    cashback_fee_basis_points: int = 0
    cashback: int = 0
    buyback_fee_basis_points: int = 0
    buyback_fee: int = 0
    shareholders: tuple[tuple[Pubkey, int], ...] = ()
    quote_mint: Pubkey = ZERO_KEY
    quote_amount: int = 0
    virtual_quote_reserves: int = 0
    real_quote_reserves: int = 0


TRADE_EVENT = Layout(TradeEvent, anchor_discriminator("event", "TradeEvent"), (
    "pubkey", "u64", "u64", "bool", "pubkey", "i64", "u64", "u64", "u64", "u64", "pubkey", "u64", "u64",
    "pubkey", "u64", "u64", "bool", "u64", "u64", "u64", "i64", "string", "bool", "u64", "u64", "u64", "u64",
    "shareholders", "pubkey", "u64", "u64", "u64"), required=8)


@dataclass(frozen=True)
class CompleteEvent:
    user: Pubkey
    mint: Pubkey
    bonding_curve: Pubkey
    timestamp: int
    quote_mint: Pubkey = ZERO_KEY


COMPLETE_EVENT = Layout(CompleteEvent, anchor_discriminator("event", "CompleteEvent"), (
    "pubkey", "pubkey", "pubkey", "i64", "pubkey"), required=4)

EVENT_LAYOUTS = {layout.discriminator: layout for layout in (CREATE_EVENT, TRADE_EVENT, COMPLETE_EVENT)}


# ---- Metaplex token metadata (the account pump.fun's create makes; not an Anchor account) ----
@dataclass(frozen=True)
class TokenMetadata:
    update_authority: Pubkey
    mint: Pubkey
    name: str
    symbol: str
    uri: str
    is_mutable: bool


METADATA_KEY_V1 = 4


def decode_token_metadata(data: bytes) -> TokenMetadata:
    """Metaplex Metadata: key, update authority, mint, zero-padded name/symbol/uri, fee, creators, ..."""
    if not data or data[0] != METADATA_KEY_V1:
        raise LayoutError("not a Metaplex Metadata account")
    pos, strings = 65, []
    for _ in range(3):
        if pos + 4 > len(data):
            raise LayoutError("truncated metadata")
        (length,) = struct.unpack_from("<I", data, pos)
        raw = data[pos + 4:pos + 4 + length]
        if len(raw) != length:
            raise LayoutError("truncated metadata")
        strings.append(raw.rstrip(b"\0").decode("utf-8", errors="replace"))
        pos += 4 + length
    pos += 2                                           # seller_fee_basis_points
    if pos >= len(data):
        raise LayoutError("truncated metadata")
    if data[pos]:                                      # creators: Some(vec of 34-byte creators)
        (count,) = struct.unpack_from("<I", data, pos + 1)
        pos += 4 + 34 * count
    pos += 2                                           # creators tag, primary_sale_happened
    if pos >= len(data):
        raise LayoutError("truncated metadata")
    return TokenMetadata(Pubkey.from_bytes(data[1:33]), Pubkey.from_bytes(data[33:65]),
                         strings[0], strings[1], strings[2], data[pos] != 0)
