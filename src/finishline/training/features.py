"""Per-activity training features: the athlete-independent figures the season analysis needs.

One activity becomes one flat record (a dict of scalars plus a few fixed-length arrays): start,
sport, distance, moving time, heart-rate histogram (seconds at each whole bpm, so any TRIMP can
be computed later for any HRrest/HRmax), the integral of squared grade-adjusted speed (for
pace-based load at any threshold), the mean-maximal GAP speed curve (and, when the file has
running power, the mean-maximal power curve), the fastest times over standard distances and
the aerobic decoupling of the run (Pa:HR, and Pw:HR with power). Because nothing depends on the
athlete's settings, the record can be cached by file content.

Every figure comes from the same clean track and the same metric functions as
:func:`finishline.analyze`, so a file gives the same distance, moving time, heart rate,
decoupling and best efforts in a race analysis and in a season.

References
----------
science.md 2.2 (mean-maximal GAP curve, Smyth & Muniz-Pumares 2020; the power analogue, Monod &
Scherrer 1965, Jones et al. 2010), 2.3 (Pa:HR and Pw:HR decoupling, TrainingPeaks), 2.4
(TRIMP), 2.6 (grade-adjusted pace).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from finishline.activity import Activity
from finishline.clean import clean
from finishline.metrics.decoupling import decoupling
from finishline.metrics.efforts import STANDARD_EFFORTS, best_efforts, effort_series
from finishline.metrics.power import power_curve
from finishline.metrics.splits import require_distance
from finishline.metrics.zones import moving_heart_rate

#: Durations (s) of the stored mean-maximal GAP speed curve.
CURVE_DURATIONS_S: tuple[int, ...] = (
    60,
    120,
    180,
    240,
    300,
    420,
    600,
    720,
    900,
    1200,
    1800,
    2700,
    3600,
)

#: Distances (m) whose fastest time inside each activity is stored (``best_<name>_s``), by name:
#: the standard efforts of 1 km and more.
EFFORT_DISTANCES_M: dict[str, float] = {n: d for n, d in STANDARD_EFFORTS if d >= 1000.0}

#: Heart-rate histogram range (bpm, inclusive lower, exclusive upper).
HR_BINS_BPM: tuple[int, int] = (30, 231)

#: Runs at least this long (s of moving time) get a decoupling figure.
DECOUPLING_MIN_S = 2400.0


def mean_max_speed(cumulative_m: np.ndarray, durations_s: tuple[int, ...]) -> np.ndarray:
    """Best mean speed (m/s) over each duration from a 1 Hz cumulative distance.

    Parameters
    ----------
    cumulative_m
        Cumulative (grade-adjusted) distance at 1-s steps of running time (m).
    durations_s
        Window lengths (s).

    Returns
    -------
    numpy.ndarray
        Mean-maximal speed per duration; NaN where the activity is shorter than the window.
    """
    n = cumulative_m.size
    out = np.full(len(durations_s), np.nan)
    for k, w in enumerate(durations_s):  # a dozen durations, each fully vectorised
        if n > w:
            out[k] = float(np.max(cumulative_m[w:] - cumulative_m[:-w])) / w
    return out


def training_record(track: pd.DataFrame, activity: Activity) -> dict[str, Any]:
    """The athlete-independent training record of one clean track.

    Returns
    -------
    dict
        Scalars: ``start_time`` (ISO UTC), ``sport``, ``sub_sport``, ``format``, ``truncated``
        (the file ended early),
        ``distance_m``, ``moving_s``, ``elapsed_s``, ``avg_hr_bpm``, ``max_hr_bpm`` (moving,
        clean HR), ``avg_speed_mps``, ``avg_gap_speed_mps``, ``gap_speed_sq_integral``
        (m^2/s), ``decoupling`` (Pa:HR, runs of 40 min or more), ``pw_hr_decoupling`` (Pw:HR,
        the same runs, NaN without power), ``power_source`` (``activity.meta.power_source``),
        ``avg_power_w`` (moving seconds with power), ``best_<name>_s`` per
        :data:`EFFORT_DISTANCES_M`; arrays: ``curve_speed_mps`` and ``curve_power_w`` (W, NaN
        without power; per :data:`CURVE_DURATIONS_S`), ``hr_hist_s`` (seconds per bpm from
        ``HR_BINS_BPM[0]``).
    """
    require_distance(track)
    meta = activity.meta
    moving = track["moving"].to_numpy(dtype=bool)
    gap = np.nan_to_num(track["gap_speed_mps"].to_numpy(dtype=float))
    gap_moving = gap[moving]
    moving_s = float(moving.sum())
    distance_m = float(track["distance_m"].iloc[-1])
    hr = moving_heart_rate(track)
    lo, hi = HR_BINS_BPM
    hist = np.bincount(np.clip(np.rint(hr).astype(int), lo, hi - 1) - lo, minlength=hi - lo).astype(
        float
    )
    cum_gap_m, _ = effort_series(track, grade_adjusted=True)
    table = best_efforts(track)
    efforts = dict(zip(table["effort"].tolist(), table["time_s"].tolist(), strict=True))
    dec = decoupling(track) if moving_s >= DECOUPLING_MIN_S else None
    power = track["power_w"].to_numpy(dtype=float)[moving] if "power_w" in track else np.array([])
    power = power[np.isfinite(power)]
    curve_power = power_curve(track, np.asarray(CURVE_DURATIONS_S, dtype=float))
    power_by_s = dict(zip(curve_power["duration_s"], curve_power["power_w"], strict=True))
    record: dict[str, Any] = {
        "start_time": pd.Timestamp(meta.start_time or track.index[0]).isoformat(),
        "sport": meta.sport,
        "sub_sport": meta.sub_sport,
        "format": meta.format,
        "truncated": bool(meta.truncated),
        "distance_m": distance_m,
        "moving_s": moving_s,
        "elapsed_s": float(track["elapsed_s"].iloc[-1]),
        "avg_hr_bpm": float(hr.mean()) if hr.size else float("nan"),
        "max_hr_bpm": float(hr.max()) if hr.size else float("nan"),
        "avg_speed_mps": distance_m / moving_s if moving_s > 0 else float("nan"),
        "avg_gap_speed_mps": float(gap_moving.mean()) if moving_s > 0 else float("nan"),
        "gap_speed_sq_integral": float(np.sum(gap_moving**2)),
        "decoupling": dec.pa_hr if dec is not None else float("nan"),
        "pw_hr_decoupling": dec.pw_hr if dec is not None else float("nan"),
        "power_source": meta.power_source,
        "avg_power_w": float(power.mean()) if power.size else float("nan"),
        "curve_speed_mps": mean_max_speed(cum_gap_m, CURVE_DURATIONS_S).tolist(),
        "curve_power_w": [float(power_by_s.get(float(d), np.nan)) for d in CURVE_DURATIONS_S],
        "hr_hist_s": hist.tolist(),
    }
    for name in EFFORT_DISTANCES_M:
        record[f"best_{name}_s"] = float(efforts.get(name, np.nan))
    return record


def activity_features(activity: Activity) -> dict[str, Any]:
    """:func:`training_record` of the activity's clean track."""
    return training_record(clean(activity), activity)
