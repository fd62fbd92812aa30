"""Soak: the whole bot against the simulated market on a chain with faults switched on (RPC latency,
429s and 5xx, dropped and delayed transactions, duplicated and reordered stream updates).

CI runs a short version (SOAK_SECONDS, default 20 s of trading); `SOAK=1` runs ten minutes. At the
end the bot must still answer, every position must be closed with every bought token sold, and its
reported PnL must equal the wallet's on-chain lamport change exactly."""
from __future__ import annotations

import os
import time

import pytest

from actors.system import group_processes
from localnet.faults import FaultPlan
from localnet.faults_settings import FaultSettings
from localnet.market import MarketConfig
from localnet.market.cli import MarketRuntime
from tests.bot.harness import SOL, Bot, ChainThread, Market, bot_settings, new_bot_wallet

LONG = os.environ.get("SOAK") == "1"
TRADING_SECONDS = 600 if LONG else float(os.environ.get("SOAK_SECONDS", "20"))
FAULTS = {
    "rpc": {"latency": "uniform:1:20", "rate_429": 0.02, "rate_5xx": 0.01},
    "tx": {"drop_rate": 0.03, "delay_slots": 2, "delay_rate": 0.1},
    "stream": {"dup_rate": 0.02, "reorder_rate": 0.02},
}

pytestmark = [pytest.mark.soak, pytest.mark.timeout(TRADING_SECONDS + 240)]


def test_bot_trades_the_market_through_faults_and_its_books_balance(tmp_path):
    bot = Bot()
    chain = runtime = None
    try:
        plan = FaultPlan(FaultSettings().merged(FAULTS), seed=11)
        chain = ChainThread(api_port=0, faults=plan).start()
        helper = Market(chain)
        keypair, path = new_bot_wallet(tmp_path)
        chain.run(helper.fund(keypair.pubkey(), 5 * SOL))
        start_balance = chain.run(helper.balance(keypair.pubkey()))
        market_config = MarketConfig(seed=5, launch_rate=1.0, speed=1.0)
        runtime = chain.run(MarketRuntime.start(chain.node, market_config, quiet=True))
        settings = bot_settings(chain, path, tmp_path / "runs", **{"trading.max_hold_seconds": 5})
        bot.start(settings)

        deadline = time.monotonic() + TRADING_SECONDS
        while time.monotonic() < deadline:
            status = bot.status()          # the bot keeps answering through the faults
            time.sleep(1)
        assert status.coins_seen >= 1, f"the bot saw no launch: {status}"

        bot.close_all()
        final = bot.wait_for(lambda s: s.active_positions == 0 and s.unresolved_signatures == 0,
                             timeout=120, poll=0.5)
        assert final.bought >= 1, f"nothing bought in {TRADING_SECONDS} s: {final}"
        counters = plan.snapshot()["counters"]
        assert counters["rpc_429"] + counters["rpc_5xx"] + counters["tx_dropped"] + counters["tx_delayed"] > 0
        end_balance = chain.run(helper.balance(keypair.pubkey()))
        assert final.pnl_lamports == end_balance - start_balance   # exact, fees and rent included
        assert chain.run(helper.holdings(keypair.pubkey())) == {}   # every bought token was sold
    finally:
        pgid = bot.system.pgid
        bot.stop()
        if runtime is not None:
            chain.run(runtime.stop())
        if chain is not None:
            chain.stop()
        assert group_processes(pgid) == [], "an actor process outlived the test"
