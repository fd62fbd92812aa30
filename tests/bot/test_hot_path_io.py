"""The fast path's own I/O: the spare's lane (actors/spare_lane.py) and the hot send
(adapters/hot_send.py), against a real local chain's JSON-RPC on loopback."""
from __future__ import annotations

import os
import socket
import stat
import time

import pytest
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.transaction import VersionedTransaction

from actors.spare_lane import (LaneReceiver, LaneSender, MalformedRecord, decode_open, encode_open,
                               remove_stale_lanes)
from adapters.hot_send import HotSender
from messages.position import OpenPosition
from tests.bot.harness import SOL, ChainThread
from tests.bot.test_messages import make_launch
from tests.localnet.helpers import sol_transfer

pytestmark = pytest.mark.timeout(60)


# ---- the lane --------------------------------------------------------------------------------
def test_lane_carries_an_open_position_and_only_this_user_can_reach_it():
    receiver, sender = LaneReceiver(), LaneSender()
    try:
        assert stat.S_IMODE(os.stat(receiver.directory).st_mode) == 0o700
        opening = OpenPosition("pos-1", make_launch(received_at=time.time()), 123.5)
        assert sender.send(receiver.path, "spare-1", opening)
        assert receiver.drain() == [("spare-1", opening)]
        assert receiver.drain() == []
    finally:
        receiver.close()
        sender.close()
    assert not os.path.exists(receiver.directory)
    assert not LaneSender().send(receiver.path, "spare-1", opening)   # gone: the caller uses thespian


def test_a_killed_spares_lane_directory_is_removed_and_a_live_ones_kept(tmp_path):
    """A SIGKILLed spare leaves its lane directory behind; remove_stale_lanes (the Director's
    start) finds it by the pid in its name and removes it, never one whose process lives."""
    import signal
    import subprocess
    import sys
    code = ("import sys; from actors.spare_lane import LaneReceiver; "
            f"print(LaneReceiver({str(tmp_path)!r}).directory, flush=True); sys.stdin.read()")
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    killed = child.stdout.readline().strip()
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    live = LaneReceiver(str(tmp_path))
    try:
        assert os.path.isdir(killed) and str(child.pid) in os.path.basename(killed)
        assert remove_stale_lanes(str(tmp_path)) == 1
        assert not os.path.exists(killed) and os.path.exists(live.path)
    finally:
        live.close()


def test_lane_refuses_a_launch_it_cannot_carry_as_plain_values():
    """Launch.pool_state (a copied pool buy's) is not a plain value: thespian carries that one."""
    receiver, sender = LaneReceiver(), LaneSender()
    try:
        launch = make_launch(received_at=time.time())
        pooled = launch.__class__(**{**launch.__dict__, "pool_state": object()})
        assert not sender.send(receiver.path, "spare-1", OpenPosition("pos-9", pooled, 1.0))
        assert receiver.drain() == []
    finally:
        receiver.close()
        sender.close()


def test_lane_counts_and_drops_what_is_not_a_record():
    receiver, sender = LaneReceiver(), LaneSender()
    try:
        good = encode_open("s", OpenPosition("pos-2", make_launch(), 1.0))
        for junk in (b"\x80\x04pickle", b"[]", good.replace(b"[1,", b"[2,", 1),   # wrong version
                     good.replace(b'"pos-2"', b"7", 1)):                          # id not a str
            sender.sock.sendto(junk, receiver.path)
        sender.sock.sendto(good, receiver.path)
        records = receiver.drain()
        assert [r[1].request_id for r in records] == ["pos-2"] and receiver.malformed == 4
    finally:
        receiver.close()
        sender.close()


def test_lane_refuses_a_field_of_the_wrong_type():
    record = encode_open("s", OpenPosition("pos-3", make_launch(), 1.0)).decode()
    with pytest.raises(MalformedRecord, match="virtual_token_reserves"):
        # the first int field sent as a string
        launch = make_launch()
        decode_open(record.replace(str(launch.virtual_token_reserves), f'"{launch.virtual_token_reserves}"', 1)
                    .encode())


# ---- the hot send ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chain():
    chain = ChainThread().start()
    yield chain
    chain.stop()


def signed_transfer(chain, payer: Keypair, to, lamports: int) -> bytes:
    recent = chain.run(chain.rpc.get_latest_blockhash())
    message = MessageV0.try_compile(payer.pubkey(), [sol_transfer(payer, to, lamports)], [], recent.blockhash)
    return bytes(VersionedTransaction(message, [payer]))


def reply(chain, sender, connection):
    return chain.run(sender.reply(connection))


def test_hot_send_delivers_a_transaction_written_from_this_thread(chain):
    payer, to = Keypair(), Keypair()
    async def airdrop():   # on the chain's own loop
        chain.node.chain.airdrop(payer.pubkey(), SOL)
    chain.run(airdrop())
    sender = HotSender(chain.node.rpc_url, "confirmed", 5.0)
    sender.connect()
    connection = sender.write(signed_transfer(chain, payer, to.pubkey(), 1_234_567))
    assert connection is not None
    assert reply(chain, sender, connection) == ("", True)
    deadline = time.monotonic() + 10
    while chain.run(chain.rpc.get_balance(to.pubkey())) != 1_234_567:
        assert time.monotonic() < deadline, "the transfer never landed"
        time.sleep(0.05)
    # the same connection is reused for the next one
    again = sender.write(signed_transfer(chain, payer, to.pubkey(), 1))
    assert again is connection and reply(chain, sender, again) == ("", True)
    sender.close()


def test_hot_send_reports_a_refusal_as_not_sent(chain):
    sender = HotSender(chain.node.rpc_url, "confirmed", 5.0)
    sender.connect()
    connection = sender.write(b"\x01" + bytes(40))   # not a transaction: the node refuses it
    error, maybe_sent = reply(chain, sender, connection)
    assert error.startswith("send failed:") and maybe_sent is False
    sender.close()


def test_hot_send_writes_nothing_without_an_idle_connection(chain):
    assert HotSender("https://127.0.0.1:1/", "confirmed", 1.0).usable is False
    listener = socket.create_server(("127.0.0.1", 0))   # accepts, then closes: a node that hung up
    sender = HotSender(f"http://127.0.0.1:{listener.getsockname()[1]}/", "confirmed", 1.0)
    sender.connect()
    for _ in sender.connections:
        accepted, _ = listener.accept()
        accepted.close()
    time.sleep(0.05)
    assert sender.write(b"tx") is None   # nothing written: the caller takes the ordinary path
    listener.close()
    unused = HotSender(chain.node.rpc_url, "confirmed", 1.0)   # never connected
    assert unused.write(b"tx") is None


def test_a_rehearsed_journal_write_leaves_no_row(tmp_path):
    """An armed spare rehearses its buy's journal row in a rolled-back transaction (position_arming.py)."""
    from actors.position_model import Position
    from adapters.journal import Journal
    journal = Journal(tmp_path / "journal.sqlite3")
    row = Position("pos-rehearsal", make_launch()).to_row()
    journal.rehearse_save(row)
    assert journal.load("pos-rehearsal") is None and journal.all_positions() == []
    journal.save(row)   # the connection is usable after it: the real write lands
    assert journal.load("pos-rehearsal")["mint"] == row["mint"]
    journal.close()
