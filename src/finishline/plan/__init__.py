"""Race plans: the course, per-km or per-mile targets, race-day heat, the risk, a FIT workout.

One call makes a whole plan (this module is callable: ``finishline.plan(...)`` is
:func:`~finishline.plan.build.make_plan`)::

    import finishline
    plan = finishline.plan("sample_runs/TwinCitiesMarathon2014.gpx", goal_s=3.5 * 3600,
                           temperature_c=18)
    plan.risk.p_fail, plan.targets[["label", "target_pace_s_per_km"]]
    plan.write_html("plan.html"); plan.write_fit("plan.fit"); plan.write_csv("plan.csv")

The plan is built from pure functions over DataFrames, each usable alone::

    import finishline
    from finishline.io.fit_write import workout_fit
    from finishline.plan import course_profile, pacing_targets, workout_steps

    course = finishline.read("sample_runs/TwinCitiesMarathon2014.gpx")  # route, track, TCX, FIT
    profile = course_profile(course, race_distance_m=42195)  # every 10 m: altitude, grade
    targets = pacing_targets(profile, goal_s=3.5 * 3600, strategy="even-effort", unit="km")
    targets[["label", "target_pace_s_per_km", "cumulative_time_s", "mean_grade"]]
    fit_bytes = workout_fit(workout_steps(targets), name="Twin Cities 3:30")

- :func:`course_profile` (:mod:`~finishline.plan.course`): the course on a regular distance
  grid (``distance_m``, ``altitude_m``, ``grade``, ``lat_deg``, ``lon_deg``), its distance
  axis optionally scaled to the official race distance.
- :func:`pacing_targets` (:mod:`~finishline.plan.targets`): one row per km or mile with the
  target time, pace and grade-adjusted pace, elevation gain/loss and mean grade; the split
  times add up to the goal. Strategies ``"even-effort"`` (constant grade-adjusted pace),
  ``"even-pace"`` and ``"negative-split"`` (second half 2 % faster grade-adjusted).
  ``temperature_c``/``dew_point_c`` lengthen the goal for heat.
- :func:`heat_slowdown` and :func:`heat_risk_logit_shift` (:mod:`~finishline.plan.conditions`):
  the published heat penalty on marathon time (Ely et al. 2007) and a shift of the final-mile
  risk's log-odds, each with the amount the uncertainty band should widen; :func:`wbgt_bom`
  estimates WBGT from temperature and dew point.
- :func:`workout_steps` turns targets into steps for
  :func:`finishline.io.fit_write.workout_fit` (a FIT workout: one step per split, distance
  duration, custom speed range).
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import TYPE_CHECKING, Any

#: Public name -> the submodule that defines it (loaded on first use: the risk model pulls in
#: scipy, which ``finishline.results`` should not pay for when it reads the comparison types).
_EXPORTS: dict[str, str] = {
    "fastest_goal_under": "build",
    "make_plan": "build",
    "HeatRiskShift": "conditions",
    "HeatSlowdown": "conditions",
    "heat_risk_logit_shift": "conditions",
    "heat_slowdown": "conditions",
    "wbgt_bom": "conditions",
    "PROFILE_COLUMNS": "course",
    "CourseDistanceWarning": "course",
    "FlatCourseWarning": "course",
    "course_profile": "course",
    "PlanVsActual": "compare",
    "load_plan": "compare",
    "plan_vs_actual": "compare",
    "PlanConditions": "result",
    "RacePlan": "result",
    "PlanRisk": "risk",
    "plan_risk": "risk",
    "STRATEGIES": "targets",
    "pacing_targets": "targets",
    "workout_steps": "targets",
}

__all__ = [
    "CourseDistanceWarning",
    "FlatCourseWarning",
    "HeatRiskShift",
    "HeatSlowdown",
    "PROFILE_COLUMNS",
    "PlanConditions",
    "PlanRisk",
    "PlanVsActual",
    "RacePlan",
    "STRATEGIES",
    "course_profile",
    "fastest_goal_under",
    "heat_risk_logit_shift",
    "heat_slowdown",
    "load_plan",
    "make_plan",
    "pacing_targets",
    "plan_risk",
    "plan_vs_actual",
    "wbgt_bom",
    "workout_steps",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'finishline.plan' has no attribute {name!r}")
    value = getattr(import_module(f"finishline.plan.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


class _CallableModule(types.ModuleType):
    """This package, callable: ``finishline.plan(course, goal_s=...)`` runs :func:`make_plan`.

    ``finishline.plan`` is both the package of the planning functions and the one call that
    makes a plan; a callable module keeps ``from finishline.plan import pacing_targets``
    working whichever was imported first.
    """

    def __call__(self, course: Any, **options: Any) -> RacePlan:
        from finishline.plan.build import make_plan

        return make_plan(course, **options)


sys.modules[__name__].__class__ = _CallableModule

#: ``finishline.plan`` (the lazy export of the package top level) is this callable module.
plan = sys.modules[__name__]

if TYPE_CHECKING:
    from finishline.plan.build import fastest_goal_under, make_plan
    from finishline.plan.compare import PlanVsActual, load_plan, plan_vs_actual
    from finishline.plan.conditions import (
        HeatRiskShift,
        HeatSlowdown,
        heat_risk_logit_shift,
        heat_slowdown,
        wbgt_bom,
    )
    from finishline.plan.course import (
        PROFILE_COLUMNS,
        CourseDistanceWarning,
        FlatCourseWarning,
        course_profile,
    )
    from finishline.plan.result import PlanConditions, RacePlan
    from finishline.plan.risk import PlanRisk, plan_risk
    from finishline.plan.targets import STRATEGIES, pacing_targets, workout_steps
