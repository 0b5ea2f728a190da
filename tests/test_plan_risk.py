"""The plan's risk against the goal: monotone in goal speed, and ``--risk-limit`` finds the edge."""

from __future__ import annotations

import numpy as np
import pytest
from corpus import SAMPLE_RUNS

import finishline
from finishline.athlete import Athlete
from finishline.errors import InputDataError
from finishline.plan import fastest_goal_under
from finishline.plan.build import goal_search_range
from finishline.training.predict import cs_marathon_time

COURSE = SAMPLE_RUNS / "TwinCitiesMarathon2014.gpx"
CS = Athlete.given(critical_speed_mps=3.8, sex="M", age=45)
PREDICTED_S = cs_marathon_time(3.8)


def _risk(goal_s: float, **options) -> float:
    return finishline.plan(COURSE, goal_s=goal_s, athlete=CS, **options).risk.p_fail


@pytest.mark.parametrize("temperature_c", [None, 18.0])
def test_risk_never_falls_as_the_goal_gets_faster(temperature_c) -> None:
    fastest, slowest = goal_search_range(PREDICTED_S)
    goals = np.linspace(fastest * 0.97, slowest * 1.03, 25)
    risks = np.array([_risk(g, temperature_c=temperature_c) for g in goals])
    assert np.all(np.diff(risks) <= 1e-12)  # slower goal, never more risk
    inside = (goals > fastest + 1) & (goals < slowest - 1)
    assert np.all(np.diff(risks[inside]) < 0)  # strictly where the goal matters


@pytest.mark.parametrize(
    ("limit", "strategy"), [(0.2, "even-effort"), (0.3, "negative-split"), (0.5, "even-pace")]
)
def test_risk_limit_returns_the_fastest_goal_under_it(limit: float, strategy: str) -> None:
    plan = finishline.plan(COURSE, risk_limit=limit, athlete=CS, strategy=strategy)
    assert plan.goal_source == "risk limit" and plan.risk_limit == limit
    assert plan.goal_s == int(plan.goal_s)  # to the second
    assert plan.risk.p_fail <= limit
    assert _risk(plan.goal_s * 0.99, strategy=strategy) > limit
    assert _risk(plan.goal_s - 1, strategy=strategy) > limit  # the fastest, to the second
    assert abs(plan.targets_km["target_time_s"].sum() - plan.goal_s) <= 1.0


def test_risk_limit_in_the_heat_gives_a_slower_goal() -> None:
    cool = finishline.plan(COURSE, risk_limit=0.45, athlete=CS)
    warm = finishline.plan(COURSE, risk_limit=0.45, athlete=CS, temperature_c=14)
    assert warm.goal_s > cool.goal_s
    assert warm.risk.p_fail <= 0.45 < _risk(warm.goal_s * 0.99, temperature_c=14)


def test_limits_the_model_cannot_meet_are_said_in_one_line() -> None:
    with pytest.raises(InputDataError, match="give a higher limit"):
        finishline.plan(COURSE, risk_limit=0.01, athlete=CS)
    with pytest.raises(InputDataError, match="give a lower limit"):
        finishline.plan(COURSE, risk_limit=0.95, athlete=CS)


def test_bisection_finds_the_edge_of_any_decreasing_risk() -> None:
    edge = 12345

    def risk_of(goal_s: float) -> float:
        return 0.3 if goal_s < edge else 0.1

    assert fastest_goal_under(risk_of, 12600.0, 0.2) == edge
