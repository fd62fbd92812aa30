"""Where an actor process's CPU goes, for a benchmark run: with PUMPSNIPE_CPU_PROFILE=<directory>
set, every thread of a process that called profile_process(kind) runs under cProfile, and the
merged profile is written to <directory>/<kind>-<pid>.prof when the process ends (multiprocessing's
exit finalizers: thespian's children leave by os._exit, which skips atexit). Off (nothing set up,
nothing costs) without the variable. Read them together with
`python -m actors.cpu_profile <directory> [kind...]`."""
from __future__ import annotations

import os
import sys
import threading

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
        profiler = cProfile.Profile()
        _profiles.append(profiler)
        profiler.enable()
    threading.setprofile(start_in_thread)
    start_in_thread()
    Finalize(None, _dump, args=(directory,), exitpriority=100)


def _dump(directory: str) -> None:
    import pstats
    for profiler in _profiles:
        profiler.disable()
    stats = [p for p in _profiles if p.getstats()]
    if stats:
        os.makedirs(directory, exist_ok=True)
        pstats.Stats(*stats).dump_stats(os.path.join(directory, f"{_kind}-{os.getpid()}.prof"))


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


if __name__ == "__main__":
    main()
