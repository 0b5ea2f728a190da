"""The risk timeline on real races: marathons, a half, a 50 km ultra and a 23.8 km long run.

Properties, each of which could fail: the timeline runs from 5 km to the start of the race's
final mile; at a chip mat it equals ``risk-splits`` on the same cumulative times; it reads no
time after the km it scores; it moves only when the pace moves (the same run at an even pace
moves less than 0.3 logit per km, and heart rate or cadence never move it); a collapse raises
it monotonically; a non-marathon is labelled transferred, never called a marathon.
"""

from __future__ import annotations

import warnings
from functools import cache

import numpy as np
import pandas as pd
import pytest
from corpus import SAMPLE_RUNS, corpus_path, require_shared

from finishline.clean import clean
from finishline.definitions import METRE_PER_MILE, detect_race
from finishline.io import read
from finishline.risk.chip import CHIP_MATS_KM
from finishline.risk.watch import clock_times_at_km, shipped_model, watch_risk

pytestmark = pytest.mark.real

SAMPLE_MARATHONS = ["PolarMarathon.fit", "TwinCitiesMarathon2014.tcx", "TwinCitiesMarathon2014.gpx"]
CORPUS_RUNS = [
    "fit/polarri__outdoor_halfmarathon_Polar__run_21.5km.fit",
    "tcx/ggps__NewRiver50k2015__run_50.1km.tcx",
    "gpx/ggps__longrun23k__run_23.8km.gpx",
]
EXPECTED_RACE = {
    "PolarMarathon.fit": "marathon",
    "TwinCitiesMarathon2014.tcx": "marathon",
    "TwinCitiesMarathon2014.gpx": "marathon",
    CORPUS_RUNS[0]: "half",
    CORPUS_RUNS[1]: "50k",
    CORPUS_RUNS[2]: "run",
}


@cache
def _track(name: str) -> pd.DataFrame:
    path = require_shared(SAMPLE_RUNS / name) if name in SAMPLE_MARATHONS else corpus_path(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return clean(read(path))


def _distance_m(track: pd.DataFrame) -> float:
    return float(np.nanmax(track["distance_m"].to_numpy(float)))


@pytest.fixture(scope="module", params=SAMPLE_MARATHONS + CORPUS_RUNS)
def run(request):
    track = _track(request.param)
    return request.param, track, watch_risk(track)


def test_timeline_runs_from_5_km_to_the_final_mile(run):
    name, track, risk = run
    race = detect_race(_distance_m(track))
    assert risk.attrs["race"] == EXPECTED_RACE[name] == race.key
    final_start_km = (_distance_m(track) - METRE_PER_MILE) / 1000.0
    assert risk.attrs["ends_at_km"] == pytest.approx(final_start_km)
    assert risk["km"].tolist() == list(range(5, int(np.floor(final_start_km)) + 1))
    p = risk[["p_fail", "p_lo", "p_hi", "p_splits", "p_splits_lo", "p_splits_hi"]].to_numpy()
    assert np.isfinite(p).all() and (p > 0).all() and (p < 1).all()
    assert (risk["p_splits_lo"] <= risk["p_splits"]).all()
    assert (risk["p_splits"] <= risk["p_splits_hi"]).all()


def test_only_a_marathon_is_calibrated_and_no_other_race_is_called_one(run):
    name, _, risk = run
    marathon = EXPECTED_RACE[name] == "marathon"
    assert risk.attrs["calibrated"] == marathon
    text = " ".join([risk.attrs["calibration"], *risk.attrs["notes"]])
    if not marathon:
        assert "transferred from the marathon model, not calibrated on" in text
        for allowed in ("marathon model", "marathon-equivalent", risk.attrs["race_label"]):
            text = text.replace(allowed, "")
        assert "marathon" not in text


def test_no_time_after_the_scored_km_is_read(run):
    name, track, risk = run
    race = detect_race(_distance_m(track))
    cut_km = int(risk["km"].iloc[len(risk) // 2])
    cut = track[track["distance_m"] <= cut_km * 1000.0 + 500.0]
    early = watch_risk(cut, race=race).set_index("km")["p_splits"]
    full = risk.set_index("km")["p_splits"]
    pd.testing.assert_series_equal(early.loc[:cut_km], full.loc[:cut_km])


def test_the_same_run_at_an_even_pace_moves_less_than_0_3_logit_per_km(run):
    """Per marathon-equivalent km, to the 35 km landmark; after it an even runner's log-odds
    may only fall, by less than the chip data's own even runners (0.35 logit/km)."""
    name, track, _ = run
    steady = track.copy()
    total_s = float(track["elapsed_s"].iloc[-1] - track["elapsed_s"].iloc[0])
    steady["elapsed_s"] = track["distance_m"].to_numpy(float) / _distance_m(track) * total_s
    risk = watch_risk(steady)
    eta = risk["log_odds_splits"].to_numpy()
    landmark = risk["landmark_km"].to_numpy()
    per_km = np.diff(eta) / np.diff(landmark)
    early = landmark[1:] <= 35.0 + 1e-9
    assert np.abs(per_km[early]).max() < 0.3, f"{name}: {np.abs(per_km[early]).max():.2f}"
    assert (per_km[~early] <= 1e-9).all() and (np.abs(per_km[~early]) < 0.35).all()


def test_heart_rate_and_cadence_never_move_the_calibrated_layer(run):
    name, track, risk = run
    blind = track.copy()
    blind[["heart_rate_bpm", "cadence_spm"]] = np.nan
    pd.testing.assert_series_equal(watch_risk(blind)["p_splits"], risk["p_splits"])


@pytest.mark.parametrize("name", SAMPLE_MARATHONS)
def test_at_every_mat_the_timeline_equals_risk_splits(name):
    track = _track(name)
    risk = watch_risk(track).set_index("km")
    clock = clock_times_at_km(track)
    labels = [label for label, km in CHIP_MATS_KM.items() if float(km).is_integer() and km <= 40]
    row = {"id": name, "sex": None, "age": np.nan}
    row |= {label: float(clock.loc[int(CHIP_MATS_KM[label])]) for label in labels}
    results = pd.DataFrame([row]).reindex(columns=["id", *CHIP_MATS_KM, "sex", "age"])
    for label in labels:
        km = int(CHIP_MATS_KM[label])
        chip = shipped_model().predict_results(results, at_km=km)
        assert chip["p_fail"].iloc[0] == pytest.approx(risk.loc[km, "p_splits"], rel=1e-9)
        assert chip["p_hi"].iloc[0] == pytest.approx(risk.loc[km, "p_splits_hi"], rel=1e-9)


@pytest.mark.parametrize("name", ["PolarMarathon.fit", CORPUS_RUNS[0], CORPUS_RUNS[1]])
def test_a_collapse_raises_the_risk_monotonically(name):
    """The real run, slowed from 70 % of its final-mile start on, 8 % more each km."""
    track = _track(name)
    risk = watch_risk(track)
    onset_m = 0.7 * (_distance_m(track) - METRE_PER_MILE)
    distance = track["distance_m"].to_numpy(float)
    after_km = np.clip(distance - onset_m, 0.0, None) / 1000.0
    pace_s_per_km = float(track["elapsed_s"].iloc[-1]) / (_distance_m(track) / 1000.0)
    slowed = track.copy()
    slowed["elapsed_s"] = track["elapsed_s"] + pace_s_per_km * 0.08 * after_km**2 / 2
    collapsed = watch_risk(slowed, race=detect_race(_distance_m(track))).set_index("km")
    onset_km = int(np.ceil(onset_m / 1000.0))
    eta = collapsed.loc[onset_km + 1 :, "log_odds_splits"].to_numpy()
    assert len(eta) >= 3 and (np.diff(eta) > 0).all()
    assert collapsed["p_splits"].iloc[-1] > risk["p_splits"].iloc[-1] + 0.2


def test_twin_cities_tcx_and_gpx_agree():
    tcx = watch_risk(_track("TwinCitiesMarathon2014.tcx")).set_index("km")
    gpx = watch_risk(_track("TwinCitiesMarathon2014.gpx")).set_index("km")
    for km in (10, 20, 30, 35, 40):
        assert tcx.loc[km, "p_splits"] == pytest.approx(gpx.loc[km, "p_splits"], abs=0.02)


@pytest.mark.parametrize("name", ["PolarMarathon.fit", "TwinCitiesMarathon2014.tcx"])
def test_marathons_that_held_were_rated_low_late(name):
    """Both sample marathons held their final mile; late risk from the splits is low."""
    risk = watch_risk(_track(name)).set_index("km")
    assert (risk.loc[35:, "p_splits"] < 0.1).all()
    assert risk.loc[35:, "p_splits"].max() < risk.loc[5:15, "p_splits"].min()


def test_analyze_carries_the_same_calibrated_timeline():
    from finishline.analysis import analyze

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = analyze(require_shared(SAMPLE_RUNS / "TwinCitiesMarathon2014.tcx"))
    table = result.risk.table
    alone = watch_risk(result.track, race=result.race)
    pd.testing.assert_series_equal(table["p_splits"], alone["p_splits"])
    assert (table["p_fail"] >= table["p_splits"]).all()
