"""Speed-corrected cadence and stride length."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic import fading_race, synthetic_track

from finishline.fatigue.gait import gait_residuals, speed_corrected_residual


def speed_cadence(v, d):
    """A runner whose cadence depends on speed only: 150 + 8 steps/min per m/s."""
    return 150.0 + 8.0 * v


def test_cadence_change_explained_by_speed_has_no_residual():
    # The runner slows 30 % at 30 km and cadence falls with speed: no gait fatigue.
    track = fading_race(slowdown=1.30, wobble=0.05, cadence=speed_cadence)
    residual, model = speed_corrected_residual(track, "cadence_spm")
    assert model.slope == pytest.approx(8.0, rel=1e-6)
    assert model.intercept == pytest.approx(150.0, rel=1e-6)
    assert model.r_squared == pytest.approx(1.0)
    late = track["cadence_spm"][track["distance_m"] > 31_000]
    early = track["cadence_spm"][track["distance_m"] < 20_000]
    assert early.mean() - late.mean() > 5.0  # cadence really did change
    assert np.abs(residual).max() < 1e-9


def test_speed_unexplained_cadence_drop_is_measured():
    def tired(v, d):
        return np.where(d < 30_000, 1.0, 0.97) * speed_cadence(v, d)

    track = fading_race(slowdown=1.30, wobble=0.05, cadence=tired)
    residual, _ = speed_corrected_residual(track, "cadence_spm")
    d = track["distance_m"]
    np.testing.assert_allclose(residual[d > 30_100], -0.03, atol=1e-9)
    np.testing.assert_allclose(residual[d < 29_900], 0.0, atol=1e-9)
    smoothed = gait_residuals(track)["cadence_residual"]
    assert smoothed[d > 31_000].to_numpy() == pytest.approx(-0.03, abs=1e-9)


def test_stride_length_derived_from_speed_and_cadence():
    track = fading_race(slowdown=1.30, wobble=0.05, cadence=speed_cadence)
    track["stride_length_m"] = np.nan
    residual, model = speed_corrected_residual(track, "stride_length_m")
    # Step length v*60/(150+8v) is not linear in v, but near-linear over the reference speeds.
    assert model.r_squared > 0.99
    d = track["distance_m"]
    assert np.abs(residual[d < 30_000]).max() < 0.01


def test_constant_reference_speed_falls_back_to_a_constant_model():
    track = synthetic_track(((42_195.0, 3.5),), cadence=lambda v, d: np.full(v.size, 172.0))
    _, model = speed_corrected_residual(track, "cadence_spm")
    assert model.slope == 0.0 and model.intercept == pytest.approx(172.0)


def test_no_cadence_is_nan_not_error():
    track = fading_race()
    frame = gait_residuals(track)
    assert frame.isna().all().all()
