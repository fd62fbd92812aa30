"""PumpSwap program id, fixed PDAs and the canonical pool of a graduated pump.fun coin
(pump-public-docs PUMP_SWAP_README.md and PUMP_SWAP_CREATOR_FEE_README.md)."""
from __future__ import annotations

import struct
from functools import lru_cache

from solders.pubkey import Pubkey

from adapters.pumpfun.addresses import (ASSOCIATED_TOKEN_PROGRAM, FEE_PROGRAM, MAINNET_BUYBACK_FEE_RECIPIENTS,
                                        PUMP_PROGRAM, PUMP_SWAP_PROGRAM, SYSTEM_PROGRAM, TOKEN_PROGRAM, WSOL_MINT,
                                        associated_token_address)

PROGRAM = PUMP_SWAP_PROGRAM
GLOBAL_CONFIG = Pubkey.find_program_address([b"global_config"], PROGRAM)[0]    # ADyA8hde... on mainnet
EVENT_AUTHORITY = Pubkey.find_program_address([b"__event_authority"], PROGRAM)[0]
GLOBAL_VOLUME_ACCUMULATOR = Pubkey.find_program_address([b"global_volume_accumulator"], PROGRAM)[0]
FEE_CONFIG = Pubkey.find_program_address([b"fee_config", bytes(PROGRAM)], FEE_PROGRAM)[0]   # idl/pump_amm.json
CANONICAL_POOL_INDEX = 0

# GlobalConfig.protocol_fee_recipients on mainnet (PUMP_SWAP_README.md)
MAINNET_PROTOCOL_FEE_RECIPIENTS = tuple(Pubkey.from_string(k) for k in (
    "62qc2CNXwrYqQScmEdiZFFAnJR262PxWEuNQtxfafNgV",
    "7VtfL8fvgNfhz17qKRMjzQEXgbdpnHHHQRh54R9jP2RJ",
    "7hTckgnGnLQR6sdH7YkqFTAA7VwTfYFaZ6EhEsU3saCX",
    "9rPYyANsfQZw3DnDmKE3YCQF5E8oD89UXoHn9JFEhJUz",
    "AVmoTthdrX6tKt4nDjco2D775W2YK3sDhxPcMmzUAmTY",
    "FWsW1xNtWscwNmKv6wVsU1iTzRN6wmmk3MjxRP5tT7hz",
    "G5UZAVbAf46s7cKWoyKu8kYTip9DGTpbLZ2qa9Aq69dP",
    "JCRGumoE9Qi5BBgULTgdgTLjSgkCMSbF62ZZfGs84JeU",
))

# the 8 buyback fee recipients "common for both programs" (BREAKING_FEE_RECIPIENT.md); GlobalConfig lists them
# as buyback_fee_recipients, and a config that leaves them unset falls back to these
MAINNET_POOL_BUYBACK_FEE_RECIPIENTS = MAINNET_BUYBACK_FEE_RECIPIENTS

__all__ = ["ASSOCIATED_TOKEN_PROGRAM", "FEE_PROGRAM", "SYSTEM_PROGRAM", "TOKEN_PROGRAM", "WSOL_MINT",
           "associated_token_address"]


@lru_cache(maxsize=4096)
def pool_authority(mint: Pubkey) -> Pubkey:
    """The pump program PDA that creates a graduated coin's canonical pool."""
    return Pubkey.find_program_address([b"pool-authority", bytes(mint)], PUMP_PROGRAM)[0]


def pool_address(index: int, creator: Pubkey, base_mint: Pubkey, quote_mint: Pubkey = WSOL_MINT) -> Pubkey:
    seeds = [b"pool", struct.pack("<H", index), bytes(creator), bytes(base_mint), bytes(quote_mint)]
    return Pubkey.find_program_address(seeds, PROGRAM)[0]


@lru_cache(maxsize=4096)
def canonical_pool(mint: Pubkey) -> Pubkey:
    """The pool a completed bonding curve migrates to: index 0, creator = pool_authority(mint), WSOL quote."""
    return pool_address(CANONICAL_POOL_INDEX, pool_authority(mint), mint, WSOL_MINT)


def pool_vaults(pool: Pubkey, base_mint: Pubkey, quote_mint: Pubkey = WSOL_MINT,
                base_token_program: Pubkey = TOKEN_PROGRAM) -> tuple[Pubkey, Pubkey]:
    """(pool_base_token_account, pool_quote_token_account): the pool's ATAs (a create_v2 coin's under Token-2022)."""
    return associated_token_address(pool, base_mint, base_token_program), associated_token_address(pool, quote_mint)


@lru_cache(maxsize=4096)
def pool_v2(base_mint: Pubkey) -> Pubkey:
    """["pool-v2", base_mint]: the account that follows the IDL's list on every buy/sell since the
    fee-recipient upgrade (BREAKING_FEE_RECIPIENT.md; seeds as pump-swap-sdk's poolV2Pda)."""
    return Pubkey.find_program_address([b"pool-v2", bytes(base_mint)], PROGRAM)[0]


def coin_creator_vault_authority(coin_creator: Pubkey) -> Pubkey:
    """["creator_vault", Pool.coin_creator] (PUMP_SWAP_CREATOR_FEE_README.md)."""
    return Pubkey.find_program_address([b"creator_vault", bytes(coin_creator)], PROGRAM)[0]


def coin_creator_vault_ata(coin_creator: Pubkey, quote_mint: Pubkey = WSOL_MINT,
                           quote_token_program: Pubkey = TOKEN_PROGRAM) -> Pubkey:
    return associated_token_address(coin_creator_vault_authority(coin_creator), quote_mint, quote_token_program)


def user_volume_accumulator(user: Pubkey) -> Pubkey:
    """The AMM's own ["user_volume_accumulator", user] (not the pump program's)."""
    return Pubkey.find_program_address([b"user_volume_accumulator", bytes(user)], PROGRAM)[0]
