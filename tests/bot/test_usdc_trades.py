"""USDC-paired coins traded by the bot's ChainAccess against the local chain (actors/usdc_trades.py):
the wallet gets USDC from the chain's requestUsdcAirdrop faucet over JSON-RPC, buys a USDC coin
(created with the docs-written create_v2 + quote accounts of tests/localnet/test_pump_usdc.py) and
sells it back; USDC and lamports are booked apart, each exact against the chain."""
from __future__ import annotations

import time

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from actors.trading_io import ChainAccess
from actors.usdc_trades import prepare_usdc_buy, prepare_usdc_sell, usdc_balance
from adapters.pumpfun import addresses
from messages.stream import Launch
from tests.bot.harness import SOL, ChainThread, Market, bot_settings, new_bot_wallet
from tests.localnet.helpers import call
from tests.localnet.test_pump_usdc import USDC, USDC_VIRTUAL
from tests.localnet.test_pump_v2 import TOKEN, TOKEN_2022, ata, create_v2, pda, ro, w

pytestmark = pytest.mark.timeout(90)


async def launch_usdc_coin(market: Market, creator: Keypair) -> str:
    """create_v2 with the quote mint accounts appended (COIN_CREATION.md "USDC-Paired Mint")."""
    from solders.instruction import Instruction
    mint = Keypair()
    curve = pda(b"bonding-curve", bytes(mint.pubkey()))
    ix = create_v2(mint.pubkey(), creator.pubkey(), creator.pubkey(), name="Usd", symbol="USD")
    ix = Instruction(ix.program_id, bytes(ix.data), list(ix.accounts) + [ro(USDC), w(ata(curve, USDC, TOKEN)), ro(TOKEN)])
    await market.send_tx(creator, [ix], [creator, mint])
    return str(mint.pubkey())


@pytest.mark.parametrize("instruction_set", ["auto", "v2", "legacy"])
def test_a_usdc_coin_is_bought_and_sold_for_usdc_with_exact_books(tmp_path, instruction_set):
    chain = ChainThread().start()
    try:
        market = Market(chain)
        keypair, path = new_bot_wallet(tmp_path)
        owner = keypair.pubkey()
        chain.run(market.fund(owner, 2 * SOL))
        funded = chain.run(call(chain.node.rpc_url, "requestUsdcAirdrop", [str(owner), 100 * 10**6]))
        assert isinstance(funded.get("result"), str), funded
        settings = bot_settings(chain, path, tmp_path / "runs", **{"trading.instruction_set": instruction_set})
        access = ChainAccess(settings)
        creator = chain.run(market.new_wallet(SOL))
        mint = chain.run(launch_usdc_coin(market, creator))
        state = chain.run(market._curve(Pubkey.from_string(mint)))
        assert (state.quote_mint, state.virtual_sol_reserves) == (USDC, USDC_VIRTUAL)
        launch = Launch(mint, "", str(state.creator), str(creator.pubkey()), "Usd", "USD", "u", str(TOKEN_2022),
                        state.virtual_token_reserves, state.virtual_sol_reserves, state.real_token_reserves,
                        "sig", 1, time.time(), quote_mint=str(USDC))
        usdc_before, sol_before = chain.run(usdc_balance(access)), chain.run(market.balance(owner))
        assert usdc_before == 100 * 10**6

        async def trade(prepare):
            prepared = await prepare
            return await access.send_and_settle(prepared, mint)
        bought = chain.run(trade(prepare_usdc_buy(access, launch, 20 * 10**6)))
        assert bought.ok, bought
        assert -20 * 10**6 <= bought.usdc_delta < -19 * 10**6    # spent about the budget, in USDC
        assert bought.token_delta > 0 and bought.lamport_delta < 0  # SOL paid fees and rents only
        sold = chain.run(trade(prepare_usdc_sell(access, mint, str(TOKEN_2022), bought.token_delta)))
        assert sold.ok and sold.token_delta == -bought.token_delta, sold
        assert 0 < sold.usdc_delta < -bought.usdc_delta              # back in USDC, less the round trip's fees

        # the books, apart and exact: USDC from the USDC deltas, lamports from the lamport deltas
        assert chain.run(usdc_balance(access)) - usdc_before == bought.usdc_delta + sold.usdc_delta
        assert chain.run(market.balance(owner)) - sol_before == bought.lamport_delta + sold.lamport_delta
        assert mint not in chain.run(market.holdings(owner))
        assert chain.node.chain.get_account(addresses.associated_token_address(
            owner, Pubkey.from_string(mint), addresses.TOKEN_2022_PROGRAM)) is None   # closed: rent back
        chain.run(access.close())
    finally:
        chain.stop()
