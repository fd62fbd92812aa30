"""IOActor bridge on a real multiprocTCPBase system: callbacks run only in the actor thread, and a
hung coroutine never stalls the actor."""
import asyncio
import gc
import threading
import time
import weakref

import pytest

from thespian.actors import ActorExitRequest

from actors.bridge import IOActor
from actors.system import BotActorSystem


class Payload:
    """A coroutine's result that can be watched for being freed."""


class BridgeProbe(IOActor):
    """Records which thread runs each callback and answers 'report' with what it saw."""

    def __init__(self):
        super().__init__()
        self.callback_threads: list[int] = []
        self.coroutine_threads: list[int] = []
        self.results: list = []
        self.errors: list[tuple[str, float]] = []
        self.posted: list = []

    async def _work(self, value, delay):
        self.coroutine_threads.append(threading.get_ident())
        await asyncio.sleep(delay)
        return value

    async def _stream(self, count):
        for i in range(count):
            await asyncio.sleep(0.005)
            self.post(self._on_item, i)

    def _hold(self, seconds):
        with self.actor_lock:
            self.hold_state = 'holding'
            time.sleep(seconds)
            self.hold_state = 'released'

    def _on_item(self, item):
        self.callback_threads.append(threading.get_ident())
        self.posted.append(item)

    def _on_result(self, value):
        self.callback_threads.append(threading.get_ident())
        self.results.append(value)

    def _on_error(self, exc):
        self.callback_threads.append(threading.get_ident())
        self.errors.append((type(exc).__name__, time.monotonic()))

    def on_message(self, msg, sender):
        kind = msg[0]
        if kind == 'work':
            self.submit(self._work(msg[1], msg[2]), self._on_result, self._on_error)
        elif kind == 'hang':
            self.hang_started = time.monotonic()
            self.submit(asyncio.sleep(3600), self._on_result, self._on_error, timeout=msg[1])
        elif kind == 'free_without_gc':   # results freed by reference counting alone
            gc.disable()
            self.watched = []
            for _ in range(msg[1]):
                self.submit(self._work(Payload(), 0), lambda value: self.watched.append(weakref.ref(value)))
        elif kind == 'alive':
            self.send(sender, (len(self.watched), sum(ref() is not None for ref in self.watched)))
        elif kind == 'gc_on':
            gc.enable()
        elif kind == 'cancel':
            handle = self.submit(self._work('cancelled', 0.05), self._on_result, self._on_error)
            handle.cancel()
        elif kind == 'stream':
            self.submit(self._stream(msg[1]), lambda _: None, self._on_error)
        elif kind == 'raise':
            raise ValueError('deliberate handler bug')
        elif kind == 'exit_marker':
            self.exit_marker = msg[1]
            self.submit(asyncio.sleep(3600), self._on_result, self._on_error)   # still running
        elif kind == 'ping':
            self.send(sender, 'pong')
        elif kind == 'hold':   # a helper thread acting as the actor (as a spare's lane thread does)
            threading.Thread(target=self._hold, args=(msg[1],), daemon=True).start()
        elif kind == 'report':
            self.send(sender, {
                'actor_thread': threading.get_ident(),
                'callback_threads': list(self.callback_threads),
                'coroutine_threads': list(self.coroutine_threads),
                'results': list(self.results),
                'errors': [(name, at - getattr(self, 'hang_started', at)) for name, at in self.errors],
                'posted': list(self.posted),
                'hold_state': getattr(self, 'hold_state', ''),
            })


    async def on_loop_close(self):
        marker = getattr(self, 'exit_marker', None)
        if marker:
            pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            with open(marker, 'w') as handle:
                handle.write(f'{threading.get_ident() != self.actor_thread_id} {len(pending)}')


@pytest.fixture(scope='module')
def system():
    with BotActorSystem() as bot_system:
        yield bot_system
    assert bot_system.processes() == []


def wait_for(system, actor, predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        report = system.ask(actor, ('report',))
        if predicate(report):
            return report
        time.sleep(0.02)
    raise AssertionError(f'condition not met in {timeout}s; last report {report}')


def test_callbacks_run_only_in_the_actor_thread(system):
    probe = system.create_actor(BridgeProbe)
    for i in range(20):
        system.tell(probe, ('work', i, 0.001 * (i % 4)))
    system.tell(probe, ('stream', 10))
    report = wait_for(system, probe, lambda r: len(r['results']) == 20 and len(r['posted']) == 10)
    assert sorted(report['results']) == list(range(20))
    assert report['posted'] == list(range(10))
    assert set(report['callback_threads']) == {report['actor_thread']}
    # the coroutines really ran elsewhere, so the check above means something
    assert report['actor_thread'] not in set(report['coroutine_threads'])


def test_hung_coroutine_does_not_stall_the_actor_and_times_out(system):
    probe = system.create_actor(BridgeProbe)
    system.tell(probe, ('hang', 0.3))
    started = time.monotonic()
    assert system.ask(probe, ('ping',)) == 'pong'
    assert time.monotonic() - started < 0.25, 'actor stalled behind the hung coroutine'
    report = wait_for(system, probe, lambda r: r['errors'])
    (name, after), = report['errors']
    assert name == 'TimeoutError'
    assert 0.25 < after < 2.0
    assert set(report['callback_threads']) == {report['actor_thread']}


def test_cancelled_handle_never_calls_back(system):
    probe = system.create_actor(BridgeProbe)
    system.tell(probe, ('cancel',))
    system.tell(probe, ('work', 'after', 0.1))
    report = wait_for(system, probe, lambda r: r['results'])
    assert report['results'] == ['after'] and report['errors'] == []


def test_a_finished_submit_is_freed_without_the_cyclic_gc(system):
    """Nothing of a submit (its future, task, callbacks, result) is left in a reference cycle:
    with the cyclic GC off, every result is freed once its callback has run. A cycle per submit
    had an analyser pause 10-16 ms for a full collection every ~2 s at 400 launches/s."""
    probe = system.create_actor(BridgeProbe)
    system.tell(probe, ('free_without_gc', 50))
    try:
        deadline = time.monotonic() + 5
        while (answer := system.ask(probe, ('alive',), timeout=5))[0] < 50 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        system.tell(probe, ('gc_on',))
    assert answer == (50, 0), f"{answer[1]} of {answer[0]} results still alive without a collection"


def test_handler_exception_is_logged_and_actor_lives_on(system):
    probe = system.create_actor(BridgeProbe)
    system.tell(probe, ('raise',))
    assert system.ask(probe, ('ping',)) == 'pong'
    system.tell(probe, ('work', 7, 0))
    assert wait_for(system, probe, lambda r: r['results'])['results'] == [7]


def test_exit_runs_on_loop_close_on_the_loop_then_stops_it(system, tmp_path):
    probe = system.create_actor(BridgeProbe)
    marker = tmp_path / 'closed'
    system.tell(probe, ('exit_marker', str(marker)))
    assert system.ask(probe, ('ping',)) == 'pong'
    pid_before = {p.pid for p in system.processes()}
    system.tell(probe, ActorExitRequest())
    deadline = time.monotonic() + 5
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    # ran on the loop thread, with the hung coroutine still pending (cancelled right after)
    on_loop_thread, pending = marker.read_text().split()
    assert on_loop_thread == 'True' and int(pending) >= 1
    while len({p.pid for p in system.processes()}) >= len(pid_before) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(system.processes()) == len(pid_before) - 1     # the actor process is gone


def test_a_thread_holding_the_actor_lock_never_runs_beside_the_actor_thread(system):
    """What an armed spare's lane thread relies on (actors/position_lane_thread.py): no handler of
    the actor runs while another thread holds actor_lock, so no report ever sees 'holding'."""
    probe = system.create_actor(BridgeProbe)
    system.tell(probe, ('hold', 0.3))
    seen = set()
    deadline = time.monotonic() + 5
    while 'released' not in seen and time.monotonic() < deadline:
        seen.add(system.ask(probe, ('report',))['hold_state'])
        time.sleep(0.01)
    assert 'released' in seen and 'holding' not in seen, seen
