"""Dynamic priority fee against the local chain: the price a buy pays follows what the market paid
for transactions writing the same accounts (getRecentPrioritizationFees), within floor and cap;
fixed mode pays trading.priority_fee; bad settings stop start-up with one line naming the key."""
from __future__ import annotations

import time

import pytest
from solders.compute_budget import set_compute_unit_price
from solders.keypair import Keypair
from solders.system_program import TransferParams, transfer

from actors.trading_io import ChainAccess
from adapters.priority_fee import fee_percentile
from config.settings import ConfigError, load_settings
from localnet.priority_fees import compute_unit_price
from solders.transaction import VersionedTransaction
from tests.bot.harness import SOL, ChainThread, Market, bot_settings, new_bot_wallet
from tests.bot.test_messages import make_launch

pytestmark = pytest.mark.timeout(60)
TOKEN = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"


@pytest.fixture
def world(tmp_path):
    chain = ChainThread().start()
    try:
        market = Market(chain)
        keypair, path = new_bot_wallet(tmp_path)
        chain.run(market.fund(keypair.pubkey(), SOL))
        yield chain, market, path, tmp_path
    finally:
        chain.stop()


def pay_fee_recipient(chain, market, payer, price: int, times: int) -> None:
    """Market transactions that write the fee recipient, paying `price` micro-lamports per CU."""
    recipient = chain.run(market._global()).fee_recipient
    for index in range(times):
        chain.run(market.send_tx(payer, [set_compute_unit_price(price), transfer(TransferParams(
            from_pubkey=payer.pubkey(), to_pubkey=recipient, lamports=1_000 + index))], [payer]))
        time.sleep(0.12)   # one per slot (100 ms slots): each slot reports its own minimum


def buy_price(chain, settings) -> int:
    """Warm a ChainAccess as a spare does, sign a buy, return the price it carries."""
    async def prepare():
        access = ChainAccess(settings)
        try:
            await access.warm_up()
            launch = make_launch(received_at=time.time())
            launch = launch.__class__(**{**launch.__dict__, "mint": str(Keypair().pubkey()),
                                         "creator": str(Keypair().pubkey()), "token_program": TOKEN})
            prepared = await access.prepare_buy(launch)
            return compute_unit_price(VersionedTransaction.from_bytes(prepared.raw))
        finally:
            await access.close()
    return chain.run(prepare())


def test_dynamic_fee_follows_the_market_within_the_cap(world):
    chain, market, path, tmp_path = world
    payer = chain.run(market.new_wallet(SOL))
    settings = bot_settings(chain, path, tmp_path / "runs", **{
        "trading.priority_fee_mode": "dynamic", "trading.priority_fee_floor": 5_000,
        "trading.priority_fee_cap": 800_000, "trading.priority_fee_percentile": 50})
    assert buy_price(chain, settings) == 5_000             # nobody paid yet: the floor
    pay_fee_recipient(chain, market, payer, 300_000, 3)
    assert buy_price(chain, settings) == 300_000           # what the market pays
    pay_fee_recipient(chain, market, payer, 2_000_000, 5)
    assert buy_price(chain, settings) == 800_000           # more than the cap: the cap
    fixed = settings.replace(**{"trading.priority_fee_mode": "fixed", "trading.priority_fee": 123_456})
    assert buy_price(chain, fixed) == 123_456


def test_fee_percentile_of_paid_prices():
    assert fee_percentile([0, 0, 100, 200, 300, 400], 75, 0, 10_000) == 300
    assert fee_percentile([0, 0], 75, 50, 10_000) == 50
    assert fee_percentile([5], 100, 10, 20) == 10


@pytest.mark.parametrize("key, value, allowed", [
    ("trading.priority_fee_mode", "auto", "fixed"),
    ("trading.priority_fee_percentile", 0, "1"),
    ("trading.priority_fee_cap", 1, "priority_fee_floor"),
])
def test_bad_fee_settings_name_the_key(key, value, allowed):
    with pytest.raises(ConfigError) as error:
        load_settings(env={}, overrides={key: value})
    assert key in str(error.value) and allowed in str(error.value)
