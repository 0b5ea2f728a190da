"""Per-activity training features: the athlete-independent figures the season analysis needs.

One activity becomes one flat record (a dict of scalars plus a few fixed-length arrays): start,
sport, distance, moving time, heart-rate histogram (seconds at each whole bpm, so any TRIMP can
be computed later for any HRrest/HRmax), the integral of squared grade-adjusted speed (for
pace-based load at any threshold), the mean-maximal GAP speed curve, the fastest times over
standard distances and the aerobic decoupling of the run. Because nothing depends on the
athlete's settings, the record can be cached by file content.

References
----------
science.md 2.2 (mean-maximal GAP curve, Smyth & Muniz-Pumares 2020), 2.3 (Pa:HR decoupling,
TrainingPeaks), 2.4 (TRIMP), 2.6 (grade-adjusted pace).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from finishline.activity import Activity
from finishline.clean import clean
from finishline.definitions import METRE_PER_MILE, VEHICLE_SPEED_MPS
from finishline.metrics.efforts import fastest_effort
from finishline.metrics.gap import gap_factor

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

#: Distances (m) whose fastest time inside each activity is stored, by name.
EFFORT_DISTANCES_M: dict[str, float] = {
    "1k": 1000.0,
    "mile": METRE_PER_MILE,
    "3k": 3000.0,
    "5k": 5000.0,
    "10k": 10000.0,
    "half": 21097.5,
    "marathon": 42195.0,
}

#: Heart-rate histogram range (bpm, inclusive lower, exclusive upper).
HR_BINS_BPM: tuple[int, int] = (30, 231)

#: A longer 1-s step (m) is a GPS teleport, not running, and adds nothing.
MAX_STEP_M = 12.0

#: A minute whose median speed is above VEHICLE_SPEED_MPS is a vehicle, not running: a watch
#: left on in a car or on a bike. Those seconds count neither time nor distance for efforts.
VEHICLE_WINDOW_S = 60

#: Runs at least this long (s of moving time) get a decoupling figure.
DECOUPLING_MIN_S = 2400.0


def mean_max_speed(cumulative_m: np.ndarray, durations_s: tuple[int, ...]) -> np.ndarray:
    """Best mean speed (m/s) over each duration from a 1 Hz cumulative distance.

    Parameters
    ----------
    cumulative_m
        Cumulative (grade-adjusted) distance at 1-s steps of moving time (m).
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


def decoupling(gap_speed_mps: np.ndarray, heart_rate_bpm: np.ndarray) -> float:
    """Aerobic decoupling Pa:HR = (EF1 - EF2) / EF1 with EF = mean GAP speed / mean HR.

    Halves are split by moving time. Positive values mean the heart rate drifted up (or the
    pace down) in the second half.

    References
    ----------
    TrainingPeaks, "Aerobic decoupling and efficiency factor"; science.md 2.3.
    """
    ok = np.isfinite(gap_speed_mps) & np.isfinite(heart_rate_bpm) & (heart_rate_bpm > 0)
    half = gap_speed_mps.size // 2
    first, second = ok.copy(), ok.copy()
    first[half:] = False
    second[:half] = False
    if first.sum() < 300 or second.sum() < 300:
        return float("nan")
    ef1 = gap_speed_mps[first].mean() / heart_rate_bpm[first].mean()
    ef2 = gap_speed_mps[second].mean() / heart_rate_bpm[second].mean()
    return float((ef1 - ef2) / ef1)


def activity_features(activity: Activity) -> dict[str, Any]:
    """The athlete-independent training record of one activity.

    Returns
    -------
    dict
        Scalars: ``start_time`` (ISO UTC), ``sport``, ``sub_sport``, ``format``,
        ``distance_m``, ``moving_s``, ``elapsed_s``, ``avg_hr_bpm``, ``max_hr_bpm``,
        ``avg_speed_mps``, ``avg_gap_speed_mps``, ``gap_speed_sq_integral`` (m^2/s),
        ``decoupling``, ``best_<name>_s`` per :data:`EFFORT_DISTANCES_M`;
        arrays: ``curve_speed_mps`` (per :data:`CURVE_DURATIONS_S`), ``hr_hist_s`` (seconds per
        bpm from ``HR_BINS_BPM[0]``).
    """
    track = clean(activity)
    meta = activity.meta
    moving = track["moving"].to_numpy(dtype=bool)
    # Time counted for efforts and speed: moving seconds plus recording gaps (a sparse GPX
    # holds distance through a gap and jumps at its end, so the gap's time must count too).
    in_gap = track["in_gap"].to_numpy(dtype=bool)
    minute_speed = track["speed_mps"].rolling(VEHICLE_WINDOW_S, center=True, min_periods=10)
    vehicle = (minute_speed.median() > VEHICLE_SPEED_MPS).to_numpy()
    counted = (moving | in_gap) & ~vehicle
    distance = track["distance_m"].to_numpy(dtype=float).copy()
    # where the position is unknown (a gap), progress is spread evenly across the gap
    unknown = in_gap & ~np.r_[~in_gap[1:], True] | ~np.isfinite(distance)
    rows = np.arange(distance.size)
    if unknown.any() and (~unknown).sum() >= 2:
        distance[unknown] = np.interp(rows[unknown], rows[~unknown], distance[~unknown])
    dist_step = np.diff(distance, append=np.nan)
    plausible = np.isfinite(dist_step) & (dist_step >= 0.0) & (dist_step <= MAX_STEP_M)
    dist_step = np.where(counted & plausible, dist_step, 0.0)
    factor = gap_factor(np.nan_to_num(track["grade"].to_numpy(dtype=float)))
    gap_step = dist_step * factor
    hr = track["heart_rate_bpm"].to_numpy(dtype=float)[moving]
    gap_moving = np.where(moving, dist_step * factor, 0.0)[moving]
    cum_m = np.r_[0.0, np.cumsum(dist_step[counted])]
    cum_gap_m = np.r_[0.0, np.cumsum(gap_step[counted])]
    time_s = np.arange(cum_m.size, dtype=float)
    moving_s = float(moving.sum())
    distance_m = float(cum_m[-1])

    lo, hi = HR_BINS_BPM
    hr_ok = hr[np.isfinite(hr)]
    hist = np.bincount(
        np.clip(np.rint(hr_ok).astype(int), lo, hi - 1) - lo, minlength=hi - lo
    ).astype(float)
    record: dict[str, Any] = {
        "start_time": pd.Timestamp(meta.start_time or track.index[0]).isoformat(),
        "sport": meta.sport,
        "sub_sport": meta.sub_sport,
        "format": meta.format,
        "distance_m": distance_m,
        "moving_s": moving_s,
        "elapsed_s": float(track["elapsed_s"].iloc[-1]),
        "avg_hr_bpm": float(hr_ok.mean()) if hr_ok.size else float("nan"),
        "max_hr_bpm": float(hr_ok.max()) if hr_ok.size else float("nan"),
        "avg_speed_mps": distance_m / counted.sum() if counted.any() else float("nan"),
        "avg_gap_speed_mps": float(gap_moving.mean()) if moving_s > 0 else float("nan"),
        "gap_speed_sq_integral": float(np.sum(gap_moving**2)),
        "decoupling": decoupling(gap_moving, hr) if moving_s >= DECOUPLING_MIN_S else np.nan,
        "curve_speed_mps": mean_max_speed(cum_gap_m, CURVE_DURATIONS_S).tolist(),
        "hr_hist_s": hist.tolist(),
    }
    for name, dist in EFFORT_DISTANCES_M.items():
        record[f"best_{name}_s"] = fastest_effort(cum_m, time_s, dist)[0]
    return record
