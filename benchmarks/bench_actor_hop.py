"""Cost of one actor message hop on multiprocTCPBase, against a queue.Queue hop between threads.

Measures, actor to actor (two processes) and thread to thread (baseline, same run):
  round trip   ping -> pong, one at a time
  one-way      send -> receive latency, one message in flight (clock: CLOCK_MONOTONIC, shared by
               all processes on Linux)
  burst        N one-way messages sent back to back: messages per second
and prints each figure with its ratio to the baseline.

    python -m benchmarks.bench_actor_hop [--n 2000] [--burst 500]
"""
from __future__ import annotations

import argparse
import queue
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from thespian.actors import Actor

if __package__ in (None, ''):   # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@dataclass(frozen=True)
class Ping:
    seq: int
    sent_at: float


@dataclass(frozen=True)
class Measure:
    kind: str        # 'round_trip' | 'one_way' | 'burst'
    count: int
    peer: object


class Echo(Actor):
    """Answers every Ping to its sender; records one-way latencies and burst arrivals."""

    def receiveMessage(self, msg, sender):
        if isinstance(msg, Ping):
            now = time.perf_counter()
            if msg.seq >= 0:
                self.send(sender, Ping(msg.seq, now - msg.sent_at))   # carries the one-way time
            else:
                self.burst_seen = getattr(self, 'burst_seen', 0) + 1
                if msg.seq == -1:                                     # the last of a burst
                    self.send(sender, ('burst_done', self.burst_seen, now))
                    self.burst_seen = 0


class Driver(Actor):
    """Runs one measurement against an Echo and reports the samples to whoever asked."""

    def receiveMessage(self, msg, sender):
        if isinstance(msg, Measure):
            self.job, self.asker, self.samples = msg, sender, []
            if msg.kind == 'burst':
                self.burst_started = time.perf_counter()
                for i in range(msg.count):
                    self.send(msg.peer, Ping(-2 if i < msg.count - 1 else -1, 0.0))
            else:
                self._ping(0)
        elif isinstance(msg, Ping):
            now = time.perf_counter()
            self.samples.append(now - self.sent_at if self.job.kind == 'round_trip'
                                else msg.sent_at)
            if len(self.samples) < self.job.count:
                self._ping(len(self.samples))
            else:
                self.send(self.asker, list(self.samples))
        elif isinstance(msg, tuple) and msg[0] == 'burst_done':
            _, seen, finished_at = msg
            self.send(self.asker, (seen, finished_at - self.burst_started))

    def _ping(self, seq: int) -> None:
        self.sent_at = time.perf_counter()
        self.send(self.job.peer, Ping(seq, self.sent_at))


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    pick = lambda f: ordered[min(len(ordered) - 1, int(len(ordered) * f))]   # noqa: E731
    return {'p50_ms': pick(0.5) * 1e3, 'p99_ms': pick(0.99) * 1e3, 'n': len(ordered)}


def measure_actors(n: int, burst: int) -> dict:
    from actors.system import BotActorSystem
    with BotActorSystem() as system:
        echo, driver = system.create_actor(Echo), system.create_actor(Driver)
        system.ask(driver, Measure('round_trip', 50, echo), timeout=30)          # warm-up
        round_trip = system.ask(driver, Measure('round_trip', n, echo), timeout=120)
        one_way = system.ask(driver, Measure('one_way', n, echo), timeout=120)
        seen, elapsed = system.ask(driver, Measure('burst', burst, echo), timeout=120)
    return {'round_trip': percentiles(round_trip), 'one_way': percentiles(one_way),
            'burst_per_s': seen / elapsed}


def measure_threads(n: int, burst: int) -> dict:
    to_echo, to_driver = queue.Queue(), queue.Queue()

    def echo():
        while True:
            item = to_echo.get()
            if item is None:
                return
            now = time.perf_counter()
            if item >= 0:
                to_driver.put(now - item)        # one-way time of a ping
            elif item == -1:
                to_driver.put(now)               # the last message of a burst arrived

    worker = threading.Thread(target=echo, daemon=True)
    worker.start()
    round_trip, one_way = [], []
    for _ in range(50 + n):
        started = time.perf_counter()
        to_echo.put(started)
        hop = to_driver.get()
        round_trip.append(time.perf_counter() - started)
        one_way.append(hop)
    del round_trip[:50], one_way[:50]
    started = time.perf_counter()
    for _ in range(burst - 1):
        to_echo.put(-2.0)
    to_echo.put(-1.0)
    finished = to_driver.get()
    to_echo.put(None)
    worker.join()
    return {'round_trip': percentiles(round_trip), 'one_way': percentiles(one_way),
            'burst_per_s': burst / (finished - started)}


def report(actors: dict, threads: dict) -> str:
    rows = [f'{"hop":<22}{"actors (multiprocTCP)":>24}{"queue.Queue threads":>22}{"ratio":>9}']
    for kind in ('round_trip', 'one_way'):
        for stat in ('p50_ms', 'p99_ms'):
            a, t = actors[kind][stat], threads[kind][stat]
            rows.append(f'{kind + " " + stat:<22}{a:>21.3f} ms{t:>19.4f} ms{a / t:>8.0f}x')
    a, t = actors['burst_per_s'], threads['burst_per_s']
    rows.append(f'{"burst msgs/s":<22}{a:>24,.0f}{t:>22,.0f}{t / a:>8.0f}x slower')
    return '\n'.join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--n', type=int, default=2000, help='samples per latency figure')
    parser.add_argument('--burst', type=int, default=500,
                        help='messages in the burst (thespian drains slowly past ~950 queued)')
    args = parser.parse_args(argv)
    threads = measure_threads(args.n, args.burst)
    actors = measure_actors(args.n, args.burst)
    print(f'{args.n} samples per latency, burst of {args.burst}; '
          f'{time.strftime("%Y-%m-%d %H:%M:%S")}')
    print(report(actors, threads))
    return 0


if __name__ == '__main__':
    if __package__ in (None, ''):
        # re-import under the package name so message classes pickle as benchmarks.bench_actor_hop
        from benchmarks.bench_actor_hop import main as packaged_main
        sys.exit(packaged_main())
    sys.exit(main())
