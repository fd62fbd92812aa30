"""What every market mode shares: the RPC sender, the pump.fun Global read from the chain, the
seeded wallets funded from the faucet, the run task, and the status the HTTP endpoint shows."""
from __future__ import annotations

import asyncio
import base64
import time
from dataclasses import asdict

from loguru import logger
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from adapters.pumpfun import addresses as addr
from adapters.pumpfun.layout_v1 import GLOBAL, Global
from localnet.market.config import MarketConfig
from localnet.market.rpc_sender import RpcSender
from localnet.market.wallets import Wallet, derive_wallets, fund_wallets


class MarketBase:
    def __init__(self, config: MarketConfig, rpc_url: str, faucet: Keypair, metadata=None):
        self.config = config
        self.faucet = faucet
        self.metadata = metadata
        self.sender = RpcSender(rpc_url)
        self.wallets: dict[str, list[Wallet]] = {}
        self.wallet_of: dict[Pubkey, Wallet] = {}
        self.global_state: Global | None = None
        self._task: asyncio.Task | None = None
        self._background: set[asyncio.Task] = set()
        self._started_at = time.monotonic()

    # ---- what a mode provides --------------------------------------------------------
    def _roles(self) -> dict[str, int]:
        """Wallet role -> how many wallets of it to derive and fund."""
        raise NotImplementedError

    async def _run(self) -> None:
        raise NotImplementedError

    async def _prepare(self) -> None:
        """What a mode sets up once its wallets are funded, before its clock starts."""

    # ---- life cycle ------------------------------------------------------------------
    async def start(self) -> "MarketBase":
        await self.sender.start()
        try:
            answer = await self.sender.call("getAccountInfo", [str(addr.GLOBAL), {"encoding": "base64"}])
            self.global_state = GLOBAL.decode(self.account_bytes(answer))
            self.wallets = {role: derive_wallets(self.config.seed, role, count)
                            for role, count in self._roles().items()}
            self.wallet_of = {w.pubkey: w for group in self.wallets.values() for w in group}
            await fund_wallets(self.sender, self.faucet, list(self.wallet_of), self.config.wallet_lamports)
            await self._prepare()
        except BaseException:
            await self.sender.close()
            raise
        if self.metadata is not None:
            self.metadata.set_market_status(self.status)
        self._started_at = time.monotonic()
        self._task = asyncio.get_running_loop().create_task(self._run())
        self._task.add_done_callback(_log_crash)
        return self

    async def wait(self) -> None:
        """Until the script runs out (a bounded run: max_coins, or the end of a replay file)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def stop(self) -> None:
        task, self._task = self._task, None
        for pending in [task, *self._background]:
            if pending is None:
                continue
            pending.cancel()
            try:
                await pending
            except (asyncio.CancelledError, Exception):
                pass
        await self.sender.close()

    # ---- helpers for the modes ----------------------------------------------------------
    @property
    def fee_recipient(self) -> Pubkey:
        return self.global_state.fee_recipient

    @property
    def smart_wallets(self) -> list[Pubkey]:
        return [w.pubkey for w in self.wallets.get("smart", [])]

    def status(self) -> dict:
        return {"running": self._task is not None and not self._task.done(),
                "wallets": {role: [str(w.pubkey) for w in group] for role, group in self.wallets.items()},
                "transactions": asdict(self.sender.counters)}

    def _spawn(self, coroutine) -> None:
        """Run a side job that stop() cancels if it is still running."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _submit(self, instructions: list, signers: list[Keypair], on_outcome, payer: Pubkey | None = None) -> None:
        def deliver(future: asyncio.Future) -> None:
            if not future.cancelled():
                on_outcome(future.result())
        self.sender.submit(instructions, signers, payer).add_done_callback(deliver)

    @staticmethod
    def account_bytes(answer: dict) -> bytes:
        value = answer.get("value") if isinstance(answer, dict) else None
        if value is None:
            raise ValueError("account not found")
        return base64.b64decode(value["data"][0])


def _log_crash(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.opt(exception=task.exception()).error("market stopped on an error")
