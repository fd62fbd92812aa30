"""thespian 4.0.1 formats every message for a DEBUG log line whether or not that line is kept:
`thesplog('ACTOR got %s', envelope.identify())`, 'Attempting intent %s' and 'actualTransmit of %s'
call identify(), which builds str(message) -- a dataclass repr of the whole message (a Status with
its ledger, a batch of launches) -- three times per hop. Here identify() names the message's type
only: the text only ever reaches thespian's own debug log. Applied on import, in the process that
starts the actor system, so every forked actor process inherits it (actors/bridge.py imports it too)."""
from __future__ import annotations

from thespian.system import transport


def _intent_identity(self) -> str:
    return f"TransportIntent({type(self.message).__name__})"


def _envelope_identity(self) -> str:
    return f"ReceiveEnvelope({type(self.message).__name__})"


transport.TransmitIntent.identify = _intent_identity
transport.ReceiveEnvelope.identify = _envelope_identity
