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
    """AnalyzerPool -> Director: score 0-100 and whether to buy; `reasons` says why not."""
    request_id: str
    launch: Launch
    buy: bool
    score: int
    reasons: tuple = ()
    elapsed_ms: int = 0


@dataclass(frozen=True)
class AnalysisFailed:
    """AnalyzerPool -> Director: the checks could not run (deadline, RPC error); never a buy."""
    request_id: str
    mint: str
    reason: str
