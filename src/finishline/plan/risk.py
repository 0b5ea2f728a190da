"""The final-mile risk of running a plan, from the same model as the race analysis.

:func:`plan_risk` combines four parts on the log-odds of final-mile failure (FMF):

1. **Calibrated base** at the runner's *ability*: the landmark chip-split model
   (:class:`finishline.risk.LandmarkRiskModel`) at the start of the race's reference window
   (5 km of a marathon) for a runner at the ability's pace who starts evenly, exactly the base
   of :func:`finishline.training.readiness.pre_race_risk`. The ability is the predicted time
   over the race distance (from a season's VDOT prediction, or from a critical speed through
   :func:`finishline.training.predict.cs_marathon_time`), or, with only a goal, the goal
   itself: then over-ambition is unknown and the band is widened for it (see
   :data:`UNKNOWN_AMBITION_RATIO`).
2. **Assumed shifts** of :func:`~finishline.training.readiness.readiness_shifts`:
   over-ambition (predicted / goal time) and preparation (long runs, weekly volume,
   durability).
3. **Heat**: :func:`finishline.plan.conditions.heat_risk_logit_shift` (a between-race
   difference applied to one runner; assumed).
4. **The plan's shape**: the same landmark model read on the plan's own cumulative times
   against even pacing at the same reference pace, at the *end of the reference window*
   (20 km of a marathon). There the features hold the plan's start (``log_r_start``, a fast
   start is negative) and its pace through the window, and none of the fade the model reads
   later in a race: a later landmark would score a plan's promise not to slow, which a plan
   cannot keep by being written. The plan's times are *grade-adjusted* (each split at its
   grade-adjusted pace), so an even-effort plan has no shape and a climb is not a slowdown.
   The chip data holds this effect small (a first 5 km 3 % fast: +0.007 logit, 5 % fast:
   +0.011). Beyond a 5 % fast start the fitted model turns (a hinge at ``log_r_start`` =
   -0.05: a runner of Boston or Chicago who started that fast and still held the pace at
   20 km was a strong runner, a selection a plan cannot buy), so the shift keeps the sign
   the literature gives (Smyth 2018): a start faster than even never lowers the risk and a
   slower one never raises it; where the model says otherwise the shift is 0.

A race other than the marathon is scored by the marathon model transferred by race fraction
(:func:`finishline.risk.transfer.risk_setup`): its band is widened and it is labelled so.

The band: the calibrated 90 % band of the base, with every assumed shift worth between nothing
and twice its size (as in :func:`~finishline.training.readiness.pre_race_risk`): ``p_lo`` adds
the lowering shifts doubled, ``p_hi`` the raising ones doubled.

References
----------
Smyth B. Fast starters and slow finishers. *J Sports Anal* 2018;4:229.
van Houwelingen HC. Dynamic prediction by landmarking. *Scand J Stat* 2007;34:70-85.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from finishline.definitions import Race
from finishline.errors import AnalysisError
from finishline.plan.conditions import HeatRiskShift
from finishline.risk.features import RaceWindows
from finishline.risk.logodds import expit, logit
from finishline.risk.transfer import distance_words, risk_setup
from finishline.training.readiness import (
    AMBITION_LOGIT_PER_LOG,
    AMBITION_SHIFT_RANGE,
    readiness_inputs,
    readiness_shifts,
)

#: With only a goal, the runner's ability is taken to be the goal; the band is widened by the
#: over-ambition shift of a goal this much faster (and slower) than the runner can hold.
UNKNOWN_AMBITION_RATIO = 1.05


@dataclass(frozen=True)
class PlanRisk:
    """The final-mile risk of a plan and how it was made.

    Attributes
    ----------
    p_fail, p_lo, p_hi
        P(final-mile failure) and its band (fractions).
    p_base, p_base_lo, p_base_hi
        The calibrated base at the runner's ability (model band, 90 %).
    ability_s
        The ability used: predicted finish time over the race distance (s), or the goal.
    ability_source
        ``"season"``, ``"critical speed"`` or ``"goal"`` (over-ambition unknown).
    over_ambition
        Predicted / goal time (> 1: the goal is faster than predicted); None when unknown.
    shifts
        Log-odds shift per part: ``ambition``, ``long_runs``, ``volume``, ``durability``,
        ``heat``, ``shape``.
    logit_shift
        Their sum.
    base_landmark_km, shape_landmark_km
        Distances (km of this race) where the base and the shape were read.
    calibrated, assumed
        What is calibrated and what is assumed, in words.
    calibration
        The model's label for this race (calibrated on marathons, or transferred).
    mapping
        How a transferred model maps this race's distance ("" for a marathon).
    inputs
        The inputs used (sex, age, readiness values, temperature), None when unknown.
    notes
        Sentences for the report.
    """

    p_fail: float
    p_lo: float
    p_hi: float
    p_base: float
    p_base_lo: float
    p_base_hi: float
    ability_s: float
    ability_source: str
    over_ambition: float | None
    shifts: dict[str, float]
    logit_shift: float
    base_landmark_km: float
    shape_landmark_km: float
    calibrated: str
    assumed: str
    calibration: str
    mapping: str
    inputs: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def effort_times(targets: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Split ends (km) and the plan's grade-adjusted cumulative times (s) at them.

    Each split is run in ``distance / gap_speed`` seconds: the time of the same effort on the
    flat, so the times carry the plan's pacing shape and not the course's hills.
    """
    ends_km = targets["end_m"].to_numpy(dtype=float) / 1000.0
    flat_s = targets["distance_m"].to_numpy(dtype=float) / targets["gap_speed_mps"].to_numpy(
        dtype=float
    )
    return ends_km, np.cumsum(flat_s)


def shape_logit_shift(
    targets: pd.DataFrame,
    windows: RaceWindows,
    model: Any,
    sex: str | None = None,
    age: float | None = None,
) -> tuple[float, float]:
    """Log-odds shift of the plan's pacing shape, and the distance (km) it was read at.

    The landmark model at the end of the reference window on the plan's grade-adjusted times
    (:func:`effort_times`), minus the same model on even times at the same reference pace,
    kept only when its sign follows the start (a fast start raises the risk, a slow one
    lowers it; module docstring, part 4).
    """
    ends_km, times = effort_times(targets)
    r0, r1 = windows.reference_km
    k = float(r1)
    if ends_km[-1] < k:
        return 0.0, k
    # the plan's time is known everywhere (each split at a steady pace): add the window edges,
    # which the model reads and which need not fall on a split end
    edges = np.array([r0, r1])
    distances = np.union1d(ends_km, edges)
    cumulative = np.interp(distances, np.r_[0.0, ends_km], np.r_[0.0, times])
    plan_times = dict(zip(distances, cumulative, strict=True))
    plan_row = model.timeline_columns([k], plan_times, sex, age, windows)
    t_r0, t_r1 = np.interp(edges, distances, cumulative)
    ref_pace = (t_r1 - t_r0) / (r1 - r0)
    even = dict(zip(distances, distances * ref_pace, strict=True))
    even_row = model.timeline_columns([k], even, sex, age, windows)
    shift = float(plan_row["log_odds"][0] - even_row["log_odds"][0])
    start = float(plan_row["log_r_start"][0])  # < 0: the plan starts faster than even
    if (start < 0 and shift < 0) or (start > 0 and shift > 0):
        return 0.0, k  # the model's sign disagrees with the literature's (module docstring)
    return shift, k


def plan_risk(
    targets: pd.DataFrame,
    race: Race,
    *,
    predicted_s: float | None = None,
    ability_source: str = "goal",
    readiness: Mapping[str, Any] | None = None,
    sex: str | None = None,
    age: float | None = None,
    heat: HeatRiskShift | None = None,
    model: Any = None,
) -> PlanRisk:
    """P(final-mile failure) of running ``targets`` (module docstring).

    Parameters
    ----------
    targets
        :func:`finishline.plan.pacing_targets` output (any unit); ``attrs["goal_s"]`` is the
        goal in cool conditions (s).
    race
        The race (:func:`finishline.definitions.detect_race`): a marathon is scored by the
        calibrated model, any other distance by the transferred one.
    predicted_s
        The runner's predicted finish time over the race distance (s), or None (the goal is
        taken as the ability and over-ambition is unknown).
    ability_source
        Where ``predicted_s`` came from (``"season"``, ``"critical speed"``), for the labels.
    readiness
        A season's readiness (``marathon_shape``, ``durability``), or None.
    sex, age
        ``"M"``/``"F"`` or None; years or None.
    heat
        The heat shift (:func:`~finishline.plan.conditions.heat_risk_logit_shift`), or None.
    model
        The landmark model (the shipped one by default).

    Returns
    -------
    PlanRisk

    Raises
    ------
    AnalysisError
        A non-positive goal or predicted time.
    """
    if model is None:
        from finishline.risk import LandmarkRiskModel

        model = LandmarkRiskModel.load()
    goal_s = float(targets.attrs["goal_s"])
    known = predicted_s is not None
    ability_s = float(predicted_s) if known else goal_s
    if not goal_s > 0 or not ability_s > 0:
        raise AnalysisError("goal and predicted times must be positive")
    setup = risk_setup(race)
    race_km = race.distance_m / 1000.0
    k0 = float(setup.windows.reference_km[0])
    pace = ability_s / race_km
    base = model.timeline_columns(
        [k0], {k0: k0 * pace}, sex, age, setup.windows, extra_sd=setup.extra_sd
    )
    eta, eta_lo, eta_hi = (float(logit(base[key][0])) for key in ("p_fail", "p_lo", "p_hi"))

    inputs = readiness_inputs(readiness)
    over_ambition = ability_s / goal_s if known else 1.0
    shifts = readiness_shifts(**inputs, over_ambition=over_ambition)
    shifts["heat"] = 0.0 if heat is None else float(heat.logit_shift)
    shape, k_shape = shape_logit_shift(targets, setup.windows, model, sex, age)
    notes = []
    if not np.isfinite(shape):  # a plan too short for the model's windows
        shape = 0.0
        notes.append("risk: the plan's shape could not be read by the model; none assumed")
    shifts["shape"] = shape
    total = float(sum(shifts.values()))
    raising = sum(v for v in shifts.values() if v > 0)
    lowering = sum(v for v in shifts.values() if v < 0)
    lo_extra = hi_extra = 0.0
    words = distance_words(race) if not race.is_marathon else "marathon"
    if not known:
        low, high = AMBITION_SHIFT_RANGE
        step = AMBITION_LOGIT_PER_LOG * float(np.log(UNKNOWN_AMBITION_RATIO))
        hi_extra, lo_extra = min(step, high), max(-step, low)
        notes.append(
            "risk: no predicted time (give --season or --critical-speed), so the goal is taken "
            "as the runner's ability and over-ambition is unknown; the band allows a goal "
            f"{100 * (UNKNOWN_AMBITION_RATIO - 1):.0f} % faster or slower than the runner can "
            f"hold ({hi_extra:+.2f} / {lo_extra:+.2f} logit)"
        )
    if not setup.calibrated:
        notes.append(f"risk: {setup.calibration}; {setup.mapping}")
    if heat is not None:
        notes.extend(heat.notes)
    calibrated = (
        f"p_base: the chip-split model at {k0:.1f} km for a runner of the "
        + (f"{ability_source} prediction" if known else "goal's ability")
        + f" starting evenly, {setup.calibration}"
    )
    assumed = (
        "shifts on the log-odds, each worth between nothing and twice its size: "
        + ("over-ambition (predicted / goal time), " if known else "")
        + "preparation (long runs, weekly volume, durability; unknown ones shift nothing), "
        "heat (a between-race difference applied to one runner) and the plan's shape (the "
        f"same model at {k_shape:.1f} km on the plan's grade-adjusted times against even pacing)"
    )
    return PlanRisk(
        p_fail=float(expit(eta + total)),
        p_lo=float(expit(eta_lo + 2.0 * lowering + lo_extra)),
        p_hi=float(expit(eta_hi + 2.0 * raising + hi_extra)),
        p_base=float(base["p_fail"][0]),
        p_base_lo=float(base["p_lo"][0]),
        p_base_hi=float(base["p_hi"][0]),
        ability_s=ability_s,
        ability_source=ability_source if known else "goal",
        over_ambition=over_ambition if known else None,
        shifts=shifts,
        logit_shift=total,
        base_landmark_km=k0,
        shape_landmark_km=k_shape,
        calibrated=calibrated,
        assumed=assumed,
        calibration=setup.calibration,
        mapping=setup.mapping,
        inputs={"sex": sex, "age": age, "race": words, **inputs},
        notes=tuple(notes),
    )
