"""Stream ingest: how many Yellowstone transaction updates/s the bot's stream reads and decodes, and
whether a backlog grows at an offered rate.

A child process (its own GIL) records real pump.fun transactions on the local chain (a launch and
trades) and then serves them, cycled, from a minimal Geyser Subscribe at `--rate` updates/s for
`--seconds` (0 = as fast as the client takes them; gRPC flow control makes a slow reader slow the
server). Its backlog is how many updates were due by the end and not yet written. Contenders, one
after the other, each on its own subscription:
- baseline: the bot's YellowstoneSubscriber, no decoding (the transport's own ceiling);
- bot: the same plus the StreamActor's per-update decode (actors.stream.decode_transaction_update);
- full conversion: the decode every update took before (streamed_transaction + pump_events).

    .venv/bin/python -m benchmarks.bench_ingest [--rate 5000] [--seconds 3]
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time

ROUNDS = ("baseline", "bot", "full conversion")


def _record_updates(trades: int) -> list[bytes]:
    """Serialized SubscribeUpdates of a launch and `trades` buys, executed on a local chain."""
    from adapters.yellowstone.encode import transaction_update
    from adapters.yellowstone.generated import geyser_pb2 as geyser
    from tests.bot.harness import SOL, ChainThread, Market
    records = []

    class Listener:
        def on_transaction(self, record):
            records.append(record)

        def on_slot(self, *args):
            pass
    chain = ChainThread().start()
    try:
        chain.node.chain.add_listener(Listener())
        market = Market(chain)
        creator = chain.run(market.new_wallet(SOL))
        trader = chain.run(market.new_wallet(10 * SOL))
        mint = chain.run(market.launch(creator, "Ingest"))
        for _ in range(trades):
            chain.run(market.buy(trader, mint, 10_000_000))
    finally:
        chain.stop()
    pump = [r for r in records if any("Program data:" in line for line in r.log_messages)]
    return [geyser.SubscribeUpdate(filters=["pump"], transaction=transaction_update(r)).SerializeToString()
            for r in pump]


def serve(port_out, results, rate: float, seconds: float, rounds: int) -> None:
    """Child: record, then serve `rounds` subscriptions; each reports (written, due, backlog)."""
    import grpc
    from adapters.yellowstone.generated import geyser_pb2 as geyser
    from adapters.yellowstone.generated import geyser_pb2_grpc as geyser_grpc
    updates = [geyser.SubscribeUpdate.FromString(raw) for raw in _record_updates(40)]

    class Replay(geyser_grpc.GeyserServicer):
        async def Subscribe(self, request_iterator, context):
            await request_iterator.__anext__()
            start = time.monotonic()
            written = 0
            try:
                while (now := time.monotonic()) - start < seconds:
                    due = int((now - start) * rate) if rate else written + 64
                    if written >= due:
                        await asyncio.sleep(0.001)
                        continue
                    while written < due:   # a fresh signature each: the client drops repeats
                        update = updates[written % len(updates)]
                        update.transaction.transaction.signature = written.to_bytes(8, "little") * 8
                        await context.write(update)
                        written += 1
            finally:   # also when the client leaves first
                due = int(seconds * rate) if rate else written
                results.put((written, due, max(0, due - written)))

    async def main():
        server = grpc.aio.server()
        geyser_grpc.add_GeyserServicer_to_server(Replay(), server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        port_out.put(port)
        await asyncio.sleep(rounds * (seconds + 10) + 60)
        await server.stop(0)
    asyncio.run(main())


async def consume(endpoint: str, contender: str, seconds: float) -> tuple[int, float]:
    """(updates read, seconds from first to last) for one contender."""
    from actors.stream import decode_transaction_update, messages_from_events
    from adapters.yellowstone.client import YellowstoneSubscriber, subscribe_request
    from adapters.yellowstone.transactions import pump_events, streamed_transaction
    subscriber = YellowstoneSubscriber(endpoint, subscribe_request(transactions={"pump": {}}),
                                       max_reconnects=0)
    count, first, last, decoded = 0, None, None, 0

    async def read():
        nonlocal count, first, last, decoded
        async for update in subscriber:
            if update.WhichOneof("update_oneof") != "transaction":
                continue
            now = time.monotonic()
            first = first or now
            last = now
            count += 1
            if contender == "bot":
                decoded += len(decode_transaction_update(update.transaction, time.time()))
            elif contender == "full conversion":
                tx = streamed_transaction(update.transaction)
                decoded += len(messages_from_events(pump_events(tx), str(tx.signature), tx.slot, 0.0))
    try:
        await asyncio.wait_for(read(), timeout=seconds + 2)
    except (asyncio.TimeoutError, Exception):
        pass
    finally:
        await subscriber.close()
    if contender != "baseline" and count and not decoded:
        raise RuntimeError(f"{contender}: {count} updates and no event decoded")
    return count, (last - first) if first and last and last > first else float("nan")


def run(rate: float, seconds: float) -> list[dict]:
    context = multiprocessing.get_context("spawn")
    port_out, results = context.Queue(), context.Queue()
    child = context.Process(target=serve, args=(port_out, results, rate, seconds, len(ROUNDS)),
                            daemon=True)
    child.start()
    try:
        endpoint = f"127.0.0.1:{port_out.get(timeout=120)}"
        rows = []
        for contender in ROUNDS:
            count, span = asyncio.run(consume(endpoint, contender, seconds))
            written, due, backlog = results.get(timeout=seconds + 30)
            rows.append({"who": contender, "read": count, "per_s": count / span if span else 0.0,
                         "due": due, "written": written, "backlog": backlog})
        return rows
    finally:
        child.terminate()
        child.join(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=5_000, help="offered updates/s (0 = unlimited)")
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    rows = run(args.rate, args.seconds)
    base = rows[0]["per_s"]
    print(f"offered {args.rate:.0f} updates/s for {args.seconds:.0f} s (0 = as fast as read)")
    print(f"{'who':>16} {'read':>7} {'updates/s':>10} {'ratio':>6} {'due':>7} {'backlog':>8}")
    for row in rows:
        ratio = row["per_s"] / base if base else float("nan")
        print(f"{row['who']:>16} {row['read']:>7} {row['per_s']:>10.0f} {ratio:>6.2f} {row['due']:>7}"
              f" {row['backlog']:>8}")


if __name__ == "__main__":
    main()
