"""Wallet housekeeping against a real local chain: wrap and rebalance move exact lamports, auto-wrap
tops WSOL up, a dead position's reservation is released by mint, and `run.py --sell` sells every
token in the wallet (native curve and, for a graduated coin, Jupiter through the pool)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from actors.trading_io import ATA_RENT_LAMPORTS, token_accounts
from actors.wallet import FEE_RESERVE_LAMPORTS, WalletActor
from actors.wallet_jobs import rebalance_steps
from adapters.pumpswap.wsol import wsol_account
from messages.start import Peers, StartWallet
from messages.wallet import (BalancesReport, FundsReserved, HousekeepingDone, HousekeepingFailed,
                             Rebalance, RefreshBalances, ReleaseMintReservations,
                             ReservationRefused, ReserveFunds, WrapSol)
from tests.bot.harness import SOL, Bot, ChainThread, Market, bot_settings, new_bot_wallet
from tests.bot.test_must_sell import graduate

pytestmark = pytest.mark.timeout(120)
RUN_PY = Path(__file__).resolve().parents[2] / "run.py"
TX_FEE = 5_000 + 20_000   # signature + priority (100_000 micro-lamports x 200_000 units)


@pytest.fixture
def world(tmp_path):
    bot = Bot()   # the actor system first: its admin must not be forked from a threaded process
    chain = ChainThread(api_port=0).start()
    try:
        market = Market(chain)
        keypair, path = new_bot_wallet(tmp_path)
        chain.run(market.fund(keypair.pubkey(), 1 * SOL))
        yield bot, chain, market, keypair, path, tmp_path
    finally:
        bot.stop()
        chain.stop()


def start_wallet(world, **overrides):
    bot, chain, _, _, path, tmp_path = world
    settings = bot_settings(chain, path, tmp_path / "runs", **{
        "chain.jupiter_url": chain.node.api_url, "balance.auto_wrap_enabled": False, **overrides})
    wallet = bot.system.create_actor(WalletActor)
    bot.system.tell(wallet, StartWallet(settings, Peers()))
    assert isinstance(bot.system.ask(wallet, RefreshBalances("ready"), timeout=20), BalancesReport)
    return wallet


def balances(world) -> tuple[int, int]:
    _, chain, market, keypair, _, _ = world
    wsol = chain.run(chain.rpc.get_token_balance(wsol_account(keypair.pubkey()))) or 0
    return chain.run(market.balance(keypair.pubkey())), wsol


def ask(world, wallet, msg):
    return world[0].system.ask(wallet, msg, timeout=30)


def test_wrap_moves_exact_lamports(world):
    wallet = start_wallet(world)
    sol_before, _ = balances(world)
    reply = ask(world, wallet, WrapSol("w", 200_000_000))
    assert isinstance(reply, HousekeepingDone), reply
    sol, wsol = balances(world)
    assert wsol == 200_000_000 == reply.wsol_delta
    assert sol - sol_before == reply.sol_delta == -(200_000_000 + ATA_RENT_LAMPORTS + TX_FEE)
    report = ask(world, wallet, RefreshBalances("after"))
    assert not report.safety_mode   # our own wrap never looks like an unexplained drop


@pytest.mark.parametrize("amount", [0, -1, 10 * SOL, "1"])
def test_bad_or_unaffordable_wraps_are_refused(world, amount):
    wallet = start_wallet(world)
    reply = ask(world, wallet, WrapSol("bad", amount))
    assert isinstance(reply, HousekeepingFailed) and reply.action == "wrap"
    assert ("bad amount" in reply.reason) or ("insufficient free SOL" in reply.reason)
    assert balances(world)[1] == 0


def test_rebalance_wraps_then_unwraps_to_the_target_exactly(world):
    wallet = start_wallet(world, **{"balance.sol_wsol_target_ratio_bps": 6_000,
                                    "balance.rebalance_threshold_bps": 1_000})
    sol, wsol = balances(world)
    reply = ask(world, wallet, Rebalance("up", auto_wrap=False))
    assert isinstance(reply, HousekeepingDone) and len(reply.signatures) == 1, reply
    assert balances(world)[1] == (sol + wsol) * 4_000 // 10_000
    again = ask(world, wallet, Rebalance("again", auto_wrap=False))
    assert isinstance(again, HousekeepingDone) and again.signatures == ()   # within the threshold

    heavy = start_wallet(world, **{"balance.sol_wsol_target_ratio_bps": 9_000,
                                   "balance.rebalance_threshold_bps": 1_000})
    sol, wsol = balances(world)
    down = ask(world, heavy, Rebalance("down", auto_wrap=False))
    assert isinstance(down, HousekeepingDone) and len(down.signatures) == 2, down   # unwrap, wrap
    assert balances(world)[1] == (sol + wsol) * 1_000 // 10_000
    # closing the WSOL account returned its rent, re-creating it paid it again: only fees are gone
    assert sum(balances(world)) == sol + wsol - 2 * TX_FEE


def test_auto_wrap_tops_wsol_up(world):
    wallet = start_wallet(world, **{"balance.rebalance_threshold_bps": 10_000,
                                    "balance.auto_wrap_enabled": True,
                                    "balance.wrap_lamports": 50_000_000})
    reply = ask(world, wallet, Rebalance("auto"))
    assert isinstance(reply, HousekeepingDone) and "auto-wrap" in reply.detail, reply
    assert balances(world)[1] == 50_000_000
    again = ask(world, wallet, Rebalance("auto2"))
    assert again.signatures == ()   # already holds the wrap amount


def test_rebalance_plan_never_wraps_reserved_or_fee_sol():
    steps, _ = rebalance_steps(SOL, 0, 5_000, 2_000, free=100_000_000)
    assert steps == [("wrap", 100_000_000 - ATA_RENT_LAMPORTS)]
    assert rebalance_steps(SOL, 0, 5_000, 2_000, free=0)[0] == []
    assert rebalance_steps(600, 400, 5_000, 2_000, free=SOL)[0] == []


def test_a_released_reservation_frees_the_funds(world):
    wallet = start_wallet(world)
    free = SOL - FEE_RESERVE_LAMPORTS
    held = ask(world, wallet, ReserveFunds("dead", "MintOfADeadPosition", free - 1_000))
    assert isinstance(held, FundsReserved)
    refused = ask(world, wallet, ReserveFunds("next", "OtherMint", 10_000_000))
    assert isinstance(refused, ReservationRefused)
    world[0].system.tell(wallet, ReleaseMintReservations("MintOfADeadPosition", "position died"))
    granted = ask(world, wallet, ReserveFunds("next2", "OtherMint", 10_000_000))
    assert isinstance(granted, FundsReserved)
    assert ask(world, wallet, RefreshBalances("r")).reserved_lamports == 10_000_000


def test_run_py_sell_sells_every_token(world):
    _, chain, market, keypair, path, tmp_path = world
    creator = chain.run(market.new_wallet(SOL // 10))
    live_coin, graduated_coin = (chain.run(market.launch(creator, n)) for n in ("Left", "Gone"))
    for mint in (live_coin, graduated_coin):
        chain.run(market.buy(keypair, mint, 20_000_000))
    graduate(chain, market, graduated_coin)
    config = tmp_path / "live.toml"
    config.write_text(f'[chain]\nmode = "live"\njupiter_url = "{chain.node.api_url}"\n'
                      f'[wallet]\nkeypair_path = "{path}"\n')
    env = {**os.environ, "RPC_URLS": chain.node.rpc_url, "WS_URL": chain.node.ws_url,
           "PUMPSNIPE__RUN__RUNS_DIR": str(tmp_path / "runs")}
    result = subprocess.run([sys.executable, str(RUN_PY), "--config", str(config), "--sell", "--quiet"],
                            capture_output=True, text=True, env=env, timeout=100, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sold 2 token(s)" in result.stdout, result.stdout
    assert chain.run(token_accounts(chain.rpc, keypair.pubkey())) == []


def test_run_py_wrap_and_balance_print_the_wallet_after(world):
    """`--wrap 0.1` wraps exactly 0.1 SOL and shows the wallet before and after; `--balance` too."""
    _, chain, _, keypair, path, tmp_path = world
    config = tmp_path / "live.toml"
    config.write_text(f'[chain]\nmode = "live"\n[wallet]\nkeypair_path = "{path}"\n')
    env = {**os.environ, "RPC_URLS": chain.node.rpc_url, "WS_URL": chain.node.ws_url,
           "PUMPSNIPE__RUN__RUNS_DIR": str(tmp_path / "runs"), "SOL_WSOL_TARGET_RATIO": "0.5"}
    wrapped = subprocess.run([sys.executable, str(RUN_PY), "--config", str(config), "--wrap", "0.1",
                              "--quiet"], capture_output=True, text=True, env=env, timeout=100, cwd=tmp_path)
    assert wrapped.returncode == 0, wrapped.stdout + wrapped.stderr
    lines = wrapped.stdout.splitlines()
    before = next(line for line in lines if line.startswith("before: "))
    after = next(line for line in lines if line.startswith("after: "))
    assert "WSOL 0.000000000" in before and "WSOL 0.100000000," in after, wrapped.stdout
    balanced = subprocess.run([sys.executable, str(RUN_PY), "--config", str(config), "--balance",
                               "--quiet"], capture_output=True, text=True, env=env, timeout=100, cwd=tmp_path)
    assert balanced.returncode == 0, balanced.stdout + balanced.stderr
    after = next(line for line in balanced.stdout.splitlines() if line.startswith("after: "))
    sol_text, wsol_text = (after.split(name + " ")[1].split(",")[0] for name in ("SOL", "WSOL"))
    sol, wsol = (int(text.replace(".", "")) for text in (sol_text, wsol_text))
    assert abs(sol - wsol) <= (sol + wsol) // 10, after   # near the 50/50 target after a rebalance
