"""What final-mile failure (FMF) is: the label every risk model in finishline predicts.

Definition
----------
A runner *fails the final mile* (FMF = 1) when any of these holds:

(a) **Pace collapse**: the pace of the final segment is at least 25 % slower than the runner's
    own reference pace, i.e. ``final_pace / reference_pace >= 1.25``. Paces are clock paces
    (elapsed time over distance, stops included).

    * Reference pace: the 5 km -> 20 km pace (Smyth's window), from the 5K and 20K mats for
      chip data, or from cumulative time at 5 and 20 km for watch data.
    * Final segment: 40 km -> finish (2.195 km) for chip data; the last mile (1.609 km) for
      watch data.

(b) **Walking or stopping** for at least 60 s within the final mile (watch data only).

(c) **DNF after 35 km** (needs start/DNF lists; the shipped chip data are finishers only).

Severity grades record how deep the collapse went: slowdown of at least 15 %, 25 % (the FMF
threshold) and 40 %.

References
----------
Smyth B. Fast starters and slow finishers / How recreational marathon runners hit the wall.
*PLOS ONE* 2021;16:e0251513 (5-20 km reference window).
Smyth B, Muniz-Pumares D. *Med Sci Sports Exerc* 2020;52:2637 (>25 % slowdown).
Deaner RO et al. *Med Sci Sports Exerc* 2015;47:607 (marked slowing >= 30 %).
See ``science.md`` section 4 for why 25 % was chosen.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from finishline import definitions as d

# The rules themselves live in :mod:`finishline.definitions`; these are their km forms.
FMF_SLOWDOWN = d.FMF_PACE_RATIO - 1.0
"""Final segment at least this much slower than the reference pace is a failure."""

SEVERITY_SLOWDOWNS: tuple[float, ...] = tuple(sorted(r - 1.0 for r, _ in d.SEVERITY_GRADES))
"""Slowdown thresholds for severity grades 1, 2 and 3."""

REFERENCE_START_KM = d.REFERENCE_START_M / 1000.0
REFERENCE_END_KM = d.REFERENCE_END_M / 1000.0
"""The reference window of a marathon: pace between these distances (km)."""

CHIP_FINAL_SEGMENT_START_KM = 40.0
MARATHON_KM = d.MARATHON_M / 1000.0
WATCH_FINAL_SEGMENT_KM = d.FINAL_SEGMENT_M / 1000.0
"""Final segment: 40 km -> finish on chip data, the last mile on watch data."""

WALK_STOP_S = d.WALK_STOP_LIMIT_S
"""Walking or stopping at least this long in the final mile is a failure (watch data)."""

DNF_AFTER_KM = d.DNF_AFTER_M / 1000.0
"""A DNF after reaching this mat counts as a failure."""

# Ratios are built from times rounded to the second; without a tolerance a slowdown of exactly
# 25 % can land at 1.2499999999 in floating point and be missed.
_RATIO_TOLERANCE = 1e-9


def pace_s_per_km(
    time_start_s: npt.ArrayLike,
    time_end_s: npt.ArrayLike,
    start_km: npt.ArrayLike,
    end_km: npt.ArrayLike,
) -> np.ndarray:
    """Clock pace between two cumulative times.

    Parameters
    ----------
    time_start_s, time_end_s
        Cumulative elapsed time (s) at ``start_km`` and ``end_km``.
    start_km, end_km
        Distances (km).

    Returns
    -------
    numpy.ndarray
        Pace (s/km); NaN where a time is missing or the segment is not positive in both time
        and distance.
    """
    dt = np.asarray(time_end_s, dtype=float) - np.asarray(time_start_s, dtype=float)
    dd = np.asarray(end_km, dtype=float) - np.asarray(start_km, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        pace = dt / dd
    return np.where((dt > 0) & (dd > 0), pace, np.nan)


def final_segment_pace_ratio(
    final_pace_s_per_km: npt.ArrayLike, reference_pace_s_per_km: npt.ArrayLike
) -> np.ndarray:
    """Final-segment pace over reference pace (1.25 means 25 % slower).

    Parameters
    ----------
    final_pace_s_per_km
        Clock pace over the final segment (s/km).
    reference_pace_s_per_km
        Clock pace over the 5-20 km reference window (s/km).

    Returns
    -------
    numpy.ndarray
        The ratio; NaN where either pace is missing or not positive.
    """
    final = np.asarray(final_pace_s_per_km, dtype=float)
    ref = np.asarray(reference_pace_s_per_km, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = final / ref
    return np.where((final > 0) & (ref > 0), ratio, np.nan)


def chip_final_pace_ratio(
    t5_s: npt.ArrayLike, t20_s: npt.ArrayLike, t40_s: npt.ArrayLike, finish_s: npt.ArrayLike
) -> np.ndarray:
    """FMF pace ratio from chip mats: (40K -> finish pace) / (5K -> 20K pace).

    Parameters
    ----------
    t5_s, t20_s, t40_s, finish_s
        Cumulative clock times (s) at the 5K, 20K and 40K mats and at the finish.

    Returns
    -------
    numpy.ndarray
        The final-segment pace ratio (NaN where a time is missing).
    """
    ref = pace_s_per_km(t5_s, t20_s, REFERENCE_START_KM, REFERENCE_END_KM)
    final = pace_s_per_km(t40_s, finish_s, CHIP_FINAL_SEGMENT_START_KM, MARATHON_KM)
    return final_segment_pace_ratio(final, ref)


def is_final_mile_failure(
    pace_ratio: npt.ArrayLike,
    walk_stop_s: npt.ArrayLike | None = None,
    dnf_after_35km: npt.ArrayLike | None = None,
    slowdown: float = FMF_SLOWDOWN,
) -> np.ndarray:
    """The FMF label: pace collapse, or a long walk/stop, or a late DNF.

    Parameters
    ----------
    pace_ratio
        Final-segment pace over reference pace (dimensionless).
    walk_stop_s
        Seconds walking or stopped within the final mile (watch data); None when unknown.
    dnf_after_35km
        True where the runner reached the 35 km mat and did not finish; None when unknown.
    slowdown
        Fractional slowdown that counts as collapse (default 0.25: 25 % slower).

    Returns
    -------
    numpy.ndarray
        Float array: 1.0 failure, 0.0 no failure, NaN where the ratio is missing and no other
        criterion fires.
    """
    ratio = np.asarray(pace_ratio, dtype=float)
    fail = ratio >= 1.0 + slowdown - _RATIO_TOLERANCE
    known = np.isfinite(ratio)
    if walk_stop_s is not None:
        walked = np.asarray(walk_stop_s, dtype=float) >= WALK_STOP_S
        fail = fail | walked
        known = known | walked
    if dnf_after_35km is not None:
        dnf = np.asarray(dnf_after_35km, dtype=bool)
        fail = fail | dnf
        known = known | dnf
    return np.where(known, fail.astype(float), np.nan)


def severity_grade(pace_ratio: npt.ArrayLike) -> np.ndarray:
    """Severity of the final-segment slowdown: 0 (< 15 %), 1 (>= 15 %), 2 (>= 25 %), 3 (>= 40 %).

    Parameters
    ----------
    pace_ratio
        Final-segment pace over reference pace (dimensionless).

    Returns
    -------
    numpy.ndarray
        Float grades 0-3; NaN where the ratio is missing.
    """
    ratio = np.asarray(pace_ratio, dtype=float)
    grade = np.zeros(ratio.shape)
    for slowdown in SEVERITY_SLOWDOWNS:
        grade += ratio >= 1.0 + slowdown - _RATIO_TOLERANCE
    return np.where(np.isfinite(ratio), grade, np.nan)
