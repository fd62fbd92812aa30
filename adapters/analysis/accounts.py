"""Pure parsers of on-chain bytes an analysis reads: the SPL mint, Token-2022 TLV extensions,
Metaplex metadata and Token-2022 TokenMetadata. Layouts follow the spl-token-2022 and
mpl-token-metadata sources; everything here takes bytes and returns plain values."""
from __future__ import annotations

import struct
from dataclasses import dataclass

MINT_BASE_SIZE = 82          # COption<Pubkey> mint auth, u64 supply, u8 decimals, bool init, COption freeze
ACCOUNT_BASE_SIZE = 165      # an extended mint is padded to the token-account size...
ACCOUNT_TYPE_MINT = 1        # ...then one AccountType byte, then TLV entries (u16 type, u16 length)
TLV_START = ACCOUNT_BASE_SIZE + 1

# spl-token-2022 ExtensionType numbers
TRANSFER_FEE_CONFIG = 1
MINT_CLOSE_AUTHORITY = 3
DEFAULT_ACCOUNT_STATE = 6
NON_TRANSFERABLE = 9
PERMANENT_DELEGATE = 12
TRANSFER_HOOK = 14
TOKEN_METADATA = 19
PAUSABLE = 26
ACCOUNT_STATE_FROZEN = 2
ZERO_KEY = bytes(32)


@dataclass(frozen=True)
class MintFacts:
    mint_authority_revoked: bool
    freeze_authority_revoked: bool
    supply: int
    decimals: int
    extensions: dict          # extension type -> raw value bytes (Token-2022 only)

    def risky_extensions(self) -> tuple[str, ...]:
        """Extensions that let someone tax, block, seize, freeze or close holders' tokens."""
        return risky_extensions(self.extensions)


def parse_mint_authorities(data: bytes) -> tuple[bool, bool, int]:
    """(mint authority revoked, freeze authority revoked, supply) from a mint account's bytes."""
    mint = parse_mint(data)
    return mint.mint_authority_revoked, mint.freeze_authority_revoked, mint.supply


def parse_mint(data: bytes) -> MintFacts:
    if len(data) < MINT_BASE_SIZE:
        raise ValueError(f"mint account too short ({len(data)} bytes)")
    mint_authority_set = int.from_bytes(data[0:4], "little") != 0
    supply = int.from_bytes(data[36:44], "little")
    freeze_authority_set = int.from_bytes(data[46:50], "little") != 0
    return MintFacts(not mint_authority_set, not freeze_authority_set, supply, data[44],
                     parse_extensions(data))


def parse_extensions(data: bytes) -> dict:
    """TLV entries of a Token-2022 mint; {} for a base-size mint. Raises on a malformed tail."""
    if len(data) <= MINT_BASE_SIZE:
        return {}
    if len(data) <= ACCOUNT_BASE_SIZE or data[ACCOUNT_BASE_SIZE] != ACCOUNT_TYPE_MINT:
        raise ValueError("extended mint without the Mint account-type byte at offset 165")
    found, pos = {}, TLV_START
    while pos + 4 <= len(data):
        ext_type, length = struct.unpack_from("<HH", data, pos)
        if ext_type == 0:        # Uninitialized: the rest is padding
            break
        if pos + 4 + length > len(data):
            raise ValueError(f"extension {ext_type} overruns the account ({length} bytes)")
        found[ext_type] = bytes(data[pos + 4:pos + 4 + length])
        pos += 4 + length
    return found


def risky_extensions(extensions: dict) -> tuple[str, ...]:
    risky = []
    fee = extensions.get(TRANSFER_FEE_CONFIG)
    if fee is not None and len(fee) >= 108:
        older_bps = int.from_bytes(fee[88:90], "little")
        newer_bps = int.from_bytes(fee[106:108], "little")
        if older_bps or newer_bps or fee[0:32] != ZERO_KEY:   # a fee now, or an authority that can set one
            risky.append(f"transfer fee {max(older_bps, newer_bps)} bps")
    hook = extensions.get(TRANSFER_HOOK)
    if hook is not None and hook[32:64] != ZERO_KEY:
        risky.append("transfer hook")
    delegate = extensions.get(PERMANENT_DELEGATE)
    if delegate is not None and delegate[0:32] != ZERO_KEY:
        risky.append("permanent delegate")
    state = extensions.get(DEFAULT_ACCOUNT_STATE)
    if state is not None and state[:1] == bytes([ACCOUNT_STATE_FROZEN]):
        risky.append("default account state frozen")
    close = extensions.get(MINT_CLOSE_AUTHORITY)
    if close is not None and close[0:32] != ZERO_KEY:
        risky.append("mint close authority")
    if NON_TRANSFERABLE in extensions:
        risky.append("non-transferable")
    pause = extensions.get(PAUSABLE)
    if pause is not None and pause[0:32] != ZERO_KEY:
        risky.append("pausable")
    return tuple(risky)


@dataclass(frozen=True)
class TokenMetadata:
    name: str
    symbol: str
    uri: str
    update_authority: str | None      # base58; None = nobody can change it
    mutable: bool | None              # None: the account did not say


def _string(data: bytes, pos: int) -> tuple[str, int]:
    if pos + 4 > len(data):
        raise ValueError("metadata string length past the end")
    (length,) = struct.unpack_from("<I", data, pos)
    if pos + 4 + length > len(data):
        raise ValueError("metadata string past the end")
    text = data[pos + 4:pos + 4 + length].rstrip(b"\0").decode("utf-8", errors="replace")
    return text, pos + 4 + length


def _b58(key: bytes) -> str | None:
    from solders.pubkey import Pubkey
    return None if key == ZERO_KEY else str(Pubkey.from_bytes(key))


def parse_metaplex_metadata(data: bytes) -> TokenMetadata:
    """Metaplex Metadata: key u8, update authority, mint, name/symbol/uri (u32-prefixed), seller fee
    u16, Option<Vec<Creator(34 bytes)>>, primary_sale_happened, is_mutable."""
    if len(data) < 65:
        raise ValueError("metadata account too short")
    authority = data[1:33]
    name, pos = _string(data, 65)
    symbol, pos = _string(data, pos)
    uri, pos = _string(data, pos)
    mutable = None
    pos += 2                                  # seller_fee_basis_points
    if pos < len(data):
        if data[pos] == 1:
            count = int.from_bytes(data[pos + 1:pos + 5], "little")
            pos += 5 + 34 * count
        else:
            pos += 1
        if pos + 1 < len(data):               # primary_sale_happened, then is_mutable
            mutable = bool(data[pos + 1])
    return TokenMetadata(name, symbol, uri, _b58(authority), mutable)


def parse_token_metadata_extension(value: bytes) -> TokenMetadata:
    """Token-2022 TokenMetadata: update authority (zero = none), mint, name, symbol, uri, ..."""
    authority = value[0:32]
    name, pos = _string(value, 64)
    symbol, pos = _string(value, pos)
    uri, pos = _string(value, pos)
    updatable = authority != ZERO_KEY
    return TokenMetadata(name, symbol, uri, _b58(authority), updatable)
