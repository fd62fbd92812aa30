"""The copy policy (actors/policy/copy.py) and its config, pure: sizes, limits, fractions, order."""
from __future__ import annotations

import pytest
from solders.pubkey import Pubkey

from actors import copy_stream
from actors.policy import copy as policy
from adapters.pumpfun.layout_v1 import TradeEvent
from config.copy_settings import CopyTarget
from config.parsing import ConfigError
from config.settings import load_settings
from messages.copy import UNKNOWN, TargetTrade

ALICE, BOB = str(Pubkey.new_unique()), str(Pubkey.new_unique())
MINT = str(Pubkey.new_unique())
T22 = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"


def target(wallet=ALICE, **limits) -> CopyTarget:
    values = dict(ratio_bps=5_000, min_lamports=0, max_lamports=0, max_total_lamports=0,
                  max_price_move_bps=0, max_coin_age_seconds=0)
    values.update(limits)
    return CopyTarget(wallet, **values)


def trade(is_buy=True, who=ALICE, sol=100_000_000, tokens=3_000_000_000_000, before=0, after=None,
          signature="sig1", slot=10, mint=MINT, price=(30_000_000_000, 1_000_000_000_000_000),
          latest=None, created_at=0.0, program=T22) -> TargetTrade:
    if after is None:
        after = before + tokens if is_buy else before - tokens
    vsr, vtr = price
    lsr, ltr = latest or price
    return TargetTrade(target=who, mint=mint, is_buy=is_buy, sol_amount=sol, token_amount=tokens,
                       holding_before=before, holding_after=after, token_program=program,
                       bonding_curve=str(Pubkey.new_unique()), creator=str(Pubkey.new_unique()),
                       virtual_sol_reserves=vsr, virtual_token_reserves=vtr,
                       real_token_reserves=vtr - 279_900_000_000_000, signature=signature, slot=slot,
                       received_at=1_000.0, latest_virtual_sol_reserves=lsr,
                       latest_virtual_token_reserves=ltr, coin_created_at=created_at)


def test_buy_size_is_their_sol_times_the_ratio_cut_to_the_limits():
    assert policy.buy_lamports(target(), 100_000_001, 0) == (50_000_000, "")       # floor, exact
    assert policy.buy_lamports(target(max_lamports=20_000_000), 100_000_000, 0) == (20_000_000, "")
    assert policy.buy_lamports(target(min_lamports=60_000_000), 100_000_000, 0) == (0, policy.BELOW_MIN)
    assert policy.buy_lamports(target(max_total_lamports=80_000_000), 100_000_000, 40_000_000) == \
        (0, policy.TOTAL_REACHED)
    assert policy.buy_lamports(target(max_total_lamports=90_000_000), 100_000_000, 40_000_000) == \
        (50_000_000, "")
    assert policy.buy_lamports(target(ratio_bps=1), 9_999, 0) == (0, policy.BELOW_MIN)   # rounds to 0


def test_price_move_compares_marginal_prices_exactly():
    # their price 30/1000; newest 33/1000 (+10 %) and 30/1200 (-16.66 %)
    assert policy.price_move_bps(trade(latest=(33_000_000_000, 1_000_000_000_000_000))) == 1_000
    assert policy.price_move_bps(trade(latest=(30_000_000_000, 1_200_000_000_000_000))) == -1_667


def test_a_target_buy_is_copied_once_and_duplicates_are_ignored():
    desk = policy.CopyDesk([target()])
    decision = desk.decide(trade(), now=1_000.0)
    assert isinstance(decision, policy.Buy) and decision.lamports == 50_000_000
    assert decision.launch.mint == MINT and decision.launch.token_program == T22
    assert decision.launch.user == ALICE
    assert isinstance(desk.decide(trade(), now=1_000.0), policy.Ignore)   # same update again
    desk.opened(trade(), decision.lamports)
    assert desk.decide(trade(who=BOB, signature="sig2"), 1_000.0) == policy.Ignore("not a target")
    assert desk.books[ALICE].copied_buys == 1 and not desk.books[ALICE].skips


def test_repeat_buys_of_the_same_target_are_copied_up_to_its_max_total():
    desk = policy.CopyDesk([target(max_total_lamports=120_000_000), target(BOB)])
    desk.opened(trade(), 50_000_000)
    again = desk.decide(trade(sol=80_000_001, signature="again", latest=(31_000_000_000, 990_000_000_000_000)), 1.0)
    assert isinstance(again, policy.AddBuy) and again.lamports == 40_000_000       # their SOL x ratio
    assert (again.launch.virtual_sol_reserves, again.launch.virtual_token_reserves) == \
        (31_000_000_000, 990_000_000_000_000)                                         # at the newest price
    desk.added(trade(), again.lamports)
    assert desk.books[ALICE].open_lamports == 90_000_000 and desk.books[ALICE].copied_buys == 2
    # 90 + 40 > 120: the max total counts every buy still open
    assert desk.decide(trade(signature="third"), 1.0) == policy.Skip(policy.TOTAL_REACHED)
    fourth = desk.decide(trade(sol=20_000_000, signature="fourth"), 1.0)
    assert isinstance(fourth, policy.AddBuy) and fourth.lamports == 10_000_000   # 90 + 10 <= 120
    # another target's buy of the coin: theirs is not ours to follow
    assert desk.decide(trade(who=BOB, signature="bob"), 1.0) == policy.Skip(policy.ALREADY_HELD)
    # the Director's own gate for repeat buys
    assert desk.decide(trade(sol=2_000_000, signature="fifth"), 1.0, why_not_add=lambda _: "buying paused") == \
        policy.Skip("buying paused")
    desk.closed(MINT)
    assert desk.books[ALICE].open_lamports == 0 and desk.books[ALICE].closed == 1


def test_sells_follow_the_fraction_of_their_holding_and_the_last_one_exits():
    desk = policy.CopyDesk([target(), target(BOB)])
    desk.opened(trade(), 50_000_000)
    assert desk.decide(trade(False, tokens=1_000, before=4_000, signature="s2"), 1.0) == \
        policy.SellPart(sold=1_000, before=4_000)
    assert isinstance(desk.decide(trade(False, who=BOB, tokens=5, before=10, signature="s3"), 1.0),
                      policy.Ignore)   # another target's sell never moves our copy of Alice
    assert desk.decide(trade(False, tokens=3_000, before=3_000, signature="s4"), 1.0) == policy.Exit()
    assert desk.books[ALICE].copied_sells == 2


def test_sells_the_stream_missed_are_followed_from_their_balance_after_them():
    """TargetTradesMissed.holdings (actors/copy_gaps.py): (mint, their balance after, slot)."""
    desk = policy.CopyDesk([target(), target(BOB)])
    buy = trade(tokens=4_000, slot=10)
    desk.opened(buy, desk.decide(buy, 1.0).lamports)
    other = str(Pubkey.new_unique())
    assert desk.missed(ALICE, ((MINT, 3_000, 12), (other, 0, 12))) == [(MINT, policy.SellPart(1_000, 4_000))]
    assert desk.missed(ALICE, ((MINT, 0, 11),)) == []           # older than what is known: stale
    assert desk.missed(BOB, ((MINT, 0, 13),)) == []             # not the target we copy this coin from
    assert desk.missed(ALICE, ((MINT, 3_500, 13),)) == []       # they bought more: no buy copied late
    assert desk.missed(ALICE, ((MINT, 0, 14),)) == [(MINT, policy.Exit())]
    assert desk.books[ALICE].copied_sells == 2
    assert isinstance(desk.decide(trade(signature="late", slot=14), 1.0), policy.Skip)   # exited first


def test_without_token_balances_holdings_are_tracked_from_their_trades():
    desk = policy.CopyDesk([target()])
    buy = trade(before=UNKNOWN, after=UNKNOWN, tokens=900)
    desk.opened(buy, desk.decide(buy, 1.0).lamports)
    assert desk.decide(trade(False, before=UNKNOWN, after=UNKNOWN, tokens=300, signature="s2"), 1.0) == \
        policy.SellPart(sold=300, before=900)
    assert desk.decide(trade(False, before=UNKNOWN, after=UNKNOWN, tokens=600, signature="s3"), 1.0) == \
        policy.Exit()


def test_their_sell_seen_before_their_buy_is_not_bought_after_the_fact():
    desk = policy.CopyDesk([target()])
    assert isinstance(desk.decide(trade(False, before=3_000, tokens=3_000, signature="sell", slot=12), 1.0),
                      policy.Ignore)
    assert desk.decide(trade(signature="buy", slot=12), 1.0) == policy.Skip(policy.EXITED_FIRST)
    assert isinstance(desk.decide(trade(signature="later", slot=13), 1.0), policy.Buy)


def test_coin_age_price_move_and_the_directors_gate_skip_with_a_reason():
    desk = policy.CopyDesk([target(max_coin_age_seconds=60, max_price_move_bps=500)])
    assert desk.decide(trade(signature="a"), 1_000.0) == policy.Skip(policy.COIN_AGE_UNKNOWN)
    assert desk.decide(trade(signature="b", created_at=900.0), 1_000.0) == policy.Skip(policy.COIN_TOO_OLD)
    assert desk.decide(trade(signature="c", created_at=990.0, latest=(33_000_000_000, 10**15)), 1_000.0) \
        == policy.Skip(policy.PRICE_MOVED)
    assert desk.decide(trade(signature="d", created_at=990.0), 1_000.0,
                       lambda launch: "policy: mayhem") == policy.Skip("policy: mayhem")
    assert desk.decide(trade(signature="e", created_at=990.0, program=""), 1_000.0) == \
        policy.Skip(policy.TOKEN_PROGRAM_UNKNOWN)
    assert isinstance(desk.decide(trade(signature="f", created_at=990.0), 1_000.0), policy.Buy)


def test_a_closed_copy_frees_the_targets_total_and_reports_the_ledgers_pnl():
    desk = policy.CopyDesk([target(max_total_lamports=60_000_000)])
    desk.opened(trade(), 50_000_000)
    assert desk.decide(trade(signature="x", mint=str(Pubkey.new_unique())), 1.0) == \
        policy.Skip(policy.TOTAL_REACHED)
    desk.closed(MINT)
    book = desk.report({ALICE: -1_234_567})[ALICE]   # the PnL is the ledger's (test_copy_books.py)
    assert book["pnl_lamports"] == -1_234_567 and book["open_lamports"] == 0 and book["closed"] == 1


def test_target_trades_come_from_trade_events_with_the_targets_token_balances():
    user, mint = Pubkey.from_string(ALICE), Pubkey.from_string(MINT)
    event = TradeEvent(mint=mint, sol_amount=5, token_amount=7, is_buy=False, user=user, timestamp=0,
                       virtual_sol_reserves=1, virtual_token_reserves=2, real_token_reserves=3,
                       mayhem_mode=True)
    other = TradeEvent(mint=mint, sol_amount=1, token_amount=1, is_buy=True, user=Pubkey.new_unique(),
                       timestamp=0, virtual_sol_reserves=1, virtual_token_reserves=2)
    found = copy_stream.target_trades([event, other], frozenset({ALICE}), "sig", 5, 1.0,
                                      {(ALICE, MINT): [10, 3, T22]})
    assert len(found) == 1
    got = found[0]
    assert (got.holding_before, got.holding_after, got.token_program, got.is_mayhem_mode) == (10, 3, T22, True)
    logs_only = copy_stream.target_trades([event], frozenset({ALICE}), "sig", 5, 1.0)[0]
    assert (logs_only.holding_before, logs_only.token_program) == (UNKNOWN, "")


@pytest.mark.parametrize("overrides, key, allowed", [
    ({"trading.mode": "copy"}, "copy.targets", "at least one wallet"),
    ({"trading.mode": "copy", "copy.targets": ["nope"]}, "copy.targets[0]", "base58 wallet"),
    ({"trading.mode": "both", "copy.targets": [{"wallet": ALICE, "ratoi": "0.5"}]}, "copy.targets[0].ratoi",
     "one of wallet, ratio"),
    ({"trading.mode": "copy", "copy.targets": [{"wallet": ALICE, "ratio": 11}]}, "copy.targets[0].ratio",
     "between 0.0001 and 10"),
    ({"trading.mode": "copy", "copy.targets": [ALICE, ALICE]}, "copy.targets[1]", "each wallet once"),
    ({"trading.mode": "copy", "copy.smart_wallets": True, "chain.mode": "live",
      "chain.rpc_urls": ["http://127.0.0.1:1"], "wallet.private_key": "x"}, "copy.smart_wallets", "false"),
    ({"trading.mode": "mirror"}, "trading.mode", "'snipe', 'copy', 'both'"),
])
def test_bad_copy_config_is_one_line_naming_the_key_and_what_is_allowed(overrides, key, allowed):
    with pytest.raises(ConfigError) as error:
        load_settings(env={}, overrides=overrides)
    message = str(error.value)
    assert "\n" not in message and f"{key} =" in message and allowed in message


def test_targets_take_the_sections_limits_unless_they_set_their_own():
    settings = load_settings(env={"PUMPSNIPE__COPY__MAX_LAMPORTS": "0.02 SOL"}, overrides={
        "trading.mode": "copy", "copy.ratio": "0.25",
        "copy.targets": [ALICE, {"wallet": BOB, "ratio": "2", "max_lamports": 7}]})
    alice, bob = settings.copy.resolved_targets
    assert (alice.ratio_bps, alice.max_lamports) == (2_500, 20_000_000)
    assert (bob.ratio_bps, bob.max_lamports) == (20_000, 7)


def test_a_partial_sell_is_no_exit_and_a_failed_one_is_not_retried():
    from actors.position_model import (ACTIVE, CONFIRMED, FAILED, SELL, WAIT, Order, Position, decide,
                                       sell_amount)
    position = Position("pos-1", policy.launch_of(trade()), state=ACTIVE, bought_tokens=1_000)
    position.buy_order = Order("buy", "b", 1_000, 0, 0.0, state=CONFIRMED)
    part = Order("sell", "p", 250, 0, 0.0, state=CONFIRMED, partial=True)
    position.sell_orders.append(part)
    position.sold_tokens = 250
    assert decide(position, exit_wanted=False) == (WAIT, "holding")
    assert decide(position, exit_wanted=True)[0] == SELL and sell_amount(position) == 750
    position.sell_orders.append(Order("sell", "q", 100, 0, 0.0, state=FAILED, partial=True))
    assert decide(position, exit_wanted=False) == (WAIT, "holding")
    assert Order.from_dict({"kind": "sell", "signature": "old", "amount": 1,
                            "last_valid_block_height": 0, "sent_at": 0.0}).partial is False   # old rows


def test_the_summary_has_one_line_per_target():
    from app.summary import copy_lines
    desk = policy.CopyDesk([target(), target(BOB)])
    desk.opened(trade(), 50_000_000)
    desk.decide(trade(who=BOB, signature="again"), 1.0)
    desk.closed(MINT)
    lines = copy_lines(desk.report({ALICE: 1_500_000_001}))
    assert len(lines) == 2
    alice = next(line for line in lines if ALICE in line)
    assert "copied 1 buys, 0 sells" in alice and "PnL 1.500000001 SOL, 1 closed" in alice
    bob = next(line for line in lines if BOB in line)
    assert "skipped: already held 1" in bob


def test_a_targets_pumpswap_sell_is_followed_and_a_pool_buy_copied_on_the_pool():
    """A graduated coin: the PumpSwap event names the pool; the coin comes from the target's token
    balances. Their pool sell moves our copy of the coin; their pool buy is copied on the pool."""
    import base64
    from adapters.pumpswap.addresses import PROGRAM
    from adapters.pumpswap.events import SELL_EVENT, SwapEvent
    keys = [Pubkey.new_unique() for _ in range(6)]
    event = SwapEvent(0, 400, 0, 0, 0, 10_000, 5_000, 190, 20, 0, 5, 0, 0, 185, keys[0],
                      Pubkey.from_string(ALICE), *keys[1:6], is_buy=False)
    logs = [f"Program {PROGRAM} invoke [1]",
            "Program data: " + base64.b64encode(SELL_EVENT.encode(event)).decode(),
            f"Program {PROGRAM} success"]
    wsol = "So11111111111111111111111111111111111111112"
    balances = {(ALICE, MINT): [1_000, 600, T22], (ALICE, wsol): [5, 5, "x"]}
    [sold] = copy_stream.target_swaps(logs, frozenset({ALICE}), "sig", 9, 1.0, balances)
    assert (sold.mint, sold.venue, sold.holding_before, sold.holding_after) == (MINT, "pool", 1_000, 600)
    desk = policy.CopyDesk([target()])
    desk.opened(trade(), 50_000_000)
    assert desk.decide(sold, 1.0) == policy.SellPart(sold=400, before=1_000)
    from dataclasses import replace
    pool_buy = replace(sold, is_buy=True, signature="buy", mint=str(Pubkey.new_unique()))
    bought = desk.decide(pool_buy, 1.0)
    assert isinstance(bought, policy.Buy) and bought.lamports == 185 * 5_000 // 10_000
    assert (bought.launch.venue, bought.launch.bonding_curve, bought.launch.token_program) == \
        ("pool", str(keys[0]), T22)


def test_a_buy_and_a_full_sell_in_one_batch_are_not_copied():
    desk = policy.CopyDesk([target()])
    buy, sell = trade(signature="b", slot=20), trade(False, before=3_000_000_000_000, signature="s", slot=20)
    decided = desk.decide_batch([buy, sell], 1.0)
    assert [d for _, d in decided] == [policy.Skip(policy.EXITS_IN_BATCH),
                                       policy.Ignore("not copying this coin from this target")]
    partial = trade(False, before=3_000_000_000_000, after=1, signature="p", slot=21)
    assert isinstance(desk.decide_batch([trade(signature="b2", slot=21), partial], 1.0)[0][1], policy.Buy)


def test_a_buy_and_a_sell_in_one_transaction_are_stepped_through():
    """The meta's token balances span the transaction: the buy's after and the sell's before are
    what the buy added to the holding before it."""
    user, mint = Pubkey.from_string(ALICE), Pubkey.from_string(MINT)
    buy = TradeEvent(mint=mint, sol_amount=5, token_amount=700, is_buy=True, user=user, timestamp=0,
                     virtual_sol_reserves=1, virtual_token_reserves=2)
    sell = TradeEvent(mint=mint, sol_amount=4, token_amount=300, is_buy=False, user=user, timestamp=0,
                      virtual_sol_reserves=1, virtual_token_reserves=2)
    got = copy_stream.target_trades([buy, sell], frozenset({ALICE}), "sig", 5, 1.0,
                                    {(ALICE, MINT): [100, 500, T22]})
    assert [(t.holding_before, t.holding_after) for t in got] == [(100, 800), (800, 500)]


def test_the_stream_stamps_what_the_launch_said_on_a_targets_trade():
    from messages.stream import Launch, Trade
    tracker = copy_stream.CopyTracker()
    tracker.on_launch(Launch(mint=MINT, bonding_curve="c", creator="k", user="u", name="n", symbol="s",
                             uri="", token_program=T22, virtual_token_reserves=1, virtual_sol_reserves=1,
                             real_token_reserves=1, signature="l", slot=1, received_at=900.0,
                             is_cashback_coin=True))
    newest = Trade(mint=MINT, is_buy=True, sol_amount=1, token_amount=1, user="x",
                   virtual_sol_reserves=31_000_000_000, virtual_token_reserves=990_000_000_000_000,
                   signature="n", slot=11, received_at=1.0)
    [stamped] = tracker.stamp([trade(program="")], {MINT: newest})
    assert (stamped.token_program, stamped.is_cashback_coin, stamped.coin_created_at) == (T22, True, 900.0)
    assert (stamped.latest_virtual_sol_reserves, stamped.latest_virtual_token_reserves) == \
        (31_000_000_000, 990_000_000_000_000)


def test_a_restarted_director_adopts_open_copies_from_their_journaled_launch():
    desk = policy.CopyDesk([target()])
    copied = policy.launch_of(trade())
    assert desk.adopt(copied) and not desk.adopt(copied)
    from dataclasses import replace
    assert not desk.adopt(replace(copied, mint=str(Pubkey.new_unique()), name="Sniped", copy_target=""))
    older = replace(copied, mint=str(Pubkey.new_unique()), copy_target="")   # a row from before copy_target
    assert desk.adopt(older) and desk.copies[older.mint].target == ALICE
    assert desk.decide(trade(False, tokens=10, before=40, signature="s"), 1.0) == policy.SellPart(10, 40)


def test_a_repeat_buy_adds_its_tokens_and_cost_and_holds_the_exit_while_in_flight(tmp_path):
    from actors.position_model import (ACTIVE, ADD_BUY, CONFIRMED, SELL, WAIT, Order, Position, decide,
                                       sell_amount)
    position = Position("pos-1", policy.launch_of(trade()), state=ACTIVE, bought_tokens=1_000)
    position.buy_order = Order("buy", "b", 1_000, 0, 0.0, state=CONFIRMED, lamport_delta=-50_000)
    more = Order(ADD_BUY, "a", 400, 7, 1.0)
    position.add_buys.append(more)
    assert decide(position, exit_wanted=True) == (WAIT, "repeat buy in flight")   # its tokens sell too
    assert position.in_flight() == [more]
    from adapters.journal import Journal
    journal = Journal(tmp_path / "journal.sqlite3")                              # the real store
    journal.save(position.to_row())
    assert Position.from_row(journal.load("pos-1")).add_buys == [more]           # journaled, recovered
    journal.close()
    position.settle(more, CONFIRMED, "", -30_000, 401)
    assert (position.bought_tokens, position.cost_lamports, sell_amount(position)) == (1_401, 80_000, 1_401)
    assert decide(position, exit_wanted=True)[0] == SELL
    older = dict(position.to_row(), sell_orders=[])                              # a row from before
    assert Position.from_row(older).add_buys == [] and Position.from_row(older).sell_orders == []


def test_the_books_are_rebuilt_from_this_runs_journal_rows():
    """What a restarted Director finds in the journal gives back the per-target books."""
    from dataclasses import replace
    from actors.position_model import ADD_BUY, CLOSED, CONFIRMED, SENT, Order, Position
    started = 1_000.0

    def row(who, state, opened_at=2_000.0, orders=(), exit_reason="", pnl=0, name=""):
        launch = replace(policy.launch_of(trade(who=who, mint=str(Pubkey.new_unique()))), copy_lamports=50_000_000,
                         name=name, copy_target="" if name else who)
        position = Position(f"pos-{len(orders)}-{state}", launch, state=state, opened_at=opened_at,
                            exit_reason=exit_reason, pnl_lamports=pnl)
        position.buy_order = Order("buy", "b", 1_000, 0, opened_at, state=CONFIRMED)
        for order in orders:
            (position.add_buys if order.kind == ADD_BUY else position.sell_orders).append(order)
        return position.to_row()

    rows = [
        row(ALICE, CLOSED, orders=[Order("sell", "p", 10, 0, 0.0, state=CONFIRMED, partial=True),
                                   Order("sell", "f", 90, 0, 0.0, state=CONFIRMED)],
            exit_reason="copy: alice exited", pnl=-7),
        row(ALICE, "active", orders=[Order(ADD_BUY, "a", 5, 0, 0.0, state=SENT, budget_lamports=20_000_000),
                                     Order(ADD_BUY, "x", 5, 0, 0.0, state="FAILED", budget_lamports=9)]),
        row(BOB, CLOSED, opened_at=500.0, pnl=11),           # recovered from an earlier run: its closure only
        row(BOB, CLOSED, name="Sniped", pnl=1_000),          # not a copy
    ]
    desk = policy.CopyDesk([target(), target(BOB)])
    desk.rebuild(rows, started)
    alice, bob = desk.books[ALICE], desk.books[BOB]
    assert (alice.copied_buys, alice.copied_sells, alice.closed) == (4, 2, 1)   # PnL: the ledger's
    assert alice.open_lamports == 70_000_000 and desk.copies[rows[1]["mint"]].lamports == 70_000_000
    assert (bob.copied_buys, bob.copied_sells, bob.closed, bob.open_lamports) == (0, 0, 1, 0)


def test_two_pumpswap_swaps_of_one_target_in_one_transaction_are_read_per_coin():
    """The event's base token account names the coin (token balances: account index -> mint); two
    buys of one coin in the transaction are stepped through its balances."""
    import base64
    from types import SimpleNamespace
    from adapters.pumpswap.addresses import PROGRAM
    from adapters.pumpswap.events import BUY_EVENT, SELL_EVENT, SwapEvent
    user, other_mint = Pubkey.from_string(ALICE), str(Pubkey.new_unique())
    pool_a, pool_b, account_a, account_b, spare = (Pubkey.new_unique() for _ in range(5))

    def swap(layout, pool, account, base, quote, is_buy=True):
        event = SwapEvent(0, base, 0, 0, 0, 10_000, 5_000, quote, 20, 0, 5, 0, 0, quote, pool, user,
                          account, spare, spare, spare, is_buy=is_buy)
        return "Program data: " + base64.b64encode(layout.encode(event)).decode()

    logs = [f"Program {PROGRAM} invoke [1]", swap(BUY_EVENT, pool_a, account_a, 300, 90),
            swap(SELL_EVENT, pool_b, account_b, 50, 20, is_buy=False), swap(BUY_EVENT, pool_a, account_a, 200, 60),
            f"Program {PROGRAM} success"]
    keys = [Pubkey.new_unique(), account_b, account_a]
    entry = lambda index, mint: SimpleNamespace(account_index=index, mint=mint)   # noqa: E731
    meta = SimpleNamespace(pre_token_balances=[entry(1, other_mint)],
                           post_token_balances=[entry(2, MINT), entry(1, other_mint)])
    mints = copy_stream.token_account_mints(meta, keys)
    assert mints == {str(account_a): MINT, str(account_b): other_mint}
    balances = {(ALICE, MINT): [0, 500, T22], (ALICE, other_mint): [80, 30, T22]}
    first, sold, second = copy_stream.target_swaps(logs, frozenset({ALICE}), "sig", 9, 1.0, balances, mints)
    assert (first.mint, first.is_buy, first.holding_before, first.holding_after, first.bonding_curve) == \
        (MINT, True, 0, 300, str(pool_a))
    assert (sold.mint, sold.is_buy, sold.holding_before, sold.holding_after) == (other_mint, False, 80, 30)
    assert (second.mint, second.holding_before, second.holding_after, second.sol_amount) == (MINT, 300, 500, 60)
    # without the account's mint (no balances name it) a two-coin transaction cannot be read
    assert copy_stream.target_swaps(logs, frozenset({ALICE}), "sig", 9, 1.0, balances) == []
