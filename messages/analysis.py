"""Analysis conversation: Director asks the AnalyzerPool to check a launch; it answers a decision."""
from dataclasses import dataclass
from typing import Any

from messages.stream import Launch


@dataclass(frozen=True)
class AnalyzeLaunch:
    """Director -> AnalyzerPool: check this launch against the chain within the configured deadline."""
    request_id: str
    launch: Launch
    settings: Any     # carried per job: troupe workers are created on demand and get no Start


@dataclass(frozen=True)
class AnalysisDecision:
    """AnalyzerPool -> Director: score 0-100, buy or not; reasons (text) and skip_keys (stable keys) align."""
    # reasons: human text ("top holder 62 % > 20 %"); skip_keys: the same, as short stable keys for
    # counting ("top_holder"), in the same order; missing: checks whose facts did not arrive in time
    request_id: str
    launch: Launch
    buy: bool
    score: int
    reasons: tuple = ()
    elapsed_ms: int = 0
    skip_keys: tuple = ()
    missing: tuple = ()


@dataclass(frozen=True)
class AnalysisFailed:
    """AnalyzerPool -> Director: the checks could not run (deadline, RPC error); never a buy."""
    request_id: str
    mint: str
    reason: str


@dataclass(frozen=True)
class AnalysisJob:
    """AnalyzerPool -> one of its workers: analyse, answer `reply_to`, then tell the pool JobDone."""
    request: AnalyzeLaunch
    reply_to: Any


@dataclass(frozen=True)
class JobDone:
    """Worker -> AnalyzerPool: these requests are answered (the pool frees the worker's slots)."""
    request_id: str
    more: tuple = ()     # others answered in the same wake-up: one message for all of them


@dataclass(frozen=True)
class PoolWorkersRequest:
    """-> AnalyzerPool: which worker processes run now."""
    request_id: str


@dataclass(frozen=True)
class PoolWorkers:
    """AnalyzerPool -> asker: mode, and the pids of its live workers (empty in fast mode)."""
    request_id: str
    mode: str
    pids: tuple
