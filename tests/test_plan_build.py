"""``finishline.plan(course, ...)``: the whole plan on the Twin Cities course, its heat, its outputs."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from corpus import SAMPLE_RUNS, corpus_path, require_shared
from garmin_fit_sdk import Decoder, Stream

import finishline
from finishline.athlete import Athlete
from finishline.errors import FinishlineError, InputDataError
from finishline.plan import RacePlan, heat_risk_logit_shift, heat_slowdown, make_plan
from finishline.risk.logodds import logit
from finishline.training.readiness import pre_race_risk

COURSE = SAMPLE_RUNS / "TwinCitiesMarathon2014.gpx"
GOAL_S = 3.5 * 3600
MILE_M = 1609.344


@pytest.fixture(scope="module")
def plan() -> RacePlan:
    return finishline.plan(COURSE, goal_s=GOAL_S)


def test_finishline_plan_is_callable_and_typed(plan: RacePlan) -> None:
    assert isinstance(plan, RacePlan)
    assert plan.race.is_marathon and plan.race.distance_m == 42195.0
    # the GPX course measures long: its axis is scaled to the race
    assert plan.course.attrs["course_length_m"] > 42195.0 + 100
    assert plan.course["distance_m"].iloc[-1] == 42195.0
    assert plan.goal_source == "given" and plan.strategy == "even-effort"


@pytest.mark.parametrize(
    "first", ["from finishline.plan import pacing_targets", "import finishline.plan", "pass"]
)
def test_finishline_plan_works_whatever_was_imported_first(first: str) -> None:
    code = (
        f"{first}\nimport finishline\nfrom finishline.plan import course_profile\n"
        f"p = finishline.plan({str(COURSE)!r}, goal_s={GOAL_S})\n"
        "print(round(p.targets_km['target_time_s'].sum(), 3), callable(course_profile))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert float(out[0]) == pytest.approx(GOAL_S, abs=1.0) and out[1] == "True"


def test_targets_sum_to_the_goal_hold_effort_and_follow_the_hills(plan: RacePlan) -> None:
    for targets, n in ((plan.targets_km, 43), (plan.targets_mile, 27)):
        assert len(targets) == n
        assert abs(targets["target_time_s"].sum() - GOAL_S) <= 1.0
        assert abs(targets["cumulative_time_s"].iloc[-1] - GOAL_S) <= 1.0
    km = plan.targets_km
    gap = km["gap_pace_s_per_km"].to_numpy()
    assert gap.max() / gap.min() - 1 < 0.01
    pace, grade = km["target_pace_s_per_km"], km["mean_grade"]
    uphill, downhill = pace[grade > 0.005], pace[grade < -0.005]
    assert len(uphill) >= 3 and len(downhill) >= 3
    assert uphill.min() > downhill.max()


def test_the_risk_with_only_a_goal_is_the_calibrated_base_and_says_so(plan: RacePlan) -> None:
    r = plan.risk
    assert r.ability_source == "goal" and r.over_ambition is None
    # even effort has no shape, no heat, no readiness: the calibrated base is the risk
    assert r.p_fail == pytest.approx(r.p_base, rel=1e-9)
    assert r.p_lo < r.p_base_lo < r.p_fail < r.p_base_hi < r.p_hi
    assert any("over-ambition is unknown" in w for w in plan.warnings)
    assert "calibrated on marathon chip splits" in r.calibrated


def test_with_a_prediction_the_risk_is_pre_race_risk() -> None:
    """Same model as the season's pre-race risk: with a critical speed, no heat and an even
    effort, the plan's risk is ``pre_race_risk`` at that predicted time."""
    from finishline.training.predict import cs_marathon_time

    athlete = Athlete.given(sex="F", age=38, critical_speed_mps=3.9)
    plan = finishline.plan(COURSE, goal_s=GOAL_S - 600, athlete=athlete)
    predicted = cs_marathon_time(3.9)
    expected = pre_race_risk(GOAL_S - 600, predicted, sex="F", age=38)
    r = plan.risk
    assert r.ability_s == pytest.approx(predicted)
    assert r.over_ambition == pytest.approx(predicted / (GOAL_S - 600))
    assert (r.p_base, r.p_fail) == pytest.approx((expected["p_base"], expected["p_fail"]))
    assert r.shifts["ambition"] == pytest.approx(expected["shifts"]["ambition"])


def test_heat_slows_the_plan_and_raises_the_risk_by_the_cited_amounts() -> None:
    cs = Athlete.given(critical_speed_mps=3.75)
    cool = finishline.plan(COURSE, goal_s=GOAL_S, temperature_c=10, athlete=cs)
    hot = finishline.plan(COURSE, goal_s=GOAL_S, temperature_c=25, athlete=cs)
    s10, s25 = heat_slowdown(10, finish_time_s=GOAL_S), heat_slowdown(25, finish_time_s=GOAL_S)
    assert cool.planned_finish_s == pytest.approx(GOAL_S * (1 + s10.fraction), abs=1.0)
    assert hot.planned_finish_s == pytest.approx(GOAL_S * (1 + s25.fraction), abs=1.0)
    assert hot.planned_finish_s - cool.planned_finish_s > 20 * 60
    for p in (cool, hot):
        assert abs(p.targets_km["target_time_s"].sum() - p.planned_finish_s) <= 1.0
    shift = heat_risk_logit_shift(25).logit_shift - heat_risk_logit_shift(10).logit_shift
    assert hot.risk.p_fail > cool.risk.p_fail
    assert logit(hot.risk.p_fail) - logit(cool.risk.p_fail) == pytest.approx(shift, rel=1e-6)
    assert hot.risk.shifts["heat"] == pytest.approx(heat_risk_logit_shift(25).logit_shift)
    # the band widens with the heat: its top end gets the shift twice
    assert logit(hot.risk.p_hi) - logit(cool.risk.p_hi) == pytest.approx(2 * shift, rel=1e-6)
    assert hot.conditions.wbgt_c > 25 and "applied to one runner" in hot.conditions.assumption


def test_a_fast_start_raises_the_risk_and_an_even_effort_has_no_shape() -> None:
    from finishline.plan.risk import shape_logit_shift
    from finishline.risk import LandmarkRiskModel
    from finishline.risk.features import MARATHON_WINDOWS

    model = LandmarkRiskModel.load()
    targets = finishline.plan(COURSE, goal_s=GOAL_S).targets_km
    even, k = shape_logit_shift(targets, MARATHON_WINDOWS, model)
    assert even == pytest.approx(0.0, abs=1e-9) and k == 20.0
    fast = targets.copy()
    first = fast["end_m"] <= 5000
    shifts = []
    for gain in (1.02, 1.04, 1.10, 1.20):  # the first 5 km this much faster
        fast = targets.copy()
        fast.loc[first, "gap_speed_mps"] *= gain
        shifts.append(shape_logit_shift(fast, MARATHON_WINDOWS, model)[0])
    assert shifts[0] > 0 and shifts[1] > shifts[0]  # the model's own start effect
    assert min(shifts) >= 0  # past its 5 % hinge the model turns: never below zero
    slow = targets.copy()
    slow.loc[first, "gap_speed_mps"] /= 1.04
    assert shape_logit_shift(slow, MARATHON_WINDOWS, model)[0] <= 0


def test_the_fit_workout_decodes_with_one_step_per_split(plan: RacePlan, tmp_path) -> None:
    for unit, targets in (("km", plan.targets_km), ("mile", plan.targets_mile)):
        plan.unit = unit
        path = plan.write_fit(tmp_path / f"plan_{unit}.fit")
        decoder = Decoder(Stream.from_byte_array(bytearray(path.read_bytes())))
        messages, errors = decoder.read()
        assert errors == []
        steps = messages["workout_step_mesgs"]
        assert len(steps) == len(targets)
        for step, row in zip(steps, targets.itertuples(), strict=True):
            assert step["duration_distance"] == pytest.approx(row.distance_m, abs=0.005)
            assert step["custom_target_speed_low"] == pytest.approx(row.speed_low_mps, abs=5e-4)
            assert step["custom_target_speed_high"] == pytest.approx(row.speed_high_mps, abs=5e-4)
            assert row.speed_low_mps < row.target_speed_mps < row.speed_high_mps
    plan.unit = "km"


def test_json_csv_and_card(plan: RacePlan, tmp_path) -> None:
    data = json.loads(plan.write_json(tmp_path / "plan.json").read_text())
    assert data["format"] == "finishline-plan/1"
    assert data["goal_s"] == GOAL_S and data["goal"] == "3:30:00"
    assert len(data["targets_km"]) == 43 and len(data["targets_mile"]) == 27
    assert data["risk"]["p_fail"] == pytest.approx(plan.risk.p_fail)
    assert {"calibrated", "assumed", "p_lo", "p_hi", "shifts"} <= set(data["risk"])
    assert "assumption" in data["conditions"]
    table = pd.read_csv(plan.write_csv(tmp_path / "plan.csv"))
    assert len(table) == 43 and abs(table["target_time_s"].sum() - GOAL_S) <= 1.0
    assert plan.to_frame("course").shape[0] == len(plan.course)
    pytest.importorskip("pyarrow")
    assert pd.read_parquet(plan.to_parquet(tmp_path / "plan.parquet")).shape == (43, 18)
    card = plan._repr_html_()
    assert "final-mile risk" in card and "3:30:00" in card
    assert "RacePlan(marathon, goal 3:30:00" in repr(plan)


def test_bad_requests_are_one_clear_error() -> None:
    with pytest.raises(InputDataError, match="give a goal time"):
        finishline.plan(COURSE)
    with pytest.raises(InputDataError, match="needs a predicted ability"):
        finishline.plan(COURSE, risk_limit=0.2)
    with pytest.raises(InputDataError, match="between 0 and 1"):
        finishline.plan(COURSE, risk_limit=1.5, athlete=Athlete.given(critical_speed_mps=3.8))
    with pytest.raises(InputDataError, match="strategy"):
        finishline.plan(COURSE, goal_s=GOAL_S, strategy="sprint")
    with pytest.raises(FinishlineError):
        finishline.plan(SAMPLE_RUNS / "no_such_course.gpx", goal_s=GOAL_S)


@pytest.mark.real
def test_a_half_marathon_course_is_never_called_a_marathon(tmp_path) -> None:
    """A real half marathon (Polar FIT, 21.5 km): planned as the half, risk transferred."""
    path = require_shared(corpus_path("fit/polarri__outdoor_halfmarathon_Polar__run_21.5km.fit"))
    plan = make_plan(path, goal_s=5400, athlete=Athlete.given(critical_speed_mps=3.9))
    assert plan.race.key == "half" and plan.race.distance_m == pytest.approx(21097.5)
    assert abs(plan.targets_km["target_time_s"].sum() - 5400) <= 1.0
    assert not plan.risk.mapping == "" and "transferred" in plan.risk.calibration
    assert "not calibrated on half marathon races" in plan.risk.calibration
    # the half's predicted time is the critical-speed marathon scaled by Riegel
    from finishline.training.predict import cs_marathon_time, riegel_time

    assert plan.risk.ability_s == pytest.approx(riegel_time(cs_marathon_time(3.9), 42195, 21097.5))
    assert plan.risk.base_landmark_km == pytest.approx(0.2 * 21.0975)
    assert np.isfinite([plan.risk.p_fail, plan.risk.p_lo, plan.risk.p_hi]).all()
    assert np.isfinite(plan.risk.shifts["shape"])
    text = (" ".join(plan.summary_lines()) + repr(plan)).replace(path.name, "")
    assert "half marathon" in text
    assert "marathon" not in text.replace("half marathon", "")
    page = plan.write_html(tmp_path / "half.html").read_text()
    heading = page[page.index("<h1>") : page.index("</h1>")].replace(path.stem, "")
    assert "half marathon" in heading and "marathon" not in heading.replace("half marathon", "")


def test_season_like_readiness_shifts_raise_the_risk() -> None:
    """Readiness enters as pre_race_risk's shifts: a thin preparation raises the plan's risk."""
    from finishline.plan.risk import plan_risk
    from finishline.training.readiness import readiness_shifts

    plan = finishline.plan(COURSE, goal_s=GOAL_S)
    thin = {
        "marathon_shape": {"long_run_pct": 20.0, "volume_pct": 50.0},
        "durability": {"durability": 0.2},
    }
    base = plan_risk(plan.targets_km, plan.race, predicted_s=GOAL_S, ability_source="season")
    low = plan_risk(
        plan.targets_km, plan.race, predicted_s=GOAL_S, ability_source="season", readiness=thin
    )
    expected = readiness_shifts(20.0, 50.0, 0.2, over_ambition=1.0)
    assert low.p_fail > base.p_fail
    total = sum(expected.values())
    assert logit(low.p_fail) - logit(base.p_fail) == pytest.approx(total, rel=1e-6)
    assert np.isclose(low.shifts["long_runs"], expected["long_runs"])
