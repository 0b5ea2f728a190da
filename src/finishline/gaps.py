"""Recording gaps: where the watch lost the signal, and whether the runner kept running.

A watch loses GPS in a tunnel, under a bridge or among tall buildings; some keep logging the
last position and jump when the signal returns, some log nothing until it does. Either way the
distance channel has a *gap*: a stretch longer than the interpolation limit with no usable
distance. What happened in it is judged from the progress across it, ``v = distance / time``:

=====================  =============================================  ======================
``v`` across the gap   what it is                                     on the 1 Hz track
=====================  =============================================  ======================
below 0.5 m/s          a pause (auto-pause, or standing)              distance held, paused
0.5 to 6.5 m/s         the runner kept going: a *bridged* gap         distance linear across
                                                                      it, moving, ``in_gap``
above 6.5 m/s          no runner: a jump (GPS re-acquisition far      distance held, then the
                       away, a vehicle)                               jump; not moving,
                                                                      ``in_gap``
=====================  =============================================  ======================

Two ways a gap hides inside samples are turned into real gaps first: positions repeated
exactly for longer than the interpolation limit (the watch froze its last fix), and a device
distance that stalls and then catches up in one step faster than any runner. The bridged
distance is the device's own (FIT/TCX distance) or, for distance from positions, the straight
line from the last fix before the gap to the first after it.

The limits (0.5 and 6.5 m/s) are :data:`finishline.definitions.STOP_SPEED_MPS` and
:data:`~finishline.definitions.VEHICLE_SPEED_MPS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from finishline.definitions import STOP_SPEED_MPS, VEHICLE_SPEED_MPS
from finishline.stretches import bounds


def _repeat_runs(same: np.ndarray, t_s: np.ndarray, min_s: float) -> np.ndarray:
    """True on samples in runs of ``same`` (a sample equal to the one before) lasting at least
    ``min_s`` seconds; the run's first sample (where the value was last new) is not marked."""
    out = np.zeros(same.size, dtype=bool)
    if not same.any():
        return out
    starts, ends = bounds(same)
    for a, b in zip(starts, ends, strict=True):  # one iteration per frozen stretch
        if t_s[b - 1] - t_s[a - 1 if a > 0 else a] >= min_s:
            out[a:b] = True
    return out


def frozen_positions(lat: np.ndarray, lon: np.ndarray, t_s: np.ndarray, min_s: float) -> np.ndarray:
    """Samples repeating the previous fix exactly for at least ``min_s`` seconds."""
    same = np.r_[False, (lat[1:] == lat[:-1]) & (lon[1:] == lon[:-1])]
    return _repeat_runs(same & np.isfinite(lat), t_s, min_s)


def stalled_distance(
    distance_m: np.ndarray, t_s: np.ndarray, min_s: float, max_step_mps: float
) -> np.ndarray:
    """Samples of a device distance that stalls for at least ``min_s`` seconds and then catches
    up in one step faster than ``max_step_mps`` (the catch-up belongs to the whole stall)."""
    d = np.asarray(distance_m, dtype=float)
    same = np.r_[False, d[1:] == d[:-1]]
    frozen = _repeat_runs(same & np.isfinite(d), t_s, min_s)
    if not frozen.any():
        return frozen
    # keep only stalls that end in an implausible one-step jump
    step_speed = np.r_[np.diff(d) / np.maximum(np.diff(t_s), 1e-9), np.nan]
    starts, ends = bounds(frozen)
    keep = np.zeros_like(frozen)
    for a, b in zip(starts, ends, strict=True):
        if b - 1 < d.size and step_speed[b - 1] > max_step_mps:
            keep[a:b] = True
    return keep


@dataclass
class GridGaps:
    """The distance channel on the 1 Hz grid, with its gaps judged (module docstring).

    Attributes
    ----------
    distance_m
        Distance on the grid (m): linear across bridged gaps, held across pauses and jumps.
    bridged, paused, jumped
        Grid points inside a bridged gap, a pause gap, and a gap too fast for a runner.
    gaps
        One entry per long gap: ``(start_s, end_s, distance_m, kind)`` with ``kind`` one of
        ``"bridged"``, ``"pause"``, ``"jump"``.
    """

    distance_m: np.ndarray
    bridged: np.ndarray
    paused: np.ndarray
    jumped: np.ndarray
    gaps: list[tuple[float, float, float, str]] = field(default_factory=list)


def gaps_on_grid(
    t_s: np.ndarray,
    distance_m: np.ndarray,
    grid_s: np.ndarray,
    max_gap_s: float,
    *,
    stop_speed_mps: float = STOP_SPEED_MPS,
    max_bridge_speed_mps: float = VEHICLE_SPEED_MPS,
) -> GridGaps:
    """Place a distance channel on the grid and judge every gap longer than ``max_gap_s``.

    Parameters
    ----------
    t_s, distance_m
        Sample times (s) and cumulative distance (m, non-decreasing where finite; NaN where the
        channel has no value).
    grid_s
        The 1 Hz grid (s).
    max_gap_s
        Longer gaps are judged; shorter ones are interpolated linearly.
    stop_speed_mps, max_bridge_speed_mps
        Progress below the first is a pause, above the second a jump.
    """
    finite = np.isfinite(distance_m)
    tf, df = t_s[finite], distance_m[finite]
    n = grid_s.size
    empty = np.zeros(n, dtype=bool)
    if tf.size == 0:
        return GridGaps(np.full(n, np.nan), empty, empty.copy(), empty.copy())
    distance = np.interp(grid_s, tf, df)
    dt, dd = np.diff(tf), np.diff(df)
    with np.errstate(invalid="ignore", divide="ignore"):
        v = dd / dt
    long = dt > max_gap_s
    kind = np.where(v < stop_speed_mps, 1, np.where(v > max_bridge_speed_mps, 2, 0))
    idx = np.searchsorted(tf, grid_s, side="right") - 1
    valid = (idx >= 0) & (idx < dt.size)
    i = np.clip(idx, 0, max(dt.size - 1, 0))
    inside = valid & (grid_s > tf[np.clip(idx, 0, tf.size - 1)])
    if dt.size:
        inside &= long[i]
        paused = inside & (kind[i] == 1)
        jumped = inside & (kind[i] == 2)
    else:
        paused = jumped = empty.copy()
    bridged = inside & ~paused & ~jumped
    held = paused | jumped
    distance[held] = df[idx[held]]
    gaps = [
        (float(tf[k]), float(tf[k + 1]), float(dd[k]), ("bridged", "pause", "jump")[kind[k]])
        for k in np.flatnonzero(long)
    ]
    return GridGaps(distance, bridged, paused, jumped, gaps)
