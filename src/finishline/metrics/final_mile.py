"""Final-mile facts: did the runner hold pace over the last 1609.344 m?

``pace_ratio`` is the clock pace over the final mile divided by the clock pace over 5-20 km
(Smyth's reference window); ``gap_pace_ratio`` is the same with grade-adjusted pace. Runs too
short for the 5-20 km window (less than 20 km + 1 mile) use the first half as the reference
(science.md section 4 names it an acceptable fallback), and say so in ``reference``.

Final-mile failure (FMF, science.md section 4, GPS/FIT form):
``failed = pace_ratio >= 1.25 or (walk_s + stop_s) >= 60``, with ``walked``/``stopped`` flags
for at least 60 s of walking/stopping in the final mile (stretches of at least 10 s walking and
5 s stopped count; see :mod:`finishline.metrics.stops`). Severity grades at 15 / 25 / 40 %
slowdown: ``none`` (< 15 %), ``moderate`` (>= 15 %), ``failure`` (>= 25 %), ``severe`` (>= 40 %).

References
----------
Smyth B. (2021) PLOS ONE 16:e0251513 (5-20 km reference pace, hitting the wall);
science.md section 4 (the FMF definition, the 25 % threshold and the walk flag).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from finishline.definitions import (
    FMF_PACE_RATIO,
    METRE_PER_MILE,
    REFERENCE_END_M,
    REFERENCE_START_M,
    SEVERITY_GRADES,
    WALK_STOP_LIMIT_S,
)
from finishline.metrics.splits import crossing_positions, segment_table
from finishline.metrics.stops import run_bounds, stop_mask, walk_mask

REFERENCE_WINDOW_M = (REFERENCE_START_M, REFERENCE_END_M)


def severity(pace_ratio: float) -> str:
    """Severity grade of a final-mile pace ratio (``none``/``moderate``/``failure``/``severe``)."""
    if not np.isfinite(pace_ratio):
        return "unknown"
    for threshold, name in SEVERITY_GRADES:
        if pace_ratio >= threshold:
            return name
    return "none"


def _seconds_in_runs(mask: np.ndarray, min_len: int, lo: int, hi: int) -> float:
    """Seconds of runs of at least ``min_len`` that fall in rows [lo, hi)."""
    starts, ends = run_bounds(mask, min_len)
    overlap = np.minimum(ends, hi) - np.maximum(starts, lo)
    return float(np.clip(overlap, 0, None).sum())


def final_mile(
    track: pd.DataFrame,
    *,
    segment_m: float = METRE_PER_MILE,
    min_stop_s: int = 5,
    min_walk_s: int = 10,
) -> dict[str, Any]:
    """Final-mile facts of one run.

    Parameters
    ----------
    track
        Clean 1 Hz track.
    segment_m
        Length (m) of the final segment (one mile).
    min_stop_s, min_walk_s
        Shortest stop / walk stretch (s) that counts.

    Returns
    -------
    dict
        ``segment_m``, ``start_m``, ``time_s``, ``pace_s_per_km``, ``gap_pace_s_per_km``,
        ``reference`` (``"5-20km"`` or ``"first_half"``), ``reference_pace_s_per_km``,
        ``reference_gap_pace_s_per_km``, ``pace_ratio``, ``gap_pace_ratio``, ``walk_s``,
        ``stop_s``, ``walked``, ``stopped``, ``failed``, ``severity``, ``slowdown_pct``.
        Ratios are NaN when the run is shorter than two final segments.
    """
    dist = track["distance_m"].to_numpy(float)
    total = float(dist[-1])
    out: dict[str, Any] = {"segment_m": segment_m, "start_m": max(total - segment_m, 0.0)}
    if total >= REFERENCE_WINDOW_M[1] + segment_m:
        ref_bounds, out["reference"] = np.array(REFERENCE_WINDOW_M), "5-20km"
    else:
        ref_bounds, out["reference"] = np.array([0.0, total / 2.0]), "first_half"
    enough = total >= 2 * segment_m
    ref = segment_table(track, ref_bounds).iloc[0]
    fin = segment_table(track, np.array([out["start_m"], total])).iloc[0]
    out["time_s"] = float(fin["time_s"])
    out["pace_s_per_km"] = float(fin["pace_s_per_km"])
    out["gap_pace_s_per_km"] = float(fin["gap_pace_s_per_km"])
    out["reference_pace_s_per_km"] = float(ref["pace_s_per_km"])
    out["reference_gap_pace_s_per_km"] = float(ref["gap_pace_s_per_km"])
    nan = float("nan")
    out["pace_ratio"] = out["pace_s_per_km"] / out["reference_pace_s_per_km"] if enough else nan
    out["gap_pace_ratio"] = (
        out["gap_pace_s_per_km"] / out["reference_gap_pace_s_per_km"] if enough else nan
    )

    lo = int(np.floor(crossing_positions(dist, np.array([out["start_m"]]))[0]))
    hi = dist.size
    out["walk_s"] = _seconds_in_runs(walk_mask(track), min_walk_s, lo, hi)
    out["stop_s"] = _seconds_in_runs(stop_mask(track), min_stop_s, lo, hi)
    out["walked"] = out["walk_s"] >= WALK_STOP_LIMIT_S
    out["stopped"] = out["stop_s"] >= WALK_STOP_LIMIT_S
    ratio = out["pace_ratio"]
    out["failed"] = bool(
        (np.isfinite(ratio) and ratio >= FMF_PACE_RATIO)
        or out["walk_s"] + out["stop_s"] >= WALK_STOP_LIMIT_S
    )
    out["severity"] = severity(ratio)
    out["slowdown_pct"] = 100.0 * (ratio - 1.0) if np.isfinite(ratio) else nan
    return out
