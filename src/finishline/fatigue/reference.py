"""The 1 Hz track contract, shared column access and the runner's own reference window.

Every fatigue component compares the runner against themselves: the reference is the
5-20 km window of the same race (Smyth's window), where pacing has settled and fatigue has
not yet set in. This module reads track columns tolerantly (a missing column is all-NaN),
derives per-sample time and distance increments, and selects the reference window.

References
----------
Smyth B. (2021) How recreational marathon runners hit the wall. *PLOS ONE* 16:e0251513
(the 5-20 km reference pace; science.md section 1 and section 4).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finishline.definitions import PAUSE_GAP_S, REFERENCE_END_M, REFERENCE_START_M, STOP_SPEED_MPS

#: A sample gap longer than this (s) is a pause: it adds no moving time.
MAX_STEP_S = PAUSE_GAP_S

#: Below this speed (m/s) a sample counts as stopped when the track has no ``moving`` column.
MOVING_SPEED_MPS = STOP_SPEED_MPS


def track_column(track: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` of ``track`` as float64, or an all-NaN series when it is absent."""
    if name in track.columns:
        return pd.to_numeric(track[name], errors="coerce").astype("float64")
    return pd.Series(np.nan, index=track.index, dtype="float64", name=name)


def moving_mask(track: pd.DataFrame) -> pd.Series:
    """Boolean moving flag: the track's ``moving`` column, else speed above 0.5 m/s."""
    if "moving" in track.columns:
        return track["moving"].fillna(False).astype(bool)
    speed = track_column(track, "speed_mps")
    return (speed > MOVING_SPEED_MPS).fillna(False)


def step_seconds(track: pd.DataFrame) -> pd.Series:
    """Duration attributed to each sample (s): the gap since the previous sample.

    The first sample gets the median step (1 s on a 1 Hz track). Gaps longer than
    :data:`MAX_STEP_S` are pauses and count as zero, so sums over samples give moving time.
    """
    elapsed = track_column(track, "elapsed_s")
    if elapsed.isna().all() and isinstance(track.index, pd.DatetimeIndex):
        elapsed = pd.Series(
            (track.index.asi8 - track.index.asi8[0]) / 1e9 if len(track) else [],
            index=track.index,
            dtype="float64",
        )
    step = elapsed.diff()
    first = float(np.nanmedian(step.to_numpy())) if len(step) > 1 else 1.0
    step.iloc[:1] = first if np.isfinite(first) else 1.0
    return step.where((step > 0) & (step <= MAX_STEP_S), 0.0).fillna(0.0)


def step_metres(track: pd.DataFrame) -> pd.Series:
    """Distance covered in each sample step (m), from the cumulative ``distance_m``.

    Negative steps (a device correcting itself) count as zero.
    """
    distance = track_column(track, "distance_m").ffill()
    step = distance.diff().fillna(0.0)
    return step.clip(lower=0.0)


def reference_window(
    distance_m: pd.Series,
    start_m: float = REFERENCE_START_M,
    end_m: float = REFERENCE_END_M,
) -> pd.Series:
    """Boolean mask of the samples inside the reference window.

    Parameters
    ----------
    distance_m
        Cumulative race distance per sample (m).
    start_m, end_m
        The window (m); 5-20 km by default (Smyth 2021). When the race is shorter than
        ``end_m`` the window ends at the finish; when less than 1 km of it remains (a race
        shorter than ~6 km) the whole race is the reference.

    Returns
    -------
    pandas.Series
        True inside the window.

    References
    ----------
    Smyth B. (2021) *PLOS ONE* 16:e0251513 (science.md section 1).
    """
    total = float(distance_m.max()) if distance_m.notna().any() else np.nan
    if not np.isfinite(total):
        return pd.Series(False, index=distance_m.index)
    end = min(end_m, total)
    if end - start_m < 1_000.0:
        return distance_m.notna()
    return (distance_m >= start_m) & (distance_m < end)


def km_index(distance_m: pd.Series) -> pd.Series:
    """1-based kilometre each sample lies in (km 1 is 0-1000 m); NaN where distance is unknown.

    The finishing sample, lying exactly on a kilometre mark, belongs to the kilometre it ends.
    """
    distance = distance_m.ffill().fillna(0.0)
    km = np.floor(distance / 1000.0) + 1.0
    on_mark = (distance > 0) & (np.mod(distance, 1000.0) == 0.0)
    return km.where(~on_mark, km - 1.0).astype("int64")


def trailing_mean(values: pd.Series, weights: pd.Series, window_s: float) -> pd.Series:
    """Weighted trailing mean over the last ``window_s`` seconds (time-based on the index).

    ``weights`` are usually moving seconds per sample, so stopped samples do not count; NaN
    values get zero weight. Where the window holds no weight the result is NaN.
    """
    valid = values.notna() & (weights > 0)
    w = weights.where(valid, 0.0)
    num = (values.fillna(0.0) * w).rolling(_window(values, window_s), min_periods=1).sum()
    den = w.rolling(_window(values, window_s), min_periods=1).sum()
    return (num / den).where(den > 0)


def _window(series: pd.Series, window_s: float) -> str | int:
    """A rolling window: a time offset on a datetime index, else a sample count (1 Hz)."""
    if isinstance(series.index, pd.DatetimeIndex):
        return f"{int(round(window_s))}s"
    return max(int(round(window_s)), 1)


def km_weighted_mean(values: pd.Series, weights: pd.Series, km: pd.Series) -> pd.Series:
    """Per-kilometre weighted mean of ``values`` (NaN values and zero weights ignored).

    Returns a series indexed by the 1-based ``km``; a kilometre with no valid weight is NaN.
    """
    valid = values.notna() & (weights > 0)
    w = weights.where(valid, 0.0)
    num = (values.fillna(0.0) * w).groupby(km.to_numpy()).sum()
    den = w.groupby(km.to_numpy()).sum()
    out = (num / den).where(den > 0)
    out.index.name = "km"
    return out
