"""Replay a file of real pump.fun trades as a market: each coin is created fresh, then every row
is sent, in state order, as a real buy or sell with the row's exact amounts, fee recipient and
limits, so the curve's reserves after each row equal the file's. Row times keep their spacing,
divided by --speed.

Each wallet of the file trades from its own local keypair (derived from the seed and its
address). A seller holding fewer tokens locally than the row sells (the real wallet got them
elsewhere) receives the shortfall from other local holders in the same transaction, by SPL
transfer, which leaves the curve untouched.
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from dataclasses import asdict, dataclass
from functools import partial

import spl.token.instructions as token_ix
import spl.token.models as token_models
from loguru import logger
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from adapters.pumpfun import addresses as addr
from adapters.pumpfun import instructions as pump_ix
from adapters.pumpfun.curve import TOKEN_DECIMALS
from localnet.market.market_base import MarketBase
from localnet.market.replay_file import ReplayTrade, load_trade_chains
from localnet.market.wallets import Wallet, derive_keypair

DONORS_PER_TX = 2
BACKLOG_LIMIT = 512


@dataclass
class ReplayCounters:
    coins: int = 0
    launched: int = 0
    trades: int = 0
    rows: int = 0
    failed: int = 0
    graduated: int = 0


@dataclass
class _ReplayCoin:
    source_mint: str
    mint: Keypair
    address: Pubkey
    creator: Pubkey                            # the file's creator: fees go to its vault
    rows: list[ReplayTrade]
    holdings: dict[Pubkey, int]


class ReplayMarket(MarketBase):
    def __init__(self, config, rpc_url: str, faucet: Keypair, metadata=None):
        super().__init__(config, rpc_url, faucet, metadata)
        self.chains = load_trade_chains(config.replay)
        self.counters = ReplayCounters(coins=len(self.chains), rows=sum(len(c) for c in self.chains.values()))
        self._source_wallets = sorted({row.wallet for rows in self.chains.values() for row in rows})
        self.coins: dict[str, _ReplayCoin] = {}

    def _roles(self) -> dict[str, int]:
        return {"creator": 1, "replay": len(self._source_wallets)}

    def local_wallet(self, source_wallet: str) -> Wallet:
        return self.wallets["replay"][self._source_wallets.index(source_wallet)]

    def status(self) -> dict:
        return {**super().status(), **asdict(self.counters),
                "live": sum(1 for coin in self.coins.values() if coin.rows), "mode": "replay",
                "mints": {source: str(coin.address) for source, coin in self.coins.items()}}

    async def _run(self) -> None:
        self._local = {source: self.local_wallet(source) for source in self._source_wallets}
        start_time = min(rows[0].block_time for rows in self.chains.values())
        events, sequence = [], itertools.count()
        for source_mint, rows in sorted(self.chains.items()):
            at = rows[0].block_time - start_time
            heapq.heappush(events, (at, next(sequence), source_mint, None))
            for row_index, row in enumerate(rows):
                at = max(at, row.block_time - start_time)           # state order never goes back in time
                heapq.heappush(events, (at, next(sequence), source_mint, row_index))
        while events:
            at, _, source_mint, row_index = events[0]
            wait = at / self.config.speed - (time.monotonic() - self._started_at)
            if wait > 0:
                await asyncio.sleep(min(wait, 0.05))
                continue
            if self.config.stop_after_s is not None and at > self.config.stop_after_s:
                break
            heapq.heappop(events)
            if row_index is None:
                self._create(source_mint)
            else:
                self._trade(self.coins[source_mint], row_index)
            while self.sender.pending > BACKLOG_LIMIT:
                await asyncio.sleep(0.002)
        await self.sender.drain()

    def _create(self, source_mint: str) -> None:
        rows = self.chains[source_mint]
        mint = derive_keypair(self.config.seed, "replay-mint", source_mint)
        creator = Pubkey.from_string(rows[0].creator)
        coin = self.coins[source_mint] = _ReplayCoin(source_mint, mint, mint.pubkey(), creator, list(rows), {})
        uri = ""
        if self.metadata is not None:
            local = str(coin.address)
            self.metadata.publish(local, {"name": f"Replay {source_mint[:6]}", "symbol": source_mint[:4].upper(),
                                          "description": f"replay of {source_mint}",
                                          "image": self.metadata.image_url(local)})
            uri = self.metadata.metadata_url(local)
        user = self.wallets["creator"][0]
        instruction = pump_ix.build_create(coin.address, user.pubkey, f"Replay {source_mint[:6]}",
                                           source_mint[:4].upper(), uri, coin.creator)
        self._submit([instruction], [user.keypair, mint], partial(self._on_outcome, "launch", None))

    def _trade(self, coin: _ReplayCoin, row_index: int) -> None:
        row = coin.rows[row_index]
        wallet = self._local[row.wallet]
        owner = wallet.pubkey
        fee_recipient = Pubkey.from_string(row.fee_recipient)
        mint = coin.address
        if row.is_buy:
            instructions = pump_ix.build_buy_with_ata(owner, mint, coin.creator, fee_recipient, row.tokens,
                                                      row.max_sol_cost)
            signers = [wallet.keypair]
            coin.holdings[owner] = coin.holdings.get(owner, 0) + row.tokens
        else:
            self._top_up(coin, wallet, row.tokens)
            instructions = [pump_ix.build_sell(owner, mint, coin.creator, fee_recipient, row.tokens,
                                               row.min_sol_output)]
            coin.holdings[owner] -= row.tokens
        signers = [wallet.keypair]
        final = row_index == len(coin.rows) - 1
        graduates = row.real_tokens == 0
        self._submit(instructions, signers, partial(self._on_outcome, "trade", (coin, row_index, final, graduates)),
                     owner)

    def _top_up(self, coin: _ReplayCoin, wallet: Wallet, tokens: int) -> None:
        """Before a sell: transfers from other local holders of what the seller lacks (own transactions,
        sent ahead of the sell; they leave the curve untouched)."""
        owner, mint = wallet.pubkey, coin.address
        shortfall = tokens - coin.holdings.get(owner, 0)
        instructions, donors = [pump_ix.build_create_ata_idempotent(owner, owner, mint)], []
        for donor, held in sorted(coin.holdings.items(), key=lambda item: -item[1]):
            if shortfall <= 0:
                break
            if donor == owner or held <= 0:
                continue
            amount = min(held, shortfall)
            instructions.append(token_ix.transfer_checked(token_models.TransferCheckedParams(
                program_id=addr.TOKEN_PROGRAM, source=addr.associated_token_address(donor, mint), mint=mint,
                dest=addr.associated_token_address(owner, mint), owner=donor, amount=amount, decimals=TOKEN_DECIMALS)))
            coin.holdings[donor] -= amount
            coin.holdings[owner] = coin.holdings.get(owner, 0) + amount
            donors.append(self.wallet_of[donor].keypair)
            shortfall -= amount
            if len(donors) == DONORS_PER_TX:
                self._submit(instructions, [wallet.keypair, *donors], partial(self._on_outcome, "top-up", None))
                instructions, donors = [], []
        if donors:
            self._submit(instructions, [wallet.keypair, *donors], partial(self._on_outcome, "top-up", None))

    def _on_outcome(self, kind: str, trade: tuple | None, outcome) -> None:
        if not outcome.ok:
            self.counters.failed += 1
            logger.warning("replay: {} {} failed: {}", kind, trade[1] if trade else "", outcome.err)
            return
        if kind != "trade":
            self.counters.launched += kind == "launch"
            return
        self.counters.trades += 1
        coin, _, final, graduates = trade
        self.counters.graduated += graduates
        if final:
            coin.rows = []            # replayed to its end
