"""The real marathons: Polar FIT (no GPS) and Twin Cities 2014 (TCX and GPX of the same race)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from corpus import corpus_path

import finishline
from finishline.analysis import analyze

MARATHONS = [
    "fit/polarri__outdoor_marathon_Polar__run_43.1km.fit",
    "tcx/ggps__TwinCitiesMarathon2014__run_42.6km.tcx",
    "gpx/ggps__TwinCitiesMarathon2014__nosport_42.7km.gpx",
]


@pytest.fixture(scope="module", params=MARATHONS)
def result(request):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyze(finishline.read(corpus_path(request.param)))


def test_splits_complete_and_sum_to_total(result):
    total = result.track["distance_m"].iloc[-1]
    for table in (result.splits_km, result.splits_mile):
        assert table["distance_m"].sum() == pytest.approx(total)
        cols = ["time_s", "moving_s", "pace_s_per_km", "gap_pace_s_per_km", "avg_hr_bpm"]
        assert table[cols].notna().all().all()
        assert table["partial"].sum() <= 1 and table["partial"].iloc[-1]
    assert len(result.splits_km) == int(total // 1000) + 1
    assert result.splits_km["time_s"].sum() == pytest.approx(result.track["elapsed_s"].iloc[-1])


def test_final_mile_facts_computed(result):
    fm = result.final_mile
    assert result.race.key == "marathon" and fm.reference == "5-20 km"
    assert 0.5 < fm.pace_ratio < 2.0 and 0.5 < fm.gap_pace_ratio < 2.0
    assert isinstance(fm.failed, bool) and fm.outcome in ("held", "slowed", "failed")
    json.dumps(result.to_json(), allow_nan=False)


def test_efforts_are_faster_than_the_race(result):
    race_pace = result.summary.pace_s_per_km
    shorter = result.efforts[result.efforts["distance_m"] < 0.9 * result.summary.distance_m]
    assert (shorter["pace_s_per_km"] <= race_pace + 1e-9).all()
    names = result.efforts["effort"].tolist()
    assert names[:7] == ["400m", "1k", "mile", "3k", "5k", "10k", "half"]
    assert set(names) <= {*names[:7], "marathon"}


def test_twin_cities_formats_agree():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tcx = analyze(finishline.read(corpus_path(MARATHONS[1])))
        gpx = analyze(finishline.read(corpus_path(MARATHONS[2])))
    assert tcx.summary.elapsed_s == gpx.summary.elapsed_s
    assert tcx.summary.distance_m == pytest.approx(gpx.summary.distance_m, rel=0.005)
    assert tcx.final_mile.pace_ratio == pytest.approx(gpx.final_mile.pace_ratio, rel=0.01)
    # GPX distance comes from positions, TCX from the device: miles agree to a few seconds
    diff = np.abs(tcx.splits_mile["time_s"].iloc[:-1] - gpx.splits_mile["time_s"].iloc[:-1])
    assert float(np.median(diff)) <= 3.0


def test_gap_varies_less_than_pace_on_a_hilly_run():
    """A hilly run with a barometer: per-km GAP pace is steadier than clock pace."""
    name = "tcx/ggps__activity_17075053124_lorimer_avinger__run_8.0km.tcx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = analyze(finishline.read(corpus_path(name)))
    full = res.splits_km[~res.splits_km["partial"]]
    climb = full["elev_gain_m"] - full["elev_loss_m"]
    assert np.corrcoef(full["pace_s_per_km"], climb)[0, 1] > 0.5  # pace follows the hills
    assert full["gap_pace_s_per_km"].std() < 0.75 * full["pace_s_per_km"].std()
