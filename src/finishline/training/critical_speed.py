"""Critical speed (CS) and D' from a runner's mean-maximal grade-adjusted speed curve.

The two-parameter model ``d = CS * t + D'`` holds for all-out efforts of roughly 2-15 min.
From training history the curve is built from the fastest GAP efforts over a rolling window
(6-12 weeks) and fitted by ordinary least squares. Fits with an implausible D' or CS, too
few points, or too narrow a duration span are rejected with a reason rather than returned.

References
----------
Smyth B., Muniz-Pumares D. (2020), "Calculation of critical speed from raw training data in
recreational marathon runners", *Med Sci Sports Exerc* 52:2637 (science.md 2.2).
Kordi M. et al. (2019), *IJSPP* 14:685; Galbraith A. et al. (2014), *IJSPP* 9:931.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

#: Durations (s) of the mean-maximal curve used for the fit: 2 to 15 minutes.
CS_DURATIONS_S: tuple[float, ...] = (120.0, 180.0, 240.0, 300.0, 420.0, 600.0, 720.0, 900.0)

#: Plausible ranges; fits outside are rejected.
D_PRIME_RANGE_M: tuple[float, float] = (50.0, 500.0)
CS_RANGE_MPS: tuple[float, float] = (2.0, 7.0)
MIN_POINTS = 3
MIN_SPAN_S = 300.0
MIN_R2 = 0.95


@dataclass(frozen=True)
class CriticalSpeedFit:
    """Result of a CS/D' fit.

    Attributes
    ----------
    critical_speed_mps
        CS (m/s), NaN when rejected.
    d_prime_m
        D' (m), NaN when rejected.
    r2
        Coefficient of determination of the linear distance-time fit.
    n_points
        Number of (duration, distance) points used.
    valid
        True when the fit passed every plausibility check.
    reason
        Why the fit was rejected (empty when valid).
    """

    critical_speed_mps: float
    d_prime_m: float
    r2: float
    n_points: int
    valid: bool
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly dict (NaN becomes None)."""
        from finishline.jsonable import jsonable

        return jsonable(asdict(self))


def fit_critical_speed(
    durations_s: np.ndarray | list[float],
    distances_m: np.ndarray | list[float],
    d_prime_range_m: tuple[float, float] = D_PRIME_RANGE_M,
    cs_range_mps: tuple[float, float] = CS_RANGE_MPS,
    min_r2: float = MIN_R2,
) -> CriticalSpeedFit:
    """Fit ``distance = CS * duration + D'`` by least squares and check plausibility.

    Parameters
    ----------
    durations_s
        Effort durations (s), ideally spanning 2-15 min.
    distances_m
        Best distance covered in each duration (m), i.e. mean-maximal speed x duration.
    d_prime_range_m, cs_range_mps
        Plausible ranges (defaults 50-500 m and 2-7 m/s).
    min_r2
        Smallest acceptable R^2.

    Returns
    -------
    CriticalSpeedFit
        With ``valid=False`` and a ``reason`` when the data cannot support a fit.

    References
    ----------
    Smyth & Muniz-Pumares 2020 (linear d-t fit of GPS best efforts, R^2 0.9999).
    """
    t = np.asarray(durations_s, dtype=float)
    d = np.asarray(distances_m, dtype=float)
    return fit_critical_speeds(t, d[np.newaxis, :], d_prime_range_m, cs_range_mps, min_r2)[0]


def fit_critical_speeds(
    durations_s: np.ndarray,
    distances_m: np.ndarray,
    d_prime_range_m: tuple[float, float] = D_PRIME_RANGE_M,
    cs_range_mps: tuple[float, float] = CS_RANGE_MPS,
    min_r2: float = MIN_R2,
) -> list[CriticalSpeedFit]:
    """:func:`fit_critical_speed` of many sets of efforts at once (one per row), vectorised.

    Parameters
    ----------
    durations_s
        Effort durations (s), shape ``(k,)``, shared by every row.
    distances_m
        Best distance (m) per row and duration, shape ``(m, k)``; NaN (or a non-positive
        value) where a row has no effort of that duration.

    Returns
    -------
    list of CriticalSpeedFit
        One per row. The least-squares line is computed in closed form (centred sums), which
        agrees with ``numpy.polyfit`` to rounding (~1e-12 relative).

    References
    ----------
    Smyth & Muniz-Pumares 2020.
    """
    n, span, slope, intercept, r2 = amount_time_lines(durations_s, distances_m)
    fitted = (n >= MIN_POINTS) & (span >= MIN_SPAN_S)
    d = np.asarray(distances_m, dtype=float)
    nan = float("nan")
    fits = []
    for i in range(d.shape[0]):
        if not fitted[i]:
            why = "fewer than 3 efforts" if n[i] < MIN_POINTS else "efforts span < 5 min"
            fits.append(CriticalSpeedFit(nan, nan, nan, int(n[i]), False, why))
            continue
        cs, dp, fit_r2 = float(slope[i]), float(intercept[i]), float(r2[i])
        reasons = []
        if not cs_range_mps[0] <= cs <= cs_range_mps[1]:
            reasons.append(f"CS {cs:.2f} m/s outside {cs_range_mps[0]:g}-{cs_range_mps[1]:g}")
        if not d_prime_range_m[0] <= dp <= d_prime_range_m[1]:
            reasons.append(f"D' {dp:.0f} m outside {d_prime_range_m[0]:g}-{d_prime_range_m[1]:g}")
        if not (np.isfinite(fit_r2) and fit_r2 >= min_r2):
            reasons.append(f"R^2 {fit_r2:.3f} below {min_r2:g}")
        fits.append(CriticalSpeedFit(cs, dp, fit_r2, int(n[i]), not reasons, "; ".join(reasons)))
    return fits


def amount_time_lines(
    durations_s: np.ndarray, amounts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares lines ``amount = slope * duration + intercept``, one per row.

    The two-parameter model of critical speed (amount = distance, m) and of critical power
    (amount = work, J) alike.

    Parameters
    ----------
    durations_s
        Effort durations (s), shape ``(k,)``.
    amounts
        Amount per row and duration, shape ``(m, k)``; NaN or non-positive where a row has no
        effort of that duration.

    Returns
    -------
    tuple of numpy.ndarray
        Per row: number of points, duration span (s), slope, intercept and R^2 (closed form,
        centred sums; agrees with ``numpy.polyfit`` to ~1e-12 relative).
    """
    t = np.broadcast_to(np.asarray(durations_s, dtype=float), np.shape(amounts))
    d = np.asarray(amounts, dtype=float)
    ok = np.isfinite(t) & np.isfinite(d) & (t > 0) & (d > 0)
    n = ok.sum(axis=1)
    span = np.where(ok, t, -np.inf).max(axis=1, initial=-np.inf) - np.where(ok, t, np.inf).min(
        axis=1, initial=np.inf
    )
    count = np.maximum(n, 1)
    t_mean = np.where(ok, t, 0.0).sum(axis=1) / count
    d_mean = np.where(ok, d, 0.0).sum(axis=1) / count
    t_dev = np.where(ok, t - t_mean[:, np.newaxis], 0.0)
    d_dev = np.where(ok, d - d_mean[:, np.newaxis], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (t_dev * d_dev).sum(axis=1) / (t_dev**2).sum(axis=1)
        intercept = d_mean - slope * t_mean
        residual = np.where(ok, d_dev - slope[:, np.newaxis] * t_dev, 0.0)
        total = (d_dev**2).sum(axis=1)
        r2 = np.where(total > 0, 1.0 - (residual**2).sum(axis=1) / total, np.nan)
    return n, span, slope, intercept, r2


def mean_max_envelope(curves: pd.DataFrame) -> pd.Series:
    """Best (maximum) mean-maximal speed per duration across activities.

    Parameters
    ----------
    curves
        One row per activity, one column per duration (s); values are mean-maximal speeds (m/s).
    """
    return curves.max(axis=0, skipna=True)


def critical_speed_at(
    curves: pd.DataFrame,
    start_times: pd.Series,
    times: pd.DatetimeIndex | pd.Series | list[pd.Timestamp],
    window_days: int = 84,
    durations_s: tuple[float, ...] = CS_DURATIONS_S,
) -> list[CriticalSpeedFit]:
    """CS/D' at each of ``times`` from the envelope of the curves in the window before it.

    The activities are sorted once by start; each window (``[at - window_days, at)``) is a
    contiguous slice found by binary search, its envelope a NaN-ignoring maximum over that
    slice, and every fit is done in one vectorised least-squares pass
    (:func:`fit_critical_speeds`), instead of masking the whole table per date.

    Parameters
    ----------
    curves
        Mean-maximal GAP speed (m/s) per activity (rows aligned with ``start_times``), columns
        are durations (s).
    start_times
        Activity start times (tz-aware UTC).
    times
        Ends of the windows (exclusive); naive times are read as UTC.
    window_days
        Window length (days); 42-84 days (6-12 weeks) per Smyth & Muniz-Pumares.

    Returns
    -------
    list of CriticalSpeedFit
        One per time, ``reason`` "no activities in window" for an empty window.

    References
    ----------
    Smyth & Muniz-Pumares 2020.
    """
    t, envelope, present = window_envelopes(curves, start_times, times, window_days, durations_s)
    if present.size == 0:
        return []
    fits = fit_critical_speeds(t, envelope * t) if t.size else []
    nan = float("nan")
    empty = CriticalSpeedFit(nan, nan, nan, 0, False, "no activities in window")
    return [fits[i] if present[i] and t.size else empty for i in range(present.size)]


def window_envelopes(
    curves: pd.DataFrame,
    start_times: pd.Series,
    times: Any,
    window_days: int,
    durations_s: tuple[float, ...],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The mean-maximal envelope of the curves in the ``window_days`` before each of ``times``.

    The activities are sorted once by start; each window (``[at - window_days, at)``) is a
    contiguous slice found by binary search and its envelope a NaN-ignoring maximum over it.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        The durations (s) of ``durations_s`` that ``curves`` has, the envelope (one row per
        time, NaN where no activity of the window has that duration) and whether each window
        holds an activity.
    """
    ends = _utc_ns(times)
    starts = _utc_ns(start_times)
    cols = [c for c in curves.columns if float(c) in durations_s]
    order = np.argsort(starts, kind="stable")
    starts = starts[order]
    values = curves[cols].to_numpy(dtype=float)[order] if cols else np.empty((starts.size, 0))
    window_ns = int(pd.Timedelta(days=window_days).value)
    lo = np.searchsorted(starts, ends - window_ns, side="left")
    hi = np.searchsorted(starts, ends, side="left")
    t = np.asarray([float(c) for c in cols])
    envelope = np.full((ends.size, t.size), np.nan)
    for i in np.flatnonzero(hi > lo):  # one NaN-ignoring max over each window's slice
        envelope[i] = np.fmax.reduce(values[lo[i] : hi[i]], axis=0)
    return t, envelope, hi > lo


def _utc_ns(times: Any) -> np.ndarray:
    """Nanoseconds since the epoch (UTC) of tz-aware or naive (read as UTC) times."""
    return pd.DatetimeIndex(pd.to_datetime(times, utc=True)).as_unit("ns").asi8


def critical_speed_from_curves(
    curves: pd.DataFrame,
    start_times: pd.Series,
    at: pd.Timestamp,
    window_days: int = 84,
    durations_s: tuple[float, ...] = CS_DURATIONS_S,
) -> CriticalSpeedFit:
    """CS/D' from the envelope of mean-maximal GAP curves in the ``window_days`` before ``at``.

    Parameters
    ----------
    curves
        Mean-maximal GAP speed (m/s) per activity (rows aligned with ``start_times``), columns
        are durations (s).
    start_times
        Activity start times (tz-aware UTC).
    at
        End of the window (exclusive), tz-aware.
    window_days
        Window length (days); 42-84 days (6-12 weeks) per Smyth & Muniz-Pumares.

    References
    ----------
    Smyth & Muniz-Pumares 2020.
    """
    return critical_speed_at(curves, start_times, [pd.Timestamp(at)], window_days, durations_s)[0]


def trend_dates(start_times: pd.Series, step_days: int = 7) -> pd.DatetimeIndex:
    """Evaluation dates of a trend: every ``step_days`` from a step after the first day to
    past the last day (tz-aware UTC midnights)."""
    starts = pd.to_datetime(pd.Series(np.asarray(start_times)), utc=True)
    first = starts.min().normalize() + pd.Timedelta(days=step_days)
    last = starts.max().normalize() + pd.Timedelta(days=1)
    return pd.date_range(first, last + pd.Timedelta(days=step_days - 1), freq=f"{step_days}D")


def critical_speed_trend(
    curves: pd.DataFrame,
    start_times: pd.Series,
    window_days: int = 84,
    step_days: int = 7,
) -> pd.DataFrame:
    """CS/D' refitted every ``step_days`` over a rolling window (one row per evaluation date).

    Returns
    -------
    pandas.DataFrame
        Index ``date`` (tz-aware UTC); columns ``critical_speed_mps``, ``d_prime_m``, ``r2``,
        ``n_points``, ``valid``, ``reason``.
    """
    columns = ["critical_speed_mps", "d_prime_m", "r2", "n_points", "valid", "reason"]
    if len(start_times) == 0:
        return pd.DataFrame(columns=columns)
    dates = trend_dates(start_times, step_days)
    fits = critical_speed_at(curves, start_times, dates, window_days)
    table = pd.DataFrame({name: [getattr(f, name) for f in fits] for name in columns})
    return table.set_axis(pd.DatetimeIndex(dates, name="date"))
