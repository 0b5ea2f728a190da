"""Checkpoint features: what is known about a runner at ``km``, from cumulative times only.

Every feature is a function of cumulative clock time at distances, evaluated with information
at or before the checkpoint ``km`` and nothing after. The same functions serve chip mats
(5 km steps) and watch data (cumulative time at every km): a window's time is linearly
interpolated between the observed distances that bracket it, never extrapolated, and never
reading a distance beyond ``km``.

Features at checkpoint ``k`` (all dimensionless unless stated)

``log_ref_pace``
    log of the reference pace (s/km) over 360 s/km: ability (slower runners fail more).
``log_r_last5``
    log(pace over [k-5, k] / reference pace): is the runner slowing now (persistence).
``log_r_prev5``
    log(pace over [k-10, k-5] / reference pace): the 5 km before that.
``log_r_since_ref``
    log(pace from the end of the reference window to k / reference pace): cumulative fade.
``log_r_start``
    log(pace over [0, 5] / reference pace): negative for a fast (over-ambitious) start.
``male``, ``sex_missing``, ``age_decades``, ``age_missing``
    Sex (1 male, 0 female, 0.5 when unknown, with an indicator) and (age - 40)/10 (0 when
    unknown, with an indicator).

Reference window: 5 -> 20 km once ``k >= 20`` (Smyth's window). Before 20 km the window is
5 -> k for ``k >= 10`` and 0 -> k below that, so early features are relative to the pace so
far; windows that would start before 0 km start at 0.

References
----------
Smyth B. *PLOS ONE* 2021;16:e0251513 (5-20 km reference; wall mostly after 30 km).
Smyth B. *J Sports Anal* 2018;4:229 (fast starters and slow finishers).
Deaner RO et al. *Med Sci Sports Exerc* 2015;47:607 (men and slower runners slow more).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from finishline.risk.definition import REFERENCE_END_KM, REFERENCE_START_KM

FEATURES: tuple[str, ...] = (
    "log_ref_pace",
    "log_r_last5",
    "log_r_prev5",
    "log_r_since_ref",
    "log_r_start",
    "male",
    "sex_missing",
    "age_decades",
    "age_missing",
)
"""Columns of :func:`checkpoint_features`, in order."""

REFERENCE_PACE_CENTRE_S_PER_KM = 360.0
RECENT_WINDOW_KM = 5.0


def reference_window_km(km: float) -> tuple[float, float]:
    """The reference window (start, end) in km available at checkpoint ``km``."""
    if km >= REFERENCE_END_KM:
        return REFERENCE_START_KM, REFERENCE_END_KM
    if km >= 2 * REFERENCE_START_KM:
        return REFERENCE_START_KM, float(km)
    return 0.0, float(km)


def cumulative_time_at(
    distances_km: npt.ArrayLike,
    cumulative_times_s: npt.ArrayLike,
    targets_km: Sequence[float],
    up_to_km: float,
) -> np.ndarray:
    """Cumulative time at target distances, interpolated from observations up to ``up_to_km``.

    Parameters
    ----------
    distances_km
        Distances (km) of the observation columns, shape (m,).
    cumulative_times_s
        Cumulative clock times (s), shape (n, m); NaN where not observed. The start
        (0 km, 0 s) is implied.
    targets_km
        Distances (km) to evaluate at.
    up_to_km
        Observations beyond this distance are ignored (no look-ahead).

    Returns
    -------
    numpy.ndarray
        Shape (n, len(targets_km)); NaN where a target is not bracketed by observations.
    """
    dist = np.concatenate([[0.0], np.asarray(distances_km, dtype=float)])
    times = np.asarray(cumulative_times_s, dtype=float)
    times = np.concatenate([np.zeros((times.shape[0], 1)), times], axis=1)
    # No tolerance here: an observation even a hair beyond ``up_to_km`` is the future.
    valid = np.isfinite(times) & (dist[None, :] <= up_to_km)
    rows = np.arange(times.shape[0])
    out = np.full((times.shape[0], len(targets_km)), np.nan)
    for j, target in enumerate(targets_km):
        below = np.where(valid & (dist <= target + 1e-9), dist, -np.inf)
        above = np.where(valid & (dist >= target - 1e-9), dist, np.inf)
        lo, hi = below.argmax(axis=1), above.argmin(axis=1)
        ok = np.isfinite(below[rows, lo]) & np.isfinite(above[rows, hi])
        d_lo, d_hi = dist[lo], dist[hi]
        t_lo, t_hi = times[rows, lo], times[rows, hi]
        span = np.where(d_hi > d_lo, d_hi - d_lo, 1.0)
        frac = np.where(d_hi > d_lo, (target - d_lo) / span, 0.0)
        out[:, j] = np.where(ok, t_lo + frac * (t_hi - t_lo), np.nan)
    return out


def _log_pace_ratio(t_a, t_b, a_km, b_km, ref_pace):
    with np.errstate(invalid="ignore", divide="ignore"):
        pace = (t_b - t_a) / (b_km - a_km)
        ratio = pace / ref_pace
        return np.where((pace > 0) & (ratio > 0), np.log(ratio), np.nan)


def checkpoint_features(
    km: float,
    distances_km: npt.ArrayLike,
    cumulative_times_s: npt.ArrayLike,
    sex: npt.ArrayLike | None = None,
    age: npt.ArrayLike | None = None,
) -> pd.DataFrame:
    """The feature table at checkpoint ``km`` (see the module docstring).

    Parameters
    ----------
    km
        Checkpoint distance (km), 5 to 42.
    distances_km
        Distances (km) of the columns of ``cumulative_times_s``, shape (m,).
    cumulative_times_s
        Cumulative clock times (s), shape (n, m) (or (m,) for one runner); NaN where absent.
        Columns beyond ``km`` are never read.
    sex
        ``"M"``/``"F"`` per runner (anything else is unknown), or None.
    age
        Age (years) per runner, NaN when unknown, or None.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FEATURES`; a row has NaN in the pace features when a time it needs
        (at 0-5 km, the reference window, or the last 10 km) is missing.
    """
    times = np.atleast_2d(np.asarray(cumulative_times_s, dtype=float))
    n = times.shape[0]
    ref_a, ref_b = reference_window_km(km)
    prev_a = max(km - 2 * RECENT_WINDOW_KM, 0.0)
    last_a = max(km - RECENT_WINDOW_KM, 0.0)
    targets = [0.0, REFERENCE_START_KM, ref_a, ref_b, prev_a, last_a, float(km)]
    t = cumulative_time_at(distances_km, times, targets, up_to_km=km)
    t0, t5, t_ra, t_rb, t_pa, t_la, t_k = (t[:, j] for j in range(len(targets)))
    with np.errstate(invalid="ignore", divide="ignore"):
        ref_pace = (t_rb - t_ra) / (ref_b - ref_a)
        ref_pace = np.where(ref_pace > 0, ref_pace, np.nan)
        log_ref = np.log(ref_pace / REFERENCE_PACE_CENTRE_S_PER_KM)
    last5 = _log_pace_ratio(t_la, t_k, last_a, km, ref_pace)
    prev5 = last5 if last_a <= prev_a else _log_pace_ratio(t_pa, t_la, prev_a, last_a, ref_pace)
    if km > ref_b:
        since = _log_pace_ratio(t_rb, t_k, ref_b, km, ref_pace)
    else:
        since = np.where(np.isfinite(ref_pace), 0.0, np.nan)
    start = _log_pace_ratio(t0, t5, 0.0, min(REFERENCE_START_KM, km), ref_pace)

    sex_codes = np.full(n, "", dtype=object) if sex is None else np.asarray(sex, dtype=object)
    sex_codes = np.broadcast_to(sex_codes, (n,))
    male = np.where(sex_codes == "M", 1.0, np.where(sex_codes == "F", 0.0, 0.5))
    ages = np.full(n, np.nan) if age is None else np.asarray(age, dtype=float)
    ages = np.broadcast_to(ages, (n,))
    return pd.DataFrame(
        {
            "log_ref_pace": log_ref,
            "log_r_last5": last5,
            "log_r_prev5": prev5,
            "log_r_since_ref": since,
            "log_r_start": start,
            "male": male,
            "sex_missing": (male == 0.5).astype(float),
            "age_decades": np.where(np.isfinite(ages), (ages - 40.0) / 10.0, 0.0),
            "age_missing": (~np.isfinite(ages)).astype(float),
        },
        columns=list(FEATURES),
    )


def frame_features(km: float, results: pd.DataFrame) -> pd.DataFrame:
    """:func:`checkpoint_features` for a standard chip-results frame (see ``chip.py``).

    Parameters
    ----------
    km
        Checkpoint distance (km).
    results
        Standard frame with split columns in seconds, ``sex`` and ``age``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FEATURES`, one row per runner, same index as ``results``.
    """
    from finishline.risk.chip import CHIP_MATS_KM

    labels = [label for label, d in CHIP_MATS_KM.items() if d <= km + 1e-9]
    distances = [CHIP_MATS_KM[label] for label in labels]
    features = checkpoint_features(
        km,
        distances,
        results[labels].to_numpy(dtype=float),
        sex=results["sex"].to_numpy(dtype=object),
        age=results["age"].to_numpy(dtype=float),
    )
    features.index = results.index
    return features
