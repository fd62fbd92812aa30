"""The analysis's RPC (accounts, holders and the honeypot probe's simulations, one batch per coin)
fails over to the next configured endpoint: the first endpoint is the local chain behind its own
fault injector (localnet/faults: every request answered 5xx, or held past the client's timeout),
the second a plain JSON-RPC server in front of the same chain."""
from __future__ import annotations

import asyncio
import dataclasses

import pytest
from solders.keypair import Keypair

from adapters.analysis.gather import Analyst
from adapters.analysis.limits import RateLimited
from adapters.keys import write_keypair_file
from config.settings import load_settings
from localnet.faults import FaultPlan
from localnet.rpc_server import start_rpc_server
from tests.bot.harness import SOL, ChainThread, Market
from tests.bot.test_messages import make_launch

pytestmark = pytest.mark.timeout(60)
TOKEN = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"


@pytest.fixture
def world(tmp_path):
    plan = FaultPlan()
    chain = ChainThread(faults=plan).start()
    clean = chain.run(start_rpc_server(chain.node.chain, "127.0.0.1", 0))   # the same chain, no faults
    try:
        market = Market(chain)
        wallet = Keypair()
        chain.run(market.fund(wallet.pubkey(), SOL))
        creator = chain.run(market.new_wallet(SOL))
        mint = chain.run(market.launch(creator, "Fail"))
        launch = dataclasses.replace(make_launch(mint=mint), creator=str(creator.pubkey()), token_program=TOKEN,
                                     name="Fail", symbol="FAIL")
        settings = load_settings(env={}, overrides={
            "chain.rpc_urls": [chain.node.rpc_url, f"http://127.0.0.1:{clean.port}"],
            "chain.rpc_timeout_ms": 300, "run.runs_dir": str(tmp_path),
            "wallet.keypair_path": str(write_keypair_file(wallet, tmp_path / "w.json"))})
        yield chain, plan, launch, settings
    finally:
        chain.run(clean.stop())
        chain.stop()


def set_faults(chain, plan, changes: dict) -> None:
    async def update():      # the plan lives on the chain's loop thread
        plan.update(changes)
    chain.run(update())


def gather(settings, launch, warm: bool = True):
    async def run():
        analyst = Analyst(settings)
        try:
            if warm:
                await analyst.warm_up()      # Global read before the faults start
            facts = await analyst.gather(launch, 3.0)
            return facts, analyst.rpc.failovers
        finally:
            await analyst.close()
    return asyncio.run(run())


@pytest.mark.parametrize("faults, counter", [({"rate_5xx": 1.0}, "rpc_5xx"),
                                             ({"timeout_rate": 1.0, "timeout_hold_s": 2.0}, "rpc_timeouts")])
def test_the_probe_and_the_reads_go_to_the_next_endpoint_when_one_fails(world, faults, counter):
    chain, plan, launch, settings = world
    facts, failovers = gather(settings, launch)
    assert failovers == 0 and facts["honeypot"][0] is True          # both endpoints fine: no failover
    set_faults(chain, plan, {"rpc": faults})
    facts, failovers = gather(settings, launch, warm=False)
    assert getattr(plan.counters, counter) >= 1, "the fault injector answered the first endpoint"
    assert failovers >= 1
    sell_ok, loss_bps, error = facts["honeypot"]
    assert sell_ok and error == "" and 100 <= loss_bps <= 1_000, facts["honeypot"]
    assert "mint" in facts and "holders" in facts


def test_every_endpoint_rate_limited_raises_for_the_backoff(world):
    chain, plan, launch, settings = world
    one = settings.replace(**{"chain.rpc_urls": (chain.node.rpc_url,)})
    set_faults(chain, plan, {"rpc": {"rate_429": 1.0}})

    async def run():
        analyst = Analyst(one)
        analyst.open()
        try:
            with pytest.raises(RateLimited):
                await analyst.rpc.call("getHealth", [])
        finally:
            await analyst.close()
    asyncio.run(run())
    assert plan.counters.rpc_429 >= 1
