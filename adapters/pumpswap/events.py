"""Decode PumpSwap BuyEvent / SellEvent from `Program data:` log lines (field order of
idl/pump_amm.json: both events share one shape; names below are side-neutral)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from solders.pubkey import Pubkey

from adapters.pumpfun.borsh import Layout, LayoutError
from adapters.pumpfun.events import _log_payloads
from adapters.pumpfun.layout_v1 import ZERO_KEY, anchor_discriminator
from adapters.pumpswap.addresses import PROGRAM


@dataclass(frozen=True)
class SwapEvent:
    timestamp: int
    base_amount: int              # base_amount_out (buy) / base_amount_in (sell)
    quote_limit: int              # max_quote_amount_in / min_quote_amount_out
    user_base_token_reserves: int
    user_quote_token_reserves: int
    pool_base_token_reserves: int  # before the trade
    pool_quote_token_reserves: int
    quote_amount: int             # quote_amount_in / quote_amount_out, before fees
    lp_fee_basis_points: int
    lp_fee: int
    protocol_fee_basis_points: int
    protocol_fee: int
    quote_amount_with_lp_fee: int
    user_quote_amount: int        # paid (buy) / received (sell)
    pool: Pubkey
    user: Pubkey
    user_base_token_account: Pubkey
    user_quote_token_account: Pubkey
    protocol_fee_recipient: Pubkey
    protocol_fee_recipient_token_account: Pubkey
    coin_creator: Pubkey = ZERO_KEY
    coin_creator_fee_basis_points: int = 0
    coin_creator_fee: int = 0
    is_buy: bool = True


_KINDS = ("i64",) + ("u64",) * 13 + ("pubkey",) * 7 + ("u64", "u64")
BUY_EVENT = Layout(SwapEvent, anchor_discriminator("event", "BuyEvent"), _KINDS, required=20)
SELL_EVENT = Layout(SwapEvent, anchor_discriminator("event", "SellEvent"), _KINDS, required=20)


def decode_swap_event(data: bytes) -> SwapEvent | None:
    """A BuyEvent or SellEvent from discriminator + body; None when unknown or truncated."""
    for layout, is_buy in ((BUY_EVENT, True), (SELL_EVENT, False)):
        if bytes(data[:8]) == layout.discriminator:
            try:
                event = layout.decode(bytes(data))
            except (LayoutError, ValueError):
                return None
            return event if is_buy else SwapEvent(**{**event.__dict__, "is_buy": False})
    return None


def swap_events_from_logs(logs: Iterable[str]) -> list[SwapEvent]:
    payloads = _log_payloads(logs, str(PROGRAM))
    return [event for event in (decode_swap_event(p) for p in payloads if p is not None) if event is not None]
