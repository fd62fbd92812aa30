"""The test market's own promises (tests/bot/harness.py): a trade it reports made is on the chain.

test_copy_trading's killed-position test failed now and then with the target's final sell "sent" but
never executed: after a partial sell of half an even holding, selling the rest built the same
instructions; under the still cached blockhash and the same randomly drawn fee recipients (1 in 64
for a legacy sell) it was the same transaction, which the chain dropped as AlreadyProcessed (as a
leader does), and the market took the first sell's meta for it."""
from __future__ import annotations

import pytest
from solders.signature import Signature

from adapters.pumpfun import venue
from tests.bot.harness import SOL, ChainThread, Market

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def chain():
    chain = ChainThread().start()
    try:
        yield chain
    finally:
        chain.stop()


def test_a_trade_repeating_the_previous_one_still_lands(chain, monkeypatch):
    market = Market(chain)
    creator, alice = chain.run(market.new_wallet(SOL)), chain.run(market.new_wallet(2 * SOL))
    coin = chain.run(market.launch(creator, "Twice"))
    chain.run(market.trade(alice, coin, buy_lamports=SOL // 10, generation="v2"))
    theirs = chain.run(market.holding(alice.pubkey(), coin))
    # the two draws that made the flaky test's sells identical, forced: the same fee recipients,
    # and one blockhash for both (RpcClient caches it for 400 ms; the sells came quicker than that)
    monkeypatch.setattr(venue.random, "choice", lambda pool: pool[0])
    market.rpc.blockhash_max_age_s = 60
    half = theirs // 2
    first = chain.run(market.trade(alice, coin, sell_tokens=half))
    second = chain.run(market.trade(alice, coin, sell_tokens=half))
    assert first != second
    assert chain.run(market.holdings(alice.pubkey())).get(coin, 0) == theirs - 2 * half
    for signature in (first, second):   # each its own transaction, executed
        assert chain.node.chain.get_record(Signature.from_string(signature)).err is None
