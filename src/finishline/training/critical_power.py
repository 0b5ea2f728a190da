"""Critical power (CP) and W' from a runner's mean-maximal running-power curve.

The two-parameter model ``P = CP + W' / t`` of all-out efforts of roughly 2-15 min, written as
work ``W = P * t = CP * t + W'``: a straight line in (duration, work), the power analogue of
``d = CS * t + D'`` (:mod:`finishline.training.critical_speed`), fitted the same way: least
squares over the season's mean-maximal power envelope at the critical-speed durations, with the
same rules (at least 3 efforts spanning at least 5 min, R^2 >= 0.95) and range checks that
reject an implausible fit with a reason instead of returning it.

Running power comes from a foot pod or the watch (Stryd, Garmin Running Power, COROS; in W,
see ``activity.meta.power_source``); the devices' models differ, so a CP is only comparable
with CPs from the same source.

References
----------
Monod H. & Scherrer J. (1965), "The work capacity of a synergic muscular group", *Ergonomics*
8:329 (the linear work-time model). Jones A. M., Vanhatalo A., Burnley M., Morton R. H., Poole
D. C. (2010), "Critical power: implications for determination of VO2max and exercise
tolerance", *Med Sci Sports Exerc* 42:1876 (2-15 min efforts; CP and W' in practice).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from finishline.training.critical_speed import (
    CS_DURATIONS_S,
    MIN_POINTS,
    MIN_R2,
    MIN_SPAN_S,
    amount_time_lines,
    window_envelopes,
)

#: Durations (s) of the mean-maximal power curve used for the fit: the CS durations, 2-15 min.
CP_DURATIONS_S: tuple[float, ...] = CS_DURATIONS_S

#: Plausibility bounds (ours, not from a study): CP 100-600 W spans runners from a light
#: jogger to beyond elite on foot-pod power (a 60 kg runner at 1.7-10 W/kg); W' 2-40 kJ is a
#: wide band around the W' of the order of 10-25 kJ commonly reported for trained athletes
#: (Jones et al. 2010), with room for device differences. Fits outside are rejected.
CP_RANGE_W: tuple[float, float] = (100.0, 600.0)
W_PRIME_RANGE_J: tuple[float, float] = (2000.0, 40000.0)


@dataclass(frozen=True)
class CriticalPowerFit:
    """Result of a CP/W' fit.

    Attributes
    ----------
    critical_power_w
        CP (W), NaN when rejected.
    w_prime_j
        W' (J), NaN when rejected.
    r2
        Coefficient of determination of the linear work-time fit.
    n_points
        Number of (duration, work) points used.
    valid
        True when the fit passed every plausibility check.
    reason
        Why the fit was rejected (empty when valid).
    """

    critical_power_w: float
    w_prime_j: float
    r2: float
    n_points: int
    valid: bool
    reason: str = ""

    @classmethod
    def none(cls, reason: str) -> CriticalPowerFit:
        """No fit, for ``reason`` (no power in the season, no activity in the window...)."""
        nan = float("nan")
        return cls(nan, nan, nan, 0, False, reason)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly dict (NaN becomes None)."""
        from finishline.jsonable import jsonable

        return jsonable(asdict(self))


def fit_critical_power(
    durations_s: np.ndarray | list[float],
    powers_w: np.ndarray | list[float],
    cp_range_w: tuple[float, float] = CP_RANGE_W,
    w_prime_range_j: tuple[float, float] = W_PRIME_RANGE_J,
    min_r2: float = MIN_R2,
) -> CriticalPowerFit:
    """Fit ``work = CP * duration + W'`` (``P = CP + W'/t``) by least squares and check it.

    Parameters
    ----------
    durations_s
        Effort durations (s), ideally spanning 2-15 min.
    powers_w
        Best mean power held over each duration (W); NaN where there is none.
    cp_range_w, w_prime_range_j
        Plausible ranges (defaults 100-600 W and 2-40 kJ, :data:`CP_RANGE_W`).
    min_r2
        Smallest acceptable R^2 of the work-time line.

    Returns
    -------
    CriticalPowerFit
        With ``valid=False`` and a ``reason`` when the data cannot support a fit.

    References
    ----------
    Monod & Scherrer 1965; Jones et al. 2010.
    """
    t = np.asarray(durations_s, dtype=float)
    p = np.asarray(powers_w, dtype=float)
    return fit_critical_powers(t, p[np.newaxis, :], cp_range_w, w_prime_range_j, min_r2)[0]


def fit_critical_powers(
    durations_s: np.ndarray,
    powers_w: np.ndarray,
    cp_range_w: tuple[float, float] = CP_RANGE_W,
    w_prime_range_j: tuple[float, float] = W_PRIME_RANGE_J,
    min_r2: float = MIN_R2,
) -> list[CriticalPowerFit]:
    """:func:`fit_critical_power` of many power curves at once (one per row of ``powers_w``,
    shape ``(m, k)`` against the ``k`` durations), one vectorised least-squares pass."""
    t = np.asarray(durations_s, dtype=float)
    work = np.asarray(powers_w, dtype=float) * t
    n, span, slope, intercept, r2 = amount_time_lines(t, work)
    fits = []
    for i in range(work.shape[0]):
        if n[i] < MIN_POINTS or span[i] < MIN_SPAN_S:
            why = "fewer than 3 efforts" if n[i] < MIN_POINTS else "efforts span < 5 min"
            fits.append(CriticalPowerFit.none(why))
            continue
        cp, w_prime, fit_r2 = float(slope[i]), float(intercept[i]), float(r2[i])
        reasons = []
        if not cp_range_w[0] <= cp <= cp_range_w[1]:
            reasons.append(f"CP {cp:.0f} W outside {cp_range_w[0]:g}-{cp_range_w[1]:g}")
        if not w_prime_range_j[0] <= w_prime <= w_prime_range_j[1]:
            lo, hi = (x / 1000.0 for x in w_prime_range_j)
            reasons.append(f"W' {w_prime / 1000.0:.1f} kJ outside {lo:g}-{hi:g}")
        if not (np.isfinite(fit_r2) and fit_r2 >= min_r2):
            reasons.append(f"R^2 {fit_r2:.3f} below {min_r2:g}")
        fits.append(
            CriticalPowerFit(cp, w_prime, fit_r2, int(n[i]), not reasons, "; ".join(reasons))
        )
    return fits


def power_curves_frame(activities: pd.DataFrame) -> pd.DataFrame:
    """The ``curve_power_w`` list column (per :data:`~finishline.training.features.
    CURVE_DURATIONS_S`) as one column per duration (s); all NaN without the column."""
    from finishline.training.features import CURVE_DURATIONS_S

    columns = [float(d) for d in CURVE_DURATIONS_S]
    if activities.empty or "curve_power_w" not in activities:
        return pd.DataFrame(np.nan, index=activities.index, columns=columns)
    values = np.array(
        [
            np.full(len(columns), np.nan) if c is None else np.asarray(c, dtype=float)
            for c in activities["curve_power_w"]
        ]
    )
    return pd.DataFrame(values, index=activities.index, columns=columns)


def critical_power_at(
    curves: pd.DataFrame,
    start_times: pd.Series,
    times: pd.DatetimeIndex | pd.Series | list[pd.Timestamp],
    window_days: int = 84,
    durations_s: tuple[float, ...] = CP_DURATIONS_S,
) -> list[CriticalPowerFit]:
    """CP/W' at each of ``times`` from the power envelope of the window before it.

    Parameters
    ----------
    curves
        Mean-maximal power (W) per activity (rows aligned with ``start_times``), columns are
        durations (s); NaN for an activity without power.
    start_times
        Activity start times (tz-aware UTC).
    times
        Ends of the windows (exclusive); naive times are read as UTC.
    window_days
        Window length (days), the critical-speed window.

    Returns
    -------
    list of CriticalPowerFit
        One per time; ``reason`` "no activities in window" or "no power in window" when
        there is nothing to fit.

    References
    ----------
    Monod & Scherrer 1965; Jones et al. 2010.
    """
    t, envelope, present = window_envelopes(curves, start_times, times, window_days, durations_s)
    fits = fit_critical_powers(t, envelope) if t.size and present.size else []
    out = []
    for i in range(present.size):
        if not present[i] or not t.size:
            out.append(CriticalPowerFit.none("no activities in window"))
        elif not np.isfinite(envelope[i]).any():
            out.append(CriticalPowerFit.none("no power in window"))
        else:
            out.append(fits[i])
    return out


def power_envelope(
    curves: pd.DataFrame, start_times: pd.Series, at: pd.Timestamp, window_days: int = 84
) -> pd.DataFrame:
    """The best mean power (W) per duration over the ``window_days`` before ``at``.

    Returns
    -------
    pandas.DataFrame
        ``duration_s``, ``power_w``: durations some activity of the window has power for.
    """
    durations = tuple(float(c) for c in curves.columns)
    t, envelope, present = window_envelopes(curves, start_times, [at], window_days, durations)
    if not present.size or not present[0]:
        return pd.DataFrame({"duration_s": [], "power_w": []}, dtype=float)
    kept = np.isfinite(envelope[0])
    return pd.DataFrame({"duration_s": t[kept], "power_w": envelope[0][kept]})
