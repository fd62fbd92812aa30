"""USDC-paired coins (COIN_CREATION.md "USDC-Paired Mint", BUY.md, SELL.md, TRADE_V3.md, SWEEP_FEES.md):
create_v2 with a quote mint, v2 and v3 trades and sweeps moving USDC to the unit; client written from
the docs (no adapters/pumpfun builders)."""
from __future__ import annotations

import struct

import pytest
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.token.state import TokenAccount

from adapters.pumpfun.events import events_from_logs
from adapters.pumpfun.layout_v1 import CreateEvent, TradeEvent
from tests.localnet.test_pump_v2 import (
    BUYBACK, FEE_RECIPIENT, K, PUMP, TOKEN, TOKEN_2022, VOLUME_RENT, Chain, ata, create_user_ata, create_v2, disc, pda,
    quote_fees, ro, sweep_accounts, v2_accounts, v3_accounts, w)


@pytest.fixture()
def chain():
    return Chain()


USDC = K("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
USDC_VIRTUAL = 4_000 * 10**6          # the local Global's initial_virtual_quote_reserves (an assumption, see README)


def usdc_balance(chain, owner) -> int:
    account = chain.account(ata(owner, USDC, TOKEN))
    return TokenAccount.from_bytes(bytes(account.data[:165])).amount if account else 0


def fund_usdc(chain, owner, amount):
    from localnet.programs.usdc import USDC_MINT_AUTHORITY, usdc_airdrop_instructions
    chain.ok(usdc_airdrop_instructions(chain.user.pubkey(), owner, amount), [USDC_MINT_AUTHORITY])


def create_usdc_coin(chain, creator):
    mint = Keypair()
    curve = pda(b"bonding-curve", bytes(mint.pubkey()))
    ix = create_v2(mint.pubkey(), chain.user.pubkey(), creator)
    ix = Instruction(PUMP, bytes(ix.data), list(ix.accounts) + [ro(USDC), w(ata(curve, USDC, TOKEN)), ro(TOKEN)])
    result = chain.ok([ix], [mint])
    return mint.pubkey(), result


def test_usdc_paired_coin_trades_move_usdc_to_the_unit(chain):
    creator = Pubkey.new_unique()
    mint, result = create_usdc_coin(chain, creator)
    user = chain.user.pubkey()
    curve, vault = pda(b"bonding-curve", bytes(mint)), pda(b"creator-vault", bytes(creator))
    state = chain.curve(mint)
    assert (state.quote_mint, state.virtual_sol_reserves) == (USDC, USDC_VIRTUAL)
    (event,) = events_from_logs(result.logs()).of_type(CreateEvent)
    assert event.quote_mint == USDC
    fund_usdc(chain, user, 1_000 * 10**6)
    chain.ok([create_user_ata(user, mint, TOKEN_2022)])
    tokens, vq, vtok = 10**12, USDC_VIRTUAL, 1_073_000_000_000_000
    cost = vq * tokens // (vtok - tokens) + 1
    fee, creator_fee, buyback_fee = quote_fees(cost)
    sol_before = chain.lamports(user)
    # BUY.md: "ATA rent if missing" for the fee recipient's and the creator vault's USDC accounts (the
    # fee recipient, a PumpSwap fee recipient too, may hold one from genesis)
    missing = sum(chain.account(ata(owner, USDC, TOKEN)) is None for owner in (FEE_RECIPIENT, vault))
    assert missing >= 1
    result = chain.ok([Instruction(PUMP, disc("buy_v2") + struct.pack("<QQ", tokens, 10 * 10**6),
                                   v2_accounts(user, mint, creator, TOKEN_2022, quote_mint=USDC))])
    assert 1_000 * 10**6 - usdc_balance(chain, user) == cost + fee + creator_fee
    assert usdc_balance(chain, curve) == cost and usdc_balance(chain, BUYBACK) == buyback_fee
    assert usdc_balance(chain, FEE_RECIPIENT) == fee - buyback_fee and usdc_balance(chain, vault) == creator_fee
    ata_rent = chain.svm.minimum_balance_for_rent_exemption(165)
    assert sol_before - chain.lamports(user) == missing * ata_rent + VOLUME_RENT + 5_000
    (trade,) = events_from_logs(result.logs()).of_type(TradeEvent)
    assert (trade.quote_mint, trade.sol_amount, trade.fee) == (USDC, cost, fee)
    vq, vtok = vq + cost, vtok - tokens

    # sell_v2 pays back in USDC from the curve's account
    before = {k: usdc_balance(chain, k) for k in (user, curve, BUYBACK, FEE_RECIPIENT, vault)}
    chain.ok([Instruction(PUMP, disc("sell_v2") + struct.pack("<QQ", tokens // 2, 0),
                          v2_accounts(user, mint, creator, TOKEN_2022, is_buy=False, quote_mint=USDC))])
    out = vq * (tokens // 2) // (vtok + tokens // 2)
    fee, creator_fee, buyback_fee = quote_fees(out)
    after = {k: usdc_balance(chain, k) for k in before}
    assert after[user] - before[user] == out - fee - creator_fee and before[curve] - after[curve] == out
    assert (after[BUYBACK] - before[BUYBACK], after[FEE_RECIPIENT] - before[FEE_RECIPIENT], after[vault] - before[vault]) == \
        (buyback_fee, fee - buyback_fee, creator_fee)
    vq, vtok = vq - out, vtok + tokens // 2

    # v3: fees kept in the curve's USDC account, swept to the fee recipient's and the vault's
    buyback_usdc = ata(BUYBACK, USDC, TOKEN)
    before = {k: usdc_balance(chain, k) for k in (user, curve, BUYBACK)}
    chain.ok([Instruction(PUMP, disc("buy_v3") + struct.pack("<QQ", tokens, 10 * 10**6),
                          v3_accounts(user, mint, TOKEN_2022, buyback=buyback_usdc, quote_mint=USDC))])
    cost = vq * tokens // (vtok - tokens) + 1
    fee, creator_fee, buyback_fee = quote_fees(cost)
    assert before[user] - usdc_balance(chain, user) == cost + fee + creator_fee
    assert usdc_balance(chain, curve) - before[curve] == cost + fee - buyback_fee + creator_fee
    assert usdc_balance(chain, BUYBACK) - before[BUYBACK] == buyback_fee
    assert struct.unpack_from("<QQ", bytes(chain.account(curve).data), 115) == (fee - buyback_fee, creator_fee)
    assert chain.error_code([Instruction(PUMP, disc("buy_v3") + struct.pack("<QQ", tokens, 10 * 10**6),
                                         v3_accounts(user, mint, TOKEN_2022, buyback=BUYBACK, quote_mint=USDC))]) == 6057
    before = {k: usdc_balance(chain, k) for k in (FEE_RECIPIENT, vault)}
    sweep = lambda name, recipient: Instruction(PUMP, disc(name), sweep_accounts(user, mint, recipient, USDC))  # noqa: E731
    chain.ok([sweep("sweep_protocol_fee", FEE_RECIPIENT), sweep("sweep_creator_fee", vault)])
    assert usdc_balance(chain, FEE_RECIPIENT) - before[FEE_RECIPIENT] == fee - buyback_fee
    assert usdc_balance(chain, vault) - before[vault] == creator_fee


def test_usdc_quote_refusals(chain):
    creator = Pubkey.new_unique()
    mint, _ = create_usdc_coin(chain, creator)
    user = chain.user.pubkey()
    chain.ok([create_user_ata(user, mint, TOKEN_2022)])
    buy = lambda accounts: Instruction(PUMP, disc("buy_v2") + struct.pack("<QQ", 10**9, 10**6), accounts)  # noqa: E731
    assert chain.error_code([buy(v2_accounts(user, mint, creator, TOKEN_2022))]) == 6063          # WSOL named for a USDC coin
    assert chain.error_code([buy(v2_accounts(user, mint, creator, TOKEN_2022, quote_mint=USDC, quote_program=TOKEN_2022))]) == 6064
    # a mayhem coin cannot take a quote mint; a mint that is not whitelisted is refused
    other = Keypair()
    ix = create_v2(other.pubkey(), user, creator, mayhem=True)
    curve = pda(b"bonding-curve", bytes(other.pubkey()))
    extra = [ro(USDC), w(ata(curve, USDC, TOKEN)), ro(TOKEN)]
    assert chain.error_code([Instruction(PUMP, bytes(ix.data), list(ix.accounts) + extra)], [other]) == 6071
    ix = create_v2(other.pubkey(), user, creator)
    not_listed = [ro(TOKEN_2022), w(ata(curve, TOKEN_2022, TOKEN)), ro(TOKEN)]
    assert chain.error_code([Instruction(PUMP, bytes(ix.data), list(ix.accounts) + not_listed)], [other]) == 6068
