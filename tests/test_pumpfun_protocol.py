"""The pure pump.fun package against real data: curve math vs every CSV trade, the event decoder
vs the real mainnet create_v2 transaction, the layout vs the real bonding-curve account."""
from __future__ import annotations

import base64
import json
import struct

import base58
import pytest
from solders.pubkey import Pubkey

from adapters.pumpfun import addresses as addr
from adapters.pumpfun import curve
from adapters.pumpfun.borsh import LayoutError
from adapters.pumpfun.events import (EVENT_IX_TAG, decode_event, events_from_inner_instructions, events_from_logs,
                                     events_from_transaction)
from adapters.pumpfun.layout_v1 import (BONDING_CURVE, COMPLETE_EVENT, CREATE_EVENT, GLOBAL, TRADE_EVENT,
                                        BondingCurve, CompleteEvent, CreateEvent, Global, TradeEvent,
                                        anchor_discriminator)
from localnet.market.replay_file import ReplayTrade
from localnet.market.replay_file import load_trade_chains as load_replay_chains

from tests.data import MAINNET_CREATE_TX as CREATE_TX
from tests.data import MAINNET_CURVE_ACCOUNT as CURVE_ACCOUNT
from tests.data import TRADES_CSV
INITIAL_VSOL, INITIAL_VTOK, INITIAL_RTOK = 30_000_000_000, 1_073_000_000_000_000, 793_100_000_000_000

def load_trade_chains() -> dict[str, list[ReplayTrade]]:
    """Per coin, every row of the shared file ordered by state (the market's replay reader)."""
    return load_replay_chains(TRADES_CSV)


def mainnet_global() -> Global:
    return Global(True, Pubkey.default(), addr.MAINNET_FEE_RECIPIENT, INITIAL_VTOK, INITIAL_VSOL, INITIAL_RTOK,
                  10**15, 95, Pubkey.default(), True, 0, 30, addr.MAINNET_FEE_RECIPIENTS)


def test_curve_math_matches_every_csv_row():
    global_ = mainnet_global()
    chains = load_trade_chains()
    assert sum(len(c) for c in chains.values()) == 1499
    for mint, chain in chains.items():
        state = curve.initial_curve(global_, Pubkey.from_string(chain[0].creator))
        for t in chain:
            if t.is_buy:
                assert curve.buy_cost(state, t.tokens) == t.sol
                state = curve.after_buy(state, t.tokens)
            else:
                assert curve.sell_proceeds(state, t.tokens) == t.sol
                state = curve.after_sell(state, t.tokens)
            fees = curve.fees_for(t.sol, global_, state)
            assert (fees.protocol, fees.creator) == (t.fee, t.creator_fee)
            assert (state.virtual_sol_reserves, state.virtual_token_reserves, state.real_sol_reserves,
                    state.real_token_reserves) == (t.virtual_sol, t.virtual_tokens, t.real_sol, t.real_tokens)
            assert t.fee_recipient in {str(k) for k in global_.all_fee_recipients()}


def test_curve_helpers():
    global_ = mainnet_global()
    fresh = curve.initial_curve(global_, Pubkey.new_unique())
    budget = 1_000_000_000
    tokens = curve.tokens_for_sol(fresh, global_, budget)
    assert curve.buy_total_cost(fresh, global_, tokens) <= budget < curve.buy_total_cost(fresh, global_, tokens + 1)
    assert curve.tokens_for_sol(fresh, global_, 1) == 0
    assert curve.buy_cost(fresh, 10**18) == curve.buy_cost(fresh, INITIAL_RTOK)     # capped at real reserves
    assert curve.after_buy(fresh, 10**18).complete
    assert curve.fee(380000069, 95) == 3610001 and curve.fee(0, 95) == 0
    assert curve.market_cap_lamports(fresh) == 10**15 * INITIAL_VSOL // INITIAL_VTOK
    assert float(curve.price_sol_per_token(fresh)) == pytest.approx(2.796e-8, rel=1e-3)
    with pytest.raises(curve.CurveError):
        curve.buy_cost(BondingCurve(0, 0, 0, 0, 0, True), 1)


def test_discriminators_are_the_documented_ones():
    assert anchor_discriminator("global", "buy").hex() == "66063d1201daebea"
    assert anchor_discriminator("global", "sell").hex() == "33e685a4017f83ad"
    assert anchor_discriminator("global", "create").hex() == "181ec828051c0777"
    assert BONDING_CURVE.discriminator.hex() == "17b7f83760d8ac60"
    assert CREATE_EVENT.discriminator.hex() == "1b72a94ddeeb6376"
    assert TRADE_EVENT.discriminator.hex() == "bddb7fd34ee661ee"
    assert COMPLETE_EVENT.discriminator.hex() == "5f72619cd42e9808"


def test_fixed_addresses_are_the_documented_ones():
    assert str(addr.GLOBAL) == "4wTV1YmiEkRvAtNtsSGPtUrqRYQMe5SKy2uB4Jjaxnjf"
    assert str(addr.EVENT_AUTHORITY) == "Ce6TQqeHC9p8KetsN6JsjHK7UTZk7nasjjnr7XxXp9F1"
    assert str(addr.MINT_AUTHORITY) == "TSLvdd1pWpHVjahSpsvCXUbgwsL3JAcvokwaKt1eokM"


def _real_create() -> tuple[dict, dict]:
    result = json.loads(CREATE_TX.read_text())["result"]
    create_v2 = next(i for i in result["transaction"]["message"]["instructions"]
                     if i.get("programId") == str(addr.PUMP_PROGRAM)
                     and base58.b58decode(i["data"])[:8] == anchor_discriminator("global", "create_v2"))
    return result, create_v2


def _borsh_strings(data: bytes, pos: int, count: int) -> tuple[list[str], int]:
    out = []
    for _ in range(count):
        (n,) = struct.unpack_from("<I", data, pos)
        out.append(data[pos + 4:pos + 4 + n].decode())
        pos += 4 + n
    return out, pos


def test_decoder_reads_real_create_v2_transaction():
    result, create_v2 = _real_create()
    decoded = events_from_transaction(result)
    assert decoded.skipped == 1                        # the ExtendAccount event, not one of ours
    (create,) = decoded.of_type(CreateEvent)
    (trade,) = decoded.of_type(TradeEvent)
    args = base58.b58decode(create_v2["data"])
    (name, symbol, uri), pos = _borsh_strings(args, 8, 3)
    creator = Pubkey.from_bytes(args[pos:pos + 32])
    accounts = create_v2["accounts"]
    assert (create.name, create.symbol, create.uri, create.creator) == (name, symbol, uri, creator)
    assert str(create.mint) == accounts[0] and str(create.bonding_curve) == accounts[2]
    assert str(create.user) == accounts[5]
    assert create.token_program == addr.TOKEN_2022_PROGRAM
    assert (create.virtual_token_reserves, create.virtual_sol_reserves, create.real_token_reserves,
            create.token_total_supply) == (INITIAL_VTOK, INITIAL_VSOL, INITIAL_RTOK, 10**15)
    assert addr.bonding_curve(create.mint) == create.bonding_curve
    assert addr.associated_bonding_curve(create.mint, addr.TOKEN_2022_PROGRAM) == Pubkey.from_string(accounts[3])
    assert trade.is_buy and trade.mint == create.mint and trade.ix_name == "buy_exact_sol_in"
    assert trade.virtual_sol_reserves == INITIAL_VSOL + trade.sol_amount
    # the same events travel as self-CPI inner instructions
    from adapters.pumpfun.events import _inner_pump_datas
    assert events_from_inner_instructions(_inner_pump_datas(result)).events == decoded.events


def test_decoder_skips_and_counts_garbage():
    logs = ["Program 6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P invoke [1]",
            "Program data: !!!notbase64", "Program data: " + base64.b64encode(TRADE_EVENT.discriminator + b"\1").decode(),
            "Program data: " + base64.b64encode(b"unknown-event").decode(),
            "Program 6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P success",
            "Program data: " + base64.b64encode(b"other program's data, outside pump").decode()]
    decoded = events_from_logs(logs)
    assert decoded.events == () and decoded.skipped == 3
    assert events_from_inner_instructions([b"short", EVENT_IX_TAG + b"\0" * 3]).skipped == 2
    assert events_from_transaction({"meta": None}).events == ()
    assert decode_event(b"") is None


def test_event_layouts_round_trip():
    key = Pubkey.new_unique()
    events = [
        CreateEvent("n", "S", "u", key, key, key, key, 5, 1, 2, 3, 4, addr.TOKEN_PROGRAM),
        TradeEvent(key, 1, 2, True, key, 3, 4, 5, 6, 7, key, 95, 8, key, 30, 9, ix_name="buy"),
        CompleteEvent(key, key, key, 7),
    ]
    for event in events:
        layout = {CreateEvent: CREATE_EVENT, TradeEvent: TRADE_EVENT, CompleteEvent: COMPLETE_EVENT}[type(event)]
        assert decode_event(layout.encode(event)) == event
    g = mainnet_global()
    assert GLOBAL.decode(GLOBAL.encode(g)) == g
    with pytest.raises(LayoutError):
        GLOBAL.decode(GLOBAL.encode(g)[:100])


def test_reads_real_bonding_curve_account():
    value = json.loads(CURVE_ACCOUNT.read_text())["result"]["value"]
    data = base64.b64decode(value["data"][0])
    state = BONDING_CURVE.decode(data)
    result, _ = _real_create()
    (trade,) = events_from_transaction(result).of_type(TradeEvent)
    assert value["owner"] == str(addr.PUMP_PROGRAM) and len(data) == 151
    assert state.token_total_supply == 10**15 and not state.complete
    assert state.creator == trade.creator
    assert state.is_cashback_coin
    assert 0 < state.real_token_reserves < INITIAL_RTOK
    assert state.virtual_token_reserves - state.real_token_reserves == INITIAL_VTOK - INITIAL_RTOK
    assert state.virtual_sol_reserves - state.real_sol_reserves == INITIAL_VSOL
    # only the leading fields matter: a 81-byte (older) curve decodes the same
    assert BONDING_CURVE.decode(data[:81]).virtual_sol_reserves == state.virtual_sol_reserves
