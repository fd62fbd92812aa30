"""Copy trading of a USDC-paired coin (trading.usdc_buy_amount > 0), end to end on the local chain: a
target buys it with USDC; the bot copies their USDC x the ratio (at most usdc_buy_amount) with its own
USDC, their repeat buy too, sells the fraction they sell (the token account stays open), exits with
them; its USDC PnL is the wallet's USDC change and its SOL PnL the SOL change, and no coin is left."""
from __future__ import annotations

import pytest

from adapters.pumpfun import addresses
from adapters.pumpswap.layout import token_account_amount
from tests.bot.test_copy_trading import world  # noqa: F401  (the fixture)
from tests.bot.test_usdc_trades import launch_usdc_coin
from tests.localnet.helpers import call

pytestmark = pytest.mark.timeout(150)
USDC = 10**6   # raw units of one USDC


def airdrop_usdc(world, owner, amount: int) -> None:
    answer = world.chain.run(call(world.chain.node.rpc_url, "requestUsdcAirdrop", [str(owner), amount]))
    assert isinstance(answer.get("result"), str), answer


def usdc_held(world, owner) -> int:
    account = world.chain.node.chain.get_account(addresses.associated_token_address(owner, addresses.USDC_MINT))
    return token_account_amount(bytes(account.data)) if account is not None else 0


def test_a_targets_usdc_coin_is_copied_with_usdc(world):  # noqa: F811
    alice, ours = world.alice, world.keypair.pubkey()
    airdrop_usdc(world, alice.pubkey(), 50 * USDC)
    airdrop_usdc(world, ours, 20 * USDC)
    world.start(**{"trading.usdc_buy_amount": 7 * USDC})
    usdc_before, sol_before = usdc_held(world, ours), world.start_balance
    assert usdc_before == 20 * USDC
    coin = world.chain.run(launch_usdc_coin(world.market, world.creator))

    world.trade(alice, coin, buy_lamports=10 * USDC, generation="v2")     # amounts in USDC for this coin
    held = world.wait_ours(coin, lambda tokens: tokens > 0)
    theirs = world.held(alice.pubkey(), coin)
    assert theirs * 4 // 10 < held < theirs // 2                         # 5 USDC for their 10
    assert 20 * USDC - usdc_held(world, ours) <= 5 * USDC

    world.trade(alice, coin, buy_lamports=4 * USDC, generation="v3")      # again: 2 USDC more for us
    more = world.wait_ours(coin, lambda tokens: tokens > held) - held
    their_more = world.held(alice.pubkey(), coin) - theirs
    assert their_more * 4 // 10 < more < their_more // 2
    assert 5 * USDC < 20 * USDC - usdc_held(world, ours) <= 7 * USDC
    held, theirs = held + more, theirs + their_more

    world.trade(alice, coin, sell_tokens=theirs // 3, generation="v3")
    assert world.wait_ours(coin, lambda tokens: tokens != held) == held - held * (theirs // 3) // theirs
    world.trade(alice, coin, sell_tokens=world.held(alice.pubkey(), coin), generation="v2")
    status = world.bot.wait_for(lambda s: s.active_positions == 0 and s.unresolved_signatures == 0, timeout=30)

    assert coin not in world.chain.run(world.market.holdings(ours))
    assert status.pnl_usdc == usdc_held(world, ours) - usdc_before != 0   # USDC booked exactly
    assert status.pnl_lamports == world.chain.run(world.market.balance(ours)) - sol_before
    book = status.copy[str(alice.pubkey())]
    assert (book["copied_buys"], book["copied_sells"], book["open_lamports"]) == (2, 2, 0)
    assert status.bought == 1 and status.lifecycle.get("closed") == 1
