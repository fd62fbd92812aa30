"""A graduated USDC-paired coin sells on its USDC-quoted PumpSwap pool (migrate_v2), by the bot's own
24-account sell (actors/pool_sell.py), not through Jupiter: the proceeds arrive in the wallet's USDC
account, exact to the pool math, and the lamports pay only the fee (the base account's rent comes back).
All against the local chain over its real RPC."""
from __future__ import annotations

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from actors.trading_io import ChainAccess, token_accounts
from actors.usdc_trades import prepare_usdc_buy, usdc_balance
from adapters.pumpfun import addresses as pump
from adapters.pumpfun import curve as curve_math
from adapters.pumpfun import venue
from adapters.pumpswap import addresses as pool_addresses
from adapters.pumpswap import amm
from adapters.pumpswap.layout import token_account_amount
from localnet.programs.pumpswap_setup import migrate_graduated_coin
from localnet.programs.usdc import usdc_airdrop
from messages.seller import SellSucceeded, SellTokens
from messages.stream import Launch
from tests.bot.harness import SOL, Market
from tests.bot.test_must_sell import start_trading_actors
from tests.bot.test_pool_sell import pool_instructions, tx_fee, world  # noqa: F401 (fixture)
from tests.bot.test_usdc_trades import launch_usdc_coin
from tests.localnet.helpers import pool_fee_rates_now

pytestmark = pytest.mark.timeout(150)
T22 = str(pump.TOKEN_2022_PROGRAM)
SELL_DISCRIMINATOR = bytes([51, 230, 133, 164, 1, 127, 131, 173])   # idl/pump_amm.json sell


async def buy_out_usdc_curve(market: Market, whale: Keypair, mint: str) -> None:
    """The whale buys the curve's last tokens with buy_v2 (BUY.md, USDC as quote): the curve completes."""
    global_, state = await market._global(), await market._curve(Pubkey.from_string(mint))
    kind = venue.CoinKind.of_curve(mint, T22, state)
    cost = curve_math.buy_total_cost(state, global_, state.real_token_reserves)
    ixs = venue.buy_instructions("v2", whale.pubkey(), kind, venue.FeeAccounts.of_global(global_),
                                 state.real_token_reserves, cost * 2)
    await market.send_tx(whale, ixs, [whale])


def usdc_pool(chain, mint: Pubkey) -> tuple[Pubkey, amm.Reserves]:
    node = chain.node.chain
    pool = pool_addresses.pool_address(0, pool_addresses.pool_authority(mint), mint, pump.USDC_MINT)
    base, quote = pool_addresses.pool_vaults(pool, mint, pump.USDC_MINT, base_token_program=pump.TOKEN_2022_PROGRAM)
    return pool, amm.Reserves(token_account_amount(bytes(node.get_account(base).data)),
                              token_account_amount(bytes(node.get_account(quote).data)))


def test_seller_sells_a_graduated_usdc_coin_on_its_usdc_pool(world):
    bot, chain, market, keypair, settings = world
    owner = keypair.pubkey()
    usdc_airdrop(chain.node.chain, owner, 100 * 10**6)
    access = ChainAccess(settings)
    creator = chain.run(market.new_wallet(SOL))
    mint = chain.run(launch_usdc_coin(market, creator))
    state = chain.run(market._curve(Pubkey.from_string(mint)))
    launch = Launch(mint, "", str(state.creator), str(creator.pubkey()), "Usd", "USD", "u", T22,
                    state.virtual_token_reserves, state.virtual_sol_reserves, state.real_token_reserves,
                    "sig", 1, 0.0, quote_mint=str(pump.USDC_MINT))

    async def buy():
        return await access.send_and_settle(await prepare_usdc_buy(access, launch, 20 * 10**6), mint)
    bought = chain.run(buy())
    assert bought.ok and bought.token_delta > 0, bought
    whale = chain.run(market.new_wallet(10 * SOL))
    usdc_airdrop(chain.node.chain, whale.pubkey(), 100_000 * 10**6)
    chain.run(buy_out_usdc_curve(market, whale, mint))
    migrate_graduated_coin(chain.node.chain, Pubkey.from_string(mint))
    pool, before = usdc_pool(chain, Pubkey.from_string(mint))
    rates = pool_fee_rates_now(chain.node.chain, Pubkey.from_string(mint), pump.USDC_MINT)   # the tier at those reserves
    _, seller, _ = start_trading_actors(bot, settings)
    token_account = pump.associated_token_address(owner, Pubkey.from_string(mint), pump.TOKEN_2022_PROGRAM)
    account_rent = chain.node.chain.get_account(token_account).lamports
    sol_before, usdc_before = chain.run(market.balance(owner)), chain.run(usdc_balance(access))

    reply = bot.system.ask(seller, SellTokens("usdc-grad", mint, reason="test"), timeout=60)

    assert isinstance(reply, SellSucceeded), reply
    assert reply.tokens_sold == bought.token_delta and reply.attempts == 1   # natively, on the pool, at once
    [(accounts, data)] = pool_instructions(chain, reply.signature)          # the bot's 24-account sell, no Jupiter
    assert accounts == 24 and data[:8] == SELL_DISCRIMINATOR
    quote = amm.sell_base_in(before, bought.token_delta, *rates)
    assert usdc_pool(chain, Pubkey.from_string(mint))[1] == quote.reserves_after(before, is_buy=False)
    usdc_gain = chain.run(usdc_balance(access)) - usdc_before
    assert usdc_gain == quote.user_quote_amount > 0                          # proceeds in USDC, to the unit
    assert chain.run(market.balance(owner)) - sol_before == account_rent - tx_fee(chain, reply.signature)
    assert chain.run(market.holdings(owner)).get(mint) is None
    assert [a for a in chain.run(token_accounts(chain.rpc, owner))
            if a[0] == str(token_account)] == []                              # base account closed: rent back
    chain.run(access.close())
