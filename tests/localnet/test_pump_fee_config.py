"""The Fee Program's FeeConfig on the local chain and the fee rates the pump.fun program takes from it.
Written from pump-fun/pump-public-docs alone: idl/pump.json (the fee_config PDA seeds of buy / sell),
idl/pump_fees.json (FeeConfig, FeeTier, Fees layouts and discriminator), docs/FEE_PROGRAM_README.md
(bondingCurveMarketCap, computeFeesBps, calculateFeeTier, transcribed below) and docs/fees.png (the
bonding-curve row: 0.95 % protocol, 0.30 % creator, no LP fee). The schedules with several tiers are
the test's own: mainnet's pump fee config holds whatever its admin sets, which the docs do not list."""
from __future__ import annotations

import hashlib
import struct

import pytest
from solders.account import Account
from solders.instruction import Instruction
from solders.pubkey import Pubkey

from adapters.pumpfun.events import events_from_logs
from adapters.pumpfun.layout_v1 import TradeEvent
from tests.localnet.test_pump_v2 import (
    BUYBACK, FEE_RECIPIENT, PUMP, SOL, TOKEN_2022, Chain, buy_accounts, create_user_ata, disc, pda, v2_accounts, v3_accounts)

FEE_PROGRAM = Pubkey.from_string("pfeeUxB6jkeY1Hxd7CsFCAjcbHA9rWtchMGdZ6VojVZ")
# idl/pump.json, buy.accounts.fee_config.pda: const "fee_config", const <these 32 bytes>, program fee_program
PUMP_ID_SEED = bytes([1, 86, 224, 246, 147, 102, 90, 207, 68, 219, 21, 104, 191, 23, 91, 170, 81, 137, 203, 151,
                      245, 210, 255, 59, 101, 93, 43, 182, 253, 109, 24, 176])
FEE_CONFIG, FEE_CONFIG_BUMP = Pubkey.find_program_address([b"fee_config", PUMP_ID_SEED], FEE_PROGRAM)
FEE_CONFIG_DISCRIMINATOR = bytes([143, 52, 146, 187, 219, 123, 76, 155])   # idl/pump_fees.json accounts.FeeConfig
SUPPLY = 10**15
VSOL, VTOK = 30 * SOL, 1_073_000_000_000_000


def fee_config_bytes(flat: tuple[int, int, int], tiers: list[tuple[int, tuple[int, int, int]]], stable=()) -> bytes:
    """FeeConfig { bump u8, admin pubkey, flat_fees Fees, fee_tiers Vec<FeeTier>, stable_fee_tiers Vec<FeeTier> },
    Fees { lp_fee_bps, protocol_fee_bps, creator_fee_bps: u64 }, FeeTier { market_cap_lamports_threshold u128, fees }."""
    fees = lambda f: struct.pack("<QQQ", *f)    # noqa: E731
    vec = lambda items: struct.pack("<I", len(items)) + b"".join(  # noqa: E731
        threshold.to_bytes(16, "little") + fees(f) for threshold, f in items)
    return FEE_CONFIG_DISCRIMINATOR + bytes([FEE_CONFIG_BUMP]) + bytes(32) + fees(flat) + vec(tiers) + vec(list(stable))


def market_cap(vsol: int, vtok: int) -> int:
    """bondingCurveMarketCap: virtualSolReserves * mintSupply / virtualTokenReserves (BN division floors)."""
    return vsol * SUPPLY // vtok


def calculate_fee_tier(tiers, cap: int) -> tuple[int, int, int]:
    """calculateFeeTier: the first tier below its threshold, else the last tier whose threshold is reached."""
    if cap < tiers[0][0]:
        return tiers[0][1]
    for threshold, fees in reversed(tiers):
        if cap >= threshold:
            return fees
    return tiers[0][1]


def fees_for(tiers, vsol: int, vtok: int, amount: int) -> tuple[int, int, int, int, int]:
    """(protocol bps, creator bps, protocol fee, creator fee, buyback share): fees rounded up, buyback half
    of the protocol fee rounded down (Global.buyback_basis_points 5,000, as test_pump_v2 checks)."""
    _, protocol_bps, creator_bps = calculate_fee_tier(tiers, market_cap(vsol, vtok))
    fee, creator_fee = -(-amount * protocol_bps // 10_000), -(-amount * creator_bps // 10_000)
    return protocol_bps, creator_bps, fee, creator_fee, fee * 5_000 // 10_000


def set_fee_config(chain: Chain, data: bytes) -> None:
    chain.svm.set_account(FEE_CONFIG, Account(lamports=chain.svm.minimum_balance_for_rent_exemption(len(data)),
                                              data=data, owner=FEE_PROGRAM, executable=False, rent_epoch=0))


@pytest.fixture()
def chain():
    return Chain()


def test_fee_config_sits_at_its_pda_with_the_documented_bonding_curve_schedule(chain):
    account = chain.account(FEE_CONFIG)
    assert account is not None and account.owner == FEE_PROGRAM
    data = bytes(account.data)
    assert data[:8] == FEE_CONFIG_DISCRIMINATOR == hashlib.sha256(b"account:FeeConfig").digest()[:8]
    assert data[8] == FEE_CONFIG_BUMP
    assert struct.unpack_from("<QQQ", data, 41) == (0, 95, 30)                      # flat fees
    (count,) = struct.unpack_from("<I", data, 65)
    assert count == 1
    assert int.from_bytes(data[69:85], "little") == 0 and struct.unpack_from("<QQQ", data, 85) == (0, 95, 30)
    assert struct.unpack_from("<I", data, 109) == (0,) and len(data) == 113      # no stable tiers


@pytest.mark.parametrize("above", [0, 1])
def test_the_tier_threshold_is_reached_at_equality(chain, above):
    """Two tiers, the second starting exactly at (or one lamport above) a fresh curve's market cap."""
    tiers = [(0, (0, 95, 30)), (market_cap(VSOL, VTOK) + above, (0, 40, 7))]
    set_fee_config(chain, fee_config_bytes((0, 95, 30), tiers))
    creator = Pubkey.new_unique()
    mint, token_program, _ = chain.new_coin("create_v2", creator)
    user = chain.user.pubkey()
    chain.ok([create_user_ata(user, mint, token_program)])
    tokens = 10**12
    sol_cost = VSOL * tokens // (VTOK - tokens) + 1
    protocol_bps, creator_bps, fee, creator_fee, buyback = fees_for(tiers, VSOL, VTOK, sol_cost)
    assert (protocol_bps, creator_bps) == ((40, 7) if above == 0 else (95, 30))
    vault = pda(b"creator-vault", bytes(creator))
    chain.svm.airdrop(vault, SOL)                                  # no rent top-up in the figures
    before = {k: chain.lamports(k) for k in (user, FEE_RECIPIENT, BUYBACK, vault)}
    result = chain.ok([Instruction(PUMP, disc("buy") + struct.pack("<QQ", tokens, SOL),
                                   buy_accounts(user, mint, creator, token_program))])
    (trade,) = events_from_logs(result.logs()).of_type(TradeEvent)
    assert (trade.fee_basis_points, trade.creator_fee_basis_points, trade.fee, trade.creator_fee) == \
        (protocol_bps, creator_bps, fee, creator_fee)
    assert chain.lamports(FEE_RECIPIENT) - before[FEE_RECIPIENT] == fee - buyback
    assert chain.lamports(BUYBACK) - before[BUYBACK] == buyback
    assert chain.lamports(vault) - before[vault] == creator_fee
    assert before[user] - chain.lamports(user) == sol_cost + fee + creator_fee + 5_000


def test_every_trade_list_takes_the_tier_of_the_curve_before_the_trade(chain):
    """Below the first threshold the first tier applies; a big buy_v2 moves the curve into the second
    tier, which the following sell_v2 and buy_v3 pay; the third tier's threshold needs 128 bits."""
    tiers = [(50 * SOL, (0, 120, 40)), (60 * SOL, (0, 60, 10)), (2**64 + 5, (0, 1, 1))]
    set_fee_config(chain, fee_config_bytes((0, 95, 30), tiers))
    creator = Pubkey.new_unique()
    mint, token_program, _ = chain.new_coin("create_v2", creator)
    user = chain.user.pubkey()
    vault = pda(b"creator-vault", bytes(creator))
    chain.ok([create_user_ata(user, mint, token_program)])
    chain.svm.airdrop(vault, SOL)
    vsol, vtok = VSOL, VTOK

    tokens = 400 * 10**12
    sol_cost = vsol * tokens // (vtok - tokens) + 1
    expected = fees_for(tiers, vsol, vtok, sol_cost)
    assert expected[:2] == (120, 40)
    before = {k: chain.lamports(k) for k in (FEE_RECIPIENT, BUYBACK, vault)}
    result = chain.ok([Instruction(PUMP, disc("buy_v2") + struct.pack("<QQ", tokens, 30 * SOL),
                                   v2_accounts(user, mint, creator, token_program))])
    (trade,) = events_from_logs(result.logs()).of_type(TradeEvent)
    assert (trade.fee_basis_points, trade.creator_fee_basis_points, trade.fee, trade.creator_fee) == expected[:4]
    assert chain.lamports(FEE_RECIPIENT) - before[FEE_RECIPIENT] == expected[2] - expected[4]
    assert chain.lamports(vault) - before[vault] == expected[3]
    vsol, vtok = vsol + sol_cost, vtok - tokens
    assert market_cap(vsol, vtok) >= 60 * SOL

    sold = 10**12
    sol_out = vsol * sold // (vtok + sold)
    expected = fees_for(tiers, vsol, vtok, sol_out)
    assert expected[:2] == (60, 10)
    before = {k: chain.lamports(k) for k in (user, FEE_RECIPIENT, BUYBACK, vault)}
    result = chain.ok([Instruction(PUMP, disc("sell_v2") + struct.pack("<QQ", sold, 0),
                                   v2_accounts(user, mint, creator, token_program, is_buy=False))])
    (trade,) = events_from_logs(result.logs()).of_type(TradeEvent)
    assert (trade.fee_basis_points, trade.creator_fee_basis_points, trade.fee, trade.creator_fee) == expected[:4]
    assert chain.lamports(user) - before[user] == sol_out - expected[2] - expected[3] - 5_000
    assert chain.lamports(FEE_RECIPIENT) - before[FEE_RECIPIENT] == expected[2] - expected[4]
    assert chain.lamports(BUYBACK) - before[BUYBACK] == expected[4]
    assert chain.lamports(vault) - before[vault] == expected[3]
    vsol, vtok = vsol - sol_out, vtok + sold

    tokens = 10**12
    sol_cost = vsol * tokens // (vtok - tokens) + 1
    expected = fees_for(tiers, vsol, vtok, sol_cost)
    result = chain.ok([Instruction(PUMP, disc("buy_v3") + struct.pack("<QQ", tokens, 2 * SOL),
                                   v3_accounts(user, mint, token_program))])
    (trade,) = events_from_logs(result.logs()).of_type(TradeEvent)
    assert (trade.fee_basis_points, trade.creator_fee_basis_points, trade.fee, trade.creator_fee) == expected[:4]


def test_without_a_fee_config_the_rates_are_globals(chain):
    """computeFeesBps: feeConfig null -> Global.fee_basis_points / creator_fee_basis_points (95 / 30 here)."""
    set_fee_config(chain, fee_config_bytes((0, 95, 30), [(0, (0, 10, 10))]))
    chain.svm.set_account(FEE_CONFIG, Account(lamports=0, data=b"", owner=Pubkey.default(), executable=False, rent_epoch=0))
    creator = Pubkey.new_unique()
    mint, token_program, _ = chain.new_coin("create_v2", creator)
    user = chain.user.pubkey()
    chain.ok([create_user_ata(user, mint, token_program)])
    result = chain.ok([Instruction(PUMP, disc("buy") + struct.pack("<QQ", 10**12, SOL),
                                   buy_accounts(user, mint, creator, token_program))])
    (trade,) = events_from_logs(result.logs()).of_type(TradeEvent)
    assert (trade.fee_basis_points, trade.creator_fee_basis_points) == (95, 30)


def test_a_usdc_paired_coin_pays_the_stable_tiers(chain):
    """An assumption, not in the docs' prose: FeeConfig.stable_fee_tiers (and get_fees' is_new_quote_mint)
    price coins paired with a quote token; a SOL-paired coin keeps fee_tiers."""
    from tests.localnet.test_pump_usdc import USDC, USDC_VIRTUAL, create_usdc_coin, fund_usdc
    tiers, stable = [(0, (0, 95, 30))], [(0, (0, 50, 20)), (10**30, (0, 1, 1))]
    set_fee_config(chain, fee_config_bytes((0, 95, 30), tiers, stable))
    creator = Pubkey.new_unique()
    mint, _ = create_usdc_coin(chain, creator)
    user = chain.user.pubkey()
    fund_usdc(chain, user, 100 * 10**6)
    chain.ok([create_user_ata(user, mint, TOKEN_2022)])
    tokens = 10**12
    cost = USDC_VIRTUAL * tokens // (VTOK - tokens) + 1
    expected = fees_for(stable, USDC_VIRTUAL, VTOK, cost)
    assert expected[:2] == (50, 20)
    result = chain.ok([Instruction(PUMP, disc("buy_v2") + struct.pack("<QQ", tokens, 10 * 10**6),
                                   v2_accounts(user, mint, creator, TOKEN_2022, quote_mint=USDC))])
    (trade,) = events_from_logs(result.logs()).of_type(TradeEvent)
    assert (trade.fee_basis_points, trade.creator_fee_basis_points, trade.fee, trade.creator_fee) == expected[:4]
    sol_mint, _, _ = chain.new_coin("create_v2", creator)
    chain.ok([create_user_ata(user, sol_mint, TOKEN_2022)])
    result = chain.ok([Instruction(PUMP, disc("buy_v2") + struct.pack("<QQ", tokens, SOL),
                                   v2_accounts(user, sol_mint, creator, TOKEN_2022))])
    (trade,) = events_from_logs(result.logs()).of_type(TradeEvent)
    assert (trade.fee_basis_points, trade.creator_fee_basis_points) == (95, 30)
