"""The lp, protocol and coin-creator fee rates a PumpSwap trade pays (docs/FEE_PROGRAM_README.md:
computeFeesBps, getFees, calculateFeeTier). With the Fee Program's FeeConfig at
["fee_config", pump_amm id] (addresses.FEE_CONFIG), a canonical pool (Pool.creator is the pump
program's pool-authority PDA of its base mint) pays the tier of its market cap (quote reserve x base
mint supply / base reserve, in the quote's units: lamports for SOL) and any other pool the flat
fees; without that account, GlobalConfig's rates. A pool quoted in a token (USDC) reads
stable_fee_tiers when there are some (an assumption, as the local pump program). No creator fee on
a pool without a coin creator. FeeConfig layout: idl/pump_fees.json."""
from __future__ import annotations

import struct
from dataclasses import dataclass

from solders.pubkey import Pubkey

from adapters.pumpfun.layout_v1 import anchor_discriminator
from adapters.pumpswap import addresses as addr
from adapters.pumpswap.amm import FeeRates, Reserves

FEE_CONFIG_DISCRIMINATOR = anchor_discriminator("account", "FeeConfig")
_FEES = struct.Struct("<QQQ")          # lp_fee_bps, protocol_fee_bps, creator_fee_bps
_TIER_SIZE = 16 + _FEES.size           # market_cap_lamports_threshold u128, then Fees


class FeeConfigError(ValueError):
    """Bytes that are not a FeeConfig account."""


@dataclass(frozen=True)
class FeeTier:
    market_cap_threshold: int
    fees: FeeRates


@dataclass(frozen=True)
class FeeConfig:
    flat_fees: FeeRates
    fee_tiers: tuple[FeeTier, ...]
    stable_fee_tiers: tuple[FeeTier, ...] = ()
    admin: Pubkey = Pubkey.default()
    bump: int = 0


def _tiers(data: bytes, pos: int) -> tuple[tuple[FeeTier, ...], int]:
    if len(data) < pos + 4:
        raise FeeConfigError("FeeConfig cut short")
    (count,) = struct.unpack_from("<I", data, pos)
    pos += 4
    if len(data) < pos + count * _TIER_SIZE:
        raise FeeConfigError("FeeConfig tiers cut short")
    tiers = tuple(FeeTier(int.from_bytes(data[at:at + 16], "little"), FeeRates(*_FEES.unpack_from(data, at + 16)))
                  for at in range(pos, pos + count * _TIER_SIZE, _TIER_SIZE))
    return tiers, pos + count * _TIER_SIZE


def decode_fee_config(data: bytes) -> FeeConfig:
    data = bytes(data)
    if data[:8] != FEE_CONFIG_DISCRIMINATOR or len(data) < 8 + 1 + 32 + _FEES.size:
        raise FeeConfigError("not a FeeConfig account")
    flat = FeeRates(*_FEES.unpack_from(data, 41))
    tiers, pos = _tiers(data, 41 + _FEES.size)
    stable = _tiers(data, pos)[0] if len(data) >= pos + 4 else ()
    return FeeConfig(flat, tiers, stable, Pubkey(data[9:41]), data[8])


def encode_fee_config(config: FeeConfig) -> bytes:
    def tiers(items) -> bytes:
        return struct.pack("<I", len(items)) + b"".join(
            tier.market_cap_threshold.to_bytes(16, "little") + _FEES.pack(*tier.fees) for tier in items)
    return (FEE_CONFIG_DISCRIMINATOR + bytes([config.bump]) + bytes(config.admin) + _FEES.pack(*config.flat_fees)
            + tiers(config.fee_tiers) + tiers(config.stable_fee_tiers))


def pool_market_cap(reserves: Reserves, base_mint_supply: int) -> int:
    """poolMarketCap: quote reserve x base mint supply / base reserve (floor)."""
    if reserves.base == 0:
        raise ZeroDivisionError("pool base token reserves cannot be zero")
    return reserves.quote * base_mint_supply // reserves.base


def calculate_fee_tier(tiers: tuple[FeeTier, ...], market_cap: int) -> FeeRates:
    """The first tier below the first threshold, else the last tier whose threshold it reaches."""
    if market_cap < tiers[0].market_cap_threshold:
        return tiers[0].fees
    for tier in reversed(tiers):
        if market_cap >= tier.market_cap_threshold:
            return tier.fees
    return tiers[0].fees


def is_canonical_pool(pool) -> bool:
    """Pool.creator (not coin_creator) is the pump program's pool authority of the base mint."""
    return pool.creator == addr.pool_authority(pool.base_mint)


def pool_fee_rates(config, pool, fee_config: FeeConfig | None, reserves: Reserves, base_mint_supply: int) -> FeeRates:
    """The rates the program charges a trade on `pool` (layout.Pool) under `config` (layout.GlobalConfig)
    at `reserves`, the pool vaults' balances before it."""
    if fee_config is None:
        rates = FeeRates(config.lp_fee_basis_points, config.protocol_fee_basis_points,
                         config.coin_creator_fee_basis_points)
    elif is_canonical_pool(pool):
        tiers = fee_config.fee_tiers
        if pool.quote_mint != addr.WSOL_MINT and fee_config.stable_fee_tiers:
            tiers = fee_config.stable_fee_tiers
        if not tiers:
            raise FeeConfigError("FeeConfig has no fee tiers")
        rates = calculate_fee_tier(tiers, pool_market_cap(reserves, base_mint_supply))
    else:
        rates = fee_config.flat_fees
    return rates._replace(coin_creator_fee_bps=0) if pool.coin_creator == Pubkey.default() else rates
