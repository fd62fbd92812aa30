"""Cashback coins (docs/PUMP_CASHBACK_README.md, docs/instructions/CLAIM_CASHBACK.md, idl/pump.json): the
creator fee of a cashback coin's trade goes to the trader's user volume accumulator, and claim_cashback /
claim_cashback_v2 pay it out. Client written from the docs; the mainnet create_v2 transaction in
tests/data (a cashback coin) fixes the figures of a 3 SOL buy_exact_sol_in."""
from __future__ import annotations

import struct

import pytest
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from adapters.pumpfun.events import events_from_logs
from adapters.pumpfun.layout_v1 import TradeEvent
from tests.localnet.test_pump_usdc import USDC, create_usdc_coin, fund_usdc, usdc_balance
from tests.localnet.test_pump_v2 import (
    ATA_PROGRAM, PUMP, SOL, SYSTEM, TOKEN, TOKEN_2022, VOLUME_RENT, WSOL, Chain, ata, buy_accounts, create_user_ata,
    disc, mainnet_buy_exact_sol_in, pda, ro, sell_accounts, v2_accounts, w)

EVENT_AUTHORITY = pda(b"__event_authority")


def accumulator(user: Pubkey) -> Pubkey:
    return pda(b"user_volume_accumulator", bytes(user))


def cashback_fields(chain: Chain, user: Pubkey) -> tuple[int, int, int, int]:
    """UserVolumeAccumulator: cashback_earned, total_cashback_claimed, stable_cashback_earned,
    total_stable_cashback_claimed (u64s after user, needs_claim, three u64s, an i64 and a bool: offset 74)."""
    return struct.unpack_from("<QQQQ", bytes(chain.account(accumulator(user)).data), 74)


def claim_cashback(user: Pubkey) -> Instruction:
    return Instruction(PUMP, disc("claim_cashback"), [w(user), w(accumulator(user)), ro(SYSTEM), ro(EVENT_AUTHORITY),
                                                      ro(PUMP)])


def claim_cashback_v2(user: Pubkey, quote_mint: Pubkey, quote_program: Pubkey = TOKEN) -> Instruction:
    """CLAIM_CASHBACK.md accounts 1-10."""
    volume = accumulator(user)
    return Instruction(PUMP, disc("claim_cashback_v2"), [
        w(user), w(volume), ro(quote_mint), ro(quote_program), ro(ATA_PROGRAM), w(ata(volume, quote_mint, quote_program)),
        w(ata(user, quote_mint, quote_program)), ro(SYSTEM), ro(EVENT_AUTHORITY), ro(PUMP)])


@pytest.fixture()
def chain():
    return Chain()


def test_a_cashback_coins_buy_pays_the_trader_as_the_mainnet_trade(chain):
    real = mainnet_buy_exact_sol_in()
    assert (real.creator_fee, real.cashback_fee_basis_points, real.cashback) == (0, 30, 8_888_889)
    creator = Pubkey.new_unique()
    mint, token_program, _ = chain.new_coin("create_v2", creator, cashback=True)
    user = chain.user.pubkey()
    vault = pda(b"creator-vault", bytes(creator))
    chain.ok([create_user_ata(user, mint, token_program)])
    before = {k: chain.lamports(k) for k in (user, vault)}
    data = disc("buy_exact_sol_in") + struct.pack("<QQ", 3 * SOL, real.token_amount) + bytes([0])
    result = chain.ok([Instruction(PUMP, data, buy_accounts(user, mint, creator, token_program))])
    (trade,) = events_from_logs(result.logs()).of_type(TradeEvent)
    assert (trade.sol_amount, trade.token_amount, trade.fee, trade.buyback_fee) == \
        (real.sol_amount, real.token_amount, real.fee, real.buyback_fee)
    assert (trade.creator_fee_basis_points, trade.creator_fee, trade.cashback_fee_basis_points, trade.cashback) == \
        (real.creator_fee_basis_points, real.creator_fee, real.cashback_fee_basis_points, real.cashback)
    # the mainnet accumulator went from its rent (1,844,400) to rent + cashback; here the buy creates it
    assert chain.lamports(accumulator(user)) == VOLUME_RENT + real.cashback
    assert chain.lamports(vault) == before[vault]
    assert before[user] - chain.lamports(user) == 3 * SOL + VOLUME_RENT + 5_000
    assert cashback_fields(chain, user)[0] == real.cashback


def test_sells_pay_cashback_with_the_accumulator_and_claims_pay_it_out(chain):
    creator = Pubkey.new_unique()
    mint, token_program, _ = chain.new_coin("create_v2", creator, cashback=True)
    user = chain.user.pubkey()
    vault = pda(b"creator-vault", bytes(creator))
    chain.ok([create_user_ata(user, mint, token_program)])
    chain.ok([Instruction(PUMP, disc("buy") + struct.pack("<QQ", 10**13, 10 * SOL), buy_accounts(user, mint, creator, token_program))])
    vsol, vtok = chain.curve(mint).virtual_sol_reserves, chain.curve(mint).virtual_token_reserves
    earned = cashback_fields(chain, user)[0]

    # legacy sell with the accumulator as remaining account 0: the creator fee is the seller's cashback
    tokens = 10**12
    sol_out = vsol * tokens // (vtok + tokens)
    creator_part = -(-sol_out * 30 // 10_000)
    before = {k: chain.lamports(k) for k in (accumulator(user), vault)}
    result = chain.ok([Instruction(PUMP, disc("sell") + struct.pack("<QQ", tokens, 0),
                                   sell_accounts(user, mint, creator, token_program) + [w(accumulator(user))])])
    (trade,) = events_from_logs(result.logs()).of_type(TradeEvent)
    assert (trade.creator_fee, trade.cashback, trade.cashback_fee_basis_points) == (0, creator_part, 30)
    assert chain.lamports(accumulator(user)) - before[accumulator(user)] == creator_part
    assert chain.lamports(vault) == before[vault]
    earned += creator_part
    vsol, vtok = vsol - sol_out, vtok + tokens

    # without it the creator fee goes to the creator, as for any coin (the vault funded first: a cashback
    # coin's buys never fill it, and a legacy sell does not top an empty vault up to rent-exempt)
    chain.svm.airdrop(vault, SOL)
    sol_out = vsol * tokens // (vtok + tokens)
    result = chain.ok([Instruction(PUMP, disc("sell") + struct.pack("<QQ", tokens, 0),
                                   sell_accounts(user, mint, creator, token_program))])
    (trade,) = events_from_logs(result.logs()).of_type(TradeEvent)
    assert (trade.creator_fee, trade.cashback) == (-(-sol_out * 30 // 10_000), 0)
    vsol, vtok = vsol - sol_out, vtok + tokens

    # sell_v2 names the accumulator itself
    sol_out = vsol * tokens // (vtok + tokens)
    chain.ok([Instruction(PUMP, disc("sell_v2") + struct.pack("<QQ", tokens, 0),
                          v2_accounts(user, mint, creator, token_program, is_buy=False))])
    earned += -(-sol_out * 30 // 10_000)
    assert cashback_fields(chain, user)[0] == earned
    assert chain.lamports(accumulator(user)) == VOLUME_RENT + earned

    # claim_cashback: permissionless (a stranger pays and signs), everything above rent to the user
    stranger = Keypair()
    chain.svm.airdrop(stranger.pubkey(), SOL)
    before = chain.lamports(user)
    chain.user, payer = stranger, chain.user
    chain.ok([claim_cashback(user)])
    chain.user = payer
    assert chain.lamports(user) - before == earned
    assert chain.lamports(accumulator(user)) == VOLUME_RENT
    assert cashback_fields(chain, user)[:2] == (earned, earned)
    chain.ok([claim_cashback_v2(user, WSOL)])                   # nothing left: a no-op
    assert chain.lamports(accumulator(user)) == VOLUME_RENT


def test_a_usdc_cashback_coin_pays_usdc_to_the_accumulator_and_claim_v2_moves_it(chain):
    from solders.account import Account
    creator = Pubkey.new_unique()
    mint, _ = create_usdc_coin(chain, creator)
    curve = pda(b"bonding-curve", bytes(mint))
    account = chain.account(curve)                              # make it a cashback coin (BondingCurve byte 82)
    data = bytearray(account.data)
    data[82] = 1
    chain.svm.set_account(curve, Account(account.lamports, bytes(data), account.owner, False, 0))
    user = chain.user.pubkey()
    fund_usdc(chain, user, 100 * 10**6)
    chain.ok([create_user_ata(user, mint, TOKEN_2022)])
    tokens, vq, vtok = 10**12, 4_000 * 10**6, 1_073_000_000_000_000
    cost = vq * tokens // (vtok - tokens) + 1
    result = chain.ok([Instruction(PUMP, disc("buy_v2") + struct.pack("<QQ", tokens, 10 * 10**6),
                                   v2_accounts(user, mint, creator, TOKEN_2022, quote_mint=USDC))])
    (trade,) = events_from_logs(result.logs()).of_type(TradeEvent)
    cashback = -(-cost * 30 // 10_000)
    assert (trade.creator_fee, trade.cashback) == (0, cashback)
    assert usdc_balance(chain, accumulator(user)) == cashback
    assert cashback_fields(chain, user)[2] == cashback
    before = usdc_balance(chain, user)
    chain.ok([claim_cashback_v2(user, USDC)])
    assert usdc_balance(chain, user) - before == cashback and usdc_balance(chain, accumulator(user)) == 0
    assert cashback_fields(chain, user)[2:] == (cashback, cashback)
