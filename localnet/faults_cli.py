"""The fault flags of `python -m localnet`: --faults FILE.toml, then single flags that override it."""
from __future__ import annotations

import argparse
from pathlib import Path

from localnet.faults_settings import FaultSettings, load_fault_file

# flag -> (section, key, type, help); a flag left out keeps the file's (or the default) value
_FLAGS = {
    "--fault-rpc-latency-ms": ("rpc", "latency", str, "RPC latency: MS, fixed:MS, uniform:MIN:MAX or lognormal:MEDIAN:SIGMA"),
    "--fault-429-rate": ("rpc", "rate_429", float, "share of RPC requests answered HTTP 429"),
    "--fault-5xx-rate": ("rpc", "rate_5xx", float, "share of RPC requests answered HTTP 500/502/503/504"),
    "--fault-timeout-rate": ("rpc", "timeout_rate", float, "share of RPC requests held, then dropped unanswered"),
    "--fault-timeout-hold-s": ("rpc", "timeout_hold_s", float, "how long a timed-out request is held (default 30)"),
    "--fault-drop-rate": ("tx", "drop_rate", float, "share of sent transactions accepted but never executed"),
    "--fault-delay-slots": ("tx", "delay_slots", int, "execute sent transactions this many slots late"),
    "--fault-delay-rate": ("tx", "delay_rate", float, "share of sent transactions delayed (default 1)"),
    "--fault-blockhash-window": ("chain", "blockhash_window", int, "blocks a blockhash stays valid (1-150)"),
    "--fault-stream-disconnect-s": ("stream", "disconnect_every_s", float, "close every Yellowstone stream this often"),
    "--fault-stream-dup-rate": ("stream", "dup_rate", float, "share of stream updates sent twice"),
    "--fault-stream-reorder-rate": ("stream", "reorder_rate", float, "share of stream updates sent out of order"),
    "--fault-stream-queue-size": ("stream", "queue_size", int, "per-subscriber queue: a slower stream is cut off"),
}


def _dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def add_fault_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("fault injection (all off by default; change at run time: "
                                      "GET/POST <api>/admin/faults)")
    group.add_argument("--faults", type=Path, default=None, metavar="FILE.toml",
                       help="fault settings file (see localnet/faults.example.toml); flags below override it")
    for flag, (_, key, kind, text) in _FLAGS.items():
        metavar = "SPEC" if key == "latency" else "RATE" if key.endswith("rate") or key.startswith("rate") else "N"
        group.add_argument(flag, type=kind, default=None, metavar=metavar, help=text)


def fault_settings_from_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> FaultSettings:
    """The settings the flags ask for; a bad file or value stops with parser.error naming it."""
    try:
        settings = load_fault_file(args.faults) if args.faults is not None else FaultSettings()
        changes: dict[str, dict] = {}
        for flag, (section, key, _, _) in _FLAGS.items():
            value = getattr(args, _dest(flag))
            if value is not None:
                changes.setdefault(section, {})[key] = value
        return settings.merged(changes)
    except (ValueError, OSError) as problem:
        parser.error(f"fault settings: {problem}")
