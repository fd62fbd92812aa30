"""Analyst: one per analyser process. Gathers a launch's facts from every source concurrently under
the per-token deadline; whatever has not answered by then is left out of the facts (the policy in
actors/policy/analysis.py decides what a missing fact means)."""
from __future__ import annotations

import asyncio

import aiohttp
from loguru import logger

from adapters.analysis import honeypot, sources
from adapters.analysis.creators import CreatorHistory, default_path
from adapters.analysis.limits import Source
from adapters.pumpfun import addresses
from adapters.pumpfun.layout_v1 import GLOBAL
from actors.trading_io import curve_from_launch
from adapters.solana_rpc import RpcClient


def fast_facts(launch, creators: CreatorHistory | None) -> dict:
    """What needs no RPC: the create event and the local creator history (recorded here)."""
    facts = {"launch": launch}
    if creators is not None:
        try:
            facts["creator"] = creators.history(launch.creator, excluding_mint=launch.mint)
            creators.record_launch(launch.mint, launch.creator)
        except Exception as exc:   # a locked or broken file: the creator check is optional
            logger.warning("analysis: creator history unavailable: {!r}", exc)
    return facts


def _never_resolves(uri: str) -> bool:
    """RFC 6761: *.invalid never resolves; asking DNS for it only wastes the deadline."""
    from urllib.parse import urlsplit
    host = (urlsplit(uri).hostname or "").rstrip(".")
    return host == "invalid" or host.endswith(".invalid")


class Analyst:
    """Per-process clients, gates and caches; gather() runs on the owning actor's loop."""

    def __init__(self, settings, workers: int = 1):
        a, chain = settings.analysis, settings.chain
        self.settings = settings
        share = max(1, workers)
        self.rpc_source = Source("rpc", a.rpc_rate_per_second / share, a.cache_ttl_seconds)
        # holders change with every trade: not cached (concurrent lookups of one mint still shared)
        self.holders_source = Source("rpc-holders", a.rpc_rate_per_second / share, 0)
        self.uri_source = Source("uri", a.uri_rate_per_second / share, a.cache_ttl_seconds)
        self.rugcheck_source = Source("rugcheck", a.rugcheck_rate_per_second / share, a.cache_ttl_seconds)
        self.jupiter_source = Source("jupiter", a.jupiter_rate_per_second / share, a.cache_ttl_seconds)
        self.honeypot_source = Source("honeypot", a.rpc_rate_per_second / share, a.cache_ttl_seconds)
        self.rpc: RpcClient | None = None
        self.session: aiohttp.ClientSession | None = None
        self.creators = CreatorHistory(default_path(settings), any_thread=True)
        self.key = None
        self.global_ = None
        self.jupiter_headers = {"x-api-key": chain.jupiter_api_key.reveal()} if chain.jupiter_api_key else None
        if a.honeypot_check:
            try:
                from adapters.keys import load_wallet_key
                self.key = load_wallet_key(settings.wallet.keypair_path, settings.wallet.private_key)
            except Exception as exc:
                logger.warning("analysis: no wallet key, honeypot probe off: {}", exc)

    def open(self) -> None:
        """Create the clients (~0.4 s: SSL contexts); warm_up() does it before the first launch."""
        if self.rpc is None:   # created on the loop thread, where they are used
            chain = self.settings.chain
            # processed: the stream saw the launch processed; at "confirmed" a fresh mint is
            # often not there yet (no such mint, no holders) for a slot or more
            self.rpc = RpcClient(chain.rpc_urls, commitment="processed", timeout_ms=chain.rpc_timeout_ms,
                                 max_retries=chain.rpc_max_retries)
            timeout = aiohttp.ClientTimeout(total=self.settings.analysis.http_timeout_ms / 1000)
            self.session = aiohttp.ClientSession(timeout=timeout)

    async def close(self) -> None:
        if self.rpc is not None:
            await self.rpc.close()
        if self.session is not None:
            await self.session.close()
        self.creators.close()

    async def warm_up(self) -> None:
        self.open()
        await self.rpc.get_latest_blockhash()
        if self.key is not None:
            await self._global()

    async def gather(self, launch, deadline_s: float) -> dict:
        """Facts from every source that answered within deadline_s (never raises for a source)."""
        self.open()
        facts = fast_facts(launch, self.creators)
        tasks = {name: asyncio.ensure_future(coro) for name, coro in self._readers(launch)}
        done, pending = await asyncio.wait(tasks.values(), timeout=deadline_s)
        for task in pending:
            task.cancel()
        for name, task in tasks.items():
            if task in done and not task.cancelled() and task.exception() is None:
                value = task.result()
                if name == "chain":
                    facts["mint"], facts["metadata"], _ = value
                else:
                    facts[name] = value
            elif task in done and not task.cancelled():
                if name == "chain" and isinstance(task.exception(), LookupError):
                    raise task.exception()   # the mint does not exist: nothing to decide on
                logger.debug("analysis: {} of {} failed: {!r}", name, launch.mint, task.exception())
        return facts

    def _readers(self, launch):
        chain, a = self.settings.chain, self.settings.analysis
        mint = launch.mint
        accounts = asyncio.ensure_future(self.rpc_source.fetch(
            mint, lambda: sources.chain_accounts(self.rpc, launch)))

        async def holders():   # concurrent with the mint read; the supply is only needed at the end
            largest = await self.holders_source.fetch(
                mint, lambda: sources.largest_other_holding(self.rpc, launch))
            mint_facts, _, _ = await accounts
            return sources.share_bps(largest, mint_facts.supply)

        async def chain_facts():
            return await accounts

        yield "chain", chain_facts()
        yield "holders", holders()
        if launch.uri.startswith(("http://", "https://")) and not _never_resolves(launch.uri):
            yield "uri_json", self.uri_source.fetch(mint, lambda: self._uri_json(launch.uri))
        if chain.rugcheck_url:
            yield "rugcheck", self.rugcheck_source.fetch(
                mint, lambda: sources.rugcheck_summary(self.session, chain.rugcheck_url, mint))
        if chain.jupiter_url:
            yield "organic", self.jupiter_source.fetch(
                mint, lambda: sources.organic_entry(self.session, chain.jupiter_url, mint,
                                                    self.jupiter_headers))
        if a.honeypot_check and self.key is not None:
            yield "honeypot", self.honeypot_source.fetch(mint, lambda: self._honeypot(launch, accounts))

    async def _uri_json(self, uri: str):
        try:
            return await sources.get_json(self.session, uri, "uri")
        except (aiohttp.ClientResponseError, ValueError):
            return "unreadable"      # answered but not a JSON document: the uri check scores it

    async def _honeypot(self, launch, accounts):
        """First at the create event's curve (no wait for the account read); if our probe buy
        cannot run at it (the curve moved a lot), once more at the curve as read."""
        global_ = await self._global()
        rpc_url = self.settings.chain.rpc_urls[0]
        rpc_url = rpc_url.reveal() if hasattr(rpc_url, "reveal") else rpc_url
        probe_lamports = self.settings.analysis.honeypot_probe_lamports
        try:
            return await honeypot.probe(self.session, rpc_url, self.key, launch, curve_from_launch(launch),
                                        global_, probe_lamports)
        except (honeypot.ProbeBuyFailed, ValueError, ArithmeticError):   # event reserves unusable
            _, _, state = await accounts
            if state is None:
                raise LookupError(f"no bonding curve for {launch.mint}") from None
            return await honeypot.probe(self.session, rpc_url, self.key, launch, state, global_,
                                        probe_lamports)

    async def _global(self):
        if self.global_ is None:   # fee rates: read once per process
            data = (await self.rpc.call("getAccountInfo",
                                        lambda c: c.get_account_info(addresses.GLOBAL))).value
            if data is None:
                raise LookupError("pump.fun Global account not found")
            self.global_ = GLOBAL.decode(bytes(data.data))
        return self.global_
