"""Yellowstone delivery latency: from execution on the local chain to the bot's subscriber.

The chain and its gRPC server run in a child process (as the local node does), the bot's real
YellowstoneSubscriber in this one, so the two use separate cores as in a real run. Delay is
TxRecord.executed_at (time.perf_counter, CLOCK_MONOTONIC: one clock for all processes on Linux)
to the moment the subscriber yields the update. Baseline in the same run: one in-process
asyncio.Queue hop at the same rate.

    python -m benchmarks.bench_geyser_latency [--seconds 4] [--rates 100,500] [--burst 3000] [--pump]
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
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
    ms = [d * 1000 for d in delays_s]
    return (f"n={len(ms):5d}  p50={statistics.median(ms):6.2f} ms  p99={_percentile(ms, 0.99):6.2f} ms  "
            f"max={max(ms):6.2f} ms")


# ---- child: chain + server ------------------------------------------------------------------
async def _serve(conn, pump: bool) -> None:
    from localnet.chain import Chain
    from localnet.geyser import start_geyser

    chain = Chain(slot_ms=400)
    server = await start_geyser(chain, "127.0.0.1", 0)
    payer = Keypair()
    chain.airdrop(payer.pubkey(), 1_000_000 * SOL)
    make_tx = _pump_buy_maker(chain, payer) if pump else _transfer_maker(chain, payer)
    chain.start_clock()
    conn.send((server.port, str(payer.pubkey())))
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
        conn.send(executed)
    await chain.stop_clock()
    await server.stop()


def _child(conn, pump: bool) -> None:
    from loguru import logger
    logger.remove()
    asyncio.run(_serve(conn, pump))


# ---- parent: the bot's subscriber -----------------------------------------------------------
async def _measure(conn, port: int, payer: str, rates: list[int], seconds: float, burst: int, pump: bool) -> None:
    from adapters.yellowstone.client import YellowstoneSubscriber, subscribe_request
    from adapters.yellowstone.transactions import pump_events, streamed_transaction

    arrivals: dict[bytes, float] = {}
    subscriber = YellowstoneSubscriber(f"127.0.0.1:{port}", subscribe_request(
        transactions={"payer": {"account_include": [payer], "failed": False}}))

    async def consume():
        async for update in subscriber:
            if update.HasField("transaction"):
                if pump:  # delivery = decoded into pump.fun events, as the bot needs them
                    assert pump_events(streamed_transaction(update.transaction)).events
                arrivals[bytes(update.transaction.transaction.signature)] = time.perf_counter()
    consumer = asyncio.create_task(consume())
    await asyncio.sleep(0.5)
    loop = asyncio.get_running_loop()
    for rate in rates:
        arrivals.clear()
        conn.send(("rate", rate, seconds))
        executed = await loop.run_in_executor(None, conn.recv)
        delays = [arrivals[sig] - at for sig, at in executed.items() if sig in arrivals]
        lost = len(executed) - len(delays)
        print(f"gRPC stream  {rate:4d} tx/s: {_summary(delays)}  lost={lost}")
        print(f"baseline     {rate:4d} tx/s: {_summary(await _queue_baseline(rate, seconds))}  (asyncio.Queue hop)")
    arrivals.clear()
    conn.send(("burst", burst))
    executed = await loop.run_in_executor(None, conn.recv)
    deadline = time.perf_counter() + 10
    while len(arrivals) < len(executed) and time.perf_counter() < deadline:  # let the stream drain
        await asyncio.sleep(0.05)
    got = [arrivals[sig] for sig in executed if sig in arrivals]
    first_exec = min(executed.values())
    span = max(got) - first_exec
    print(f"burst {burst} tx: delivered {len(got)} in {span:.3f} s -> {len(got) / span:,.0f} updates/s "
          f"(chain executed them in {max(executed.values()) - first_exec:.3f} s)")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="duration of each paced run")
    parser.add_argument("--rates", default="100,500", help="comma-separated transactions per second")
    parser.add_argument("--burst", type=int, default=3000, help="transactions in the throughput run")
    parser.add_argument("--pump", action="store_true", help="pump.fun buys (CPIs, events, decoded) instead of SOL transfers")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    parent_end, child_end = mp.Pipe()
    child = mp.get_context("spawn").Process(target=_child, args=(child_end, args.pump), daemon=True)
    child.start()
    try:
        port, payer = parent_end.recv()
        from loguru import logger
        logger.remove()
        asyncio.run(_measure(parent_end, port, payer, rates, args.seconds, args.burst, args.pump))
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.terminate()


if __name__ == "__main__":
    main()
