"""Messages are the contract between actors: frozen, picklable, documented, replies name requests.
Plus the pure logic behind the actors (ledger, wallet reconciliation, exits, scoring, strays)."""
from __future__ import annotations

import dataclasses
import importlib
import inspect
import pickle
import pkgutil

import messages
from actors.director_ledger import Ledger
from messages.position import PositionClosed, TxSent, TxSettled
from messages.stream import Launch

MODULES = [importlib.import_module(f"messages.{m.name}") for m in pkgutil.iter_modules(messages.__path__)]
CLASSES = [cls for mod in MODULES for _, cls in inspect.getmembers(mod, inspect.isclass)
           if cls.__module__ == mod.__name__ and dataclasses.is_dataclass(cls)]

# request -> its explicit failure reply (every request that can fail has one)
FAILURE_REPLIES = {
    "ReserveFunds": "ReservationRefused", "RefreshBalances": "RefreshFailed",
    "SellTokens": "SellFailed", "AnalyzeLaunch": "AnalysisFailed", "OpenPosition": "PositionFailed",
    "StatusRequest": "StatusFailed",
}


def make_launch(mint="Mint1111", received_at=100.0) -> Launch:
    return Launch(mint=mint, bonding_curve="Curve", creator="Creator", user="User", name="n",
                  symbol="s", uri="u", token_program="Tok", virtual_token_reserves=1_073_000_000_000_000,
                  virtual_sol_reserves=30_000_000_000, real_token_reserves=793_100_000_000_000,
                  signature="sig", slot=1, received_at=received_at)


def test_every_message_is_a_frozen_documented_dataclass():
    assert len(CLASSES) >= 30
    for cls in CLASSES:
        assert cls.__dataclass_params__.frozen, cls
        assert cls.__doc__ and "\n" not in cls.__doc__.strip(), f"{cls.__name__}: one-line doc"


def test_every_message_pickles_round_trip():
    for cls in CLASSES:
        values = {}
        for f in dataclasses.fields(cls):
            if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
                continue
            values[f.name] = make_launch() if f.type in ("Launch", Launch) else 1
        msg = cls(**values)
        assert pickle.loads(pickle.dumps(msg)) == msg


def test_replies_name_their_request_and_failures_exist():
    names = {cls.__name__: cls for cls in CLASSES}
    for request, failure in FAILURE_REPLIES.items():
        assert "request_id" in {f.name for f in dataclasses.fields(names[request])}
        assert "request_id" in {f.name for f in dataclasses.fields(names[failure])}, failure
    for reply in ("FundsReserved", "BalancesReport", "SellSucceeded", "NothingToSell",
                  "AnalysisDecision", "PositionClosed", "Status", "ChildPids", "StreamStats"):
        assert "request_id" in {f.name for f in dataclasses.fields(names[reply])}, reply


def test_money_fields_are_ints():
    for cls in CLASSES:
        for f in dataclasses.fields(cls):
            if f.type not in ("tuple", tuple) and ("lamport" in f.name or f.name.endswith(("_tokens", "_reserves", "_amount"))):
                assert f.type in ("int", int), f"{cls.__name__}.{f.name} must be int"


def test_request_ids_are_unique():
    ids = {messages.new_request_id("x") for _ in range(1000)}
    assert len(ids) == 1000


def test_ledger_counts_each_signature_once_and_keeps_latency():
    ledger = Ledger(started_at=0.0)   # the made-up times below count from 0: this run's orders
    ledger.on_tx_sent(TxSent("M", "s1", "buy", sent_at=10.020, detected_at=10.0))
    assert ledger.pending_for("M") == ("s1",)
    assert ledger.on_tx_settled(TxSettled("M", "s1", "buy", -12_345, True, 100))
    assert not ledger.on_tx_settled(TxSettled("M", "s1", "recovered", -12_345, True, 100))
    ledger.on_tx_settled(TxSettled("M", "s2", "sell", 10_000, False))
    assert ledger.pnl_lamports == -2_345
    assert ledger.pending_for("M") == ()
    assert list(ledger.latencies_ms) == [20.0] and ledger.latency_histogram.count == 1
    assert ledger.failures["sell_tx_failed"] == 1
    ledger.on_position_closed(PositionClosed("r", "M", "sold", 100, -2_345))
    ledger.on_position_closed(PositionClosed("r", "N", "buy_failed", 0, -5_000))
    assert ledger.sold == 1 and ledger.failures["buy_failed"] == 1


def test_analysis_batches_wrap_several_messages_and_leave_one_alone():
    from messages.analysis import (AnalysisDecision, AnalysisDecisions, AnalysisFailed, AnalyzeLaunch,
                                   AnalyzeLaunches, bundled, unbundled)
    one = AnalyzeLaunch("a", make_launch("M1"), None)
    assert bundled([one]) is one and unbundled(one) == (one,)
    two = [one, AnalyzeLaunch("b", make_launch("M2"), None)]
    assert bundled(two) == AnalyzeLaunches(tuple(two)) and unbundled(bundled(two)) == tuple(two)
    answers = [AnalysisDecision("a", make_launch("M1"), True, 80), AnalysisFailed("b", "M2", "deadline exceeded")]
    assert bundled(answers) == AnalysisDecisions(tuple(answers))
    assert pickle.loads(pickle.dumps(bundled(answers))) == AnalysisDecisions(tuple(answers))


def test_outbox_sends_one_message_per_receiver():
    from actors.analyzer import Outbox
    from messages.analysis import AnalysisDecision, AnalysisDecisions

    class Address:   # thespian addresses compare with == and are not hashable
        __hash__ = None

        def __init__(self, name):
            self.name = name

        def __eq__(self, other):
            return isinstance(other, Address) and other.name == self.name
    director, position = Address("director"), Address("position")
    decisions = [AnalysisDecision(str(i), make_launch(f"M{i}"), False, 10) for i in range(3)]
    outbox, sent = Outbox(), []
    outbox.add(director, decisions[0])
    outbox.add(position, decisions[1])
    outbox.add(Address("director"), decisions[2])
    outbox.flush(lambda to, msg: sent.append((to.name, msg)))
    assert sent == [("director", AnalysisDecisions((decisions[0], decisions[2]))), ("position", decisions[1])]
    outbox.flush(lambda to, msg: sent.append(msg))
    assert len(sent) == 2
