"""Must-sell against a real local chain and its Jupiter API: stray tokens bought with the bot's own
key are swept by the BalanceMonitor, and empty token accounts are closed. (A graduated coin sold on
its pool, and the Jupiter fallback: test_pool_sell.py; a position's: test_must_sell_position.py.)"""
from __future__ import annotations

import pytest
from solders.pubkey import Pubkey
from thespian.actors import ActorTypeDispatcher

from actors.balance_monitor import BalanceMonitorActor
from actors.seller import SellerActor
from actors.trading_io import ATA_RENT_LAMPORTS, token_accounts
from actors.wallet import WalletActor
from adapters.pumpfun import instructions
from adapters.pumpswap import addresses as pool_addresses
from adapters.pumpswap.layout import token_account_amount
from localnet.programs.pumpswap_setup import migrate_graduated_coin
from messages.balance import LiveMints, SweepNow, SweepReport
from messages.seller import SellSucceeded, SellTokens
from messages.start import Peers, StartBalanceMonitor, StartSeller, StartWallet
from messages.wallet import BalancesReport, RefreshBalances
from tests.bot.harness import SOL, Bot, ChainThread, Market, bot_settings, new_bot_wallet

pytestmark = pytest.mark.timeout(120)


async def _complete_and_migrate(market: Market, whale, mint: str) -> None:
    """Buy every token left on the curve (it completes), then graduate it into its pool."""
    mint_key = Pubkey.from_string(mint)
    global_ = await market._global()
    state = await market._curve(mint_key)
    ixs = instructions.build_buy_with_ata(whale.pubkey(), mint_key, state.creator, global_.fee_recipient,
                                          state.real_token_reserves, 200 * SOL)
    await market.send_tx(whale, ixs, [whale])
    migrate_graduated_coin(market.chain.node.chain, mint_key)


def graduate(chain: ChainThread, market: Market, mint: str) -> None:
    whale = chain.run(market.new_wallet(150 * SOL))
    chain.run(_complete_and_migrate(market, whale, mint))


async def _pool_base_reserve(node_chain, mint: str) -> int:
    mint_key = Pubkey.from_string(mint)
    base_vault, _ = pool_addresses.pool_vaults(pool_addresses.canonical_pool(mint_key), mint_key)
    return token_account_amount(bytes(node_chain.get_account(base_vault).data))


def pool_base_reserve(chain: ChainThread, mint: str) -> int:
    """Tokens in the graduated coin's pool (read on the chain's own loop)."""
    return chain.run(_pool_base_reserve(chain.node.chain, mint))


@pytest.fixture
def world(tmp_path):
    bot = Bot()   # the actor system first: its admin must not be forked from a threaded process
    chain = ChainThread(api_port=0).start()
    try:
        market = Market(chain)
        keypair, path = new_bot_wallet(tmp_path)
        chain.run(market.fund(keypair.pubkey(), 2 * SOL))
        settings = bot_settings(chain, path, tmp_path / "runs", **{
            "chain.jupiter_url": chain.node.api_url, "balance.interval_seconds": 3_600,
            "balance.auto_wrap_enabled": False, "balance.rebalance_threshold_bps": 10_000})
        yield bot, chain, market, keypair, settings
    finally:
        bot.stop()
        chain.stop()


def start_trading_actors(bot: Bot, settings):
    """Wallet, seller and balance monitor as the Director wires them (no Director: nothing buys)."""
    system = bot.system
    wallet, seller, monitor = (system.create_actor(cls) for cls in
                               (WalletActor, SellerActor, BalanceMonitorActor))
    peers = Peers(wallet=wallet, seller=seller)
    system.tell(wallet, StartWallet(settings, peers))
    system.tell(seller, StartSeller(settings, peers))
    system.tell(monitor, StartBalanceMonitor(settings, peers))
    assert isinstance(system.ask(wallet, RefreshBalances("ready"), timeout=20), BalancesReport)
    return wallet, seller, monitor


def test_balance_monitor_sweeps_strays_and_closes_empty_accounts(world):
    bot, chain, market, keypair, settings = world
    creator = chain.run(market.new_wallet(SOL // 10))
    live_coin, graduated_coin, empty_coin = (chain.run(market.launch(creator, name))
                                             for name in ("Live", "Grad", "Empty"))
    for mint in (live_coin, graduated_coin):
        chain.run(market.buy(keypair, mint, 20_000_000))
    graduate(chain, market, graduated_coin)
    owner = keypair.pubkey()
    ata_ix = instructions.build_create_ata_idempotent(owner, owner, Pubkey.from_string(empty_coin))
    chain.run(market.send_tx(keypair, [ata_ix], [keypair]))   # an empty token account: rent to recover
    held = chain.run(market.holdings(owner))
    _, _, monitor = start_trading_actors(bot, settings)

    report = bot.system.ask(monitor, SweepNow("sweep", live_mints=()), timeout=90)

    assert isinstance(report, SweepReport), report
    assert sorted((mint, tokens) for mint, tokens, _ in report.sold) == \
        sorted((m, held[m]) for m in (live_coin, graduated_coin))
    assert report.unsellable == () and "1 tx" in report.closed
    assert chain.run(token_accounts(chain.rpc, owner)) == []   # every token account closed
    # both sales (the curve's, the graduated coin's on its pool) closed their accounts; closing the
    # one left (the empty coin's) paid its rent back
    assert f"SOL +{ATA_RENT_LAMPORTS - 25_000}" in report.closed


def test_the_running_bot_sweeps_a_stray_on_its_own_schedule(world):
    bot, chain, market, keypair, settings = world
    settings = settings.replace(**{"balance.interval_seconds": 1, "trading.buys_enabled": False})
    creator = chain.run(market.new_wallet(SOL // 10))
    mint = chain.run(market.launch(creator, "Stray"))
    chain.run(market.buy(keypair, mint, 20_000_000))   # bought outside the bot: no position owns it
    assert mint in chain.run(market.holdings(keypair.pubkey()))
    bot.start(settings)

    # the sale leaves the wallet first; the Director books it when the seller's report arrives
    status = bot.wait_for(lambda s: mint not in chain.run(market.holdings(keypair.pubkey()))
                          and s.pnl_lamports != 0, timeout=30)

    assert status.bought == 0 and status.pnl_lamports > 0   # the stray's sale, booked by the Director
    assert chain.run(token_accounts(chain.rpc, keypair.pubkey())) == []


class DirectorClosingAtTheRead(ActorTypeDispatcher):
    """Stands in for the Director to force a race the real one cannot be made to lose on cue: its one
    position (of `mint`) closes at the moment the wallet's holdings are read, i.e. it is live until
    the monitor forwards the BalancesReport, and gone after."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.live = ()

    def receiveMsg_str(self, mint, sender):
        self.live = (mint,)
        self.send(sender, "ready")

    def receiveMsg_BalancesReport(self, msg, sender):
        self.live = ()

    def receiveMsg_LiveMintsRequest(self, msg, sender):
        self.send(sender, LiveMints(msg.request_id, self.live))


def test_a_position_closing_while_the_holdings_are_read_is_not_swept_as_a_stray(world):
    bot, chain, market, keypair, settings = world
    creator = chain.run(market.new_wallet(SOL // 10))
    mint = chain.run(market.launch(creator, "Closing"))
    chain.run(market.buy(keypair, mint, 20_000_000))   # the closing position's tokens, still held
    held = chain.run(market.holdings(keypair.pubkey()))[mint]
    director = bot.system.create_actor(DirectorClosingAtTheRead)
    assert bot.system.ask(director, mint, timeout=10) == "ready"
    wallet, seller, monitor = (bot.system.create_actor(cls) for cls in (WalletActor, SellerActor, BalanceMonitorActor))
    peers = Peers(wallet=wallet, seller=seller, director=director)
    bot.system.tell(wallet, StartWallet(settings, peers))
    bot.system.tell(seller, StartSeller(settings, peers))
    bot.system.tell(monitor, StartBalanceMonitor(settings, peers))

    report = bot.system.ask(monitor, SweepNow("sweep"), timeout=90)   # the live mints: the Director's

    assert isinstance(report, SweepReport), report
    assert report.sold == () and report.unsellable == ()
    assert chain.run(market.holdings(keypair.pubkey()))[mint] == held
