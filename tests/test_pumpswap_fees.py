"""adapters/pumpswap/fees.py against pump-public-docs: the FeeConfig bytes of idl/pump_fees.json
(discriminator, bump u8, admin, flat_fees {lp, protocol, creator: u64}, fee_tiers and stable_fee_tiers as
vec<{market_cap_lamports_threshold: u128, fees}>), and docs/FEE_PROGRAM_README.md's computeFeesBps /
getFees / calculateFeeTier / poolMarketCap, with rates from docs/fees.png. Bytes built here by hand."""
from __future__ import annotations

import hashlib
import struct

import pytest
from solders.pubkey import Pubkey

from adapters.pumpswap.amm import Reserves
from adapters.pumpswap.fees import calculate_fee_tier, decode_fee_config, pool_fee_rates, pool_market_cap
from adapters.pumpswap.layout import GlobalConfig, Pool

PUMP = Pubkey.from_string("6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P")
WSOL = Pubkey.from_string("So11111111111111111111111111111111111111112")
USDC = Pubkey.from_string("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
SOL = 10**9


def tier(threshold_sol: int, lp: int, protocol: int, creator: int) -> bytes:
    return (threshold_sol * SOL).to_bytes(16, "little") + struct.pack("<QQQ", lp, protocol, creator)


def fee_config_bytes(stable: list[bytes] = ()) -> bytes:
    tiers = [tier(0, 2, 93, 30), tier(420, 20, 5, 95), tier(1_470, 20, 5, 90)]     # fees.png, first rows
    return (hashlib.sha256(b"account:FeeConfig").digest()[:8] + bytes([254]) + bytes(32)
            + struct.pack("<QQQ", 25, 5, 0)                                          # flat fees
            + struct.pack("<I", len(tiers)) + b"".join(tiers) + struct.pack("<I", len(stable)) + b"".join(stable))


def pool(base_mint: Pubkey, canonical=True, quote=WSOL, coin_creator=None) -> Pool:
    creator = Pubkey.find_program_address([b"pool-authority", bytes(base_mint)], PUMP)[0] if canonical \
        else Pubkey.new_unique()
    return Pool(254, 0, creator, base_mint, quote, Pubkey.new_unique(), Pubkey.new_unique(), Pubkey.new_unique(), 0,
                Pubkey.new_unique() if coin_creator is None else coin_creator)


GLOBAL_CONFIG = GlobalConfig(Pubkey.new_unique(), 20, 5, 0, (Pubkey.new_unique(),) * 8, coin_creator_fee_basis_points=5)
SUPPLY = 10**15                         # 1e9 tokens of 6 decimals


def test_fee_config_bytes_decode():
    config = decode_fee_config(fee_config_bytes())
    assert config.flat_fees == (25, 5, 0) and config.bump == 254
    assert [(t.market_cap_threshold, tuple(t.fees)) for t in config.fee_tiers] == [
        (0, (2, 93, 30)), (420 * SOL, (20, 5, 95)), (1_470 * SOL, (20, 5, 90))]
    assert config.stable_fee_tiers == ()
    with pytest.raises(ValueError):
        decode_fee_config(b"\0" * 8 + fee_config_bytes()[8:])


def test_calculate_fee_tier_as_the_readme():
    tiers = decode_fee_config(fee_config_bytes()).fee_tiers
    assert calculate_fee_tier(tiers, 0) == (2, 93, 30)
    assert calculate_fee_tier(tiers, 420 * SOL - 1) == (2, 93, 30)
    assert calculate_fee_tier(tiers, 420 * SOL) == (20, 5, 95)               # gte: the threshold itself
    assert calculate_fee_tier(tiers, 10**30) == (20, 5, 90)                  # past the last: the last
    first_above_zero = decode_fee_config(fee_config_bytes()[:8 + 1 + 32 + 24] + struct.pack("<I", 1)
                                         + tier(100, 1, 2, 3) + struct.pack("<I", 0)).fee_tiers
    assert calculate_fee_tier(first_above_zero, 5) == (1, 2, 3)              # below the first: the first


def test_pool_market_cap_is_quote_times_supply_over_base():
    assert pool_market_cap(Reserves(base=206_900_000_000_000, quote=85 * SOL), SUPPLY) == \
        85 * SOL * SUPPLY // 206_900_000_000_000
    with pytest.raises(ZeroDivisionError):
        pool_market_cap(Reserves(0, SOL), SUPPLY)


def test_pool_fee_rates_canonical_flat_global_and_no_creator():
    mint, config = Pubkey.new_unique(), decode_fee_config(fee_config_bytes())
    small, large = Reserves(206_900_000_000_000, 85 * SOL), Reserves(100_000_000_000_000, 85 * SOL)   # 411 / 850 SOL
    assert pool_fee_rates(GLOBAL_CONFIG, pool(mint), config, small, SUPPLY) == (2, 93, 30)
    assert pool_fee_rates(GLOBAL_CONFIG, pool(mint), config, large, SUPPLY) == (20, 5, 95)
    assert pool_fee_rates(GLOBAL_CONFIG, pool(mint, canonical=False), config, small, SUPPLY) == (25, 5, 0)   # flat
    assert pool_fee_rates(GLOBAL_CONFIG, pool(mint), None, small, SUPPLY) == (20, 5, 5)     # no FeeConfig: GlobalConfig
    assert pool_fee_rates(GLOBAL_CONFIG, pool(mint, coin_creator=Pubkey.default()), config, small, SUPPLY) == (2, 93, 0)
    stable = decode_fee_config(fee_config_bytes([tier(0, 7, 8, 9)]))
    assert pool_fee_rates(GLOBAL_CONFIG, pool(mint, quote=USDC), stable, small, SUPPLY) == (7, 8, 9)
    assert pool_fee_rates(GLOBAL_CONFIG, pool(mint, quote=USDC), config, small, SUPPLY) == (2, 93, 30)
