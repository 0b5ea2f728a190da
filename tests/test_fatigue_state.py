"""fatigue_state end to end: frame shapes, missing channels, and the two real marathons."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from corpus import SAMPLE_RUNS, corpus_path
from synthetic import MARATHON_M, fading_race, real_track, synthetic_track

from finishline.athlete import Athlete, for_race
from finishline.errors import EstimateWarning, FinishlineError
from finishline.fatigue import fatigue_state
from finishline.fatigue.state import complete_track, km_table
from finishline.metrics.splits import splits

COMPONENTS = ["pace_ratio", "decoupling", "cadence_residual", "d_prime_min_m", "glycogen_margin_km"]


def quiet_state(track, **kw):
    """The state with the athlete values ``analyze`` would use (estimated ones included)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimateWarning)
        athlete = for_race(Athlete(), complete_track(track))
        state = fatigue_state(track, athlete, **kw)
    return state.per_second, state.per_km, state.onset_km


def test_frames_cover_the_track():
    track = fading_race(heart_rate=lambda v, d: 150 + 0 * v, cadence=lambda v, d: 150 + 8 * v)
    per_second, per_km, _ = quiet_state(track)
    assert per_second.index.equals(track.index)
    assert len(per_km) == math.ceil(track["distance_m"].max() / 1000.0)
    assert list(per_km.index) == list(range(1, len(per_km) + 1))
    assert per_second["fatigue_index"].between(0, 1).all()
    assert per_km["fatigue_index"].between(0, 1).all()


def test_estimates_are_announced():
    track = fading_race(heart_rate=lambda v, d: 150 + 0 * v)
    with pytest.warns(EstimateWarning) as record:
        athlete = for_race(Athlete(), track)
    messages = " ".join(str(w.message) for w in record)
    assert "critical speed estimated" in messages and "max heart rate estimated" in messages
    per_km = fatigue_state(track, athlete).per_km
    assert per_km.attrs["critical_speed_mps"] == pytest.approx(
        (30.0 + 12.195) / (30.0 / 3.5 + 12.195 / (3.5 / 1.3)) / 0.848, rel=1e-3
    )


def test_fatigue_state_itself_estimates_nothing():
    track = fading_race(heart_rate=lambda v, d: 150 + 0 * v)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EstimateWarning)
        state = fatigue_state(track)
    assert state.per_km["glycogen_margin_km"].isna().all()  # no max HR: no HR intensity
    assert state.per_km["d_prime_spent"].isna().all()  # no critical speed
    assert state.assumed == {"d_prime", "glycogen"}


@pytest.mark.parametrize("drop", [[], ["moving"], ["stride_length_m", "cadence_spm"]])
def test_missing_channels_give_nan_components_not_errors(drop):
    track = synthetic_track(((MARATHON_M, 3.4),)).drop(columns=drop)
    per_second, per_km, onset = quiet_state(track)
    assert per_km["decoupling"].isna().all()
    assert per_km["cadence_residual"].isna().all()
    assert per_km["glycogen_margin_km"].isna().all()
    assert np.isfinite(per_km["pace_ratio"]).all()
    assert np.isfinite(per_km["fatigue_index"]).all()
    assert math.isnan(onset)


def test_everything_missing_but_time():
    track = synthetic_track(((5_000.0, 3.4),))
    track[["distance_m", "speed_mps", "gap_speed_mps"]] = np.nan
    state = fatigue_state(track)
    assert state.empty and state.per_second.empty and math.isnan(state.onset_km)


def test_plain_speed_option_ignores_grade_adjustment():
    track = synthetic_track(((MARATHON_M, 3.4),))
    track["gap_speed_mps"] = 3.4 * np.where(np.arange(len(track)) % 600 < 300, 1.1, 0.9)
    _, graded, _ = quiet_state(track)
    _, plain, _ = quiet_state(track, grade_adjusted=False)
    assert graded["pace_ratio"].std() > 0.01
    np.testing.assert_allclose(plain["pace_ratio"], 1.0, atol=1e-9)


MARATHONS = [
    "fit/polarri__outdoor_marathon_Polar__run_43.1km.fit",
    "tcx/ggps__TwinCitiesMarathon2014__run_42.6km.tcx",
]


@pytest.mark.real
@pytest.mark.parametrize("name", MARATHONS)
def test_real_marathon(name):
    track = real_track(corpus_path(name))
    per_second, per_km, onset = quiet_state(track)
    total_m = float(track["distance_m"].max())
    assert len(per_km) == math.ceil(total_m / 1000.0)
    full = per_km[per_km["km_length_m"] > 500]
    # Every component has data in both files (HR and cadence recorded): finite on every km.
    for column in COMPONENTS + ["stride_residual", "fatigue_index", "cs_fraction"]:
        assert np.isfinite(full[column]).all(), column
    # By construction the reference window averages to the reference (time-weighted speed).
    ref = per_km.loc[6:20]
    ratio = (ref["moving_time_s"] * ref["gap_speed_mps"]).sum() / ref["moving_time_s"].sum()
    assert ratio == pytest.approx(per_km.attrs["reference_speed_mps"], rel=0.02)
    assert per_km.loc[6:20, "decoupling"].abs().median() < 0.05
    assert per_km.loc[6:20, "cadence_residual"].abs().median() < 0.02
    assert np.isnan(onset) or 5.0 <= onset < total_m / 1000.0
    # The first 5 km (start crowding, the heart rate still rising) are not fatigue: the index
    # there stays low, below the 0.3 that typical drift reaches, per km and per second.
    assert (per_km.loc[1:5, "fatigue_index"] < 0.3).all()
    start = per_second[track["distance_m"].to_numpy() <= 5000.0]
    assert (start["fatigue_index"].dropna() < 0.3).all()
    for km in (20, 30, 40):
        row = per_km.loc[km, COMPONENTS + ["fatigue_index"]].round(3).to_dict()
        print(f"{name} km {km}: {row}")
    print(f"{name}: onset_km={onset}, CS={per_km.attrs['critical_speed_mps']:.2f} m/s")


@pytest.mark.parametrize("source", ["synthetic", "PolarMarathon.fit"])
def test_km_table_has_the_boundaries_and_times_of_the_km_splits(source):
    """The per-km table re-derives only the split columns it needs: it must stay the splits."""
    if source == "synthetic":
        track = fading_race(heart_rate=lambda v, d: 150 + 0 * v)
    else:
        track = real_track(SAMPLE_RUNS / source)
    per_km = km_table(track, 3.0)
    km = splits(track, 1000.0)
    np.testing.assert_array_equal(per_km.index, km["split"])
    np.testing.assert_array_equal(per_km["distance_end_m"], km["end_m"])
    np.testing.assert_array_equal(per_km["km_length_m"], km["distance_m"])
    np.testing.assert_array_equal(per_km["moving_time_s"], km["moving_s"])
    speed = km["distance_m"] / km["moving_s"]
    np.testing.assert_allclose(per_km["speed_mps"], speed, rtol=1e-12)
    grade = km["pace_s_per_km"] / km["gap_pace_s_per_km"]
    np.testing.assert_allclose(per_km["gap_speed_mps"], speed * grade.fillna(1.0), rtol=1e-12)


def test_timestamps_out_of_order_are_a_finishline_error():
    track = synthetic_track(((10_000.0, 3.4),), heart_rate=lambda v, d: 150 + 0 * v)
    shuffled = track.iloc[np.r_[100:200, 0:100, 200 : len(track)]]
    with pytest.raises(FinishlineError, match="not in increasing order"):
        fatigue_state(shuffled)
