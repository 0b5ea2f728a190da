"""The estimator, the hat basis, the calibrators, the landmark wrapper and the shipped parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from corpus import SPLITS, require_shared
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit

from finishline.errors import InputDataError
from finishline.risk import (
    CheckpointRiskModel,
    FinalMileRiskModel,
    InterceptCalibrator,
    LandmarkRiskModel,
    PlattCalibrator,
)
from finishline.risk.evaluate import (
    auc,
    calibration_slope_intercept,
    expected_calibration_error,
)
from finishline.risk.features import FEATURES, LANDMARK
from finishline.risk.model import KNOTS_KM, hat_basis

COLUMNS = [*FEATURES, LANDMARK]


def _synthetic(n=6000, seed=0, shift=0.0, landmarks=(10.0, 20.0, 30.0, 40.0)):
    """Stacked landmark rows whose slowing effect grows with the landmark (known truth)."""
    rng = np.random.default_rng(seed)
    frames = []
    for km in landmarks:
        x = pd.DataFrame(0.0, index=range(n), columns=COLUMNS)
        x["log_r_last5"] = rng.normal(0.05, 0.08, n)
        x["log_ref_pace"] = rng.normal(0.0, 0.15, n)
        x["male"] = rng.integers(0, 2, n).astype(float)
        x[LANDMARK] = km
        frames.append(x)
    x = pd.concat(frames, ignore_index=True)
    slope = 0.3 * x[LANDMARK]  # 3 per unit at 10 km ... 12 at 40 km
    eta = -2.0 + shift + slope * x["log_r_last5"] + 0.6 * x["male"]
    y = (rng.random(len(x)) < expit(eta)).astype(float)
    return x, y, expit(eta)


@settings(deadline=None)  # timings on a shared machine vary 10x
@given(st.floats(-10, 60))
def test_hat_basis_is_a_partition_of_unity_held_flat_outside(km):
    basis = hat_basis([km])[0]
    assert basis.sum() == pytest.approx(1.0) and (basis >= 0).all()
    assert np.count_nonzero(basis) <= 2
    k = min(max(km, KNOTS_KM[0]), KNOTS_KM[-1])
    assert basis @ np.asarray(KNOTS_KM) == pytest.approx(k)  # linear functions are exact


def test_fit_follows_estimator_conventions_and_recovers_a_varying_effect():
    x, y, p_true = _synthetic()
    model = FinalMileRiskModel(n_bootstrap=5)
    assert model.fit(x, y) is model
    proba = model.predict_proba(x)
    assert proba.shape == (len(x), 2) and np.allclose(proba.sum(axis=1), 1)
    assert np.corrcoef(proba[:, 1], p_true)[0, 1] > 0.98
    slope, intercept = calibration_slope_intercept(y, proba[:, 1])
    assert abs(slope - 1) < 0.1 and abs(intercept) < 0.1
    lo, hi = model.predict_interval(x)
    assert np.all(lo <= proba[:, 1]) and np.all(proba[:, 1] <= hi) and np.any(hi > lo)
    # the effect of slowing grows with the landmark as simulated: 3 per unit at 10 km, 12 at 40
    probe = pd.DataFrame(0.0, index=range(4), columns=COLUMNS)
    probe["log_r_last5"] = [0.0, 0.1, 0.0, 0.1]
    probe[LANDMARK] = [10.0, 10.0, 40.0, 40.0]
    eta = model.decision_function(probe)
    assert (eta[1] - eta[0]) / 0.1 == pytest.approx(3.0, rel=0.3)
    assert (eta[3] - eta[2]) / 0.1 == pytest.approx(12.0, rel=0.3)


def test_predictions_are_continuous_between_landmarks():
    x, y, _ = _synthetic()
    model = FinalMileRiskModel().fit(x, y)
    row = x.iloc[[0] * 301].copy()
    row[LANDMARK] = np.linspace(10.0, 40.0, 301)
    eta = model.decision_function(row)
    assert np.abs(np.diff(eta)).max() < 0.05  # 0.1 km steps: no jump anywhere


def test_race_intercept_curves_and_spread_enter_the_band():
    xa, ya, _ = _synthetic(seed=1)
    xb, yb, _ = _synthetic(seed=2, shift=1.0)
    x = pd.concat([xa, xb], ignore_index=True)
    y = np.concatenate([ya, yb])
    groups = ["a"] * len(xa) + ["b"] * len(xb)
    model = FinalMileRiskModel().fit(x, y, groups=groups)
    gap = model.group_intercepts_["b"] - model.group_intercepts_["a"]
    assert np.all(np.abs(gap[1:] - 1.0) < 0.2)  # knots 10-40 km carry data
    sd = model.race_sd(np.array([20.0, 30.0]))
    np.testing.assert_allclose(sd, np.abs(gap[[3, 5]]) / np.sqrt(2))
    assert (model.log_odds_sd(x.iloc[:5]) >= model.race_sd(x[LANDMARK].iloc[:5]) - 1e-12).all()


def test_cluster_bootstrap_resamples_runners_not_rows():
    x, y, _ = _synthetic(n=1500)
    runners = np.tile(np.arange(1500), 4)
    by_runner = FinalMileRiskModel(n_bootstrap=20, random_state=1).fit(x, y, clusters=runners)
    by_row = FinalMileRiskModel(n_bootstrap=20, random_state=1).fit(x, y)
    assert by_runner.param_cov_.shape == by_row.param_cov_.shape
    assert np.trace(by_runner.param_cov_) > 0 and np.trace(by_row.param_cov_) > 0


def test_to_dict_round_trip():
    x, y, _ = _synthetic(n=1000)
    model = FinalMileRiskModel(n_bootstrap=5).fit(x, y)
    again = FinalMileRiskModel.from_dict(model.to_dict())
    np.testing.assert_allclose(again.predict_proba(x), model.predict_proba(x), atol=1e-6)
    np.testing.assert_allclose(again.log_odds_sd(x), model.log_odds_sd(x), rtol=1e-3)


def test_fit_refuses_nan_features():
    x, y, _ = _synthetic(n=100)
    x.iloc[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        FinalMileRiskModel().fit(x, y)


def test_calibrators_undo_a_known_miscalibration():
    rng = np.random.default_rng(3)
    p_true = rng.uniform(0.01, 0.9, 50000)
    y = (rng.random(len(p_true)) < p_true).astype(float)
    distorted = expit(0.5 + 2.0 * np.log(p_true / (1 - p_true)))
    platt = PlattCalibrator().fit(distorted, y)
    assert abs(platt.slope_ - 0.5) < 0.05 and abs(platt.intercept_ + 0.25) < 0.05
    assert expected_calibration_error(y, platt.transform(distorted)) < 0.01
    shifted = expit(np.log(p_true / (1 - p_true)) + 0.7)
    assert abs(InterceptCalibrator().fit(shifted, y).intercept_ + 0.7) < 0.05
    assert np.isnan(platt.transform([np.nan]))[0]


def test_metrics_known_answers():
    assert auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    assert auc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9]) == 0.875  # a tie counts one half
    assert np.isnan(auc([1, 1], [0.2, 0.3]))
    assert expected_calibration_error([0, 1], [0.0, 1.0]) == 0.0


def test_shipped_model_predicts_at_any_km_and_rises_with_slowing():
    model = LandmarkRiskModel.load()
    assert CheckpointRiskModel is LandmarkRiskModel
    kms = np.arange(1, 43, dtype=float)
    steady = kms * 330.0
    slowing = steady + np.clip(kms - 28, 0, None) * 330.0 * 0.3
    for km in (5, 12.5, 20, 27.3, 35, 41):
        calm = model.predict_at(km, steady, sex="F", age=35)
        hurt = model.predict_at(km, slowing, sex="F", age=35)
        assert 0 < calm["p_lo"] <= calm["p_fail"] <= calm["p_hi"] < 1
        if km >= 30:
            assert hurt["p_fail"] > 2 * calm["p_fail"]
    as_mapping = model.predict_at(35, dict(zip(kms, slowing, strict=True)))
    assert as_mapping["p_fail"] == pytest.approx(model.predict_at(35, slowing)["p_fail"])
    with pytest.raises(InputDataError):
        model.predict_at(3, steady)


def test_timeline_in_one_call_equals_predict_at_every_km():
    model = LandmarkRiskModel.load()
    kms = np.arange(1, 43, dtype=float)
    times = kms * 320.0 + np.clip(kms - 25, 0, None) * 40.0
    timeline = model.predict_timeline(np.arange(5.0, 41.0), times, sex="M", age=50)
    for _, row in timeline.iloc[::7].iterrows():
        one = model.predict_at(row["km"], times, sex="M", age=50)
        assert one["p_fail"] == pytest.approx(row["p_fail"], rel=1e-12)
        assert one["p_hi"] == pytest.approx(row["p_hi"], rel=1e-12)


def test_no_jump_between_mats_before_20_km():
    # Twin Cities 2014 km clock times (s): a slow first 5 km, then steady. Between the 10 and
    # 15 km mats the former per-checkpoint models once scored this runner up to 0.98.
    times = [315, 696, 1089, 1484, 1866, 2217, 2579, 2939, 3304, 3665, 4008, 4385, 4731, 5103]
    times += [5482, 5817]
    model = LandmarkRiskModel.load()
    timeline = model.predict_timeline(np.arange(5.0, 17.0), times)
    assert timeline["p_fail"].max() < 0.3
    assert np.abs(np.diff(timeline["log_odds"])).max() < 0.3


@pytest.mark.real
def test_shipped_params_reproduce_on_a_subsample():
    require_shared(SPLITS)
    from finishline.risk.train import fit_all, load_races, stacked_table

    results = load_races(SPLITS)
    sample = results.groupby("race", group_keys=False).sample(frac=0.3, random_state=0)
    refit = fit_all(sample, n_bootstrap=0)
    shipped = LandmarkRiskModel.load()
    table = stacked_table(results, (20.0, 30.0, 35.0))
    x = table[COLUMNS]
    p_shipped = shipped.estimator.predict_proba(x)[:, 1]
    p_refit = refit.estimator.predict_proba(x)[:, 1]
    assert np.corrcoef(p_shipped, p_refit)[0, 1] > 0.99
    assert np.mean(np.abs(p_shipped - p_refit)) < 0.015
    assert abs(auc(table["fmf"], p_shipped) - auc(table["fmf"], p_refit)) < 0.005
