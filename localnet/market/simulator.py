"""The living market: creators launch coins, traders and smart wallets trade them, each coin
following its scripted fate; every action is a real signed transaction sent over JSON-RPC.

Time is simulated: `speed` simulated seconds pass per real second. Every random choice comes
from seeded streams (one for launches, one per coin), so a seed fixes the whole script.
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
import random
import time
from dataclasses import asdict, dataclass
from functools import partial

from loguru import logger
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from adapters.pumpfun import addresses as addr
from adapters.pumpfun.curve import CurveError
from adapters.pumpfun.layout_v1 import BONDING_CURVE
from localnet.market import fates, fitted, instruction_mix
from localnet.market.coins import Coin, metadata_document, new_coin, pair_with_usdc, quote_units
from localnet.market.config import Fate, MarketConfig
from localnet.market.market_base import MarketBase
from localnet.market.wallets import Wallet
from localnet.programs.usdc import MAX_USDC_AIRDROP

BACKLOG_LIMIT = 512           # queued transactions beyond which the market waits for the chain
FATES_REMEMBERED = 200_000    # fate_of() answers for this many most recent coins


@dataclass
class MarketCounters:
    launched: int = 0
    graduated: int = 0
    rugs: int = 0
    trades: int = 0
    failed: int = 0               # market transactions that did not succeed
    max_lag_s: float = 0.0        # how far (simulated s) the market ran behind its script


class MarketSimulator(MarketBase):
    def __init__(self, config: MarketConfig, rpc_url: str, faucet: Keypair, metadata=None):
        super().__init__(config, rpc_url, faucet, metadata)
        self.counters = MarketCounters()
        self._launch_rng = random.Random(f"localnet-market:{config.seed}:launches")
        self._fates = list(config.fate_weights)
        self._fate_weights = [config.fate_weights[f] for f in self._fates]
        self._events: list = []
        self._sequence = itertools.count()
        self._coin_indexes = itertools.count()
        self._live: dict[int, Coin] = {}
        self._fate_of: dict[Pubkey, Fate] = {}
        self._mix_rng = random.Random(f"localnet-market:{config.seed}:instruction-mix")   # apart: fates stay as seeded

    # ---- wallets and status ----------------------------------------------------
    def _roles(self) -> dict[str, int]:
        return {"creator": self.config.creator_wallets, "trader": self.config.trader_wallets,
                "smart": self.config.smart_wallets}

    def status(self) -> dict:
        return {**super().status(), **asdict(self.counters), "live": len(self._live)}

    def fate_of(self, mint: Pubkey) -> Fate | None:
        """The scripted fate of a coin this market launched (for services that score coins)."""
        return self._fate_of.get(mint)

    def mints_with_fate(self, fate: Fate) -> list[Pubkey]:
        """Coins launched with this script, in launch order."""
        return [mint for mint, scripted in self._fate_of.items() if scripted is fate]

    async def _prepare(self) -> None:
        """USDC for every wallet when USDC-paired coins are launched (the node's requestUsdcAirdrop)."""
        if self.config.launch_kinds.get("usdc", 0) <= 0:
            return
        amount = min(MAX_USDC_AIRDROP, quote_units("usdc", self.global_state, self.config.wallet_lamports))
        await asyncio.gather(*(self.sender.call("requestUsdcAirdrop", [str(owner), amount]) for owner in self.wallet_of))

    # ---- the scheduler ------------------------------------------------------------
    def _schedule(self, at: float, handler, *args) -> None:
        heapq.heappush(self._events, (at, next(self._sequence), handler, args))

    def _sim_now(self) -> float:
        return (time.monotonic() - self._started_at) * self.config.speed

    async def _run(self) -> None:
        self._schedule(self._launch_rng.expovariate(self.config.launch_rate), self._launch)
        handled = 0
        while self._events:
            at = self._events[0][0]
            now = self._sim_now()
            if at > now:
                await asyncio.sleep(min((at - now) / self.config.speed, 0.05))
                continue
            if self.config.stop_after_s is not None and at > self.config.stop_after_s:
                break
            _, _, handler, args = heapq.heappop(self._events)
            self.counters.max_lag_s = max(self.counters.max_lag_s, now - at)
            try:
                handler(at, *args)
            except Exception:                   # one bad step must not stop the whole market
                logger.exception("market: {} failed; the market carries on", handler.__name__)
            handled += 1
            if self.sender.pending > BACKLOG_LIMIT:
                while self.sender.pending > BACKLOG_LIMIT // 2:
                    await asyncio.sleep(0.002)
            elif handled % 64 == 0:
                await asyncio.sleep(0)
        await self.sender.drain()

    # ---- launches -----------------------------------------------------------------
    def _launch(self, at: float) -> None:
        index = next(self._coin_indexes)
        if self.config.max_coins is None or index + 1 < self.config.max_coins:
            self._schedule(at + self._launch_rng.expovariate(self.config.launch_rate), self._launch)
        fate = self._launch_rng.choices(self._fates, self._fate_weights)[0]
        creator = self._launch_rng.choice(self.wallets["creator"])
        coin = new_coin(index, self.config.seed, fate, creator, self.global_state)
        coin.launched_at = at
        self._fate_of[coin.address] = fate
        if len(self._fate_of) > FATES_REMEMBERED:
            del self._fate_of[next(iter(self._fate_of))]
        mint = str(coin.address)
        image = self.metadata.image_url(mint) if self.metadata is not None else ""
        document = metadata_document(coin.name, coin.symbol, coin.address, image, coin.rng)   # same draws either way
        uri = ""
        if self.metadata is not None:
            self.metadata.publish(mint, document)
            uri = self.metadata.metadata_url(mint)
        coin.kind = instruction_mix.pick(self._mix_rng, self.config.launch_kinds)
        if coin.kind == "usdc":
            pair_with_usdc(coin, self.global_state)
        instructions = [instruction_mix.create_instruction(coin.kind, coin.address, creator.pubkey, coin.name,
                                                           coin.symbol, uri)]
        dev_tokens = fates.buy_tokens(coin, self.global_state, fates.dev_buy_lamports(coin))
        dev_buy = self._buy_instructions(coin, creator.pubkey, dev_tokens, family="legacy") if dev_tokens else []
        if coin.kind == "create":
            instructions += dev_buy
            dev_buy = []
        if dev_tokens:
            coin.apply_buy(creator.pubkey, dev_tokens)
        self._submit(instructions, [creator.keypair, coin.mint], partial(self._on_launch, coin), creator.pubkey)
        if dev_buy:     # create_v2 with the uri of the local metadata server and a buy overflows 1232 bytes
            self._submit(dev_buy, [creator.keypair], partial(self._on_trade, coin, creator.pubkey, dev_tokens, False),
                         creator.pubkey)
        self._live[index] = coin
        self._start_phase(coin, at, 0)
        if fate in fates.SMART_FATES:
            for wallet in self.wallets["smart"]:
                if coin.rng.random() < fates.SMART_ENTRY_CHANCE:
                    self._schedule(at + coin.rng.uniform(*fates.SMART_ENTRY_DELAY_S), self._smart_buy, coin, wallet)

    def _on_launch(self, coin: Coin, outcome) -> None:
        if outcome.ok:
            coin.launched = True
            self.counters.launched += 1
        else:
            self.counters.failed += 1
            logger.warning("market: launch of {} failed: {}", coin.address, outcome.err)
            self._end(coin)

    # ---- phases ---------------------------------------------------------------------
    def _start_phase(self, coin: Coin, at: float, phase: int) -> None:
        coin.phase = phase
        coin.phase_ends_at = at + fates.phases_of(coin.fate)[phase].duration_s
        self._schedule(coin.phase_ends_at, self._end_phase, coin)
        self._schedule(at + self._burst_gap(coin), self._burst, coin)

    def _burst_gap(self, coin: Coin) -> float:
        return fitted.burst_gap_seconds(coin.rng, fates.phases_of(coin.fate)[coin.phase].intensity)

    def _end_phase(self, at: float, coin: Coin) -> None:
        if coin.ended:
            return
        if coin.fate is Fate.RUG and coin.phase == fates.RUG_AFTER_PHASE:
            self._rug(coin)
        if coin.phase == fates.SMART_EXIT_AFTER_PHASE:
            for wallet in self.wallets["smart"]:
                self._sell(coin, wallet, coin.holdings.get(wallet.pubkey, 0))
        script = fates.phases_of(coin.fate)
        if coin.phase + 1 < len(script):
            self._start_phase(coin, at, coin.phase + 1)
        elif coin.fate is Fate.GRADUATE and not coin.curve.complete:
            self._start_phase(coin, at, coin.phase)           # keep buying until the curve completes
        else:
            self._end(coin)

    def _end(self, coin: Coin) -> None:
        coin.ended = True
        self._live.pop(coin.index, None)

    # ---- trades ---------------------------------------------------------------------
    def _burst(self, at: float, coin: Coin) -> None:
        if coin.ended or at > coin.phase_ends_at or coin.curve.complete:
            return
        phase = fates.phases_of(coin.fate)[coin.phase]
        protected = coin.creator.pubkey if coin.fate is Fate.RUG else None   # the rug is the creator's own sale
        for _ in range(fitted.burst_size(coin.rng)):
            holders = coin.holders(exclude=protected)
            if holders and coin.rng.random() >= phase.buy_share:
                holder = coin.rng.choice(holders)
                self._sell(coin, self.wallet_of[holder], fates.sell_tokens(coin, holder, coin.rng))
            else:
                wallet = coin.rng.choice(self.wallets["trader"])
                self._buy(coin, wallet, fitted.trade_lamports(coin.rng, phase.size_scale))
        if not coin.curve.complete:
            self._schedule(at + self._burst_gap(coin), self._burst, coin)

    def _smart_buy(self, at: float, coin: Coin, wallet: Wallet) -> None:
        if not coin.ended:
            self._buy(coin, wallet, coin.rng.randint(*fates.SMART_BUY_LAMPORTS))

    def _rug(self, coin: Coin) -> None:
        tokens = coin.holdings.get(coin.creator.pubkey, 0)
        if tokens and self._sell(coin, coin.creator, tokens):
            self.counters.rugs += 1

    def _buy(self, coin: Coin, wallet: Wallet, lamports: int) -> bool:
        try:
            tokens = fates.buy_tokens(coin, self.global_state, lamports)
            if tokens <= 0:
                return False
            completes = tokens >= coin.curve.real_token_reserves
            instructions = self._buy_instructions(coin, wallet.pubkey, tokens)
            coin.apply_buy(wallet.pubkey, tokens)
        except CurveError as problem:            # the model went stale: others trade these coins too
            logger.debug("market: buy of {} skipped: {}", coin.address, problem)
            return False
        self._submit(instructions, [wallet.keypair], partial(self._on_trade, coin, wallet.pubkey, tokens, completes),
                     wallet.pubkey)
        return True

    def _sell(self, coin: Coin, wallet: Wallet, tokens: int) -> bool:
        if tokens <= 0 or coin.curve.complete:
            return False
        try:
            instructions = instruction_mix.sell_instructions(
                self._trade_family(), coin.kind, coin.address, coin.creator.pubkey, wallet.pubkey,
                instruction_mix.fee_recipient_for(coin.kind, self.global_state), tokens,
                fates.sell_floor(coin, self.global_state, tokens))
            coin.apply_sell(wallet.pubkey, tokens)
        except CurveError as problem:
            logger.debug("market: sell of {} skipped: {}", coin.address, problem)
            return False
        self._submit(instructions, [wallet.keypair], partial(self._on_trade, coin, wallet.pubkey, -tokens, False),
                     wallet.pubkey)
        return True

    def _trade_family(self) -> str:
        return instruction_mix.pick(self._mix_rng, self.config.trade_families)

    def _buy_instructions(self, coin: Coin, owner: Pubkey, tokens: int, family: str | None = None) -> list:
        return instruction_mix.buy_instructions(
            family or self._trade_family(), coin.kind, coin.address, coin.creator.pubkey, owner,
            instruction_mix.fee_recipient_for(coin.kind, self.global_state), tokens,
            fates.buy_limit(coin, self.global_state, tokens))

    def _on_trade(self, coin: Coin, owner: Pubkey, token_change: int, completes: bool, outcome) -> None:
        if outcome.ok:
            self.counters.trades += 1
            if completes:
                coin.graduated = True
                self.counters.graduated += 1
                self._end(coin)
            return
        self.counters.failed += 1
        logger.debug("market: trade on {} ({}) failed: {}", coin.address, coin.kind, outcome.err)
        coin.holdings[owner] = coin.holdings.get(owner, 0) - token_change
        if not coin.ended and not coin.resyncing:
            coin.resyncing = True
            self._spawn(self._resync(coin))

    async def _resync(self, coin: Coin) -> None:
        """After a failed trade the model is off: read the curve back from the chain."""
        try:
            answer = await self.sender.call("getAccountInfo", [str(addr.bonding_curve(coin.address)),
                                                               {"encoding": "base64", "commitment": "processed"}])
            coin.curve = BONDING_CURVE.decode(self.account_bytes(answer))
        except Exception as problem:    # a resync is best effort; the next failure tries again
            logger.debug("market: resync of {} failed: {}", coin.address, problem)
        finally:
            coin.resyncing = False
