"""How many pump.fun trades per second the local chain sustains through JSON-RPC.

A node runs in its own process (`python -m localnet`); this process pre-signs buy and sell
transactions for many wallets and sends them over several concurrent HTTP connections with
`sendTransaction` (skipPreflight, as snipers send). Baselines measured in the same run:
plain SOL transfers through the same RPC, and the same trades executed by the chain core in
process with no RPC at all. Three trade kinds: legacy buy/sell on an SPL Token coin, buy_v2/sell_v2
and buy_v3/sell_v3 on a Token-2022 (create_v2) coin. Usage: python benchmarks/bench_rpc_trades.py [--trades N] [--connections C]
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import os
import sys
import time
from pathlib import Path

import aiohttp
import orjson
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SOL = 10**9


def pumpfun_available() -> bool:
    try:
        from localnet.programs import install_pumpfun  # noqa: F401
    except ImportError:
        return False
    return True


TRADE_TOKENS = 1_000_000_000_000      # 1M tokens (6 decimals) per buy: ~0.03 SOL on a fresh curve
MAX_SOL_COST = 10 * SOL


TRADE_KINDS = ("legacy", "v2", "v3")   # legacy buy/sell on an SPL coin; buy_v2/sell_v2 and buy_v3/sell_v3 on Token-2022


def trade_instructions(kind: str, user, mint, creator, fee_recipient, amount: int) -> tuple[list, list]:
    """The buy (with the buyer's ATA made idempotently) and the sell of one wallet's round."""
    from adapters.pumpfun import instructions as pump_ix
    if kind == "legacy":
        return (pump_ix.build_buy_with_ata(user, mint, creator, fee_recipient, amount, MAX_SOL_COST),
                [pump_ix.build_sell(user, mint, creator, fee_recipient, amount, 0)])
    from adapters.pumpfun import instructions_v2 as v2
    coin = v2.Coin(mint, creator)
    make_ata = pump_ix.build_create_ata_idempotent(user, user, mint, coin.token_program)
    if kind == "v2":
        return ([make_ata, v2.build_buy_v2(user, coin, fee_recipient, amount, MAX_SOL_COST)],
                [v2.build_sell_v2(user, coin, fee_recipient, amount, 0)])
    return [make_ata, v2.build_buy_v3(user, coin, amount, MAX_SOL_COST)], [v2.build_sell_v3(user, coin, amount, 0)]


def trade_rounds(wallets: list[Keypair], mint, creator, fee_recipient, trades: int, blockhash,
                 kind: str = "legacy") -> list[tuple[list, list]]:
    """Per round, every wallet buys then sells back; amounts vary by round so signatures differ."""
    rounds = []
    for n in range(max(1, trades // (2 * len(wallets)))):
        amount = TRADE_TOKENS + n
        pairs = [(w, trade_instructions(kind, w.pubkey(), mint, creator, fee_recipient, amount)) for w in wallets]
        buys = [VersionedTransaction(MessageV0.try_compile(w.pubkey(), buy, [], blockhash), [w]) for w, (buy, _) in pairs]
        sells = [VersionedTransaction(MessageV0.try_compile(w.pubkey(), sell, [], blockhash), [w]) for w, (_, sell) in pairs]
        rounds.append((buys, sells))
    return rounds


def lanes_of(rounds, connections: int) -> list[list[VersionedTransaction]]:
    """Wallet i always uses lane i % connections, so its buy is sent before its sell."""
    lanes: list[list[VersionedTransaction]] = [[] for _ in range(connections)]
    for buys, sells in rounds:
        for batch in (buys, sells):
            for index, tx in enumerate(batch):
                lanes[index % connections].append(tx)
    return lanes


def create_coin_tx(creator: Keypair, mint: Keypair, blockhash, kind: str = "legacy") -> VersionedTransaction:
    from adapters.pumpfun import instructions as pump_ix
    from adapters.pumpfun import instructions_v2 as v2
    build = pump_ix.build_create if kind == "legacy" else v2.build_create_v2
    ix = build(mint.pubkey(), creator.pubkey(), "Bench", "BNCH", "https://example.invalid/bench.json")
    return VersionedTransaction(MessageV0.try_compile(creator.pubkey(), [ix], [], blockhash), [creator, mint])


def measure_core(wallet_count: int, trades: int) -> float:
    """The same trades executed by the chain core in this process: no HTTP, no JSON."""
    from localnet.chain import Chain
    chain = Chain(slot_ms=0)
    wallets = [Keypair() for _ in range(wallet_count)]
    creator, mint = Keypair(), Keypair()
    for wallet in wallets + [creator]:
        chain.airdrop(wallet.pubkey(), 100 * SOL)
    blockhash = chain.latest_blockhash()[0]
    chain.execute(create_coin_tx(creator, mint, blockhash))
    fee_recipient = chain.pumpfun.global_state.fee_recipient
    txs = [tx for lane in lanes_of(trade_rounds(wallets, mint.pubkey(), creator.pubkey(), fee_recipient, trades,
                                                blockhash), 1) for tx in lane]
    started = time.perf_counter()
    failed = sum(chain.execute(tx).err is not None for tx in txs)
    rate = len(txs) / (time.perf_counter() - started)
    if failed:
        print(f"  (core run: {failed} trades failed)")
    return rate


async def prepare_coin(rpc: "RpcConnection", creator: Keypair, kind: str = "legacy") -> tuple[Keypair, object]:
    mint = Keypair()
    blockhash = Hash.from_string((await rpc.call("getLatestBlockhash", [{"commitment": "processed"}]))["value"]["blockhash"])
    tx = create_coin_tx(creator, mint, blockhash, kind)
    await rpc.call("sendTransaction", [base64.b64encode(bytes(tx)).decode(), {"encoding": "base64"}])
    status = (await wait_landed(rpc, [str(tx.signatures[0])]))[0]
    if status is None or status["err"] is not None:
        raise RuntimeError(f"creating the benchmark coin failed: {status}")
    return mint, blockhash


class RpcConnection:
    """One keep-alive HTTP connection posting pre-serialized JSON-RPC bodies."""

    def __init__(self, url: str):
        self.url = url
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))

    async def call(self, method: str, params: list) -> object:
        body = orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        async with self.session.post(self.url, data=body, headers={"Content-Type": "application/json"}) as resp:
            answer = orjson.loads(await resp.read())
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    async def close(self) -> None:
        await self.session.close()


def send_body(tx: VersionedTransaction) -> dict:
    return {"jsonrpc": "2.0", "id": 1, "method": "sendTransaction",
            "params": [base64.b64encode(bytes(tx)).decode(), {"encoding": "base64", "skipPreflight": True}]}


async def fund(rpc: RpcConnection, wallets: list[Keypair], lamports: int) -> None:
    signatures = [await rpc.call("requestAirdrop", [str(w.pubkey()), lamports]) for w in wallets]
    await wait_landed(rpc, signatures[-1:])


async def wait_landed(rpc: RpcConnection, signatures: list[str], timeout: float = 30.0) -> list:
    deadline = time.monotonic() + timeout
    statuses: list = []
    for start in range(0, len(signatures), 256):
        chunk = signatures[start:start + 256]
        while True:
            found = (await rpc.call("getSignatureStatuses", [chunk]))["value"]
            if all(s is not None for s in found) or time.monotonic() > deadline:
                statuses += found
                break
            await asyncio.sleep(0.05)
    return statuses


async def blast(url: str, lanes: list[list[VersionedTransaction]]) -> tuple[float, int]:
    """Send each lane's transactions in order on its own connection; lanes run concurrently."""
    errors = 0

    async def run_lane(lane: list[VersionedTransaction]) -> None:
        nonlocal errors
        connection = RpcConnection(url)
        try:
            for tx in lane:
                body = orjson.dumps(send_body(tx))
                async with connection.session.post(url, data=body, headers={"Content-Type": "application/json"}) as resp:
                    errors += b'"error"' in await resp.read()
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(run_lane(lane) for lane in lanes))
    return time.perf_counter() - started, errors


def transfer_lanes(wallets: list[Keypair], per_wallet: int, blockhash, connections: int) -> list[list[VersionedTransaction]]:
    sink = Keypair().pubkey()
    lanes: list[list[VersionedTransaction]] = [[] for _ in range(connections)]
    for index, wallet in enumerate(wallets):
        for n in range(per_wallet):
            ix = transfer(TransferParams(from_pubkey=wallet.pubkey(), to_pubkey=sink, lamports=SOL // 1000 + n))
            lanes[index % connections].append(
                VersionedTransaction(MessageV0.try_compile(wallet.pubkey(), [ix], [], blockhash), [wallet]))
    return lanes


async def start_node(slot_ms: int) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "localnet", "--rpc-port", "0", "--ws-port", "0", "--grpc-port", "0",
        "--slot-ms", str(slot_ms), "--quiet", cwd=Path(__file__).resolve().parents[1],
        stdout=asyncio.subprocess.PIPE)
    async with asyncio.timeout(15):
        while True:
            line = (await process.stdout.readline()).decode()
            if line.startswith("READY"):
                return process, dict(p.split("=", 1) for p in line.split()[1:])["rpc"]
            if not line:
                raise RuntimeError("localnet exited before READY")


async def measure_rpc(label: str, url: str, lanes: list[list[VersionedTransaction]]) -> float:
    rpc = RpcConnection(url)
    try:
        count = sum(len(lane) for lane in lanes)
        elapsed, errors = await blast(url, lanes)
        statuses = await wait_landed(rpc, [str(tx.signatures[0]) for lane in lanes for tx in lane])
        failed = sum(1 for s in statuses if s is None or s["err"] is not None)
        rate = count / elapsed
        print(f"{label:44s} {count:6d} tx in {elapsed:6.2f} s = {rate:7.0f} tx/s   rpc errors {errors}, "
              f"not landed or failed {failed}")
        return rate
    finally:
        await rpc.close()


async def main(args: argparse.Namespace) -> None:
    print(f"cores: {os.cpu_count()}, connections: {args.connections}, trades: {args.trades}")
    process, url = await start_node(args.slot_ms)
    rpc = RpcConnection(url)
    try:
        wallets = [Keypair() for _ in range(args.wallets)]
        await fund(rpc, wallets, 100 * SOL)
        blockhash = (await rpc.call("getLatestBlockhash", [{"commitment": "processed"}]))["value"]["blockhash"]
        lanes = transfer_lanes(wallets, max(1, args.trades // len(wallets)), Hash.from_string(blockhash), args.connections)
        transfer_rate = await measure_rpc("baseline: SOL transfers via JSON-RPC", url, lanes)
        if pumpfun_available():
            from adapters.pumpfun.addresses import MAINNET_FEE_RECIPIENT
            creator = Keypair()
            await fund(rpc, [creator], 10 * SOL)
            rates = {}
            for kind in TRADE_KINDS:
                mint, blockhash = await prepare_coin(rpc, creator, kind)
                rounds = trade_rounds(wallets, mint.pubkey(), creator.pubkey(), MAINNET_FEE_RECIPIENT, args.trades,
                                      blockhash, kind)
                label = f"pump.fun {kind} buys+sells via JSON-RPC"
                rates[kind] = await measure_rpc(label, url, lanes_of(rounds, args.connections))
            trade_rate = rates["legacy"]
            core_rate = measure_core(args.wallets, args.trades)
            print(f"{'baseline: same trades, chain core, no RPC':44s} {core_rate:7.0f} tx/s")
            print(f"ratio trades-via-RPC / SOL-transfers-via-RPC: {trade_rate / transfer_rate:.2f}")
            print(f"ratio trades-via-RPC / trades-in-core:        {trade_rate / core_rate:.2f}")
            for kind, rate in rates.items():
                print(f"target >= 500 {kind} trades/s: {'MET' if rate >= 500 else 'NOT MET'} ({rate:.0f})")
        else:
            print("pump.fun program not installed (localnet.programs.install_pumpfun missing): transfers only")
    finally:
        await rpc.close()
        process.terminate()
        await process.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trades", type=int, default=4000)
    parser.add_argument("--wallets", type=int, default=200)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--slot-ms", type=int, default=400)
    asyncio.run(main(parser.parse_args()))
