"""A local chain in its own process for latency benchmarks, with a clock on its side of the wire.

The benchmark's bot and baseline must not share a process (and a GIL) with the chain and the market
that feeds them, or the bot is charged for the harness. This child runs a LocalNode and launches
coins itself (in-process, as a market beside the node would); it stamps, per transaction, the wall
time its sendTransaction request arrived (an aiohttp middleware; execution runs inside that
request's task) and when it executed, with the slot. The parent drives it with JSON lines on stdin:

    {"cmd": "fund", "to": PUBKEY, "lamports": N}       -> {"ok": true}
    {"cmd": "launch", "count": N, "rate": R}           -> {"ok": true, "mints": [...]}  (after the last)
        optional "jitter": each launch moved later by a random 0..jitter s (phases of the slot);
        optional "kind": a launch kind of localnet/market/instruction_mix.py (default "create", legacy),
        or a list of them, taken in turn
    {"cmd": "records"}                                 -> {"ok": true, "records": [...], "rpc_calls": {method: n}}
                                                          (and forgets them)
    {"cmd": "stop"}

    python -m benchmarks.timed_chain --slot-ms 400      (prints READY rpc=... ws=... grpc=... first)
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import contextvars
import json
import random
import sys
import threading
import time

from aiohttp import web
from loguru import logger
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from localnet.market.instruction_mix import LAUNCH_KINDS, create_instruction
from localnet.node import LocalNode

request_arrived: contextvars.ContextVar[float | None] = contextvars.ContextVar("request_arrived", default=None)
rpc_calls: collections.Counter = collections.Counter()   # JSON-RPC methods served since the last "records"


@web.middleware
async def stamp_arrival(request, handler):
    """Wall time a JSON-RPC request arrived (before its body is read): 'received' of its txs."""
    token = request_arrived.set(time.time())
    try:
        body = json.loads(await request.read())
        for call in body if isinstance(body, list) else [body]:
            rpc_calls[str(call.get("method"))] += 1
    except (ValueError, AttributeError):
        pass   # the server answers it
    try:
        return await handler(request)
    finally:
        request_arrived.reset(token)


class TxClock:
    """Chain listener: per executed transaction, when its request arrived, when it ran, its slot."""

    def __init__(self):
        self.records: list[dict] = []
        self.create_slot: dict[str, int] = {}     # mint launched here -> slot of its create
        self.create_at: dict[str, float] = {}     # mint launched here -> wall time its create ran
        self.slot_started: dict[int, float] = {}  # slot -> wall time the clock opened it (newest 2,000)

    def on_transaction(self, record) -> None:
        keys = [str(key) for key in record.account_keys]
        self.records.append({"signature": str(record.signature), "received_at": request_arrived.get(),
                             "executed_at": time.time(), "slot": record.slot, "keys": keys,
                             "err": record.err is not None})

    def on_slot(self, slot: int, _parent, status: str) -> None:
        if status == "processed":
            self.slot_started[slot] = time.time()
            self.slot_started.pop(slot - 2_000, None)


class TimedChain:
    def __init__(self, node: LocalNode, clock: TxClock):
        self.node, self.clock = node, clock
        self.chain = node.chain

    def fund(self, to: str, lamports: int) -> dict:
        record = self.chain.airdrop(Pubkey.from_string(to), lamports)
        if record.err is not None:
            return {"ok": False, "error": f"airdrop to {to} failed: {record.err}"}
        return {"ok": True}

    def _launch_one(self, creator: Keypair, name: str, kind: str = "create") -> str:
        mint = Keypair()
        ix = create_instruction(kind, mint.pubkey(), creator.pubkey(), name, name[:4].upper(),
                                f"https://example.invalid/{name}.json")
        blockhash, _ = self.chain.latest_blockhash()
        tx = VersionedTransaction(MessageV0.try_compile(creator.pubkey(), [ix], [], blockhash),
                                  [creator, mint])
        record = self.chain.execute(tx)
        self.clock.create_slot[str(mint.pubkey())] = record.slot
        self.clock.create_at[str(mint.pubkey())] = time.time()
        return str(mint.pubkey())

    async def launch(self, count: int, rate: float, kind: str | list[str] = "create",
                     jitter: float = 0.0) -> dict:
        """`count` creates of `kind` (a list: in turn), one every 1/rate s on the chain's own loop
        (the cadence holds), each moved later by a random 0..`jitter` s (seeded): with a period a
        multiple of the slot, every launch would otherwise fall at one phase of the slot clock."""
        kinds = [kind] if isinstance(kind, str) else list(kind)
        if not kinds or any(k not in LAUNCH_KINDS for k in kinds):
            raise ValueError(f"launch kinds must be of {', '.join(LAUNCH_KINDS)}, got {kind!r}")
        creators = [Keypair() for _ in range(count)]
        for creator in creators:
            self.chain.airdrop(creator.pubkey(), 100_000_000)
        mints = []
        start, shifts = time.monotonic(), random.Random(count)
        for index, creator in enumerate(creators):
            delay = start + index / rate + shifts.uniform(0.0, jitter) - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            mints.append(self._launch_one(creator, f"B{index}", kinds[index % len(kinds)]))
        return {"ok": True, "mints": mints}

    def records(self) -> dict:
        out, self.clock.records = self.clock.records, []
        for record in out:   # the slot of the create of the mint a transaction touches, if launched here
            record["mint"] = next((k for k in record["keys"] if k in self.clock.create_slot), None)
            record["create_slot"] = self.clock.create_slot.get(record["mint"])
            # where in its slot the create ran, and when that slot closed (the same-slot deadline)
            record["create_at"] = self.clock.create_at.get(record["mint"])
            if record["create_slot"] is not None:
                record["create_slot_opened"] = self.clock.slot_started.get(record["create_slot"])
                record["create_slot_closed"] = self.clock.slot_started.get(record["create_slot"] + 1)
            record["payer"] = record["keys"][0] if record["keys"] else None   # the fee payer: whose tx
            del record["keys"]
        calls = dict(rpc_calls)
        rpc_calls.clear()
        return {"ok": True, "records": out, "rpc_calls": calls}


async def serve(args) -> None:
    clock = TxClock()
    logger.remove()
    logger.add(sys.stderr, level="WARNING")   # stdout carries the replies only
    node = LocalNode(rpc_port=0, ws_port=0, grpc_port=0, api_port=0, slot_ms=args.slot_ms,
                     seed=args.seed, rpc_middlewares=(stamp_arrival,))
    await node.start()
    if args.stream_realtime:
        stream_thread_realtime(args.stream_realtime)
    node.chain.add_listener(clock)
    timed = TimedChain(node, clock)
    print(f"READY rpc={node.rpc_url} ws={node.ws_url} grpc={node.grpc_addr} api={node.api_url}",
          flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        while line := await reader.readline():
            request = json.loads(line)
            cmd = request["cmd"]
            if cmd == "stop":
                break
            try:
                if cmd == "fund":
                    reply = timed.fund(request["to"], int(request["lamports"]))
                elif cmd == "launch":
                    reply = await timed.launch(int(request["count"]), float(request["rate"]),
                                               request.get("kind", "create"),
                                               float(request.get("jitter", 0.0)))
                elif cmd == "records":
                    reply = timed.records()
                else:
                    reply = {"ok": False, "error": f"unknown cmd {cmd!r}"}
            except Exception as exc:   # the parent reads the reason; the chain keeps serving
                reply = {"ok": False, "error": repr(exc)}
            print(json.dumps(reply), flush=True)
    finally:
        await node.stop()


def stream_thread_realtime(priority: int) -> None:
    """The node's Yellowstone delivery thread in SCHED_FIFO at `priority`: a validator's stream runs
    on its own machine, not behind the bot's hot threads on the bot's two cores (needs CAP_SYS_NICE
    or `ulimit -r`; refused: a warning, the thread keeps its default)."""
    from actors.hot_threads import set_thread_realtime
    threads = [t for t in threading.enumerate() if t.name == "geyser-delivery"]
    if not threads or not all(set_thread_realtime(priority, t.native_id) for t in threads):
        logger.warning("timed chain: the stream delivery thread keeps its default scheduling")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slot-ms", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stream-realtime", type=int, default=0,
                        help="SCHED_FIFO priority for the node's stream delivery thread (0: default)")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
