"""Known-answer tests for training load, critical speed, prediction and readiness."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finishline.training import load
from finishline.training.critical_speed import fit_critical_speed
from finishline.training.predict import (
    cs_marathon_fraction,
    cs_marathon_time,
    riegel_time,
    vdot,
    vdot_time,
)
from finishline.training.readiness import marathon_shape, pre_race_risk, simulate_goal_splits


def test_banister_trimp_hand_computed() -> None:
    # 60 min at 150 bpm, HRrest 50, HRmax 190: dHR = 100/140
    x = 100 / 140
    expected_m = 60 * x * 0.64 * math.exp(1.92 * x)
    expected_f = 60 * x * 0.86 * math.exp(1.67 * x)
    assert load.banister_trimp([150], [3600], 50, 190, "male") == pytest.approx(expected_m)
    assert load.banister_trimp([150], [3600], 50, 190, "female") == pytest.approx(expected_f)
    assert expected_m == pytest.approx(108.10, abs=0.01)  # 42.857 min x 0.64 x e^1.3714


def test_edwards_trimp_zones() -> None:
    # HRmax 200: 10 min at 110 (zone 1), 10 at 150 (3), 10 at 185 (5), 10 at 90 (below)
    got = load.edwards_trimp([110, 150, 185, 90], [600, 600, 600, 600], 200)
    assert got == pytest.approx(10 * 1 + 10 * 3 + 10 * 5)


def test_pace_load_one_hour_at_threshold_is_100() -> None:
    v = 4.0
    assert load.pace_load(v**2 * 3600, v) == pytest.approx(100.0)


def test_ctl_atl_step_response() -> None:
    days = pd.date_range("2024-01-01", periods=200, freq="D")
    step = pd.Series(100.0, index=days)
    form = load.fitness_fatigue(step)
    n = np.arange(1, 201)
    assert np.allclose(form["ctl"], 100 * (1 - np.exp(-n / 42)))
    assert np.allclose(form["atl"], 100 * (1 - np.exp(-n / 7)))
    # one time constant: 63.2 % of the step
    assert form["ctl"].iloc[41] == pytest.approx(100 * (1 - math.exp(-1)))
    assert form["tsb"].iloc[0] == 0.0
    assert form["tsb"].iloc[10] == pytest.approx(form["ctl"].iloc[9] - form["atl"].iloc[9])
    assert (form["tsb"].iloc[1:] < 0).all()  # fatigue leads fitness under a step


def test_acwr_constant_load_is_one() -> None:
    days = pd.date_range("2024-01-01", periods=60, freq="D")
    ratio = load.acute_chronic_ratio(pd.Series(50.0, index=days))
    assert ratio.iloc[:27].isna().all()
    assert np.allclose(ratio.iloc[27:], 1.0)


def test_daily_load_and_weekly_volume() -> None:
    starts = pd.to_datetime(["2024-01-01T07:00Z", "2024-01-01T18:00Z", "2024-01-10T07:00Z"])
    daily = load.daily_load(pd.Series(starts), [10, 20, 30])
    assert len(daily) == 10 and daily.iloc[0] == 30 and daily.iloc[-1] == 30
    weekly = load.weekly_volume(pd.Series(starts), [10000, 20000, 5000], [3600, 7200, 1800])
    assert weekly["distance_km"].tolist() == [30.0, 5.0]
    assert weekly["long_runs"].tolist() == [1, 0]


def test_cs_fit_recovers_synthetic_parameters() -> None:
    t = np.array([120, 180, 300, 420, 600, 900], dtype=float)
    fit = fit_critical_speed(t, 4.2 * t + 180.0)
    assert fit.valid and fit.r2 == pytest.approx(1.0)
    assert fit.critical_speed_mps == pytest.approx(4.2)
    assert fit.d_prime_m == pytest.approx(180.0)


@settings(max_examples=40, deadline=None)
@given(cs=st.floats(2.5, 6.5), dp=st.floats(60, 450), noise=st.floats(0, 0.002))
def test_cs_fit_with_noise(cs: float, dp: float, noise: float) -> None:
    t = np.array([120, 240, 360, 600, 900], dtype=float)
    wiggle = np.array([1, -1, 1, -1, 1]) * noise
    fit = fit_critical_speed(t, (cs * t + dp) * (1 + wiggle))
    assert fit.critical_speed_mps == pytest.approx(cs, rel=0.01)


def test_cs_fit_rejects_implausible() -> None:
    t = np.array([120, 300, 600, 900], dtype=float)
    assert not fit_critical_speed(t, 4.0 * t + 20.0).valid  # D' 20 m < 50
    assert not fit_critical_speed(t, 4.0 * t + 900.0).valid  # D' 900 m > 500
    assert not fit_critical_speed(t, 8.0 * t + 200.0).valid  # CS 8 m/s
    assert not fit_critical_speed(t[:2], 4.0 * t[:2] + 200).valid  # too few points


def test_riegel_and_vdot_published_values() -> None:
    assert riegel_time(1200, 5000, 10000) == pytest.approx(1200 * 2**1.06)
    assert vdot(20 * 60, 5000) == pytest.approx(49.8, abs=0.1)  # Daniels table
    # Daniels' tables: VDOT 50 -> marathon ~3:10:49, 10k ~41:21
    assert vdot_time(50.0, 42195) == pytest.approx(3 * 3600 + 10 * 60 + 49, abs=90)
    assert vdot_time(50.0, 10000) == pytest.approx(41 * 60 + 21, abs=20)
    assert vdot(vdot_time(42.0, 21097.5), 21097.5) == pytest.approx(42.0, abs=1e-3)


def test_cs_marathon_fraction_anchors() -> None:
    assert cs_marathon_fraction(2.5 * 3600) == pytest.approx(0.93)
    assert cs_marathon_fraction(6 * 3600) == pytest.approx(0.79)
    t = cs_marathon_time(4.0)
    assert t * cs_marathon_fraction(t) * 4.0 == pytest.approx(42195, rel=1e-6)
    assert cs_marathon_time(4.5) < t


def test_marathon_shape_monotone_in_volume() -> None:
    at = pd.Timestamp("2024-06-01", tz="UTC")
    starts = pd.Series(pd.date_range("2024-01-01", periods=100, freq="D", tz="UTC"))
    scores = [
        marathon_shape(starts, np.full(100, km * 1000.0), at, 50.0, 30.0)["shape_pct"]
        for km in (3, 6, 10, 16, 25)
    ]
    assert all(b > a for a, b in zip(scores, scores[1:], strict=False))


def test_pre_race_risk_rises_with_ambition() -> None:
    predicted = 4 * 3600.0
    risks = [pre_race_risk(predicted * f, predicted)["p_fail"] for f in (1.05, 1.0, 0.97, 0.9)]
    assert all(b >= a for a, b in zip(risks, risks[1:], strict=False))
    assert risks[-1] > risks[0]
    splits, onset = simulate_goal_splits(predicted, predicted, 35)
    assert onset is None and splits[35.0] == pytest.approx(35 * predicted / 42.195)


def test_a_car_ride_in_a_run_file_is_no_effort() -> None:
    # 20 min at 3 m/s, then 3 min at 12 m/s (a watch left on in a car), then 10 min at 3 m/s.
    from synthetic import make_run

    from finishline.training.features import activity_features

    speed = np.r_[np.full(1200, 3.0), np.full(180, 12.0), np.full(600, 3.0)]
    record = activity_features(make_run(speed))
    assert record["best_1k_s"] == pytest.approx(1000 / 3.0, rel=0.02)
    assert max(record["curve_speed_mps"]) < 3.2
