"""The 1 Hz track contract, shared column access and the runner's own reference window.

Every fatigue component compares the runner against themselves: the reference is the
5-20 km window of the same race (Smyth's window), where pacing has settled and fatigue has
not yet set in. This module reads track columns tolerantly (a missing column is all-NaN),
derives per-sample time and distance increments, and selects the reference window.

The components work on :class:`TrackArrays`: every column read once as a float64 array, and
trailing time windows as differences of cumulative sums (``sum(x[s_i..i]) = C[i+1] - C[s_i]``
with ``C`` the running sum), where ``s_i`` is the first sample of the window ending at ``i``:
``(t_i - w, t_i]`` on a timestamp index (as pandas' time-based rolling windows), the last
``w`` samples otherwise. Per-kilometre values are sums and extrema over the kilometre index
(:class:`KmGroups`, ``np.bincount``), so nothing loops over kilometres or samples in Python.

References
----------
Smyth B. (2021) How recreational marathon runners hit the wall. *PLOS ONE* 16:e0251513
(the 5-20 km reference pace; science.md section 1 and section 4).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TypeVar

import numpy as np
import pandas as pd

from finishline.definitions import PAUSE_GAP_S, REFERENCE_END_M, REFERENCE_START_M, STOP_SPEED_MPS
from finishline.errors import AnalysisError

T = TypeVar("T")

#: A sample gap longer than this (s) is a pause: it adds no moving time.
MAX_STEP_S = PAUSE_GAP_S

#: Below this speed (m/s) a sample counts as stopped when the track has no ``moving`` column.
MOVING_SPEED_MPS = STOP_SPEED_MPS


def _float_column(track: pd.DataFrame, name: str) -> np.ndarray:
    """Column ``name`` as a read-only float64 array (all-NaN when absent)."""
    if name not in track.columns:
        values = np.full(len(track), np.nan)
    else:
        column = track[name]
        if column.dtype == np.float64:
            values = column.to_numpy()
        elif column.dtype.kind in "biuf":
            values = column.to_numpy(dtype="float64")
        else:
            values = pd.to_numeric(column, errors="coerce").to_numpy(
                dtype="float64", na_value=np.nan
            )
    values = values.view()
    values.flags.writeable = False
    return values


class TrackArrays:
    """The columns of a track read once as float64 arrays, and what the components share.

    Parameters
    ----------
    track
        1 Hz track (see :func:`finishline.fatigue.state.fatigue_state`); any column may be
        absent (all-NaN here).

    Notes
    -----
    Arrays are read-only views of the track where they can be; derived arrays are computed
    on first use and kept.
    """

    def __init__(self, track: pd.DataFrame) -> None:
        self.track = track
        self.index = track.index
        self.size = len(track)
        self._columns: dict[str, np.ndarray] = {}
        self._starts: dict[float, np.ndarray] = {}
        self._derived: dict[str, object] = {}

    def derived(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` on first use for ``key``, then the kept value (shared intermediates)."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]  # type: ignore[return-value]

    def column(self, name: str) -> np.ndarray:
        """Column ``name`` as float64 (read-only), all-NaN when absent."""
        if name not in self._columns:
            self._columns[name] = _float_column(self.track, name)
        return self._columns[name]

    @cached_property
    def moving(self) -> np.ndarray:
        """Boolean moving flag: the ``moving`` column, else speed above 0.5 m/s."""
        if "moving" in self.track.columns:
            column = self.track["moving"]
            if column.dtype == bool:
                return column.to_numpy()
            return column.fillna(False).astype(bool).to_numpy()
        with np.errstate(invalid="ignore"):
            return self.column("speed_mps") > MOVING_SPEED_MPS

    @cached_property
    def index_ns(self) -> np.ndarray | None:
        """UTC nanoseconds of a timestamp index, None for any other index."""
        if isinstance(self.index, pd.DatetimeIndex):
            return self.index.as_unit("ns").asi8
        return None

    @cached_property
    def regular_1hz(self) -> bool:
        """True when the index is timestamps exactly 1 s apart (the clean track)."""
        times = self.index_ns
        return times is not None and bool((np.diff(times) == 1_000_000_000).all())

    @cached_property
    def step_s(self) -> np.ndarray:
        """Duration of each sample (s); see :func:`step_seconds`."""
        elapsed = self.column("elapsed_s")
        if self.index_ns is not None and np.isnan(elapsed).all():
            elapsed = (self.index_ns - self.index_ns[0]) / 1e9 if self.size else elapsed
        step = np.diff(elapsed, prepend=np.nan)
        if self.size:
            first = _median_step(step[1:]) if self.size > 1 else 1.0
            step[0] = first if np.isfinite(first) else 1.0
        with np.errstate(invalid="ignore"):
            return np.where((step > 0) & (step <= MAX_STEP_S), step, 0.0)

    @cached_property
    def moving_s(self) -> np.ndarray:
        """Moving seconds of each sample: its duration where moving, else 0."""
        return np.where(self.moving, self.step_s, 0.0)

    @cached_property
    def effort_speed(self) -> np.ndarray:
        """Grade-adjusted speed (m/s) where known, else the plain smoothed speed."""
        gap = self.column("gap_speed_mps")
        return np.where(np.isnan(gap), self.column("speed_mps"), gap)

    @cached_property
    def distance_held(self) -> np.ndarray:
        """``distance_m`` carried forward over NaN (leading NaN stay NaN)."""
        return _ffill(self.column("distance_m"))

    @cached_property
    def step_m(self) -> np.ndarray:
        """Distance of each step (m); see :func:`step_metres`."""
        step = np.diff(self.distance_held, prepend=np.nan)
        return np.clip(np.nan_to_num(step, nan=0.0), 0.0, None)

    @cached_property
    def km(self) -> np.ndarray:
        """1-based kilometre of each sample (see :func:`km_index`)."""
        return _km_index(self.distance_held)

    def window_starts(self, window_s: float) -> np.ndarray:
        """First sample of the trailing window ending at each sample.

        ``(t - w, t]`` with ``w`` rounded to whole seconds on a timestamp index (pandas'
        ``rolling("300s")``), the last ``max(round(w), 1)`` samples on any other index.
        """
        if window_s not in self._starts:
            rows = np.arange(self.size)
            if self.index_ns is None:
                starts = np.maximum(rows - max(int(round(window_s)), 1) + 1, 0)
            elif self.regular_1hz:  # (t - w, t] holds the last w samples
                starts = np.maximum(rows - int(round(window_s)) + 1, 0)
            else:
                times = self.index_ns
                if self.size > 1 and not (times[1:] >= times[:-1]).all():
                    raise AnalysisError("the track's timestamps are not in increasing order")
                width = int(round(window_s)) * 1_000_000_000
                starts = np.searchsorted(times, times - width, side="right")
            self._starts[window_s] = starts
        return self._starts[window_s]

    def trailing_sum(self, values: np.ndarray, window_s: float) -> np.ndarray:
        """Sum of ``values`` (no NaN) over each sample's trailing window."""
        running = np.concatenate(([0.0], np.cumsum(values)))
        return running[1:] - running[self.window_starts(window_s)]

    def trailing_mean(self, values: np.ndarray, weights: np.ndarray, window_s: float) -> np.ndarray:
        """Weighted trailing mean (see :func:`trailing_mean`)."""
        with np.errstate(invalid="ignore"):
            valid = ~np.isnan(values) & (weights > 0)
        w = np.where(valid, weights, 0.0)
        num = self.trailing_sum(np.where(np.isnan(values), 0.0, values) * w, window_s)
        den = self.trailing_sum(w, window_s)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num / den, np.nan)

    def reference_window(self, start_m: float, end_m: float) -> np.ndarray:
        """Boolean mask of the reference window (see :func:`reference_window`)."""
        return _reference_window(self.column("distance_m"), start_m, end_m)


def _median_step(steps: np.ndarray) -> float:
    """Median of the steps ignoring NaN (a regular grid's only step without sorting)."""
    if steps.size and (steps == steps[0]).all():
        return float(steps[0])
    with np.errstate(invalid="ignore"):
        return float(np.nanmedian(steps)) if (~np.isnan(steps)).any() else float("nan")


def _ffill(values: np.ndarray) -> np.ndarray:
    """``values`` with NaN replaced by the last non-NaN value before them."""
    valid = ~np.isnan(values)
    if valid.all():
        return values
    last = np.maximum.accumulate(np.where(valid, np.arange(values.size), -1))
    return np.where(last >= 0, values[np.maximum(last, 0)], np.nan)


def _km_index(distance_held: np.ndarray) -> np.ndarray:
    distance = np.nan_to_num(distance_held, nan=0.0)
    km = np.floor(distance / 1000.0) + 1.0
    on_mark = (distance > 0) & (np.mod(distance, 1000.0) == 0.0)
    return (km - on_mark).astype("int64")


def _reference_window(distance_m: np.ndarray, start_m: float, end_m: float) -> np.ndarray:
    finite = ~np.isnan(distance_m)
    total = float(np.max(distance_m[finite])) if finite.any() else np.nan
    if not np.isfinite(total):
        return np.zeros(distance_m.size, dtype=bool)
    end = min(end_m, total)
    if end - start_m < 1_000.0:
        return finite
    return (distance_m >= start_m) & (distance_m < end)


class KmGroups:
    """Per-kilometre reductions over the samples of kilometres ``1..n_km``.

    Parameters
    ----------
    km
        1-based kilometre of each sample (:func:`km_index`); values outside ``1..n_km`` are
        left out.
    n_km
        Number of kilometres (rows of the per-km table).

    Notes
    -----
    A kilometre without samples is NaN in every reduction (as a ``groupby`` joined onto the
    per-km table); NaN values are skipped, as ``groupby`` does.
    """

    def __init__(self, km: np.ndarray, n_km: int) -> None:
        self.n_km = n_km
        self.key = np.where((km >= 1) & (km <= n_km), km, 0)
        self.present = np.bincount(self.key, minlength=n_km + 1)[1:] > 0

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Sum per kilometre (NaN where a kilometre has no samples)."""
        total = np.bincount(self.key, weights=values, minlength=self.n_km + 1)[1:]
        return np.where(self.present, total, np.nan)

    def weighted_mean(self, values: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """``sum(values * w) / sum(w)`` over valid samples; NaN without weight."""
        with np.errstate(invalid="ignore"):
            valid = ~np.isnan(values) & (weights > 0)
        w = np.where(valid, weights, 0.0)
        num = self.sum(np.where(np.isnan(values), 0.0, values) * w)
        den = self.sum(w)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num / den, np.nan)

    def _reduce(self, ufunc: np.ufunc, values: np.ndarray) -> np.ndarray:
        out = np.full(self.n_km + 1, np.nan)
        ufunc.at(out, self.key, values)
        return out[1:]

    def min(self, values: np.ndarray) -> np.ndarray:
        """Smallest non-NaN value per kilometre."""
        return self._reduce(np.fmin, values)

    def max(self, values: np.ndarray) -> np.ndarray:
        """Largest non-NaN value per kilometre."""
        return self._reduce(np.fmax, values)

    def last(self, values: np.ndarray) -> np.ndarray:
        """Last non-NaN value per kilometre (``groupby().last()``)."""
        rows = np.where(np.isnan(values), np.nan, np.arange(values.size, dtype="float64"))
        last = self._reduce(np.fmax, rows)
        found = ~np.isnan(last)
        out = np.full(self.n_km, np.nan)
        out[found] = values[last[found].astype("int64")]
        return out


def track_column(track: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` of ``track`` as float64, or an all-NaN series when it is absent."""
    return pd.Series(_float_column(track, name).copy(), index=track.index, name=name)


def moving_mask(track: pd.DataFrame) -> pd.Series:
    """Boolean moving flag: the track's ``moving`` column, else speed above 0.5 m/s."""
    return pd.Series(TrackArrays(track).moving, index=track.index, name="moving")


def step_seconds(track: pd.DataFrame) -> pd.Series:
    """Duration attributed to each sample (s): the gap since the previous sample.

    The first sample gets the median step (1 s on a 1 Hz track). Gaps longer than
    :data:`MAX_STEP_S` are pauses and count as zero, so sums over samples give moving time.
    """
    return pd.Series(TrackArrays(track).step_s, index=track.index, name="elapsed_s")


def step_metres(track: pd.DataFrame) -> pd.Series:
    """Distance covered in each sample step (m), from the cumulative ``distance_m``.

    Negative steps (a device correcting itself) count as zero.
    """
    return pd.Series(TrackArrays(track).step_m, index=track.index, name="distance_m")


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
    values = pd.to_numeric(distance_m, errors="coerce").to_numpy(dtype="float64")
    return pd.Series(_reference_window(values, start_m, end_m), index=distance_m.index)


def km_index(distance_m: pd.Series) -> pd.Series:
    """1-based kilometre each sample lies in (km 1 is 0-1000 m); NaN where distance is unknown.

    The finishing sample, lying exactly on a kilometre mark, belongs to the kilometre it ends.
    """
    values = pd.to_numeric(distance_m, errors="coerce").to_numpy(dtype="float64")
    return pd.Series(_km_index(_ffill(values)), index=distance_m.index, name=distance_m.name)


def trailing_mean(values: pd.Series, weights: pd.Series, window_s: float) -> pd.Series:
    """Weighted trailing mean over the last ``window_s`` seconds (time-based on the index).

    ``weights`` are usually moving seconds per sample, so stopped samples do not count; NaN
    values get zero weight. Where the window holds no weight the result is NaN.
    """
    arrays = TrackArrays(pd.DataFrame(index=values.index))
    out = arrays.trailing_mean(
        values.to_numpy(dtype="float64"), weights.to_numpy(dtype="float64"), window_s
    )
    return pd.Series(out, index=values.index)


def km_weighted_mean(values: pd.Series, weights: pd.Series, km: pd.Series) -> pd.Series:
    """Per-kilometre weighted mean of ``values`` (NaN values and zero weights ignored).

    Returns a series indexed by the 1-based ``km``; a kilometre with no valid weight is NaN.
    """
    keys = km.to_numpy(dtype="int64")
    present = np.unique(keys)
    shift = 1 - int(present.min()) if present.size else 0
    groups = KmGroups(keys + shift, int(present.max()) + shift if present.size else 0)
    out = groups.weighted_mean(values.to_numpy(dtype="float64"), weights.to_numpy(dtype="float64"))
    return pd.Series(out[present + shift - 1], index=pd.Index(present, name="km"))
