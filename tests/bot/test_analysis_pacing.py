"""The Director sends launches to the analyser at most once per analysis.send_interval_ms
(actors/send_pacer.py): launches arriving meanwhile go together; one after a quiet interval goes
at once. Pure: the Director's thespian primitives (send, wakeupAfter) are recorded, no system."""
from __future__ import annotations

import pytest
from thespian.actors import WakeupMessage

from actors.director import Director
from actors.send_pacer import SendPacer
from config.settings import load_settings
from messages.analysis import unbundled
from messages.stream import LaunchBatch
from tests.bot.test_analysis_sources import Clock
from tests.bot.test_messages import make_launch


def test_the_pacer_sends_at_once_after_a_quiet_interval_and_gathers_within_one():
    clock = Clock()
    pacer = SendPacer(0.005, clock)
    assert pacer.offer(["a"]) == (["a"], None)                  # nothing sent before: at once
    clock.now += 0.001
    now, wait = pacer.offer(["b"])                              # 1 ms after: wait the 4 ms left
    assert now == [] and wait == pytest.approx(0.004)
    clock.now += 0.002
    assert pacer.offer(["c", "d"]) == ([], None)                # a wake-up is already due
    clock.now += 0.002
    assert pacer.due() == ["b", "c", "d"]                       # one message for the three
    clock.now += 0.010
    assert pacer.offer(["e"]) == (["e"], None)                  # quiet again: at once
    assert pacer.due() == []                                     # a stray wake-up sends nothing


def test_an_interval_of_zero_sends_every_batch_at_once():
    pacer = SendPacer(0, Clock())
    assert pacer.offer(["a"]) == (["a"], None) and pacer.offer(["b"]) == (["b"], None)


def paced_director(interval_ms: int, clock: Clock):
    d = Director()
    d.settings = load_settings(env={}, overrides={"trading.max_active_positions": 100,
                                                  "analysis.send_interval_ms": interval_ms})
    d.analysis_pacer = SendPacer(interval_ms / 1000, clock)
    sent, wakeups = [], []
    d.send = lambda to, msg: sent.append((to, [r.launch.mint for r in unbundled(msg)]))
    d.wakeupAfter = lambda after, payload=None: wakeups.append((after, payload))
    return d, sent, wakeups


def test_the_director_sends_launches_within_the_interval_in_one_message():
    clock = Clock()
    d, sent, wakeups = paced_director(5, clock)
    d.receiveMsg_LaunchBatch(LaunchBatch((make_launch("A"),)), None)
    clock.now += 0.001
    d.receiveMsg_LaunchBatch(LaunchBatch((make_launch("B"),)), None)
    clock.now += 0.001
    d.receiveMsg_LaunchBatch(LaunchBatch((make_launch("C"), make_launch("D"))), None)
    assert [mints for _, mints in sent] == [["A"]]
    assert len(wakeups) == 1 and wakeups[0][1] == "analysis" and wakeups[0][0] == pytest.approx(0.004)
    clock.now += 0.003
    d.receiveMsg_WakeupMessage(WakeupMessage(wakeups[0][0], "analysis"), None)
    assert [mints for _, mints in sent] == [["A"], ["B", "C", "D"]]
    assert set(d.analysing) == {"A", "B", "C", "D"}           # each holds its slot from its batch on
    clock.now += 0.050
    d.receiveMsg_LaunchBatch(LaunchBatch((make_launch("E"),)), None)
    assert sent[-1][1] == ["E"] and len(wakeups) == 1          # after a quiet interval: at once


def test_with_pacing_off_every_batch_goes_at_once():
    clock = Clock()
    d, sent, wakeups = paced_director(0, clock)
    for mint in "ABC":
        d.receiveMsg_LaunchBatch(LaunchBatch((make_launch(mint),)), None)
    assert [mints for _, mints in sent] == [["A"], ["B"], ["C"]] and not wakeups
