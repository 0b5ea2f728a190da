"""Running power where the race and the season use effort: splits, the mean-maximal power
curve, Pw:HR decoupling and critical power, on tracks and seasons with known answers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic import synthetic_track
from test_training_vectorised import synthetic_season

from finishline.metrics.decoupling import decoupling, pa_hr_between, pw_hr_between
from finishline.metrics.efforts import counted_seconds, effort_series
from finishline.metrics.power import mean_max_power, power_curve
from finishline.metrics.splits import splits
from finishline.training.batch import BatchResult
from finishline.training.critical_power import (
    CP_DURATIONS_S,
    CriticalPowerFit,
    fit_critical_power,
)
from finishline.training.features import CURVE_DURATIONS_S
from finishline.training.season import analyze_season


def _brute_mean_max(power: np.ndarray, w: int) -> float:
    """Best mean of ``w`` consecutive samples, windows with a NaN skipped (pandas' rolling)."""
    rolled = pd.Series(power).rolling(w, min_periods=w).mean()
    return float(rolled.max()) if rolled.notna().any() else float("nan")


def _power_track(power: np.ndarray | None = None, speed: float = 4.0, km: float = 10.0):
    """A flat track at ``speed`` m/s with HR 150 and the given (or a wavy) power."""
    track = synthetic_track(((km * 1000.0, speed),), heart_rate=lambda v, d: np.full(v.size, 150.0))
    n = len(track)
    if power is None:
        power = 250.0 + 30.0 * np.sin(np.arange(n) / 37.0)
    track["power_w"] = power[:n]
    return track


# --- splits ---------------------------------------------------------------------------------


def test_split_power_is_the_mean_over_moving_seconds_with_power() -> None:
    rng = np.random.default_rng(1)
    track = _power_track(rng.uniform(150.0, 350.0, 3000))
    stopped = rng.random(len(track)) < 0.05
    track.loc[stopped, "moving"] = False
    track.loc[stopped, "power_w"] = 5000.0  # standing seconds must not count
    dropout = rng.random(len(track)) < 0.03
    track.loc[dropout, "power_w"] = np.nan
    table = splits(track, 1000.0)
    t = track["elapsed_s"].to_numpy()
    ok = track["moving"].to_numpy() & track["power_w"].notna().to_numpy()
    for row in table.itertuples():
        # 1000 m at 4 m/s: every boundary falls on a whole second
        inside = (t >= row.start_s) & (t < row.end_s) & ok
        expected = track["power_w"].to_numpy()[inside].mean()
        assert row.avg_power_w == pytest.approx(expected, rel=1e-12)


def test_splits_without_power_have_nan_power() -> None:
    track = synthetic_track(((5000.0, 3.5),))
    for unit in (1000.0, 1609.344):
        assert splits(track, unit)["avg_power_w"].isna().all()


# --- the power curve -------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.floats(0.0, 600.0), st.just(float("nan"))), min_size=1, max_size=120))
def test_mean_max_power_is_the_brute_force_rolling_best(values: list[float]) -> None:
    power = np.asarray(values, dtype=float)
    durations = np.arange(1, power.size + 1)
    best = mean_max_power(power, durations)
    for w, got in zip(durations, best, strict=True):
        want = _brute_mean_max(power, int(w))
        if np.isnan(want):
            assert np.isnan(got)
        else:
            assert got == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_power_curve_counts_the_effort_seconds_only() -> None:
    track = _power_track()
    track.loc[track.index[600:900], ["moving", "speed_mps"]] = [False, 0.0]
    track.loc[track.index[600:900], "power_w"] = 900.0  # paused: not running power
    curve = power_curve(track)
    counted = counted_seconds(track)
    assert counted.sum() == effort_series(track)[1].size - 1  # the speed curve's seconds
    power = track["power_w"].to_numpy()[counted]
    assert curve["duration_s"].iloc[0] == 1.0 and curve["duration_s"].iloc[-1] == power.size
    assert curve["power_w"].iloc[0] == pytest.approx(power.max())
    assert curve["power_w"].iloc[-1] == pytest.approx(power.mean())
    assert curve["power_w"].max() < 900.0
    # halving a window cannot lower the best mean (one half holds at least the mean)
    by_s = dict(zip(CURVE_DURATIONS_S, mean_max_power(power, CURVE_DURATIONS_S), strict=True))
    assert by_s[120] >= by_s[240] and by_s[300] >= by_s[600] and by_s[900] >= by_s[1800]


def test_power_curve_is_empty_without_power() -> None:
    assert power_curve(synthetic_track(((3000.0, 3.5),))).empty


# --- Pw:HR ---------------------------------------------------------------------------------


def _drifting(power_per_speed: float | None) -> pd.DataFrame:
    """Half marathon at a wavy pace, HR rising 10 % over the run; power proportional to
    the grade-adjusted speed (or constant 250 W when ``power_per_speed`` is None)."""
    track = synthetic_track(
        ((21097.5, 3.6),),
        wobble=0.05,
        heart_rate=lambda v, d: 140.0 * (1.0 + 0.1 * d / 21097.5) * v / 3.6,
    )
    gap = track["gap_speed_mps"].to_numpy()
    track["power_w"] = 250.0 if power_per_speed is None else power_per_speed * gap
    return track


def test_pw_hr_equals_pa_hr_when_power_follows_grade_adjusted_speed() -> None:
    track = _drifting(power_per_speed=70.0)
    dec = decoupling(track)
    assert dec.pa_hr > 0.02
    assert dec.pw_hr == pytest.approx(dec.pa_hr, rel=1e-9)
    assert dec.pw_ef_first_w_per_bpm == pytest.approx(70.0 * dec.ef_first / 60.0, rel=1e-9)
    np.testing.assert_allclose(dec.curve["pw_hr"], dec.curve["pa_hr"], rtol=1e-9)
    ends = np.array([12000.0, 20000.0])
    np.testing.assert_allclose(
        pw_hr_between(track, np.full(2, 5000.0), ends),
        pa_hr_between(track, np.full(2, 5000.0), ends),
        rtol=1e-9,
    )


def test_pw_hr_of_constant_power_is_the_heart_rate_drift() -> None:
    track = _drifting(power_per_speed=None)
    dec = decoupling(track)
    hr = track["heart_rate_bpm"].to_numpy()
    dist = track["distance_m"].to_numpy()
    window = dist >= dec.window_start_m
    cut = np.searchsorted(np.cumsum(window), window.sum() / 2.0)
    first, second = (
        hr[window & (np.arange(hr.size) < cut)],
        hr[window & (np.arange(hr.size) >= cut)],
    )
    # EF = 250 W / mean HR per half: Pw:HR = 1 - HR1 / HR2 (to a sample at the cuts)
    assert dec.pw_hr == pytest.approx(1.0 - first.mean() / second.mean(), abs=1e-4)
    assert dec.pw_hr > 0.03


def test_no_power_no_pw_hr() -> None:
    track = _drifting(power_per_speed=70.0)
    track["power_w"] = np.nan
    dec = decoupling(track)
    assert np.isnan(dec.pw_hr) and "pw_hr" not in dec.curve
    assert np.isfinite(dec.pa_hr)


# --- critical power ------------------------------------------------------------------------


def test_fit_recovers_the_model_exactly() -> None:
    t = np.asarray(CP_DURATIONS_S)
    fit = fit_critical_power(t, 280.0 + 15000.0 / t)
    assert fit.valid and fit.reason == ""
    assert fit.critical_power_w == pytest.approx(280.0, rel=1e-9)
    assert fit.w_prime_j == pytest.approx(15000.0, rel=1e-9)


@pytest.mark.parametrize(
    ("cp", "w_prime", "reason"),
    [(80.0, 10000.0, "CP 80 W outside 100-600"), (300.0, 60000.0, "W' 60.0 kJ outside 2-40")],
)
def test_implausible_fits_are_rejected_with_the_reason(cp, w_prime, reason) -> None:
    t = np.asarray(CP_DURATIONS_S)
    fit = fit_critical_power(t, cp + w_prime / t)
    assert not fit.valid and reason in fit.reason and np.isfinite(fit.critical_power_w)


def test_too_few_efforts_give_no_fit() -> None:
    fit = fit_critical_power([120.0, 180.0], [400.0, 350.0])
    assert not fit.valid and fit.reason == "fewer than 3 efforts"


def _power_season(cp: float, w_prime: float, seed: int) -> pd.DataFrame:
    """A synthetic season whose runs carry power curves below ``cp + w_prime / t``, a few of
    them all-out (on the curve to 0.2 %) in the last 12 weeks; some runs have no power."""
    acts = synthetic_season(seed, n=120)
    rng = np.random.default_rng(seed)
    t = np.asarray(CURVE_DURATIONS_S, dtype=float)
    model = cp + w_prime / t
    effort = rng.uniform(0.7, 0.96, (len(acts), 1)) * rng.uniform(0.99, 1.01, (len(acts), t.size))
    curves = model * effort
    recent = np.flatnonzero(acts["start_time"] >= acts["start_time"].max() - pd.Timedelta(days=60))
    all_out = rng.choice(recent, size=3, replace=False)
    curves[all_out] = model * rng.uniform(0.998, 1.002, (3, t.size))
    curves[curves * 0 + t > acts["moving_s"].to_numpy()[:, None]] = np.nan
    no_power = rng.random(len(acts)) < 0.2
    no_power[all_out] = False
    curves[no_power] = np.nan
    acts["curve_power_w"] = [row.tolist() for row in curves]
    acts["moving_s"] = np.maximum(acts["moving_s"], 900.0)
    return acts


@pytest.mark.parametrize(("cp", "w_prime", "seed"), [(260.0, 12000.0, 1), (330.0, 20000.0, 2)])
def test_season_recovers_a_known_critical_power(cp: float, w_prime: float, seed: int) -> None:
    acts = _power_season(cp, w_prime, seed)
    skipped = pd.DataFrame(columns=["file", "reason", "detail"])
    season = analyze_season(BatchResult(acts, skipped, len(acts)))
    fit = season.critical_power
    assert fit.valid, fit.reason
    assert fit.critical_power_w == pytest.approx(cp, rel=0.01)
    assert fit.w_prime_j == pytest.approx(w_prime, rel=0.01)
    envelope = season.power_envelope.set_index("duration_s")["power_w"]
    assert (envelope.loc[list(CP_DURATIONS_S)] >= fit.critical_power_w).all()
    out = json.loads(json.dumps(season.to_json(), allow_nan=False))
    assert out["critical_power"]["critical_power_w"] == pytest.approx(fit.critical_power_w)
    assert out["critical_power"]["valid"] is True
    assert len(out["critical_power"]["envelope"]) == len(envelope)
    assert season.to_frame("power_envelope").equals(season.power_envelope)


def test_season_without_power_says_so() -> None:
    acts = synthetic_season(3, n=60)
    season = analyze_season(BatchResult(acts, pd.DataFrame(columns=["file"]), len(acts)))
    fit = season.critical_power
    assert not fit.valid and fit.reason == "no run of the season has running power"
    assert isinstance(fit, CriticalPowerFit)
    assert season.to_json()["critical_power"]["critical_power_w"] is None
