"""Decoding of client-supplied base58/base64 text, with the length bounded before any decoding.

Python's base58 decoder is quadratic: 120,000 characters take seconds, and everything here runs
on the node's one event-loop thread, so an unbounded string would stall every server and the slot
clock. The limits and error texts are Agave's (rpc.rs decode_and_deserialize, rpc-client-types
filter.rs RpcFilterType::verify).
"""
from __future__ import annotations

import base64
import binascii
from functools import lru_cache

PACKET_DATA_SIZE = 1232            # the largest serialized transaction
MAX_TX_BASE58_CHARS = 1683         # Agave: "Golden, bump if PACKET_DATA_SIZE changes"
MAX_TX_BASE64_CHARS = 1644
MAX_MEMCMP_BYTES = 128
MAX_MEMCMP_BASE58_CHARS = 175
MAX_MEMCMP_BASE64_CHARS = 172
TRANSACTION_TYPE_NAME = "solana_transaction::versioned::VersionedTransaction"


_BASE58_DIGITS = {c: i for i, c in enumerate("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")}


@lru_cache(maxsize=256)
def _power_of_58(exponent: int) -> int:
    return 58 ** exponent


def _base58_value(digits: list[int], lo: int, hi: int) -> int:
    # split in halves so big multiplications use Karatsuba: ~4x faster than digit by digit at 1,683
    if hi - lo <= 16:
        acc = 0
        for digit in digits[lo:hi]:
            acc = acc * 58 + digit
        return acc
    middle = hi - (hi - lo) // 2
    return _base58_value(digits, lo, middle) * _power_of_58(hi - middle) + _base58_value(digits, middle, hi)


def b58decode(text: str) -> bytes:
    """Bitcoin-alphabet base58 to bytes (leading '1's are zero bytes); ValueError on a bad character."""
    try:
        digits = [_BASE58_DIGITS[c] for c in text]
    except KeyError as bad:
        raise ValueError(f"invalid base58 character {bad.args[0]!r}") from None
    value = _base58_value(digits, 0, len(digits))
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + (value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b"")


class DecodeRefused(ValueError):
    """The text is too long or not valid; str() is the message the real RPC returns."""


def decode_transaction_bytes(text: str, kind: str) -> bytes:
    """The wire bytes of a base58/base64 transaction; Agave's invalid-params messages on refusal."""
    limit = MAX_TX_BASE58_CHARS if kind == "base58" else MAX_TX_BASE64_CHARS
    if len(text) > limit:
        raise DecodeRefused(f"{kind} encoded {TRANSACTION_TYPE_NAME} too large: {len(text)} bytes "
                            f"(max: encoded/raw {limit}/{PACKET_DATA_SIZE})")
    try:
        raw = base64.b64decode(text, validate=True) if kind == "base64" else b58decode(text)
    except (ValueError, binascii.Error) as bad:
        raise DecodeRefused(f"invalid {kind} encoding: {bad}") from None
    if len(raw) > PACKET_DATA_SIZE:
        raise DecodeRefused(f"decoded {TRANSACTION_TYPE_NAME} too large: {len(raw)} bytes "
                            f"(max: {PACKET_DATA_SIZE} bytes)")
    return raw


def decode_memcmp_bytes(text: str, kind: str) -> bytes:
    """The bytes of an RPC memcmp filter; the message is Agave's `Invalid param: {RpcFilterError:?}`."""
    if kind not in ("base58", "base64"):
        raise DecodeRefused(f"Invalid param: unknown memcmp encoding {kind!r}")
    limit = MAX_MEMCMP_BASE58_CHARS if kind == "base58" else MAX_MEMCMP_BASE64_CHARS
    if len(text) > limit:
        raise DecodeRefused("Invalid param: DataTooLarge")
    try:
        wanted = base64.b64decode(text, validate=True) if kind == "base64" else b58decode(text)
    except (ValueError, binascii.Error):
        raise DecodeRefused(f"Invalid param: {'Base64' if kind == 'base64' else 'Base58'}DecodeError") from None
    if len(wanted) > MAX_MEMCMP_BYTES:
        raise DecodeRefused("Invalid param: DataTooLarge")
    return wanted
