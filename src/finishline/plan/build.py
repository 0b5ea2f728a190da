"""``finishline.plan(course, ...)``: one call from a course file to a :class:`RacePlan`.

:func:`make_plan` composes the pure functions of :mod:`finishline.plan`: the course profile
(scaled to the race distance), the pacing targets per km and per mile, the heat model and the
plan's risk (:func:`finishline.plan.risk.plan_risk`). The goal comes from one of:

- ``goal_s``: the runner's goal (cool-weather time over the race distance);
- ``risk_limit``: the fastest goal, to the second, whose plan risk is at or under the limit
  (:func:`fastest_goal_under`); it needs a predicted ability (a season or a critical speed);
- ``season``: the season's predicted marathon time (VDOT), scaled to the race by Riegel.

The predicted ability (for the over-ambition part of the risk) is the season's VDOT prediction
when a season is given, else the athlete's critical speed through
:func:`finishline.training.predict.cs_marathon_time`, else unknown.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from os import PathLike
from typing import Any

import numpy as np

from finishline.activity import Activity
from finishline.athlete import Athlete
from finishline.definitions import MARATHON_M, Race, detect_race
from finishline.errors import InputDataError
from finishline.formatting import format_hms
from finishline.plan.conditions import heat_risk_logit_shift
from finishline.plan.course import course_profile, race_part
from finishline.plan.result import PlanConditions, RacePlan
from finishline.plan.risk import plan_risk
from finishline.plan.targets import pacing_targets
from finishline.training.predict import cs_marathon_time, riegel_time
from finishline.training.readiness import AMBITION_LOGIT_PER_LOG, AMBITION_SHIFT_RANGE

#: A race distance within this (m) of the measured course is not rescaled.
SAME_DISTANCE_M = 1.0


def load_course(course: Activity | str | PathLike[str]) -> Activity:
    """The course as an Activity (read from a path when one is given)."""
    if isinstance(course, Activity):
        return course
    from finishline.io import read

    return read(course)


def load_season(season: Any, athlete: Athlete | None = None, *, progress: bool = False) -> Any:
    """A :class:`~finishline.training.results.SeasonAnalysis`: as given, or read from a folder
    like ``finishline train`` (:func:`finishline.read_many` + ``analyze_season``)."""
    from finishline.training.results import SeasonAnalysis

    if isinstance(season, SeasonAnalysis):
        return season
    from finishline.training.batch import read_many
    from finishline.training.season import analyze_season

    return analyze_season(read_many(season, progress=progress), athlete)


def predicted_ability(
    race: Race, season: Any = None, athlete: Athlete | None = None
) -> tuple[float | None, str, dict[str, Any] | None]:
    """Predicted finish time over the race (s), its source and the season's readiness.

    The season's VDOT marathon prediction, else the athlete's critical speed
    (:func:`~finishline.training.predict.cs_marathon_time`); scaled from the marathon to the
    race distance by Riegel (1981). ``(None, "goal", None)`` when neither is known.

    Raises
    ------
    InputDataError
        A season without a marathon prediction (no usable efforts).
    """
    marathon_s, source, readiness = None, "goal", None
    if season is not None:
        prediction = season.marathon_prediction("vdot")
        if prediction is None or not prediction.get("time_s", 0) > 0:
            raise InputDataError(
                "the season has no marathon prediction (no hard efforts found); give --goal",
                season.folder,
            )
        marathon_s, source = float(prediction["time_s"]), "season"
        readiness = {
            "marathon_shape": season.readiness.marathon_shape,
            "durability": season.readiness.durability,
        }
    elif athlete is not None and athlete.finite("critical_speed_mps") is not None:
        marathon_s, source = cs_marathon_time(float(athlete.critical_speed_mps)), "critical speed"
    if marathon_s is None:
        return None, "goal", None
    if abs(race.distance_m - MARATHON_M) > SAME_DISTANCE_M:
        return riegel_time(marathon_s, MARATHON_M, race.distance_m), source, readiness
    return marathon_s, source, readiness


def goal_search_range(predicted_s: float) -> tuple[float, float]:
    """Goals (s) between which the over-ambition shift is not clipped: from the goal whose
    shift reaches the top of its range (about 14 % faster than predicted) to the one at the
    bottom (about 5 % slower). Outside, the risk no longer changes with the goal."""
    low, high = AMBITION_SHIFT_RANGE
    fastest = predicted_s / math.exp(high / AMBITION_LOGIT_PER_LOG)
    slowest = predicted_s / math.exp(low / AMBITION_LOGIT_PER_LOG)
    return fastest, slowest


def fastest_goal_under(risk_of: Callable[[float], float], predicted_s: float, limit: float) -> int:
    """The fastest whole-second goal whose risk is at or under ``limit``, by bisection.

    ``risk_of(goal_s)`` must not rise as the goal slows (the over-ambition shift falls; tested
    in ``tests/test_plan_risk.py``); it is searched between the ends of
    :func:`goal_search_range`.

    Raises
    ------
    InputDataError
        ``limit`` is at or above the risk of the fastest goal (any goal would do: the model's
        over-ambition shift stops growing there) or below the risk of the slowest.
    """
    fastest, slowest = goal_search_range(predicted_s)
    lo, hi = math.ceil(fastest), math.floor(slowest)
    top, bottom = risk_of(lo), risk_of(hi)
    if limit >= top:
        raise InputDataError(
            f"a risk limit of {limit:.0%} is at or above the risk of a goal "
            f"{format_hms(lo)} (about 14 % faster than predicted, {top:.1%}), where the "
            "model's over-ambition effect stops growing; give a lower limit"
        )
    if limit < bottom:
        raise InputDataError(
            f"a risk limit of {limit:.1%} is below the risk of even a conservative goal "
            f"({format_hms(hi)}: {bottom:.1%}); give a higher limit"
        )
    while hi - lo > 1:  # invariant: risk(lo) > limit >= risk(hi)
        mid = (lo + hi) // 2
        if risk_of(mid) <= limit:
            hi = mid
        else:
            lo = mid
    return hi


def _profile(activity: Activity, race_distance_m: float | None) -> tuple[Any, Race]:
    """The course profile scaled to the race, and the race (given or detected): of the race
    part of a recorded run (:func:`~finishline.plan.course.race_part`)."""
    activity = race_part(activity, race_distance_m)
    measured = course_profile(activity)
    length = float(measured.attrs["course_length_m"])
    race = detect_race(length, race_distance_m)
    if abs(race.distance_m - float(measured["distance_m"].iloc[-1])) <= SAME_DISTANCE_M:
        return measured, race
    return course_profile(activity, race.distance_m), race


def make_plan(
    course: Activity | str | PathLike[str],
    *,
    goal_s: float | None = None,
    season: Any = None,
    risk_limit: float | None = None,
    athlete: Athlete | None = None,
    race_distance_m: float | None = None,
    temperature_c: float | None = None,
    dew_point_c: float | None = None,
    strategy: str = "even-effort",
    unit: str = "km",
) -> RacePlan:
    """A race plan for ``course`` (what ``finishline.plan(...)`` and ``finishline plan`` do).

    Parameters
    ----------
    course
        A course file (GPX route or track, TCX/FIT of an earlier run, FIT course) or its
        Activity.
    goal_s
        Goal finish time (s) in cool weather; heat lengthens the plan beyond it.
    season
        A :class:`~finishline.training.results.SeasonAnalysis` or a folder to read as one:
        the goal (when none is given) and the predicted ability and readiness of the risk.
    risk_limit
        Instead of a goal: the largest acceptable final-mile risk (fraction, 0-1); the plan's
        goal is the fastest whose risk is at or under it (:func:`fastest_goal_under`).
    athlete
        Sex and age for the risk model, critical speed (m/s) for the predicted ability.
    race_distance_m
        The official race distance (m) when the course measures long or short; detected from
        the course otherwise (a course within a standard race's tolerance is scaled to it).
    temperature_c, dew_point_c
        Race-day air temperature and dew point (degC); None = cool weather.
    strategy
        ``"even-effort"``, ``"even-pace"`` or ``"negative-split"``.
    unit
        ``"km"`` or ``"mile"``: the unit shown (both are computed).

    Returns
    -------
    RacePlan

    Raises
    ------
    InputDataError
        No goal, season or risk limit; a risk limit outside (0, 1) or without a predicted
        ability; a risk limit the model cannot meet; bad strategy, unit or temperatures.
    """
    athlete = athlete or Athlete()
    if goal_s is None and season is None and risk_limit is None:
        raise InputDataError("give a goal time (--goal), a season (--season) or --risk-limit")
    if dew_point_c is not None and temperature_c is None:
        raise InputDataError("a dew point needs the air temperature (--temperature-c)")
    if risk_limit is not None and not 0.0 < risk_limit < 1.0:
        raise InputDataError(f"the risk limit must be a fraction between 0 and 1, got {risk_limit}")
    activity = load_course(course)
    profile, race = _profile(activity, race_distance_m)
    if season is not None:
        season = load_season(season, athlete)
        athlete = season.athlete.merged(athlete)  # values given here win
    predicted_s, source, readiness = predicted_ability(race, season, athlete)
    sex, age = athlete.sex, athlete.finite("age")
    heat = None if temperature_c is None else heat_risk_logit_shift(temperature_c, dew_point_c)

    def build(goal: float, units: tuple[str, ...]) -> tuple[dict[str, Any], Any]:
        tables = {
            u: pacing_targets(
                profile, goal, strategy, u, temperature_c=temperature_c, dew_point_c=dew_point_c
            )
            for u in units
        }
        risk = plan_risk(
            tables[units[0]],
            race,
            predicted_s=predicted_s,
            ability_source=source,
            readiness=readiness,
            sex=sex,
            age=age,
            heat=heat,
        )
        return tables, risk

    if goal_s is not None:
        goal, goal_source = float(goal_s), "given"
    elif risk_limit is not None:
        if predicted_s is None:
            raise InputDataError(
                "--risk-limit needs a predicted ability: give --season DIR or --critical-speed"
            )
        goal = float(
            fastest_goal_under(lambda g: build(g, ("km",))[1].p_fail, predicted_s, risk_limit)
        )
        goal_source = "risk limit"
    else:
        goal, goal_source = float(predicted_s), "season"  # type: ignore[arg-type]
        notes_goal = [
            f"goal: the season's predicted time ({format_hms(goal)}, VDOT from its best "
            "efforts" + (", scaled to the race by Riegel" if not race.is_marathon else "") + ")"
        ]
    if not np.isfinite(goal) or goal <= 0:
        raise InputDataError(f"the goal must be a positive time, got {goal!r} s")
    tables, risk = build(goal, ("km", "mile"))
    km = tables["km"]
    conditions = PlanConditions.from_models(temperature_c, dew_point_c, km.attrs["heat"], heat)
    goal_notes = notes_goal if goal_source == "season" else []
    warnings = list(dict.fromkeys([*goal_notes, *km.attrs["warnings"], *risk.notes]))
    return RacePlan(
        course=profile,
        race=race,
        targets_km=km,
        targets_mile=tables["mile"],
        unit=unit,
        goal_s=goal,
        goal_source=goal_source,
        strategy=strategy,
        conditions=conditions,
        risk=risk,
        athlete=athlete,
        risk_limit=risk_limit,
        warnings=warnings,
        source_path=activity.meta.source_path,
    )
