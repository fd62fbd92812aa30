"""Yellowstone delivery latency: from execution on the local chain to the bot's subscriber.

The chain and its gRPC and JSON-RPC servers run in a child process (as the local node does), the
bot's real YellowstoneSubscriber in this one, so the two use separate cores as in a real run. Delay
is TxRecord.executed_at (time.perf_counter, CLOCK_MONOTONIC: one clock for all processes on Linux)
to the moment the subscriber yields the update; the server's own stamps split it into listener ->
queued (build, filter), queued -> write started (waiting for the writer), the write, and the rest
(wire, client). Each rate runs without and with an RPC load: a third process polling the chain's
JSON-RPC with getTransaction (json, confirmed) as the bot confirms its orders. Each server mode
runs in turn: `own-thread` (the gRPC server on a loop of its own thread, the default) and
`chain-loop` (on the chain's loop, behind its RPC requests: the old server). Baseline in the same
run: one in-process asyncio.Queue hop at the same rate.

    python -m benchmarks.bench_geyser_latency [--seconds 4] [--rates 100,500] [--burst 3000] [--pump]
        [--rpc-load 300] [--server-modes chain-loop,own-thread]
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import statistics
import time

from solders.keypair import Keypair
from solders.message import MessageV0
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

SOL = 10**9


def _signed(chain, payer: Keypair, instructions: list, extra_signers: tuple = ()) -> VersionedTransaction:
    blockhash, _ = chain.latest_blockhash()
    return VersionedTransaction(MessageV0.try_compile(payer.pubkey(), instructions, [], blockhash), [payer, *extra_signers])


def _transfer_maker(chain, payer: Keypair):
    return lambda n: _signed(chain, payer, [transfer(TransferParams(
        from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=1_000_000 + n))])


def _pump_buy_maker(chain, payer: Keypair):
    """A fresh pump.fun coin; each transaction buys a slightly different amount of it (CPIs, events)."""
    from adapters.pumpfun import instructions as pump_ix
    mint = Keypair()
    chain.execute(_signed(chain, payer, [pump_ix.build_create(mint.pubkey(), payer.pubkey(), "Bench", "BNCH", "u")], (mint,)))
    fee_recipient = chain.pumpfun.global_state.fee_recipient
    return lambda n: _signed(chain, payer, pump_ix.build_buy_with_ata(
        payer.pubkey(), mint.pubkey(), payer.pubkey(), fee_recipient, 1_000_000 + n, SOL))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _summary(delays_s: list[float]) -> str:
    if not delays_s:
        return "n=    0"
    ms = [d * 1000 for d in delays_s]
    return (f"n={len(ms):5d}  p50={statistics.median(ms):6.2f} ms  p99={_percentile(ms, 0.99):6.2f} ms  "
            f"max={max(ms):6.2f} ms")


def _split(executed: dict, trace: dict, arrivals: dict) -> str:
    """p50/p99 ms of each part of the delay, from the server's stamps (signature -> (queued,
    write started, written)): executed -> queued, -> write started, -> written, -> received."""
    parts = {"queued": [], "writer": [], "write": [], "wire": []}
    for sig, at in executed.items():
        if sig in trace and sig in arrivals:
            queued, started, written = trace[sig]
            for name, value in zip(parts, (queued - at, started - queued, written - started, arrivals[sig] - written)):
                parts[name].append(value * 1000)
    return "  ".join(f"{name} {statistics.median(v):.2f}/{_percentile(v, 0.99):.2f}" for name, v in parts.items() if v)


# ---- child: chain + server ------------------------------------------------------------------
async def _serve(conn, pump: bool, own_thread: bool) -> None:
    from localnet.chain import Chain
    from localnet.geyser import start_geyser
    from localnet.geyser_delivery import DeliveryTrace
    from localnet.rpc_server import start_rpc_server

    chain = Chain(slot_ms=400)
    server = await start_geyser(chain, "127.0.0.1", 0, own_thread=own_thread)
    server.delivery_trace = DeliveryTrace()
    rpc = await start_rpc_server(chain, "127.0.0.1", 0)
    payer = Keypair()
    chain.airdrop(payer.pubkey(), 1_000_000 * SOL)
    make_tx = _pump_buy_maker(chain, payer) if pump else _transfer_maker(chain, payer)
    chain.start_clock()
    conn.send((server.port, rpc.port, str(payer.pubkey())))
    loop = asyncio.get_running_loop()
    counter = 0
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        if command[0] == "stop":
            break
        executed: dict[bytes, float] = {}
        if command[0] == "rate":
            _, rate, seconds = command
            start, total = time.perf_counter(), int(rate * seconds)
            for i in range(total):
                await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
                counter += 1
                rec = chain.execute(make_tx(counter))
                executed[bytes(rec.signature)] = rec.executed_at
        else:  # burst: as fast as the chain executes, yielding now and then so the server can write
            for i in range(command[1]):
                counter += 1
                rec = chain.execute(make_tx(counter))
                executed[bytes(rec.signature)] = rec.executed_at
                if i % 50 == 0:
                    await asyncio.sleep(0)
        await asyncio.sleep(0.5)
        trace = {sig: stamps for sig, stamps in server.delivery_trace.rows.items() if sig in executed}
        server.delivery_trace.rows.clear()
        conn.send((executed, trace))
    await chain.stop_clock()
    await rpc.stop()
    await server.stop()


def _child(conn, pump: bool, own_thread: bool) -> None:
    from loguru import logger
    logger.remove()
    asyncio.run(_serve(conn, pump, own_thread))


# ---- a third process: the bot's confirmation polling on the chain's JSON-RPC ----------------
LOAD_CONNECTIONS = 4   # the bot's actor processes each keep their own connection


async def _poll_rpc(url: str, payer: str, rate: float, stop) -> int:
    """getTransaction (json, confirmed) of the payer's recent signatures at `rate`/s until stop is
    set; returns how many were answered."""
    import aiohttp

    answered, signatures, rng = 0, [], random.Random(7)

    async def post(session, method: str, params: list):
        nonlocal answered
        async with session.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}) as resp:
            body = await resp.json()
        answered += 1
        return body.get("result")

    async def worker(session, index: int) -> None:
        period, next_at = LOAD_CONNECTIONS / rate, time.perf_counter() + index / rate
        while not stop.is_set():
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            next_at += period
            if index == 0 and (not signatures or rng.random() < 0.05):
                found = await post(session, "getSignaturesForAddress", [payer, {"limit": 50, "commitment": "confirmed"}]) or []
                signatures[:] = [row["signature"] for row in found]
            elif signatures:
                await post(session, "getTransaction", [rng.choice(signatures), {
                    "encoding": "json", "commitment": "confirmed", "maxSupportedTransactionVersion": 0}])
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=LOAD_CONNECTIONS)) as session:
        await asyncio.gather(*(worker(session, i) for i in range(LOAD_CONNECTIONS)))
    return answered


def _loader(url: str, payer: str, rate: float, seconds: float, answered) -> None:
    async def run():
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(seconds, stop.set)
        answered.value = await _poll_rpc(url, payer, rate, stop)
    asyncio.run(run())   # answered over `seconds`: the rate it kept


class RpcLoad:
    """The polling process for one paced run (rate 0: none)."""

    def __init__(self, rpc_port: int, payer: str, rate: float, seconds: float):
        self.rate, self.seconds = rate, seconds
        self.answered = mp.get_context("spawn").Value("i", 0)
        self.process = None
        if rate:
            self.process = mp.get_context("spawn").Process(target=_loader, daemon=True, args=(
                f"http://127.0.0.1:{rpc_port}", payer, rate, seconds, self.answered))

    async def __aenter__(self) -> "RpcLoad":
        if self.process is not None:
            self.process.start()
            await asyncio.sleep(1.0)   # the process is up and polling
        return self

    async def __aexit__(self, *exc_info) -> None:
        if self.process is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.process.join, self.seconds + 10)

    def describe(self) -> str:
        return f"rpc load {self.answered.value / self.seconds:5.0f} req/s" if self.rate else "no rpc load      "


# ---- parent: the bot's subscriber -----------------------------------------------------------
async def _measure(conn, ports: tuple[int, int], payer: str, mode: str, options) -> None:
    from adapters.yellowstone.client import YellowstoneSubscriber, subscribe_request
    from adapters.yellowstone.transactions import pump_events, streamed_transaction

    grpc_port, rpc_port = ports
    arrivals: dict[bytes, float] = {}
    subscriber = YellowstoneSubscriber(f"127.0.0.1:{grpc_port}", subscribe_request(
        transactions={"payer": {"account_include": [payer], "failed": False}}))

    async def consume():
        async for update in subscriber:
            if update.HasField("transaction"):
                if options.pump:  # delivery = decoded into pump.fun events, as the bot needs them
                    assert pump_events(streamed_transaction(update.transaction)).events
                arrivals[bytes(update.transaction.transaction.signature)] = time.perf_counter()
    consumer = asyncio.create_task(consume())
    await asyncio.sleep(0.5)
    loop = asyncio.get_running_loop()
    for rate in options.rates:
        for load_rate in sorted({0, options.rpc_load}):
            arrivals.clear()
            # the load runs from before the paced run to past its end (the child answers 0.5 s late)
            async with RpcLoad(rpc_port, payer, load_rate, options.seconds + 2.0) as load:
                conn.send(("rate", rate, options.seconds))
                executed, trace = await loop.run_in_executor(None, conn.recv)
            delays = [arrivals[sig] - at for sig, at in executed.items() if sig in arrivals]
            lost = len(executed) - len(delays)
            print(f"{mode:10s} {rate:4d} tx/s, {load.describe()}: {_summary(delays)}  lost={lost}\n"
                  f"{'':16s}split p50/p99 ms: {_split(executed, trace, arrivals)}", flush=True)
        print(f"{'baseline':10s} {rate:4d} tx/s: {_summary(await _queue_baseline(rate, options.seconds))}  "
              f"(asyncio.Queue hop)", flush=True)
    arrivals.clear()
    conn.send(("burst", options.burst))
    executed, _trace = await loop.run_in_executor(None, conn.recv)
    deadline = time.perf_counter() + 10
    while len(arrivals) < len(executed) and time.perf_counter() < deadline:  # let the stream drain
        await asyncio.sleep(0.05)
    got = [arrivals[sig] for sig in executed if sig in arrivals]
    first_exec = min(executed.values())
    span = max(got) - first_exec
    print(f"{mode:10s} burst {options.burst} tx: delivered {len(got)} in {span:.3f} s -> {len(got) / span:,.0f} "
          f"updates/s (chain executed them in {max(executed.values()) - first_exec:.3f} s)", flush=True)
    conn.send(("stop",))
    await subscriber.close()
    consumer.cancel()
    await asyncio.gather(consumer, return_exceptions=True)


async def _queue_baseline(rate: int, seconds: float) -> list[float]:
    queue: asyncio.Queue = asyncio.Queue()
    delays: list[float] = []
    total = int(rate * seconds)

    async def consume():
        for _ in range(total):
            sent = await queue.get()
            delays.append(time.perf_counter() - sent)
    consumer = asyncio.create_task(consume())
    start = time.perf_counter()
    for i in range(total):
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        queue.put_nowait(time.perf_counter())
    await consumer
    return delays


SERVER_MODES = {"own-thread": True, "chain-loop": False}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="duration of each paced run")
    parser.add_argument("--rates", default="100,500", help="comma-separated transactions per second")
    parser.add_argument("--burst", type=int, default=3000, help="transactions in the throughput run")
    parser.add_argument("--pump", action="store_true", help="pump.fun buys (CPIs, events, decoded) instead of SOL transfers")
    parser.add_argument("--rpc-load", type=float, default=300.0,
                        help="getTransaction requests/s of the RPC load beside each paced run (0: none)")
    parser.add_argument("--server-modes", default="chain-loop,own-thread",
                        help=f"comma-separated, of {', '.join(SERVER_MODES)}")
    options = parser.parse_args()
    options.rates = [int(r) for r in options.rates.split(",")]
    modes = [m for m in options.server_modes.split(",") if m]
    if any(m not in SERVER_MODES for m in modes):
        parser.error(f"--server-modes: each of {', '.join(SERVER_MODES)}")
    print(f"load average before: {os.getloadavg()}", flush=True)
    for mode in modes:
        parent_end, child_end = mp.Pipe()
        child = mp.get_context("spawn").Process(target=_child, args=(child_end, options.pump, SERVER_MODES[mode]),
                                                daemon=True)
        child.start()
        try:
            grpc_port, rpc_port, payer = parent_end.recv()
            from loguru import logger
            logger.remove()
            asyncio.run(_measure(parent_end, (grpc_port, rpc_port), payer, mode, options))
        finally:
            child.join(timeout=10)
            if child.is_alive():
                child.terminate()
    print(f"load average after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
