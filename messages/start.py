"""Start messages: the Director starts each actor with exactly one of these (settings + peers)."""
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Peers:
    """Current addresses of the long-lived actors; re-sent whenever one of them is restarted."""
    director: Any = None
    wallet: Any = None
    seller: Any = None
    stream: Any = None
    analyzer: Any = None


@dataclass(frozen=True)
class StartDirector:
    """run.py -> Root -> Director: start the whole tree; `reporter` gets lifecycle notices (may be None)."""
    # from the Root (actors/root.py): `root` gets the ledger's mirror; `ledger` is the last mirrored
    # one (a restarted Director resumes from it and the journal); `buying` (None: the settings
    # decide) and `closing_all` keep what run.py asked of a Director that died
    settings: Any
    reporter: Any = None
    root: Any = None
    ledger: Any = None
    buying: Any = None
    closing_all: bool = False
    restart: int = 0          # 0 on the first start, n on the n-th restart


@dataclass(frozen=True)
class DirectorStarted:
    """Director -> run.py: every child is up (or the reason it could not start)."""
    ok: bool
    reason: str = ""


@dataclass(frozen=True)
class StartWallet:
    """Director -> WalletActor: own the wallet's balances and reservations."""
    settings: Any
    peers: Peers


@dataclass(frozen=True)
class StartSeller:
    """Director -> SellerActor: sell tokens on request, reporting every sent tx to the Director."""
    settings: Any
    peers: Peers


@dataclass(frozen=True)
class StartStream:
    """Director -> StreamActor: subscribe; `watched` maps mint -> PositionActor already interested."""
    settings: Any
    peers: Peers
    watched: tuple = ()   # ((mint, position_address), ...)
    copy_since: tuple = ()   # ((copy target, last signature of theirs seen), ...): actors/copy_gaps.py


@dataclass(frozen=True)
class StartAnalyzer:
    """Director -> AnalyzerPool: analyse launches against the chain."""
    settings: Any
    peers: Peers


@dataclass(frozen=True)
class StartBalanceMonitor:
    """Director -> BalanceMonitorActor: tick every BALANCE_MONITOR_INTERVAL_SECONDS."""
    settings: Any
    peers: Peers


@dataclass(frozen=True)
class StartPosition:
    """Director -> PositionActor: settings and peers; the position itself comes with OpenPosition."""
    settings: Any
    peers: Peers
    spare: bool = field(default=True)


@dataclass(frozen=True)
class StartFailed:
    """any child -> Director: its Start failed (bad key, unreadable journal): the run must stop."""
    name: str
    reason: str


@dataclass(frozen=True)
class PeersChanged:
    """Director -> any actor: a peer was restarted, use these addresses from now on."""
    peers: Peers


@dataclass(frozen=True)
class StartChainCache:
    """Director -> ChainCacheActor: keep the shared blockhash and fee rates fresh (actors/chain_cache.py)."""
    settings: Any
