"""Copy trading end to end on the local chain: two target wallets that the test drives itself (funded
from the faucet, trading through real pump.fun instructions of every generation) are followed by the
running bot over Yellowstone (and the websocket logs fallback). Copied buys are sized by the ratio,
partial sells match their fraction to the token, full exits empty the position, a sell before our
buy confirms goes out pre-confirmation, a killed copied PositionActor recovers, and the PnL the bot
reports equals the wallet's lamport change with no token left."""
from __future__ import annotations

import os
import signal
import time

import pytest
from solders.keypair import Keypair

from messages import new_request_id
from messages.status import ChildPids, ChildPidsRequest
from tests.bot.harness import SOL, Bot, ChainThread, Market, bot_settings, new_bot_wallet, stop_world
from tests.bot.test_lifecycle import HoldBuyUntilSell
from tests.bot.test_todays_pumpfun import launch_v2

pytestmark = pytest.mark.timeout(150)


class World:
    def __init__(self, bot: Bot, chain: ChainThread, tmp_path):
        self.bot, self.chain, self.tmp_path = bot, chain, tmp_path
        self.market = Market(chain)
        self.keypair, self.keypair_path = new_bot_wallet(tmp_path)
        chain.run(self.market.fund(self.keypair.pubkey(), 3 * SOL))
        self.alice = chain.run(self.market.new_wallet(2 * SOL))
        self.bob = chain.run(self.market.new_wallet(2 * SOL))
        self.creator = chain.run(self.market.new_wallet(SOL))
        self.start_balance = 0

    def start(self, stream: str = "grpc", **overrides) -> None:
        values = {"trading.mode": "copy", "copy.ratio": "0.5", "copy.max_lamports": 0,
                  "copy.max_total_lamports": 0,
                  "copy.targets": [str(self.alice.pubkey()), str(self.bob.pubkey())],
                  # our own exits stay out of the way: only the targets move these positions
                  "trading.take_profit_pct": 100_000, "trading.stop_loss_pct": 100,
                  "trading.max_hold_seconds": 300, "run.run_dir": str(self.tmp_path / "run")}
        values.update(overrides)
        settings = bot_settings(self.chain, self.keypair_path, self.tmp_path / "runs", stream=stream,
                                **values)
        self.start_balance = self.chain.run(self.market.balance(self.keypair.pubkey()))
        self.settings = settings
        self.bot.start(settings)
        self.bot.wait_until_streaming(self.chain, self.market)

    def trade(self, who: Keypair, mint: str, **kwargs) -> None:
        self.chain.run(self.market.trade(who, mint, **kwargs))

    def held(self, owner, mint: str) -> int:
        return self.chain.run(self.market.holdings(owner)).get(mint, 0)

    def ours(self, mint: str) -> int:
        return self.held(self.keypair.pubkey(), mint)

    def wait_ours(self, mint: str, predicate, timeout: float = 20) -> int:
        deadline = time.monotonic() + timeout
        while True:
            held = self.ours(mint)
            if predicate(held):
                return held
            if time.monotonic() > deadline:
                raise TimeoutError(f"our holding of {mint} stayed {held}; status {self.bot.status()}")
            time.sleep(0.1)

    def finish(self):
        """Every copy closed: the wallet holds no token and the books equal the chain."""
        status = self.bot.wait_for(lambda s: s.active_positions == 0, timeout=30)
        assert self.chain.run(self.market.holdings(self.keypair.pubkey())) == {}
        end_balance = self.chain.run(self.market.balance(self.keypair.pubkey()))
        assert status.pnl_lamports == end_balance - self.start_balance != 0
        # every settled transaction is a target's, or housekeeping's rent back from an empty account
        assert sum(book["pnl_lamports"] for book in status.copy.values()) + status.rent_reclaimed == status.pnl_lamports
        return status

    def launch_spl(self, name: str) -> str:
        return self.chain.run(self.market.launch(self.creator, name))

    def launch_2022(self, name: str) -> str:
        return self.chain.run(launch_v2(self.market, self.creator, name))


@pytest.fixture
def world(tmp_path):
    bot = Bot()   # before the chain thread: the actor system forks
    chain = None
    try:
        chain = ChainThread().start()
        yield World(bot, chain, tmp_path)
    finally:
        stop_world(bot, chain)


def test_copied_buys_and_sells_follow_two_targets_and_their_fractions(world):
    world.start()
    alice, bob = world.alice, world.bob
    coin_a, coin_b = world.launch_spl("CopyA"), world.launch_2022("CopyB")

    world.trade(alice, coin_a, buy_lamports=SOL // 5)                     # legacy buy, SPL Token coin
    ours_a = world.wait_ours(coin_a, lambda held: held > 0)
    theirs_a = world.held(alice.pubkey(), coin_a)
    assert theirs_a * 4 // 10 < ours_a < theirs_a // 2    # half their SOL, at the price after theirs

    world.trade(bob, coin_b, buy_lamports=SOL // 10, generation="v3")    # v3 buy, Token-2022 coin
    ours_b = world.wait_ours(coin_b, lambda held: held > 0)

    sold = theirs_a // 4
    world.trade(alice, coin_a, sell_tokens=sold, generation="v2")        # a quarter of theirs
    expected = ours_a - ours_a * sold // theirs_a                        # a quarter of ours, exactly
    assert world.wait_ours(coin_a, lambda held: held != ours_a) == expected

    world.trade(bob, coin_b, sell_tokens=world.held(bob.pubkey(), coin_b), generation="v3")   # all
    world.wait_ours(coin_b, lambda held: held == 0)
    assert ours_b > 0

    world.trade(alice, coin_a, sell_tokens=world.held(alice.pubkey(), coin_a))   # the rest, legacy
    status = world.finish()
    books = status.copy
    assert (books[str(alice.pubkey())]["copied_buys"], books[str(alice.pubkey())]["copied_sells"]) == (1, 2)
    assert (books[str(bob.pubkey())]["copied_buys"], books[str(bob.pubkey())]["copied_sells"]) == (1, 1)
    assert status.bought == 2 and status.lifecycle.get("closed") == 2


def test_a_target_selling_before_our_buy_confirms(world):
    world.start()
    coin = world.launch_spl("Early")
    # the network holds our buy back until our next transaction (the sell) arrives
    world.chain.node.chain.submit_gate = HoldBuyUntilSell(world.chain.node.chain, world.keypair.pubkey())
    world.trade(world.alice, coin, buy_lamports=SOL // 10)
    world.bot.wait_for(lambda s: s.lifecycle.get("buys_sent", 0) == 1, timeout=20, poll=0.05)
    assert world.ours(coin) == 0                                          # not landed yet
    world.trade(world.alice, coin, sell_tokens=world.held(world.alice.pubkey(), coin))
    status = world.finish()
    assert status.lifecycle.get("presell_both_landed") == 1


def test_a_killed_copied_position_recovers_and_keeps_following(world):
    world.start()
    alice = world.alice
    coin = world.launch_2022("Killed")
    world.trade(alice, coin, buy_lamports=SOL // 10, generation="v2")
    ours = world.wait_ours(coin, lambda held: held > 0)
    pids = world.bot.system.ask(world.bot.director, ChildPidsRequest(new_request_id("p")), timeout=10)
    assert isinstance(pids, ChildPids)
    os.kill(pids.pids[f"position:{coin}"], signal.SIGKILL)
    world.bot.wait_for(lambda s: s.failures.get("position_restarted", 0) == 1, timeout=20, poll=0.05)

    theirs = world.held(alice.pubkey(), coin)
    world.trade(alice, coin, sell_tokens=theirs // 2)
    assert world.wait_ours(coin, lambda held: held != ours) == ours - ours * (theirs // 2) // theirs
    world.trade(alice, coin, sell_tokens=world.held(alice.pubkey(), coin))
    world.finish()


def test_the_logs_stream_follows_a_target_by_its_trade_events(world):
    """logsSubscribe carries no token balances: their holding is tracked from the trades seen."""
    world.start(stream="ws")
    alice = world.alice
    coin = world.launch_spl("Logs")
    world.trade(alice, coin, buy_lamports=SOL // 10)
    ours = world.wait_ours(coin, lambda held: held > 0)
    theirs = world.held(alice.pubkey(), coin)
    world.trade(alice, coin, sell_tokens=theirs // 3)
    assert world.wait_ours(coin, lambda held: held != ours) == ours - ours * (theirs // 3) // theirs
    world.trade(alice, coin, sell_tokens=world.held(alice.pubkey(), coin))
    status = world.finish()
    assert status.copy[str(alice.pubkey())]["copied_sells"] == 2


def test_repeat_buys_of_a_target_are_copied_up_to_its_max_total(world):
    # ratio 0.5: 0.1 SOL, then 0.04 SOL fit in 0.14 SOL; a third buy of 0.05 SOL would not
    world.start(**{"copy.max_total_lamports": "0.14 SOL"})
    alice = world.alice
    coin = world.launch_spl("Again")
    world.trade(alice, coin, buy_lamports=SOL // 5)
    first = world.wait_ours(coin, lambda held: held > 0)
    world.trade(alice, coin, buy_lamports=80_000_000, generation="v2")
    second = world.wait_ours(coin, lambda held: held > first)
    assert (second - first) * 10 < first * 4           # 0.04 SOL after 0.1 SOL, at a higher price
    world.trade(alice, coin, buy_lamports=SOL // 10)
    target = str(alice.pubkey())
    world.bot.wait_for(lambda s: s.copy[target]["skips"].get("max_total_lamports reached") == 1, timeout=20)
    assert world.ours(coin) == second

    theirs = world.held(alice.pubkey(), coin)
    world.trade(alice, coin, sell_tokens=theirs // 2)  # half of all they bought: half of all ours
    assert world.wait_ours(coin, lambda held: held != second) == second - second * (theirs // 2) // theirs
    world.trade(alice, coin, sell_tokens=world.held(alice.pubkey(), coin))
    status = world.finish()
    book = status.copy[target]
    assert (book["copied_buys"], book["copied_sells"], book["open_lamports"]) == (2, 2, 0)
    assert status.bought == 1 and status.lifecycle.get("closed") == 1


def test_the_per_target_books_survive_a_killed_director(world):
    world.start(**{"copy.min_lamports": "0.02 SOL"})
    alice, bob = world.alice, world.bob
    held_coin, closed_coin = world.launch_spl("Held"), world.launch_2022("Closed")
    world.trade(alice, closed_coin, buy_lamports=SOL // 10, generation="v3")
    world.wait_ours(closed_coin, lambda held: held > 0)
    world.trade(alice, closed_coin, sell_tokens=world.held(alice.pubkey(), closed_coin), generation="v3")
    world.wait_ours(closed_coin, lambda held: held == 0)
    world.trade(alice, held_coin, buy_lamports=SOL // 5)
    ours = world.wait_ours(held_coin, lambda held: held > 0)
    theirs = world.held(alice.pubkey(), held_coin)
    world.trade(alice, held_coin, sell_tokens=theirs // 4)
    ours = world.wait_ours(held_coin, lambda held: held != ours)
    world.trade(bob, closed_coin, buy_lamports=SOL // 50, generation="v3")   # 0.01 SOL for us: below min
    world.trade(bob, held_coin, buy_lamports=SOL // 10)          # alice's copy: not bob's to follow
    target_a, target_b = str(alice.pubkey()), str(bob.pubkey())
    before = world.bot.wait_for(lambda s: s.copy[target_a]["closed"] == 1 and len(s.copy[target_b]["skips"]) == 2,
                                timeout=20).copy
    time.sleep(1.5)   # the ledger (skips) reaches the root within LEDGER_MIRROR_SECONDS (1 s) of a change

    pids = world.bot.system.ask(world.bot.director, ChildPidsRequest(new_request_id("p")), timeout=10)
    os.kill(pids.pids["director"], signal.SIGKILL)
    after = world.bot.wait_for(lambda s: s.restarts.get("director") == 1, timeout=20, poll=0.05).copy
    assert after == before                                       # copied, skipped with reason, PnL, open
    assert before[target_a]["copied_buys"] == 2 and before[target_a]["copied_sells"] == 2
    assert before[target_b]["skips"] == {"below min_lamports": 1, "already held": 1}

    # the new Director's stream subscribes afresh: what the targets do meanwhile is not seen (README)
    deadline = time.monotonic() + 20
    while not world.bot.status().stream.get("launches"):     # its counters start again from 0
        assert time.monotonic() < deadline, "the restarted Director's stream saw nothing"
        world.launch_spl("Probe")                              # copy mode: launches are not bought
        time.sleep(0.3)
    world.trade(alice, held_coin, sell_tokens=world.held(alice.pubkey(), held_coin))   # still followed
    status = world.finish()
    assert status.copy[target_a]["copied_sells"] == 3 and status.copy[target_a]["closed"] == 2
