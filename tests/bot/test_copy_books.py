"""Per-target copy PnL sums to the ledger's: the Director's handlers with its real Ledger and
CopyDesk, no actor system; then end to end, a sweep selling tokens of a copied coin. A full-suite
run under load once showed 118,845,509 lamports over the targets' books against a ledger (== chain)
of 20,226,728: the books took a position's own PnL at its closure, while the ledger books every
settled transaction of ours, including those outside the position (the sweep selling a copy's
leftover tokens, a sell landing after the closure)."""
from __future__ import annotations

from dataclasses import replace

from solders.pubkey import Pubkey

from actors.director import Director
from actors.policy import copy as policy
from config.settings import load_settings
from messages.position import PositionClosed, TxSent, TxSettled
from tests.bot.test_copy_policy import ALICE, BOB, trade
from tests.bot.test_copy_trading import world  # noqa: F401  (the fixture)

MINT_A, MINT_B = str(Pubkey.new_unique()), str(Pubkey.new_unique())
BUY_COST, SWEEP_SALE = 100_000_000, 80_000_000


def copying_director() -> Director:
    d = Director()
    d.settings = load_settings(env={}, overrides={"trading.mode": "copy", "copy.targets": [ALICE, BOB],
                                                  "copy.ratio": "0.5", "copy.max_lamports": 0})
    d.start_copying(d.settings)
    d.ledger.started_at = 0.0   # the made-up TxSent times below count from 0: this run's orders
    d.sent, d.spares_made = [], 0
    d.send = lambda to, msg: d.sent.append((to, msg))   # no actor system here: what it would send
    d.createActor = lambda cls: f"spare-{len(d.sent)}"
    return d


def open_copy(d: Director, who: str, mint: str, lamports: int) -> None:
    """Their buy of `lamports` x 2 (ratio 0.5) reaches the Director: it opens a copy of `lamports`."""
    copied = trade(who=who, mint=mint, signature=f"sig-{mint[:6]}", sol=2 * lamports)
    [(_, decision)] = d.copy_desk.decide_batch([copied], 1_000.0)
    assert decision == policy.Buy(lamports, decision.launch)
    d._copy_one(copied, decision)
    assert d.positions[mint].launch.copy_target == who


def settle(d: Director, mint: str, signature: str, kind: str, delta: int) -> None:
    d.receiveMsg_TxSent(TxSent(mint, signature, kind, 2.0), None)
    d.receiveMsg_TxSettled(TxSettled(mint, signature, kind, delta, True), None)


def targets_pnl(d: Director) -> int:
    return sum(book["pnl_lamports"] for book in d.copy_report().values())


def test_a_copys_tokens_sold_by_the_sweep_after_its_closure_count_for_its_target():
    d = copying_director()
    open_copy(d, ALICE, MINT_A, BUY_COST)
    settle(d, MINT_A, "buy-a", "buy", -BUY_COST)
    # its sells never landed: the position closes unsellable, its tokens still in the wallet ...
    d.receiveMsg_PositionClosed(PositionClosed("pos-MINT", MINT_A, "unsellable", 5, -BUY_COST, "copy: x",
                                               state="closed"), None)
    # ... and the balance monitor's sweep sells them through the Seller, which reports the sale
    settle(d, MINT_A, "sweep-a", "sell", SWEEP_SALE)
    assert d.ledger.pnl_lamports == SWEEP_SALE - BUY_COST
    assert targets_pnl(d) == d.ledger.pnl_lamports
    assert d.copy_report()[ALICE]["pnl_lamports"] == SWEEP_SALE - BUY_COST
    assert d.copy_report()[ALICE]["closed"] == 1


def test_a_closure_whose_pnl_differs_from_its_settled_transactions_books_what_was_settled():
    """A position's last sell that settles after its closure was reported (late landing under load):
    the books follow the transactions, whoever reports them and in whatever order."""
    d = copying_director()
    open_copy(d, ALICE, MINT_A, BUY_COST)
    open_copy(d, BOB, MINT_B, BUY_COST // 2)
    settle(d, MINT_A, "buy-a", "buy", -BUY_COST)
    settle(d, MINT_B, "buy-b", "buy", -BUY_COST // 2)
    d.receiveMsg_PositionClosed(PositionClosed("pos-a", MINT_A, "buy_failed", 0, 0, state="failed"), None)
    settle(d, MINT_A, "late-sell-a", "sell", 90_000_000)
    settle(d, MINT_B, "sell-b", "sell", 60_000_000)
    d.receiveMsg_PositionClosed(PositionClosed("pos-b", MINT_B, "sold", 5, 10_000_000, state="closed"), None)
    books = d.copy_report()
    assert books[ALICE]["pnl_lamports"] == -10_000_000 and books[BOB]["pnl_lamports"] == 10_000_000
    assert targets_pnl(d) == d.ledger.pnl_lamports == 0
    # the sweep closes an empty token account a Jupiter sell left: rent back, no coin, no target's
    settle(d, "", "close-1", "close", 2_034_280)
    assert targets_pnl(d) == 0 and d.ledger.rent_reclaimed == d.ledger.pnl_lamports == 2_034_280


def test_a_restarted_director_books_the_targets_from_the_journal_rows_as_the_ledger_does():
    """The root's copy of the ledger missed the last reports: reconcile_with_journal books them from
    the rows, and the targets' PnL with them (the rows name the copy's target)."""
    from actors.director_ledger import Ledger
    d = copying_director()
    d.ledger = Ledger(started_at=1.0)
    launch = replace(policy.launch_of(trade(who=ALICE, mint=MINT_A)), copy_lamports=BUY_COST)
    order = {"kind": "buy", "signature": "buy-a", "amount": 5, "last_valid_block_height": 0,
             "sent_at": 2.0, "state": "CONFIRMED",
             "lamport_delta": -BUY_COST, "token_delta": 5, "error": "", "usdc_delta": 0}
    sell = dict(order, kind="sell", signature="sell-a", lamport_delta=SWEEP_SALE, token_delta=-5)
    row = {"position_id": "pos-a", "mint": MINT_A, "state": "closed", "launch": launch.__dict__,
           "opened_at": 2.0, "updated_at": 3.0, "buy_order": order, "sell_orders": [sell],
           "pnl_lamports": SWEEP_SALE - BUY_COST, "exit_reason": "copy: x", "outcome": "sold",
           "bought_tokens": 5, "sold_tokens": 5, "expected_tokens": 5, "exit_at": 3.0}
    d.ledger.reconcile_with_journal([row])
    d.copy_resume([row])
    assert d.copy_report()[ALICE]["pnl_lamports"] == SWEEP_SALE - BUY_COST == d.ledger.pnl_lamports
    assert d.copy_report()[ALICE]["closed"] == 1


def test_a_copy_opens_on_a_spare_armed_for_copies_when_its_reservation_covers_it():
    """director_copy_spares.py: two spares armed for copies, held back from the fast path; a copy
    within trading.buy_lamports opens on one (replaced at once), a larger one on a plain spare."""
    from messages.fastpath import ArmSpare, SpareArmed
    from messages.position import OpenPosition
    d = copying_director()
    d.createActor = lambda cls: object()   # distinct addresses: the tables compare by identity
    d.peers = replace(d.peers, wallet="wallet")
    d.spares = [object() for _ in range(3)]
    d.copy_spares_sync()
    arms = [(to, msg) for to, msg in d.sent if isinstance(msg, ArmSpare)]
    assert len(arms) == 2 and d.copy_spare_ids_held() == {id(to) for to, _ in arms}
    assert d.spare_ids_held_by_fast_path() >= d.copy_spare_ids_held()   # the stream never gets them
    for to, msg in arms:
        d.receiveMsg_SpareArmed(SpareArmed(msg.spare_id, True), to)
    buy_lamports = d.settings.trading.buy_lamports
    open_copy(d, ALICE, MINT_A, buy_lamports)
    opened = {msg.launch.mint: to for to, msg in d.sent if isinstance(msg, OpenPosition)}
    assert opened[MINT_A] in {to for to, _ in arms} and opened[MINT_A] not in d.spares
    open_copy(d, BOB, MINT_B, buy_lamports + 1)   # more than an armed spare reserved: a plain spare
    opened = {msg.launch.mint: to for to, msg in d.sent if isinstance(msg, OpenPosition)}
    assert opened[MINT_B] not in {to for to, _ in arms}
    assert len(d.spares) == 3   # each used spare replaced once


def test_the_sweep_selling_tokens_of_a_copied_coin_counts_for_its_target(world):  # noqa: F811
    """End to end: after our copy of alice's coin closed, someone sends us tokens of it (dust, as on
    mainnet); the balance monitor's sweep sells them through the Seller. Alice's PnL takes that sale,
    so the targets' PnL still sums to the total, which equals the wallet's change (world.finish)."""
    from spl.token import instructions as token_ix
    from spl.token.constants import TOKEN_PROGRAM_ID
    from spl.token.models import TransferCheckedParams
    from adapters.pumpfun import addresses
    from adapters.pumpfun.instructions import build_create_ata_idempotent
    from tests.bot.harness import SOL
    alice, giver = world.alice, world.creator   # the coin's creator: not a target
    coin = world.launch_spl("Dust")
    world.start(**{"balance.interval_seconds": 1})
    world.trade(alice, coin, buy_lamports=SOL // 10)
    world.wait_ours(coin, lambda held: held > 0)
    world.trade(alice, coin, sell_tokens=world.held(alice.pubkey(), coin))
    world.wait_ours(coin, lambda held: held == 0)
    world.bot.wait_for(lambda s: s.copy[str(alice.pubkey())]["closed"] == 1, timeout=20)

    world.trade(giver, coin, buy_lamports=SOL // 50)
    mint, ours = Pubkey.from_string(coin), world.keypair.pubkey()
    gift = token_ix.transfer_checked(TransferCheckedParams(
        program_id=TOKEN_PROGRAM_ID, source=addresses.associated_token_address(giver.pubkey(), mint),
        mint=mint, dest=addresses.associated_token_address(ours, mint), owner=giver.pubkey(),
        amount=world.held(giver.pubkey(), coin) // 2, decimals=6))
    world.chain.run(world.market.send_tx(giver, [build_create_ata_idempotent(giver.pubkey(), ours, mint), gift],
                                         [giver]))
    world.bot.wait_for(lambda s: s.sold >= 1 and s.unresolved_signatures == 0 and coin not in
                       world.chain.run(world.market.holdings(ours)), timeout=30)
    status = world.finish()   # nothing held; PnL == the wallet's change == the targets' PnL summed
    assert status.copy[str(alice.pubkey())]["pnl_lamports"] == status.pnl_lamports
