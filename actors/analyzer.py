"""AnalyzerPool: a thespian troupe of analysers checking fresh launches against the chain only.

Checks run concurrently under the per-token deadline: mint and freeze authority revoked, the largest
holder's share (the bonding curve's own token account excluded), metadata present. The work is
idempotent, as a troupe re-runs a killed worker's job elsewhere (at-least-once); the Director
ignores a second decision for the same mint.
"""
from __future__ import annotations

import asyncio
import os
import time

from loguru import logger
from solders.pubkey import Pubkey
from thespian.troupe import troupe

from actors.bridge import IOActor
from actors.trading_io import account_data, largest_token_accounts
from adapters.pumpfun import addresses
from adapters.solana_rpc import RpcClient
from messages.analysis import AnalysisDecision, AnalysisFailed, AnalyzeLaunch
from messages.start import StartAnalyzer
from messages.status import PidReply, PidRequest

MINT_BASE_SIZE = 82   # SPL mint layout; Token-2022 extensions (metadata among them) follow it


def parse_mint_authorities(data: bytes) -> tuple[bool, bool, int]:
    """(mint authority revoked, freeze authority revoked, supply) from a mint account's bytes."""
    if len(data) < MINT_BASE_SIZE:
        raise ValueError(f"mint account too short ({len(data)} bytes)")
    mint_authority_set = int.from_bytes(data[0:4], "little") != 0
    supply = int.from_bytes(data[36:44], "little")
    freeze_authority_set = int.from_bytes(data[46:50], "little") != 0
    return not mint_authority_set, not freeze_authority_set, supply


def score_launch(facts: dict, analysis_settings) -> tuple[bool, int, tuple]:
    """Pure decision from gathered facts: (buy, score 0-100, reasons against)."""
    reasons = []
    if not facts["mint_authority_revoked"]:
        reasons.append("mint authority not revoked")
    if not facts["freeze_authority_revoked"]:
        reasons.append("freeze authority not revoked")
    if facts["top_holder_bps"] > analysis_settings.max_top_holder_share_bps:
        reasons.append(f"top holder {facts['top_holder_bps']} bps > "
                       f"{analysis_settings.max_top_holder_share_bps}")
    if analysis_settings.require_metadata and not facts["metadata_present"]:
        reasons.append("no metadata")
    score = max(0, 100 - 25 * len(reasons) - facts["top_holder_bps"] // 200)
    return not reasons, score, tuple(reasons)


async def gather_facts(rpc: RpcClient, launch) -> dict:
    """The chain facts score_launch needs, read concurrently."""
    mint = Pubkey.from_string(launch.mint)
    token_program = Pubkey.from_string(launch.token_program)
    curve_account = str(addresses.associated_bonding_curve(mint, token_program))
    metadata_pda = addresses.metadata(mint)
    mint_data, largest, metadata = await asyncio.gather(
        account_data(rpc, mint), largest_token_accounts(rpc, mint), account_data(rpc, metadata_pda))
    if mint_data is None:
        raise LookupError(f"mint {launch.mint} not found")
    mint_revoked, freeze_revoked, supply = parse_mint_authorities(mint_data)
    others = [amount for address, amount in largest if str(address) != curve_account]
    top_bps = max(others, default=0) * 10_000 // supply if supply else 10_000
    metadata_present = metadata is not None or (
        launch.token_program == str(addresses.TOKEN_2022_PROGRAM) and len(mint_data) > MINT_BASE_SIZE)
    return {"mint_authority_revoked": mint_revoked, "freeze_authority_revoked": freeze_revoked,
            "top_holder_bps": top_bps, "metadata_present": metadata_present}


@troupe(max_count=8, idle_count=4)   # warm workers absorb a burst of launches
class AnalyzerPool(IOActor):
    """Troupe: the first instance only distributes AnalyzeLaunch jobs to workers of this class."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rpc: RpcClient | None = None

    async def on_loop_close(self) -> None:
        if self.rpc is not None:   # close HTTP sessions before the loop stops
            await self.rpc.close()

    def on_message(self, msg, sender) -> None:
        if isinstance(msg, PidRequest):   # answered by the worker that got it
            self.send(sender, PidReply(msg.request_id, os.getpid()))
            return
        if isinstance(msg, StartAnalyzer) and self.rpc is None:
            # warm the worker that got it (connection open), so the first launch pays no set-up
            self.rpc = RpcClient.from_settings(msg.settings)
            self.submit(self.rpc.get_latest_blockhash(), lambda _: None, lambda _exc: None)
            return
        if not isinstance(msg, AnalyzeLaunch):
            return   # PeersChanged: every job carries its settings
        try:
            if self.rpc is None:
                self.rpc = RpcClient.from_settings(msg.settings)
            started = time.monotonic()
            deadline = msg.settings.analysis.deadline_ms / 1000
            self.troupe_work_in_progress = True
            self.submit(gather_facts(self.rpc, msg.launch),
                        lambda facts: self._decided(msg, sender, facts, started),
                        lambda exc: self._failed(msg, sender, exc), timeout=deadline)
        except Exception as exc:
            self._failed(msg, sender, exc)

    def _decided(self, msg: AnalyzeLaunch, sender, facts: dict, started: float) -> None:
        try:
            buy, score, reasons = score_launch(facts, msg.settings.analysis)
            elapsed_ms = int((time.monotonic() - started) * 1000)
            self.send(sender, AnalysisDecision(msg.request_id, msg.launch, buy, score, reasons,
                                               elapsed_ms))
        except Exception as exc:
            self._failed(msg, sender, exc)
        finally:
            self.troupe_work_in_progress = False

    def _failed(self, msg: AnalyzeLaunch, sender, exc: BaseException) -> None:
        self.troupe_work_in_progress = False
        reason = "deadline exceeded" if isinstance(exc, asyncio.TimeoutError) else repr(exc)
        logger.warning("analyzer: {} failed: {}", msg.launch.mint, reason)
        self.send(sender, AnalysisFailed(msg.request_id, msg.launch.mint, reason))
