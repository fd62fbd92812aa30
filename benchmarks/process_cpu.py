"""CPU seconds used by each kind of process while a benchmark phase runs: the bot's actor processes
by the name each gives itself (actors/process_kind.py: stream, armed, spare, position, director...),
the world (chain + market process) and the benchmark's own process (its baseline thread included).

A sampler thread reads /proc/<pid>/stat every SAMPLE_SECONDS; a process's CPU since the previous
sample is booked to the kind it has now, so a spare that becomes a position is booked to each in
turn. A process that exits between two samples loses at most that interval of its CPU. The
benchmarks run it in a child process (ProcessCpuChild), so it takes no GIL from their own threads."""
from __future__ import annotations

import json
import os
import threading
import time

from actors.process_kind import kind_of

SAMPLE_SECONDS = 0.2
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
UNNAMED = "other"   # in the bot's process group but unnamed: thespian's admin and logger


def read_stat(pid: int) -> tuple[str, int] | None:
    """(comm, utime + stime in ticks) of a process; None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            text = stat.read().decode(errors="replace")
    except OSError:
        return None
    comm = text[text.index("(") + 1:text.rindex(")")]
    fields = text[text.rindex(")") + 2:].split()
    return comm, int(fields[11]) + int(fields[12])   # utime, stime (fields 14 and 15 of stat)


def group_pids(pgids: set[int]) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) in pgids:
                    pids.append(int(entry))
            except OSError:
                continue
    return pids


class ProcessCpu:
    """Sample the bots' process groups and the named extra processes ({kind: pid})."""

    def __init__(self, pgids: set[int], extra: dict[str, int]):
        self.pgids, self.extra = set(pgids), dict(extra)
        self.last: dict[int, int] = {}          # pid -> ticks at the previous sample
        self.primed = False                     # a pid seen later was forked since: from 0 ticks
        self.booked: dict[str, int] | None = None
        self.started_at = 0.0
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="process-cpu", daemon=True)

    def start(self) -> "ProcessCpu":
        self._sample()
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(2)

    def begin(self) -> None:
        """Start booking a phase."""
        with self.lock:
            self._sample()
            self.booked, self.started_at = {}, time.monotonic()

    def end(self) -> dict:
        """The phase's CPU seconds by kind, and its wall seconds under 'wall'."""
        with self.lock:
            self._sample()
            booked, self.booked = self.booked or {}, None
        seconds = {kind: ticks / TICKS_PER_SECOND for kind, ticks in booked.items()}
        seconds["wall"] = time.monotonic() - self.started_at
        return seconds

    def _run(self) -> None:
        while not self.stopped.wait(SAMPLE_SECONDS):
            with self.lock:
                self._sample()

    def _sample(self) -> None:
        kinds = {pid: kind for kind, pid in self.extra.items()}
        seen = {}
        for pid in {*group_pids(self.pgids), *kinds}:
            stat = read_stat(pid)
            if stat is None:
                continue
            comm, ticks = stat
            seen[pid] = ticks
            if self.booked is not None:
                kind = kinds.get(pid) or kind_of(comm) or UNNAMED
                self.booked[kind] = self.booked.get(kind, 0) + ticks - self.last.get(
                    pid, 0 if self.primed else ticks)
        self.last, self.primed = seen, True


class ProcessCpuChild:
    """ProcessCpu in a child process (python -m benchmarks.process_cpu), driven by lines on its
    stdin: its sampling then takes no GIL from the benchmark's own threads (the baseline's buys)."""

    def __init__(self, pgids: set[int], extra: dict[str, int]):
        import subprocess
        import sys
        self.proc = subprocess.Popen([sys.executable, "-m", "benchmarks.process_cpu", json.dumps(
            {"pgids": sorted(pgids), "extra": extra})], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def start(self) -> "ProcessCpuChild":
        return self

    def _ask(self, command: str) -> str:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline()

    def begin(self) -> None:
        self._ask("begin")

    def end(self) -> dict:
        return json.loads(self._ask("end"))

    def stop(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(5)
        except Exception:
            self.proc.kill()


def main() -> None:
    import sys
    spec = json.loads(sys.argv[1])
    sampler = ProcessCpu(set(spec["pgids"]), spec["extra"]).start()
    for line in sys.stdin:
        if line.strip() == "begin":
            sampler.begin()
            print("{}", flush=True)
        elif line.strip() == "end":
            print(json.dumps(sampler.end()), flush=True)
    sampler.stop()


def cpu_table(phases: list[tuple[str, dict]]) -> list[str]:
    """Lines: one row per kind, one column per phase (CPU s and % of one core over the phase)."""
    kinds = sorted({kind for _, seconds in phases for kind in seconds if kind != "wall"},
                   key=lambda kind: -max(seconds.get(kind, 0) for _, seconds in phases))
    lines = [f"  {'process kind':14s}" + "".join(f" {name:>22s}" for name, _ in phases),
             f"  {'':14s}" + "".join(f" {'cpu s  % of a core':>22s}" for _ in phases)]
    for kind in [*kinds, "total"]:
        cells = []
        for _, seconds in phases:
            used = (sum(v for k, v in seconds.items() if k != "wall") if kind == "total"
                    else seconds.get(kind, 0.0))
            cells.append(f" {used:12.2f} {100 * used / seconds['wall']:8.1f}%")
        lines.append(f"  {kind:14s}" + "".join(cells))
    lines.append(f"  {'phase wall s':14s}" + "".join(f" {s['wall']:12.1f} {'':9s}" for _, s in phases))
    return lines


if __name__ == "__main__":
    main()
