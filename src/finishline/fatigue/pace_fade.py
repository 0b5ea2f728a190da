"""Pace fade: grade-adjusted pace against the runner's own 5-20 km reference pace.

A pace ratio ``r = v_ref / v`` above 1 means slower than the reference: ``r = 1.25`` is a
pace 25 % slower, the final-mile-failure cut-off of science.md section 4. Speeds are
grade-adjusted (``gap_speed_mps``) where the track has them, raw ``speed_mps`` otherwise.

References
----------
Smyth B. (2021) How recreational marathon runners hit the wall. *PLOS ONE* 16:e0251513.
Smyth B., Muniz-Pumares D. (2020) *Med Sci Sports Exerc* 52:2637 (second half > 25 % slower).
(science.md sections 1, 4 and 5.)
"""

from __future__ import annotations

import pandas as pd

from finishline.fatigue.reference import (
    REFERENCE_END_M,
    REFERENCE_START_M,
    moving_mask,
    reference_window,
    step_seconds,
    track_column,
    trailing_mean,
)

#: Trailing window (s) of the per-second pace ratio.
PACE_WINDOW_S = 300.0


def effort_speed(track: pd.DataFrame) -> pd.Series:
    """Grade-adjusted speed (m/s) where known, else the plain smoothed speed (m/s)."""
    gap = track_column(track, "gap_speed_mps")
    return gap.fillna(track_column(track, "speed_mps"))


def moving_seconds(track: pd.DataFrame) -> pd.Series:
    """Moving seconds attributed to each sample: the step duration where moving, else 0."""
    return step_seconds(track).where(moving_mask(track), 0.0)


def reference_speed_mps(
    track: pd.DataFrame,
    start_m: float = REFERENCE_START_M,
    end_m: float = REFERENCE_END_M,
) -> float:
    """Reference speed (m/s): time-weighted mean grade-adjusted speed over 5-20 km.

    A time-weighted mean of speed is distance over moving time, i.e. the window's average pace.

    Parameters
    ----------
    track
        1 Hz track (``distance_m``, ``moving``, ``gap_speed_mps`` or ``speed_mps``).
    start_m, end_m
        Reference window in race metres (see :func:`reference.reference_window`).

    Returns
    -------
    float
        Reference speed in m/s; NaN when the window holds no moving speed.

    References
    ----------
    Smyth B. (2021) *PLOS ONE* 16:e0251513 (5-20 km reference pace).
    """
    window = reference_window(track_column(track, "distance_m"), start_m, end_m)
    speed = effort_speed(track)
    weight = moving_seconds(track).where(window & speed.notna(), 0.0)
    total = float(weight.sum())
    if total <= 0:
        return float("nan")
    return float((speed.fillna(0.0) * weight).sum() / total)


def pace_ratio(
    track: pd.DataFrame,
    reference_mps: float | None = None,
    window_s: float = PACE_WINDOW_S,
) -> pd.Series:
    """Per-second pace ratio ``v_ref / v`` over a trailing window (dimensionless, >1 = slower).

    Parameters
    ----------
    track
        1 Hz track.
    reference_mps
        Reference speed (m/s); computed with :func:`reference_speed_mps` when ``None``.
    window_s
        Trailing window (s) of moving time over which speed is averaged (default 300 s).

    Returns
    -------
    pandas.Series
        Pace ratio per sample; NaN before any moving sample or without a reference.

    References
    ----------
    Smyth B. (2021) *PLOS ONE* 16:e0251513.
    """
    ref = reference_speed_mps(track) if reference_mps is None else reference_mps
    speed = trailing_mean(effort_speed(track), moving_seconds(track), window_s)
    ratio = ref / speed.where(speed > 0)
    return ratio.rename("pace_ratio")


def fade_slope(pace_ratio_per_km: pd.Series, span_km: int = 10) -> pd.Series:
    """Slope of the per-km pace ratio over the trailing ``span_km`` kilometres (1/km).

    A least-squares slope on the last ``span_km`` kilometres (at least 3 with data); positive
    means the runner is slowing relative to the reference.

    References
    ----------
    science.md section 5 (the slope of r over the last 10 km as a state feature).
    """
    r = pace_ratio_per_km.astype("float64")
    x = pd.Series(r.index.to_numpy(dtype="float64"), index=r.index).where(r.notna())
    roll = {"window": span_km, "min_periods": 3}
    cov = (x * r).rolling(**roll).mean() - x.rolling(**roll).mean() * r.rolling(**roll).mean()
    var = (x * x).rolling(**roll).mean() - x.rolling(**roll).mean() ** 2
    return (cov / var.where(var > 0)).rename("pace_fade_slope_per_km")
