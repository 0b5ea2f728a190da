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

import numpy as np
import pandas as pd

from finishline.fatigue.reference import (
    REFERENCE_END_M,
    REFERENCE_START_M,
    TrackArrays,
)

#: Trailing window (s) of the per-second pace ratio.
PACE_WINDOW_S = 300.0
#: A reference window with less moving time than this (s) gives no reference speed: a few
#: seconds of a recording a few metres long are no pace to compare a race with.
MIN_REFERENCE_MOVING_S = 60.0


def effort_speed(track: pd.DataFrame) -> pd.Series:
    """Grade-adjusted speed (m/s) where known, else the plain smoothed speed (m/s)."""
    return pd.Series(TrackArrays(track).effort_speed, index=track.index, name="gap_speed_mps")


def moving_seconds(track: pd.DataFrame) -> pd.Series:
    """Moving seconds attributed to each sample: the step duration where moving, else 0."""
    return pd.Series(TrackArrays(track).moving_s, index=track.index, name="elapsed_s")


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
        Reference speed in m/s; NaN when the window holds less than
        :data:`MIN_REFERENCE_MOVING_S` of moving speed, or none above 0.

    References
    ----------
    Smyth B. (2021) *PLOS ONE* 16:e0251513 (5-20 km reference pace).
    """
    return reference_speed_of(TrackArrays(track), start_m, end_m)


def reference_speed_of(arrays: TrackArrays, start_m: float, end_m: float) -> float:
    """:func:`reference_speed_mps` on a track's arrays."""
    speed = arrays.effort_speed
    known = ~np.isnan(speed)
    weight = np.where(arrays.reference_window(start_m, end_m) & known, arrays.moving_s, 0.0)
    total = float(weight.sum())
    if not total >= MIN_REFERENCE_MOVING_S:
        return float("nan")
    mean = float((np.where(known, speed, 0.0) * weight).sum() / total)
    return mean if mean > 0 else float("nan")  # no speed: no pace to compare with


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
    arrays = TrackArrays(track)
    if reference_mps is None:
        reference_mps = reference_speed_of(arrays, REFERENCE_START_M, REFERENCE_END_M)
    ratio = pace_ratio_of(arrays, reference_mps, window_s)
    return pd.Series(ratio, index=track.index, name="pace_ratio")


def pace_ratio_of(arrays: TrackArrays, reference_mps: float, window_s: float) -> np.ndarray:
    """:func:`pace_ratio` on a track's arrays."""
    speed = arrays.trailing_mean(arrays.effort_speed, arrays.moving_s, window_s)
    with np.errstate(invalid="ignore", divide="ignore"):
        return reference_mps / np.where(speed > 0, speed, np.nan)


def fade_slope(pace_ratio_per_km: pd.Series, span_km: int = 10) -> pd.Series:
    """Slope of the per-km pace ratio over the trailing ``span_km`` kilometres (1/km).

    A least-squares slope on the last ``span_km`` kilometres (at least 3 with data); positive
    means the runner is slowing relative to the reference.

    References
    ----------
    science.md section 5 (the slope of r over the last 10 km as a state feature).
    """
    slope = fade_slope_of(
        pace_ratio_per_km.to_numpy(dtype="float64"),
        pace_ratio_per_km.index.to_numpy(dtype="float64"),
        span_km,
    )
    return pd.Series(slope, index=pace_ratio_per_km.index, name="pace_fade_slope_per_km")


def fade_slope_of(r: np.ndarray, kms: np.ndarray | None = None, span_km: int = 10) -> np.ndarray:
    """:func:`fade_slope` on arrays: per-km ratios and their kilometres (1, 2, ... by default)."""
    if kms is None:
        kms = np.arange(1, r.size + 1, dtype="float64")
    x = np.where(np.isnan(r), np.nan, kms)
    valid = ~np.isnan(r)
    counts = _trailing_window_sum(valid.astype("float64"), span_km)

    def mean(values: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            total = _trailing_window_sum(np.where(valid, values, 0.0), span_km)
            return np.where(counts >= 3, total / counts, np.nan)

    mean_x = mean(x)
    cov = mean(x * r) - mean_x * mean(r)
    var = mean(x * x) - mean_x**2
    with np.errstate(invalid="ignore", divide="ignore"):
        return cov / np.where(var > 0, var, np.nan)


def _trailing_window_sum(values: np.ndarray, span: int) -> np.ndarray:
    """Sum over the last ``span`` rows (fewer at the start), each window summed exactly."""
    padded = np.concatenate((np.zeros(max(span - 1, 0)), values))
    return np.lib.stride_tricks.sliding_window_view(padded, max(span, 1)).sum(axis=1)
