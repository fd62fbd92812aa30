"""PumpSwap account layouts: GlobalConfig and Pool (field order from pump-public-docs)."""
from __future__ import annotations

from dataclasses import dataclass

from solders.pubkey import Pubkey

from adapters.pumpfun.borsh import Layout
from adapters.pumpfun.layout_v1 import ZERO_KEY, anchor_discriminator

POOL_SPACE = 300                 # Pool accounts were extended to 300 bytes (creator-fee upgrade)
TOKEN_ACCOUNT_AMOUNT_OFFSET = 64


@dataclass(frozen=True)
class GlobalConfig:
    admin: Pubkey
    lp_fee_basis_points: int
    protocol_fee_basis_points: int
    disable_flags: int
    protocol_fee_recipients: tuple[Pubkey, ...]
    coin_creator_fee_basis_points: int = 0
    admin_set_coin_creator_authority: Pubkey = ZERO_KEY
    whitelist_pda: Pubkey = ZERO_KEY
    reserved_fee_recipient: Pubkey = ZERO_KEY
    mayhem_mode_enabled: bool = False
    reserved_fee_recipients: tuple[Pubkey, ...] = (ZERO_KEY,) * 7
    is_cashback_enabled: bool = False
    buyback_fee_recipients: tuple[Pubkey, ...] = (ZERO_KEY,) * 8
    buyback_basis_points: int = 0


GLOBAL_CONFIG = Layout(GlobalConfig, anchor_discriminator("account", "GlobalConfig"),
                       ("pubkey", "u64", "u64", "u8", "pubkey*8", "u64", "pubkey", "pubkey", "pubkey", "bool",
                        "pubkey*7", "bool", "pubkey*8", "u64"), required=5)


@dataclass(frozen=True)
class Pool:
    pool_bump: int
    index: int
    creator: Pubkey
    base_mint: Pubkey
    quote_mint: Pubkey
    lp_mint: Pubkey
    pool_base_token_account: Pubkey
    pool_quote_token_account: Pubkey
    lp_supply: int
    coin_creator: Pubkey = ZERO_KEY
    is_mayhem_mode: bool = False
    is_cashback_coin: bool = False


POOL = Layout(Pool, anchor_discriminator("account", "Pool"),
              ("u8", "u16", "pubkey", "pubkey", "pubkey", "pubkey", "pubkey", "pubkey", "u64", "pubkey", "bool", "bool"),
              required=9)


def token_account_amount(data: bytes) -> int:
    """The amount of an SPL token account (raw units)."""
    if len(data) < TOKEN_ACCOUNT_AMOUNT_OFFSET + 8:
        raise ValueError("not a token account")
    return int.from_bytes(data[TOKEN_ACCOUNT_AMOUNT_OFFSET:TOKEN_ACCOUNT_AMOUNT_OFFSET + 8], "little")
