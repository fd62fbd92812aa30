"""The fault matrix (benchmarks/fault_matrix.py), short: each checker flags a violation planted on a real
local chain (tokens left in a wallet, a coin bought twice, tokens sold twice, lamports moved outside
the journal, a process outliving the bot), and one real run of the bot under named faults passes
every check. The long matrix is `python -m benchmarks.fault_matrix --runs N --seed S`."""
from __future__ import annotations

import argparse
import subprocess
import sys
import uuid

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from adapters.pumpfun import instructions
from benchmarks.fault_audit import (ChainReader, check_lamports, check_leftovers, check_stranded, check_trades,
                                    summary_scope_change, wallet_tx_from_json)
from benchmarks.fault_bot import MARKER_VARIABLE, marked_processes
from benchmarks.fault_matrix import run_once
from benchmarks.fault_plan import FAULT_KINDS, FaultEvent, draw_plan
from tests.bot.harness import SOL, ChainThread, Market
from tests.localnet.helpers import sol_transfer

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def chain():
    chain = ChainThread().start()
    yield chain
    chain.stop()


@pytest.fixture(scope="module")
def traded(chain):
    """A trader that bought one coin twice and sold part of it twice, and paid a stranger 1 SOL."""
    market = Market(chain)
    creator = chain.run(market.new_wallet(5 * SOL))
    trader = chain.run(market.new_wallet(5 * SOL))
    start = chain.run(market.balance(trader.pubkey()))
    mint = chain.run(market.launch(creator, "Twice"))
    chain.run(market.buy(trader, mint, 50_000_000))
    chain.run(market.buy(trader, mint, 60_000_000))     # other amounts: not the same transaction twice
    held = chain.run(market.holdings(trader.pubkey()))[mint]
    global_ = chain.run(market._global())
    state = chain.run(market._curve(Pubkey.from_string(mint)))
    for share in (4, 5):
        sell = instructions.build_sell(trader.pubkey(), Pubkey.from_string(mint), state.creator,
                                       global_.fee_recipient, held // share, 0)
        chain.run(market.send_tx(trader, [sell], [trader]))
    chain.run(market.send_tx(trader, [sol_transfer(trader, Keypair().pubkey(), SOL)], [trader]))
    owner = str(trader.pubkey())
    reader = ChainReader(chain.node.rpc_url)
    txs = [tx for tx in reader.wallet_txs(owner) if tx.lamport_delta != 5 * SOL]   # the funding
    return {"mint": mint, "txs": txs, "change": reader.balance(owner) - start,
            "holdings": chain.run(market.holdings(trader.pubkey()))}


def order(signature: str, kind: str, state: str = "confirmed") -> dict:
    return {"signature": signature, "kind": kind, "state": state}


def row_for(mint: str, buy: dict | None, sells: list[dict], pnl: int) -> dict:
    return {"mint": mint, "buy_order": buy, "sell_orders": sells, "pnl_lamports": pnl}


def test_the_chain_reader_sees_each_trade_of_the_wallet(traded):
    kinds = [kind for tx in traded["txs"] for _, kind in tx.trades]
    assert kinds == ["buy", "buy", "sell", "sell"]
    assert all(tx.ok for tx in traded["txs"])
    assert traded["txs"][-1].token_deltas == {} and traded["txs"][-1].lamport_delta < -SOL   # the payment + fee
    assert sum(tx.lamport_delta for tx in traded["txs"]) == traded["change"]


def test_tokens_left_in_the_wallet_are_flagged(traded):
    mint = traded["mint"]
    found = check_stranded(traded["holdings"], output=f"ERROR position {mint}: failed\n--- summary ---\n")
    assert [v.kind for v in found] == ["stranded"] and mint in found[0].detail
    assert "NOT reported" in found[0].detail   # a log line is no report
    report = f"--- summary ---\nLEFT IN THE WALLET: {mint} 5 raw tokens (position still open)\n"
    reported = check_stranded(traded["holdings"], output=report, exit_code=1)
    assert [v.kind for v in reported] == ["stranded"]   # reported, still a violation: it was sellable
    assert "(reported: LEFT IN THE WALLET, exit 1)" in reported[0].detail
    assert "NOT" in check_stranded(traded["holdings"], output=report, exit_code=0)[0].detail   # exit 0 hides it
    assert check_stranded({}, "") == []


def test_a_coin_bought_twice_and_sold_twice_is_flagged(traded):
    mint, (buy1, buy2, sell1, sell2, _) = traded["mint"], traded["txs"]
    journal = [row_for(mint, order(buy1.signature, "buy"), [order(sell1.signature, "sell")], 0)]
    kinds = sorted(v.kind for v in check_trades(traded["txs"], journal))
    # the second buy and the second sell are also missing from the journal
    assert kinds == ["books", "books", "double_buy", "double_sell"]
    honest = [row_for(mint, order(buy1.signature, "buy"), [order(sell1.signature, "sell")], 0),
              row_for(mint, order(buy2.signature, "buy"), [order(sell2.signature, "sell")], 0)]
    assert [v.kind for v in check_trades(traded["txs"], honest)] == ["double_buy"]   # still two buys of one mint


def test_an_order_the_journal_calls_confirmed_that_never_landed_is_flagged(traded):
    invented = row_for("SomeMint", order("5" * 88, "sell"), [], 0)
    found = check_trades([], [invented])
    assert [v.kind for v in found] == ["books"] and "no such successful transaction" in found[0].detail


def test_lamports_moved_outside_the_journal_are_flagged(traded):
    mint, txs = traded["mint"], traded["txs"]
    trades = sum(tx.lamport_delta for tx in txs[:4])
    rows = [row_for(mint, order(txs[0].signature, "buy"), [order(txs[2].signature, "sell")], 0),
            row_for(mint, order(txs[1].signature, "buy"), [order(txs[3].signature, "sell")], trades)]
    found = check_lamports(traded["change"], txs, rows, summary_pnl=trades)
    assert [v.kind for v in found] == ["lamports", "lamports"]    # journal and summary both miss the payment
    assert txs[4].signature[:12] in found[0].detail
    rows[1]["pnl_lamports"] = traded["change"]
    assert check_lamports(traded["change"], txs, rows, summary_pnl=traded["change"]) == []
    assert [v.kind for v in check_lamports(traded["change"] + 1, txs, rows, None)] == ["lamports", "lamports"]


def test_a_restarted_run_py_summary_is_judged_on_its_own_positions(traded):
    """After a kill -9 and restart, the last run.py's summary covers the positions it opened and the
    ones it recovered (whole: their earlier buy too), not those the killed one closed."""
    mint, txs = traded["mint"], traded["txs"]
    since = 1_000.0
    closed_by_the_killed_one = dict(row_for(mint, order(txs[0].signature, "buy"), [order(txs[2].signature, "sell")], 0),
                                    opened_at=since - 20, updated_at=since - 10, state="closed")
    recovered = dict(row_for(mint, order(txs[1].signature, "buy"), [order(txs[3].signature, "sell")], 0),
                     opened_at=since - 5, updated_at=since + 3, state="closed")
    rows = [closed_by_the_killed_one, recovered]
    expected = summary_scope_change(txs, rows, since)
    assert expected == txs[1].lamport_delta + txs[3].lamport_delta
    rows[1]["pnl_lamports"] = traded["change"]   # the journal itself balances: only the summary is judged
    assert check_lamports(traded["change"], txs, rows, expected, expected) == []
    found = check_lamports(traded["change"], txs, rows, txs[3].lamport_delta, expected)   # the recovered buy left out
    assert [v.kind for v in found] == ["lamports"] and "last run.py's positions" in found[0].detail


def test_a_process_outliving_the_bot_is_flagged():
    marker = uuid.uuid4().hex
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"],
                               env={MARKER_VARIABLE: marker}, start_new_session=True)
    try:
        found = check_leftovers(marked_processes(marker))
        assert [v.kind for v in found] == ["leftover"] and str(sleeper.pid) in found[0].detail
    finally:
        sleeper.kill()
        sleeper.wait()
    assert check_leftovers(marked_processes(marker)) == []


def test_a_failed_transaction_trades_nothing():
    tx = {"meta": {"err": {"InstructionError": [0, "Custom"]}, "preBalances": [10, 0], "postBalances": [5, 0],
                   "preTokenBalances": [], "postTokenBalances": [
                       {"mint": "M", "owner": "W", "uiTokenAmount": {"amount": "7"}}]},
          "transaction": {"message": {"accountKeys": ["W", "X"]}}}
    parsed = wallet_tx_from_json("sig", tx, "W")
    assert parsed.lamport_delta == -5 and parsed.token_deltas == {"M": 7} and parsed.trades == []


def test_plans_repeat_from_the_seed_and_cover_every_kind():
    assert draw_plan(3, 5, 20) == draw_plan(3, 5, 20)
    covered = {e.kind for i in range(len(FAULT_KINDS)) for e in draw_plan(1, i, 20)}
    assert covered == set(FAULT_KINDS)


def test_a_short_run_under_faults_passes_every_check(tmp_path):
    """The real bot (run.py) on the local market: a seller killed, 25 % RPC errors for 3 s, a whole-bot
    kill -9 and restart on the same journal; then the chain is the judge."""
    args = argparse.Namespace(seed=11, window=8.0, hold_seconds=3, close_timeout=60, launch_rate=1.0, out=tmp_path,
                              first_buy_timeout=30.0)    # the faults start once a buy was sent
    plan = [FaultEvent("kill:seller", 0.5),
            FaultEvent("rpc_errors", 1.0, 3.0, {"rpc": {"rate_429": 0.2, "rate_5xx": 0.05}}),
            FaultEvent("bot_restart", 4.0)]
    result = run_once(args, 0, plan)
    print(result.line())
    assert result.error == ""
    assert result.checks == ["stranded", "trades", "lamports", "leftovers"]
    assert all(result.injected[e.kind].startswith("done") for e in plan), result.injected
    assert result.buys > 0, "nothing was bought: the checks judged an idle run"
    assert result.violations == [], result.line()


def test_a_killed_root_is_restarted_by_run_py_and_a_read_only_journal_catches_up(tmp_path):
    """The real bot (run.py): its root actor SIGKILLed while it trades (run.py sweeps the orphaned
    Director's tree and starts a new root that resumes from the journal), then the journal made
    read-only for 3 s; the one summary must still equal the chain, nothing stranded or left running."""
    args = argparse.Namespace(seed=12, window=8.0, hold_seconds=3, close_timeout=60, launch_rate=1.0, out=tmp_path,
                              first_buy_timeout=30.0)
    plan = [FaultEvent("kill:root", 0.5), FaultEvent("journal_readonly", 2.0, 3.0)]
    result = run_once(args, 0, plan)
    print(result.line())
    assert result.error == ""
    assert all(result.injected[e.kind].startswith("done") for e in plan), result.injected
    logs = "".join(p.read_text(errors="replace") for p in tmp_path.glob("run-000/runs/*/bot.log"))
    assert "restart #1 resumes from the journal" in logs   # run.py noticed the dead root
    assert result.buys > 0, result.line()
    assert result.violations == [], result.line()   # includes summary PnL == wallet change
    output = (tmp_path / "run-000" / "run_py_1.out").read_text(errors="replace")
    assert "LEFT IN THE WALLET" not in output
    # the journal failed for 3 s: the exit says so (safety mode) and exits 1; nothing else may
    assert result.exit_codes == ([1] if "JOURNAL FAILED" in output else [0]), result.line()
