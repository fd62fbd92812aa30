"""The Director tells the WalletActor of a settled order only when the wallet may not have heard of
it: a live position's first report comes right after its own ExpectLamportChange
(PositionActor._report_settled), so the Director does not repeat it (two messages per order for
nothing); a report re-told from the journal, the seller's, and one for a coin with no live position
are forwarded. Every report is booked in the ledger. The Director's handler runs here with its
sends captured: no actor system (the rule is the Director's alone)."""
from __future__ import annotations

from dataclasses import replace

import pytest

from actors import process_kind
from actors.director import Director, LivePosition
from messages.position import TxSettled
from messages.start import Peers
from messages.wallet import ExpectLamportChange
from tests.bot.test_messages import make_launch

WALLET, POSITION, SELLER = object(), object(), object()   # addresses (compared as thespian's are)


@pytest.fixture
def director(monkeypatch):
    with open("/proc/self/comm") as comm:
        name = comm.read().strip()
    monkeypatch.setattr(process_kind, "_named", process_kind._named)
    director = Director()   # names this process "ps:director": given back below
    with open("/proc/self/comm", "w") as comm:
        comm.write(name)
    director.peers = replace(Peers(), wallet=WALLET)
    director.positions["MINT"] = LivePosition(POSITION, make_launch("MINT"), "pos-1")
    sent = []
    monkeypatch.setattr(director, "send", lambda to, msg: sent.append((to, msg)))
    director.sent = sent
    return director


def told_wallet(director) -> list[str]:
    return [msg.signature for to, msg in director.sent if to is WALLET and isinstance(msg, ExpectLamportChange)]


def test_a_live_positions_first_report_is_not_repeated_to_the_wallet(director):
    director.receiveMsg_TxSettled(TxSettled("MINT", "sig-buy", "buy", -1_000, True, 5), POSITION)
    assert told_wallet(director) == []
    assert director.ledger.pnl_lamports == -1_000   # booked all the same


def test_reports_the_wallet_may_not_have_heard_are_forwarded(director):
    director.receiveMsg_TxSettled(TxSettled("MINT", "sig-old", "buy", -1_000, True, 5, sent_at=12.0),
                                  POSITION)   # re-told from the journal by a restarted position
    director.receiveMsg_TxSettled(TxSettled("MINT", "sig-seller", "sell", 900, True, -5), SELLER)
    director.receiveMsg_TxSettled(TxSettled("", "sig-close", "close", 2_039_280, True), WALLET)
    assert told_wallet(director) == ["sig-old", "sig-seller", "sig-close"]
    assert director.ledger.pnl_lamports == -1_000 + 900 + 2_039_280
