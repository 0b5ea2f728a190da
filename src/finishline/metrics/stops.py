"""Stops and walk breaks along a run.

- A **stop** is a stretch where the timer was stopped (or the recording had a long gap) or the
  smoothed speed was below ``stop_speed_mps`` (0.5 m/s), lasting at least ``min_stop_s``.
- A **walk** is a stretch, not a stop, where speed was below ``walk_speed_mps`` (2 m/s) or step
  cadence was below ``walk_cadence_spm`` (140 spm), lasting at least ``min_walk_s``. A walking
  cadence needs no GPS, and a slow shuffle with running cadence is still caught by speed.

References
----------
science.md section 4: the walk flag of the final-mile-failure definition (cadence < ~140 spm or
speed < 2 m/s for >= 60 s in the last mile).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finishline.definitions import STOP_SPEED_MPS, WALK_CADENCE_SPM, WALK_SPEED_MPS
from finishline.stretches import bounds

EVENT_COLUMNS = (
    "kind",
    "start_time",
    "start_s",
    "end_s",
    "duration_s",
    "start_m",
    "distance_m",
)


def stop_mask(track: pd.DataFrame, stop_speed_mps: float = STOP_SPEED_MPS) -> np.ndarray:
    """True for seconds stopped: timer paused (or an auto-pause gap), or speed below the
    threshold; never inside a recording gap (no data is not a stop: :mod:`finishline.gaps`)."""
    speed = track["speed_mps"].to_numpy(float)
    stopped = track["paused"].to_numpy(bool) | (np.nan_to_num(speed) < stop_speed_mps)
    return stopped & ~track["in_gap"].to_numpy(bool)


def walk_mask(
    track: pd.DataFrame,
    walk_speed_mps: float = WALK_SPEED_MPS,
    walk_cadence_spm: float = WALK_CADENCE_SPM,
    stop_speed_mps: float = STOP_SPEED_MPS,
) -> np.ndarray:
    """True for seconds walking: not stopped, not in a recording gap, and slow or at a walking
    cadence."""
    speed = np.nan_to_num(track["speed_mps"].to_numpy(float))
    cadence = track["cadence_spm"].to_numpy(float)
    slow_steps = np.isfinite(cadence) & (cadence > 0) & (cadence < walk_cadence_spm)
    data = ~track["in_gap"].to_numpy(bool)
    return ~stop_mask(track, stop_speed_mps) & data & ((speed < walk_speed_mps) | slow_steps)


def _events(track: pd.DataFrame, mask: np.ndarray, kind: str, min_len: int) -> pd.DataFrame:
    starts, ends = bounds(mask, min_len)
    t = track["elapsed_s"].to_numpy(float)
    d = track["distance_m"].to_numpy(float)
    last = t.size - 1
    end_idx = np.minimum(ends, last)
    return pd.DataFrame(
        {
            "kind": kind,
            "start_time": track.index[starts],
            "start_s": t[starts],
            "end_s": t[end_idx],
            "duration_s": (ends - starts).astype(float),
            "start_m": d[starts],
            "distance_m": d[end_idx] - d[starts],
        },
        columns=list(EVENT_COLUMNS),
    )


def stops_and_walks(
    track: pd.DataFrame,
    *,
    min_stop_s: int = 5,
    min_walk_s: int = 10,
    stop_speed_mps: float = STOP_SPEED_MPS,
    walk_speed_mps: float = WALK_SPEED_MPS,
    walk_cadence_spm: float = WALK_CADENCE_SPM,
) -> pd.DataFrame:
    """Stops and walk breaks, in time order.

    Parameters
    ----------
    track
        Clean 1 Hz track (``speed_mps``, ``cadence_spm``, ``paused``, ``distance_m``).
    min_stop_s, min_walk_s
        Shortest stop / walk (s) reported.

    Returns
    -------
    pandas.DataFrame
        ``kind`` (``"stop"``/``"walk"``), ``start_time`` (UTC), ``start_s``/``end_s`` (track
        elapsed s), ``duration_s``, ``start_m`` (distance at the start), ``distance_m`` (covered
        during the event).
    """
    stops = _events(track, stop_mask(track, stop_speed_mps), "stop", min_stop_s)
    walk = walk_mask(track, walk_speed_mps, walk_cadence_spm, stop_speed_mps)
    walks = _events(track, walk, "walk", min_walk_s)
    frames = [f for f in (stops, walks) if not f.empty]
    if not frames:
        return stops
    return pd.concat(frames).sort_values("start_s", kind="stable").reset_index(drop=True)
