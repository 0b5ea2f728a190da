"""D' balance (Skiba differential form on speed) against hand-worked answers and a plain loop."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic import synthetic_track

from finishline.athlete import Athlete, for_race, race_critical_speed_mps
from finishline.definitions import MARATHON_FRACTION_OF_CS
from finishline.errors import EstimateWarning
from finishline.fatigue.dprime import d_prime_balance, d_prime_state


def loop_balance(speed, step, cs, dp, start=None):
    """Skiba's differential model, one step at a time (the reference implementation)."""
    bal = dp if start is None else start
    out = []
    for v, dt in zip(speed, step, strict=True):
        if np.isfinite(v):
            if v > cs:
                bal -= (v - cs) * dt
            else:
                bal = dp - (dp - bal) * math.exp(-(cs - v) * dt / dp)
        out.append(bal)
    return np.array(out)


def test_hand_worked_surge_then_recovery():
    # CS 4.0 m/s, D' 200 m: 30 s at 5.0 m/s spends 30 x 1.0 m = 30 m -> 170 m.
    # Then 60 s at 3.0 m/s: deficit 30 m decays by exp(-(4 - 3) * 60 / 200) = exp(-0.3)
    # = 0.740818 -> 22.2245 m left to recover -> D'bal = 177.7755 m.
    speed = np.r_[np.full(30, 5.0), np.full(60, 3.0)]
    bal = d_prime_balance(speed, np.ones(90), critical_speed_mps=4.0, d_prime_m=200.0)
    assert bal[29] == pytest.approx(170.0, abs=1e-9)
    assert bal[29 + 10] == pytest.approx(200.0 - 30.0 * math.exp(-10 / 200), abs=1e-9)
    assert bal[-1] == pytest.approx(177.7755, abs=1e-4)
    assert np.all(np.diff(bal[:30]) == pytest.approx(-1.0))
    assert np.all(np.diff(bal[30:]) > 0)


def test_below_cs_from_full_stays_full():
    bal = d_prime_balance(np.full(1000, 3.0), np.ones(1000), 4.0, 200.0)
    assert np.allclose(bal, 200.0)


def test_overspend_goes_negative_unclipped():
    bal = d_prime_balance(np.full(100, 6.0), np.ones(100), 4.0, 150.0)
    assert bal[-1] == pytest.approx(150.0 - 200.0)


def test_long_recovery_does_not_overflow_and_matches_loop():
    # 5 h walking far below CS with a small D': cumulative decay ~exp(-1800), many blocks.
    speed = np.r_[np.full(60, 8.0), np.full(18_000, 1.0), np.full(60, 8.0), np.full(600, 1.0)]
    step = np.ones_like(speed)
    fast = d_prime_balance(speed, step, 6.0, 50.0)
    assert np.all(np.isfinite(fast))
    np.testing.assert_allclose(fast, loop_balance(speed, step, 6.0, 50.0), atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    speed=st.lists(st.one_of(st.floats(0.0, 8.0), st.just(float("nan"))), min_size=1, max_size=400),
    cs=st.floats(2.5, 6.0),
    dp=st.floats(50.0, 400.0),
)
def test_vectorised_equals_loop(speed, cs, dp):
    speed = np.array(speed)
    step = np.ones_like(speed)
    np.testing.assert_allclose(
        d_prime_balance(speed, step, cs, dp), loop_balance(speed, step, cs, dp), atol=1e-7
    )


def test_estimated_cs_is_mean_speed_over_marathon_fraction():
    track = synthetic_track(((42_195.0, 3.4),))
    with pytest.warns(EstimateWarning, match="critical speed estimated"):
        athlete = for_race(Athlete(), track)
    assert athlete.critical_speed_mps == pytest.approx(3.4 / MARATHON_FRACTION_OF_CS, rel=1e-6)
    assert athlete.rule("critical_speed_mps").startswith("mean grade-adjusted race speed")


def test_state_on_steady_marathon_below_cs():
    track = synthetic_track(((42_195.0, 3.5),))
    state = d_prime_state(track, critical_speed_mps=4.0, d_prime_m=150.0)
    assert np.allclose(state["d_prime_balance_m"], 150.0)
    assert np.allclose(state["cs_fraction"], 3.5 / 4.0)


def test_state_without_speed_is_nan_not_error():
    track = synthetic_track(((5_000.0, 3.5),))
    track["speed_mps"] = np.nan
    track["gap_speed_mps"] = np.nan
    state = d_prime_state(track, critical_speed_mps=4.0)
    assert state["cs_fraction"].isna().all()
    assert np.allclose(state["d_prime_balance_m"], 150.0)
    assert math.isnan(race_critical_speed_mps(track))
