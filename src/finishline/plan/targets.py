"""Per-km and per-mile targets that add up to the goal on a given course.

:func:`pacing_targets` spreads a goal time over a course profile
(:func:`finishline.plan.course_profile`) with one of three strategies:

- ``"even-effort"``: a constant grade-adjusted pace. On a stretch of grade ``g`` the target
  speed is ``v_gap / gap_factor(g)`` (:func:`finishline.metrics.gap.gap_factor`), so climbs are
  slower and gentle descents faster for the same effort.
- ``"even-pace"``: the same clock pace everywhere, whatever the hills.
- ``"negative-split"``: even effort in each half, the second half's grade-adjusted speed
  :data:`NEGATIVE_SPLIT_GAP_GAIN` (2 %) faster than the first. This is a coaching convention,
  not a fitted model; it is in line with Smyth's observation (science.md section 1) that the
  runners whose first 5 km was their slowest almost never hit the wall.

The time of every 10-m segment of the profile is ``w / v`` with a weight ``w`` (segment length
for even pace; length x grade factor x half multiplier for the effort strategies), so the one
speed ``v`` that meets the goal is closed-form: ``v = sum(w) / goal``. Splits are cut at exact
km/mile boundaries (the segments they fall in are split), so the final partial split is exact
and the split times add up to the goal to floating-point precision.

Heat (``temperature_c``) lengthens the goal by :func:`finishline.plan.conditions.heat_slowdown`
before it is spread, and widens the per-split pace range by that model's band.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finishline.definitions import MARATHON_M, METRE_PER_MILE
from finishline.errors import InputDataError
from finishline.formatting import format_duration
from finishline.metrics.gap import gap_factor
from finishline.plan.conditions import heat_slowdown
from finishline.training.predict import riegel_time

#: Metres per unit of split.
UNIT_M = {"km": 1000.0, "mile": METRE_PER_MILE}

#: Short unit label used in column names and step names.
UNIT_LABEL = {"km": "km", "mile": "mi"}

#: Strategies :func:`pacing_targets` knows.
STRATEGIES = ("even-effort", "even-pace", "negative-split")

#: Second-half grade-adjusted speed gain (fraction) of the negative-split strategy: a coaching
#: convention (see the module docstring).
NEGATIVE_SPLIT_GAP_GAIN = 0.02

#: Default half-width (fraction of speed) of the per-split target range: about +-3 s/km at
#: 5:00/km, a band a watch's pace alert can hold without nagging. A display tolerance, not a
#: model.
PACE_TOLERANCE = 0.01


def marathon_equivalent_s(finish_s: float, distance_m: float) -> float:
    """Riegel's marathon-equivalent of a finish time over ``distance_m`` (s).

    References
    ----------
    Riegel P.S. (1981) Athletic records and human endurance. Am Sci 69:285-290.
    """
    return riegel_time(float(finish_s), float(distance_m), MARATHON_M)


def _boundaries(race_m: float, unit_m: float) -> np.ndarray:
    """Split ends (m): every full unit, then the finish (the last split may be partial)."""
    n_full = int(np.ceil(race_m / unit_m - 1e-9)) - 1
    return np.r_[np.arange(1, n_full + 1) * unit_m, race_m]


def _validate(profile: pd.DataFrame, goal_s: float, strategy: str, unit: str) -> None:
    path = profile.attrs.get("source_path")
    if strategy not in STRATEGIES:
        raise InputDataError(f"unknown strategy {strategy!r}: use one of {STRATEGIES}", path)
    if unit not in UNIT_M:
        raise InputDataError(f"unknown unit {unit!r}: use 'km' or 'mile'", path)
    missing = [c for c in ("distance_m", "altitude_m", "grade") if c not in profile.columns]
    if missing:
        raise InputDataError(f"the profile lacks {missing} (use course_profile)", path)
    if not np.isfinite(goal_s) or goal_s <= 0:
        raise InputDataError(f"the goal must be a positive time, got {goal_s!r} s", path)
    d = profile["distance_m"].to_numpy(dtype=float)
    if d.size < 2 or not np.all(np.diff(d) > 0):
        raise InputDataError("the profile's distance_m must increase (use course_profile)", path)


def pacing_targets(
    profile: pd.DataFrame,
    goal_s: float,
    strategy: str = "even-effort",
    unit: str = "km",
    *,
    gap_model: str = "strava",
    negative_split_gain: float = NEGATIVE_SPLIT_GAP_GAIN,
    temperature_c: float | None = None,
    dew_point_c: float | None = None,
    pace_tolerance: float = PACE_TOLERANCE,
) -> pd.DataFrame:
    """Target time, pace and terrain for every km or mile of the course.

    Parameters
    ----------
    profile
        A course profile (:func:`finishline.plan.course_profile`): ``distance_m`` increasing
        from 0 to the race distance, ``grade`` (fraction), ``altitude_m`` (m, may be NaN).
    goal_s
        Goal finish time (s) in cool conditions (at or below the heat model's optimum).
    strategy
        ``"even-effort"``, ``"even-pace"`` or ``"negative-split"`` (module docstring).
    unit
        ``"km"`` or ``"mile"``.
    gap_model
        Grade model of :func:`finishline.metrics.gap.gap_factor` (``"strava"``/``"minetti"``).
    negative_split_gain
        Second-half grade-adjusted speed gain (fraction) for ``"negative-split"``.
    temperature_c, dew_point_c
        Race air temperature and dew point (degC). When given, the goal is lengthened by
        :func:`finishline.plan.conditions.heat_slowdown` for the goal's marathon-equivalent
        time (:func:`marathon_equivalent_s`; the heat model is a marathon model).
    pace_tolerance
        Half-width of the per-split speed range (fraction), before the heat band.

    Returns
    -------
    pandas.DataFrame
        One row per split (``U`` is ``km`` or ``mi``): ``split`` (1..n), ``label``
        (``"km 7"``), ``start_m``, ``end_m``, ``distance_m`` (the last split may be partial),
        ``target_time_s``, ``cumulative_time_s``, ``target_speed_mps``, ``target_pace_s_per_U``,
        ``gap_speed_mps``/``gap_pace_s_per_U`` (grade-adjusted), ``speed_low_mps``/
        ``speed_high_mps`` and ``pace_slow_s_per_U``/``pace_fast_s_per_U`` (the target range),
        ``elevation_gain_m``, ``elevation_loss_m`` and ``mean_grade`` (distance-weighted,
        fraction). ``attrs``: ``goal_s``, ``planned_finish_s`` (goal lengthened by heat),
        ``strategy``, ``unit``, ``gap_model``, ``race_distance_m``, ``heat`` (the
        :class:`~finishline.plan.conditions.HeatSlowdown`, or None) and ``warnings``.

    Raises
    ------
    InputDataError
        Unknown strategy or unit, a non-positive goal, or a profile whose distance does not
        increase.
    """
    _validate(profile, goal_s, strategy, unit)
    unit_m = UNIT_M[unit]
    short = UNIT_LABEL[unit]
    x = profile["distance_m"].to_numpy(dtype=float)
    grade = np.nan_to_num(profile["grade"].to_numpy(dtype=float), nan=0.0)
    altitude = profile["altitude_m"].to_numpy(dtype=float)
    race_m = float(x[-1])

    heat = None
    planned_s = float(goal_s)
    half_width = pace_tolerance
    notes = list(profile.attrs.get("warnings", []))
    if temperature_c is not None:
        marathon_s = marathon_equivalent_s(goal_s, race_m - x[0])
        heat = heat_slowdown(temperature_c, dew_point_c, finish_time_s=marathon_s)
        planned_s = goal_s * (1.0 + heat.fraction)
        half_width += heat.band_fraction
        notes += list(heat.notes)
        if abs((race_m - x[0]) / MARATHON_M - 1) > 0.05:
            notes.append(
                "heat: the model is for the marathon; applied here at the marathon-equivalent "
                f"ability ({format_duration(marathon_s)}, Riegel), at the marathon's "
                "slowdown fraction"
            )

    ends = _boundaries(race_m - x[0], unit_m) + x[0]
    half = x[0] + 0.5 * (race_m - x[0])
    # nodes: the profile grid plus every split end and halfway, so no segment straddles one
    nodes = np.union1d(x, np.r_[ends, half])
    seg_len = np.diff(nodes)
    mid = 0.5 * (nodes[:-1] + nodes[1:])
    segment_grade = 0.5 * (grade[:-1] + grade[1:])
    seg_grade = segment_grade[np.clip(np.searchsorted(x, mid) - 1, 0, segment_grade.size - 1)]
    factor = gap_factor(seg_grade, gap_model)

    if strategy == "even-pace":
        weight = seg_len
    else:
        weight = seg_len * factor
        if strategy == "negative-split":
            weight = np.where(mid > half, weight / (1.0 + negative_split_gain), weight)
    speed_scale = weight.sum() / planned_s  # m of weight per s
    seg_time = weight / speed_scale
    cum_time = np.r_[0.0, np.cumsum(seg_time)]

    split_of_seg = np.searchsorted(ends, mid)  # 0-based split index of each segment
    n_splits = ends.size
    starts = np.r_[x[0], ends[:-1]]
    distance = ends - starts
    end_time = np.interp(ends, nodes, cum_time)
    split_time = np.diff(np.r_[0.0, end_time])
    gap_distance = np.bincount(split_of_seg, weights=seg_len * factor, minlength=n_splits)
    mean_grade = np.bincount(split_of_seg, weights=seg_len * seg_grade, minlength=n_splits)

    if np.isfinite(altitude).sum() >= 2:
        node_alt = np.interp(nodes, x[np.isfinite(altitude)], altitude[np.isfinite(altitude)])
        rise = np.diff(node_alt)
        gain = np.bincount(split_of_seg, weights=np.clip(rise, 0, None), minlength=n_splits)
        loss = np.bincount(split_of_seg, weights=np.clip(-rise, 0, None), minlength=n_splits)
    else:
        gain = loss = np.zeros(n_splits)

    speed = distance / split_time
    gap_speed = gap_distance / split_time
    number = np.arange(1, n_splits + 1)
    targets = pd.DataFrame(
        {
            "split": number,
            "label": [f"{short} {i}" for i in number],
            "start_m": starts,
            "end_m": ends,
            "distance_m": distance,
            "target_time_s": split_time,
            "cumulative_time_s": end_time,
            "target_speed_mps": speed,
            f"target_pace_s_per_{short}": unit_m / speed,
            "gap_speed_mps": gap_speed,
            f"gap_pace_s_per_{short}": unit_m / gap_speed,
            "speed_low_mps": speed * (1.0 - half_width),
            "speed_high_mps": speed * (1.0 + half_width),
            f"pace_slow_s_per_{short}": unit_m / (speed * (1.0 - half_width)),
            f"pace_fast_s_per_{short}": unit_m / (speed * (1.0 + half_width)),
            "elevation_gain_m": gain,
            "elevation_loss_m": loss,
            "mean_grade": mean_grade / distance,
        }
    )
    targets.attrs.update(
        goal_s=float(goal_s),
        planned_finish_s=planned_s,
        strategy=strategy,
        unit=unit,
        gap_model=gap_model,
        race_distance_m=float(race_m - x[0]),
        heat=heat,
        warnings=notes,
    )
    return targets


def workout_steps(targets: pd.DataFrame) -> pd.DataFrame:
    """The targets as workout steps for :func:`finishline.io.fit_write.workout_fit`.

    Returns
    -------
    pandas.DataFrame
        ``distance_m``, ``speed_low_mps``, ``speed_high_mps`` and ``name`` (e.g.
        ``"km 7 5:02-5:10"``: the split and its pace range, fast to slow).
    """
    short = UNIT_LABEL[targets.attrs.get("unit", "km")]
    fast = targets[f"pace_fast_s_per_{short}"].map(format_duration)
    slow = targets[f"pace_slow_s_per_{short}"].map(format_duration)
    return pd.DataFrame(
        {
            "distance_m": targets["distance_m"].to_numpy(dtype=float),
            "speed_low_mps": targets["speed_low_mps"].to_numpy(dtype=float),
            "speed_high_mps": targets["speed_high_mps"].to_numpy(dtype=float),
            "name": targets["label"] + " " + fast + "-" + slow,
        }
    )
