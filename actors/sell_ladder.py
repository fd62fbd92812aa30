"""The one must-sell ladder, used by the SellerActor and every PositionActor alike.

Rungs in order: native pump.fun x3, then Jupiter x3 (its route also reaches a graduated coin's
PumpSwap pool). Each attempt is bounded by its own blockhash (it is rebroadcast until it lands or
its last_valid_block_height passes, trading_io.ChainAccess.confirm), never by a cap on the whole
request, so a dropped or failed native attempt always leaves room for the Jupiter rung. A native
attempt that meets a complete curve whose pool is not there yet waits for it first, up to
trading.migration_wait_seconds (actors/pool_sell.py); a Jupiter sale is followed by the close of the
token account it emptied (actors/account_close.py). After the
last rung the tokens are "unsellable" with the last reason; they stay in the wallet, where the
balance monitor's next sweep (or a later SellTokens) tries the ladder again.
"""
from __future__ import annotations

NATIVE, JUPITER = "native", "jupiter"
RUNGS = (NATIVE, JUPITER)
ATTEMPTS_PER_RUNG = 3
MAX_ATTEMPTS = ATTEMPTS_PER_RUNG * len(RUNGS)


def rung_for(failed_attempts: int) -> str | None:
    """The rung of the next attempt after `failed_attempts` failures; None: the ladder is done."""
    index = failed_attempts // ATTEMPTS_PER_RUNG
    return RUNGS[index] if 0 <= index < len(RUNGS) else None


def first_attempt_of(rung: str) -> int:
    """How many failures put the next attempt on `rung` (a complete curve jumps to Jupiter)."""
    return RUNGS.index(rung) * ATTEMPTS_PER_RUNG


def backoff_seconds(failed_attempts: int, first: float) -> float:
    """Pause before the next attempt: first, 2x, 4x within a rung; a new rung starts at `first`."""
    return first * 2 ** ((max(failed_attempts, 1) - 1) % ATTEMPTS_PER_RUNG)


def unsellable_reason(attempts_by_rung: dict, last_error: str) -> str:
    """One line: how many attempts each rung made and the last error."""
    tried = ", ".join(f"{rung} x{attempts_by_rung.get(rung, 0)}" for rung in RUNGS)
    return f"unsellable after {sum(attempts_by_rung.values())} attempt(s) ({tried}): {last_error}"
