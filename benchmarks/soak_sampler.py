"""Per-process resource samples for the soak: RSS, open file descriptors, threads and CPU of every
process of the bot's actor system (named from the Director's ChildPids) and of the local chain."""
from __future__ import annotations

import os
from dataclasses import dataclass

import psutil

from actors.system import group_processes

TRANSIENT_PREFIXES = ("position:", "spare:")   # come and go with trades: summed as one row, no trend


@dataclass
class ProcessSample:
    name: str
    pid: int
    rss_mb: float
    fds: int
    threads: int
    cpu_pct: float          # since the previous sample of this pid (100 = one core)


class ProcessSampler:
    """Remembers CPU times per pid so each sample reports CPU use over the last interval."""

    def __init__(self):
        self._cpu: dict[int, tuple[float, float]] = {}    # pid -> (cpu seconds, wall clock) last seen

    def sample(self, name: str, proc: psutil.Process, now: float) -> ProcessSample | None:
        try:
            with proc.oneshot():
                memory, fds, threads, times = (proc.memory_info(), proc.num_fds(), proc.num_threads(),
                                               proc.cpu_times())
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            return None
        cpu = times.user + times.system
        before = self._cpu.get(proc.pid)
        self._cpu[proc.pid] = (cpu, now)
        pct = 100.0 * (cpu - before[0]) / (now - before[1]) if before and now > before[1] else 0.0
        return ProcessSample(name, proc.pid, memory.rss / 2**20, fds, threads, round(pct, 1))

    def forget_gone(self, live_pids: set[int]) -> None:
        for pid in [p for p in self._cpu if p not in live_pids]:
            del self._cpu[pid]


def label_processes(pgid: int, named_pids: dict[str, int]) -> dict[int, tuple[str, psutil.Process]]:
    """pid -> (name, process) for every live process of the actor system's group: the Director's
    names for its children, 'admin' for the group leader, and '<parent name>/child<i>' for the
    rest (thespian's logger, the root actor, analyser workers...), so names stay stable."""
    procs = {p.pid: p for p in group_processes(pgid)}
    names = {pid: name for name, pid in named_pids.items() if pid in procs}
    director = named_pids.get("director")
    if director in procs:
        parent = _ppid(procs[director])
        if parent in procs and parent not in names:
            names[parent] = "root"
    pending = sorted(pid for pid in procs if pid not in names)
    for _ in range(len(pending) + 1):          # parents first, however deep
        progressed = False
        for pid in list(pending):
            parent = _ppid(procs[pid])
            if parent not in procs:          # thespian's admin: forked by the process that started it
                tops = sum(1 for n in names.values() if n.startswith("admin"))
                names[pid] = "admin" if not tops else f"admin{tops}"
                pending.remove(pid)
                progressed = True
            elif parent in names:
                base = names[parent]
                siblings = sum(1 for n in names.values() if n.startswith(f"{base}/child"))
                names[pid] = f"{base}/child{siblings}"
                pending.remove(pid)
                progressed = True
        if not progressed:
            break
    return {pid: (names.get(pid, f"pid{pid}"), proc) for pid, proc in procs.items()}


def _ppid(proc: psutil.Process) -> int | None:
    try:
        return proc.ppid()
    except psutil.NoSuchProcess:
        return None


def is_transient(name: str) -> bool:
    return name.startswith(TRANSIENT_PREFIXES)


def sample_all(sampler: ProcessSampler, labelled: dict, chain_pid: int | None, now: float) -> list[ProcessSample]:
    """One sample per steady process, one summed 'positions' row for the transient ones, and the chain."""
    steady, transient = [], []
    for pid, (name, proc) in sorted(labelled.items()):
        sample = sampler.sample(name, proc, now)
        if sample is not None:
            (transient if is_transient(name) else steady).append(sample)
    steady.append(ProcessSample("positions(sum)", 0, sum(s.rss_mb for s in transient),
                                sum(s.fds for s in transient), sum(s.threads for s in transient),
                                sum(s.cpu_pct for s in transient)))
    if chain_pid is not None:
        try:
            chain = sampler.sample("chain", psutil.Process(chain_pid), now)
        except psutil.NoSuchProcess:
            chain = None
        if chain is not None:
            steady.append(chain)
    sampler.forget_gone(set(labelled) | {chain_pid, os.getpid()})
    return steady
