"""LocalNode: one local chain with its JSON-RPC, PubSub and Yellowstone gRPC servers on loopback."""
from __future__ import annotations

from loguru import logger
from solders.keypair import Keypair

from localnet.chain import DEFAULT_RECORD_CAPACITY, Chain
from localnet.faults import FaultPlan, make_admin_app
from localnet.jupiter_server import ApiOptions, ApiServer, start_api_server
from localnet.pubsub import PubSubServer, start_pubsub_server
from localnet.rpc_server import RpcServer, start_rpc_server
from localnet.tls import TlsFiles


def _geyser_starter():
    try:
        from localnet.geyser import start_geyser
    except ImportError as missing:
        logger.warning("Yellowstone gRPC server unavailable ({}): running without it", missing)
        return None
    return start_geyser


class LocalNode:
    """Assemble and run the whole node; ports of 0 pick free ones (read them back after start)."""

    def __init__(self, *, host: str = "127.0.0.1", rpc_port: int = 8899, ws_port: int = 8900,
                 grpc_port: int | None = 10000, slot_ms: int = 400, confirmed_lag: int = 1,
                 finalized_lag: int = 32, seed: int = 0, x_token: str | None = None,
                 record_capacity: int = DEFAULT_RECORD_CAPACITY, rpc_middlewares: tuple = (),
                 api_port: int | None = None, api_options: ApiOptions = ApiOptions(),
                 faults: FaultPlan | None = None, grpc_tls: TlsFiles | None = None):
        self.host = host
        self.faults = faults      # fault injection (None: none possible); admin at api_url + /admin/faults
        self._ports = {"rpc": rpc_port, "ws": ws_port, "grpc": grpc_port, "api": api_port}
        self._api_options = api_options
        self._chain_options = dict(slot_ms=slot_ms, confirmed_lag=confirmed_lag, finalized_lag=finalized_lag, seed=seed,
                                   record_capacity=record_capacity)
        self._x_token = x_token
        self.grpc_tls = grpc_tls   # None: the gRPC server speaks plaintext
        self._rpc_middlewares = rpc_middlewares
        self.chain: Chain | None = None
        self.rpc: RpcServer | None = None
        self.pubsub: PubSubServer | None = None
        self.geyser = None
        self.api: ApiServer | None = None      # Jupiter + token-safety HTTP services (api_port None = off)

    async def start(self) -> "LocalNode":
        self.chain = Chain(**self._chain_options)
        try:
            rpc_middlewares = tuple(self._rpc_middlewares)
            if self.faults is not None:
                rpc_middlewares += (self.faults.rpc_middleware(),)
            self.rpc = await start_rpc_server(self.chain, self.host, self._ports["rpc"], rpc_middlewares)
            self.pubsub = await start_pubsub_server(self.chain, self.host, self._ports["ws"])
            start_geyser = _geyser_starter() if self._ports["grpc"] is not None else None
            if start_geyser is not None:
                self.geyser = await start_geyser(self.chain, self.host, self._ports["grpc"], self._x_token,
                                                 tls=self.grpc_tls)
            if self._ports["api"] is not None:
                admin = {"/admin": make_admin_app(self.faults)} if self.faults is not None else None
                self.api = await start_api_server(self.chain, self.host, self._ports["api"], self._api_options, admin)
            if self.faults is not None:
                self.faults.attach(self.chain, self.geyser)
        except BaseException:
            await self.stop()
            raise
        self.chain.start_clock()
        return self

    async def stop(self) -> None:
        if self.chain is not None:
            await self.chain.stop_clock()
        if self.faults is not None:
            self.faults.detach()
        for name in ("api", "geyser", "pubsub", "rpc"):
            server = getattr(self, name)
            if server is not None:
                setattr(self, name, None)
                try:
                    await server.stop()
                except Exception:
                    logger.exception("stopping the {} server failed", name)

    async def __aenter__(self) -> "LocalNode":
        return await self.start()

    async def __aexit__(self, *exc_info) -> None:
        await self.stop()

    @property
    def faucet(self) -> Keypair:
        return self.chain.faucet

    @property
    def rpc_url(self) -> str:
        return f"http://{self.host}:{self.rpc.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.pubsub.port}"

    @property
    def grpc_addr(self) -> str | None:
        return f"{self.host}:{self.geyser.port}" if self.geyser is not None else None

    @property
    def api_url(self) -> str | None:
        """Base URL of the Jupiter (/swap/v1, /tokens/v2) and RugCheck (/v1) services, if started."""
        return f"http://{self.host}:{self.api.port}" if self.api is not None else None
