"""Pace fade against the 5-20 km reference on synthetic races with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from synthetic import MARATHON_M, fading_race, synthetic_track

from finishline.fatigue.pace_fade import fade_slope, pace_ratio, reference_speed_mps
from finishline.fatigue.state import km_table


def km_splits(track):
    """The per-km table the fatigue state builds (from the metrics' km splits)."""
    return km_table(track, reference_speed_mps(track))


def test_constant_pace_then_30_percent_slowdown():
    track = fading_race(fade_at_m=30_000.0, slowdown=1.30, v=3.5)
    assert reference_speed_mps(track) == pytest.approx(3.5, rel=1e-9)
    splits = km_splits(track)
    assert len(splits) == 43  # 42.195 km -> 42 full kilometres and a partial one
    assert splits["km_length_m"].iloc[-1] == pytest.approx(195.0, abs=4.0)
    before = splits.loc[1:30, "pace_ratio"]
    after = splits.loc[32:42, "pace_ratio"]
    np.testing.assert_allclose(before, 1.0, atol=1e-9)
    np.testing.assert_allclose(after, 1.30, atol=1e-9)
    # Kilometre time is 1000 m / speed: 285.7 s then 371.4 s.
    assert splits.loc[10, "moving_time_s"] == pytest.approx(1000 / 3.5, abs=1.0)
    assert splits.loc[35, "moving_time_s"] == pytest.approx(1300 / 3.5, abs=1.0)


def test_per_second_ratio_follows_the_slowdown():
    track = fading_race(fade_at_m=30_000.0, slowdown=1.30, v=3.5)
    ratio = pace_ratio(track)
    d = track["distance_m"]
    assert np.allclose(ratio[(d > 5_000) & (d < 30_000)], 1.0)
    # 300 s after the fade the trailing window holds only slow seconds.
    assert np.allclose(ratio[d > 30_000 + 300 * 3.5 / 1.3 + 10], 1.30)


def test_fade_slope_of_a_linear_fade():
    r = pd.Series(1.0 + 0.02 * np.arange(20), index=pd.RangeIndex(1, 21, name="km"))
    slope = fade_slope(r, span_km=10)
    assert slope.iloc[:2].isna().all()
    np.testing.assert_allclose(slope.iloc[2:], 0.02)


def test_grade_adjusted_speed_is_used_when_present():
    track = synthetic_track(((MARATHON_M, 3.0),))
    track["gap_speed_mps"] = 3.3  # a hilly course: effort faster than speed
    assert reference_speed_mps(track) == pytest.approx(3.3)
    track["gap_speed_mps"] = np.nan
    assert reference_speed_mps(track) == pytest.approx(3.0)


def test_no_speed_no_distance_is_nan_not_error():
    track = synthetic_track(((10_000.0, 3.0),))
    track[["speed_mps", "gap_speed_mps"]] = np.nan
    assert np.isnan(reference_speed_mps(track))
    assert pace_ratio(track).isna().all()
    track["distance_m"] = np.nan
    assert km_splits(track).empty


def test_pauses_do_not_count_as_slow_running():
    track = synthetic_track(((MARATHON_M, 3.5),))
    i = int(np.searchsorted(track["distance_m"], 35_500.0))
    pause = pd.DataFrame([track.iloc[i - 1]] * 120)
    pause.index = track.index[i - 1] + pd.to_timedelta(np.arange(1, 121), unit="s")
    pause["elapsed_s"] = track["elapsed_s"].iloc[i - 1] + np.arange(1, 121)
    pause[["speed_mps", "gap_speed_mps"]] = 0.0
    pause["moving"] = False
    after = track.iloc[i:].copy()
    after.index = after.index + pd.Timedelta(seconds=120)
    after["elapsed_s"] += 120.0
    paused = pd.concat([track.iloc[:i], pause, after])
    paused["moving"] = paused["moving"].astype(bool)
    splits = km_splits(paused)
    assert splits.loc[36, "moving_time_s"] == pytest.approx(1000 / 3.5, abs=1.0)
    assert splits.loc[36, "pace_ratio"] == pytest.approx(1.0, abs=1e-3)
    assert np.allclose(pace_ratio(paused).dropna(), 1.0)
