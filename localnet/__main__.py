"""`python -m localnet`: run a local Solana node (JSON-RPC, PubSub, Yellowstone gRPC) until stopped."""
from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from loguru import logger

from localnet.faults import FaultPlan
from localnet.faults_cli import add_fault_arguments, fault_settings_from_args
from localnet.jupiter import JupiterOptions
from localnet.jupiter_limits import FREE_TIER_REQUESTS, RateLimit
from localnet.jupiter_server import ApiOptions
from localnet.market.cli import MarketRuntime, add_market_arguments, market_config
from localnet.node import LocalNode
from localnet.safety import SafetyOptions
from localnet.tls import TlsFiles, write_self_signed


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m localnet", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--rpc-port", type=int, default=8899, help="JSON-RPC port (0 = any free port)")
    parser.add_argument("--ws-port", type=int, default=None, help="PubSub WebSocket port (default: RPC port + 1)")
    parser.add_argument("--grpc-port", type=int, default=10000, help="Yellowstone gRPC port (0 = any free port)")
    parser.add_argument("--slot-ms", type=int, default=400, help="slot length in milliseconds")
    parser.add_argument("--confirmed-lag", type=int, default=1, help="slots between processed and confirmed")
    parser.add_argument("--finalized-lag", type=int, default=32, help="slots between processed and finalized")
    parser.add_argument("--seed", type=int, default=0, help="seed of the faucet keypair")
    parser.add_argument("--x-token", default=None, help="token gRPC clients must send as x-token metadata")
    parser.add_argument("--grpc-tls-cert", default=None, help="serve gRPC over TLS with this PEM certificate")
    parser.add_argument("--grpc-tls-key", default=None, help="PEM private key of --grpc-tls-cert")
    parser.add_argument("--grpc-tls-self-signed", default=None, metavar="DIR",
                        help="serve gRPC over TLS with a self-signed pair for 127.0.0.1/localhost written to DIR")
    parser.add_argument("--quiet", action="store_true", help="log warnings and errors only")
    parser.add_argument("--api-port", type=int, default=0,
                        help="Jupiter/RugCheck HTTP port (0 = any free port, printed as api=; -1 = off)")
    parser.add_argument("--jupiter-rate", type=int, default=FREE_TIER_REQUESTS,
                        help="Jupiter requests per 60 s per client before 429 (0 = unlimited)")
    parser.add_argument("--safety-rate", type=int, default=FREE_TIER_REQUESTS,
                        help="token-safety requests per 60 s per client before 429 (0 = unlimited)")
    parser.add_argument("--safety-latency-ms", type=int, default=0, help="added latency of the token-safety services")
    add_market_arguments(parser)
    add_fault_arguments(parser)
    args = parser.parse_args(argv)
    args.market_config = market_config(args, parser)
    args.fault_settings = fault_settings_from_args(args, parser)
    args.grpc_tls = _grpc_tls(args, parser)
    if args.ws_port is None:
        args.ws_port = args.rpc_port + 1 if args.rpc_port else 0
    if args.jupiter_rate < 0 or args.safety_rate < 0 or args.safety_latency_ms < 0:
        parser.error("need --jupiter-rate, --safety-rate and --safety-latency-ms >= 0")
    if args.slot_ms <= 0 or args.confirmed_lag < 0 or args.finalized_lag < args.confirmed_lag:
        parser.error("need --slot-ms > 0 and 0 <= --confirmed-lag <= --finalized-lag")
    return args


def _grpc_tls(args: argparse.Namespace, parser: argparse.ArgumentParser) -> TlsFiles | None:
    if args.grpc_tls_self_signed is not None:
        if args.grpc_tls_cert or args.grpc_tls_key:
            parser.error("--grpc-tls-self-signed excludes --grpc-tls-cert/--grpc-tls-key")
        try:
            return write_self_signed(args.grpc_tls_self_signed)
        except OSError as problem:
            parser.error(f"--grpc-tls-self-signed: cannot write the pair: {problem}")
    if bool(args.grpc_tls_cert) != bool(args.grpc_tls_key):
        parser.error("--grpc-tls-cert and --grpc-tls-key go together")
    if not args.grpc_tls_cert:
        return None
    files = TlsFiles(Path(args.grpc_tls_cert), Path(args.grpc_tls_key))
    for path in (files.cert_path, files.key_path):
        if not path.is_file():
            parser.error(f"gRPC TLS file not found: {path}")
    return files


async def run(args: argparse.Namespace) -> None:
    node = LocalNode(host=args.host, rpc_port=args.rpc_port, ws_port=args.ws_port, grpc_port=args.grpc_port,
                     slot_ms=args.slot_ms, confirmed_lag=args.confirmed_lag, finalized_lag=args.finalized_lag,
                     seed=args.seed, x_token=args.x_token, api_port=None if args.api_port < 0 else args.api_port,
                     api_options=ApiOptions(JupiterOptions(RateLimit(args.jupiter_rate)),
                                            SafetyOptions(RateLimit(args.safety_rate), args.safety_latency_ms / 1000,
                                                          args.seed)),
                     faults=FaultPlan(args.fault_settings, seed=args.seed), grpc_tls=args.grpc_tls)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await node.start()
    market = None
    try:
        market = await MarketRuntime.start(node, args.market_config, metadata_port=args.metadata_port,
                                           quiet=args.quiet)
        print(f"local Solana node: JSON-RPC {node.rpc_url}  PubSub {node.ws_url}  gRPC {node.grpc_addr or 'off'}",
              flush=True)
        print(f"faucet {node.faucet.pubkey()}  slot {args.slot_ms} ms", flush=True)
        if args.grpc_tls is not None:
            print(f"gRPC over TLS: certificate {args.grpc_tls.cert_path}", flush=True)
        for line in market.describe():
            print(line, flush=True)
        if node.api_url:
            print(f"faults: {', '.join(node.faults.settings.active_names()) or 'off'}  "
                  f"admin {node.api_url}/admin/faults", flush=True)
        metadata = getattr(market, "metadata", None)   # the market's wallets: <market>/market/wallets
        print(f"READY rpc={node.rpc_url} ws={node.ws_url} grpc={node.grpc_addr or ''} api={node.api_url or ''} "
              f"market={metadata.base_url if metadata is not None else ''}", flush=True)
        await stop.wait()
    finally:
        if market is not None:
            await market.stop()
        await node.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logger.remove()
    logger.add(sys.stderr, level="WARNING" if args.quiet else "INFO")
    try:
        asyncio.run(run(args))
    except OSError as problem:
        print(f"localnet: cannot listen: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
