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
from tests.bot.harness import SOL, ChainThread, Market, bot_settings, new_bot_wallet, stop_world
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


def test_a_running_bot_trades_a_usdc_coin_and_books_usdc_apart(tmp_path):
    """trading.usdc_buy_amount > 0: the bot buys a USDC coin it sees on the stream with reserved USDC,
    sells it at max hold; the summary's USDC PnL is the wallet's USDC change, its SOL PnL the SOL change."""
    from tests.bot.harness import Bot
    bot = Bot()   # before the chain thread: the actor system forks
    chain = None
    try:
        chain = ChainThread().start()
        market = Market(chain)
        keypair, path = new_bot_wallet(tmp_path)
        owner = keypair.pubkey()
        chain.run(market.fund(owner, 2 * SOL))
        chain.run(call(chain.node.rpc_url, "requestUsdcAirdrop", [str(owner), 50 * 10**6]))
        usdc_key = addresses.associated_token_address(owner, addresses.USDC_MINT)

        def usdc_held() -> int:   # the chain's latest state (the faucet's mint may not be confirmed yet)
            from adapters.pumpswap.layout import token_account_amount
            return token_account_amount(bytes(chain.node.chain.get_account(usdc_key).data))
        usdc_before = usdc_held()
        for _ in range(100):   # the wallet reads at `confirmed`: start once the faucet's USDC is there
            if chain.run(market.rpc.get_token_balance(usdc_key)) == usdc_before:
                break
            time.sleep(0.1)
        settings = bot_settings(chain, path, tmp_path / "runs", **{
            "trading.usdc_buy_amount": 7 * 10**6, "analysis.mode": "fast", "trading.max_hold_seconds": 3,
            "trading.max_active_positions": 1, "trading.take_profit_pct": 100_000, "trading.stop_loss_pct": 100})
        sol_before = chain.run(market.balance(owner))
        bot.start(settings)
        bot.wait_until_streaming(chain, market)
        creator = chain.run(market.new_wallet(SOL))
        bot.wait_for(lambda s: s.buying, timeout=10)   # the resume reached the Director
        seen = bot.status().coins_seen
        mint = chain.run(launch_usdc_coin(market, creator))
        try:
            bot.wait_for(lambda s: s.coins_seen > seen and s.bought >= 1, timeout=30)
        except TimeoutError as exc:   # say why the position gave up (the bot's own log)
            said = [line for log in (tmp_path / "runs").rglob("*.log") for line in log.read_text().splitlines()
                    if "refused" in line or "skip" in line]
            raise AssertionError(f"{exc}; the bot said: {said[-5:]}") from None
        final = bot.wait_for(lambda s: s.active_positions == 0 and s.unresolved_signatures == 0 and s.sold >= 1,
                             timeout=60)

        assert "policy: usdc-paired" not in final.skips
        usdc_after = usdc_held()
        assert final.pnl_usdc == usdc_after - usdc_before != 0                      # USDC booked exactly
        assert -7 * 10**6 < final.pnl_usdc < 0                                        # the round trip's fees
        assert final.pnl_lamports == chain.run(market.balance(owner)) - sol_before   # SOL apart, exact
        assert mint not in chain.run(market.holdings(owner))
    finally:
        stop_world(bot, chain)


def test_usdc_policy_and_setting():
    import dataclasses
    from adapters.pumpfun import venue
    from config.parsing import ConfigError
    from config.settings import load_settings
    trading = load_settings(env={}).trading
    base = dict(mint="M", bonding_curve="C", creator="Cr", user="U", name="n", symbol="s", uri="u",
                token_program="T", virtual_token_reserves=1, virtual_sol_reserves=1, real_token_reserves=1,
                signature="S", slot=1, received_at=0.0)
    usdc, other = str(USDC), str(Keypair().pubkey())
    assert venue.policy_refusal(Launch(**base, quote_mint=usdc), trading) == "policy: usdc-paired"
    buying = dataclasses.replace(trading, usdc_buy_amount=5 * 10**6)
    assert venue.policy_refusal(Launch(**base, quote_mint=usdc), buying) == ""
    assert venue.policy_refusal(Launch(**base, quote_mint=other), buying) == "policy: quote mint"
    assert load_settings(env={"PUMPSNIPE__TRADING__USDC_BUY_AMOUNT": "2500000"}).trading.usdc_buy_amount == 2_500_000
    with pytest.raises(ConfigError, match="USDC_BUY_AMOUNT"):
        load_settings(env={"PUMPSNIPE__TRADING__USDC_BUY_AMOUNT": "-1"})
