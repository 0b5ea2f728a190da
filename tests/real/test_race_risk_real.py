"""Risk timeline, fatigue and verdict on real marathons, an ultra, a half and a long run."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pytest
from corpus import SAMPLE_RUNS, corpus_path, require_shared

from finishline.analysis import analyze

SAMPLE_MARATHONS = [
    "PolarMarathon.fit",
    "TwinCitiesMarathon2014.tcx",
    "TwinCitiesMarathon2014.gpx",
]
CORPUS_RUNS = [
    "tcx/ggps__NewRiver50k2015__run_50.1km.tcx",
    "gpx/ggps__NewRiver50k2015__nosport_50.4km.gpx",
    "fit/polarri__outdoor_halfmarathon_Polar__run_21.5km.fit",
    "tcx/ggps__longrun23k__run_23.4km.tcx",
    "gpx/ggps__longrun23k__run_23.8km.gpx",
]


def _path(name: str):
    if name in SAMPLE_MARATHONS:
        return require_shared(SAMPLE_RUNS / name)
    return corpus_path(name)


@pytest.fixture(scope="module", params=SAMPLE_MARATHONS + CORPUS_RUNS)
def result(request):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyze(_path(request.param))


def test_risk_timeline_is_complete_and_finite(result):
    risk = result.risk.table
    start_km = result.race.final_segment_start_m / 1000.0
    assert risk["km"].iloc[0] == 5
    # 5 km to the start of the race's final mile (the chip model reaches 41 km)
    assert risk["km"].tolist() == list(range(5, min(int(np.floor(start_km)), 41) + 1))
    p = risk[["p_fail", "p_lo", "p_hi", "p_splits", "logit_adjustment"]].to_numpy()
    assert np.isfinite(p).all()
    assert (risk["p_lo"] <= risk["p_fail"]).all() and (risk["p_fail"] <= risk["p_hi"]).all()
    assert (risk["p_fail"] >= risk["p_splits"]).all()


def test_risk_starts_low(result):
    early = result.risk.table.set_index("km").loc[5:10, "p_fail"]
    assert (early < 0.2).all()


def test_verdict_matches_the_measured_final_mile(result):
    fm = result.final_mile
    failed = fm.pace_ratio >= 1.25 or fm.walk_s + fm.stop_s >= 60
    assert fm.failed == failed
    assert result.verdict.startswith("Final mile failed") == failed
    match = re.search(r"(\d+) % (slower|faster) than", result.verdict)
    assert match
    assert float(match.group(1)) == round(abs(100 * (fm.pace_ratio - 1)))
    assert match.group(2) == ("slower" if fm.pace_ratio >= 1 else "faster")


def test_json_has_no_nan(result):
    doc = result.to_json()
    text = json.dumps(doc, allow_nan=False)
    assert "NaN" not in text and "Infinity" not in text
    assert len(doc["risk"]) == len(result.risk.table)
    assert doc["verdict"] == result.verdict


def test_twin_cities_tcx_and_gpx_agree_on_risk():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tcx = analyze(_path("TwinCitiesMarathon2014.tcx")).risk.table.set_index("km")
        gpx = analyze(_path("TwinCitiesMarathon2014.gpx")).risk.table.set_index("km")
    for km in (10, 20, 30, 35, 40):
        assert tcx.loc[km, "p_splits"] == pytest.approx(gpx.loc[km, "p_splits"], abs=0.02)


def test_marathons_that_held_were_rated_low_late():
    """Both sample marathons held their final mile; late risk from the splits is low."""
    for name in ("PolarMarathon.fit", "TwinCitiesMarathon2014.tcx"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = analyze(_path(name))
        assert not res.final_mile.failed
        late = res.risk.table.set_index("km").loc[35:41]
        assert (late["p_fail"] < 0.15).all()
