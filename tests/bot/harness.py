"""Test and benchmark harness for the bot: a local chain on its own thread, a tiny market that
launches and trades coins through the chain's JSON-RPC, and the bot's actor tree.

The chain runs on a private asyncio loop in a thread, so blocking actor-system calls (ask) in the
test never stall it. The actor system must be started BEFORE that thread exists: its admin is
forked from this process, and forking a multi-threaded process is hazardous (THESPIAN_NOTES.md);
every actor is then forked from the thread-free admin and Director.
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import threading
import time
from pathlib import Path
from typing import NamedTuple

from loguru import logger
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from actors.system import BotActorSystem, group_processes
from actors.trading_io import token_holdings
from adapters.keys import write_keypair_file
from adapters.pumpfun import curve, instructions, venue
from adapters.pumpfun.addresses import GLOBAL
from adapters.pumpfun.layout_v1 import BONDING_CURVE, GLOBAL as GLOBAL_LAYOUT
from adapters.solana_rpc import RpcClient
from adapters.stats import BoundedDict
from config.settings import load_settings
from localnet.chain import MEMO_PROGRAM_ID
from localnet.node import LocalNode
from messages import new_request_id
from messages.start import DirectorStarted, StartDirector
from messages.status import ClosingAll, CloseAllPositions, SetBuying, Status, StatusRequest

SOL = 1_000_000_000
SENT_SIGNATURES_REMEMBERED = 4_096   # a repeat can only share a blockhash, so only recent ones matter


class ChainThread:
    """A LocalNode on free ports, served from its own thread and loop."""

    def __init__(self, **node_options):
        self.node_options = {"slot_ms": 100, **node_options}
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="localnet", daemon=True)
        self.node: LocalNode | None = None
        self.rpc: RpcClient | None = None

    def start(self) -> "ChainThread":
        self.thread.start()
        self.node = LocalNode(rpc_port=0, ws_port=0, grpc_port=0, **self.node_options)
        self.run(self.node.start(), timeout=30)
        self.rpc = self.run(_make_rpc(self.node.rpc_url))
        return self

    def run(self, coro, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        if self.node is not None:
            if self.rpc is not None:
                self.run(self.rpc.close())
            self.run(self.node.stop())
            self.node = None
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


async def _make_rpc(url: str) -> RpcClient:
    return RpcClient([url], commitment="confirmed", timeout_ms=5_000)


class Market:
    """Creators launch coins and traders trade them, all through JSON-RPC (run on the chain loop)."""

    def __init__(self, chain: ChainThread):
        self.chain = chain
        self.rpc = chain.rpc
        self.faucet = chain.node.faucet
        self.global_ = None
        self.sent = BoundedDict(SENT_SIGNATURES_REMEMBERED)   # signatures of the transactions sent
        self.repeats = itertools.count(1)

    async def send_tx(self, payer: Keypair, ixs: list, signers: list) -> str:
        blockhash = (await self.rpc.get_latest_blockhash()).blockhash
        tx = VersionedTransaction(MessageV0.try_compile(payer.pubkey(), ixs, [], blockhash), signers)
        if tx.signatures[0] in self.sent:
            # the same instructions under the same (cached) blockhash: the same transaction, which a
            # leader drops as AlreadyProcessed -- sent with skipPreflight, silently, and the wait
            # below would find the first one's meta. E.g. selling the second half of an even holding
            # right after the first through the same randomly drawn fee recipients. A memo makes it new.
            memo = Instruction(MEMO_PROGRAM_ID, f"market repeat {next(self.repeats)}".encode(), [])
            logger.info("market: a repeat of transaction {} gets a memo", str(tx.signatures[0])[:12])
            tx = VersionedTransaction(MessageV0.try_compile(payer.pubkey(), [*ixs, memo], [], blockhash), signers)
        self.sent[tx.signatures[0]] = True
        signature = await self.rpc.send_raw(bytes(tx))
        meta = await _wait_meta(self.rpc, signature)
        if meta.err is not None:
            raise RuntimeError(f"market tx failed: {meta.err} {meta.log_messages[-3:]}")
        return signature

    async def fund(self, to: Pubkey, lamports: int) -> None:
        ix = transfer(TransferParams(from_pubkey=self.faucet.pubkey(), to_pubkey=to, lamports=lamports))
        await self.send_tx(self.faucet, [ix], [self.faucet])

    async def new_wallet(self, lamports: int) -> Keypair:
        keypair = Keypair()
        await self.fund(keypair.pubkey(), lamports)
        return keypair

    async def launch(self, creator: Keypair, name: str = "Coin") -> str:
        mint = Keypair()
        ix = instructions.build_create(mint.pubkey(), creator.pubkey(), name, name[:4].upper(),
                                       f"https://example.invalid/{name}.json")
        await self.send_tx(creator, [ix], [creator, mint])
        return str(mint.pubkey())

    async def buy(self, trader: Keypair, mint: str, sol_budget: int) -> None:
        mint_key = Pubkey.from_string(mint)
        global_ = await self._global()
        state = await self._curve(mint_key)
        tokens = curve.tokens_for_sol(state, global_, sol_budget)
        # 10 % room: the bot may buy the coin between our curve read and our buy
        ixs = instructions.build_buy_with_ata(trader.pubkey(), mint_key, state.creator,
                                              global_.fee_recipient, tokens, sol_budget + sol_budget // 10)
        await self.send_tx(trader, ixs, [trader])

    async def trade(self, trader: Keypair, mint: str, *, buy_lamports: int = 0, sell_tokens: int = 0,
                    generation: str = "legacy") -> str:
        """A buy for about `buy_lamports` or a sell of `sell_tokens` through one instruction generation
        (legacy, v2 or v3: adapters/pumpfun/venue.py), on an SPL Token or Token-2022 coin alike."""
        mint_key = Pubkey.from_string(mint)
        global_, state = await self._global(), await self._curve(mint_key)
        owner = await self.rpc.call("getAccountInfo", lambda c: c.get_account_info(mint_key))
        kind = venue.CoinKind.of_curve(mint, str(owner.value.owner), state)
        fees = venue.FeeAccounts.of_global(global_)
        if buy_lamports:
            tokens = curve.tokens_for_sol(state, global_, buy_lamports)
            ixs = venue.buy_instructions(generation, trader.pubkey(), kind, fees, tokens, buy_lamports * 2)
        else:
            ixs = [venue.sell_instruction(generation, trader.pubkey(), kind, fees, sell_tokens, 0)]
        return await self.send_tx(trader, ixs, [trader])

    async def _global(self):
        if self.global_ is None:
            resp = await self.rpc.call("getAccountInfo", lambda c: c.get_account_info(GLOBAL))
            self.global_ = GLOBAL_LAYOUT.decode(bytes(resp.value.data))
        return self.global_

    async def _curve(self, mint: Pubkey):
        from adapters.pumpfun.addresses import bonding_curve
        key = bonding_curve(mint)
        # the latest state, as a trader prices a trade (the bot's own buys may be unconfirmed yet)
        resp = await self.rpc.call("getAccountInfo", lambda c: c.get_account_info(key, commitment="processed"))
        return BONDING_CURVE.decode(bytes(resp.value.data))

    async def balance(self, owner: Pubkey) -> int:
        return await self.rpc.get_balance(owner)

    async def holdings(self, owner: Pubkey) -> dict[str, int]:
        return {m: a for m, a in (await token_holdings(self.rpc, owner)).items() if a}

    async def holding(self, owner: Pubkey, mint: str, timeout: float = 10.0) -> int:
        """owner's raw amount of mint once the read commitment shows it (a buy the bot saw land at
        `processed` may not be `confirmed` yet)."""
        deadline = time.monotonic() + timeout
        while not (amount := (await self.holdings(owner)).get(mint)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{owner} holds no {mint} after {timeout} s")
            await asyncio.sleep(0.05)
        return amount


async def _wait_meta(rpc: RpcClient, signature: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        meta = await rpc.get_transaction_meta(signature)
        if meta is not None:
            return meta
        if time.monotonic() > deadline:
            raise TimeoutError(f"{signature} not found")
        await asyncio.sleep(0.02)


def bot_settings(chain: ChainThread, keypair_path: Path, runs_dir: Path, stream: str = "grpc",
                 **overrides):
    """Settings pointing the bot at this chain; stream 'grpc' (Yellowstone) or 'ws' (logsSubscribe)."""
    values = {
        "chain.mode": "live", "chain.rpc_urls": [chain.node.rpc_url], "chain.ws_url": chain.node.ws_url,
        "wallet.keypair_path": str(keypair_path),
        "trading.buy_lamports": 10_000_000, "trading.max_hold_seconds": 3,
        "trading.max_active_positions": 3, "trading.take_profit_pct": 30, "trading.stop_loss_pct": 50,
        "analysis.deadline_ms": 3_000, "balance.interval_seconds": 2,
        "run.runs_dir": str(runs_dir), "run.quiet": True,
    }
    if stream == "grpc":
        values["chain.grpc_endpoint"] = chain.node.grpc_addr
    values.update(overrides)
    return load_settings(env={}, overrides=values)


GRPC_THREAD_NAMES = ("grpc_global_tim", "event_engine")


def refuse_fork_after_grpc() -> None:
    """A clear error instead of a 30 s hang: once a gRPC client ran in this test process its
    threads stay, and a bot forked from here inherits them mid-call (its Director never starts).
    tests/conftest.py orders such tests last."""
    names = {Path(f"/proc/self/task/{tid}/comm").read_text().strip() for tid in os.listdir("/proc/self/task")}
    held = sorted(names.intersection(GRPC_THREAD_NAMES))
    if held:
        raise RuntimeError(f"gRPC threads {held} run in this test process: a bot forked now would not start; "
                           "run this test before the in-process gRPC tests or on its own")


class Bot:
    """The bot's actor tree in its own actor system (free admin port, swept on stop).
    Construct it before starting any thread (ChainThread), start it once settings are known."""

    def __init__(self):
        refuse_fork_after_grpc()
        self.system = BotActorSystem(start_method="fork").start()
        self.director = None

    def start(self, settings) -> "Bot":
        """Start the tree as run.py does: a root actor supervising the Director. `director` is the
        root's address: it forwards every request to the live Director."""
        from actors.root import Root
        self.director = self.system.create_actor(Root)
        reply = self.system.ask(self.director, StartDirector(settings), timeout=30)
        if not isinstance(reply, DirectorStarted) or not reply.ok:
            self.stop()
            raise RuntimeError(f"director did not start: {reply!r}")
        return self

    def status(self) -> Status:
        reply = self.system.ask(self.director, StatusRequest(new_request_id("st")), timeout=10)
        if not isinstance(reply, Status):
            raise RuntimeError(f"no status: {reply!r}")
        return reply

    def pause_buying(self) -> None:
        self.system.tell(self.director, SetBuying(new_request_id("pause"), False))

    def close_all(self) -> int:
        """Stop buying and sell every open position now; returns how many were open."""
        reply = self.system.ask(self.director, CloseAllPositions(new_request_id("close")), timeout=10)
        if not isinstance(reply, ClosingAll):
            raise RuntimeError(f"close-all not acknowledged: {reply!r}")
        return reply.open_positions

    def resume_buying(self) -> None:
        self.system.tell(self.director, SetBuying(new_request_id("resume"), True))

    def wait_until_streaming(self, chain: "ChainThread", market: "Market", timeout: float = 20) -> None:
        """Launch probe coins (buying paused) until the bot has seen one: its stream is live."""
        self.pause_buying()
        creator = chain.run(market.new_wallet(SOL))   # a slow stream may take many probes
        deadline = time.monotonic() + timeout
        while self.status().coins_seen == 0:
            if time.monotonic() > deadline:
                raise TimeoutError("the bot's stream saw no launch")
            chain.run(market.launch(creator, "Probe"))
            time.sleep(0.3)
        self.resume_buying()
        # a tell may still be on its way when the test's next trade reaches the stream: wait for it
        self.wait_for(lambda status: status.buying, timeout=10, poll=0.05)

    def wait_for(self, predicate, timeout: float, poll: float = 0.25) -> Status:
        """The first Status that meets predicate. A status ask left unanswered (a Director being
        restarted, its request held by the root, on a loaded machine) is asked again until timeout."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                status = self.status()
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                status = None
            if status is not None and predicate(status):
                return status
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met; last status {status}")
            time.sleep(poll)

    def stop(self) -> list[int]:
        return self.system.stop()


def new_bot_wallet(tmp_path: Path) -> tuple[Keypair, Path]:
    keypair = Keypair()
    path = write_keypair_file(keypair, tmp_path / "bot-wallet.json")
    return keypair, path


class BotWorld(NamedTuple):
    """A bot (not started), a local chain, a market on it and the bot's funded wallet."""
    bot: Bot
    chain: ChainThread
    market: Market
    keypair: Keypair
    wallet_path: Path
    settings: object


def stop_world(bot: Bot, chain: ChainThread | None) -> None:
    """Stop the bot, then the chain; no actor process may outlive them."""
    pgid = bot.system.pgid
    bot.stop()
    if chain is not None:
        chain.stop()
    assert group_processes(pgid) == [], "an actor process outlived the test"


@contextlib.contextmanager
def bot_world(tmp_path: Path, lamports: int = 2 * SOL, jupiter: bool = False, chain_options: dict | None = None,
              **overrides):
    """The usual bot-test world, always torn down; on the way out no actor process may outlive it.
    `overrides`: settings keys on top of bot_settings'. jupiter=True: the chain serves its
    Jupiter-compatible API too, and the bot's chain.jupiter_url points at it. `chain_options`:
    more LocalNode options (e.g. rpc_middlewares)."""
    bot = Bot()   # the actor system before the chain thread: its admin must not fork a threaded process
    chain = None
    try:
        chain = ChainThread(**({"api_port": 0} if jupiter else {}), **(chain_options or {})).start()
        market = Market(chain)
        keypair, path = new_bot_wallet(tmp_path)
        chain.run(market.fund(keypair.pubkey(), lamports))
        if jupiter:
            overrides = {"chain.jupiter_url": chain.node.api_url, **overrides}
        yield BotWorld(bot, chain, market, keypair, path, bot_settings(chain, path, tmp_path / "runs", **overrides))
    finally:
        stop_world(bot, chain)
