"""The market's part of `python -m localnet`: its flags, and the runtime that starts the metadata
server, the market (simulated or replayed) and the live status line beside a running node."""
from __future__ import annotations

import argparse
from pathlib import Path

from localnet.market import fitted
from localnet.market.graduation import GraduationMigrator
from localnet.market.instruction_mix import LAUNCH_KINDS, TRADE_FAMILIES, parse_weights
from localnet.market.config import DEFAULT_FATE_WEIGHTS, MAX_LAUNCH_RATE, MarketConfig, parse_fate_weights
from localnet.market.replay import ReplayMarket
from localnet.market.replay_file import load_trade_chains
from localnet.market.simulator import MarketSimulator
from localnet.market.status import StatusLine
from localnet.metadata_server import MetadataServer

METADATA_PORT_OFFSET = 3      # default metadata port: RPC port + 3 (8902 beside 8899/8900)


def add_market_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("market simulation")
    group.add_argument("--market", action=argparse.BooleanOptionalAction, default=False,
                       help="run simulated creators and traders (default: off)")
    group.add_argument("--launch-rate", type=float, default=0.5,
                       help=f"coin launches per simulated second (default 0.5, at most {MAX_LAUNCH_RATE:g})")
    group.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second (default 1)")
    group.add_argument("--fate-weights", default=",".join(f"{f.value}={w:g}" for f, w in DEFAULT_FATE_WEIGHTS.items()),
                       help="relative weights of coin fates, e.g. dies=60,pump_dump=17,rug=12,grind=8,graduate=1")
    group.add_argument("--launch-kinds", default=_weights_text(fitted.LAUNCH_KIND_WEIGHTS),
                       help="relative shares of launch kinds (create_v2, create, mayhem, usdc), "
                            "e.g. create_v2=77,create=15,mayhem=4,usdc=4")
    group.add_argument("--trade-families", default=_weights_text(fitted.TRADE_FAMILY_WEIGHTS),
                       help="relative shares of the trade instruction lists (legacy, v2, v3), e.g. legacy=60,v2=20,v3=20")
    group.add_argument("--smart-wallets", type=int, default=3, help="wallets that buy early into pumps (default 3)")
    group.add_argument("--replay", type=Path, default=None,
                       help="replay a trades CSV (shared/data format) as the market")
    group.add_argument("--max-coins", type=int, default=None, help="stop launching after this many coins")
    group.add_argument("--market-seconds", type=float, default=None,
                       help="stop the market after this many simulated seconds (default: run until stopped)")
    group.add_argument("--migration-delay", type=float, default=0.0,
                       help="seconds from a curve's completion to its migration, a transaction of its own "
                            "as on mainnet (default 0: at once)")
    group.add_argument("--metadata-port", type=int, default=None,
                       help="HTTP port of coin metadata and /market/wallets (default: RPC port + 3; 0 = any free port)")


def _weights_text(weights: dict[str, float]) -> str:
    return ",".join(f"{name}={weight * 100:g}" for name, weight in weights.items())


def market_config(args: argparse.Namespace, parser: argparse.ArgumentParser) -> MarketConfig | None:
    """The market's settings from parsed flags (None when no market runs); bad values stop with parser.error."""
    if args.metadata_port is None:
        args.metadata_port = args.rpc_port + METADATA_PORT_OFFSET if args.rpc_port else 0
    if not (args.market or args.replay):
        return None
    try:
        if args.replay is not None and args.replay.is_file():
            load_trade_chains(args.replay)        # a bad file stops start-up here, with the reason
        return MarketConfig(seed=args.seed, launch_rate=args.launch_rate, speed=args.speed,
                            fate_weights=parse_fate_weights(args.fate_weights), smart_wallets=args.smart_wallets,
                            replay=args.replay, max_coins=args.max_coins,
                            stop_after_s=args.market_seconds,
                            launch_kinds=parse_weights(args.launch_kinds, LAUNCH_KINDS, "launch kind"),
                            trade_families=parse_weights(args.trade_families, TRADE_FAMILIES, "trade family"),
                            migration_delay_s=args.migration_delay)
    except (ValueError, OSError) as problem:
        parser.error(str(problem))


class MarketRuntime:
    """Everything the market adds to a running node; stop() undoes it all."""

    def __init__(self) -> None:
        self.metadata: MetadataServer | None = None
        self.market = None
        self.status_line: StatusLine | None = None
        self.migrator: GraduationMigrator | None = None

    @classmethod
    async def start(cls, node, config: MarketConfig | None, *, metadata_port: int = 0,
                    quiet: bool = False) -> "MarketRuntime":
        runtime = cls()
        try:
            if config is not None:
                runtime.metadata = await MetadataServer(node.host, metadata_port).start()
                market_class = ReplayMarket if config.replay is not None else MarketSimulator
                runtime.market = await market_class(config, node.rpc_url, node.faucet, runtime.metadata).start()
                runtime.migrator = GraduationMigrator(node.chain, config.migration_delay_s)
                if node.api is not None and hasattr(runtime.market, "fate_of"):
                    node.api.safety.fate_source = runtime.market.fate_of   # scripts leak into scores, noisily
            if not quiet:
                runtime.status_line = StatusLine(node.chain, runtime.market.status if runtime.market else None,
                                                 extra=lambda: _faults_summary(node)).start()
        except BaseException:
            await runtime.stop()
            raise
        return runtime

    def describe(self) -> list[str]:
        """Lines for the node's start-up banner."""
        if self.market is None:
            return []
        wallets = self.market.status()["wallets"]
        lines = [f"market metadata {self.metadata.base_url}  wallets {self.metadata.base_url}/market/wallets"]
        for role in ("smart", "creator"):
            if wallets.get(role):
                lines.append(f"market {role} wallets: {' '.join(wallets[role])}")
        return lines

    async def stop(self) -> None:
        if self.migrator is not None:
            self.migrator.stop()
            self.migrator = None
        for name in ("status_line", "market", "metadata"):
            part = getattr(self, name)
            setattr(self, name, None)
            if part is not None:
                await part.stop()


def _faults_summary(node) -> str:
    plan = getattr(node, "faults", None)
    active = plan.settings.active_names() if plan is not None else []
    return f"faults {','.join(active) if active else 'off'}"
