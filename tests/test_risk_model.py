"""The estimator, the calibrators, the checkpoint wrapper and the shipped parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from corpus import SPLITS, require_shared
from scipy.special import expit

from finishline.errors import InputDataError
from finishline.risk import (
    CheckpointRiskModel,
    FinalMileRiskModel,
    InterceptCalibrator,
    PlattCalibrator,
)
from finishline.risk.evaluate import (
    auc,
    calibration_slope_intercept,
    expected_calibration_error,
)
from finishline.risk.features import FEATURES


def _synthetic(n=20000, seed=0, shift=0.0):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(0.0, index=range(n), columns=list(FEATURES))
    x["log_r_last5"] = rng.normal(0.05, 0.08, n)
    x["log_ref_pace"] = rng.normal(0.0, 0.15, n)
    x["male"] = rng.integers(0, 2, n).astype(float)
    eta = -2.0 + shift + 12.0 * x["log_r_last5"] + 0.6 * x["male"]
    y = (rng.random(n) < expit(eta)).astype(float)
    return x, y, expit(eta)


def test_fit_follows_estimator_conventions_and_is_well_calibrated_in_sample():
    x, y, p_true = _synthetic()
    model = FinalMileRiskModel(n_bootstrap=10)
    assert model.fit(x, y) is model
    proba = model.predict_proba(x)
    assert proba.shape == (len(x), 2) and np.allclose(proba.sum(axis=1), 1)
    assert np.corrcoef(proba[:, 1], p_true)[0, 1] > 0.98
    slope, intercept = calibration_slope_intercept(y, proba[:, 1])
    assert abs(slope - 1) < 0.1 and abs(intercept) < 0.1
    lo, hi = model.predict_interval(x)
    assert np.all(lo <= proba[:, 1]) and np.all(proba[:, 1] <= hi) and np.any(hi > lo)


def test_race_intercepts_and_spread_enter_the_band():
    xa, ya, _ = _synthetic(seed=1)
    xb, yb, _ = _synthetic(seed=2, shift=1.0)
    x = pd.concat([xa, xb], ignore_index=True)
    y = np.concatenate([ya, yb])
    groups = ["a"] * len(xa) + ["b"] * len(xb)
    model = FinalMileRiskModel().fit(x, y, groups=groups)
    gap = model.group_intercepts_["b"] - model.group_intercepts_["a"]
    assert abs(gap - 1.0) < 0.15
    assert abs(model.race_sd_ - abs(gap) / np.sqrt(2)) < 1e-9
    assert model.log_odds_sd(x.iloc[:5]).min() >= model.race_sd_


def test_to_dict_round_trip():
    x, y, _ = _synthetic(n=3000)
    model = FinalMileRiskModel(n_bootstrap=5).fit(x, y)
    again = FinalMileRiskModel.from_dict(model.to_dict())
    np.testing.assert_allclose(again.predict_proba(x), model.predict_proba(x), atol=1e-6)


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
    assert np.isnan(auc([1, 1], [0.2, 0.3]))
    assert expected_calibration_error([0, 1], [0.0, 1.0]) == 0.0


def test_shipped_model_predicts_at_any_km_and_rises_with_slowing():
    model = CheckpointRiskModel.load()
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


@pytest.mark.real
def test_shipped_params_reproduce_on_a_subsample():
    require_shared(SPLITS)
    from finishline.risk.train import fit_all, load_races, training_table

    results = load_races(SPLITS)
    sample = results.groupby("race", group_keys=False).sample(frac=0.3, random_state=0)
    refit = fit_all(sample, checkpoints=(30.0, 35.0), n_bootstrap=0)
    shipped = CheckpointRiskModel.load()
    for km in (30.0, 35.0):
        table = training_table(results, km)
        x = table[list(FEATURES)]
        p_shipped = shipped.models[km].predict_proba(x)[:, 1]
        p_refit = refit.models[km].predict_proba(x)[:, 1]
        assert np.corrcoef(p_shipped, p_refit)[0, 1] > 0.99
        assert np.mean(np.abs(p_shipped - p_refit)) < 0.015
        assert abs(auc(table["fmf"], p_shipped) - auc(table["fmf"], p_refit)) < 0.005


def test_no_jump_between_mats_before_20_km():
    # Twin Cities 2014 km clock times (s): a slow first 5 km, then steady. Between the 10 and
    # 15 km mats the upper model once scored this runner up to 0.98.
    from finishline.risk import CheckpointRiskModel

    times = {
        1: 315,
        2: 696,
        3: 1089,
        4: 1484,
        5: 1866,
        6: 2217,
        7: 2579,
        8: 2939,
        9: 3304,
        10: 3665,
        11: 4008,
        12: 4385,
        13: 4731,
        14: 5103,
        15: 5482,
        16: 5817,
    }
    model = CheckpointRiskModel.load()
    p = {
        k: model.predict_at(k, {d: t for d, t in times.items() if d <= k})["p_fail"]
        for k in range(10, 17)
    }
    assert max(p.values()) < 0.3
    assert max(p.values()) - min(p.values()) < 0.1
