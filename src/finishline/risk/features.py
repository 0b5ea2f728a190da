"""Landmark features: what is known about a runner at distance ``k``, from cumulative times only.

Every feature is a function of cumulative clock time at distances, evaluated with information
at or before ``k`` and nothing after, and every feature is **continuous in k**: the same
functions serve chip mats (5 km steps) and watch data (cumulative time at every km), and a
runner whose pace does not change sees features that do not jump between mats. A window's
time is linearly interpolated between the observed distances that bracket it, never
extrapolated, and never reading a distance beyond ``k``.

Windows (for a race of distance D; the marathon values in brackets)
-------------------------------------------------------------------
``R0-R1``
    The race's reference window, :func:`finishline.definitions.reference_window_m` [5-20 km].
``reference at k``
    From ``a(k) = clip(k - R0, 0, R0)`` to ``min(k, R1)``: the pace so far over the last
    ``R0`` km while the window is not complete [0-5 km at 5 km, 5-10 at 10 km, 5-15 at
    15 km], Smyth's window once it is (from R1 on). ``a`` and the end move continuously.
``w``
    The recent window, ``5 km x D / 42.195`` [5 km].

Features at ``k`` (dimensionless)

``log_ref_pace``
    log of the reference pace (s/km) over 360 s/km, the pace first made marathon-equivalent
    (x ``(42.195 / D) ** 0.06``, Riegel 1981) for another race: ability.
``log_r_last5``
    log(pace over ``[k - w, k]`` / reference pace): is the runner slowing now.
``log_r_prev5``
    log(pace over ``[k - 2w, k - w]`` / reference pace), the part of that window before the
    start counted at the reference pace (so it fades in from 0 instead of appearing).
``log_r_since_ref``
    log(pace from ``R1`` to ``k`` / reference pace), over at least ``w`` km: before
    ``R1 + w`` the missing part counts at the reference pace, so the feature grows from 0
    at ``R1`` instead of jumping to the pace of one noisy kilometre. 0 before ``R1``.
``log_r_start``
    log(pace over ``[0, min(R0, k)]`` / reference pace): negative for a fast start.
``male``, ``sex_missing``, ``age_decades``, ``age_missing``
    Sex (1 male, 0 female, 0.5 when unknown) and (age - 40)/10 (0 when unknown), with
    indicators of the unknowns (reported; the model does not use them, see
    :data:`finishline.risk.model.MODEL_FEATURES`).

Beside the features, ``landmark_km`` is where the model's coefficients are read: ``k`` for a
marathon, ``k x 42.195 / D`` (the same fraction of the race) for another distance.

References
----------
Smyth B. *PLOS ONE* 2021;16:e0251513 (5-20 km reference; wall mostly after 30 km).
Smyth B. *J Sports Anal* 2018;4:229 (fast starters and slow finishers).
Deaner RO et al. *Med Sci Sports Exerc* 2015;47:607 (men and slower runners slow more).
Riegel PS. *Am Sci* 1981;69:285 (T2 = T1 (D2/D1)^1.06).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from finishline.definitions import MARATHON_M, reference_window_m

if TYPE_CHECKING:
    import pandas as pd

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
"""Model features of :func:`landmark_features`, in order."""

LANDMARK = "landmark_km"
"""Column of :func:`landmark_features` that places a row on the model's distance axis (km)."""

MARATHON_KM = MARATHON_M / 1000.0
REFERENCE_PACE_CENTRE_S_PER_KM = 360.0
RECENT_WINDOW_KM = 5.0
#: Riegel's fatigue exponent (Riegel 1981), for marathon-equivalent paces of other races.
RIEGEL_EXPONENT = 1.06


@dataclass(frozen=True)
class RaceWindows:
    """The geometry of the features for one race distance (km).

    Attributes
    ----------
    race_km
        Race distance (km).
    reference_km
        The race's reference window (start, end), from :mod:`finishline.definitions`.
    recent_km
        The recent window ``w``: 5 km scaled by the race distance.
    pace_factor
        Multiplies a pace in this race to give a marathon-equivalent pace (Riegel).
    landmark_scale
        Multiplies a distance in this race to give the marathon landmark (same fraction).
    """

    race_km: float
    reference_km: tuple[float, float]
    recent_km: float
    pace_factor: float
    landmark_scale: float


def race_windows(race_km: float = MARATHON_KM) -> RaceWindows:
    """The :class:`RaceWindows` of a race of ``race_km`` km (the marathon by default)."""
    race_km = float(race_km)
    if not race_km > 0:
        raise ValueError(f"race distance must be positive, got {race_km}")
    start_m, end_m = reference_window_m(race_km * 1000.0)
    scale = MARATHON_KM / race_km
    return RaceWindows(
        race_km=race_km,
        reference_km=(start_m / 1000.0, end_m / 1000.0),
        recent_km=RECENT_WINDOW_KM / scale,
        pace_factor=scale ** (RIEGEL_EXPONENT - 1.0),
        landmark_scale=scale,
    )


MARATHON_WINDOWS = race_windows(MARATHON_KM)


def cumulative_time_at(
    distances_km: npt.ArrayLike,
    cumulative_times_s: npt.ArrayLike,
    targets_km: npt.ArrayLike,
    up_to_km: npt.ArrayLike,
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
        Distances (km) to evaluate at: shape (j,) for every row, or (n, j) per row.
    up_to_km
        Observations beyond this distance are ignored (no look-ahead): a scalar or one value
        per row, shape (n,).

    Returns
    -------
    numpy.ndarray
        Shape (n, j); NaN where a target is not bracketed by observations.
    """
    given = np.asarray(distances_km, dtype=float)
    times = np.atleast_2d(np.asarray(cumulative_times_s, dtype=float))
    if np.any(np.diff(given) < 0):
        order = np.argsort(given, kind="stable")
        given, times = given[order], times[:, order]
    dist = np.concatenate([[0.0], given])
    n, m = times.shape[0], dist.size
    times = np.concatenate([np.zeros((n, 1)), times], axis=1)
    targets = np.asarray(targets_km, dtype=float)
    j = targets.shape[-1]
    targets = np.broadcast_to(targets, (n, j))
    limit = np.broadcast_to(np.asarray(up_to_km, dtype=float), (n,))
    # No tolerance here: an observation even a hair beyond ``up_to_km`` is the future.
    valid = np.isfinite(times) & (dist[None, :] <= limit[:, None])
    # Per row, the last valid observation at or before each column and the first at or after.
    column = np.arange(m)
    last_valid = np.maximum.accumulate(np.where(valid, column, -1), axis=1)
    next_valid = np.minimum.accumulate(np.where(valid, column, m)[:, ::-1], axis=1)[:, ::-1]
    # One set of targets for every row (a results table at one km): search it once.
    search = targets[:1] if n > 1 and (targets == targets[:1]).all() else targets
    at_or_below = np.searchsorted(dist, search + 1e-9, side="right") - 1
    at_or_above = np.searchsorted(dist, search - 1e-9, side="left")
    lo = np.take_along_axis(last_valid, np.broadcast_to(np.clip(at_or_below, 0, m - 1), (n, j)), 1)
    hi = np.take_along_axis(next_valid, np.broadcast_to(np.clip(at_or_above, 0, m - 1), (n, j)), 1)
    ok = (at_or_below >= 0) & (lo >= 0) & (at_or_above < m) & (hi < m)
    lo, hi = np.clip(lo, 0, m - 1), np.clip(hi, 0, m - 1)
    rows = np.arange(n)[:, None]
    d_lo, d_hi = dist[lo], dist[hi]
    t_lo, t_hi = times[rows, lo], times[rows, hi]
    span = np.where(d_hi > d_lo, d_hi - d_lo, 1.0)
    frac = np.where(d_hi > d_lo, (targets - d_lo) / span, 0.0)
    return np.where(ok, t_lo + frac * (t_hi - t_lo), np.nan)


def _log_ratio(pace: np.ndarray, ref_pace: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = pace / ref_pace
        return np.where((pace > 0) & (ratio > 0), np.log(ratio), np.nan)


def _sex_age(n: int, sex: npt.ArrayLike | None, age: npt.ArrayLike | None) -> dict:
    codes = np.full(n, "", dtype=object) if sex is None else np.asarray(sex, dtype=object)
    codes = np.broadcast_to(codes, (n,))
    male = np.where(codes == "M", 1.0, np.where(codes == "F", 0.0, 0.5))
    ages = np.full(n, np.nan) if age is None else np.asarray(age, dtype=float)
    ages = np.broadcast_to(ages, (n,))
    return {
        "male": male,
        "sex_missing": (male == 0.5).astype(float),
        "age_decades": np.where(np.isfinite(ages), (ages - 40.0) / 10.0, 0.0),
        "age_missing": (~np.isfinite(ages)).astype(float),
    }


def landmark_features(
    km: npt.ArrayLike,
    distances_km: npt.ArrayLike,
    cumulative_times_s: npt.ArrayLike,
    sex: npt.ArrayLike | None = None,
    age: npt.ArrayLike | None = None,
    windows: RaceWindows = MARATHON_WINDOWS,
) -> pd.DataFrame:
    """The feature table at distance ``km`` (see the module docstring).

    Parameters
    ----------
    km
        Distance into the race (km): one value for every row, or one per row (shape (n,)),
        e.g. every km of one runner's race with that runner's times repeated.
    distances_km
        Distances (km) of the columns of ``cumulative_times_s``, shape (m,).
    cumulative_times_s
        Cumulative clock times (s), shape (n, m) (or (m,) for one runner); NaN where absent.
        Columns beyond a row's ``km`` are never read.
    sex
        ``"M"``/``"F"`` per runner (anything else is unknown), or None.
    age
        Age (years) per runner, NaN when unknown, or None.
    windows
        The race's windows (:func:`race_windows`); the marathon by default.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FEATURES` and :data:`LANDMARK`; a row has NaN in the pace features
        when a time it needs is missing.
    """
    import pandas as pd

    columns = landmark_columns(km, distances_km, cumulative_times_s, sex, age, windows)
    return pd.DataFrame(columns, columns=[*FEATURES, LANDMARK])


def landmark_columns(
    km: npt.ArrayLike,
    distances_km: npt.ArrayLike,
    cumulative_times_s: npt.ArrayLike,
    sex: npt.ArrayLike | None = None,
    age: npt.ArrayLike | None = None,
    windows: RaceWindows = MARATHON_WINDOWS,
) -> dict[str, np.ndarray]:
    """:func:`landmark_features` as a dict of arrays (no DataFrame built)."""
    times = np.atleast_2d(np.asarray(cumulative_times_s, dtype=float))
    n = times.shape[0]
    k = np.broadcast_to(np.asarray(km, dtype=float), (n,))
    r0, r1 = windows.reference_km
    w = windows.recent_km
    ref_a = np.clip(k - r0, 0.0, r0)
    ref_b = np.minimum(k, r1)
    last_a = np.maximum(k - w, 0.0)
    prev_a = np.maximum(k - 2 * w, 0.0)
    since_a = np.minimum(k, r1)
    start_b = np.minimum(k, r0)
    targets = np.column_stack([ref_a, ref_b, last_a, prev_a, since_a, start_b, k])
    t = cumulative_time_at(distances_km, times, targets, up_to_km=k)
    t_ra, t_rb, t_la, t_pa, t_sa, t_s, t_k = (t[:, j] for j in range(targets.shape[1]))
    with np.errstate(invalid="ignore", divide="ignore"):
        ref_pace = (t_rb - t_ra) / (ref_b - ref_a)
        ref_pace = np.where(ref_pace > 0, ref_pace, np.nan)
        log_ref = np.log(ref_pace * windows.pace_factor / REFERENCE_PACE_CENTRE_S_PER_KM)
        last = (t_k - t_la) / (k - last_a)
        # Padded windows: the part before the start (prev) or not yet run (since the
        # reference) counts at the reference pace, so these features grow from 0.
        prev_len = last_a - prev_a
        prev = (np.where(prev_len > 0, t_la - t_pa, 0.0) + (w - prev_len) * ref_pace) / w
        since_len = k - since_a
        since_span = np.maximum(since_len, w)
        since_time = np.where(since_len > 0, t_k - t_sa, 0.0)
        since = (since_time + (since_span - since_len) * ref_pace) / since_span
        start = t_s / start_b
    columns = {
        "log_ref_pace": log_ref,
        "log_r_last5": _log_ratio(last, ref_pace),
        "log_r_prev5": _log_ratio(prev, ref_pace),
        "log_r_since_ref": _log_ratio(since, ref_pace),
        "log_r_start": _log_ratio(start, ref_pace),
    }
    columns |= _sex_age(n, sex, age)
    columns[LANDMARK] = k * windows.landmark_scale
    return columns


def checkpoint_features(
    km: float,
    distances_km: npt.ArrayLike,
    cumulative_times_s: npt.ArrayLike,
    sex: npt.ArrayLike | None = None,
    age: npt.ArrayLike | None = None,
) -> pd.DataFrame:
    """:func:`landmark_features` of a marathon at one distance ``km`` (the model features only)."""
    table = landmark_features(km, distances_km, cumulative_times_s, sex=sex, age=age)
    return table[list(FEATURES)]


def frame_features(km: float, results: pd.DataFrame) -> pd.DataFrame:
    """:func:`landmark_features` at mat distance ``km`` for a standard chip-results frame.

    Parameters
    ----------
    km
        Distance (km); mats beyond it are not read.
    results
        Standard frame (``chip.py``) with split columns in seconds, ``sex`` and ``age``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FEATURES` and :data:`LANDMARK`, one row per runner, same index.
    """
    import pandas as pd

    columns = frame_columns(km, results)
    return pd.DataFrame(columns, columns=[*FEATURES, LANDMARK], index=results.index)


def frame_columns(
    km: float, results: pd.DataFrame | Mapping[str, npt.ArrayLike | None]
) -> dict[str, np.ndarray]:
    """:func:`frame_features` as a dict of arrays, of a frame or of its columns by name (the
    ``columns`` of a :class:`~finishline.risk.chip.ChipTable`; ``sex``/``age`` may be None)."""
    from finishline.risk.chip import CHIP_MATS_KM

    labels = [label for label, d in CHIP_MATS_KM.items() if d <= km + 1e-9]
    distances = [CHIP_MATS_KM[label] for label in labels]
    n = len(results["id"])
    times = [np.asarray(results[label], dtype=float) for label in labels]
    return landmark_columns(
        km,
        distances,
        np.column_stack(times) if times else np.zeros((n, 0)),
        sex=np.asarray(results["sex"], dtype=object),
        age=np.asarray(results["age"], dtype=float),
    )
