"""Cardiac decoupling against the 5-20 km reference efficiency."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic import MARATHON_M, synthetic_track

from finishline.fatigue.cardiac import decoupling, km_decoupling, reference_efficiency


def drifting_hr(drift_from_m: float, drift: float):
    """150 bpm at 3.5 m/s, rising by ``drift`` (fraction) after ``drift_from_m``."""
    return lambda v, d: np.where(d < drift_from_m, 150.0, 150.0 * (1.0 + drift))


def test_reference_efficiency_is_metres_per_beat():
    track = synthetic_track(((MARATHON_M, 3.5),), heart_rate=drifting_hr(1e9, 0.0))
    assert reference_efficiency(track) == pytest.approx(3.5 / (150.0 / 60.0))


def test_no_drift_no_decoupling():
    track = synthetic_track(((MARATHON_M, 3.5),), heart_rate=drifting_hr(1e9, 0.0))
    assert np.allclose(decoupling(track).dropna(), 0.0)
    km = km_decoupling(track)
    assert np.allclose(km["decoupling"], 0.0)
    assert np.allclose(km["pa_hr_cumulative"].dropna(), 0.0)


def test_five_percent_hr_rise_at_same_speed():
    track = synthetic_track(((MARATHON_M, 3.5),), heart_rate=drifting_hr(25_000.0, 0.05))
    km = km_decoupling(track)
    expected = 1.0 - 1.0 / 1.05
    np.testing.assert_allclose(km.loc[27:42, "decoupling"], expected, atol=1e-6)
    np.testing.assert_allclose(km.loc[6:25, "decoupling"], 0.0, atol=1e-6)
    # Cumulative Pa:HR from 5 km: the second half holds the drifted part, so it is positive,
    # and it grows as more of the second half is drifted.
    pa = km["pa_hr_cumulative"]
    assert pa.loc[20] == pytest.approx(0.0, abs=1e-9)
    assert 0.0 < pa.loc[35] < pa.loc[42] <= expected + 1e-9
    per_second = decoupling(track)
    late = track["distance_m"] > 25_000 + 600 * 3.5 + 10
    np.testing.assert_allclose(per_second[late], expected, atol=1e-6)


def test_hr_artefact_gaps_are_ignored():
    track = synthetic_track(((MARATHON_M, 3.5),), heart_rate=drifting_hr(1e9, 0.0))
    track.iloc[::7, track.columns.get_loc("heart_rate_bpm")] = np.nan
    assert np.allclose(km_decoupling(track)["decoupling"], 0.0)


def test_without_heart_rate_everything_is_nan():
    track = synthetic_track(((MARATHON_M, 3.5),))
    assert np.isnan(reference_efficiency(track))
    assert decoupling(track).isna().all()
    km = km_decoupling(track)
    assert km[["decoupling", "pa_hr_cumulative", "heart_rate_bpm"]].isna().all().all()
