"""Trades of a copy target made while our stream was down (actors/copy_gaps.py), end to end on the
local chain: the StreamActor is frozen, the target buys a coin, the frozen stream is killed; the
restarted stream, once live, finds that buy among the target's signatures since the last trade it
saw and the Director books it as a skip of that target (too late to copy). Copying goes on after."""
from __future__ import annotations

import os
import signal

import pytest

from actors.policy.copy import MISSED_RESUBSCRIBING
from messages import new_request_id
from messages.status import ChildPidsRequest
from tests.bot.harness import SOL
from tests.bot.test_copy_trading import world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.timeout(150)


def copying_one_coin(world):  # noqa: F811
    """The bot started, copying alice's buy of one coin; another coin launched, not traded yet."""
    alice = world.alice
    seen_coin, missed_coin = world.launch_spl("Seen"), world.launch_spl("Missed")
    world.start()
    world.trade(alice, seen_coin, buy_lamports=SOL // 10)
    world.wait_ours(seen_coin, lambda held: held > 0)
    return alice, str(alice.pubkey()), seen_coin, missed_coin


def test_a_targets_trade_while_the_stream_is_down_is_counted_as_missed(world):  # noqa: F811
    alice, target, seen_coin, missed_coin = copying_one_coin(world)

    pids = world.bot.system.ask(world.bot.director, ChildPidsRequest(new_request_id("p")), timeout=10)
    os.kill(pids.pids["stream"], signal.SIGSTOP)   # its subscription stays open, nothing read from it
    try:
        world.trade(alice, missed_coin, buy_lamports=SOL // 10)
        world.trade(world.bob, missed_coin, buy_lamports=SOL // 20)   # bob's: not a target's, not missed
    finally:
        os.kill(pids.pids["stream"], signal.SIGKILL)
    status = world.bot.wait_for(lambda s: s.copy[target]["skips"].get(MISSED_RESUBSCRIBING), timeout=30)
    assert status.restarts.get("stream") == 1 and status.copy[target]["skips"] == {MISSED_RESUBSCRIBING: 1}
    assert world.ours(missed_coin) == 0

    world.trade(alice, seen_coin, sell_tokens=world.held(alice.pubkey(), seen_coin))   # still followed
    status = world.finish()
    assert status.copy[target]["copied_buys"] == 1 and status.copy[target]["closed"] == 1


def test_a_targets_exit_while_the_stream_is_down_is_followed_late(world):  # noqa: F811
    """Their sell of everything lands while our stream is frozen: the restarted stream's check finds
    it with their balance after it (none), and our copy exits instead of waiting for our own exit
    rules (max hold 300 s here)."""
    alice, target, seen_coin, _ = copying_one_coin(world)
    pids = world.bot.system.ask(world.bot.director, ChildPidsRequest(new_request_id("p")), timeout=10)
    os.kill(pids.pids["stream"], signal.SIGSTOP)
    try:
        world.trade(alice, seen_coin, sell_tokens=world.held(alice.pubkey(), seen_coin))
    finally:
        os.kill(pids.pids["stream"], signal.SIGKILL)
    status = world.finish()   # nothing of theirs follows: only the missed exit can close our copy
    book = status.copy[target]
    assert book["skips"] == {MISSED_RESUBSCRIBING: 1} and (book["copied_sells"], book["closed"]) == (1, 1)


def test_a_targets_trade_while_the_whole_bot_is_down_is_counted_as_missed(world):  # noqa: F811
    """The root and its whole tree SIGKILLed (as run.py sweeps a dead root's): the last trade seen
    of each target is in the journal (actors/copy_seen.py), so the next root's stream counts the
    target's buy made while no bot ran, and the recovered copy still follows their exit."""
    import psutil
    alice, target, seen_coin, missed_coin = copying_one_coin(world)

    pids = world.bot.system.ask(world.bot.director, ChildPidsRequest(new_request_id("p")), timeout=10)
    root = psutil.Process(pids.pids["director"]).parent()
    tree = [root, *root.children(recursive=True)]
    for process in tree:
        process.kill()
    psutil.wait_procs(tree, timeout=10)
    world.trade(alice, missed_coin, buy_lamports=SOL // 10)           # while no bot runs

    world.bot.start(world.settings)                                   # a new root: journal, chain
    status = world.bot.wait_for(lambda s: s.copy[target]["skips"].get(MISSED_RESUBSCRIBING), timeout=30)
    assert status.copy[target]["skips"] == {MISSED_RESUBSCRIBING: 1}
    assert world.ours(missed_coin) == 0

    world.trade(alice, seen_coin, sell_tokens=world.held(alice.pubkey(), seen_coin))   # still followed
    world.wait_ours(seen_coin, lambda held: held == 0)


def test_a_targets_trade_while_the_websocket_reconnects_is_counted_as_missed(world):  # noqa: F811
    """The logs stream (no replay on reconnect): the chain drops the bot's logs subscription, the
    target buys, the chain closes the socket; the StreamActor subscribes again and, from the last
    trade of theirs it saw, counts that buy as missed."""
    alice, target = world.alice, str(world.alice.pubkey())
    world.start(stream="ws")   # launches seen after the start: the logs carry no token program
    seen_coin, missed_coin = world.launch_spl("Seen"), world.launch_spl("Missed")
    world.trade(alice, seen_coin, buy_lamports=SOL // 10)
    world.wait_ours(seen_coin, lambda held: held > 0)

    hub = world.chain.node.pubsub.hub
    logs_sockets = [s for s in list(hub.sockets) if any(sub.socket is s and sub.kind == "logs"
                                                        for sub in list(hub._by_id.values()))]
    assert logs_sockets, "the bot's logs subscription is not on the chain"

    async def unsubscribe() -> None:   # on the chain's loop: nothing more reaches the bot from now
        for socket in logs_sockets:
            hub.remove_socket(socket)

    async def close() -> None:
        for socket in logs_sockets:
            await socket.ws.close()
    world.chain.run(unsubscribe())
    world.trade(alice, missed_coin, buy_lamports=SOL // 10)           # in the gap
    world.chain.run(close())

    status = world.bot.wait_for(lambda s: s.copy[target]["skips"].get(MISSED_RESUBSCRIBING), timeout=30)
    assert status.copy[target]["skips"] == {MISSED_RESUBSCRIBING: 1} and status.restarts.get("stream") is None
    assert world.ours(missed_coin) == 0
    world.trade(alice, seen_coin, sell_tokens=world.held(alice.pubkey(), seen_coin))   # still followed
    world.wait_ours(seen_coin, lambda held: held == 0)
