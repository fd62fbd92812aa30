"""Fault injection for the local chain: one FaultPlan per node, switchable at start (flags, TOML) and
at run time (GET/POST /admin/faults on the node's API server), counting every fault it injects.

    plan = FaultPlan(load_fault_file(path), seed=7)      # or FaultPlan() = everything off
    node = LocalNode(..., faults=plan)                      # node wires it into its servers
    plan.update({"rpc": {"rate_429": 0.2}, "tx": {"delay_slots": 3}})
    plan.snapshot()["counters"]["rpc_429"]

With every fault off the plan costs one None check per RPC request and per stream update.
The parts: faults_settings (what), faults_rpc (HTTP), faults_tx (send/blockhash), faults_stream (gRPC).
"""
from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass

import orjson
from aiohttp import web
from loguru import logger

from localnet.faults_rpc import rpc_fault_middleware
from localnet.faults_settings import FaultSettings, load_fault_file
from localnet.faults_stream import StreamFaults
from localnet.faults_tx import TransactionFaults

__all__ = ["FaultCounters", "FaultPlan", "FaultSettings", "load_fault_file", "make_admin_app"]
MAX_ADMIN_BODY_BYTES = 64 * 1024


@dataclass
class FaultCounters:
    """How often each fault happened since start (or the last reset)."""
    rpc_delayed: int = 0                 # requests given injected latency
    rpc_delay_ms_total: int = 0
    rpc_429: int = 0
    rpc_5xx: int = 0
    rpc_timeouts: int = 0                # held past the client's timeout, then dropped unanswered
    tx_dropped: int = 0                  # sendTransaction answered, never executed
    tx_delayed: int = 0                  # sendTransaction answered, postponed
    tx_delayed_executed: int = 0
    tx_delayed_expired: int = 0          # its blockhash had expired when its turn came
    tx_delayed_rejected: int = 0         # refused for another reason (e.g. already processed)
    blockhashes_expired_early: int = 0   # hashes that left a shortened window before the normal 150
    stream_disconnects: int = 0          # Yellowstone streams closed by the periodic disconnect
    stream_duplicated: int = 0
    stream_reordered: int = 0


class FaultPlan:
    """The faults in force for one node and their counters; used only on the asyncio loop's thread."""

    def __init__(self, settings: FaultSettings = FaultSettings(), *, seed: int = 0):
        self.settings = settings
        self.counters = FaultCounters()
        self._default_seed = seed
        self._rngs: dict[str, random.Random] = {}
        self._reseed()
        self.rpc_faults = settings.rpc if settings.rpc.active else None   # what the RPC middleware reads
        self._tx: TransactionFaults | None = None
        self._stream: StreamFaults | None = None
        self._geyser = None

    def _reseed(self) -> None:
        seed = self.settings.seed if self.settings.seed is not None else self._default_seed
        # one stream of numbers per area, so RPC traffic does not shift which transactions drop
        for area in ("rpc", "tx", "stream"):
            self._rngs.setdefault(area, random.Random()).seed(f"localnet-faults:{seed}:{area}")

    # ---- wiring (LocalNode calls these) --------------------------------------------------------
    def rpc_middleware(self):
        """The aiohttp middleware to put in front of the JSON-RPC app."""
        return rpc_fault_middleware(self, self._rngs["rpc"])

    def attach(self, chain, geyser_server=None) -> None:
        """Hook into a started chain (and its Yellowstone server, if any) and apply the settings."""
        self._tx = TransactionFaults(self, chain, self._rngs["tx"])
        if geyser_server is not None:
            self._geyser = geyser_server
            self._stream = StreamFaults(self, geyser_server, self._rngs["stream"])
        self._apply()
        if self.settings.active_names():
            logger.warning("fault injection active: {}", ", ".join(self.settings.active_names()))

    def detach(self) -> None:
        for part in (self._tx, self._stream):
            if part is not None:
                part.detach()
        self._tx = self._stream = self._geyser = None

    def _apply(self) -> None:
        self.rpc_faults = self.settings.rpc if self.settings.rpc.active else None
        for part in (self._tx, self._stream):
            if part is not None:
                part.apply()

    # ---- run-time control ------------------------------------------------------------------------
    def update(self, changes: dict, *, clear: bool = False) -> FaultSettings:
        """Apply a partial change (the nested TOML shape); clear=True first switches every fault off.
        ValueError (and nothing changed) on a bad value."""
        base = FaultSettings(seed=self.settings.seed) if clear else self.settings
        settings = base.merged(changes)
        reseed = settings.seed != self.settings.seed
        self.settings = settings
        if reseed:
            self._reseed()
        self._apply()
        logger.info("fault injection now: {}", ", ".join(settings.active_names()) or "off")
        return settings

    def reset_counters(self) -> None:
        self.counters = FaultCounters()

    def snapshot(self) -> dict:
        """Settings in force, the faults active, and every counter (JSON-ready)."""
        counters = dataclasses.asdict(self.counters)
        counters["stream_cut_off"] = self._geyser.cut_off_count if self._geyser is not None else 0
        counters["tx_postponed_now"] = self._tx.postponed_count if self._tx is not None else 0
        return {"active": self.settings.active_names(), "settings": self.settings.to_json(), "counters": counters}


def make_admin_app(plan: FaultPlan) -> web.Application:
    """GET /faults: snapshot. POST /faults with a JSON object: the nested settings to change, plus
    optional "clear": true (all off first) and "reset_counters": true. Answers the new snapshot."""
    async def show(request: web.Request) -> web.Response:
        return web.json_response(plan.snapshot(), dumps=lambda o: orjson.dumps(o).decode())

    async def change(request: web.Request) -> web.Response:
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return _bad_request("body must be a JSON object")
        if not isinstance(body, dict):
            return _bad_request("body must be a JSON object")
        clear, reset = body.pop("clear", False), body.pop("reset_counters", False)
        if not isinstance(clear, bool) or not isinstance(reset, bool):
            return _bad_request("clear and reset_counters must be true or false")
        try:
            plan.update(body, clear=clear)
        except ValueError as problem:
            return _bad_request(str(problem))
        if reset:
            plan.reset_counters()
        return await show(request)

    app = web.Application(client_max_size=MAX_ADMIN_BODY_BYTES)
    app.router.add_get("/faults", show)
    app.router.add_post("/faults", change)
    return app


def _bad_request(problem: str) -> web.Response:
    return web.json_response({"error": problem}, status=400)
