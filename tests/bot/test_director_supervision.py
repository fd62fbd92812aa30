"""The Director is supervised by the root actor: SIGKILLed at any moment (idle, holding a position, a buy
in flight), it is restarted, its orphaned actors are ended, it resumes from the journal, the chain
and the root's copy of its ledger, and the run goes on: new buys, close-all sells everything, no
token is left in the wallet and the reported PnL equals the wallet's lamport change on the chain.
SIGKILL of an AnalyzerPool worker, of the in-process analyser (analysis.workers = 0), of a warm spare PositionActor and of thespian's logger is
survived too. No process outlives a test."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid

import psutil
import pytest

from actors.root import MAX_RESTARTS
from adapters.journal import Journal
from messages import new_request_id
from messages.status import ChildPids, ChildPidsRequest, DirectorGone, StatusRequest
from tests.bot.harness import SOL, Bot, ChainThread, Market, bot_settings, new_bot_wallet, stop_world
from tests.bot.test_run_cli import RUN_PY, assert_nothing_left, processes_with, run_env

pytestmark = pytest.mark.timeout(90)


class World:
    def __init__(self, bot: Bot, chain: ChainThread, tmp_path):
        self.bot, self.chain = bot, chain
        self.market = Market(chain)
        self.keypair, path = new_bot_wallet(tmp_path)
        chain.run(self.market.fund(self.keypair.pubkey(), 2 * SOL))
        self.journal_path = tmp_path / "journal.sqlite3"
        self.settings = bot_settings(chain, path, tmp_path / "runs",
                                     **{"run.journal_path": str(self.journal_path)})
        self.creator = chain.run(self.market.new_wallet(10 * SOL))
        self.trader = chain.run(self.market.new_wallet(20 * SOL))
        self.coins = 0

    def start(self, **overrides) -> None:
        self.start_balance = self.balance()
        self.bot.start(self.settings.replace(**overrides) if overrides else self.settings)
        self.bot.wait_until_streaming(self.chain, self.market)

    def balance(self) -> int:
        return self.chain.run(self.market.balance(self.keypair.pubkey()))

    def launch(self) -> str:
        self.coins += 1
        mint = self.chain.run(self.market.launch(self.creator, f"Coin{self.coins}"))
        self.chain.run(self.market.buy(self.trader, mint, 100_000_000))
        return mint

    def trade_until_bought(self, bought: int, timeout: float = 30):
        """Launch coins until the bot has sent `bought` buys (some analyses may refuse a coin)."""
        deadline = time.monotonic() + timeout
        while self.bot.status().bought < bought:
            assert time.monotonic() < deadline, f"no buy #{bought}: {self.bot.status()}"
            self.launch()
            end = time.monotonic() + 1.5
            while time.monotonic() < end and self.bot.status().bought < bought:
                time.sleep(0.05)
        return self.bot.status()

    def pids(self) -> dict:
        reply = self.bot.system.ask(self.bot.director, ChildPidsRequest(new_request_id("pids")), timeout=10)
        assert isinstance(reply, ChildPids), reply
        return reply.pids

    def close_all_and_check_books(self):
        """What run.py does at exit, then the chain is the judge: no token left, PnL exact."""
        self.bot.close_all()
        final = self.bot.wait_for(lambda s: s.active_positions == 0 and s.unresolved_signatures == 0,
                                  timeout=40)
        assert self.chain.run(self.market.holdings(self.keypair.pubkey())) == {}
        assert final.pnl_lamports == self.balance() - self.start_balance   # exact, fees and rent
        journal = Journal(self.journal_path)
        rows = journal.all_positions()
        journal.close()
        assert all(row["state"] in ("closed", "failed") for row in rows), rows
        buys = [row["buy_order"]["signature"] for row in rows if row["buy_order"]]
        assert len(buys) == len(set(buys)) == final.bought        # no buy sent twice
        assert len({row["mint"] for row in rows}) == len(rows)    # one position per mint
        return final


@pytest.fixture
def world(tmp_path):
    bot = Bot()   # the actor system before the chain thread: its admin must not fork a threaded process
    chain = None
    try:
        chain = ChainThread().start()
        yield World(bot, chain, tmp_path)
    finally:
        stop_world(bot, chain)


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def kill_director_and_wait(world: World, restarts: int = 1) -> dict:
    """SIGKILL the Director; wait for its restart; its whole old subtree must be gone."""
    before = world.pids()
    killed_at = time.monotonic()
    os.kill(before["director"], signal.SIGKILL)
    status = world.bot.wait_for(lambda s: s.restarts.get("director") == restarts, timeout=20, poll=0.05)
    restarted_in = time.monotonic() - killed_at
    after = world.pids()
    assert all(gone(pid) for pid in before.values()), "an orphan of the dead Director still runs"
    assert not set(before.values()) & set(after.values())
    print(f"director restarted and answering after {restarted_in * 1000:.0f} ms; "
          f"{len(before)} processes of its tree ended")
    return status


@pytest.mark.parametrize("moment", ["idle", "holding", "buy_in_flight"])
def test_director_killed_is_restarted_and_the_books_equal_the_chain(world, moment):
    holding = {"trading.max_hold_seconds": 60, "trading.take_profit_pct": 10_000,
               "trading.stop_loss_pct": 99}
    world.start(**(holding if moment == "holding" else {}))
    if moment == "holding":
        world.trade_until_bought(1)
        world.bot.wait_for(lambda s: s.active_positions >= 1 and s.unresolved_signatures == 0,
                           timeout=20, poll=0.05)
    elif moment == "buy_in_flight":   # dies the moment the journal shows a buy on its way
        journal = Journal(world.journal_path)
        world.launch()
        deadline = time.monotonic() + 20
        while not any(r["buy_order"] for r in journal.all_positions()):
            assert time.monotonic() < deadline, "no buy was sent"
            time.sleep(0.002)
        journal.close()
    bought_before = world.bot.status().bought if moment != "buy_in_flight" else 1
    status = kill_director_and_wait(world)
    if moment == "holding":
        assert status.active_positions >= 1   # resumed from the journal by the new Director
    assert status.bought == bought_before    # the ledger survived (mirror + journal)
    status = world.trade_until_bought(bought_before + 1)   # the run goes on: a new buy
    final = world.close_all_and_check_books()
    assert final.restarts.get("director") == 1 and final.sold >= 1
    assert not final.safety_mode   # the new WalletActor's first reading agreed with the reports


@pytest.mark.parametrize("victim", ["analyzer_worker", "in_process_analyzer", "spare", "logger"])
def test_killing_a_worker_a_spare_or_the_logger_is_survived(world, victim, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    world.start(**({"analysis.workers": 0, "run.run_dir": str(run_dir)} if victim == "in_process_analyzer" else {}))
    world.trade_until_bought(1)
    pids = world.pids()
    if victim == "in_process_analyzer":   # analysis.workers = 0: the Director restarts it, as a dead pool
        target = pids["analyzer"]
    elif victim == "analyzer_worker":
        workers = psutil.Process(pids["analyzer"]).children()
        assert workers, "the analyser troupe has no worker"
        target = workers[0].pid
    elif victim == "spare":
        target = pids["spare:0"]
    else:   # thespian's logger: the admin's child that is not our root (the Director's parent)
        root = psutil.Process(pids["director"]).ppid()
        admin = psutil.Process(root).ppid()
        others = [p.pid for p in psutil.Process(admin).children() if p.pid != root]
        assert len(others) == 1, others
        target = others[0]
    os.kill(target, signal.SIGKILL)
    time.sleep(0.3)
    world.trade_until_bought(world.bot.status().bought + 1)   # still trading
    final = world.close_all_and_check_books()
    assert target not in world.pids().values() and gone(target)
    assert final.restarts.get("director") is None
    if victim == "in_process_analyzer":
        assert final.restarts.get("analyzer") == 1, final.restarts
        # the Director lost the dead analyser's channel and opened the new one's
        log = (run_dir / "bot.log").read_text()
        assert log.count("director: launches go to the analyser on its channel") == 2, log[-3000:]
        assert "director: analysis channel lost" in log


def test_a_director_that_keeps_dying_is_given_up_and_every_request_says_why(world):
    world.start()
    for restart in range(1, MAX_RESTARTS + 1):
        kill_director_and_wait(world, restarts=restart)
    os.kill(world.pids()["director"], signal.SIGKILL)   # one death more than the limit allows
    deadline = time.monotonic() + 10
    while True:
        reply = world.bot.system.ask(world.bot.director, StatusRequest(new_request_id("st")), timeout=5)
        if isinstance(reply, DirectorGone):
            break
        assert time.monotonic() < deadline, reply
        time.sleep(0.05)
    assert "keeps dying" in reply.reason


STATUS_LINE = re.compile(r'^\d\d:\d\d:\d\d seen \d+ analysed (\d+) bought (\d+) ')


def bought_in(line: str) -> int | None:
    match = STATUS_LINE.match(line)
    return int(match.group(2)) if match else None


def analysed_in(line: str) -> int | None:
    match = STATUS_LINE.match(line)
    return int(match.group(1)) if match else None


def director_of_run(marker: str) -> int:
    """The Director of a run.py run: the only child of the Root, and the parent of the core actors."""
    for proc in processes_with(marker):
        try:
            siblings = psutil.Process(proc.ppid()).children()
            if len(siblings) == 1 and len(proc.children()) >= 5:
                return proc.pid
        except psutil.Error:
            continue
    raise AssertionError("no Director found")


def test_run_py_goes_on_after_its_director_is_killed_and_ends_clean(tmp_path):
    """As a user runs it: status keeps flowing, buys go on, close-all at exit reaches the new tree."""
    marker = uuid.uuid4().hex
    process = subprocess.Popen([sys.executable, str(RUN_PY), '--duration', '25', '--seed', '7'],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env=run_env(tmp_path, marker), cwd=tmp_path)
    lines = []
    try:
        for line in process.stdout:
            lines.append(line)
            if bought_in(line):   # up and has bought
                break
        assert process.poll() is None, f"the run bought nothing: {''.join(lines[-12:])}"
        killed_after = len(lines)
        analysed_at_kill = analysed_in(lines[-1])
        os.kill(director_of_run(marker), signal.SIGKILL)
        out, _ = process.communicate(timeout=80)
    finally:
        if process.poll() is None:
            process.kill()
    lines += out.splitlines()
    after = [analysed_in(line) for line in lines[killed_after:] if analysed_in(line) is not None]
    assert process.returncode == 0, ''.join(lines[-20:])
    # status kept flowing and launches were still analysed (new buys: the harness tests above)
    assert after and max(after) > analysed_at_kill, ''.join(lines)
    text = ''.join(lines)
    assert '--- summary (stopped: duration) ---' in text
    assert 'restarts: director 1' in text and 'still open 0' in text
    assert_nothing_left(marker)
    journal = Journal(next((tmp_path / 'runs').rglob('journal.sqlite3')))
    rows = journal.all_positions()
    journal.close()
    assert rows and all(row['state'] in ('closed', 'failed') for row in rows)


def test_a_journal_read_only_while_the_director_restarts_spends_no_restart_budget(world):
    """Fault-matrix run 40 (seed 1): the journal read-only (chattr +i: file modes do not stop root)
    while the Director is killed. Each restart fails to open it; those retries must not spend the
    budget of MAX_RESTARTS (0.5-4 s backoff spends it in ~7.5 s), or the root gives up and the held
    position is never sold. Once the journal is writable the Director resumes and close-all sells."""
    from actors.root import BACKOFF_MAX_SECONDS, BACKOFF_SECONDS
    world.start(**{"trading.max_hold_seconds": 60})   # still held when the Director dies
    world.trade_until_bought(1)
    files = [str(p) for p in (world.journal_path, world.journal_path.with_name("journal.sqlite3-wal")) if p.exists()]
    subprocess.run(["chattr", "+i", *files], check=True)
    try:
        os.kill(world.pids()["director"], signal.SIGKILL)
        budget_spent_after = sum(min(BACKOFF_SECONDS * 2 ** k, BACKOFF_MAX_SECONDS) for k in range(MAX_RESTARTS - 1))
        time.sleep(budget_spent_after + 4)   # the old policy had given up by now
    finally:
        subprocess.run(["chattr", "-i", *files], check=True)
    status = world.bot.wait_for(lambda s: s.active_positions >= 1, timeout=20)   # resumed from the journal
    assert status.restarts.get("director", 0) > MAX_RESTARTS   # tried more often than the budget allows
    assert world.close_all_and_check_books().sold >= 1
