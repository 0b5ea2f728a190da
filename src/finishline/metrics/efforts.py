"""Best efforts: the fastest time to cover each distance anywhere in the run.

The mean-maximal speed curve over distance: for every start sample ``i`` the end of an effort
of length ``D`` is where cumulative distance first reaches ``d[i] + D`` (``searchsorted``, then
linear interpolation between the straddling samples), and the best effort is the minimum
duration over all starts. Clock time is used, so a stop inside an effort counts against it.

References
----------
Smyth B. & Muniz-Pumares D. (2020) Calculation of critical speed from raw training data in
recreational marathon runners. Med Sci Sports Exerc 52:2637 (best efforts from GPS logs as the
input of a critical-speed fit; science.md 2.2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finishline.metrics.splits import METRE_PER_MILE

#: Standard best-effort distances (name, metres).
STANDARD_EFFORTS: tuple[tuple[str, float], ...] = (
    ("400m", 400.0),
    ("1km", 1000.0),
    ("1mile", METRE_PER_MILE),
    ("5km", 5000.0),
    ("10km", 10000.0),
    ("half", 21097.5),
)


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
        Clean 1 Hz track (``distance_m``, ``elapsed_s``).
    distances_m
        Effort lengths (m); default: 200 m to the run's length on a log-spaced grid of 40.

    Returns
    -------
    pandas.DataFrame
        ``distance_m``, ``time_s``, ``speed_mps``, ``pace_s_per_km``, ``start_s``, ``start_m``;
        only distances the run covers.
    """
    d = track["distance_m"].to_numpy(float)
    t = track["elapsed_s"].to_numpy(float)
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
    """Best efforts at the standard distances (400 m, 1 km, 1 mile, 5 km, 10 km, half).

    Returns
    -------
    pandas.DataFrame
        ``effort`` (name) plus the columns of :func:`speed_curve`; efforts longer than the run
        are omitted.
    """
    names = dict((dist, name) for name, dist in STANDARD_EFFORTS)
    curve = speed_curve(track, np.array([dist for _, dist in STANDARD_EFFORTS]))
    curve.insert(0, "effort", [names[x] for x in curve["distance_m"]])
    return curve
