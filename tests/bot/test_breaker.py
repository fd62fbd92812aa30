"""The circuit breaker's pure policy (actors/policy/breaker.py): streaks, drawdown, off, reset."""
from actors.policy.breaker import BreakerLimits, BreakerState, after_trade, reset, trip_reason

SOL = 1_000_000_000


def feed(limits, trades, state=BreakerState()):
    for pnl, failed in trades:
        state = after_trade(state, limits, pnl, failed)
    return state


def test_zero_limits_never_trip():
    state = feed(BreakerLimits(), [(-SOL, False)] * 50 + [(0, True)] * 50)
    assert state.tripped == '' and state.consecutive_losses == 100


def test_consecutive_losses_trip_and_a_win_breaks_the_streak():
    limits = BreakerLimits(max_consecutive_losses=3)
    assert feed(limits, [(-1, False), (-1, False), (5, False), (-1, False), (-1, False)]).tripped == ''
    state = feed(limits, [(-1, False), (0, True), (-1, False)])
    assert state.tripped == '3 failed or losing trade(s) in a row'


def test_a_failed_trade_counts_as_a_loss_whatever_its_pnl_and_breakeven_is_not_a_loss():
    limits = BreakerLimits(max_consecutive_losses=1)
    assert feed(limits, [(0, False)]).tripped == ''
    assert feed(limits, [(10, True)]).tripped != ''


def test_drawdown_is_measured_from_the_peak_in_exact_lamports():
    limits = BreakerLimits(max_drawdown_lamports=SOL // 10)
    state = feed(limits, [(SOL, False), (-(SOL // 10) + 1, False)])
    assert state.tripped == '' and state.drawdown_lamports == SOL // 10 - 1
    state = after_trade(state, limits, -1, False)
    assert state.tripped == f'drawdown {SOL // 10} lamports from the peak (limit {SOL // 10})'
    assert state.pnl_lamports == SOL - SOL // 10


def test_first_reason_is_kept_and_reset_starts_afresh():
    limits = BreakerLimits(max_consecutive_losses=1, max_drawdown_lamports=100)
    state = feed(limits, [(-1, False), (-500, False)])
    assert state.tripped == '1 failed or losing trade(s) in a row'
    state = reset(state)
    assert state.tripped == '' and state.consecutive_losses == 0 and state.drawdown_lamports == 0
    assert trip_reason(state, limits) == ''
    assert after_trade(state, limits, -100, False).tripped != ''
