"""The chain core on its own: listeners, records, slots and the faucet."""
from __future__ import annotations

from solders.keypair import Keypair
from solders.message import MessageV0
from solders.transaction import VersionedTransaction

from localnet.chain import Chain, faucet_keypair_for_seed
from tests.localnet.helpers import SOL, sol_transfer


class Recorder:
    def __init__(self, fail: bool = False):
        self.transactions, self.slots, self.fail = [], [], fail

    def on_transaction(self, record):
        self.transactions.append(record)
        if self.fail:
            raise RuntimeError("listener bug")

    def on_slot(self, slot, parent, status):
        self.slots.append((slot, parent, status))
        if self.fail:
            raise RuntimeError("listener bug")


def test_listeners_see_transactions_and_slots_and_a_failing_listener_breaks_nothing():
    chain = Chain(slot_ms=0, confirmed_lag=1, finalized_lag=2)
    broken, good = Recorder(fail=True), Recorder()
    chain.add_listener(broken)
    remove_good = chain.add_listener(good)
    first = chain.airdrop(Keypair().pubkey(), SOL)
    second = chain.airdrop(Keypair().pubkey(), SOL)
    assert [r.signature for r in good.transactions] == [first.signature, second.signature]
    assert (first.index, second.index, first.slot) == (0, 1, second.slot)
    assert first.account_keys[0] == chain.faucet.pubkey() and not first.is_vote
    start = chain.slot
    chain.advance_slot()
    chain.advance_slot()
    assert good.slots == [(start + 1, start, "processed"), (start, start - 1, "confirmed"),
                          (start + 2, start + 1, "processed"), (start + 1, start, "confirmed"),
                          (start, start - 1, "finalized")]
    remove_good()
    chain.airdrop(Keypair().pubkey(), SOL)
    assert len(good.transactions) == 2 and len(broken.transactions) == 3


def test_record_store_is_bounded_and_faucet_is_deterministic():
    chain = Chain(slot_ms=0, record_capacity=3, seed=5)
    records = [chain.airdrop(Keypair().pubkey(), SOL) for _ in range(5)]
    assert chain.get_record(records[0].signature) is None
    assert chain.get_record(records[-1].signature) is records[-1]
    assert chain.faucet.pubkey() == faucet_keypair_for_seed(5).pubkey() != faucet_keypair_for_seed(6).pubkey()


def test_pre_and_post_balances_and_block_time():
    chain = Chain(slot_ms=0)
    alice, bob = Keypair(), Keypair()
    chain.airdrop(alice.pubkey(), 2 * SOL)
    tx = VersionedTransaction(MessageV0.try_compile(alice.pubkey(), [sol_transfer(alice, bob.pubkey(), SOL)], [],
                                                    chain.latest_blockhash()[0]), [alice])
    record = chain.execute(tx)
    assert record.pre_balances[:2] == [2 * SOL, 0] and record.post_balances[:2] == [SOL - 5000, SOL]
    assert record.block_time > 1_600_000_000 and record.executed_at > 0 and record.err is None


async def test_a_transaction_after_its_slot_time_opens_the_next_slot_while_the_clock_task_waits():
    """The node's loop may be busy past a slot boundary (the clock's task cannot run then); a
    transaction executing after the boundary still lands in the next slot, announced first."""
    import time
    chain = Chain(slot_ms=50)
    events = []

    class InOrder:
        def on_transaction(self, record):
            events.append(("transaction", record.slot))

        def on_slot(self, slot, parent, status):
            events.append((status, slot))
    chain.add_listener(InOrder())
    chain.start_clock()
    try:
        start = chain.slot
        time.sleep(0.12)   # holds the loop: the clock's task never runs meanwhile
        record = chain.airdrop(Keypair().pubkey(), SOL)
        assert record.slot == start + 1   # one slot, not two: a stall is not caught up slot by slot
        assert events[0] == ("processed", start + 1) and events[-1] == ("transaction", start + 1)
    finally:
        await chain.stop_clock()
