"""WalletActor against a real local chain: reservations never overspend; an unexplained drop of the
balance puts it in safety mode (buys refused); bad requests get explicit refusals."""
from __future__ import annotations

import time

import pytest
from solders.keypair import Keypair
from solders.system_program import TransferParams, transfer

from actors.wallet import FEE_RESERVE_LAMPORTS, WalletActor
from messages.start import Peers, StartWallet
from messages.wallet import (BalancesReport, FundsReserved, RefreshBalances, ReleaseFunds,
                             ReservationRefused, ReserveFunds)
from tests.bot.harness import SOL, Bot, ChainThread, Market, bot_settings, new_bot_wallet

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def wallet_world(tmp_path):
    bot = Bot()   # the actor system first: its admin must not be forked from a threaded process
    chain = ChainThread().start()
    try:
        market = Market(chain)
        keypair, path = new_bot_wallet(tmp_path)
        chain.run(market.fund(keypair.pubkey(), 1 * SOL))
        settings = bot_settings(chain, path, tmp_path / "runs")
        wallet = bot.system.create_actor(WalletActor)
        bot.system.tell(wallet, StartWallet(settings, Peers()))
        yield bot.system, wallet, chain, market, keypair
    finally:
        bot.stop()
        chain.stop()


def refresh(system, wallet) -> BalancesReport:
    reply = system.ask(wallet, RefreshBalances("r"), timeout=10)
    assert isinstance(reply, BalancesReport), reply
    return reply


def test_reservations_never_exceed_free_sol(wallet_world):
    system, wallet, _, _, _ = wallet_world
    report = refresh(system, wallet)
    assert report.sol_lamports == SOL and not report.safety_mode
    free = SOL - FEE_RESERVE_LAMPORTS
    chunk = free // 4
    granted = [system.ask(wallet, ReserveFunds(f"q{i}", "M", chunk), timeout=5) for i in range(5)]
    assert [type(g) for g in granted] == [FundsReserved] * 4 + [ReservationRefused]
    assert "insufficient free SOL" in granted[4].reason and granted[4].request_id == "q4"
    system.tell(wallet, ReleaseFunds(granted[0].reservation_id))
    again = system.ask(wallet, ReserveFunds("q5", "M", chunk), timeout=5)
    assert isinstance(again, FundsReserved)
    assert refresh(system, wallet).reserved_lamports == 4 * chunk


@pytest.mark.parametrize("amount", [0, -5, 1.5, "100"])
def test_bad_amounts_are_refused_explicitly(wallet_world, amount):
    system, wallet, _, _, _ = wallet_world
    refresh(system, wallet)
    reply = system.ask(wallet, ReserveFunds("bad", "M", amount), timeout=5)
    assert isinstance(reply, ReservationRefused) and "bad amount" in reply.reason


def test_unexplained_drop_enters_safety_mode(wallet_world):
    system, wallet, chain, market, keypair = wallet_world
    refresh(system, wallet)
    # someone else spends from the wallet: no transaction of ours explains it
    ix = transfer(TransferParams(from_pubkey=keypair.pubkey(), to_pubkey=Keypair().pubkey(),
                                 lamports=SOL // 2))
    chain.run(market.send_tx(keypair, [ix], [keypair]))
    report = refresh(system, wallet)
    assert report.safety_mode and "mismatch" in report.reason
    reply = system.ask(wallet, ReserveFunds("after", "M", 1_000), timeout=5)
    assert isinstance(reply, ReservationRefused) and "safety mode" in reply.reason
    time.sleep(0.1)
    assert refresh(system, wallet).safety_mode   # sticky
