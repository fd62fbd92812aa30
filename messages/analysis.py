"""Analysis conversation: Director asks the AnalyzerPool to check a launch; it answers a decision."""
from dataclasses import dataclass
from typing import Any

from messages.stream import Launch


@dataclass(frozen=True)
class AnalyzeLaunch:
    """Director -> AnalyzerPool: check this launch against the chain within the configured deadline."""
    request_id: str
    launch: Launch
    settings: Any     # None: the pool's own (its StartAnalyzer's); a position's verify passes its own


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


# ---- batches: one message per wake-up instead of one per launch (each thespian message costs a
# pickle, a TCP write and an ack on both sides: ~0.3-0.5 ms of CPU, more than an analysis's checks)
@dataclass(frozen=True)
class AnalyzeLaunches:
    """Director -> AnalyzerPool: the launches of one LaunchBatch, each an AnalyzeLaunch."""
    requests: tuple


@dataclass(frozen=True)
class AnalysisJobs:
    """AnalyzerPool -> one worker: the jobs it is given in one dispatch, each an AnalysisJob."""
    jobs: tuple


@dataclass(frozen=True)
class OpenAnalysisChannel:
    """Director -> in-process analyser: open the analysis channel (actors/analysis_channel.py)."""
    request_id: str = ""


@dataclass(frozen=True)
class AnalysisChannelOpen:
    """In-process analyser -> who asked: connect to 127.0.0.1:port and send token first."""
    port: int
    token: bytes


@dataclass(frozen=True)
class AnalysisDecisions:
    """AnalyzerPool or worker -> one asker: the AnalysisDecision / AnalysisFailed answers of one wake-up."""
    answers: tuple


_BATCH_OF = {AnalyzeLaunch: AnalyzeLaunches, AnalysisJob: AnalysisJobs,
             AnalysisDecision: AnalysisDecisions, AnalysisFailed: AnalysisDecisions}


def bundled(messages: list):
    """The message to send for `messages` (all of one conversation, to one receiver): the message
    itself when it is alone (a receiver that never asked for more than one sees no batch type),
    else one batch holding them all."""
    if len(messages) == 1:
        return messages[0]
    return _BATCH_OF[type(messages[0])](tuple(messages))


def unbundled(msg) -> tuple:
    """The single messages a message holds (itself when it is not a batch)."""
    if isinstance(msg, AnalyzeLaunches):
        return msg.requests
    if isinstance(msg, AnalysisJobs):
        return msg.jobs
    if isinstance(msg, AnalysisDecisions):
        return msg.answers
    return (msg,)
