"""Keep thespian's TCP transport on loopback: no actor or admin port is reachable from another host.

thespian 4.0.1 binds the admin port and every actor port on all interfaces (IPBase.IPActorAddress
sets `bindname = ('', port)` for an "external" address) and unpickles whatever arrives there, so
any host that can reach a port can run code in the bot. thespian has no setting for the bind
address, so this module wraps IPActorAddress.__init__: in 'loopback' mode (the default) an address
with no explicit host advertises 127.0.0.1 (::1 for IPv6) and every address binds the loopback
host of its family, whatever it advertises. 'trusted' restores thespian's own behaviour (bind all
interfaces, advertise the outbound address) for a multi-host system on a trusted network only:
the transport has no authentication.

Applied when the `actors` package is imported (actors/__init__.py), so it is in force in the main
process before the admin is forked. Children started by fork inherit it; children started by
spawn or forkserver unpickle their transport class before they build the transport, and that class
is LoopbackTCPTransport below, defined here, so unpickling it imports this module first. The mode
travels to such children in the environment (ACTOR_NETWORK_ENV).
"""
from __future__ import annotations

import functools
import os
import socket

from thespian.system.transport import IPBase
from thespian.system.transport.TCPTransport import TCPTransport

LOOPBACK, TRUSTED = 'loopback', 'trusted'
ACTOR_NETWORK_MODES = (LOOPBACK, TRUSTED)
ACTOR_NETWORK_ENV = 'PUMPSNIPE__RUN__ACTOR_NETWORK'   # the setting run.actor_network
LOOPBACK_HOSTS = {socket.AF_INET: '127.0.0.1', socket.AF_INET6: '::1'}
ANY_HOSTS = (None, '', '0.0.0.0', '::')

_original_init = IPBase.IPActorAddress.__init__


def actor_network() -> str:
    """The mode in force in this process: 'loopback' unless 'trusted' was asked for."""
    mode = os.environ.get(ACTOR_NETWORK_ENV, '').strip().lower() or LOOPBACK
    return mode if mode in ACTOR_NETWORK_MODES else LOOPBACK   # anything unknown: the safe side


def set_actor_network(mode: str) -> None:
    """Choose the mode for this process and every actor process started after this call."""
    if mode not in ACTOR_NETWORK_MODES:
        raise ValueError(f'actor network must be one of {ACTOR_NETWORK_MODES}, not {mode!r}')
    os.environ[ACTOR_NETWORK_ENV] = mode   # so that spawned children see it too


@functools.wraps(_original_init)
def _loopback_init(self, af, socktype, proto, baseaddr, port, external=False):
    if actor_network() != LOOPBACK or af not in LOOPBACK_HOSTS:
        _original_init(self, af, socktype, proto, baseaddr, port, external)
        return
    loopback = LOOPBACK_HOSTS[af]
    if baseaddr in ANY_HOSTS:
        baseaddr = loopback   # advertise loopback instead of probing the outbound address
    _original_init(self, af, socktype, proto, baseaddr, port, external)
    # bind loopback even if an explicit other host is advertised: then nothing connects (fail
    # closed) rather than the port opening to the network
    self.bindname = (loopback, *self.sockname[1:])


class LoopbackTCPTransport(TCPTransport):
    """thespian's TCPTransport; exists so that spawn/forkserver children import this module (and so
    apply the patch) when they unpickle their transport class, before the transport binds."""


def apply() -> None:
    """Install the patch (idempotent)."""
    IPBase.IPActorAddress.__init__ = _loopback_init
    from thespian.system import multiprocTCPBase
    multiprocTCPBase.ActorSystemBase.transportType = LoopbackTCPTransport


apply()
