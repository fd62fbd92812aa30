"""Each actor process names itself by what it does (Linux /proc/self/comm, as `ps`/`top` show it):
"ps:stream", "ps:armed", "ps:position"... so a benchmark (benchmarks/process_cpu.py) or an operator
can tell which kind of process uses the CPU without asking any actor. A position renames itself as
its stage changes (spare -> armed -> position), after the message that changed it, never on the
buy's own path."""
from __future__ import annotations

PREFIX = "ps:"
COMM_MAX = 15   # the kernel keeps 15 bytes of a task's name

_named = ""


def name_process(kind: str) -> None:
    """Set this process's name to PREFIX + kind (once per change; nothing on other systems)."""
    global _named
    if kind == _named:
        return
    _named = kind
    try:
        with open("/proc/self/comm", "w") as comm:
            comm.write((PREFIX + kind)[:COMM_MAX])
    except OSError:
        pass


def kind_of(comm: str) -> str | None:
    """The kind a process named itself, from its name; None for one that did not."""
    return comm[len(PREFIX):] if comm.startswith(PREFIX) else None


def position_kind(stage: str) -> str:
    """A PositionActor's kind by stage: a spare warming up or arming, an armed spare, a position."""
    return {"spare": "spare", "arming": "spare", "armed": "armed"}.get(stage, "position")
