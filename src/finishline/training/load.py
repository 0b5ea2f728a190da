"""Training load: TRIMP, pace-based load, CTL/ATL/TSB, weekly volume, long runs and ACWR.

Every load model is a plain function named after it. Per-activity loads are computed from a
heart-rate histogram (seconds spent at each whole bpm), which is exact for the integer heart
rates watches record and lets the batch cache stay independent of the athlete's HR settings.

References
----------
Banister E.W. (1991), "Modeling elite athletic performance", in *Physiological Testing of
the High-Performance Athlete*; TRIMP weighting 0.64e^{1.92x} (men), 0.86e^{1.67x} (women)
(trainingimpulse.com; Runalyze). science.md section 2.4.
Edwards S. (1993), *The Heart Rate Monitor Book*: zone-weighted TRIMP.
Coggan A. / TrainingPeaks: CTL/ATL/TSB as 42- and 7-day exponentially weighted loads;
rTSS = hours x IF^2 x 100 with IF = pace / threshold pace.
Gabbett T.J. (2016), *Br J Sports Med* 50:273: acute:chronic workload ratio.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from finishline.athlete import normalize_sex
from finishline.errors import AnalysisError

#: Banister weighting constants (a, b) in a * exp(b * dHR), by sex ("M"/"F").
BANISTER_WEIGHTS: dict[str, tuple[float, float]] = {"M": (0.64, 1.92), "F": (0.86, 1.67)}

#: Edwards zone lower bounds as fractions of HRmax; zone k (1..5) weighs k.
EDWARDS_ZONES: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9)


def heart_rate_reserve_fraction(
    heart_rate_bpm: np.ndarray, hr_rest_bpm: float, hr_max_bpm: float
) -> np.ndarray:
    """Fractional heart-rate reserve (HR - HRrest) / (HRmax - HRrest), clipped to [0, 1]."""
    if not hr_max_bpm > hr_rest_bpm:
        raise AnalysisError(f"HRmax ({hr_max_bpm}) must exceed HRrest ({hr_rest_bpm})")
    frac = (np.asarray(heart_rate_bpm, dtype=float) - hr_rest_bpm) / (hr_max_bpm - hr_rest_bpm)
    return np.clip(frac, 0.0, 1.0)


def banister_trimp(
    heart_rate_bpm: np.ndarray | Sequence[float],
    seconds: np.ndarray | Sequence[float],
    hr_rest_bpm: float,
    hr_max_bpm: float,
    sex: str | None = None,
) -> float:
    """Banister TRIMP: sum of minutes x dHR x a*exp(b*dHR).

    Parameters
    ----------
    heart_rate_bpm
        Heart rates (1/min): per sample, or bin values of a histogram.
    seconds
        Time (s) spent at each heart rate (sample durations or histogram counts).
    hr_rest_bpm, hr_max_bpm
        Resting and maximal heart rate (1/min).
    sex
        ``"M"`` (a=0.64, b=1.92) or ``"F"`` (a=0.86, b=1.67), any spelling
        :func:`finishline.athlete.normalize_sex` reads; unknown (``None``) uses Banister's
        original (male) constants.

    Returns
    -------
    float
        TRIMP (arbitrary units; 1 h at dHR = 0.5 gives ~50 for men).

    References
    ----------
    Banister 1991; science.md 2.4 [verified].
    """
    hr = np.asarray(heart_rate_bpm, dtype=float)
    dt = np.asarray(seconds, dtype=float)
    ok = np.isfinite(hr) & np.isfinite(dt)
    return float(np.sum(dt[ok] / 60.0 * banister_weights(hr[ok], hr_rest_bpm, hr_max_bpm, sex)))


def banister_weights(
    heart_rate_bpm: np.ndarray | Sequence[float],
    hr_rest_bpm: float,
    hr_max_bpm: float,
    sex: str | None = None,
) -> np.ndarray:
    """Banister TRIMP per minute at each heart rate: ``dHR * a * exp(b * dHR)``.

    :func:`banister_trimp` is the time-weighted sum of these; a season weighs the per-bpm
    histograms of all its activities with them at once (a matrix product).

    References
    ----------
    Banister 1991; science.md 2.4 [verified].
    """
    code = normalize_sex(sex)
    if sex is not None and code is None:
        raise AnalysisError(f"sex must be 'M'/'male' or 'F'/'female', not {sex!r}")
    a, b = BANISTER_WEIGHTS[code or "M"]
    x = heart_rate_reserve_fraction(
        np.asarray(heart_rate_bpm, dtype=float), hr_rest_bpm, hr_max_bpm
    )
    return x * a * np.exp(b * x)


def edwards_trimp(
    heart_rate_bpm: np.ndarray | Sequence[float],
    seconds: np.ndarray | Sequence[float],
    hr_max_bpm: float,
) -> float:
    """Edwards TRIMP: minutes in zones 50-60 ... 90-100 % HRmax weighted 1 ... 5.

    Time below 50 % HRmax counts zero; time above HRmax counts in zone 5.

    References
    ----------
    Edwards 1993; science.md 2.4.
    """
    hr = np.asarray(heart_rate_bpm, dtype=float)
    dt = np.asarray(seconds, dtype=float)
    ok = np.isfinite(hr) & np.isfinite(dt)
    return float(np.sum(dt[ok] / 60.0 * edwards_weights(hr[ok], hr_max_bpm)))


def edwards_weights(heart_rate_bpm: np.ndarray | Sequence[float], hr_max_bpm: float) -> np.ndarray:
    """Edwards zone weight (0-5) per minute at each heart rate (see :func:`edwards_trimp`)."""
    hr = np.asarray(heart_rate_bpm, dtype=float)
    return np.searchsorted(np.asarray(EDWARDS_ZONES) * hr_max_bpm, hr, side="right").astype(float)


def pace_load(
    speed_squared_integral: float | np.ndarray, threshold_speed_mps: float
) -> float | np.ndarray:
    """Pace-based load (rTSS-like): 100 x integral of (v_GAP / v_threshold)^2 dt in hours.

    One hour at threshold (critical) speed scores 100, like TrainingPeaks' rTSS, but the
    intensity is integrated sample by sample instead of through a normalised pace, so the
    per-activity cache only needs the integral of v_GAP^2 over time.

    Parameters
    ----------
    speed_squared_integral
        Integral of squared grade-adjusted speed over moving time (m^2/s); one or an array
        (one per activity, then an array is returned).
    threshold_speed_mps
        Threshold or critical speed (m/s).

    References
    ----------
    TrainingPeaks rTSS (hours x IF^2 x 100); Smyth & Muniz-Pumares 2020 for CS as threshold.
    """
    if not threshold_speed_mps > 0:
        raise AnalysisError("threshold speed must be positive")
    load = 100.0 * np.asarray(speed_squared_integral, dtype=float) / threshold_speed_mps**2 / 3600.0
    return float(load) if load.ndim == 0 else load


def daily_load(
    start_times: pd.Series | Sequence[pd.Timestamp],
    loads: Sequence[float] | np.ndarray,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> pd.Series:
    """Sum activity loads per calendar day (UTC date), filling rest days with zero.

    Returns
    -------
    pandas.Series
        Indexed by a daily ``DatetimeIndex`` (tz-naive dates), named ``load``.
    """
    days, unit = utc_days(start_times)
    days = pd.to_datetime(days, unit="D").as_unit(unit)
    values = pd.Series(np.asarray(loads, dtype=float), index=days)
    per_day = values.groupby(level=0).sum()
    first = per_day.index.min() if start is None else pd.Timestamp(start).normalize()
    last = per_day.index.max() if end is None else pd.Timestamp(end).normalize()
    if first.tzinfo is not None:
        first = first.tz_localize(None)
    if last.tzinfo is not None:
        last = last.tz_localize(None)
    index = pd.date_range(first, last, freq="D", name="date")
    return per_day.reindex(index, fill_value=0.0).rename("load")


def fitness_fatigue(
    load: pd.Series, ctl_days: float = 42.0, atl_days: float = 7.0, initial_ctl: float = 0.0
) -> pd.DataFrame:
    """CTL (fitness), ATL (fatigue) and TSB (form) from a daily load series.

    Each is an exponentially weighted average with decay ``exp(-1/tau)`` per day:
    ``X_t = X_{t-1} + (load_t - X_{t-1}) * (1 - exp(-1/tau))``. TSB on day t is
    ``CTL_{t-1} - ATL_{t-1}`` (form going into the day).

    Parameters
    ----------
    load
        Daily load (one row per day, rest days zero).
    ctl_days, atl_days
        Time constants (days); 42 and 7 by default.
    initial_ctl
        CTL and ATL before the first day (e.g. an estimate of prior fitness).

    Returns
    -------
    pandas.DataFrame
        Columns ``load``, ``ctl``, ``atl``, ``tsb`` on the input's index.

    References
    ----------
    Banister 1991 impulse-response model; science.md 2.4.
    """
    values = load.to_numpy(dtype=float)
    out = {}
    for name, tau in (("ctl", ctl_days), ("atl", atl_days)):
        k = 1.0 - np.exp(-1.0 / tau)
        # y_t = k*x_t + (1-k)*y_{t-1} from y_{-1} = initial_ctl: an exponentially weighted
        # mean without adjustment over the series preceded by the initial value
        started = pd.Series(np.concatenate(([initial_ctl], values)))
        out[name] = started.ewm(alpha=k, adjust=False).mean().to_numpy()[1:]
    ctl, atl = out["ctl"], out["atl"]
    tsb = np.concatenate(([0.0], ctl[:-1] - atl[:-1])) if values.size else np.array([])
    return pd.DataFrame({"load": values, "ctl": ctl, "atl": atl, "tsb": tsb}, index=load.index)


def acute_chronic_ratio(load: pd.Series, acute_days: int = 7, chronic_days: int = 28) -> pd.Series:
    """Acute:chronic workload ratio: rolling mean daily load, acute over chronic window.

    NaN until a full chronic window exists or when the chronic load is zero.

    References
    ----------
    Gabbett 2016 (rolling-average ACWR).
    """
    acute = load.rolling(acute_days, min_periods=acute_days).mean()
    chronic = load.rolling(chronic_days, min_periods=chronic_days).mean()
    return (acute / chronic.where(chronic > 0)).rename("acwr")


def weekly_volume(
    start_times: pd.Series | Sequence[pd.Timestamp],
    distance_m: Sequence[float] | np.ndarray,
    moving_s: Sequence[float] | np.ndarray,
    long_run_m: float = 18000.0,
) -> pd.DataFrame:
    """Weekly running volume (weeks starting Monday, UTC), including empty weeks.

    Returns
    -------
    pandas.DataFrame
        Index ``week`` (Monday); columns ``distance_km``, ``moving_h``, ``runs``,
        ``longest_km`` and ``long_runs`` (runs of at least ``long_run_m``).
    """
    columns = ["distance_km", "moving_h", "runs", "longest_km", "long_runs"]
    days, unit = utc_days(start_times)
    if days.size == 0:
        return pd.DataFrame(columns=columns)
    monday = days - (days + 3) % 7  # day 0 (1970-01-01) was a Thursday
    week = (monday - monday.min()) // 7
    n_weeks = int(week.max()) + 1
    distance_km = np.asarray(distance_m, dtype=float) / 1000.0
    moving_h = np.asarray(moving_s, dtype=float) / 3600.0
    runs = np.bincount(week, minlength=n_weeks)
    longest_km = np.full(n_weeks, np.nan)
    np.fmax.at(longest_km, week, distance_km)
    long_runs = np.bincount(week, weights=distance_km >= long_run_m / 1000.0, minlength=n_weeks)
    first = pd.Timestamp(int(monday.min()), unit="D").as_unit(unit)
    return pd.DataFrame(
        {
            "distance_km": np.bincount(week, np.nan_to_num(distance_km), minlength=n_weeks),
            "moving_h": np.bincount(week, np.nan_to_num(moving_h), minlength=n_weeks),
            "runs": runs.astype(int),
            "longest_km": np.where(runs > 0, longest_km, 0.0),
            "long_runs": long_runs.astype(int),
        },
        index=pd.date_range(first, periods=n_weeks, freq="7D", name="week"),
    )


def utc_days(start_times: pd.Series | Sequence[pd.Timestamp]) -> tuple[np.ndarray, str]:
    """UTC calendar day of each time as whole days since 1970-01-01 (int64), and the time
    unit of the input (``"ns"``, ``"us"``...), which the daily and weekly indexes keep."""
    times = pd.DatetimeIndex(pd.to_datetime(start_times, utc=True))
    return times.as_unit("ns").asi8 // 86_400_000_000_000, times.unit
