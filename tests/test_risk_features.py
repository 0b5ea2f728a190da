"""Landmark features: known answers, continuity in k, no look-ahead, chip and watch agree."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from finishline.risk.features import (
    FEATURES,
    LANDMARK,
    MARATHON_KM,
    checkpoint_features,
    cumulative_time_at,
    landmark_features,
    race_windows,
)

PACE_FEATURES = ["log_ref_pace", "log_r_last5", "log_r_prev5", "log_r_since_ref", "log_r_start"]


def _even_then_slow(ref_pace=300.0, slow_from=30.0, factor=1.2, up_to=43):
    kms = np.arange(1, up_to, dtype=float)
    extra = np.clip(kms - slow_from, 0, None) * ref_pace * (factor - 1)
    return kms, kms * ref_pace + extra


def test_known_ratios_at_35km():
    kms, times = _even_then_slow()
    f = checkpoint_features(35, kms, times, sex=["M"], age=[50]).iloc[0]
    np.testing.assert_allclose(np.exp(f["log_r_last5"]), 1.2)
    np.testing.assert_allclose(np.exp(f["log_r_prev5"]), 1.0)
    np.testing.assert_allclose(np.exp(f["log_r_since_ref"]), (10 + 5 * 1.2) / 15)
    np.testing.assert_allclose(f["log_r_start"], 0.0, atol=1e-12)
    np.testing.assert_allclose(np.exp(f["log_ref_pace"]) * 360, 300.0)
    assert (f["male"], f["sex_missing"], f["age_decades"], f["age_missing"]) == (1, 0, 1, 0)


def test_windows_before_they_are_complete_are_padded_at_the_reference_pace():
    kms, times = _even_then_slow(slow_from=0.0, factor=1.0)
    times = times.copy()
    times[kms >= 21] += 60.0  # one minute lost in the 21st km
    f = landmark_features([21.0, 22.0, 25.0, 26.0], kms, np.vstack([times] * 4)).set_index(LANDMARK)
    lost = 60.0 / (5 * 300.0)  # spread over the 5 km floor of the window
    np.testing.assert_allclose(np.exp(f.loc[21.0, "log_r_since_ref"]), 1 + lost)
    np.testing.assert_allclose(np.exp(f.loc[25.0, "log_r_since_ref"]), 1 + lost)
    np.testing.assert_allclose(np.exp(f.loc[26.0, "log_r_since_ref"]), 1 + 60.0 / (6 * 300.0))
    early = landmark_features([5.0, 6.0], kms, np.vstack([times] * 2))
    assert (early["log_r_prev5"] == 0).all()  # the window before the start counts as even


@settings(max_examples=30, deadline=None)
@given(st.floats(5, 40), st.sampled_from([0.8, 1.0, 1.3]), st.floats(10, 35))
def test_features_are_continuous_in_k(km, factor, slow_from):
    step = 0.001
    kms = np.arange(1, 42_001) * step  # a time every metre: every k below is observed
    times = kms * 330.0 + np.clip(kms - slow_from, 0, None) * 330.0 * (factor - 1)
    i = round(km / step) - 1
    f = landmark_features(kms[[i - 1, i + 1]], kms, np.vstack([times, times]))
    assert f[PACE_FEATURES].notna().all(axis=None)
    # 2 m further moves no feature by more than 2e-3 (no jumps at window edges)
    assert np.abs(np.diff(f[PACE_FEATURES].to_numpy(), axis=0)).max() < 2e-3


def test_chip_mats_and_per_km_watch_data_give_the_same_features():
    kms, times = _even_then_slow(factor=1.3)
    mats = np.array([5.0, 10, 15, 20, 21.0975, 25, 30, 35, 40])
    mat_times = np.interp(mats, kms, times)
    for km in (10, 15, 20, 25, 30, 35, 40):
        a = landmark_features(km, kms, times)
        b = landmark_features(km, mats, mat_times[None, :])
        np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), atol=1e-9)


def test_one_call_for_many_km_equals_one_call_per_km():
    kms, times = _even_then_slow(factor=1.25)
    targets = np.arange(5.0, 41.0)
    many = landmark_features(targets, kms, np.broadcast_to(times, (targets.size, times.size)))
    for i, km in enumerate(targets):
        one = landmark_features(km, kms, times)
        np.testing.assert_allclose(many.iloc[[i]].to_numpy(), one.to_numpy(), atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.floats(5, 41), st.floats(0.5, 3.0))
@example(km=5.999999999999993, scale=1.0)  # once read the 6 km time through a 1e-9 tolerance
def test_times_after_the_checkpoint_never_matter(km, scale):
    kms, times = _even_then_slow()
    later = times.copy()
    later[kms > km] = later[kms > km] * scale + 1e4
    a = landmark_features(km, kms, times)
    b = landmark_features(km, kms, later)
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())


def test_missing_sex_and_age_use_indicators():
    kms, times = _even_then_slow()
    f = checkpoint_features(30, kms, np.vstack([times, times]), sex=["X", None], age=[np.nan, 30])
    assert f["male"].tolist() == [0.5, 0.5] and f["sex_missing"].tolist() == [1, 1]
    assert f["age_missing"].tolist() == [1, 0] and f["age_decades"].tolist() == [0, -1]


def test_interpolation_never_extrapolates():
    got = cumulative_time_at([5.0, 10.0], [[1500.0, np.nan]], [0.0, 2.5, 7.5, 10.0], up_to_km=10)
    assert got[0, :2].tolist() == [0.0, 750.0] and np.isnan(got[0, 2:]).all()


@pytest.mark.parametrize("km", [5, 10, 15, 20])
def test_early_checkpoints_are_defined(km):
    kms, times = _even_then_slow()
    f = checkpoint_features(km, kms, times)
    assert list(f.columns) == list(FEATURES) and f.notna().all(axis=None)


def test_race_windows_follow_the_definitions_and_scale_by_fraction():
    marathon = race_windows()
    assert marathon.reference_km == (5.0, 20.0) and marathon.recent_km == 5.0
    assert marathon.landmark_scale == 1.0 and marathon.pace_factor == 1.0
    half = race_windows(MARATHON_KM / 2)
    assert half.reference_km == pytest.approx((0.2 * MARATHON_KM / 2, 0.5 * MARATHON_KM / 2))
    assert half.recent_km == pytest.approx(2.5) and half.landmark_scale == pytest.approx(2.0)
    assert half.pace_factor == pytest.approx(2**0.06)  # Riegel marathon-equivalent pace
    kms = np.arange(1, 22, dtype=float)
    f = landmark_features(15.0, kms, kms * 300.0, windows=half).iloc[0]
    assert f[LANDMARK] == pytest.approx(30.0)
    assert np.exp(f["log_ref_pace"]) * 360 == pytest.approx(300.0 * 2**0.06)
    assert f[["log_r_last5", "log_r_prev5", "log_r_since_ref"]].abs().max() < 1e-12
