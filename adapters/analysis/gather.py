"""Analyst: one per analyser process. Gathers a launch's facts from every source concurrently under
the per-token deadline; whatever has not answered by then is left out of the facts (the policy in
actors/policy/analysis.py decides what a missing fact means)."""
from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import aiohttp
from loguru import logger

from adapters.analysis import honeypot, sources
from adapters.analysis.coalesce import Coalescer, rpc_coalescer, search_coalescer
from adapters.analysis.creators import CreatorHistory, default_path
from adapters.analysis.limits import SharedLimits, Source
from adapters.analysis.rpc import AnalysisRpc
from adapters.pumpfun import addresses, venue
from adapters.pumpfun.layout_v1 import GLOBAL
from actors.trading_io import curve_from_launch


def fast_facts(launch, creators: CreatorHistory | None, trading=None) -> dict:
    """What needs no RPC: the create event, its coin kind against the [trading] policy (when
    given) and the local creator history (recorded here)."""
    facts = {"launch": launch}
    if trading is not None:
        facts["kind_refusal"] = venue.policy_refusal(launch, trading)
    if creators is not None:
        try:
            facts["creator"] = creators.history(launch.creator, excluding_mint=launch.mint)
            creators.record_launch(launch.mint, launch.creator)
        except Exception as exc:   # a locked or broken file: the creator check is optional
            logger.warning("analysis: creator history unavailable: {!r}", exc)
    return facts


SOURCES = ("rpc", "uri", "rugcheck", "jupiter")   # their slots in the rate-limit file, in this order


def limits_path(settings) -> Path:
    """The sources' shared rate-limit buckets: a file beside the runs (not a folder: a new folder
    there reads as a run), shared by the bot's analysers and by any other bot run from this
    directory (same machine, same providers, same keys)."""
    return Path(settings.run.runs_dir) / "source-limits.bin"


def _never_resolves(uri: str) -> bool:
    """RFC 6761: *.invalid never resolves; asking DNS for it only wastes the deadline."""
    from urllib.parse import urlsplit
    host = (urlsplit(uri).hostname or "").rstrip(".")
    return host == "invalid" or host.endswith(".invalid")


class Analyst:
    """Per-process clients, gates and caches; gather() runs on the owning actor's loop."""

    trace_configs: tuple = ()    # aiohttp TraceConfigs of the session (benchmarks/analysis_trace.py)
    rpc_first = True             # HTTP sources' requests wait for the turn's RPC batch (_behind_rpc)

    def __init__(self, settings):
        a, chain = settings.analysis, settings.chain
        self.settings = settings
        limits = SharedLimits(limits_path(settings), SOURCES)   # each source's rate is the bot's
        # a coin's requests (accounts, holders, honeypot simulation), batched with the other coins
        # of its loop turn (coalesce.py): not cached, holders and the curve change with every
        # trade (concurrent lookups of one mint still shared)
        self.rpc_source = Source("rpc", a.rpc_rate_per_second, 0, limits)
        self.uri_source = Source("uri", a.uri_rate_per_second, a.cache_ttl_seconds, limits)
        self.rugcheck_source = Source("rugcheck", a.rugcheck_rate_per_second, a.cache_ttl_seconds, limits)
        self.jupiter_source = Source("jupiter", a.jupiter_rate_per_second, a.cache_ttl_seconds, limits)
        self.sources = (self.rpc_source, self.uri_source, self.rugcheck_source, self.jupiter_source)
        self.rpc: AnalysisRpc | None = None
        self.rpc_batches: Coalescer | None = None      # a loop turn's coins: one JSON-RPC batch
        self.searches: Coalescer | None = None         # a loop turn's mints: one Jupiter search
        self.session: aiohttp.ClientSession | None = None
        self.creators = CreatorHistory(default_path(settings), any_thread=True)
        self.owner = None            # the wallet's pubkey: the probe's payer (nothing is signed)
        self.global_ = None
        self.jupiter_headers = {"x-api-key": chain.jupiter_api_key.reveal()} if chain.jupiter_api_key else None
        if a.honeypot_check:
            try:
                from adapters.keys import load_wallet_key
                self.owner = load_wallet_key(settings.wallet.keypair_path, settings.wallet.private_key).pubkey
            except Exception as exc:
                logger.warning("analysis: no wallet key, honeypot probe off: {}", exc)

    def open(self) -> None:
        """Create the shared HTTP session (RPC and every HTTP source), on the loop thread."""
        if self.session is None:
            timeout = aiohttp.ClientTimeout(total=self.settings.analysis.http_timeout_ms / 1000)
            # keep-alive connections for a pool's worth of requests in flight to each host; no
            # cookies (none of the sources sets one; the jar costs ~10 us per request)
            self.session = aiohttp.ClientSession(timeout=timeout, cookie_jar=aiohttp.DummyCookieJar(),
                                                 connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300),
                                                 trace_configs=list(self.trace_configs) or None)
            chain = self.settings.chain
            self.rpc = AnalysisRpc(self.session, chain.rpc_urls, chain.rpc_timeout_ms / 1000)
            window_s = self.settings.analysis.batch_window_ms / 1000
            self.rpc_batches = rpc_coalescer(self.rpc, window_s)
            self.searches = search_coalescer(self._search, window_s)

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
        self.creators.close()
        for source in self.sources:
            source.close()

    async def warm_up(self) -> None:
        self.open()
        await self.rpc.call("getHealth", [])
        if self.owner is not None:
            await self._global()

    async def gather(self, launch, deadline_s: float) -> dict:
        """Facts from every source that answered within deadline_s (never raises for a source)."""
        self.open()
        facts = fast_facts(launch, self.creators, self.settings.trading)
        # the sources' shared lookups themselves (no task per asker): one left pending at the
        # deadline is not cancelled, it may serve another analysis of the mint, and ends on its own
        tasks = dict(self._readers(launch))
        done, _ = await asyncio.wait(tasks.values(), timeout=deadline_s)
        for name, task in tasks.items():
            if task in done and not task.cancelled() and task.exception() is None:
                value = task.result()
                if name == "rpc":
                    facts.update(value)
                else:
                    facts[name] = value
            elif task in done and not task.cancelled():
                if name == "rpc" and isinstance(task.exception(), LookupError):
                    raise task.exception()   # the mint does not exist: nothing to decide on
                logger.debug("analysis: {} of {} failed: {!r}", name, launch.mint, task.exception())
        return facts

    def _readers(self, launch):
        chain = self.settings.chain
        mint = launch.mint
        yield "rpc", self.rpc_source.lookup(mint, lambda: self._rpc_facts(launch), cost=self._rpc_cost())
        if launch.uri.startswith(("http://", "https://")) and not _never_resolves(launch.uri):
            yield "uri_json", self.uri_source.lookup(mint, lambda: self._behind_rpc(lambda: self._uri_json(launch.uri)))
        if chain.rugcheck_url:
            yield "rugcheck", self.rugcheck_source.lookup(mint, lambda: self._behind_rpc(
                lambda: sources.rugcheck_summary(self.session, chain.rugcheck_url, mint)))
        if chain.jupiter_url:   # cost 0 here: _search takes one token per query, whatever its mints
            # not behind the RPC: the turn's one search is flushed right after the RPC batch,
            # ahead of the per-coin GETs (a burst's GETs cost ~10 ms of CPU before it otherwise)
            yield "organic", self.jupiter_source.lookup(mint, lambda: self.searches.ask(mint), cost=0)

    async def _behind_rpc(self, call):
        """An HTTP source's request goes out after the loop turn's RPC batch: the RPC answer comes
        last (the simulation; `bench_analysis --trace`), so its request must not wait for the CPU
        of a burst's GETs (~15 ms at 32 coins). The readers run in the order _readers makes them:
        by now this turn's coins have asked for their RPC."""
        waiter = self.rpc_batches.sent() if self.rpc_first else None
        if waiter is not None:
            await waiter
        return await call()

    def _probing(self) -> bool:
        return self.settings.analysis.honeypot_check and self.owner is not None

    def _rpc_cost(self) -> int:
        return 4 if self._probing() else 2    # requests in the batch: providers count each

    async def _rpc_facts(self, launch) -> dict:
        """One JSON-RPC batch: the accounts (mint, metadata, curve), the largest holders and, with
        the probe on, the honeypot's balances and simulated round trip at the create event's curve. Each request's
        failure leaves only its own facts out."""
        calls = sources.chain_calls(launch)
        probe, plan = [], None
        if self._probing():
            try:
                probe, plan = honeypot.probe_calls(self.owner, launch, curve_from_launch(launch),
                                                   await self._global(), self.settings.analysis.honeypot_probe_lamports)
            except (honeypot.ProbeBuyFailed, ValueError, ArithmeticError) as exc:   # event reserves unusable
                logger.debug("analysis: probe of {} at the event's curve: {!r}", launch.mint, exc)
        answers = await self.rpc_batches.ask(calls + probe)
        accounts, largest = answers[0], answers[1]
        if isinstance(accounts, Exception):
            raise accounts
        mint_facts, metadata, state = sources.parse_chain_accounts(accounts, launch.mint)
        facts = {"mint": mint_facts, "metadata": metadata}
        if not isinstance(largest, Exception):
            facts["holders"] = sources.share_bps(sources.largest_other_holding(largest, launch), mint_facts.supply)
        if self._probing():
            try:
                facts["honeypot"] = await self._honeypot_verdict(launch, answers[2:], plan, state)
            except Exception as exc:   # no verdict: the honeypot check is missing (critical)
                logger.debug("analysis: honeypot probe of {} failed: {!r}", launch.mint, exc)
        return facts

    async def _honeypot_verdict(self, launch, answers, plan, state):
        """At the create event's curve first (no wait for the account read); if our probe buy
        cannot run there (the curve moved a lot), once more at the curve as read."""
        if answers:
            try:
                return honeypot.verdict(*answers, plan)
            except honeypot.ProbeBuyFailed:
                pass
        if state is None:
            raise LookupError(f"no bonding curve for {launch.mint}")
        calls, plan = honeypot.probe_calls(self.owner, launch, state, await self._global(),
                                           self.settings.analysis.honeypot_probe_lamports)
        return honeypot.verdict(*await self.rpc_batches.ask(calls), plan)

    async def _search(self, mints: list) -> dict:
        """One Jupiter query for the mints of a loop turn: Jupiter limits requests per API key,
        so a query counts once against the bucket whatever its mints."""
        await self.jupiter_source.bucket.acquire(1)
        return await sources.organic_entries(self.session, self.settings.chain.jupiter_url, mints,
                                             self.jupiter_headers)

    async def _uri_json(self, uri: str):
        try:
            return await sources.get_json(self.session, uri, "uri")
        except (aiohttp.ClientResponseError, ValueError):
            return "unreadable"      # answered but not a JSON document: the uri check scores it

    async def _global(self):
        if self.global_ is None:   # fee rates: read once per process
            info = await self.rpc.call("getAccountInfo", [str(addresses.GLOBAL), {"encoding": "base64"}])
            if info is None:
                raise LookupError("pump.fun Global account not found")
            self.global_ = GLOBAL.decode(base64.b64decode(info["data"][0]))
        return self.global_
