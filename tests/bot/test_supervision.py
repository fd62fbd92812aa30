"""Supervisor on a real multiprocTCPBase system: SIGKILLed children come back (counted, with backoff,
with a fresh Start message), a child that keeps dying is given up and reported, and stopping the
system leaves no process, even when a middle actor was killed and its children were orphaned."""
import asyncio
import os
import signal
import time

import psutil
import pytest
from thespian.actors import Actor, ActorExitRequest, ChildActorExited, WakeupMessage

from actors.bridge import IOActor
from actors.supervision import Supervisor
from actors.system import BotActorSystem

pytestmark = pytest.mark.timeout(90)


class Worker(IOActor):
    """A supervised child with a live asyncio thread (as every real I/O actor has)."""

    def on_message(self, msg, sender):
        if isinstance(msg, tuple) and msg[0] == 'init':
            self.init_message = msg
            self.submit(asyncio.sleep(0), lambda _: None)     # starts the loop thread
        elif msg == 'pid':
            self.send(sender, (os.getpid(), getattr(self, 'init_message', None)))


class Boss(Actor):
    """A parent that supervises two workers and reports what its Supervisor did."""

    def receiveMessage(self, msg, sender):
        if isinstance(msg, tuple) and msg[0] == 'start':
            self.gave_up = []
            self.supervisor = Supervisor(self, max_restarts=msg[1], window_seconds=30,
                                         backoff_seconds=0.2)
            for name in ('a', 'b'):
                self.supervisor.start_child(name, Worker, ('init', name))
            self.send(sender, 'started')
        elif isinstance(msg, ChildActorExited):
            self.supervisor.on_child_exited(msg)
        elif isinstance(msg, WakeupMessage):
            self.supervisor.on_wakeup(msg)
        elif isinstance(msg, ActorExitRequest):
            self.supervisor.shutdown()
        elif isinstance(msg, tuple) and msg[0] == 'stop':
            self.supervisor.stop_child(msg[1])
        elif msg == 'state':
            self.send(sender, {'addresses': {n: self.supervisor.address_of(n) for n in ('a', 'b')},
                               'restarts': self.supervisor.restart_counts(),
                               'gave_up': list(self.gave_up), 'pid': os.getpid()})

    def child_start_message(self, name):
        return ('init', name, 'restarted')

    def on_child_gave_up(self, name, reason):
        self.gave_up.append((name, reason))


def wait_state(system, boss, predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = system.ask(boss, 'state')
        if predicate(state):
            return state
        time.sleep(0.01)
    raise AssertionError(f'supervisor state not reached; last {state}')


def worker_after_init(system, address, timeout=5.0):
    """(pid, init message): the parent's init and our ask come from different senders, unordered."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid, init = system.ask(address, 'pid')
        if init is not None:
            return pid, init
        time.sleep(0.01)
    raise AssertionError('worker never received its init message')


def kill_worker(system, boss, name) -> tuple[int, float]:
    address = system.ask(boss, 'state')['addresses'][name]
    pid, _ = system.ask(address, 'pid')
    os.kill(pid, signal.SIGKILL)
    return pid, time.monotonic()


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_sigkilled_child_is_restarted_counted_then_given_up():
    with BotActorSystem() as system:
        boss = system.create_actor(Boss)
        assert system.ask(boss, ('start', 2)) == 'started'
        all_pids = {p.pid for p in system.processes()}

        old_pid, killed_at = kill_worker(system, boss, 'a')
        state = wait_state(system, boss, lambda s: s['restarts'].get('a') == 1
                           and s['addresses']['a'] is not None)
        first_restart = time.monotonic() - killed_at
        new_pid, init = worker_after_init(system, state['addresses']['a'])
        assert new_pid != old_pid and init == ('init', 'a', 'restarted')
        assert state['restarts'].get('b') is None

        _, killed_at = kill_worker(system, boss, 'a')   # second exit in the window: backoff
        state = wait_state(system, boss, lambda s: s['restarts'].get('a') == 2
                           and s['addresses']['a'] is not None)
        second_restart = time.monotonic() - killed_at
        assert second_restart >= 0.2 > first_restart

        kill_worker(system, boss, 'a')                  # third: more than max_restarts=2
        state = wait_state(system, boss, lambda s: s['gave_up'])
        assert state['gave_up'][0][0] == 'a' and state['addresses']['a'] is None
        assert worker_after_init(system, state['addresses']['b'])[1] == ('init', 'b')
        b_pid = worker_after_init(system, state['addresses']['b'])[0]
        system.tell(boss, ('stop', 'b'))                # a deliberate stop is not restarted
        wait_state(system, boss, lambda s: s['addresses']['b'] is None and gone(b_pid))
        time.sleep(0.3)
        assert system.ask(boss, 'state')['restarts'].get('b') is None
        all_pids |= {p.pid for p in system.processes()}
        print(f'restart after SIGKILL: {first_restart * 1000:.1f} ms; '
              f'backed-off restart: {second_restart * 1000:.1f} ms')
    assert system.processes() == [] and all(gone(pid) for pid in all_pids)


def test_stop_sweeps_orphans_of_a_killed_middle_actor():
    system = BotActorSystem().start()
    try:
        boss = system.create_actor(Boss)
        assert system.ask(boss, ('start', 5)) == 'started'
        state = system.ask(boss, 'state')
        orphans = [system.ask(state['addresses'][n], 'pid')[0] for n in ('a', 'b')]
        os.kill(state['pid'], signal.SIGKILL)
        time.sleep(0.3)
        assert not any(gone(pid) for pid in orphans)    # thespian leaves them running
        all_pids = {p.pid for p in system.processes()}
    finally:
        swept = system.stop()
    assert set(orphans) <= set(swept) or all(gone(pid) for pid in orphans)
    assert system.processes() == [] and all(gone(pid) for pid in all_pids | set(orphans))
