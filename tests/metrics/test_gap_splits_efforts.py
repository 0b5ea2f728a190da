"""GAP factors, exact splits and best efforts on synthetic runs with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from corpus import SAMPLE_RUNS
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic import make_run, real_track

from finishline.clean import clean
from finishline.definitions import MAX_SAMPLE_SPEED_MPS, VEHICLE_SPEED_MPS
from finishline.metrics.efforts import (
    VEHICLE_WINDOW_S,
    best_efforts,
    best_efforts_and_speed_curve,
    effort_series,
    fastest_effort,
    fastest_efforts,
    speed_curve,
    vehicle_mask,
)
from finishline.metrics.gap import STRAVA_POINTS, gap_factor, minetti_factor
from finishline.metrics.splits import METRE_PER_MILE, moving_paced, splits


@pytest.mark.parametrize(("grade", "factor"), STRAVA_POINTS)
def test_strava_curve_reproduces_published_factors(grade, factor):
    assert gap_factor(grade) == pytest.approx(factor, abs=0.002)


def test_strava_curve_shape():
    g = np.linspace(0, 0.25, 50)
    assert np.all(np.diff(gap_factor(g)) > 0)  # uphill always costs more
    down = np.linspace(-0.25, 0, 200)
    assert -0.12 < down[np.argmin(gap_factor(down))] < -0.08  # cheapest near -10 %


def test_minetti_matches_the_polynomial():
    i = 0.1
    cr = 155.4 * i**5 - 30.4 * i**4 - 43.3 * i**3 + 46.3 * i**2 + 19.5 * i + 3.6
    assert minetti_factor(i) == pytest.approx(cr / 3.6)
    assert gap_factor(0.0, model="minetti") == pytest.approx(1.0)
    with pytest.raises(ValueError):
        gap_factor(0.0, model="nope")


def test_gap_on_a_hill_of_known_grade():
    n = 3000
    speed = np.full(n, 3.0)
    distance = np.r_[0.0, np.cumsum(speed[:-1])]
    for grade, factor in ((0.04, 1.135), (-0.10, 0.876)):
        # from 1,000 m: a 10 % descent over 9 km from sea level would end below the Dead Sea
        altitude = 1000.0 + grade * distance
        track = clean(make_run(speed, altitude_m=altitude), altitude_source="barometric")
        mid = track.iloc[200:-200]
        assert mid["grade"].to_numpy() == pytest.approx(grade, abs=1e-3)
        assert mid["gap_speed_mps"].to_numpy() == pytest.approx(3.0 * factor, rel=3e-3)
        sp = splits(track)
        full = sp[~sp["partial"]].iloc[1:-1]
        assert full["gap_pace_s_per_km"].to_numpy() == pytest.approx(
            full["pace_s_per_km"].to_numpy() / factor, rel=3e-3
        )


def test_split_boundaries_are_interpolated_exactly():
    # 2 m/s for 600 s (1200 m), then 4 m/s: 1000 m at 500 s, 2000 m at 800 s
    speed = np.r_[np.full(600, 2.0), np.full(1000, 4.0)]
    sp = splits(clean(make_run(speed)))
    assert sp["end_s"].iloc[0] == pytest.approx(500.0, abs=1e-6)
    assert sp["end_s"].iloc[1] == pytest.approx(800.0, abs=1e-6)
    assert sp["time_s"].iloc[2] == pytest.approx(250.0, abs=1e-6)


def test_partial_final_split_and_distances_sum():
    speed = np.full(4201, 2.5)  # 10,500 m
    track = clean(make_run(speed))
    sp = splits(track)
    assert len(sp) == 11 and sp["partial"].tolist() == [False] * 10 + [True]
    assert sp["distance_m"].sum() == pytest.approx(track["distance_m"].iloc[-1])
    assert sp["time_s"].iloc[:10].to_numpy() == pytest.approx(400.0)
    assert sp["time_s"].iloc[-1] == pytest.approx(200.0)
    assert sp["pace_s_per_km"].to_numpy() == pytest.approx(400.0)
    miles = splits(track, METRE_PER_MILE)
    assert miles["pace_s_per_mile"].iloc[0] == pytest.approx(400.0 * METRE_PER_MILE / 1000)
    assert miles["distance_m"].sum() == pytest.approx(10500.0)


def test_split_hr_cadence_stride_and_climb():
    n = 2001  # 6000 m at 3 m/s, climbing 100 m over the 2nd km at 10 %
    speed = np.full(n, 3.0)
    distance = np.r_[0.0, np.cumsum(speed[:-1])]
    altitude = np.clip(distance - 1000.0, 0, 1000.0) * 0.1
    hr = np.where(distance < 3000, 140.0, 160.0)
    act = make_run(speed, altitude_m=altitude, heart_rate_bpm=hr, cadence_spm=180.0)
    sp = splits(clean(act, altitude_source="barometric"))
    assert sp["elev_gain_m"].iloc[1] == pytest.approx(100.0, abs=3.0)
    assert sp["elev_gain_m"].sum() == pytest.approx(100.0, abs=3.0)
    assert sp["avg_hr_bpm"].iloc[0] == pytest.approx(140.0)
    assert sp["avg_hr_bpm"].iloc[4] == pytest.approx(160.0)
    assert sp["avg_cadence_spm"].to_numpy() == pytest.approx(180.0)
    assert sp["stride_length_m"].to_numpy() == pytest.approx(1.0, rel=1e-3)  # 3 m/s / 3 steps/s


def test_clock_and_moving_time_differ_by_a_stop():
    speed = np.full(1000, 3.0)
    speed[100:160] = 0.0
    sp = splits(clean(make_run(speed)))
    # the 5-s speed smoothing trims about 2 s off each end of the standstill
    assert sp["time_s"].iloc[0] - sp["moving_s"].iloc[0] == pytest.approx(60.0, abs=5)


def test_no_moving_pace_faster_than_anything_moves():
    """A km whose distance came while the watch was paused has clock time but no moving pace;
    a ride's 12-20 m/s keep theirs (a vehicle's km has no pace ratio, but a speed)."""
    track = clean(make_run(np.full(1000, 3.0)))
    held = track.assign(moving=track["moving"] & (track["elapsed_s"] >= 330))  # km 1: 3 s moving
    sp = splits(held)
    assert sp["moving_s"].iloc[0] < 1000.0 / MAX_SAMPLE_SPEED_MPS
    assert np.isnan(sp["moving_pace_s_per_km"].iloc[0])
    assert sp["moving_pace_s_per_km"].iloc[1] == pytest.approx(1000.0 / 3.0, rel=0.02)
    paced = moving_paced(np.full(3, 1000.0), np.array([50.0, 10.0, 9.9]))  # 20, 100, 101 m/s
    assert paced.tolist() == [True, True, False]


def test_fastest_effort_finds_the_fast_kilometre():
    # 3 m/s, except a 1000 m stretch at 4 m/s starting at 2000 m
    speed = np.r_[np.full(667, 3.0), np.full(250, 4.0), np.full(1500, 3.0)]
    track = clean(make_run(speed))
    d, t = track["distance_m"].to_numpy(), track["elapsed_s"].to_numpy()
    duration, _, start_m = fastest_effort(d, t, 1000.0)
    assert duration == pytest.approx(250.0, abs=0.5)
    assert start_m == pytest.approx(2001.0, abs=4.0)
    assert np.isnan(fastest_effort(d, t, 1e6)[0])


def test_speed_curve_times_grow_and_efforts_named():
    rng = np.random.default_rng(5)
    speed = 3.0 + rng.normal(0, 0.3, 8000).clip(-1, 1)
    track = clean(make_run(speed))
    curve = speed_curve(track)
    assert (np.diff(curve["time_s"]) > 0).all()
    # a best effort is never slower than the whole run's average
    assert (curve["speed_mps"] >= track["distance_m"].iloc[-1] / track["elapsed_s"].iloc[-1]).all()
    best = best_efforts(track)
    assert best["effort"].tolist() == ["400m", "1k", "mile", "3k", "5k", "10k", "half"]
    assert (best["time_s"].diff().dropna() > 0).all()


def exhaustive_effort(d: np.ndarray, t: np.ndarray, target: float) -> tuple[float, float, float]:
    """The definition, start by start: where ``d[i] + target`` is first reached, interpolated,
    and the earliest shortest duration (the test oracle of the blockwise search)."""
    if d.size < 2 or d[-1] - d[0] < target:
        return (np.nan, np.nan, np.nan)
    goal = d + target
    right = np.searchsorted(d, goal, side="left")
    starts = np.flatnonzero(right < d.size)
    right = right[starts]
    left = right - 1
    span = d[right] - d[left]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(span > 0, (goal[starts] - d[left]) / span, 1.0)
    duration = t[left] + frac * (t[right] - t[left]) - t[starts]
    best = int(np.argmin(duration))
    return float(duration[best]), float(t[starts[best]]), float(d[starts[best]])


@st.composite
def runs(draw):
    """Non-decreasing distance (standstills, strides, long jumps) and time (1 s, pauses,
    repeated stamps, or the effort series' plain count), and targets inside and beyond."""
    n = draw(st.integers(2, 1500))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    steps = rng.choice([0.0, 0.4, 1.0, 2.5, 3.0, 3.3, 4.1, 12.0], n) * rng.uniform(0.8, 1.2, n)
    d = np.cumsum(steps) - steps[0]
    if draw(st.booleans()):
        t = np.arange(n, dtype=float)
    else:
        t = np.cumsum(rng.choice([1.0, 1.0, 1.0, 0.0, 2.0, 45.0], n))
    total = max(float(d[-1]), 1.0)
    targets = np.r_[rng.uniform(0.05, 1.2 * total, 12), rng.uniform(0.01, 5.0, 3)]
    return d, t, targets


@settings(max_examples=150)
@given(runs())
def test_blockwise_search_equals_the_exhaustive_one(run):
    d, t, targets = run
    duration, start_s, start_m = fastest_efforts(d, t, targets)
    for k, target in enumerate(targets):
        expected = exhaustive_effort(d, t, target)
        np.testing.assert_array_equal([duration[k], start_s[k], start_m[k]], expected)
        np.testing.assert_array_equal(fastest_effort(d, t, target), expected)


@pytest.mark.parametrize("name", ["PolarMarathon.fit", "TwinCitiesMarathon2014.tcx"])
def test_speed_curve_of_a_marathon_equals_the_exhaustive_search(name):
    track = real_track(SAMPLE_RUNS / name)
    d, t = effort_series(track)
    curve = speed_curve(track)
    assert len(curve) == 40
    for row in curve.itertuples():
        duration, start_s, start_m = exhaustive_effort(d, t, row.distance_m)
        assert (row.time_s, row.start_s, row.start_m) == (duration, start_s, start_m)
        assert row.speed_mps == row.distance_m / duration
    best = best_efforts(track)
    assert best["effort"].tolist() == ["400m", "1k", "mile", "3k", "5k", "10k", "half", "marathon"]
    for row in best.itertuples():
        assert row.time_s == exhaustive_effort(d, t, row.distance_m)[0]


SPEEDS = st.sampled_from([np.nan, 0.0, 3.0, 6.4, 6.5, 6.6, 6.55, 8.0, 20.0])


@settings(max_examples=200)
@given(st.lists(SPEEDS, min_size=0, max_size=300), st.integers(1, 40))
def test_vehicle_mask_is_the_rolling_median_rule(pattern, repeat):
    # runs of equal values, so that windows with exactly half above the threshold occur
    speed = np.repeat(np.asarray(pattern, dtype=float), repeat)
    minute = pd.Series(speed).rolling(VEHICLE_WINDOW_S, center=True, min_periods=10)
    expected = (minute.median() > VEHICLE_SPEED_MPS).to_numpy()
    np.testing.assert_array_equal(vehicle_mask(speed), expected)


@pytest.mark.parametrize("source", ["PolarMarathon.fit", "Slow10k.gpx", "short"])
def test_best_efforts_and_speed_curve_together_are_the_two_calls(source):
    if source == "short":  # 180 m: no speed curve, no standard effort
        track = clean(make_run(np.full(60, 3.0)))
    else:
        track = real_track(SAMPLE_RUNS / source)
    best, curve = best_efforts_and_speed_curve(track)
    pd.testing.assert_frame_equal(best, best_efforts(track), check_exact=True)
    pd.testing.assert_frame_equal(curve, speed_curve(track), check_exact=True)
