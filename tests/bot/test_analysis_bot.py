"""The analysis in running actors against the local chain: the pool runs analysis.workers worker
processes, re-runs a killed worker's job, answers from the create event alone in fast mode, and the
whole bot buys through either mode (with the chain's RugCheck- and Jupiter-compatible services)."""
from __future__ import annotations

import os
import signal
import time

import psutil
import pytest

from actors.analyzer import AnalyzerPool
from messages import new_request_id
from messages.analysis import (AnalysisDecision, AnalyzeLaunch, AnalyzeLaunches, PoolWorkers, PoolWorkersRequest,
                               unbundled)
from messages.start import Peers, StartAnalyzer
from messages.status import ChildPids, ChildPidsRequest
from tests.bot.harness import SOL, Bot, ChainThread, Market, bot_settings, new_bot_wallet, stop_world
from tests.bot.test_messages import make_launch

pytestmark = pytest.mark.timeout(150)
TOKEN = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"


@pytest.fixture
def world(tmp_path):
    bot = Bot()
    chain = None
    try:
        chain = ChainThread(api_port=0).start()      # with the RugCheck/Jupiter-compatible services
        market = Market(chain)
        keypair, path = new_bot_wallet(tmp_path)
        chain.run(market.fund(keypair.pubkey(), 2 * SOL))
        settings = bot_settings(chain, path, tmp_path / "runs", **{
            "chain.rugcheck_url": chain.node.api_url, "chain.jupiter_url": chain.node.api_url,
            "analysis.deadline_ms": 2_000})
        yield bot, chain, market, settings
    finally:
        stop_world(bot, chain)


def launch_of(mint: str, creator, name: str):
    launch = make_launch(mint=mint, received_at=time.time())
    return launch.__class__(**{**launch.__dict__, "creator": str(creator.pubkey()), "name": name,
                               "symbol": name[:4].upper(), "uri": f"https://example.invalid/{name}.json",
                               "token_program": TOKEN})


def test_pool_runs_n_workers_and_reruns_a_killed_workers_job(world):
    bot, chain, market, settings = world
    settings = settings.replace(**{"analysis.workers": 3})
    pool = bot.system.create_actor(AnalyzerPool)
    bot.system.tell(pool, StartAnalyzer(settings, Peers()))
    deadline = time.monotonic() + 20
    while True:
        reply = bot.system.ask(pool, PoolWorkersRequest("w"), timeout=10)
        if isinstance(reply, PoolWorkers) and len(reply.pids) == 3 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert isinstance(reply, PoolWorkers) and reply.mode == "full"
    assert len(set(reply.pids)) == 3 and all(psutil.pid_exists(p) for p in reply.pids)
    creator = chain.run(market.new_wallet(SOL))
    mints = [chain.run(market.launch(creator, f"Pool{i}")) for i in range(6)]
    with bot.system.asys.private() as private:   # one batch, as the Director sends a LaunchBatch's launches
        # without settings, as the Director sends them: the pool's own (its StartAnalyzer's) apply
        private.tell(pool, AnalyzeLaunches(tuple(AnalyzeLaunch(f"r{i}", launch_of(mint, creator, f"Pool{i}"), None)
                                                 for i, mint in enumerate(mints))))
        replies = []
        while len(replies) < len(mints) and (answer := private.listen(timeout=20)) is not None:
            replies += unbundled(answer)   # answers finished in one wake-up of a worker come in one message
    assert sorted(r.request_id for r in replies) == [f"r{i}" for i in range(6)]
    assert all(isinstance(r, AnalysisDecision) for r in replies), replies
    assert all(r.missing == () or set(r.missing) <= {"uri"} for r in replies), replies
    # SIGKILL every worker with a job in flight: the pool's replacements answer it (at-least-once)
    mint = chain.run(market.launch(creator, "Killed"))
    with bot.system.asys.private() as private:
        private.tell(pool, AnalyzeLaunch("k1", launch_of(mint, creator, "Killed"), settings))
        for pid in reply.pids:
            os.kill(pid, signal.SIGKILL)
        answer = private.listen(timeout=30)
    assert isinstance(answer, AnalysisDecision) and answer.request_id == "k1", answer
    deadline = time.monotonic() + 20      # every exit seen and replaced, in whatever order
    while True:
        after = bot.system.ask(pool, PoolWorkersRequest("w2"), timeout=10)
        if len(after.pids) == 3 and not set(after.pids) & set(reply.pids) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(after.pids) == 3 and not set(after.pids) & set(reply.pids), (after, reply)


def test_fast_mode_answers_without_any_rpc(world, tmp_path):
    bot, chain, market, settings = world
    # no chain at all behind these endpoints: fast mode must not need one
    fast = settings.replace(**{"analysis.mode": "fast", "chain.rpc_urls": ("http://127.0.0.1:9",),
                               "chain.rugcheck_url": "http://127.0.0.1:9"})
    pool = bot.system.create_actor(AnalyzerPool)
    creator = chain.run(market.new_wallet(SOL))
    good = launch_of("Fast1111", creator, "Fast")
    reply = bot.system.ask(pool, AnalyzeLaunch("f1", good, fast), timeout=10)
    assert isinstance(reply, AnalysisDecision) and reply.buy and reply.elapsed_ms < 50, reply
    blank = good.__class__(**{**good.__dict__, "mint": "Fast2222", "name": " "})
    reply = bot.system.ask(pool, AnalyzeLaunch("f2", blank, fast), timeout=10)
    assert not reply.buy and reply.skip_keys[0] == "sanity" and "empty name" in reply.reasons[0]
    mayhem = good.__class__(**{**good.__dict__, "mint": "Fast3333", "is_mayhem_mode": True})
    reply = bot.system.ask(pool, AnalyzeLaunch("f3", mayhem, fast), timeout=10)   # trading.trade_mayhem off
    assert not reply.buy and reply.skip_keys == ("mayhem",), reply
    assert bot.system.ask(pool, PoolWorkersRequest("w"), timeout=10).pids == ()


def run_bot_and_trade(bot, chain, market, settings, coins: int = 3):
    bot.start(settings)
    bot.wait_until_streaming(chain, market)
    creators = [chain.run(market.new_wallet(SOL)) for _ in range(coins)]
    for index, creator in enumerate(creators):
        chain.run(market.launch(creator, f"Coin{index}"))
        time.sleep(0.5)
    status = bot.wait_for(lambda s: s.bought >= 1 and s.analysed >= coins, timeout=40)
    bot.close_all()
    bot.wait_for(lambda s: s.active_positions == 0 and s.unresolved_signatures == 0, timeout=60)
    return status


@pytest.mark.parametrize("mode, workers", [("full", 2), ("fast", 2), ("full", 0)])
def test_running_bot_buys_through_either_mode(world, mode, workers, tmp_path):
    """workers = 0: full mode analysed in the analyser's own process (actors/analyzer_inproc.py),
    its launches and decisions on the analysis channel (actors/analysis_channel.py)."""
    bot, chain, market, settings = world
    settings = settings.replace(**{"analysis.mode": mode, "analysis.workers": workers, "run.run_dir": str(tmp_path)})
    status = run_bot_and_trade(bot, chain, market, settings)
    assert status.bought >= 1 and status.failures.get("analysis_failed", 0) == 0
    pids = bot.system.ask(bot.director, ChildPidsRequest(new_request_id("p")), timeout=10)
    assert isinstance(pids, ChildPids)
    children = psutil.Process(pids.pids["analyzer"]).children()
    # workers = 0: no child, yet every launch analysed in full mode (a pool without workers fails them)
    assert len(children) == (2 if (mode, workers) == ("full", 2) else 0)
    # ... and the launches and decisions went over the analysis channel, not as messages
    log = (tmp_path / "bot.log").read_text()
    assert ("director: launches go to the analyser on its channel" in log) == ((mode, workers) == ("full", 0))
    assert "analysis channel lost" not in log


def test_launches_of_one_transaction_are_analysed_together_in_a_running_bot(world):
    """Two creates in one transaction reach the Director in one LaunchBatch: it asks the pool in
    one AnalyzeLaunches and both decisions come back (in one AnalysisDecisions or two)."""
    from solders.keypair import Keypair

    from adapters.pumpfun import instructions
    bot, chain, market, settings = world
    bot.start(settings.replace(**{"analysis.workers": 1, "analysis.jobs_per_worker": 2}))
    bot.wait_until_streaming(chain, market)
    creator, mints = chain.run(market.new_wallet(SOL)), [Keypair(), Keypair()]
    creates = [instructions.build_create(m.pubkey(), creator.pubkey(), f"Twin{i}", f"TWN{i}",
                                         f"https://example.invalid/twin{i}.json") for i, m in enumerate(mints)]
    chain.run(market.send_tx(creator, creates, [creator, *mints]))
    status = bot.wait_for(lambda s: s.analysed >= 2, timeout=40)
    assert status.analysed >= 2 and status.failures.get("analysis_failed", 0) == 0, status


def test_a_request_without_settings_before_the_pools_start_fails_clearly(world):
    from messages.analysis import AnalysisFailed
    bot = world[0]
    pool = bot.system.create_actor(AnalyzerPool)
    reply = bot.system.ask(pool, AnalyzeLaunch("early", make_launch(mint="Early111"), None), timeout=10)
    assert isinstance(reply, AnalysisFailed) and "not started" in reply.reason, reply


def test_in_process_analyser_queues_past_jobs_per_worker_and_keeps_each_deadline(world):
    """analysis.workers = 0, one analysis at a time: a batch of three is answered in order of
    arrival, each within its own deadline (the clock starts when its analysis does, not when it was
    queued); a deadline too short for the chain's answers leaves the critical checks missing: no buy."""
    from actors.analyzer_inproc import InProcessAnalyzer, analyzer_class
    bot, chain, market, settings = world
    settings = settings.replace(**{"analysis.workers": 0, "analysis.jobs_per_worker": 1})
    assert analyzer_class(settings) is InProcessAnalyzer
    assert analyzer_class(settings.replace(**{"analysis.mode": "fast"})) is AnalyzerPool
    analyser = bot.system.create_actor(InProcessAnalyzer)
    bot.system.tell(analyser, StartAnalyzer(settings, Peers()))
    reply = bot.system.ask(analyser, PoolWorkersRequest("w"), timeout=10)
    assert isinstance(reply, PoolWorkers) and reply.mode == "full" and len(reply.pids) == 1
    assert psutil.Process(reply.pids[0]).children() == []   # no worker process: it analyses itself
    creator = chain.run(market.new_wallet(SOL))
    mints = [chain.run(market.launch(creator, f"Seq{i}")) for i in range(3)]
    short = settings.replace(**{"analysis.deadline_ms": 1})
    with bot.system.asys.private() as private:
        private.tell(analyser, AnalyzeLaunches(tuple(AnalyzeLaunch(f"s{i}", launch_of(mint, creator, f"Seq{i}"), None)
                                                     for i, mint in enumerate(mints))))
        private.tell(analyser, AnalyzeLaunch("late", launch_of(mints[0], creator, "Late"), short))
        replies = []
        while len(replies) < 4 and (answer := private.listen(timeout=20)) is not None:
            replies += unbundled(answer)
    assert [r.request_id for r in replies] == ["s0", "s1", "s2", "late"], replies
    assert all(isinstance(r, AnalysisDecision) for r in replies), replies
    assert all(r.elapsed_ms < 2_000 for r in replies[:3]), replies   # each under its own 2 s deadline
    late = replies[3]
    assert not late.buy and late.elapsed_ms < 500 and {"authority", "holders"} <= set(late.missing), late
