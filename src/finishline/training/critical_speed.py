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
    ok = np.isfinite(t) & np.isfinite(d) & (t > 0) & (d > 0)
    t, d = t[ok], d[ok]
    nan = float("nan")
    if t.size < MIN_POINTS:
        return CriticalSpeedFit(nan, nan, nan, int(t.size), False, "fewer than 3 efforts")
    if t.max() - t.min() < MIN_SPAN_S:
        return CriticalSpeedFit(nan, nan, nan, int(t.size), False, "efforts span < 5 min")
    slope, intercept = np.polyfit(t, d, 1)
    residual = d - (slope * t + intercept)
    total = np.sum((d - d.mean()) ** 2)
    r2 = float(1.0 - np.sum(residual**2) / total) if total > 0 else nan
    cs, dp = float(slope), float(intercept)
    reasons = []
    if not cs_range_mps[0] <= cs <= cs_range_mps[1]:
        reasons.append(f"CS {cs:.2f} m/s outside {cs_range_mps[0]:g}-{cs_range_mps[1]:g}")
    if not d_prime_range_m[0] <= dp <= d_prime_range_m[1]:
        reasons.append(f"D' {dp:.0f} m outside {d_prime_range_m[0]:g}-{d_prime_range_m[1]:g}")
    if not (np.isfinite(r2) and r2 >= min_r2):
        reasons.append(f"R^2 {r2:.3f} below {min_r2:g}")
    if reasons:
        return CriticalSpeedFit(cs, dp, r2, int(t.size), False, "; ".join(reasons))
    return CriticalSpeedFit(cs, dp, r2, int(t.size), True)


def mean_max_envelope(curves: pd.DataFrame) -> pd.Series:
    """Best (maximum) mean-maximal speed per duration across activities.

    Parameters
    ----------
    curves
        One row per activity, one column per duration (s); values are mean-maximal speeds (m/s).
    """
    return curves.max(axis=0, skipna=True)


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
    starts = pd.to_datetime(pd.Series(start_times.to_numpy()), utc=True)
    at = pd.Timestamp(at)
    at = at.tz_localize("UTC") if at.tzinfo is None else at
    mask = ((starts < at) & (starts >= at - pd.Timedelta(days=window_days))).to_numpy()
    cols = [c for c in curves.columns if float(c) in durations_s]
    if not mask.any() or not cols:
        nan = float("nan")
        return CriticalSpeedFit(nan, nan, nan, 0, False, "no activities in window")
    envelope = mean_max_envelope(curves.loc[mask, cols])
    envelope = envelope[np.isfinite(envelope.to_numpy(dtype=float))]
    t = np.asarray([float(c) for c in envelope.index])
    return fit_critical_speed(t, envelope.to_numpy(dtype=float) * t)


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
    starts = pd.to_datetime(pd.Series(start_times.to_numpy()), utc=True)
    if starts.empty:
        return pd.DataFrame(
            columns=["critical_speed_mps", "d_prime_m", "r2", "n_points", "valid", "reason"]
        )
    first = starts.min().normalize() + pd.Timedelta(days=step_days)
    last = starts.max().normalize() + pd.Timedelta(days=1)
    dates = pd.date_range(first, last + pd.Timedelta(days=step_days - 1), freq=f"{step_days}D")
    rows = [asdict(critical_speed_from_curves(curves, starts, d, window_days)) for d in dates]
    return pd.DataFrame(rows, index=pd.DatetimeIndex(dates, name="date"))
