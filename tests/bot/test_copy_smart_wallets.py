"""Copy trading against the local market itself: the simulated market (localnet/market) runs pump
and dump coins on the local chain with two smart wallets, which buy early, sometimes sell part of
their holding in the bursts and sell the rest when the pump ends. The bot follows the two wallets
the market lists at /market/wallets (what copy.smart_wallets reads, app/copy_targets.py). Read back from
the chain: each coin we bought, a smart wallet bought first; each partial sell of ours is the same
fraction of our holding as a smart wallet's sell of theirs just before; both wallets were copied;
every token is sold and the PnL equals the wallet's lamport change."""
from __future__ import annotations

import collections

import pytest

from app.copy_targets import market_smart_wallets
from localnet.market import Fate, MarketConfig, MarketSimulator
from localnet.market.wallets import derive_wallets
from localnet.metadata_server import MetadataServer
from tests.bot.test_copy_trading import world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.timeout(150)
MARKET = MarketConfig(seed=2, speed=8.0, launch_rate=0.5, max_coins=4, smart_wallets=2, trader_wallets=8,
                      creator_wallets=2, wallet_lamports=60 * 10**9,
                      fate_weights={fate: (1.0 if fate is Fate.PUMP_DUMP else 0.0) for fate in Fate},
                      launch_kinds={"create_v2": 1.0, "create": 1.0})


def token_moves(chain) -> list[tuple[int, str, str, int, int]]:
    """(slot, owner, mint, before, after) of every successful transaction that changed an owner's
    holding of a pump coin, oldest first, from the chain's own records (pre/post token balances)."""
    moves = []
    for record in reversed(list(chain.node.chain.records_newest_first())):
        if record.err is not None:
            continue
        held = collections.defaultdict(lambda: [0, 0])
        for side, entries in ((0, record.pre_token_balances), (1, record.post_token_balances)):
            for entry in entries:
                held[(entry["owner"], entry["mint"])][side] += int(entry["uiTokenAmount"]["amount"])
        moves += [(record.slot, owner, mint, before, after) for (owner, mint), (before, after) in held.items()
                  if before != after and not mint.startswith("So111")]
    return moves


def test_copies_follow_two_of_the_markets_smart_wallets(world):  # noqa: F811
    chain = world.chain
    # the market's wallets follow from its seed: the bot follows them from the market's first coin on
    smart = [str(wallet.pubkey) for wallet in derive_wallets(MARKET.seed, "smart", MARKET.smart_wallets)]
    world.start(**{"copy.targets": smart, "copy.ratio": "0.05", "trading.max_active_positions": 8})
    metadata = chain.run(MetadataServer().start())
    market = chain.run(MarketSimulator(MARKET, chain.node.rpc_url, chain.node.faucet, metadata).start(), timeout=60)
    try:
        assert market_smart_wallets(metadata.base_url) == smart   # what copy.smart_wallets reads: the same two
        chain.run(market.wait(), timeout=90)                  # the script runs out: every pump has ended
    finally:
        chain.run(market.stop())
        chain.run(metadata.stop())
    status = world.finish()                                   # nothing held, PnL == the lamport change

    ours = str(world.keypair.pubkey())
    moves = token_moves(chain)
    bought = {mint for _, owner, mint, before, after in moves if owner == ours and after > before}
    assert bought, "no smart wallet buy was copied"
    for mint in bought:
        first_ours = min(slot for slot, owner, m, before, after in moves if owner == ours and m == mint)
        assert any(owner in smart and m == mint and after > before and slot <= first_ours
                   for slot, owner, m, before, after in moves), f"we bought {mint} before any smart wallet"
    partial = 0
    for index, (slot, owner, mint, before, after) in enumerate(moves):
        if owner != ours or not 0 < after < before:
            continue
        partial += 1
        theirs = [(b - a, b) for _, o, m, b, a in moves[:index] if o in smart and m == mint and a < b]
        sold, held = theirs[-1]     # the smart wallet's sell we followed: ours sold the same fraction
        assert before - after == before * sold // held, (mint, before, after, sold, held)
    books = status.copy
    assert all(books[wallet]["copied_buys"] >= 1 for wallet in smart), books
    # a smart wallet may buy a coin again: its repeat buy is copied into our position (a copied buy
    # of its own, not a new position), so copied buys count our landed buy transactions, and
    # positions (status.bought) count the coins
    our_buys = [mint for _, owner, mint, before, after in moves if owner == ours and after > before]
    assert sum(books[wallet]["copied_buys"] for wallet in smart) == len(our_buys), (books, our_buys)
    assert len(bought) == status.bought
    assert partial >= 1, "no partial sell of a smart wallet happened: the seed no longer shows fractions"
