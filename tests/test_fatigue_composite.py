"""Composite fatigue index and the onset rule."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from synthetic import MARATHON_M, fading_race, synthetic_track

from finishline.athlete import Athlete, for_race
from finishline.fatigue import (
    component_scores,
    composite,
    fatigue_index,
    fatigue_onset_km,
    fatigue_state,
)


def per_km(values) -> pd.Series:
    return pd.Series(values, index=pd.RangeIndex(1, len(values) + 1, name="km"), dtype="float64")


def test_onset_needs_a_sustained_run_after_5_km():
    idx = np.zeros(42)
    idx[1:4] = 0.9  # km 2-4: too early
    idx[14:16] = 0.9  # km 15-16: only two kilometres
    idx[29:33] = 0.9  # km 30-33: four kilometres -> onset at the start of km 30
    assert fatigue_onset_km(per_km(idx)) == 29.0
    assert math.isnan(fatigue_onset_km(per_km(idx), min_km=5))
    assert fatigue_onset_km(per_km(idx), min_km=2) == 14.0


def test_onset_broken_by_a_missing_kilometre():
    idx = np.zeros(42)
    idx[29:35] = 0.9
    idx[31] = np.nan
    assert fatigue_onset_km(per_km(idx)) == 32.0


def test_no_onset_on_a_fresh_race():
    assert math.isnan(fatigue_onset_km(per_km(np.full(42, 0.1))))
    assert math.isnan(fatigue_onset_km(per_km([])))


def test_scores_are_bounded_and_renormalise():
    frame = pd.DataFrame(
        {
            "pace_ratio": [0.9, 1.0, 1.125, 1.25, 2.0],
            "decoupling": [np.nan] * 5,
            "cadence_residual": [0.0, -0.025, 0.1, np.nan, 0.0],
            "d_prime_spent": [-0.2, 0.0, 0.5, 1.0, 1.5],
        }
    )
    scores = component_scores(frame)
    assert ((scores.min() >= 0) | scores.min().isna()).all()
    assert ((scores.max() <= 1) | scores.max().isna()).all()
    np.testing.assert_allclose(scores["score_pace"], [0.0, 0.0, 0.5, 1.0, 1.0])
    assert scores["score_cardiac"].isna().all()
    # Pace only (weight 0.5) with D' (0.1) and gait (0.1): a 12.5 % fade, half gait, half D'.
    index = fatigue_index(scores)
    assert index.iloc[2] == pytest.approx((0.5 * 0.5 + 0.1 * 1.0 + 0.1 * 0.5) / 0.7)


def test_onset_on_a_race_that_fades_at_30_km():
    track = fading_race(
        fade_at_m=30_000.0,
        slowdown=1.30,
        wobble=0.03,
        heart_rate=lambda v, d: np.full(v.size, 160.0),
        cadence=lambda v, d: 150.0 + 8.0 * v,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        state = fatigue_state(
            track, for_race(Athlete.given(max_hr_bpm=190.0, rest_hr_bpm=50.0), track)
        )
        km, onset = state.per_km, state.onset_km
    assert onset == 30.0
    assert (km.loc[6:29, "fatigue_index"] < 0.4).all()
    assert (km.loc[32:, "fatigue_index"] >= 0.4).all()


def test_no_onset_on_a_steady_race():
    track = synthetic_track(
        ((MARATHON_M, 3.5),),
        wobble=0.03,
        heart_rate=lambda v, d: np.full(v.size, 160.0),
        cadence=lambda v, d: 150.0 + 8.0 * v,
    )
    athlete = Athlete.given(
        max_hr_bpm=190.0, rest_hr_bpm=50.0, critical_speed_mps=4.1, d_prime_m=150.0
    )
    state = fatigue_state(track, athlete)
    km, onset = state.per_km, state.onset_km
    assert math.isnan(onset)
    assert km["fatigue_index"].max() < 0.4


def test_drift_scores_start_at_the_reference_window():
    scores = {
        "score_pace": np.array([0.8, 0.5, 0.2, 0.3]),
        "score_cardiac": np.array([1.0, np.nan, 0.1, 0.4]),
        "score_glycogen": np.array([0.05, 0.1, 0.15, 0.2]),
    }
    settled = composite.settle(scores, np.array([1000.0, 5000.0, 6000.0, 7000.0]), 5000.0)
    assert settled["score_pace"].tolist() == [0.0, 0.0, 0.2, 0.3]
    assert settled["score_cardiac"][0] == 0.0 and np.isnan(settled["score_cardiac"][1])
    assert settled["score_cardiac"][2:].tolist() == [0.1, 0.4]
    assert settled["score_glycogen"].tolist() == scores["score_glycogen"].tolist()
