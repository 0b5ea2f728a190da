"""Altitude cleaning, the elevation profile, grade and elevation gain.

The track's altitude is rebuilt as a profile *along distance*, not time, in four steps
(:func:`altitude_profile`):

1. **Distance grid.** Altitude samples are averaged in bins of ``step_m`` (10 m) of distance;
   empty bins (sparse "smart" recording, fast sections) are interpolated. A runner standing
   still fills one bin, so barometric drift during a stop cannot draw a slope. Bins count from
   the smallest distance in any sample order, and a span beyond 2,000 km widens the step so
   the grid never has more than 200,000 bins (memory follows the samples, not the values).
2. **Spikes.** A running median over five bins (50 m) removes isolated spikes, such as the
   3-sample +87 m jump at the start of the fenix 2 file in the corpus.
3. **Implausible stretches.** Where the altitude changes over 50 m of distance at a grade steeper
   than ``max_grade`` (0.45, the end of Minetti's measured range) *and* a vertical speed above
   ``max_vertical_speed_mps`` (1 m/s, twice the vertical-kilometre record pace), the runner
   cannot have done it: it is a GPS altitude that has not settled yet or a barometer
   recalibration. If the altitude comes back to within ``return_tol_m`` of its level before
   the stretch within ``return_within_m`` (an excursion, e.g. the false 95 m climb in the first
   500 m of the Twin Cities 2014 GPS file), the whole excursion is replaced by a straight line;
   otherwise (a step) the step is removed and the rest of the profile shifted back.
   Requiring both conditions keeps real steep climbs (walking a 25 % trail at 0.4 m/s) and fast
   descents (5 m/s at -20 %).
4. **Smoothing** with a centred running mean over ``window_m`` of distance: 100 m for a
   barometer (~30-40 s of running; removes the 0.2 m quantisation steps and pressure flutter
   while keeping any climb longer than the window at full height, and rounding the corners of
   a climb by only ``grade * window / 8`` each), 300 m for GPS altitude (its error is several
   metres and correlated over tens of seconds, so shorter windows leave noise hills). The window
   shrinks symmetrically at the ends so that a straight slope stays straight.

Grade is the slope of this profile over a centred distance window, clipped to +-0.45.
Elevation gain and loss are the sums of the rises and falls of the profile; on the corpus FIT
files with a device total they land within about 10 % of the device's own ``total_ascent``
(see ``tests/real/test_elevation_gap_real.py``), where the raw 1 Hz altitude overestimates by
up to 30 % on flat courses.

References
----------
Minetti A.E. et al. (2002) J Appl Physiol 93:1039 (grade range +-0.45; science.md 2.6).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finishline.stretches import bounds

#: Distance step (m) of the grid the profile is built on.
PROFILE_STEP_M = 10.0

#: Smoothing window (m of distance) per altitude source; see the module docstring.
ALTITUDE_WINDOW_M = {"barometric": 100.0, "gps": 300.0}

#: Steepest grade (fraction) a running track can have (Minetti's measured range).
MAX_GRADE = 0.45

#: Fastest sustained vertical speed (m/s) a runner can climb or descend at that grade.
MAX_VERTICAL_SPEED_MPS = 1.0

#: Distance (m) over which the plausibility of an altitude change is judged.
PLAUSIBILITY_BASE_M = 50.0

#: Most bins of the distance grid (2,000 km at 10 m): a longer span widens the step instead,
#: so memory follows the number of samples, never a distance value (a corrupt 1e308 m).
MAX_PROFILE_BINS = 200_000


def detect_altitude_source(altitude_m: np.ndarray, has_positions: bool) -> str:
    """``"barometric"`` or ``"gps"``: GPS altitude is rough from one sample to the next.

    Without positions the altitude cannot be GPS. Otherwise the median absolute second
    difference of the *recorded* samples decides: above 0.5 m it is GPS-like (a Forerunner 620
    without barometer: 0.8 m; barometric Polar/fenix/Forerunner 920XT files: 0-0.2 m).
    """
    alt = np.asarray(altitude_m, dtype=float)
    alt = alt[np.isfinite(alt)]
    if not has_positions or alt.size < 3:
        return "barometric"
    return "gps" if float(np.median(np.abs(np.diff(alt, 2)))) > 0.5 else "barometric"


def running_mean_symmetric(values: np.ndarray, n: int) -> np.ndarray:
    """Centred running mean over ``n`` samples (odd), shrinking symmetrically at the ends.

    Near an end the window keeps as many samples on each side as the nearer end allows, so a
    straight line is returned unchanged everywhere.
    """
    values = np.asarray(values, dtype=float)
    if n <= 1 or values.size < 3:
        return values.copy()
    half = n // 2
    i = np.arange(values.size)
    k = np.minimum(np.minimum(i, values.size - 1 - i), half)
    csum = np.r_[0.0, np.cumsum(values)]
    return (csum[i + k + 1] - csum[i - k]) / (2 * k + 1)


def _bin_means(
    distance_m: np.ndarray, values: tuple[np.ndarray, ...], step_m: float
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Mean of each series in distance bins of ``step_m``; empty bins interpolated.

    Bins are counted from the smallest distance, in any sample order; when the span would need
    more than :data:`MAX_PROFILE_BINS` bins the step widens to fit. ``distance_m`` must be
    finite with a finite span.
    """
    low = float(np.min(distance_m))
    span = float(np.max(distance_m)) - low
    if span / step_m >= MAX_PROFILE_BINS:
        step_m = span / (MAX_PROFILE_BINS - 1)
    start = low - low % step_m  # bins on multiples of the step, as the grid below
    idx = np.floor((distance_m - start) / step_m).astype(np.int64)
    nbins = int(idx.max()) + 1
    count = np.bincount(idx, minlength=nbins)
    grid = start + (np.arange(nbins) + 0.5) * step_m
    filled = count > 0
    means = []
    for series in values:
        sums = np.bincount(idx, weights=series, minlength=nbins)
        means.append(np.interp(grid, grid[filled], sums[filled] / count[filled]))
    return grid, means


def implausible_altitude(
    grid_m: np.ndarray,
    altitude_m: np.ndarray,
    elapsed_s: np.ndarray,
    *,
    max_grade: float = MAX_GRADE,
    max_vertical_speed_mps: float = MAX_VERTICAL_SPEED_MPS,
    base_m: float = PLAUSIBILITY_BASE_M,
) -> np.ndarray:
    """True on grid bins inside a change steeper than ``max_grade`` *and* faster than allowed.

    Parameters
    ----------
    grid_m, altitude_m, elapsed_s
        The distance grid (m, regular), the binned altitude (m) and time (s) on it.
    max_grade
        Steepest plausible grade (fraction).
    max_vertical_speed_mps
        Fastest plausible vertical speed (m/s).
    base_m
        Distance (m) over which both are measured.
    """
    step = float(grid_m[1] - grid_m[0]) if grid_m.size > 1 else PROFILE_STEP_M
    k = max(1, int(round(base_m / step)))
    bad = np.zeros(grid_m.size, bool)
    if grid_m.size <= k:
        return bad
    rise = np.abs(altitude_m[k:] - altitude_m[:-k])
    dt = np.maximum(elapsed_s[k:] - elapsed_s[:-k], 1e-3)
    window_bad = (rise > max_grade * k * step) & (rise > max_vertical_speed_mps * dt)
    # a bad window marks all the bins it spans: a cumulative sum of +1/-1 at its ends
    marks = np.zeros(grid_m.size + 1, np.int64)
    starts = np.flatnonzero(window_bad)
    np.add.at(marks, starts, 1)
    np.add.at(marks, starts + k + 1, -1)
    return np.cumsum(marks)[:-1] > 0


def repair_implausible(
    grid_m: np.ndarray,
    altitude_m: np.ndarray,
    bad: np.ndarray,
    *,
    return_within_m: float = 2000.0,
    return_tol_m: float = 3.0,
) -> np.ndarray:
    """Replace implausible stretches (see the module docstring): excursions by a line, steps
    by removing the step.

    Parameters
    ----------
    grid_m, altitude_m
        Distance grid (m) and altitude (m) on it.
    bad
        Bins flagged by :func:`implausible_altitude`.
    return_within_m
        How far after a stretch (m) the altitude may come back for it to count as an excursion.
    return_tol_m
        How close (m) to the level before the stretch it must come back.
    """
    out = np.asarray(altitude_m, dtype=float).copy()
    step = float(grid_m[1] - grid_m[0]) if grid_m.size > 1 else PROFILE_STEP_M
    look = max(1, int(round(return_within_m / step)))
    starts, ends = bounds(bad)
    # a handful of stretches per file at most: a loop over them is clearer than vector tricks
    for start, end in zip(starts, ends, strict=True):
        before = max(start - 1, 0)
        level = out[before]
        after = out[end : end + look]
        back = np.flatnonzero(np.abs(after - level) <= return_tol_m)
        if back.size:
            stop = end + int(back[0])
            out[before : stop + 1] = np.interp(
                grid_m[before : stop + 1], grid_m[[before, stop]], out[[before, stop]]
            )
        elif end < out.size:
            out[end:] -= out[end] - level
            out[before:end] = level
        else:
            out[before:] = level
    return out


def altitude_profile(
    distance_m: np.ndarray,
    altitude_m: np.ndarray,
    elapsed_s: np.ndarray,
    source: str = "barometric",
    *,
    window_m: float | None = None,
    step_m: float = PROFILE_STEP_M,
) -> tuple[np.ndarray, np.ndarray, float]:
    """The cleaned, smoothed elevation profile along distance.

    Parameters
    ----------
    distance_m
        Cumulative distance (m) per sample: non-decreasing in a track; any order is binned
        without error, and a span beyond 2,000 km coarsens the grid rather than growing it.
    altitude_m
        Altitude (m) per sample; NaN where missing.
    elapsed_s
        Time (s) per sample (to judge vertical speed).
    source
        ``"barometric"`` or ``"gps"``: picks the default ``window_m``.
    window_m
        Smoothing window (m of distance); ``None`` = :data:`ALTITUDE_WINDOW_M` of the source.
    step_m
        Grid step (m).

    Returns
    -------
    grid_m, profile_m, repaired_m
        Bin centres (m), the profile (m) there, and the distance (m) of profile judged
        implausible and repaired. Empty arrays when fewer than two samples have both.
    """
    d = np.asarray(distance_m, dtype=float)
    z = np.asarray(altitude_m, dtype=float)
    t = np.asarray(elapsed_s, dtype=float)
    ok = np.isfinite(d) & np.isfinite(z) & np.isfinite(t)
    with np.errstate(over="ignore"):  # a span of +-1e308 overflows to inf: no profile
        span = float(np.ptp(d[ok])) if ok.sum() >= 2 else 0.0
    if not 0.0 < span < np.inf:
        return np.empty(0), np.empty(0), 0.0
    if window_m is None:
        window_m = ALTITUDE_WINDOW_M.get(source, ALTITUDE_WINDOW_M["gps"])
    grid, (z_bin, t_bin) = _bin_means(d[ok], (z[ok], t[ok]), step_m)
    z_bin = pd.Series(z_bin).rolling(5, center=True, min_periods=1).median().to_numpy()
    bad = implausible_altitude(grid, z_bin, t_bin)
    if bad.any():
        z_bin = repair_implausible(grid, z_bin, bad)
    n = int(round(window_m / step_m)) // 2 * 2 + 1
    return grid, running_mean_symmetric(z_bin, n), float(bad.sum() * step_m)


def profile_on_track(
    distance_m: np.ndarray, grid_m: np.ndarray, profile_m: np.ndarray, has_altitude: np.ndarray
) -> np.ndarray:
    """The profile read at each track distance; NaN where the track had no altitude."""
    if grid_m.size == 0:
        return np.full(np.shape(distance_m), np.nan)
    out = np.interp(distance_m, grid_m, profile_m)
    return np.where(has_altitude & np.isfinite(distance_m), out, np.nan)


def smooth_altitude(
    altitude_m: np.ndarray,
    source: str,
    distance_m: np.ndarray | None = None,
    elapsed_s: np.ndarray | None = None,
) -> np.ndarray:
    """Smoothed altitude per sample (see :func:`altitude_profile`).

    Without ``distance_m`` the samples are taken as equally spaced 1 m apart, which only suits
    quick checks; :func:`finishline.clean.clean` always passes the track's distance.
    """
    z = np.asarray(altitude_m, dtype=float)
    d = np.arange(z.size, dtype=float) if distance_m is None else np.asarray(distance_m, float)
    t = np.arange(z.size, dtype=float) if elapsed_s is None else np.asarray(elapsed_s, float)
    grid, profile, _ = altitude_profile(d, z, t, source)
    return profile_on_track(d, grid, profile, np.isfinite(z))


def grade_from_altitude(
    distance_m: np.ndarray, altitude_m: np.ndarray, window_m: float = 50.0
) -> np.ndarray:
    """Grade (fraction) as altitude change over a ``window_m`` distance window, centred.

    Computed against distance, not time, so a runner standing still does not create a slope.
    Clipped to +-:data:`MAX_GRADE`; 0 where altitude is missing.
    """
    distance_m = np.asarray(distance_m, dtype=float)
    altitude_m = np.asarray(altitude_m, dtype=float)
    ok = np.isfinite(distance_m) & np.isfinite(altitude_m)
    grade = np.zeros(distance_m.shape)
    if ok.sum() < 2:
        return grade
    d, a = distance_m[ok], altitude_m[ok]
    d_unique, first = np.unique(d, return_index=True)
    a_unique = a[first]
    if d_unique.size < 2:
        return grade
    half = window_m / 2
    lo = np.clip(d - half, d_unique[0], d_unique[-1])
    hi = np.clip(d + half, d_unique[0], d_unique[-1])
    run = hi - lo
    rise = np.interp(hi, d_unique, a_unique) - np.interp(lo, d_unique, a_unique)
    with np.errstate(invalid="ignore", divide="ignore"):
        g = np.where(run > window_m / 4, rise / run, 0.0)
    grade[ok] = np.clip(g, -MAX_GRADE, MAX_GRADE)
    return grade


def elevation_gain_loss(altitude_m: np.ndarray) -> tuple[float, float]:
    """Total rise and fall (m) of an altitude series (NaN steps ignored).

    On the smoothed profile this is the elevation gain and loss to compare with a device's
    ``total_ascent``/``total_descent``.
    """
    step = np.diff(np.asarray(altitude_m, dtype=float))
    step = step[np.isfinite(step)]
    return float(step[step > 0].sum()), float(-step[step < 0].sum())
