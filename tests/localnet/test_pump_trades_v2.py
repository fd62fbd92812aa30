"""buy_v2 / sell_v2 / buy_exact_quote_in_v2 (docs/instructions/BUY.md, SELL.md), their v3 that keep
the fees on the curve (TRADE_V3.md) and the fee sweeps (SWEEP_FEES.md), on SOL-paired SPL Token and
Token-2022 coins, with a client written from those docs (no adapters/pumpfun builders)."""
from __future__ import annotations

import struct

import pytest
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.token.state import TokenAccount

from adapters.pumpfun.events import events_from_logs
from adapters.pumpfun.layout_v1 import TradeEvent
from tests.localnet.test_pump_v2 import (
    BUYBACK, FEE_PROGRAM, FEE_RECIPIENT, K, PUMP, RESERVED, SOL, SYSTEM, TOKEN, TOKEN_2022, VOLUME_RENT, WSOL, Chain, ata,
    buy_accounts, create_user_ata, disc, mainnet_buy_exact_sol_in, pda, quote_fees, ro, sweep_accounts, v2_accounts,
    v3_accounts, w)


@pytest.fixture()
def chain():
    return Chain()


@pytest.mark.parametrize("kind", ["create_v2", "create"])
def test_buy_v2_sell_v2_fees_and_rent_to_the_lamport(chain, kind):
    creator = Pubkey.new_unique()
    mint, token_program, _ = chain.new_coin(kind, creator)
    user = chain.user.pubkey()
    vault, volume = pda(b"creator-vault", bytes(creator)), pda(b"user_volume_accumulator", bytes(user))
    chain.ok([create_user_ata(user, mint, token_program)])
    tokens, vsol, vtok = 10**12, 30 * SOL, 1_073_000_000_000_000
    sol_cost = vsol * tokens // (vtok - tokens) + 1
    fee, creator_fee, buyback_fee = quote_fees(sol_cost)
    before = {k: chain.lamports(k) for k in (user, FEE_RECIPIENT, BUYBACK, vault)}
    data = disc("buy_v2") + struct.pack("<QQ", tokens, SOL)
    result = chain.ok([Instruction(PUMP, data, v2_accounts(user, mint, creator, token_program))])
    vault_rent = chain.svm.minimum_balance_for_rent_exemption(0)
    assert chain.lamports(BUYBACK) - before[BUYBACK] == buyback_fee
    assert chain.lamports(FEE_RECIPIENT) - before[FEE_RECIPIENT] == fee - buyback_fee
    assert chain.lamports(vault) == vault_rent                     # an empty vault is topped up to rent-exempt
    assert before[user] - chain.lamports(user) == sol_cost + fee + vault_rent + VOLUME_RENT + 5_000
    volume_account = chain.account(volume)
    assert (volume_account.owner, len(volume_account.data), bytes(volume_account.data[8:40])) == (PUMP, 137, bytes(user))
    (trade,) = events_from_logs(result.logs()).of_type(TradeEvent)
    assert (trade.ix_name, trade.fee, trade.creator_fee, trade.buyback_fee, trade.fee_recipient) == \
        ("buy_v2", fee, creator_fee, buyback_fee, FEE_RECIPIENT)
    vsol, vtok = vsol + sol_cost, vtok - tokens

    before = {k: chain.lamports(k) for k in (user, FEE_RECIPIENT, BUYBACK, vault)}
    data = disc("sell_v2") + struct.pack("<QQ", tokens // 2, 0)
    result = chain.ok([Instruction(PUMP, data, v2_accounts(user, mint, creator, token_program, is_buy=False))])
    sol_out = vsol * (tokens // 2) // (vtok + tokens // 2)
    fee, creator_fee, buyback_fee = quote_fees(sol_out)
    assert chain.lamports(BUYBACK) - before[BUYBACK] == buyback_fee
    assert chain.lamports(FEE_RECIPIENT) - before[FEE_RECIPIENT] == fee - buyback_fee
    assert chain.lamports(vault) - before[vault] == creator_fee
    assert chain.lamports(user) - before[user] == sol_out - fee - creator_fee - 5_000
    (trade,) = events_from_logs(result.logs()).of_type(TradeEvent)
    assert (trade.ix_name, trade.is_buy, trade.sol_amount) == ("sell_v2", False, sol_out)
    state = chain.curve(mint)
    assert (state.virtual_sol_reserves, state.virtual_token_reserves) == (vsol - sol_out, vtok + tokens // 2)


def test_buy_exact_quote_in_v2_matches_buy_exact_sol_in(chain):
    """The same spend through the legacy and the v2 instruction on twin coins gives the same fill."""
    fills = []
    for name, accounts in (("buy_exact_sol_in", buy_accounts), ("buy_exact_quote_in_v2", v2_accounts)):
        creator = Pubkey.new_unique()
        mint, token_program, _ = chain.new_coin("create_v2", creator)
        user = chain.user.pubkey()
        chain.ok([create_user_ata(user, mint, token_program)])
        result = chain.ok([Instruction(PUMP, disc(name) + struct.pack("<QQ", 3 * SOL, 1),
                                       accounts(user, mint, creator, token_program))])
        (trade,) = events_from_logs(result.logs()).of_type(TradeEvent)
        assert trade.ix_name == name
        fills.append((trade.sol_amount, trade.token_amount, trade.fee, trade.creator_fee, trade.buyback_fee))
    real = mainnet_buy_exact_sol_in()
    assert fills[0] == fills[1] and fills[0][:2] == (real.sol_amount, real.token_amount)


def test_v2_refuses_wrong_accounts(chain):
    creator = Pubkey.new_unique()
    mint, token_program, _ = chain.new_coin("create_v2", creator)
    user = chain.user.pubkey()
    chain.ok([create_user_ata(user, mint, token_program)])
    buy = lambda accounts: Instruction(PUMP, disc("buy_v2") + struct.pack("<QQ", 10**9, SOL), accounts)  # noqa: E731
    full = v2_accounts(user, mint, creator, token_program)
    assert chain.error_code([buy(full[:26])]) == 3005
    assert chain.error_code([buy(v2_accounts(user, mint, creator, token_program, buyback=FEE_RECIPIENT))]) == 6057
    assert chain.error_code([buy(v2_accounts(user, mint, creator, token_program, fee_recipient=RESERVED))]) == 6000
    usdc = K("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
    assert chain.error_code([buy(v2_accounts(user, mint, creator, token_program, quote_mint=usdc))]) == 6063
    assert chain.error_code([buy(v2_accounts(user, mint, creator, token_program, quote_program=TOKEN_2022))]) == 6064
    wrong_sharing = full[:18] + [ro(pda(b"sharing-config", bytes(Pubkey.new_unique()), program=FEE_PROGRAM))] + full[19:]
    assert chain.error_code([buy(wrong_sharing)]) == 2006
    wrong_vault_ata = full[:17] + [w(ata(Pubkey.new_unique(), WSOL, TOKEN))] + full[18:]
    assert chain.error_code([buy(wrong_vault_ata)]) == 2006
    chain.ok([buy(full)])


@pytest.mark.parametrize("kind", ["create_v2", "create"])
def test_v3_keeps_fees_on_the_curve_until_swept(chain, kind):
    creator = Pubkey.new_unique()
    mint, token_program, _ = chain.new_coin(kind, creator)
    user = chain.user.pubkey()
    curve, vault = pda(b"bonding-curve", bytes(mint)), pda(b"creator-vault", bytes(creator))
    chain.ok([create_user_ata(user, mint, token_program)])
    old_len = len(chain.account(curve).data)
    tokens, vsol, vtok = 10**12, 30 * SOL, 1_073_000_000_000_000
    sol_cost = vsol * tokens // (vtok - tokens) + 1
    fee, creator_fee, buyback_fee = quote_fees(sol_cost)
    before = {k: chain.lamports(k) for k in (user, FEE_RECIPIENT, BUYBACK, vault, curve)}
    result = chain.ok([Instruction(PUMP, disc("buy_v3") + struct.pack("<QQ", tokens, SOL), v3_accounts(user, mint, token_program))])
    grown = max(old_len, 131)
    growth_rent = chain.svm.minimum_balance_for_rent_exemption(grown) - chain.svm.minimum_balance_for_rent_exemption(old_len)
    assert len(chain.account(curve).data) == grown
    assert chain.lamports(BUYBACK) - before[BUYBACK] == buyback_fee
    assert chain.lamports(FEE_RECIPIENT) == before[FEE_RECIPIENT] and chain.lamports(vault) == before[vault]
    assert chain.lamports(curve) - before[curve] == sol_cost + fee - buyback_fee + creator_fee + growth_rent
    assert before[user] - chain.lamports(user) == sol_cost + fee + creator_fee + growth_rent + VOLUME_RENT + 5_000
    data = bytes(chain.account(curve).data)
    assert struct.unpack_from("<QQ", data, 115) == (fee - buyback_fee, creator_fee)
    (trade,) = events_from_logs(result.logs()).of_type(TradeEvent)
    assert (trade.ix_name, trade.fee_recipient, trade.fee, trade.creator_fee) == ("buy_v3", SYSTEM, fee, creator_fee)
    vsol, vtok = vsol + sol_cost, vtok - tokens

    # sell_v3: the seller gets the net, the buyback share is paid, the rest waits on the curve
    before = {k: chain.lamports(k) for k in (user, BUYBACK, curve)}
    result = chain.ok([Instruction(PUMP, disc("sell_v3") + struct.pack("<QQ", tokens // 2, 0), v3_accounts(user, mint, token_program))])
    sol_out = vsol * (tokens // 2) // (vtok + tokens // 2)
    sell_fee, sell_creator_fee, sell_buyback = quote_fees(sol_out)
    assert chain.lamports(user) - before[user] == sol_out - sell_fee - sell_creator_fee - 5_000
    assert chain.lamports(BUYBACK) - before[BUYBACK] == sell_buyback
    assert before[curve] - chain.lamports(curve) == sol_out - sell_fee + sell_buyback - sell_creator_fee
    protocol_waiting, creator_waiting = fee - buyback_fee + sell_fee - sell_buyback, creator_fee + sell_creator_fee
    assert struct.unpack_from("<QQ", bytes(chain.account(curve).data), 115) == (protocol_waiting, creator_waiting)

    # the sweeps pay them out to where a v2 trade would have
    sweep_payer = Keypair()
    chain.svm.airdrop(sweep_payer.pubkey(), SOL)
    assert chain.error_code([Instruction(PUMP, disc("sweep_protocol_fee"), sweep_accounts(user, mint, RESERVED))]) == 6000
    before = {k: chain.lamports(k) for k in (FEE_RECIPIENT, vault, curve)}
    chain.ok([Instruction(PUMP, disc("sweep_protocol_fee"), sweep_accounts(user, mint, FEE_RECIPIENT)),
              Instruction(PUMP, disc("sweep_creator_fee"), sweep_accounts(user, mint, vault))])
    vault_rent = chain.svm.minimum_balance_for_rent_exemption(0)
    assert chain.lamports(FEE_RECIPIENT) - before[FEE_RECIPIENT] == protocol_waiting
    assert chain.lamports(vault) == max(vault_rent, creator_waiting)
    assert before[curve] - chain.lamports(curve) == protocol_waiting + creator_waiting
    assert struct.unpack_from("<QQ", bytes(chain.account(curve).data), 115) == (0, 0)
    chain.ok([Instruction(PUMP, disc("sweep_creator_fee"), sweep_accounts(user, mint, vault))])   # nothing waiting: no-op


def test_v3_buy_exact_quote_in_and_cashback_refusal(chain):
    creator = Pubkey.new_unique()
    mint, token_program, _ = chain.new_coin("create_v2", creator)
    user = chain.user.pubkey()
    chain.ok([create_user_ata(user, mint, token_program)])
    result = chain.ok([Instruction(PUMP, disc("buy_exact_quote_in_v3") + struct.pack("<QQ", 3 * SOL, 1),
                                   v3_accounts(user, mint, token_program))])
    (trade,) = events_from_logs(result.logs()).of_type(TradeEvent)
    real = mainnet_buy_exact_sol_in()
    assert (trade.ix_name, trade.sol_amount, trade.token_amount) == ("buy_exact_quote_in_v3", real.sol_amount, real.token_amount)
    assert chain.error_code([Instruction(PUMP, disc("buy_v3") + struct.pack("<QQ", 10**9, SOL),
                                         v3_accounts(user, mint, token_program, buyback=FEE_RECIPIENT))]) == 6057
    assert chain.error_code([Instruction(PUMP, disc("buy_v3") + struct.pack("<QQ", 10**9, SOL),
                                         v3_accounts(user, mint, token_program)[:16])]) == 3005
    cashback_mint, _, _ = chain.new_coin("create_v2", creator, cashback=True)
    chain.ok([create_user_ata(user, cashback_mint, TOKEN_2022)])
    assert chain.error_code([Instruction(PUMP, disc("buy_v3") + struct.pack("<QQ", 10**9, SOL),
                                         v3_accounts(user, cashback_mint, TOKEN_2022))]) == 6094


def test_v3_growth_rent_is_paid_even_when_the_curve_holds_reserves(chain):
    """A v3 trade on a curve that already holds SOL reserves still pays the rent of the 16 more
    bytes: selling everything back must leave the grown curve rent-exempt."""
    creator = Pubkey.new_unique()
    mint, token_program, _ = chain.new_coin("create_v2", creator)
    user = chain.user.pubkey()
    curve = pda(b"bonding-curve", bytes(mint))
    chain.ok([create_user_ata(user, mint, token_program)])
    chain.ok([Instruction(PUMP, disc("buy_v2") + struct.pack("<QQ", 10**13, 10 * SOL), v2_accounts(user, mint, creator, token_program))])
    chain.ok([Instruction(PUMP, disc("buy_v3") + struct.pack("<QQ", 10**12, 10 * SOL), v3_accounts(user, mint, token_program))])
    held = TokenAccount.from_bytes(bytes(chain.account(ata(user, mint, token_program)).data[:165])).amount
    chain.ok([Instruction(PUMP, disc("sell_v3") + struct.pack("<QQ", held, 0), v3_accounts(user, mint, token_program))])
    state, data = chain.curve(mint), bytes(chain.account(curve).data)
    kept = sum(struct.unpack_from("<QQ", data, 115))
    assert chain.lamports(curve) >= chain.svm.minimum_balance_for_rent_exemption(131) + state.real_sol_reserves + kept
