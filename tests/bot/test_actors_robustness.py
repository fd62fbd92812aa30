"""Bad input never kills an actor: junk and malformed messages are logged or refused, and the actor
keeps answering. Runs without a chain: the actors are started with settings pointing nowhere."""
from __future__ import annotations

import pytest

from actors.director import Director
from actors.position import PositionActor
from actors.seller import SellerActor
from actors.system import BotActorSystem
from actors.wallet import WalletActor
from config.settings import load_settings
from messages.position import OpenPosition, PositionFailed
from messages.seller import SellFailed, SellTokens
from messages.start import Peers, StartPosition, StartSeller, StartWallet
from messages.status import PidReply, PidRequest, Status, StatusRequest
from messages.stream import LaunchBatch, TradeBatch
from messages.wallet import ReservationRefused, ReserveFunds

pytestmark = pytest.mark.timeout(60)
JUNK = [None, 42, "hello", b"\x00\x01", {"a": 1}, LaunchBatch(("not a launch",)), TradeBatch((1, 2))]


@pytest.fixture
def system(tmp_path):
    with BotActorSystem(start_method="fork") as running:
        yield running


@pytest.fixture
def settings(tmp_path):
    return load_settings(env={}, overrides={"chain.rpc_urls": ["http://127.0.0.1:9"],
                                            "run.runs_dir": str(tmp_path), "run.quiet": True})


@pytest.mark.parametrize("actor_class", [Director, WalletActor, SellerActor, PositionActor])
def test_junk_does_not_kill_actors(system, actor_class):
    actor = system.create_actor(actor_class)
    for junk in JUNK:
        system.tell(actor, junk)
    reply = system.ask(actor, PidRequest("alive"), timeout=10)
    assert isinstance(reply, PidReply) and reply.request_id == "alive"


def test_director_status_before_start(system):
    director = system.create_actor(Director)
    system.tell(director, LaunchBatch(("junk",)))
    reply = system.ask(director, StatusRequest("s"), timeout=10)
    assert isinstance(reply, Status) and reply.request_id == "s"


def test_requests_without_a_keypair_get_explicit_failures(system, settings):
    # no keypair configured: every actor that needs one refuses clearly instead of dying
    wallet = system.create_actor(WalletActor)
    system.tell(wallet, StartWallet(settings, Peers()))
    reply = system.ask(wallet, ReserveFunds("r", "M", 1_000), timeout=10)
    assert isinstance(reply, ReservationRefused) and reply.request_id == "r"
    seller = system.create_actor(SellerActor)
    system.tell(seller, StartSeller(settings, Peers()))
    reply = system.ask(seller, SellTokens("s", "M", "T"), timeout=10)
    assert isinstance(reply, SellFailed) and reply.request_id == "s"
    position = system.create_actor(PositionActor)
    system.tell(position, StartPosition(settings, Peers(director=None)))
    reply = system.ask(position, OpenPosition("o", "not a launch", 0.0), timeout=10)
    assert reply is None or isinstance(reply, PositionFailed)
    assert isinstance(system.ask(position, PidRequest("p"), timeout=10), PidReply)
