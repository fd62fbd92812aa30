"""Where an actor process's CPU goes, for a benchmark run: with PUMPSNIPE_CPU_PROFILE=<directory>
set, every thread of a process that called profile_process(kind) runs under cProfile, and the
merged profile (CPU time of each thread) is written to <directory>/<kind>-<pid>.prof when the process ends (multiprocessing's
exit finalizers: thespian's children leave by os._exit, which skips atexit). Off (nothing set up,
nothing costs) without the variable. Read them together with
`python -m actors.cpu_profile <directory> [kind...]`."""
from __future__ import annotations

import gc
import json
import os
import sys
import threading
import time

PROFILE_ENV = "PUMPSNIPE_CPU_PROFILE"

_profiles: list = []
_kind = ""
_pid = 0   # the process _profiles belong to (a forked child starts its own)


def profile_process(kind: str) -> None:
    """Profile this process's threads from now on (the caller's and those started later)."""
    global _kind, _pid
    directory = os.environ.get(PROFILE_ENV)
    if not directory or _pid == os.getpid():
        return
    import cProfile
    from multiprocessing.util import Finalize
    for inherited in _profiles:   # forked from a profiled actor: its profiles are the parent's
        inherited.disable()
    _profiles.clear()
    _kind, _pid = kind, os.getpid()

    def start_in_thread(*_args):   # a new thread's first profile event: its own profiler
        profiler = cProfile.Profile(time.thread_time)   # CPU, not wall: waits for a core are not work
        _profiles.append(profiler)
        profiler.enable()
    threading.setprofile(start_in_thread)
    start_in_thread()
    _collections.clear()
    gc.callbacks.append(_time_collection)
    Finalize(None, _dump, args=(directory,), exitpriority=100)


_collections: dict = {}   # generation -> [collections, seconds]
_collection_started = [0.0]


def _time_collection(phase: str, info: dict) -> None:
    """The garbage collector's own work, which cProfile does not see."""
    if phase == "start":
        _collection_started[0] = time.thread_time()
        return
    seen = _collections.setdefault(info["generation"], [0, 0.0])
    seen[0] += 1
    seen[1] += time.thread_time() - _collection_started[0]


def _dump(directory: str) -> None:
    import pstats
    for profiler in _profiles:
        profiler.disable()
    stats = [p for p in _profiles if p.getstats()]
    if stats:
        os.makedirs(directory, exist_ok=True)
        pstats.Stats(*stats).dump_stats(os.path.join(directory, f"{_kind}-{os.getpid()}.prof"))
        with open(os.path.join(directory, f"{_kind}-{os.getpid()}.gc"), "w") as out:
            json.dump(_collections, out)


def main() -> None:
    import glob
    import pstats
    directory, kinds = sys.argv[1], sys.argv[2:]
    by_kind: dict[str, list[str]] = {}
    for path in glob.glob(os.path.join(directory, "*.prof")):
        by_kind.setdefault(os.path.basename(path).rsplit("-", 1)[0], []).append(path)
    for kind, paths in sorted(by_kind.items()):
        if kinds and kind not in kinds:
            continue
        print(f"===== {kind}: {len(paths)} process(es)")
        stats = pstats.Stats(*paths)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(45)
        collections: dict = {}
        for path in paths:
            gc_path = path.removesuffix(".prof") + ".gc"
            if os.path.exists(gc_path):
                with open(gc_path) as found:
                    counted = json.load(found)
                for generation, (count, seconds) in counted.items():
                    total = collections.setdefault(generation, [0, 0.0])
                    total[0] += count
                    total[1] += seconds
        print(f"garbage collections of {kind} by generation: " + ", ".join(
            f"gen{g} {n} in {s * 1000:.1f} ms" for g, (n, s) in sorted(collections.items())))


if __name__ == "__main__":
    main()
