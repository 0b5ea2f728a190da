"""Best efforts: the fastest time to cover each distance anywhere in the run.

One rule for races and training alike (:func:`effort_series`): an effort runs on the time the
runner was running. Moving seconds count and so do recording gaps (a sparse file holds
distance through a gap and jumps at its end, so the gap's time must count too); pauses and
standing still do not (a watch's auto-pause stops its timer there); minutes whose median speed
only a vehicle reaches and 1-s steps longer than any stride (GPS teleports) count for neither
time nor distance.

On that series, the mean-maximal speed curve over distance: for every start the end of an
effort of length ``D`` is where cumulative distance first reaches ``d[i] + D`` (searchsorted,
then linear interpolation between the straddling samples); the best effort is the shortest.

References
----------
Smyth B. & Muniz-Pumares D. (2020) Calculation of critical speed from raw training data in
recreational marathon runners. Med Sci Sports Exerc 52:2637 (best efforts from GPS logs as the
input of a critical-speed fit; science.md 2.2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finishline.definitions import (
    HALF_MARATHON_M,
    MARATHON_M,
    METRE_PER_MILE,
    VEHICLE_SPEED_MPS,
)
from finishline.metrics.gap import gap_factor

#: Standard best-effort distances (name, metres); names match the race keys.
STANDARD_EFFORTS: tuple[tuple[str, float], ...] = (
    ("400m", 400.0),
    ("1k", 1000.0),
    ("mile", METRE_PER_MILE),
    ("3k", 3000.0),
    ("5k", 5000.0),
    ("10k", 10000.0),
    ("half", HALF_MARATHON_M),
    ("marathon", MARATHON_M),
)

#: A longer 1-s step (m) is a GPS teleport, not running, and adds nothing.
MAX_STEP_M = 12.0
#: Width (s) of the centred window whose median speed tells a vehicle from a runner.
VEHICLE_WINDOW_S = 60


def effort_series(
    track: pd.DataFrame, grade_adjusted: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative distance (m) and running time (s) on which efforts are measured.

    Parameters
    ----------
    track
        Clean 1 Hz track (``distance_m``, ``speed_mps``, ``moving``, ``in_gap``, ``grade``).
    grade_adjusted
        Grade-adjusted distance (each step times the GAP factor of its grade, the track's
        ``gap_model``) instead of plain distance.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Distance and time, both starting at 0, one entry per counted second plus the start
        (module docstring for what counts).
    """
    moving = track["moving"].to_numpy(dtype=bool)
    in_gap = track["in_gap"].to_numpy(dtype=bool)
    minute = track["speed_mps"].rolling(VEHICLE_WINDOW_S, center=True, min_periods=10)
    vehicle = (minute.median() > VEHICLE_SPEED_MPS).to_numpy()
    counted = (moving | in_gap) & ~vehicle
    distance = track["distance_m"].to_numpy(dtype=float).copy()
    # where the position is unknown (a gap), progress is spread evenly across the gap
    unknown = in_gap & ~np.r_[~in_gap[1:], True] | ~np.isfinite(distance)
    rows = np.arange(distance.size)
    if unknown.any() and (~unknown).sum() >= 2:
        distance[unknown] = np.interp(rows[unknown], rows[~unknown], distance[~unknown])
    step = np.diff(distance, append=np.nan)
    plausible = np.isfinite(step) & (step >= 0.0) & (step <= MAX_STEP_M)
    step = np.where(counted & plausible, step, 0.0)
    if grade_adjusted:
        grade = np.nan_to_num(track["grade"].to_numpy(dtype=float))
        step = step * gap_factor(grade, track.attrs.get("gap_model", "strava"))
    cum_m = np.r_[0.0, np.cumsum(step[counted])]
    return cum_m, np.arange(cum_m.size, dtype=float)


def fastest_effort(
    distance_m: np.ndarray, elapsed_s: np.ndarray, target_m: float
) -> tuple[float, float, float]:
    """Shortest time (s) to cover ``target_m`` metres; returns (duration, start_s, start_m).

    ``distance_m`` must be non-decreasing. Returns NaNs when the run is shorter than the target.
    """
    d = np.asarray(distance_m, dtype=float)
    t = np.asarray(elapsed_s, dtype=float)
    nan3 = (np.nan, np.nan, np.nan)
    if d.size < 2 or d[-1] - d[0] < target_m:
        return nan3
    goal = d + target_m
    right = np.searchsorted(d, goal, side="left")
    ok = right < d.size
    starts = np.flatnonzero(ok)
    right = right[ok]
    left = right - 1
    span = d[right] - d[left]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(span > 0, (goal[ok] - d[left]) / span, 1.0)
    t_end = t[left] + frac * (t[right] - t[left])
    duration = t_end - t[starts]
    best = int(np.argmin(duration))
    return float(duration[best]), float(t[starts[best]]), float(d[starts[best]])


def speed_curve(track: pd.DataFrame, distances_m: np.ndarray | None = None) -> pd.DataFrame:
    """Mean-maximal speed over distance: the best effort at each distance.

    Parameters
    ----------
    track
        Clean 1 Hz track.
    distances_m
        Effort lengths (m); default: 200 m to the run's length on a log-spaced grid of 40.

    Returns
    -------
    pandas.DataFrame
        ``distance_m``, ``time_s``, ``speed_mps``, ``pace_s_per_km``, ``start_s`` (running
        time at the start, s) and ``start_m`` (distance at the start on the effort series);
        only distances the run covers.
    """
    d, t = effort_series(track)
    total = float(d[-1] - d[0]) if d.size else 0.0
    if distances_m is None:
        distances_m = np.geomspace(200.0, max(total, 201.0), 40) if total > 200 else np.array([])
    rows = []
    for target in np.asarray(distances_m, dtype=float):  # one vectorised pass per distance
        duration, start_s, start_m = fastest_effort(d, t, target)
        if np.isfinite(duration) and duration > 0:
            rows.append((target, duration, target / duration, duration / target * 1000.0))
            rows[-1] += (start_s, start_m)
    return pd.DataFrame(
        rows,
        columns=["distance_m", "time_s", "speed_mps", "pace_s_per_km", "start_s", "start_m"],
    )


def best_efforts(track: pd.DataFrame) -> pd.DataFrame:
    """Best efforts at the standard distances (:data:`STANDARD_EFFORTS`).

    Returns
    -------
    pandas.DataFrame
        ``effort`` (name) plus the columns of :func:`speed_curve`; efforts longer than the run
        are omitted.
    """
    names = {dist: name for name, dist in STANDARD_EFFORTS}
    curve = speed_curve(track, np.array([dist for _, dist in STANDARD_EFFORTS]))
    curve.insert(0, "effort", [names[x] for x in curve["distance_m"]])
    return curve
