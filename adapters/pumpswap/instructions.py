"""PumpSwap instruction builders: buy and sell (17 accounts, the pre-volume-accumulator order of
idl/pump_amm.json; the program ignores accounts past 17). Pools are created by pump's `migrate`
(adapters.pumpfun.instructions.build_migrate), which CPIs into the pool program."""
from __future__ import annotations

import struct

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from adapters.pumpfun.layout_v1 import anchor_discriminator
from adapters.pumpswap import addresses as addr

BUY_DISCRIMINATOR = anchor_discriminator("global", "buy")
SELL_DISCRIMINATOR = anchor_discriminator("global", "sell")
U64_MAX = 2**64 - 1


def _u64(name: str, value: int) -> bytes:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= U64_MAX:
        raise ValueError(f"{name} must be an int in [0, 2^64): {value!r}")
    return struct.pack("<Q", value)


def _meta(key: Pubkey, writable: bool = False, signer: bool = False) -> AccountMeta:
    return AccountMeta(key, is_signer=signer, is_writable=writable)


def _swap_accounts(user: Pubkey, base_mint: Pubkey, fee_recipient: Pubkey, base_token_program: Pubkey,
                   quote_mint: Pubkey = addr.WSOL_MINT) -> list[AccountMeta]:
    """quote_mint: an SPL Token quote (WSOL, or USDC for a graduated USDC-paired coin)."""
    pool = (addr.canonical_pool(base_mint) if quote_mint == addr.WSOL_MINT
            else addr.pool_address(addr.CANONICAL_POOL_INDEX, addr.pool_authority(base_mint), base_mint, quote_mint))
    pool_base, pool_quote = addr.pool_vaults(pool, base_mint, quote_mint, base_token_program=base_token_program)
    return [
        _meta(pool), _meta(user, writable=True, signer=True), _meta(addr.GLOBAL_CONFIG),
        _meta(base_mint), _meta(quote_mint),
        _meta(addr.associated_token_address(user, base_mint, base_token_program), writable=True),
        _meta(addr.associated_token_address(user, quote_mint), writable=True),
        _meta(pool_base, writable=True), _meta(pool_quote, writable=True),
        _meta(fee_recipient), _meta(addr.associated_token_address(fee_recipient, quote_mint), writable=True),
        _meta(base_token_program), _meta(addr.TOKEN_PROGRAM), _meta(addr.SYSTEM_PROGRAM),
        _meta(addr.ASSOCIATED_TOKEN_PROGRAM), _meta(addr.EVENT_AUTHORITY), _meta(addr.PROGRAM),
    ]


def build_buy(user: Pubkey, base_mint: Pubkey, fee_recipient: Pubkey, base_amount_out: int,
              max_quote_amount_in: int, base_token_program: Pubkey = addr.TOKEN_PROGRAM,
              quote_mint: Pubkey = addr.WSOL_MINT) -> Instruction:
    """Buy exactly `base_amount_out` from the coin's canonical pool, paying WSOL from the user's WSOL ATA.
    base_token_program: Token-2022 for a graduated create_v2 coin."""
    data = BUY_DISCRIMINATOR + _u64("base_amount_out", base_amount_out) + _u64("max_quote_amount_in", max_quote_amount_in)
    return Instruction(addr.PROGRAM, data, _swap_accounts(user, base_mint, fee_recipient, base_token_program, quote_mint))


def build_sell(user: Pubkey, base_mint: Pubkey, fee_recipient: Pubkey, base_amount_in: int,
               min_quote_amount_out: int, base_token_program: Pubkey = addr.TOKEN_PROGRAM,
               quote_mint: Pubkey = addr.WSOL_MINT) -> Instruction:
    """Sell exactly `base_amount_in` into the coin's canonical pool, receiving WSOL in the user's WSOL ATA."""
    data = SELL_DISCRIMINATOR + _u64("base_amount_in", base_amount_in) + _u64("min_quote_amount_out", min_quote_amount_out)
    return Instruction(addr.PROGRAM, data, _swap_accounts(user, base_mint, fee_recipient, base_token_program, quote_mint))

