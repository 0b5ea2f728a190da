"""Pre-race final-mile risk: the calibrated base at the predicted ability plus readiness shifts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finishline.training.readiness import (
    AMBITION_SHIFT_RANGE,
    READINESS_EFFECTS,
    pre_race_risk,
    readiness_shifts,
)

PREDICTED_S = 4 * 3600.0
#: The season of the bug report: marathon shape 11 %, no long run, 8.8 km/week.
UNPREPARED = {
    "marathon_shape": {
        "shape_pct": 11.0,
        "volume_pct": 16.5,  # 8.8 km/week against a 53 km target
        "long_run_pct": 0.0,
        "weekly_km": 8.8,
        "long_runs": 0,
    },
    "durability": {"decoupling_median": None, "n_runs": 0, "durability": None},
}
PREPARED = {
    "marathon_shape": {"volume_pct": 110.0, "long_run_pct": 120.0},
    "durability": {"durability": 0.9},
}


def test_an_unprepared_season_is_never_below_the_base_rate_at_its_predicted_time():
    risk = pre_race_risk(PREDICTED_S, PREDICTED_S, sex="M", age=40, readiness=UNPREPARED)
    assert risk["p_fail"] >= risk["p_base"]
    # the chip data's own base rates are 11 % (Chicago 2023) to 25 % (Boston 2014)
    assert risk["p_base"] > 0.11 and risk["p_fail"] > 0.2
    assert risk["shifts"]["long_runs"] == pytest.approx(0.54)
    assert risk["shifts"]["volume"] == pytest.approx(0.40 * (1 - 16.5 / 100))
    assert risk["shifts"]["durability"] == 0.0  # unknown: no shift
    assert risk["readiness_inputs"]["durability"] is None


def test_preparation_on_target_adds_nothing_and_the_base_is_calibrated():
    ready = pre_race_risk(PREDICTED_S, PREDICTED_S, sex="F", age=35, readiness=PREPARED)
    unknown = pre_race_risk(PREDICTED_S, PREDICTED_S, sex="F", age=35)
    assert ready["logit_shift"] == 0.0 and ready["p_fail"] == pytest.approx(ready["p_base"])
    assert unknown["p_fail"] == pytest.approx(ready["p_fail"])
    assert ready["p_lo"] == pytest.approx(ready["p_base_lo"])
    assert ready["p_hi"] == pytest.approx(ready["p_base_hi"])
    assert "chip-split" in ready["calibrated"] and "assumed" in ready["assumed"]


def test_base_follows_the_chip_data_by_pace_and_sex():
    """In the chip data the failure rate rises from the fastest runners to 5:30-6:00 /km
    (Boston 2014 19 % -> 31 %, Chicago 2023 8 % -> 14 %) and men fail more than women."""
    fast = pre_race_risk(2.75 * 3600.0, 2.75 * 3600.0, sex="M")["p_base"]
    middle = pre_race_risk(4 * 3600.0, 4 * 3600.0, sex="M")["p_base"]
    women = pre_race_risk(4 * 3600.0, 4 * 3600.0, sex="F")["p_base"]
    assert fast < middle and women < middle


def test_risk_rises_with_ambition_and_with_worse_preparation():
    risks = [pre_race_risk(PREDICTED_S * f, PREDICTED_S)["p_fail"] for f in (1.05, 1.0, 0.95, 0.9)]
    assert all(b > a for a, b in zip(risks, risks[1:], strict=False))
    worse = [
        pre_race_risk(
            PREDICTED_S,
            PREDICTED_S,
            readiness={"marathon_shape": {"volume_pct": v, "long_run_pct": v}},
        )["p_fail"]
        for v in (120.0, 100.0, 60.0, 20.0, 0.0)
    ]
    assert worse[0] == worse[1] and all(b > a for a, b in zip(worse[1:], worse[2:], strict=False))


@settings(deadline=None)  # timings on a shared machine vary 10x
@given(
    st.one_of(st.none(), st.floats(-50, 300)),
    st.one_of(st.none(), st.floats(-50, 300)),
    st.one_of(st.none(), st.floats(-1, 2)),
    st.floats(0.5, 2.0),
)
def test_shifts_are_bounded_and_one_sided(long_run_pct, volume_pct, durability, ambition):
    shifts = readiness_shifts(long_run_pct, volume_pct, durability, over_ambition=ambition)
    for name, _, _, _, size in READINESS_EFFECTS:
        assert 0.0 <= shifts[name] <= size
    low, high = AMBITION_SHIFT_RANGE
    assert low <= shifts["ambition"] <= high
    assert np.sign(shifts["ambition"]) == np.sign(round(np.log(ambition), 12))


def test_band_contains_the_estimate_and_widens_with_assumed_shifts():
    calm = pre_race_risk(PREDICTED_S, PREDICTED_S, readiness=PREPARED)
    bold = pre_race_risk(PREDICTED_S * 0.9, PREDICTED_S, readiness=UNPREPARED)
    for risk in (calm, bold):
        assert risk["p_lo"] <= risk["p_fail"] <= risk["p_hi"]
    assert bold["p_hi"] - bold["p_lo"] > calm["p_hi"] - calm["p_lo"]
    assert bold["p_lo"] == pytest.approx(bold["p_base_lo"])  # raising shifts may be worth 0
