"""Detection to buy sent, sent to chain received, and the slot the buy lands in, for the bot in fast
and full analysis mode beside a no-actor baseline, at 0.5 and 10 launches/s.

The chain runs in its own process (benchmarks/timed_chain.py) and launches the coins itself, so
neither the bot nor the baseline shares a GIL with it. Clocks (wall time, one machine):
- detected: the stream update's receive time in the bot (Launch.received_at);
- sent: the bot's TxSent stamp, taken just before the armed spare writes the signed buy to its
  RPC connection (adapters/hot_send.py; on the ordinary path: handed to its I/O loop) (the
  baseline: just before its sendTransaction);
- received: when the chain's JSON-RPC server got the sendTransaction request;
- landed: the slot the buy executed in, against its create's slot (0 = same slot).
The baseline is the floor of this path without actors or analysis: one asyncio task in a thread
of this process that subscribes to the same stream, decodes with the same code and sends the same
signed buy (ChainAccess) the moment a launch arrives (its blockhash kept warm every second, as the
bot's spares have theirs). Printed: p50/p99 of each, and bot/baseline; per landed buy, where its
create fell in the slot and what create -> buy executed was made of (geyser, buyer, wire, chain),
with each buy that missed the create's slot; the CPU seconds each kind of process used while the
launches came (benchmarks/process_cpu.py, in a child process); the JSON-RPC requests the chain
served per phase.

    .venv/bin/python -m benchmarks.bench_detection_latency [--launches 20] [--modes fast,full]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

from actors.hot_threads import hot_priority, hot_thread
from actors.hot_trace import TRACE_ENV, trace_lines
from actors.stream import yellowstone_updates
from actors.trading_io import ChainAccess
from adapters.stats import nearest_rank
from benchmarks.process_cpu import ProcessCpu, ProcessCpuChild, cpu_table
from localnet.market.config import MarketConfig
from messages.stream import Launch
from tests.bot.harness import SOL, Bot, bot_settings, new_bot_wallet

DEFAULT_LAUNCHES_PER_SECOND = MarketConfig().launch_rate   # the local market's default (0.5/s)
FAST_LAUNCHES_PER_SECOND = 10.0
RATES = (DEFAULT_LAUNCHES_PER_SECOND, FAST_LAUNCHES_PER_SECOND)
SLOT_MS = 400
# the hot path's stages in order (actors/hot_trace.py stamps them in the stream and the spare)
STAGES = ("stream_received", "decoded", "stream_actor", "checked", "handed_off", "spare_received",
          "journaled", "signed", "signed_in_actor", "journal_locked", "journal_inserted", "journaled_sent",
          "buy_send_start", "buy_send_done")


class ChainProcess:
    """benchmarks.timed_chain as a child process, driven by JSON lines."""

    def __init__(self, slot_ms: int = SLOT_MS, nice: int = 0, stream_realtime: int = 0):
        """`nice` > 0 runs the chain and its market at a lower CPU priority: on a deployment they are
        other machines, here they share the bot's two cores. `stream_realtime` > 0 puts the node's
        stream delivery thread in SCHED_FIFO, out of the way of the bot's own hot threads."""
        self.proc = subprocess.Popen([sys.executable, "-m", "benchmarks.timed_chain", "--slot-ms",
                                      str(slot_ms), "--stream-realtime", str(stream_realtime)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, preexec_fn=(lambda: os.nice(nice)) if nice else None)
        line = self.proc.stdout.readline()
        if not line.startswith("READY"):
            self.proc.kill()
            raise RuntimeError(f"timed chain did not start: {line!r}")
        fields = dict(part.split("=", 1) for part in line.split()[1:])
        self.node = SimpleNamespace(rpc_url=fields["rpc"], ws_url=fields["ws"],
                                    grpc_addr=fields["grpc"], api_url=fields["api"])

    def ask(self, **request) -> dict:
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        if not reply.get("ok"):
            raise RuntimeError(f"timed chain: {request['cmd']} failed: {reply.get('error')}")
        return reply

    def fund(self, to: str, lamports: int, timeout: float = 15.0) -> None:
        """Airdrop, then wait until a `confirmed` read shows it: the bot's wallet reads at confirmed,
        and a first reading of 0 leaves every buy refused for want of free SOL."""
        self.ask(cmd="fund", to=to, lamports=lamports)
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "getBalance",
                           "params": [to, {"commitment": "confirmed"}]}).encode()
        deadline = time.monotonic() + timeout
        while True:
            request = urllib.request.Request(self.node.rpc_url, body, {"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=5) as answer:
                if json.loads(answer.read())["result"]["value"] >= lamports:
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{lamports} lamports to {to} not visible at confirmed after {timeout} s")
            time.sleep(0.1)

    def stop(self) -> None:
        try:
            self.proc.stdin.write(json.dumps({"cmd": "stop"}) + "\n")
            self.proc.stdin.flush()
            self.proc.wait(10)
        except Exception:
            self.proc.kill()
            self.proc.wait(5)


class Baseline:
    """Detect and buy with no actors: the bot's stream source and ChainAccess on one loop in a thread."""

    def __init__(self, settings):
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="baseline", daemon=True)
        self.buys: list[tuple[str, float, float]] = []     # (signature, detected_at, sent_at)
        self.enabled = False
        self.task = None

    def start(self) -> None:
        self.thread.start()
        self.chain = ChainAccess(self.settings)
        asyncio.run_coroutine_threadsafe(self.chain.warm_up(), self.loop).result(10)
        self.task = asyncio.run_coroutine_threadsafe(self._run(), self.loop)

    async def _keep_warm(self) -> None:
        """Re-read the blockhash and fee rates every second, as the bot's spares have them: a buy
        never waits for an RPC read (otherwise a launch more than BLOCKHASH_MAX_AGE_SECONDS after
        the last read pays a getLatestBlockhash round trip: 13 of 40 at 0.5/s). Its 0.5/s p99 of
        9-11 ms stayed (one or two buys of 40, in its own process: the geyser term stays ~1 ms)."""
        while True:
            await asyncio.sleep(1.0)
            try:
                await self.chain.warm_up()
            except Exception:   # the next buy reads what it needs
                pass

    async def _run(self) -> None:
        hot_thread(self.settings)   # the same priority as the bot's hot threads (run.hot_nice)
        asyncio.ensure_future(self._keep_warm())
        async for _received_at, decode in yellowstone_updates(self.settings.chain, lambda _s: None):
            if not self.enabled:
                continue
            for item in decode():
                if isinstance(item, Launch):
                    prepared = await self.chain.prepare_buy(item)
                    self.buys.append((prepared.signature, item.received_at, time.time()))
                    asyncio.ensure_future(self.chain.rpc.send_raw(prepared.raw))

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            asyncio.run_coroutine_threadsafe(asyncio.sleep(0.2), self.loop).result(5)
        asyncio.run_coroutine_threadsafe(self.chain.close(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def pcts(values: list[float]) -> tuple[float, float, int]:
    ordered = sorted(values)
    if not ordered:
        return float("nan"), float("nan"), 0
    return nearest_rank(ordered, 0.50), nearest_rank(ordered, 0.99), len(ordered)


def figures(buys, records: dict, launches: int) -> dict:
    """buys [(signature, detected_at, sent_at)], chain records by signature -> the printed figures."""
    detect_sent, sent_received, detect_received, slot_diffs = [], [], [], []
    timeline = []   # per landed buy: where the create fell in its slot and each delay to the slot's end
    for signature, detected, sent in buys:
        detect_sent.append((sent - detected) * 1000)
        record = records.get(signature)
        if record is None or record["received_at"] is None:
            continue
        sent_received.append((record["received_at"] - sent) * 1000)
        detect_received.append((record["received_at"] - detected) * 1000)
        if record["create_slot"] is not None and not record["err"]:
            slot_diffs.append(record["slot"] - record["create_slot"])
            if record.get("create_at") and record.get("create_slot_opened") and record.get("create_slot_closed"):
                timeline.append(buy_timeline(record, detected, sent))
    same_slot = sum(1 for d in slot_diffs if d == 0)
    return {"launches": launches, "buys": len(buys), "detect_sent": pcts(detect_sent),
            "sent_received": pcts(sent_received), "detect_received": pcts(detect_received),
            "landed": len(slot_diffs), "same_slot": same_slot, "timeline": timeline,
            "slot_diff_p99": pcts(slot_diffs)[1]}


def buy_timeline(record: dict, detected: float, sent: float) -> dict:
    """ms: the create's phase in its slot (since the slot opened), the slot's length, and from the
    create to the buy's execution: geyser (create ran -> the update reached the buyer), buyer
    (-> bytes written), wire (-> the chain's RPC got them), chain (-> executed); `missed`: executed
    after the create's slot closed."""
    ms = 1000
    return {"phase": (record["create_at"] - record["create_slot_opened"]) * ms,
            "slot": (record["create_slot_closed"] - record["create_slot_opened"]) * ms,
            "geyser": (detected - record["create_at"]) * ms, "buyer": (sent - detected) * ms,
            "wire": (record["received_at"] - sent) * ms,
            "chain": (record["executed_at"] - record["received_at"]) * ms,
            "margin": (record["create_slot_closed"] - record["executed_at"]) * ms,
            "missed": record["slot"] != record["create_slot"]}


def timeline_lines(timeline: list[dict]) -> list[str]:
    """p50/p99 of each delay over the landed buys, then every buy that missed the create's slot."""
    if not timeline:
        return []
    names = ("phase", "geyser", "buyer", "wire", "chain", "margin", "slot")
    lines = ["  create -> buy executed (ms, p50 / p99 over the landed buys): " + ", ".join(
        f"{name} {pcts([t[name] for t in timeline])[0]:.1f} / {pcts([t[name] for t in timeline])[1]:.1f}"
        for name in names)]
    for t in timeline:
        if t["missed"]:
            lines.append("    missed the slot: " + ", ".join(f"{name} {t[name]:.1f}" for name in names))
    return lines


def newest(window: tuple, count: int) -> tuple:
    return window[len(window) - min(count, len(window)):]


def wait_until_streaming(bot: Bot, chain: ChainProcess, timeout: float = 30) -> None:
    """Probe launches (buying paused) until the bot has seen one: its stream is live."""
    bot.pause_buying()
    deadline = time.monotonic() + timeout
    while bot.status().coins_seen == 0:
        if time.monotonic() > deadline:
            raise TimeoutError("the bot's stream saw no launch")
        chain.ask(cmd="launch", count=1, rate=1.0)
        time.sleep(0.3)


def measure(chain: ChainProcess, launches: int, rate: float, buys_of, cpu: ProcessCpu | None = None) -> dict:
    """Launch `launches` coins at `rate`; buys_of() -> the buys sent meanwhile. `cpu`: book each
    kind of process's CPU while the launches come (benchmarks/process_cpu.py)."""
    chain.ask(cmd="records")   # forget what came before
    if cpu is not None:
        cpu.begin()
    chain.ask(cmd="launch", count=launches, rate=rate, jitter=SLOT_MS / 1000)   # every phase of the slot
    used = cpu.end() if cpu is not None else None
    time.sleep(2.0)            # let the last buys reach the chain
    answer = chain.ask(cmd="records")
    records = {r["signature"]: r for r in answer["records"]}
    return {**figures(buys_of(), records, launches), **({"cpu": used} if used else {}),
            "rpc_calls": answer["rpc_calls"]}


class StageTrace:
    """The trace file every actor process appends to; each read returns the keys new since the last
    (their stamps), and keeps their other fields (the buy row's journal cost) in `fields`."""

    def __init__(self, path: Path):
        self.path, self.seen = path, set()
        self.fields: dict[str, dict] = {}

    def new_rows(self) -> dict:
        rows, fields = {}, {}
        for line in trace_lines(self.path):
            if line["key"] not in self.seen:
                rows.setdefault(line["key"], {}).update(line["stamps"])
                fields.setdefault(line["key"], {}).update(
                    {name: value for name, value in line.items() if name not in ("key", "stamps")})
        self.seen.update(rows)
        self.fields = fields
        return rows


def path_counts(rows: dict) -> dict:
    """How each traced launch went: bought on the fast path (signed in an armed spare's lane),
    handed to a spare that took the ordinary path (not warm or not armed any more: signed in its
    actor), or no armed spare in the stream's set."""
    return {"fast": sum(1 for s in rows.values() if "signed" in s and "handed_off" in s),
            "spare_ordinary": sum(1 for s in rows.values() if "handed_off" in s and "signed" not in s),
            "no_armed_spare": sum(1 for s in rows.values() if "no_armed_spare" in s)}


def spare_figures(rows: dict) -> list[tuple[str, float, float, int]]:
    """Spares armed meanwhile: (from -> to, p50 ms, p99 ms, n) from the spare's start to armed."""
    gaps: dict[str, list[float]] = {}
    for key, stamps in rows.items():
        if not key.startswith("spare:"):
            continue
        for before, after in (("spare_started", "spare_warm"), ("spare_started", "arm_asked"),
                              ("arm_asked", "spare_armed"), ("spare_started", "spare_armed")):
            if before in stamps and after in stamps:
                gaps.setdefault(f"{before} -> {after}", []).append((stamps[after] - stamps[before]) * 1000)
    return [(name, *pcts(values)) for name, values in gaps.items()]


def journal_figures(fields: dict) -> dict:
    """The buy rows' writes and the bytes' write after them: how many found the write lock held,
    were preempted (another task took the core) or slept (a lock, I/O, the GIL) meanwhile; wall,
    CPU and off-CPU ms p50/p99."""
    costs = [f for f in fields.values() if "journal_preempted" in f]
    return {"n": len(costs), "lock_held": sum(1 for f in costs if f["journal_lock_waits"]),
            "preempted": sum(1 for f in costs if f["journal_preempted"]),
            "slept": sum(1 for f in costs if f["journal_slept"]),
            "wall": pcts([f["journal_wall_ms"] for f in costs]),
            "cpu": pcts([f["journal_cpu_ms"] for f in costs]),
            "off_cpu": pcts([f["journal_wall_ms"] - f["journal_cpu_ms"] for f in costs]),
            "off_cpu_not_preempted": pcts([f["journal_wall_ms"] - f["journal_cpu_ms"] for f in costs
                                           if not f["journal_preempted"]])}


def stage_figures(rows: dict) -> list[tuple[str, float, float, int]]:
    """(from -> to, p50 ms, p99 ms, n) between consecutive stages each row has, and the total."""
    gaps: dict[str, list[float]] = {}
    for stamps in rows.values():
        if "handed_off" not in stamps:
            continue   # the fast path's stages only (the normal path's launches are counted apart)
        present = [stage for stage in STAGES if stage in stamps]
        for before, after in zip(present, present[1:]):
            gaps.setdefault(f"{before} -> {after}", []).append((stamps[after] - stamps[before]) * 1000)
        if "stream_received" in stamps and "buy_send_start" in stamps:
            gaps.setdefault("TOTAL stream_received -> buy_send_start", []).append(
                (stamps["buy_send_start"] - stamps["stream_received"]) * 1000)
    order = {f"{a} -> {b}": i for i, (a, b) in enumerate(zip(STAGES, STAGES[1:]))}
    return [(name, *pcts(values)) for name, values in
            sorted(gaps.items(), key=lambda item: order.get(item[0], len(order)))]


def run_bot(bot: Bot, chain: ChainProcess, settings, launches: int, trace: StageTrace | None = None,
            cpu: ProcessCpu | None = None) -> dict:
    results = {}
    bot.start(settings)
    try:
        wait_until_streaming(bot, chain)
        if trace is not None:
            trace.new_rows()   # the probes (buying paused: no armed spare)
        for rate in RATES:
            before = bot.status().buys_total
            bot.resume_buying()
            time.sleep(0.5)    # the spares refill after the probes

            def buys_of(before=before):
                status = bot.status()
                return newest(status.buys, status.buys_total - before)
            results[rate] = measure(chain, launches, rate, buys_of, cpu)
            if trace is not None:
                rows = trace.new_rows()
                results[rate]["stages"] = stage_figures(rows)
                results[rate]["paths"] = path_counts(rows)
                results[rate]["spares"] = spare_figures(rows)
                results[rate]["journal"] = journal_figures(trace.fields)
            bot.pause_buying()
            bot.wait_for(lambda s: s.active_positions == 0, timeout=60)
    finally:
        bot.stop()
    return results


def run(launches: int, modes: list[str], spares: int = 8, world_nice: int = 0,
        hot_slice_us: int | None = None, hot_nice: int | None = None, hot_realtime: int | None = None,
        world_stream_realtime: int = 0) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    os.environ[TRACE_ENV] = str(tmp / "stages.jsonl")   # inherited by every actor process
    trace = StageTrace(tmp / "stages.jsonl")
    bots = {mode: Bot() for mode in modes}   # before any thread: each admin is forked
    chain = ChainProcess(nice=world_nice, stream_realtime=world_stream_realtime)
    cpu = ProcessCpuChild({bot.system.pgid for bot in bots.values()},
                          {"world": chain.proc.pid, "benchmark": os.getpid()}).start()
    results = {}
    baseline = None
    try:
        common = {"trading.max_active_positions": 1_000, "trading.max_hold_seconds": 2,
                  "trading.min_warm_spares": spares,
                  "analysis.workers": 4, "chain.rugcheck_url": chain.node.api_url,
                  "chain.jupiter_url": chain.node.api_url}
        if hot_slice_us is not None:   # else the setting's default
            common["run.hot_slice_us"] = hot_slice_us
        if hot_nice is not None:
            common["run.hot_nice"] = hot_nice
        if hot_realtime is not None:
            common["run.hot_realtime"] = hot_realtime
        base_key, base_path = new_bot_wallet(tmp / "baseline")
        chain.fund(str(base_key.pubkey()), 20 * SOL)
        baseline = Baseline(bot_settings(chain, base_path, tmp / "runs-baseline", **common))
        baseline.start()
        time.sleep(1.0)   # subscribed
        for rate in RATES:
            before = len(baseline.buys)
            baseline.enabled = True
            results[("baseline", rate)] = measure(chain, launches, rate,
                                                  lambda before=before: baseline.buys[before:], cpu)
            baseline.enabled = False
        for mode in modes:
            key, path = new_bot_wallet(tmp / mode)
            chain.fund(str(key.pubkey()), 20 * SOL)
            settings = bot_settings(chain, path, tmp / f"runs-{mode}", **common,
                                    **{"analysis.mode": mode, "run.run_dir": str(tmp / f"log-{mode}")})
            print(f"{mode}: log in {tmp / f'log-{mode}'}", flush=True)
            trace.new_rows()   # the probes of the mode before
            for rate, figs in run_bot(bots.pop(mode), chain, settings, launches, trace, cpu).items():
                results[(mode, rate)] = figs
    finally:
        cpu.stop()
        if baseline is not None:
            baseline.stop()
        for bot in bots.values():
            bot.stop()
        chain.stop()
    return results


def report(results: dict, modes: list[str]) -> str:
    lines = [f"{'rate/s':>6} {'who':>8} {'buys':>6} {'det->sent p50/p99 ms':>21} {'ratio p50':>9} "
             f"{'sent->recv p50/p99':>18} {'det->recv p50/p99':>18} {'same slot':>10}"]
    for rate in RATES:
        base = results[("baseline", rate)]["detect_sent"][0]
        for who in ["baseline", *modes]:
            r = results[(who, rate)]
            ds, sr, dr = r["detect_sent"], r["sent_received"], r["detect_received"]
            ratio = ds[0] / base if base else float("nan")
            lines.append(f"{rate:>6.1f} {who:>8} {r['buys']:>3}/{r['launches']:<2} "
                         f"{ds[0]:>10.2f} /{ds[1]:>8.2f} {ratio:>9.2f} {sr[0]:>8.2f} /{sr[1]:>7.2f} "
                         f"{dr[0]:>8.2f} /{dr[1]:>7.2f} {r['same_slot']:>4}/{r['landed']:<4}")
    for rate in RATES:
        for who in ["baseline", *modes]:
            slot_lines = timeline_lines(results[(who, rate)].get("timeline", []))
            if slot_lines:
                lines.append(f"same slot of {who} at {rate:.1f}/s (phase: the create's time in its slot; "
                             f"margin: slot end - buy executed, < 0 missed):")
                lines += slot_lines
    for rate in RATES:
        for who in modes:
            stages = results[(who, rate)].get("stages")
            if stages:
                lines.append(f"stages of {who} at {rate:.1f}/s (ms, p50 / p99, n):")
                lines += [f"  {name:52s} {p50:8.3f} / {p99:8.3f}  {n}" for name, p50, p99, n in stages]
            paths = results[(who, rate)].get("paths")
            if paths:
                lines.append(f"  fast path {paths['fast']}/{results[(who, rate)]['launches']}, handed to a spare "
                             f"that took the ordinary path {paths['spare_ordinary']}, no armed spare "
                             f"{paths['no_armed_spare']}")
            for name, p50, p99, n in results[(who, rate)].get("spares", ()):
                lines.append(f"  spare {name:46s} {p50:8.1f} / {p99:8.1f}  {n}")
            cost = results[(who, rate)].get("journal")
            if cost and cost["n"]:
                lines.append("  buy row journal write + send (ms, p50 / p99): " + ", ".join(
                    f"{name.replace('_', ' ')} {cost[name][0]:.3f} / {cost[name][1]:.3f}"
                    for name in ("wall", "cpu", "off_cpu", "off_cpu_not_preempted")) +
                    f"; of {cost['n']}: preempted {cost['preempted']}, slept {cost['slept']}, "
                    f"write lock found held {cost['lock_held']}")
    phases = [(f"{who} {rate:g}/s", results[(who, rate)]["cpu"]) for who in ["baseline", *modes]
              for rate in RATES if "cpu" in results[(who, rate)]]
    if phases:
        lines.append("CPU while the launches came, by process kind (bot kinds: actors/process_kind.py; "
                     "world = chain + market, benchmark = this process with the baseline's thread):")
        lines += cpu_table(phases)
        lines.append("JSON-RPC requests the chain served per phase (launches + 2 s), by method:")
        for who in ["baseline", *modes]:
            for rate in RATES:
                calls = results[(who, rate)].get("rpc_calls", {})
                lines.append(f"  {who} {rate:g}/s: " + ", ".join(
                    f"{method} {n}" for method, n in sorted(calls.items(), key=lambda item: -item[1])))
    return "\n".join(lines)


def bot_settings_for_priority(hot_realtime: int | None, hot_nice: int | None):
    """Default settings with these two run knobs (None: the default), to say what they grant here."""
    from config.settings import Settings
    overrides = {f"run.{k}": v for k, v in (("hot_realtime", hot_realtime), ("hot_nice", hot_nice)) if v is not None}
    return Settings().replace(**overrides)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=20, help="launches per rate and contender")
    parser.add_argument("--modes", default="fast,full", help="analysis modes of the bot to measure")
    parser.add_argument("--spares", type=int, default=24,
                        help="trading.min_warm_spares: spares armed before a burst (10/s x ~2.4 s held)")
    parser.add_argument("--world-nice", default="0",
                        help="comma-separated nice values for the chain+market process, one run each "
                             "(0: same priority as the bot; 10: the world yields the cores, as if elsewhere)")
    parser.add_argument("--hot-slice-us", type=int, default=None,
                        help="run.hot_slice_us for the bot (0: off; default: the setting's default)")
    parser.add_argument("--hot-realtime", type=int, default=None,
                        help="run.hot_realtime for the bot (SCHED_FIFO priority; 0: off; default: the "
                             "setting's default; needs CAP_SYS_NICE or ulimit -r)")
    parser.add_argument("--world-stream-realtime", type=int, default=0,
                        help="SCHED_FIFO priority for the local chain's stream delivery thread (0: default; "
                             "as if the validator's stream ran elsewhere, not behind the bot's hot threads)")
    parser.add_argument("--hot-nice", default=None,
                        help="comma-separated run.hot_nice values for the bot, one run each (0: off; "
                             "default: the setting's default; below 0 needs CAP_SYS_NICE or ulimit -e)")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    nices = [int(n) for n in args.world_nice.split(",") if n]
    hot_nices = [None] if args.hot_nice is None else [int(n) for n in args.hot_nice.split(",") if n]
    if len(nices) * len(hot_nices) > 1:   # one process each: a run's bots fork their actor systems before any thread
        for nice in nices:
            for hot_nice in hot_nices:
                subprocess.run([sys.executable, "-m", "benchmarks.bench_detection_latency", "--launches",
                                str(args.launches), "--modes", args.modes, "--spares", str(args.spares),
                                "--world-nice", str(nice)]
                               + ([] if args.hot_slice_us is None else ["--hot-slice-us", str(args.hot_slice_us)])
                               + ([] if hot_nice is None else [f"--hot-nice={hot_nice}"])
                               + ([] if args.hot_realtime is None else [f"--hot-realtime={args.hot_realtime}"])
                               + [f"--world-stream-realtime={args.world_stream_realtime}"],
                               check=True)
        return
    print(f"== world (chain + market) at nice {nices[0]}"
          f"{' (same priority as the bot)' if nices[0] == 0 else ' (lower priority than the bot)'}; "
          f"load average before: {os.getloadavg()}; run.hot_slice_us "
          f"{'default' if args.hot_slice_us is None else args.hot_slice_us}; run.hot_nice "
          f"{'default' if hot_nices[0] is None else hot_nices[0]}; run.hot_realtime "
          f"{'default' if args.hot_realtime is None else args.hot_realtime}; the hot threads get "
          f"{hot_priority(bot_settings_for_priority(args.hot_realtime, hot_nices[0])) or 'nice 0'}; the chain's stream thread "
          f"{'SCHED_FIFO ' + str(args.world_stream_realtime) if args.world_stream_realtime else 'default'}",
          flush=True)
    results = run(args.launches, modes, args.spares, nices[0], args.hot_slice_us, hot_nices[0], args.hot_realtime,
                  args.world_stream_realtime)
    print(report(results, modes))
    print(f"load average after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
