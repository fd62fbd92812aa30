"""Buy then verify (analysis.verify = "after", fast mode): once its buy is on its way, a position
asks the verifier (an AnalyzerPool in full mode: metadata JSON, authorities, holders, RugCheck,
Jupiter, honeypot probe) about its coin, and sells when the answer is no, when the analysis fails,
or when no answer comes in time. The exit reason says which checks failed."""
from __future__ import annotations

from loguru import logger

from messages import new_request_id
from messages.analysis import AnalysisDecision, AnalysisFailed, AnalyzeLaunch
from messages.fastpath import VerifyAfterBuy

ANSWER_MARGIN_SECONDS = 5.0   # beyond the analysis deadline: the verifier is busy or gone
EARLY_RETRY_SECONDS = 0.05    # the request came before the OpenPosition it is about (other sender)
EARLY_RETRIES = 40


def verify_exit_reason(reasons: tuple, skip_keys: tuple) -> str:
    """'verify: top_holder, metadata' (the stable keys; the text goes to the log)."""
    return "verify: " + (", ".join(skip_keys) if skip_keys else "low score")


class BuyThenVerify:
    """Mixin of PositionActor."""
    verify_request = ""

    def _on_verify(self, msg: VerifyAfterBuy, tries: int = 0) -> None:
        if self.position is None:
            if tries < EARLY_RETRIES:
                self.wakeupAfter(EARLY_RETRY_SECONDS, payload=("verify-early", (msg, tries + 1)))
            return
        if not self.position.is_open or self.verify_request:
            return
        self.verify_request = new_request_id("verify")
        self.send(msg.verifier, AnalyzeLaunch(self.verify_request, self.position.launch, msg.settings))
        self.wakeupAfter(msg.settings.analysis.deadline_ms / 1000 + ANSWER_MARGIN_SECONDS,
                         payload=("verify", self.verify_request))

    def _on_verify_decision(self, msg: AnalysisDecision) -> None:
        if msg.request_id != self.verify_request:
            return
        self.verify_request = "done"
        if msg.buy:
            logger.info("position {}: verified after the buy (score {})", self._mint, msg.score)
            return
        logger.warning("position {}: failed the checks after the buy (score {}): {}; selling",
                       self._mint, msg.score, "; ".join(msg.reasons) or "low score")
        self._request_exit(verify_exit_reason(msg.reasons, msg.skip_keys))

    def _on_verify_failed(self, msg: AnalysisFailed) -> None:
        if msg.request_id != self.verify_request:
            return
        self.verify_request = "done"
        logger.warning("position {}: the checks after the buy could not run ({}); selling",
                       self._mint, msg.reason)
        self._request_exit("verify: analysis failed")

    def _verify_timed_out(self, request_id: str) -> None:
        if request_id != self.verify_request:
            return
        self.verify_request = "done"
        logger.warning("position {}: no answer from the checks after the buy; selling", self._mint)
        self._request_exit("verify: no answer")
