"""SellerActor and AnalyzerPool against a real local chain, plus the pure trading logic they use."""
from __future__ import annotations

import time

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from thespian.actors import ActorTypeDispatcher

from actors.analyzer import AnalyzerPool, parse_mint_authorities
from actors.balance_monitor import stray_tokens
from actors.seller import SellerActor
from actors.stream import decode_logs
from actors.trading_io import curve_from_launch, exit_reason
from adapters.pumpfun import curve
from messages.analysis import AnalysisDecision, AnalysisFailed, AnalyzeLaunch
from messages.position import TxSent, TxSettled
from messages.seller import NothingToSell, SellSucceeded, SellTokens
from messages.start import Peers, StartSeller
from messages.stream import Launch, Trade
from tests.bot.harness import SOL, bot_world
from tests.bot.test_messages import make_launch

pytestmark = pytest.mark.timeout(90)


class Recorder(ActorTypeDispatcher):
    """Stands in for the Director: keeps the TxSent/TxSettled reports it receives."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen = []

    def receiveMsg_TxSent(self, msg, sender):
        self.seen.append(msg)

    def receiveMsg_TxSettled(self, msg, sender):
        self.seen.append(msg)

    def receiveMsg_str(self, msg, sender):
        if msg == "seen?":
            self.send(sender, list(self.seen))


@pytest.fixture
def world(tmp_path):
    with bot_world(tmp_path) as world:
        yield world.bot.system, world.chain, world.market, world.keypair, world.settings


def test_seller_sells_whole_balance_once_and_reports_exact_change(world):
    system, chain, market, keypair, settings = world
    creator = chain.run(market.new_wallet(SOL))
    mint = chain.run(market.launch(creator, "Sell"))
    chain.run(market.buy(keypair, mint, 50_000_000))          # the bot's wallet holds tokens
    held = chain.run(market.holdings(keypair.pubkey()))[mint]
    before = chain.run(market.balance(keypair.pubkey()))
    recorder = system.create_actor(Recorder)
    seller = system.create_actor(SellerActor)
    system.tell(seller, StartSeller(settings, Peers(director=recorder, wallet=recorder)))
    token_program = str(Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"))
    # two requests for one mint: one sell on the chain, both requesters answered
    system.tell(seller, SellTokens("first", mint, token_program, "test"))
    reply = system.ask(seller, SellTokens("second", mint, token_program, "test"), timeout=30)
    assert isinstance(reply, (SellSucceeded, NothingToSell)), reply
    time.sleep(0.3)
    after = chain.run(market.balance(keypair.pubkey()))
    assert chain.run(market.holdings(keypair.pubkey())) == {}
    seen = system.ask(recorder, "seen?", timeout=5)
    settled = [m for m in seen if isinstance(m, TxSettled)]
    assert [type(m) for m in seen] == [TxSent, TxSettled] and settled[0].ok
    assert settled[0].lamport_delta == after - before          # exact: fees and rent refund included
    assert settled[0].token_delta == -held
    again = system.ask(seller, SellTokens("third", mint, token_program), timeout=30)
    assert isinstance(again, NothingToSell) and again.request_id == "third"


def test_analyzer_decides_from_the_chain(world):
    system, chain, market, keypair, settings = world
    creator = chain.run(market.new_wallet(SOL))
    mint = chain.run(market.launch(creator, "Good"))
    launch = Launch(mint=mint, bonding_curve="", creator=str(creator.pubkey()),
                    user=str(creator.pubkey()), name="Good", symbol="GOOD", uri="u",
                    token_program="TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
                    virtual_token_reserves=1, virtual_sol_reserves=1, real_token_reserves=1,
                    signature="s", slot=1, received_at=time.time())
    pool = system.create_actor(AnalyzerPool)
    reply = system.ask(pool, AnalyzeLaunch("a1", launch, settings), timeout=20)
    assert isinstance(reply, AnalysisDecision) and reply.request_id == "a1", reply
    assert reply.buy and reply.reasons == () and reply.score > 50
    whale = chain.run(market.new_wallet(20 * SOL))
    chain.run(market.buy(whale, mint, 15 * SOL))                 # one holder takes a large share
    reply = system.ask(pool, AnalyzeLaunch("a2", launch, settings), timeout=20)
    assert isinstance(reply, AnalysisDecision) and not reply.buy
    assert any("top holder" in r for r in reply.reasons)
    missing = launch.__class__(**{**launch.__dict__, "mint": str(Keypair().pubkey())})
    reply = system.ask(pool, AnalyzeLaunch("a3", missing, settings), timeout=20)
    assert isinstance(reply, AnalysisFailed) and reply.request_id == "a3"
    assert "not found" in reply.reason or "not a Token mint" in reply.reason


# ---- pure logic ---------------------------------------------------------------------------------
def test_parse_mint_authorities():
    revoked = bytes(4) + bytes(32) + (10**15).to_bytes(8, "little") + bytes([6, 1]) + bytes(36)
    assert parse_mint_authorities(revoked) == (True, True, 10**15)
    live = (1).to_bytes(4, "little") + bytes(32) + (5).to_bytes(8, "little") + bytes([6, 1]) \
        + (1).to_bytes(4, "little") + bytes(32)
    assert parse_mint_authorities(live) == (False, False, 5)
    with pytest.raises(ValueError):
        parse_mint_authorities(b"short")


# the decision synthesis is tested in tests/bot/test_analysis_checks.py


def test_exit_reason_prices_a_full_sell_with_fees():
    from adapters.pumpfun.layout_v1 import Global
    from solders.pubkey import Pubkey as Pk
    global_ = Global(True, Pk.default(), Pk.default(), 1_073_000_000_000_000, 30_000_000_000,
                     793_100_000_000_000, 10**15, 95, Pk.default(), False, 0, 30, (Pk.default(),) * 7)
    launch = make_launch().__class__(**{**make_launch().__dict__, "creator": str(Keypair().pubkey())})
    state = curve_from_launch(launch)
    tokens = curve.tokens_for_sol(state, global_, 10_000_000)
    cost = 10_000_000
    assert exit_reason(cost, tokens, state, global_, 50, 20) is None
    pumped = curve.after_buy(state, 300_000_000_000_000)
    assert exit_reason(cost, tokens, pumped, global_, 50, 20) == "take_profit"
    crashed = state.__class__(**{**state.__dict__, "virtual_sol_reserves": 15_000_000_000})
    assert exit_reason(cost, tokens, crashed, global_, 50, 20) == "stop_loss"
    assert exit_reason(0, tokens, state, global_, 50, 20) is None


def test_stray_tokens_are_those_no_position_holds():
    assert stray_tokens((("A", 5), ("B", 0), ("C", 7)), ("C",)) == (("A", 5),)


def test_decode_logs_counts_garbage_and_keeps_events():
    from adapters.pumpfun.layout_v1 import CREATE_EVENT, TRADE_EVENT, CreateEvent, TradeEvent
    import base64
    mint = Keypair().pubkey()
    create = CREATE_EVENT.encode(CreateEvent("N", "S", "u", mint, Keypair().pubkey(), Keypair().pubkey()))
    trade = TRADE_EVENT.encode(TradeEvent(mint, 5, 7, True, Keypair().pubkey(), 0, 31, 1_000))
    program = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"
    logs = [f"Program {program} invoke [1]",
            "Program data: " + base64.b64encode(create).decode(),
            "Program data: " + base64.b64encode(trade).decode(),
            "Program data: " + base64.b64encode(b"\x01" * 12).decode(),
            f"Program {program} success"]
    out = decode_logs("sig", 9, logs, 1.5)
    launches = [o for o in out if isinstance(o, Launch)]
    trades = [o for o in out if isinstance(o, Trade)]
    assert len(launches) == 1 and launches[0].mint == str(mint) and launches[0].received_at == 1.5
    assert len(trades) == 1 and trades[0].virtual_sol_reserves == 31 and trades[0].slot == 9
    assert len(out) == 3   # the garbage payload is one MALFORMED marker
