"""Nothing the bot starts listens off loopback (actors/loopback.py; issue 8 point 1).

(a) a real `python run.py --duration N` run on the local chain: every listening socket (TCP and
UDP, v4 and v6) of every process of the run, found by an environment marker each of them inherits
(run.py, the actor admin/logger/actors in their own session, the local chain), is on loopback;
(b) an actor's and the admin's port refuse a connection made to a non-loopback address of this
machine, for each process start method; (c) only run.actor_network = 'trusted' binds all interfaces.
"""
import ipaddress
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest
from thespian.actors import Actor
from thespian.system.transport.IPBase import TCPv4ActorAddress, TCPv6ActorAddress

from actors import loopback
from actors.system import BotActorSystem
from config.parsing import ConfigError
from config.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
RUN_SECONDS = 8


class Echo(Actor):
    def receiveMessage(self, msg, sender):
        if isinstance(msg, str):
            self.send(sender, msg)


def is_loopback(ip: str) -> bool:
    address = ipaddress.ip_address(ip.split('%')[0])
    mapped = getattr(address, 'ipv4_mapped', None)
    return (mapped or address).is_loopback


def listening_sockets(processes) -> set[tuple]:
    """(pid, name, proto, ip, port) of every TCP LISTEN socket and unconnected bound UDP socket."""
    found = set()
    for proc in processes:
        try:
            name = proc.name()
            for conn in proc.net_connections('inet'):
                udp_bound = conn.type == socket.SOCK_DGRAM and conn.laddr and not conn.raddr
                if conn.status == psutil.CONN_LISTEN or udp_bound:
                    proto = ('tcp' if conn.type == socket.SOCK_STREAM else 'udp') + \
                            ('6' if conn.family == socket.AF_INET6 else '')
                    found.add((proc.pid, name, proto, conn.laddr.ip, conn.laddr.port))
        except psutil.Error:
            continue
    return found


def processes_with(marker: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get('PUMPSNIPE_TEST_MARKER') == marker:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def sockets_of_a_run(tmp_path: Path, extra_env: dict | None = None) -> set[tuple]:
    """Run run.py on the local chain; union of the listening sockets seen while it runs."""
    marker = uuid.uuid4().hex
    env = {name: value for name, value in os.environ.items() if name != loopback.ACTOR_NETWORK_ENV}
    env.update({'RUNS_DIR': str(tmp_path / 'runs'), 'PUMPSNIPE_TEST_MARKER': marker,
                **(extra_env or {})})
    run = subprocess.Popen([sys.executable, str(ROOT / 'run.py'), '--duration', str(RUN_SECONDS),
                            '--quiet', '--seed', '5'], env=env, cwd=tmp_path,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: set[tuple] = set()
    try:
        while run.poll() is None:
            seen |= listening_sockets(processes_with(marker))
            time.sleep(0.3)
        out, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, err[-2000:]
    assert '--- summary' in out
    return seen


def print_sockets(title: str, sockets: set[tuple]) -> None:
    print(f'{title}: {len(sockets)} listening socket(s)')
    for pid, name, proto, ip, port in sorted(sockets, key=lambda s: (s[0], s[4])):
        print(f'  pid {pid:>7} {name:<16} {proto:<5} {ip}:{port}')


@pytest.mark.timeout(150)
def test_a_whole_run_listens_on_loopback_only(tmp_path):
    sockets = sockets_of_a_run(tmp_path)
    print_sockets('run.py (default: loopback)', sockets)
    # the run had its admin, logger, Director, stream, wallet, seller, ... and the chain's servers
    assert len({pid for pid, *_ in sockets}) >= 8 and len(sockets) >= 12, sockets
    exposed = sorted(s for s in sockets if not is_loopback(s[3]))
    assert exposed == [], f'listening off loopback: {exposed}'


def non_loopback_addresses() -> list[str]:
    found = []
    for addrs in psutil.net_if_addrs().values():
        for addr in addrs:
            if addr.family == socket.AF_INET and not is_loopback(addr.address):
                found.append(addr.address)
    return found


def connects(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


@pytest.mark.timeout(90)
@pytest.mark.parametrize('start_method', ['fork', 'forkserver', 'spawn'])
def test_b_actor_ports_refuse_a_non_loopback_address(start_method, monkeypatch):
    outside = non_loopback_addresses()
    if not outside:
        pytest.skip('this machine has no non-loopback IPv4 address to connect from')
    monkeypatch.setenv(loopback.ACTOR_NETWORK_ENV, 'loopback')
    with BotActorSystem(start_method=start_method) as system:
        echo = system.create_actor(Echo)
        assert system.ask(echo, 'ping') == 'ping'
        ports = {'actor': echo.addressDetails.sockname[1], 'admin': system.admin_port}
        for role, port in ports.items():
            assert connects('127.0.0.1', port), f'{role} port {port} should answer on loopback'
            for host in outside:
                assert not connects(host, port), f'{role} port {port} accepted {host}'
        sockets = listening_sockets(system.processes())
        assert sockets and all(is_loopback(ip) for _, _, _, ip, _ in sockets), sockets


@pytest.mark.parametrize('address_class, loopback_host', [(TCPv4ActorAddress, '127.0.0.1'),
                                                          (TCPv6ActorAddress, '::1')])
def test_c_loopback_by_default_all_interfaces_only_when_trusted(address_class, loopback_host,
                                                               monkeypatch):
    monkeypatch.setenv(loopback.ACTOR_NETWORK_ENV, 'loopback')
    assert loopback.actor_network() == 'loopback'
    for external in (False, True, ('', 1900)):
        address = address_class(None, 0, external=external)
        assert address.sockname[0] == loopback_host and address.bindname[0] == loopback_host
    # an explicitly advertised other host still binds loopback only (fails closed)
    if address_class is TCPv4ActorAddress:
        address = address_class('192.0.2.7', 4321, external=True)
        assert address.sockname == ('192.0.2.7', 4321) and address.bindname == ('127.0.0.1', 4321)
        monkeypatch.setenv(loopback.ACTOR_NETWORK_ENV, 'nonsense')    # unknown: the safe side
        assert address_class(None, 0, external=True).bindname == ('127.0.0.1', 0)
        monkeypatch.setenv(loopback.ACTOR_NETWORK_ENV, 'trusted')
        assert address_class(None, 0, external=True).bindname == ('', 0)   # thespian's own


def test_c_actor_network_setting(monkeypatch):
    monkeypatch.setenv(loopback.ACTOR_NETWORK_ENV, 'loopback')
    assert load_settings(env={}).run.actor_network == 'loopback'
    assert load_settings(env={'PUMPSNIPE__RUN__ACTOR_NETWORK': 'trusted'}).run.actor_network \
        == 'trusted'
    with pytest.raises(ConfigError, match='run.actor_network'):
        load_settings(overrides={'run.actor_network': 'public'}, env={})
    loopback.set_actor_network('trusted')
    assert loopback.actor_network() == 'trusted' and \
        os.environ[loopback.ACTOR_NETWORK_ENV] == 'trusted'   # spawned children see it too
    with pytest.raises(ValueError):
        loopback.set_actor_network('public')
