"""adapters/pumpfun/instructions_v2 against the account lists written from the docs in
tests/localnet/test_pump_v2.py (BUY.md, SELL.md, TRADE_V3.md, SWEEP_FEES.md, COIN_CREATION.md),
and run on the local chain's program, which checks every account."""
from __future__ import annotations

import struct

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from adapters.pumpfun import instructions_v2 as v2
from tests.localnet import test_pump_v2 as docs


def test_builders_match_the_documented_lists():
    user, mint, creator = Pubkey.new_unique(), Pubkey.new_unique(), Pubkey.new_unique()
    coin = v2.Coin(mint, creator)
    ix = v2.build_buy_v2(user, coin, docs.FEE_RECIPIENT, 5, 7, buyback=docs.BUYBACK)
    assert list(ix.accounts) == docs.v2_accounts(user, mint, creator, docs.TOKEN_2022)
    assert bytes(ix.data) == docs.disc("buy_v2") + struct.pack("<QQ", 5, 7)
    ix = v2.build_sell_v2(user, coin, docs.FEE_RECIPIENT, 5, 7, buyback=docs.BUYBACK)
    assert list(ix.accounts) == docs.v2_accounts(user, mint, creator, docs.TOKEN_2022, is_buy=False)
    assert bytes(ix.data) == docs.disc("sell_v2") + struct.pack("<QQ", 5, 7)
    ix = v2.build_buy_exact_quote_in_v2(user, coin, docs.FEE_RECIPIENT, 5, 7, buyback=docs.BUYBACK)
    assert bytes(ix.data) == docs.disc("buy_exact_quote_in_v2") + struct.pack("<QQ", 5, 7)
    for name, build in (("buy_v3", v2.build_buy_v3), ("sell_v3", v2.build_sell_v3),
                        ("buy_exact_quote_in_v3", v2.build_buy_exact_quote_in_v3)):
        ix = build(user, coin, 5, 7, buyback=docs.BUYBACK)
        assert list(ix.accounts) == docs.v3_accounts(user, mint, docs.TOKEN_2022)
        assert bytes(ix.data) == docs.disc(name) + struct.pack("<QQ", 5, 7)
    assert list(v2.build_sweep(user, coin, creator, creator_fee=True).accounts) == docs.sweep_accounts(user, mint, creator)
    assert bytes(v2.build_sweep(user, coin, creator, creator_fee=False).data) == docs.disc("sweep_protocol_fee")
    ix = v2.build_create_v2(mint, user, "Coin", "CN", "https://x/y.json", creator=creator, is_mayhem_mode=True, is_cashback_enabled=False)
    expected = docs.create_v2(mint, user, creator, mayhem=True, cashback=False)
    assert list(ix.accounts) == list(expected.accounts) and bytes(ix.data) == bytes(expected.data)


def test_builders_trade_on_the_local_program():
    chain = docs.Chain()
    user, creator, mint = chain.user.pubkey(), Pubkey.new_unique(), Keypair()
    chain.ok([v2.build_create_v2(mint.pubkey(), user, "Coin", "CN", "https://x", creator=creator)], [mint])
    coin = v2.Coin(mint.pubkey(), creator)
    chain.ok([docs.create_user_ata(user, coin.mint, coin.token_program)])
    chain.ok([v2.build_buy_v2(user, coin, docs.FEE_RECIPIENT, 10**12, docs.SOL)])
    chain.ok([v2.build_buy_v3(user, coin, 10**12, docs.SOL), v2.build_buy_exact_quote_in_v2(user, coin, docs.FEE_RECIPIENT, 10**7, 1)])
    chain.ok([v2.build_sell_v2(user, coin, docs.FEE_RECIPIENT, 10**11, 0), v2.build_sell_v3(user, coin, 10**11, 0)])
    chain.ok([v2.build_sweep(user, coin, docs.FEE_RECIPIENT, creator_fee=False),
              v2.build_sweep(user, coin, docs.pda(b"creator-vault", bytes(creator)), creator_fee=True)])
