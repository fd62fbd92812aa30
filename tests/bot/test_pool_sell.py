"""After graduation the bot sells on the coin's PumpSwap pool itself (actors/pool_sell.py), SPL and
Token-2022 coins, min out from the pool's reserves; when the pool route keeps failing it falls back
to the Jupiter-compatible API; with trading.exit_on_graduation a running bot's position exits as
soon as its coin completes the curve. All against the local chain over its real RPC and stream."""
from __future__ import annotations


import pytest
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from actors.policy.graduation import graduation_exit
from actors.stream import decode_logs
from actors.trading_io import token_accounts
from adapters.journal import Journal
from adapters.pumpfun import addresses as pump
from adapters.pumpfun import instructions
from adapters.pumpswap import addresses as pool_addresses
from adapters.pumpswap import amm
from adapters.pumpswap.instructions_v2 import build_sell as build_pool_sell
from adapters.pumpswap.layout import token_account_amount
from localnet.programs.pumpswap_setup import canonical_pool_keys, migrate_graduated_coin
from messages.seller import SellSucceeded, SellTokens
from messages.stream import Trade
from tests.bot.harness import SOL, Bot, ChainThread, Market, bot_settings, new_bot_wallet
from tests.bot.test_must_sell import start_trading_actors
from tests.bot.test_todays_pumpfun import launch_v2
from tests.localnet.helpers import pool_fee_rates_now

pytestmark = pytest.mark.timeout(150)
SPL, T22 = str(pump.TOKEN_PROGRAM), str(pump.TOKEN_2022_PROGRAM)


async def buy_on_curve(market: Market, buyer: Keypair, mint: str, token_program: str, tokens: int | None = None,
                       sol_budget: int = 50_000_000) -> None:
    """Buy `tokens` (default: what sol_budget buys; None left: the whole curve) with any token program."""
    from adapters.pumpfun import curve
    mint_key = Pubkey.from_string(mint)
    global_, state = await market._global(), await market._curve(mint_key)
    amount = tokens if tokens is not None else curve.tokens_for_sol(state, global_, sol_budget)
    ixs = instructions.build_buy_with_ata(buyer.pubkey(), mint_key, state.creator, global_.fee_recipient, amount,
                                          sol_budget, Pubkey.from_string(token_program))
    await market.send_tx(buyer, ixs, [buyer])


async def complete_curve(market: Market, whale: Keypair, mint: str, token_program: str) -> None:
    state = await market._curve(Pubkey.from_string(mint))
    await buy_on_curve(market, whale, mint, token_program, state.real_token_reserves, 200 * SOL)


def graduate(chain: ChainThread, market: Market, mint: str, token_program: str) -> Keypair:
    """A whale buys the rest of the curve, then the coin migrates to its pool; returns the whale."""
    whale = chain.run(market.new_wallet(250 * SOL))
    chain.run(complete_curve(market, whale, mint, token_program))
    migrate_graduated_coin(chain.node.chain, Pubkey.from_string(mint))
    return whale


def pool_reserves(chain: ChainThread, mint: str, token_program: str) -> amm.Reserves:
    node, mint_key = chain.node.chain, Pubkey.from_string(mint)
    base, quote = pool_addresses.pool_vaults(pool_addresses.canonical_pool(mint_key), mint_key,
                                             base_token_program=Pubkey.from_string(token_program))
    return amm.Reserves(token_account_amount(bytes(node.get_account(base).data)),
                        token_account_amount(bytes(node.get_account(quote).data)))


def pool_instructions(chain: ChainThread, signature: str) -> list[tuple[int, bytes]]:
    """(account count, data) of each top-level PumpSwap instruction of a landed transaction."""
    record = chain.node.chain.get_record(Signature.from_string(signature))
    message = record.transaction.message
    keys = message.account_keys
    return [(len(ix.accounts), bytes(ix.data)) for ix in message.instructions
            if keys[ix.program_id_index] == pool_addresses.PROGRAM]


def pool_quote_accounts(message) -> list:
    """The user quote account (idl/pump_amm.json account 7) of each PumpSwap instruction of `message`."""
    keys = message.account_keys
    return [keys[ix.accounts[6]] for ix in message.instructions
            if keys[ix.program_id_index] == pool_addresses.PROGRAM and len(ix.accounts) > 6]


def tx_fee(chain: ChainThread, signature: str) -> int:
    return chain.node.chain.get_record(Signature.from_string(signature)).fee


def failed_fees(chain: ChainThread, owner: Pubkey) -> int:
    """Fees of the owner's transactions that landed with an error."""
    return sum(r.fee for r in list(chain.node.chain.records_newest_first())
               if r.err is not None and r.transaction.message.account_keys[0] == owner)


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


def launch(chain, market, token_program: str, name: str) -> str:
    creator = chain.run(market.new_wallet(SOL // 10))
    if token_program == T22:
        return chain.run(launch_v2(market, creator, name))
    return chain.run(market.launch(creator, name))


@pytest.mark.parametrize("token_program", [SPL, T22], ids=["spl", "token-2022"])
def test_seller_sells_a_graduated_coin_on_its_pool(world, token_program):
    bot, chain, market, keypair, settings = world
    mint = launch(chain, market, token_program, "Grad")
    chain.run(buy_on_curve(market, keypair, mint, token_program))   # the bot's key holds tokens
    held = chain.run(market.holdings(keypair.pubkey()))[mint]
    graduate(chain, market, mint, token_program)
    _, seller, _ = start_trading_actors(bot, settings)
    before = pool_reserves(chain, mint, token_program)
    rates = pool_fee_rates_now(chain.node.chain, Pubkey.from_string(mint))     # the tier at those reserves
    owner = keypair.pubkey()
    token_account = pump.associated_token_address(owner, Pubkey.from_string(mint), Pubkey.from_string(token_program))
    account_rent = chain.node.chain.get_account(token_account).lamports
    sol_before = chain.run(market.balance(owner))

    reply = bot.system.ask(seller, SellTokens("grad", mint, reason="test"), timeout=60)

    assert isinstance(reply, SellSucceeded), reply
    assert reply.tokens_sold == held and reply.attempts == 1   # natively, on the pool, at once
    quote = amm.sell_base_in(before, held, *rates)
    assert pool_reserves(chain, mint, token_program) == quote.reserves_after(before, is_buy=False)
    [(accounts, data)] = pool_instructions(chain, reply.signature)    # the current 24-account sell
    assert accounts == 24 and data[:8] == bytes([51, 230, 133, 164, 1, 127, 131, 173])
    assert int.from_bytes(data[8:16], "little") == held
    # the wallet got exactly the pool's proceeds and the token account's rent, less the fee
    sol_after = chain.run(market.balance(owner))
    assert sol_after - sol_before == reply.lamport_delta
    assert reply.lamport_delta == quote.user_quote_amount + account_rent - tx_fee(chain, reply.signature)
    assert chain.run(token_accounts(chain.rpc, owner)) == []   # base account closed, no WSOL account left


class FrontRunPoolSells:
    """Chain submit gate (a fault the network can do to us): before each of our native pool sells
    (paid into the bot's one-transaction proceeds account, not the WSOL ATA a Jupiter route wraps
    and unwraps), a whale sells into the pool first, so ours misses its min out and fails on the chain.
    A USDC coin's Jupiter route pays the same USDC account as our own pool sell, so the gate cannot
    tell them apart: `limit` stops it after that many front-runs."""

    def __init__(self, node_chain, owner: Pubkey, whale: Keypair, mint: str, token_program: str = SPL,
                 quote_mint: Pubkey = pool_addresses.WSOL_MINT, limit: int | None = None):
        self.chain, self.owner, self.whale, self.mint = node_chain, owner, whale, Pubkey.from_string(mint)
        self.token_program, self.quote_mint = Pubkey.from_string(token_program), quote_mint
        self.front_runs, self.limit = 0, limit

    def __call__(self, tx) -> bool:
        message = tx.message
        jupiter_account = pool_addresses.associated_token_address(self.owner, pool_addresses.WSOL_MINT)
        ours = message.account_keys[0] == self.owner and any(
            account != jupiter_account for account in pool_quote_accounts(message))
        ours = ours and (self.limit is None or self.front_runs < self.limit)
        if ours:
            self.front_runs += 1
            whale = self.whale.pubkey()
            pool = pool_addresses.pool_address(0, pool_addresses.pool_authority(self.mint), self.mint, self.quote_mint)
            base_vault, _ = pool_addresses.pool_vaults(pool, self.mint, self.quote_mint, self.token_program)
            dump = token_account_amount(bytes(self.chain.get_account(base_vault).data)) // 5 + self.front_runs
            ixs = [instructions.build_create_ata_idempotent(whale, whale, self.quote_mint),
                   build_pool_sell(whale, canonical_pool_keys(self.chain.svm, self.mint),
                                   pool_addresses.MAINNET_PROTOCOL_FEE_RECIPIENTS[0],
                                   pool_addresses.MAINNET_POOL_BUYBACK_FEE_RECIPIENTS[0], dump, 0)]
            blockhash, _ = self.chain.latest_blockhash()
            self.chain.execute(VersionedTransaction(MessageV0.try_compile(whale, ixs, [], blockhash), [self.whale]))
        return False   # ours runs next, on the moved pool


def test_seller_falls_back_to_jupiter_when_the_pool_sells_fail(world):
    bot, chain, market, keypair, settings = world
    mint = launch(chain, market, SPL, "Sandwich")
    chain.run(buy_on_curve(market, keypair, mint, SPL))
    held = chain.run(market.holdings(keypair.pubkey()))[mint]
    whale = graduate(chain, market, mint, SPL)
    _, seller, _ = start_trading_actors(bot, settings.replace(**{"trading.slippage_bps": 100}))
    gate = FrontRunPoolSells(chain.node.chain, keypair.pubkey(), whale, mint)
    chain.node.chain.submit_gate = gate
    sol_before = chain.run(market.balance(keypair.pubkey()))

    reply = bot.system.ask(seller, SellTokens("sandwich", mint, reason="test"), timeout=90)

    assert isinstance(reply, SellSucceeded), reply
    assert gate.front_runs == 3 and reply.attempts == 4   # three pool sells failed, then Jupiter
    # Jupiter's route: the current 24-account sell, paying the wallet's WSOL ATA
    assert [accounts for accounts, _ in pool_instructions(chain, reply.signature)] == [24]
    record = chain.node.chain.get_record(Signature.from_string(reply.signature))
    assert pool_quote_accounts(record.transaction.message) == [
        pool_addresses.associated_token_address(keypair.pubkey(), pool_addresses.WSOL_MINT)]
    assert chain.run(market.holdings(keypair.pubkey())).get(mint) is None
    assert chain.run(token_accounts(chain.rpc, keypair.pubkey())) == []   # the emptied account closed after it
    # the wallet: the Jupiter sale's lamports and the closed account's rent, less the fees the three
    # failed pool sells paid
    fees = failed_fees(chain, keypair.pubkey())
    assert fees > 0 and chain.run(market.balance(keypair.pubkey())) - sol_before == reply.lamport_delta - fees


def test_a_running_bot_exits_on_graduation_and_sells_on_the_pool(world, tmp_path):
    bot, chain, market, keypair, settings = world
    journal_path = tmp_path / "journal.sqlite3"
    settings = settings.replace(**{
        "trading.exit_on_graduation": True, "trading.take_profit_pct": 100_000, "trading.stop_loss_pct": 100,
        "trading.max_hold_seconds": 600, "trading.max_active_positions": 1, "run.journal_path": str(journal_path)})
    start_balance = chain.run(market.balance(keypair.pubkey()))
    bot.start(settings)
    bot.wait_until_streaming(chain, market)
    bot.wait_for(lambda s: s.buying, timeout=10)   # the resume reached the Director
    mint = launch(chain, market, T22, "GradExit")
    bot.wait_for(lambda s: s.bought >= 1, timeout=30)
    bot.pause_buying()
    bought = chain.run(market.holding(keypair.pubkey(), mint))
    graduate(chain, market, mint, T22)
    reserves = pool_reserves(chain, mint, T22)

    final = bot.wait_for(lambda s: s.active_positions == 0 and s.unresolved_signatures == 0, timeout=60)

    journal = Journal(journal_path)
    try:
        [row] = [r for r in journal.all_positions() if r["launch"]["mint"] == mint]
    finally:
        journal.close()
    assert row["exit_reason"] == "graduated" and row["state"] == "closed"
    assert row["sold_tokens"] == row["bought_tokens"] == bought
    assert pool_reserves(chain, mint, T22).base == reserves.base + bought   # sold into the pool
    landed = [o["signature"] for o in row["sell_orders"] if o["state"] == "CONFIRMED"]
    assert [a for a, _ in pool_instructions(chain, landed[-1])] == [24]       # by the bot's own pool sell
    assert final.pnl_lamports == chain.run(market.balance(keypair.pubkey())) - start_balance   # exact
    assert chain.run(market.holdings(keypair.pubkey())) == {}


def _program_logs(*payloads: bytes) -> list[str]:
    import base64
    program = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"
    return [f"Program {program} invoke [1]", *("Program data: " + base64.b64encode(p).decode() for p in payloads),
            f"Program {program} success"]


def test_the_stream_marks_the_trade_that_completes_a_curve():
    """TradeEvent with real token reserves 0, or a CompleteEvent in the same transaction; a short
    (older) TradeEvent alone is never read as complete."""
    from adapters.pumpfun.layout_v1 import COMPLETE_EVENT, TRADE_EVENT, CompleteEvent, TradeEvent
    mint, user = Keypair().pubkey(), Keypair().pubkey()

    def trade(real_tokens, real_sol):
        return TRADE_EVENT.encode(TradeEvent(mint, 5, 7, True, user, 0, 31, 1_000, real_sol, real_tokens))
    complete = COMPLETE_EVENT.encode(CompleteEvent(user, mint, Keypair().pubkey(), 0))
    short = trade(0, 0)[:8 + 32 + 8 + 8 + 1 + 32 + 8 + 8 + 8]   # the first 8 fields only
    cases = [_program_logs(trade(0, 85 * SOL)), _program_logs(trade(5, SOL)),
             _program_logs(trade(5, SOL), complete), _program_logs(short)]
    flags = [[t.curve_complete for t in decode_logs("sig", 1, logs, 0.0) if isinstance(t, Trade)] for logs in cases]
    assert flags == [[True], [False], [True], [False]]


def test_graduation_exit_rule_is_off_unless_configured():
    trade = Trade("m", True, 1, 1, "u", 1, 1, "s", 1, 0.0, curve_complete=True)
    plain = Trade("m", True, 1, 1, "u", 1, 1, "s", 1, 0.0)
    assert graduation_exit([plain, trade], True) == "graduated"
    assert graduation_exit([trade], False) is None and graduation_exit([plain], True) is None


def test_exit_on_graduation_is_a_validated_boolean():
    from config.parsing import ConfigError
    from config.settings import load_settings
    assert load_settings(env={}).trading.exit_on_graduation is False
    assert load_settings(env={"PUMPSNIPE__TRADING__EXIT_ON_GRADUATION": "true"}).trading.exit_on_graduation is True
    with pytest.raises(ConfigError) as refused:
        load_settings(env={"PUMPSNIPE__TRADING__EXIT_ON_GRADUATION": "yes"})
    message = str(refused.value).lower()
    assert "exit_on_graduation" in message and "true" in message and "false" in message and "\n" not in message
