"""Pacing targets: they add up to the goal, follow the hills, and cut exact km/mile splits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from corpus import SAMPLE_RUNS
from hypothesis import given, settings
from hypothesis import strategies as st

import finishline
from finishline.errors import InputDataError
from finishline.formatting import format_duration, parse_duration_s
from finishline.metrics.gap import gap_factor
from finishline.plan import (
    course_profile,
    heat_slowdown,
    pacing_targets,
    workout_steps,
)

GOAL_S = parse_duration_s("3:30:00")
MARATHON_M = 42195.0
MILE_M = 1609.344


@pytest.fixture(scope="module", params=["tcx", "gpx"])
def twin_cities(request) -> pd.DataFrame:
    """The Twin Cities 2014 course, scaled to the marathon distance."""
    activity = finishline.read(SAMPLE_RUNS / f"TwinCitiesMarathon2014.{request.param}")
    return course_profile(activity, race_distance_m=MARATHON_M)


def _independent_gap_distance_m(profile: pd.DataFrame, start_m: float, end_m: float) -> float:
    """Grade-adjusted distance (m) of a stretch, integrated metre by metre from the profile."""
    x = np.arange(start_m, end_m, 1.0) + 0.5
    x = x[x < end_m]
    step = np.full(x.size, 1.0)
    step[-1] = end_m - (x[-1] - 0.5)
    grade = np.interp(x, profile["distance_m"], profile["grade"])
    return float(np.sum(step * gap_factor(grade)))


def test_parse_duration_reads_clock_times() -> None:
    assert parse_duration_s("3:30:00") == 12600
    assert parse_duration_s("45:10") == 2710
    assert parse_duration_s("5400") == 5400
    for bad in ("3:75:00", "abc", "-1:00", "0:00:00", "1:2:3:4"):
        with pytest.raises(InputDataError):
            parse_duration_s(bad)


def test_format_duration_rounds_to_the_second() -> None:
    assert format_duration(301.6) == "5:02"
    assert format_duration(59.5) == "1:00"
    assert format_duration(12600.2) == "3:30:00"


def test_even_effort_km_targets_sum_to_the_goal(twin_cities: pd.DataFrame) -> None:
    targets = pacing_targets(twin_cities, GOAL_S, "even-effort", "km")
    assert len(targets) == 43
    assert abs(targets["target_time_s"].sum() - GOAL_S) < 1.0
    assert targets["cumulative_time_s"].iloc[-1] == pytest.approx(GOAL_S, abs=1.0)
    assert np.allclose(targets["distance_m"].iloc[:-1], 1000.0)
    assert targets["distance_m"].iloc[-1] == pytest.approx(195.0)
    assert targets["end_m"].iloc[-1] == MARATHON_M
    assert targets.attrs["planned_finish_s"] == GOAL_S
    # pace x distance is the time, split by split, including the partial one
    pace = targets["target_pace_s_per_km"] * targets["distance_m"] / 1000
    assert np.allclose(pace, targets["target_time_s"])


def test_even_effort_holds_grade_adjusted_pace_within_one_percent(
    twin_cities: pd.DataFrame,
) -> None:
    targets = pacing_targets(twin_cities, GOAL_S, "even-effort", "km")
    gap_speed = np.array(
        [
            _independent_gap_distance_m(twin_cities, a, b) / t
            for a, b, t in targets[["start_m", "end_m", "target_time_s"]].to_numpy()
        ]
    )
    spread = gap_speed.max() / gap_speed.min() - 1
    assert spread < 0.01
    # while the clock pace itself moves with the hills by much more
    clock = targets["target_speed_mps"]
    assert clock.max() / clock.min() - 1 > 5 * spread


def test_uphill_km_are_slower_than_downhill_km(twin_cities: pd.DataFrame) -> None:
    targets = pacing_targets(twin_cities, GOAL_S, "even-effort", "km")
    full = targets[targets["distance_m"] > 999]
    pace, grade = full["target_pace_s_per_km"], full["mean_grade"]
    assert np.corrcoef(pace, grade)[0, 1] > 0.95
    up, down = full.loc[grade.idxmax()], full.loc[grade.idxmin()]
    assert up["mean_grade"] > 0.015 and down["mean_grade"] < -0.015
    expected = gap_factor(up["mean_grade"]) / gap_factor(down["mean_grade"])
    ratio = up["target_pace_s_per_km"] / down["target_pace_s_per_km"]
    assert ratio == pytest.approx(float(expected), rel=0.01)
    # the Summit Avenue climb (km 35-36) is slower than a typical km; the drop to the finish faster
    median = full["target_pace_s_per_km"].median()
    assert (full.set_index("split").loc[[35, 36], "target_pace_s_per_km"] > median + 10).all()
    assert full.set_index("split").loc[42, "target_pace_s_per_km"] < median - 5


def test_mile_targets_sum_to_the_goal_with_an_exact_last_split(twin_cities: pd.DataFrame) -> None:
    targets = pacing_targets(twin_cities, GOAL_S, "even-effort", "mile")
    assert len(targets) == 27
    assert abs(targets["target_time_s"].sum() - GOAL_S) < 1.0
    assert np.allclose(targets["distance_m"].iloc[:-1], MILE_M)
    assert targets["distance_m"].iloc[-1] == pytest.approx(MARATHON_M - 26 * MILE_M)
    assert targets["label"].iloc[6] == "mi 7"
    full = targets.iloc[:-1]
    assert np.corrcoef(full["target_pace_s_per_mi"], full["mean_grade"])[0, 1] > 0.95
    # the mile plan is the same continuous plan: at constant grade-adjusted speed, the time to
    # 10 miles is the grade-adjusted distance there (integrated independently) over that speed
    km = pacing_targets(twin_cities, GOAL_S, "even-effort", "km")
    v_gap = km["gap_speed_mps"].iloc[0]
    at_10mi = _independent_gap_distance_m(twin_cities, 0.0, 10 * MILE_M) / v_gap
    assert targets["cumulative_time_s"].iloc[9] == pytest.approx(at_10mi, abs=1.0)


def test_even_pace_is_flat_on_the_clock(twin_cities: pd.DataFrame) -> None:
    targets = pacing_targets(twin_cities, GOAL_S, "even-pace", "km")
    assert np.allclose(targets["target_pace_s_per_km"], GOAL_S / MARATHON_M * 1000)
    assert targets["gap_speed_mps"].std() > 0.01
    assert abs(targets["target_time_s"].sum() - GOAL_S) < 1.0


def test_negative_split_runs_the_second_half_two_percent_harder(twin_cities: pd.DataFrame) -> None:
    targets = pacing_targets(twin_cities, GOAL_S, "negative-split", "km")
    assert abs(targets["target_time_s"].sum() - GOAL_S) < 1.0
    half = MARATHON_M / 2
    first = targets[targets["end_m"] <= half]["gap_speed_mps"]
    second = targets[targets["start_m"] >= half]["gap_speed_mps"]
    assert np.ptp(first) / first.mean() < 1e-9 and np.ptp(second) / second.mean() < 1e-9
    assert second.mean() / first.mean() == pytest.approx(1.02, rel=1e-9)
    even = pacing_targets(twin_cities, GOAL_S, "even-effort", "km")
    halfway = np.interp(half, np.r_[0, even["end_m"]], np.r_[0, even["cumulative_time_s"]])
    halfway_neg = np.interp(
        half, np.r_[0, targets["end_m"]], np.r_[0, targets["cumulative_time_s"]]
    )
    assert halfway_neg > halfway  # the first half is run slower


def test_a_flat_course_makes_effort_and_pace_the_same() -> None:
    x = np.r_[np.arange(0.0, 10000.0, 10.0), 10000.0]
    flat = pd.DataFrame({"distance_m": x, "altitude_m": np.nan, "grade": 0.0})
    effort = pacing_targets(flat, 2700.0, "even-effort")
    pace = pacing_targets(flat, 2700.0, "even-pace")
    assert np.allclose(effort["target_time_s"], 270.0)
    assert np.allclose(effort["target_time_s"], pace["target_time_s"])
    assert (effort["elevation_gain_m"] == 0).all()


def test_heat_lengthens_the_plan_by_the_heat_model() -> None:
    x = np.r_[np.arange(0.0, MARATHON_M, 10.0), MARATHON_M]
    flat = pd.DataFrame({"distance_m": x, "altitude_m": 200.0, "grade": 0.0})
    cool = pacing_targets(flat, GOAL_S, temperature_c=10.0)
    hot = pacing_targets(flat, GOAL_S, temperature_c=25.0, dew_point_c=18.0)
    s_cool = heat_slowdown(10.0, finish_time_s=GOAL_S)
    s_hot = heat_slowdown(25.0, 18.0, finish_time_s=GOAL_S)
    assert cool["target_time_s"].sum() == pytest.approx(GOAL_S * (1 + s_cool.fraction))
    assert hot["target_time_s"].sum() == pytest.approx(GOAL_S * (1 + s_hot.fraction))
    assert hot.attrs["planned_finish_s"] > cool.attrs["planned_finish_s"] > GOAL_S
    # the target range widens by the heat band
    width = hot["speed_high_mps"] / hot["target_speed_mps"] - 1
    assert np.allclose(width, 0.01 + s_hot.band_fraction)
    assert any("Ely" in note for note in hot.attrs["warnings"])


def test_bad_arguments_raise_input_errors() -> None:
    x = np.r_[np.arange(0.0, 5000.0, 10.0), 5000.0]
    profile = pd.DataFrame({"distance_m": x, "altitude_m": 0.0, "grade": 0.0})
    with pytest.raises(InputDataError, match="strategy"):
        pacing_targets(profile, 1500.0, "sprint-finish")
    with pytest.raises(InputDataError, match="unit"):
        pacing_targets(profile, 1500.0, unit="furlong")
    with pytest.raises(InputDataError, match="goal"):
        pacing_targets(profile, 0.0)
    with pytest.raises(InputDataError, match="lacks"):
        pacing_targets(profile.drop(columns="grade"), 1500.0)
    with pytest.raises(InputDataError, match="increase"):
        pacing_targets(profile.iloc[::-1].reset_index(drop=True), 1500.0)


def test_workout_steps_name_each_split_with_its_pace_range(twin_cities: pd.DataFrame) -> None:
    targets = pacing_targets(twin_cities, GOAL_S, "even-effort", "km")
    steps = workout_steps(targets)
    assert len(steps) == len(targets)
    row = targets.iloc[6]
    fast = format_duration(row["pace_fast_s_per_km"])
    slow = format_duration(row["pace_slow_s_per_km"])
    assert steps["name"].iloc[6] == f"km 7 {fast}-{slow}"
    assert (steps["speed_low_mps"] < targets["target_speed_mps"]).all()
    assert (steps["speed_high_mps"] > targets["target_speed_mps"]).all()


@settings(max_examples=60, deadline=None)
@given(
    race_m=st.floats(1200.0, 50000.0),
    goal_pace=st.floats(150.0, 600.0),
    seed=st.integers(0, 2**32 - 1),
    strategy=st.sampled_from(["even-effort", "even-pace", "negative-split"]),
    unit=st.sampled_from(["km", "mile"]),
)
def test_any_course_and_goal_add_up(race_m, goal_pace, seed, strategy, unit) -> None:
    rng = np.random.default_rng(seed)
    x = np.r_[np.arange(0.0, race_m, 10.0), race_m]
    x = x[np.r_[True, np.diff(x) > 1e-6]]
    grade = np.convolve(rng.normal(0, 0.06, x.size), np.ones(15) / 15, mode="same")
    altitude = 100 + np.r_[0, np.cumsum(np.diff(x) * grade[1:])]
    profile = pd.DataFrame({"distance_m": x, "altitude_m": altitude, "grade": grade})
    goal = goal_pace * race_m / 1000
    targets = pacing_targets(profile, goal, strategy, unit)
    unit_m = 1000.0 if unit == "km" else MILE_M
    assert len(targets) == int(np.ceil(race_m / unit_m - 1e-9))
    assert targets["target_time_s"].sum() == pytest.approx(goal, rel=1e-9)
    assert targets["distance_m"].sum() == pytest.approx(race_m, rel=1e-12)
    assert (targets["distance_m"] <= unit_m + 1e-6).all() and (targets["target_time_s"] > 0).all()
    rise = targets["elevation_gain_m"].sum() - targets["elevation_loss_m"].sum()
    assert rise == pytest.approx(altitude[-1] - altitude[0], abs=1e-6)
    if strategy == "even-effort":
        assert np.ptp(targets["gap_speed_mps"]) / targets["gap_speed_mps"].mean() < 1e-9


def test_heat_on_a_shorter_race_uses_the_marathon_equivalent_ability() -> None:
    half_m = MARATHON_M / 2
    x = np.r_[np.arange(0.0, half_m, 10.0), half_m]
    flat = pd.DataFrame({"distance_m": x, "altitude_m": 50.0, "grade": 0.0})
    goal = parse_duration_s("1:45:00")
    targets = pacing_targets(flat, goal, temperature_c=24.0)
    equivalent = goal * 2**1.06  # Riegel over twice the distance: about 3:39
    expected = heat_slowdown(24.0, finish_time_s=equivalent).fraction
    assert targets.attrs["heat"].fraction == pytest.approx(expected)
    assert targets["target_time_s"].sum() == pytest.approx(goal * (1 + expected))
    assert any("marathon-equivalent" in note for note in targets.attrs["warnings"])
