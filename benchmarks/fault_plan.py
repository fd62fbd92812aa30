"""What a fault-matrix run injects, and when: drawn from (seed, run index) alone, so a run repeats.

Run i always carries FAULT_KINDS[i % len(FAULT_KINDS)] (every kind is covered once per cycle) plus
1-3 more drawn at random. Times are seconds after the bot started trading.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

# SIGKILL of one actor process; position_<state>: a live PositionActor whose journal row is in that state
KILL_KINDS = ("kill:director", "kill:root", "kill:stream", "kill:analyzer", "kill:analyzer_worker",
              "kill:wallet", "kill:seller", "kill:balance_monitor", "kill:spare", "kill:position_pending",
              "kill:position_active", "kill:position_closing")
CHAIN_KINDS = ("rpc_errors", "tx_drop", "tx_delay", "stream_disconnect")   # POST <api>/admin/faults
OTHER_KINDS = ("bot_restart", "journal_readonly")    # kill -9 of the whole bot then run.py again; chattr +i
FAULT_KINDS = KILL_KINDS + CHAIN_KINDS + OTHER_KINDS


@dataclass(frozen=True)
class FaultEvent:
    kind: str
    at_s: float                      # when, after trading started
    duration_s: float = 0.0          # chain faults and the read-only journal: how long it lasts
    settings: dict = field(default_factory=dict)   # the /admin/faults body of a chain fault

    def describe(self) -> str:
        lasting = f" for {self.duration_s:.1f}s" if self.duration_s else ""
        extra = f" {self.settings}" if self.settings else ""
        return f"{self.kind}@{self.at_s:.1f}s{lasting}{extra}"


def chain_fault_settings(kind: str, rng: random.Random) -> dict:
    """The /admin/faults body for one chain fault kind (localnet/faults.example.toml has the keys)."""
    if kind == "rpc_errors":
        share = rng.uniform(0.20, 0.30)
        share_5xx = round(share * rng.uniform(0.2, 0.5), 3)
        return {"rpc": {"rate_429": round(share - share_5xx, 3), "rate_5xx": share_5xx}}
    if kind == "tx_drop":
        return {"tx": {"drop_rate": round(rng.uniform(0.15, 0.30), 3)}}
    if kind == "tx_delay":
        return {"tx": {"delay_rate": round(rng.uniform(0.2, 0.5), 3), "delay_slots": rng.randint(2, 6)}}
    if kind == "stream_disconnect":
        return {"stream": {"disconnect_every_s": round(rng.uniform(2.0, 5.0), 1)}}
    raise ValueError(f"not a chain fault: {kind!r}; one of {', '.join(CHAIN_KINDS)}")


def draw_plan(seed: int, run_index: int, window_s: float) -> list[FaultEvent]:
    """The faults of one run, ordered by time."""
    rng = random.Random(f"fault-matrix:{seed}:{run_index}")
    kinds = [FAULT_KINDS[run_index % len(FAULT_KINDS)]]
    kinds += rng.sample([k for k in FAULT_KINDS if k not in kinds], rng.randint(1, 3))
    events = []
    for kind in kinds:
        at = round(rng.uniform(0.1, 0.7) * window_s, 1)
        if kind in CHAIN_KINDS:
            events.append(FaultEvent(kind, at, round(rng.uniform(0.3, 0.8) * window_s, 1),
                                     chain_fault_settings(kind, rng)))
        elif kind == "journal_readonly":
            events.append(FaultEvent(kind, at, round(rng.uniform(3.0, 8.0), 1)))
        else:
            events.append(FaultEvent(kind, at))
    return sorted(events, key=lambda e: e.at_s)
