"""Copy trading of a graduated coin on its PumpSwap pool, end to end on the local chain: a target
(driven by the test with the pool program's own buy/sell) buys a coin that already migrated; the
running bot sees their swap over Yellowstone, buys on the pool itself (the 26-account buy of
adapters/pumpswap/buy_v2.py) sized by the ratio, resumes the position after its PositionActor is
killed, sells on the pool the fraction they sell there, exits when they do, and books a PnL equal
to the wallet's lamport change with no token left."""
from __future__ import annotations

import os
import signal
import struct
import time

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from adapters.pumpfun.instructions import build_create_ata_idempotent
from adapters.pumpswap import addresses as pool_addresses
from adapters.pumpswap import amm
from adapters.pumpswap.buy_v2 import BUY_ACCOUNTS, build_buy as target_pool_buy
from adapters.pumpswap.instructions_v2 import build_sell as target_pool_sell
from adapters.pumpswap.layout import GLOBAL_CONFIG
from adapters.pumpswap.wsol import build_wrap
from localnet.programs.pumpswap_setup import canonical_pool_keys
from messages import new_request_id
from messages.status import ChildPidsRequest
from tests.bot.harness import SOL
from tests.bot.test_copy_trading import world  # noqa: F401  (the fixture)
from tests.localnet.helpers import pool_fee_rates_now
from tests.bot.test_pool_sell import SPL, graduate, pool_instructions, pool_reserves

pytestmark = pytest.mark.timeout(150)


def pool_config(chain):
    return GLOBAL_CONFIG.decode(bytes(chain.node.chain.get_account(pool_addresses.GLOBAL_CONFIG).data))


def pool_buy(chain, who: Keypair, mint: str, lamports: int) -> tuple[list, int]:
    """(instructions, base out) of `who` spending about `lamports` on the pool (wrapping SOL as any
    wallet does), with the current buy (26 accounts) of any PumpSwap client."""
    config, mint_key = pool_config(chain), Pubkey.from_string(mint)
    keys = canonical_pool_keys(chain.node.chain.svm, mint_key)
    rates = pool_fee_rates_now(chain.node.chain, mint_key)
    quote = amm.buy_base_for_quote(pool_reserves(chain, mint, SPL), lamports, *rates)
    return [*build_wrap(who.pubkey(), quote.user_quote_amount),
            build_create_ata_idempotent(who.pubkey(), who.pubkey(), mint_key),
            target_pool_buy(who.pubkey(), keys, config.protocol_fee_recipients[0], config.buyback_fee_recipients[0],
                            quote.base_amount, quote.user_quote_amount)], quote.base_amount


def target_buys_on_pool(world, who: Keypair, mint: str, lamports: int) -> int:
    """`who` spends about `lamports` on the pool; returns base out."""
    ixs, base_out = pool_buy(world.chain, who, mint, lamports)
    world.chain.run(world.market.send_tx(who, ixs, [who]))
    return base_out


def pool_sell(chain, who: Keypair, mint: str, tokens: int):
    """`who` selling `tokens` on the pool with the current sell (24 accounts) of any PumpSwap client."""
    config = pool_config(chain)
    keys = canonical_pool_keys(chain.node.chain.svm, Pubkey.from_string(mint))
    return target_pool_sell(who.pubkey(), keys, config.protocol_fee_recipients[0], config.buyback_fee_recipients[0],
                            tokens, 0)


def target_sells_on_pool(world, who: Keypair, mint: str, tokens: int) -> None:
    world.chain.run(world.market.send_tx(who, [pool_sell(world.chain, who, mint, tokens)], [who]))


BUY_DISCRIMINATOR = bytes([102, 6, 61, 18, 1, 218, 235, 234])     # idl/pump_amm.json
SELL_DISCRIMINATOR = bytes([51, 230, 133, 164, 1, 127, 131, 173])


def our_pool_swaps(world, discriminator: bytes) -> list[int]:
    """Account counts of the PumpSwap buys or sells our wallet landed."""
    node = world.chain.node.chain
    found = []
    for record in list(node.records_newest_first()):
        message = record.transaction.message
        if record.err is None and message.account_keys[0] == world.keypair.pubkey():
            found += [count for count, data in pool_instructions(world.chain, str(record.transaction.signatures[0]))
                      if data[:8] == discriminator]
    return found


def test_a_target_buying_a_graduated_coin_on_the_pool_is_copied_there(world):  # noqa: F811
    alice = world.alice
    coin = world.launch_spl("Graduated")
    graduate(world.chain, world.market, coin, SPL)
    world.start()

    theirs = target_buys_on_pool(world, alice, coin, SOL // 5)
    ours = world.wait_ours(coin, lambda held: held > 0)
    assert our_pool_swaps(world, BUY_DISCRIMINATOR) == [BUY_ACCOUNTS]                       # bought on the pool, not via Jupiter
    assert theirs * 4 // 10 < ours < theirs // 2    # half their SOL, at the price after theirs

    # the pool-bought position is journaled like any: a killed PositionActor resumes it
    pids = world.bot.system.ask(world.bot.director, ChildPidsRequest(new_request_id("p")), timeout=10)
    os.kill(pids.pids[f"position:{coin}"], signal.SIGKILL)
    world.bot.wait_for(lambda s: s.failures.get("position_restarted", 0) == 1, timeout=20, poll=0.05)

    sold = theirs // 3
    target_sells_on_pool(world, alice, coin, sold)                      # a third of theirs
    assert world.wait_ours(coin, lambda held: held != ours) == ours - ours * sold // theirs

    target_sells_on_pool(world, alice, coin, world.held(alice.pubkey(), coin))   # the rest
    status = world.finish()
    assert len(our_pool_swaps(world, SELL_DISCRIMINATOR)) == 2         # both sells on the pool too
    book = status.copy[str(alice.pubkey())]
    assert (book["copied_buys"], book["copied_sells"]) == (1, 2)
    assert status.bought == 1 and status.lifecycle.get("closed") == 1


def send_with_lookup_table(world, who: Keypair, ixs: list) -> None:
    """Two current PumpSwap swaps (26 + 26 or 24 + 24 accounts) do not fit in 1,232 bytes without an
    address lookup table, as on mainnet: every non-signer account goes in one, written into the ledger."""
    from solders.account import Account
    from solders.address_lookup_table_account import ID as LOOKUP_TABLE_PROGRAM, AddressLookupTableAccount
    from solders.message import MessageV0
    from solders.transaction import VersionedTransaction

    from tests.bot.harness import _wait_meta
    keys = list(dict.fromkeys(meta.pubkey for ix in ixs for meta in ix.accounts if not meta.is_signer))
    keys += [ix.program_id for ix in ixs if ix.program_id not in keys]
    meta = struct.pack("<IQQB", 1, 2**64 - 1, 0, 0) + b"\x01" + bytes(Pubkey.default()) + b"\0\0"   # active table
    table = Keypair().pubkey()
    world.chain.node.chain.svm.set_account(table, Account(lamports=SOL, data=meta + b"".join(bytes(k) for k in keys),
                                                          owner=LOOKUP_TABLE_PROGRAM, executable=False))

    async def send() -> None:
        blockhash = (await world.market.rpc.get_latest_blockhash()).blockhash
        message = MessageV0.try_compile(who.pubkey(), ixs, [AddressLookupTableAccount(table, keys)], blockhash)
        signature = await world.market.rpc.send_raw(bytes(VersionedTransaction(message, [who])))
        assert (await _wait_meta(world.market.rpc, signature)).err is None
    world.chain.run(send())


def test_a_target_swapping_two_coins_in_one_transaction_is_copied_per_coin(world):  # noqa: F811
    """Each PumpSwap event names its base token account; the token balances give that account's
    mint, so both coins of a two-coin transaction are followed (once only a one-coin one was)."""
    alice = world.alice
    coins = [world.launch_spl("GradOne"), world.launch_spl("GradTwo")]
    for coin in coins:
        graduate(world.chain, world.market, coin, SPL)
    world.start()

    buys = [pool_buy(world.chain, alice, coin, SOL // 10 * (index + 1)) for index, coin in enumerate(coins)]
    send_with_lookup_table(world, alice, buys[0][0] + buys[1][0])
    ours = [world.wait_ours(coin, lambda held: held > 0) for coin in coins]
    for (_, theirs), held in zip(buys, ours):
        assert theirs * 4 // 10 < held < theirs // 2    # half their SOL of each coin

    sells = [pool_sell(world.chain, alice, coin, world.held(alice.pubkey(), coin)) for coin in coins]
    send_with_lookup_table(world, alice, sells)                          # both coins at once: both exits
    status = world.finish()
    book = status.copy[str(alice.pubkey())]
    assert (book["copied_buys"], book["copied_sells"]) == (2, 2) and status.bought == 2


class PoolReads:
    """Chain-side record, in the chain thread's order: each getMultipleAccounts naming `pool`
    ('read') and each landed transaction's fee payer ('tx', payer)."""

    def __init__(self, pool: Pubkey):
        self.pool, self.events = str(pool), []

    def method(self, inner):
        def get_multiple_accounts(chain, params):
            if self.pool in str(params.raw):
                self.events.append(("read",))
            return inner(chain, params)
        return get_multiple_accounts

    def on_transaction(self, record) -> None:
        self.events.append(("tx", record.transaction.message.account_keys[0]))

    def on_slot(self, *args) -> None:
        pass


def test_a_pool_copy_is_priced_from_the_stream_without_reading_the_pool(world, monkeypatch):  # noqa: F811
    """Bob's small pool buy (below min_lamports: not copied) makes the stream read the coin's pool
    once; Alice's buy then comes with the pool after her swap (actors/copy_pool_state.py): our copy
    is signed with no read of the pool between her transaction and ours, and buys exactly what
    her half buys at the reserves her swap left."""
    from localnet import rpc_server
    alice, bob = world.alice, world.bob
    coin = world.launch_spl("Streamed")
    graduate(world.chain, world.market, coin, SPL)
    reads = PoolReads(pool_addresses.canonical_pool(Pubkey.from_string(coin)))
    monkeypatch.setitem(rpc_server.METHODS, "getMultipleAccounts",
                        reads.method(rpc_server.METHODS["getMultipleAccounts"]))
    world.chain.node.chain.add_listener(reads)
    world.start(**{"copy.min_lamports": SOL // 100})

    target_buys_on_pool(world, bob, coin, SOL // 100)              # half of it is below the minimum
    world.bot.wait_for(lambda s: s.copy.get(str(bob.pubkey()), {}).get("skips"), timeout=10, poll=0.05)
    deadline = time.monotonic() + 10
    while ("read",) not in reads.events and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ("read",) in reads.events                                  # the stream read the pool's facts
    time.sleep(0.3)

    before = pool_reserves(world.chain, coin, SPL)
    rates = pool_fee_rates_now(world.chain.node.chain, Pubkey.from_string(coin))   # one tier for both buys
    ixs, theirs = pool_buy(world.chain, alice, coin, SOL // 5)
    paid = amm.buy_base_out(before, theirs, *rates)
    start = len(reads.events)
    world.chain.run(world.market.send_tx(alice, ixs, [alice]))
    ours = world.wait_ours(coin, lambda held: held > 0)

    since = reads.events[start:]
    theirs_at = since.index(("tx", alice.pubkey()))
    ours_at = since.index(("tx", world.keypair.pubkey()))
    assert ("read",) not in since[theirs_at:ours_at]                  # priced without an RPC read
    after = paid.reserves_after(before, is_buy=True)                  # the pool as her swap left it
    assert ours == amm.buy_base_for_quote(after, paid.user_quote_amount // 2, *rates).base_amount


def test_the_pool_after_a_swap_is_read_exactly_from_its_event(world):  # noqa: F811
    """actors/copy_pool_state.reserves_after on the local PumpSwap's own BuyEvent and SellEvent
    equals the vault balances the chain holds after each swap (no bot: the chain is the truth)."""
    from solders.signature import Signature

    from actors.copy_pool_state import reserves_after
    from adapters.pumpswap.events import swap_events_from_logs
    alice, coin = world.alice, world.launch_spl("Exact")
    graduate(world.chain, world.market, coin, SPL)
    node = world.chain.node.chain

    def swap(ixs) -> None:
        signature = world.chain.run(world.market.send_tx(alice, ixs, [alice]))
        [event] = swap_events_from_logs(node.get_record(Signature.from_string(signature)).log_messages)
        assert reserves_after(event) == pool_reserves(world.chain, coin, SPL)

    swap(pool_buy(world.chain, alice, coin, SOL // 7)[0])
    swap([pool_sell(world.chain, alice, coin, world.held(alice.pubkey(), coin) // 3)])
