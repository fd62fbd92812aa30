"""PumpSwap instruction discriminators and argument encoding shared by the current buy (buy_v2.py)
and sell (instructions_v2.py). The pre-upgrade 17-account lists are gone: the program has refused
them since the fee-recipient upgrade (BREAKING_FEE_RECIPIENT.md). Pools are created by pump's
`migrate` (adapters.pumpfun.instructions.build_migrate), which CPIs into the pool program."""
from __future__ import annotations

import struct

from adapters.pumpfun.layout_v1 import anchor_discriminator

BUY_DISCRIMINATOR = anchor_discriminator("global", "buy")
SELL_DISCRIMINATOR = anchor_discriminator("global", "sell")
U64_MAX = 2**64 - 1


def _u64(name: str, value: int) -> bytes:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= U64_MAX:
        raise ValueError(f"{name} must be an int in [0, 2^64): {value!r}")
    return struct.pack("<Q", value)
