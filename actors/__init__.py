"""The bot's actors. Importing this package first keeps thespian's transport on loopback
(actors/loopback.py): every process that builds an actor system or an actor imports it."""
from actors import loopback as _loopback   # noqa: F401  (applied on import)
