"""Checkpoint features: known answers, no look-ahead, chip and per-km watch data agree."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from finishline.risk.features import FEATURES, checkpoint_features, cumulative_time_at


def _even_then_slow(ref_pace=300.0, slow_from=30.0, factor=1.2):
    kms = np.arange(1, 43, dtype=float)
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


def test_chip_mats_and_per_km_watch_data_give_the_same_features():
    kms, times = _even_then_slow(factor=1.3)
    mats = np.array([5.0, 10, 15, 20, 21.0975, 25, 30, 35, 40])
    mat_times = np.interp(mats, kms, times)
    for km in (20, 25, 30, 35):
        a = checkpoint_features(km, kms, times)
        b = checkpoint_features(km, mats, mat_times[None, :])
        np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.floats(5, 41), st.floats(0.5, 3.0))
@example(km=5.999999999999993, scale=1.0)  # once read the 6 km time through a 1e-9 tolerance
def test_times_after_the_checkpoint_never_matter(km, scale):
    kms, times = _even_then_slow()
    later = times.copy()
    later[kms > km] = later[kms > km] * scale + 1e4
    a = checkpoint_features(km, kms, times)
    b = checkpoint_features(km, kms, later)
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
