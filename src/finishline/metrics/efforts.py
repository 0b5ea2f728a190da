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
All distances are searched together, coarse to fine (:func:`fastest_efforts`): a block of
starts ``[a, b]`` cannot hold an effort shorter than ``T(d[a] + D) - t[b]`` (the end time only
grows with the start), so only blocks whose bound beats the best effort found so far are split
and searched further; the surviving starts are evaluated exactly as every start would be.

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


def vehicle_mask(speed_mps: np.ndarray) -> np.ndarray:
    """True where the centred :data:`VEHICLE_WINDOW_S` median speed exceeds a runner's.

    The median of the window's known speeds (at least 10) is above
    :data:`~finishline.definitions.VEHICLE_SPEED_MPS` exactly when more than half of them are;
    with exactly half above (an even count), the two middle values decide. Counting uses
    cumulative sums, so only those rare tied windows are sorted.

    Parameters
    ----------
    speed_mps
        Speed per 1 Hz sample (m/s); NaN is unknown.

    Returns
    -------
    numpy.ndarray
        Boolean per sample (pandas' ``rolling(60, center=True, min_periods=10).median()``
        above the threshold).
    """
    speed = np.asarray(speed_mps, dtype="float64")
    n = speed.size
    fast = speed > VEHICLE_SPEED_MPS
    if not fast.any():  # a runner: no window can have a vehicle's median
        return np.zeros(n, dtype=bool)
    half = VEHICLE_WINDOW_S // 2
    rows = np.arange(n)
    lo = np.clip(rows - half, 0, n)
    hi = np.clip(rows + VEHICLE_WINDOW_S - half, 0, n)  # exclusive: rows i-30 .. i+29
    running = np.concatenate(([0], np.cumsum(fast)))
    above = running[hi] - running[lo]
    # Only windows holding a fast sample can have a vehicle's median.
    rows = np.flatnonzero(above)
    lo, hi, above = lo[rows], hi[rows], above[rows]
    running = np.concatenate(([0], np.cumsum(~np.isnan(speed))))
    count = running[hi] - running[lo]
    vehicle = np.zeros(n, dtype=bool)
    vehicle[rows] = (count >= 10) & (2 * above > count)
    tied = rows[(count >= 10) & (2 * above == count)]
    if tied.size:
        padded = np.concatenate((np.full(half, np.nan), speed, np.full(half, np.nan)))
        windows = np.lib.stride_tricks.sliding_window_view(padded, VEHICLE_WINDOW_S)[tied]
        with np.errstate(invalid="ignore"):
            below_max = np.nanmax(np.where(windows <= VEHICLE_SPEED_MPS, windows, np.nan), axis=1)
            above_min = np.nanmin(np.where(windows > VEHICLE_SPEED_MPS, windows, np.nan), axis=1)
        vehicle[tied] = (below_max + above_min) / 2 > VEHICLE_SPEED_MPS
    return vehicle


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
    vehicle = vehicle_mask(track["speed_mps"].to_numpy(dtype=float))
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
    duration, start_s, start_m = fastest_efforts(distance_m, elapsed_s, np.array([target_m]))
    return float(duration[0]), float(start_s[0]), float(start_m[0])


#: Blocks of starts shrink by this factor at each level of :func:`fastest_efforts`.
BLOCK_SPLIT = 4
#: A target's first blocks span about this fraction of its expected duration.
FIRST_BLOCK_FRACTION = 1 / 8


def fastest_efforts(
    distance_m: np.ndarray, elapsed_s: np.ndarray, targets_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shortest time (s) to cover each of ``targets_m`` metres, with where it started.

    Parameters
    ----------
    distance_m
        Cumulative distance (m), non-decreasing.
    elapsed_s
        Time (s) at each sample, non-decreasing.
    targets_m
        Effort lengths (m).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Duration (s), start time (s) and start distance (m) per target: the earliest of the
        shortest efforts; NaN for a target longer than the run.

    Notes
    -----
    An effort from start ``i`` ends at ``T(d[i] + D)``, the time ``t`` interpolated where
    ``d`` first reaches ``d[i] + D``. The search keeps, per target, blocks of starts; a block
    ``[a, b]`` whose bound ``T(d[a] + D) - t[b]`` exceeds the best effort found so far cannot
    hold the best effort (``T`` and ``t`` never decrease) and is dropped, the others are split
    by :data:`BLOCK_SPLIT` until single starts remain. A target's first blocks last about
    :data:`FIRST_BLOCK_FRACTION` of its expected duration, so that the bound's slack (a block's
    duration) is small against the spread of its efforts. Every duration is computed with the
    same arithmetic as an exhaustive search, so the result is identical to one.
    """
    d = np.asarray(distance_m, dtype=float)
    t = np.asarray(elapsed_s, dtype=float)
    targets = np.atleast_1d(np.asarray(targets_m, dtype=float))
    out = np.full((3, targets.size), np.nan)
    n = d.size
    if n < 2:
        return out[0], out[1], out[2]
    with np.errstate(invalid="ignore"):
        searched = np.flatnonzero(~(d[-1] - d[0] < targets))
    size = _first_blocks(d, t, targets[searched])
    which, block, starts = _tile(searched, np.zeros_like(size), size, -(-n // size), n)
    # Rounding in T may break a tie between starts by an ulp: keep those blocks too.
    slack = 1e-9 * (abs(float(t[-1])) + abs(float(t[0])) + 1.0)
    best = np.full(targets.size, np.inf)
    empty = np.empty(0, dtype="int64")
    final = [(empty, empty, np.empty(0))]
    # On the effort series t counts samples (t[i] = i): the same arithmetic without lookups.
    counting = bool(t[0] == 0.0 and (t == np.arange(n)).all())
    while which.size:
        goal = d[starts] + targets[which]
        right = np.searchsorted(d, goal, side="left")
        ok = right < n
        if not ok.all():
            which, block, starts, goal, right = (x[ok] for x in (which, block, starts, goal, right))
        left = right - 1
        below = d[left]
        span = d[right] - below
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(span > 0, (goal - below) / span, 1.0)
        if counting:
            t_end = left + frac
            duration = t_end - starts
            last = np.minimum(starts + block - 1, n - 1)
        else:
            t_left = t[left]
            t_end = t_left + frac * (t[right] - t_left)
            duration = t_end - t[starts]
            last = t[np.minimum(starts + block - 1, n - 1)]
        np.minimum.at(best, which, duration)
        single = block == 1
        final.append((which[single], starts[single], duration[single]))
        keep = ~single & (t_end - last <= best[which] + slack)
        which, block, starts = _split(which[keep], block[keep], starts[keep], n)
    # The earliest start among those achieving the best duration (as ``argmin`` would pick).
    which, starts, duration = (np.concatenate(parts) for parts in zip(*final, strict=True))
    first = np.full(targets.size, n)
    winners = duration == best[which]
    np.minimum.at(first, which[winners], starts[winners])
    found = first < n
    out[0, found] = best[found]
    out[1, found] = t[first[found]]
    out[2, found] = d[first[found]]
    return out[0], out[1], out[2]


def _first_blocks(d: np.ndarray, t: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Starting block size per target (samples): a power of 2 near an eighth of its expected
    duration; 1 (every start evaluated) when the inputs do not allow the bound."""
    n = d.size
    ordered = np.isfinite(d).all() and np.isfinite(t).all() and (np.diff(t) >= 0).all()
    if not ordered or not (targets > 0).all() or not d[-1] > d[0] or not t[-1] > t[0]:
        return np.ones(targets.size, dtype="int64")
    samples_per_m = (n - 1) / (d[-1] - d[0])
    expected = targets * samples_per_m * FIRST_BLOCK_FRACTION
    exponent = np.floor(np.log2(np.clip(expected, 1.0, max(n / 4.0, 1.0))))
    return (2 ** exponent.astype("int64")).astype("int64")


def _split(
    which: np.ndarray, block: np.ndarray, starts: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each block ``[start, start + block)`` as :data:`BLOCK_SPLIT` blocks (inside ``n``)."""
    step = np.maximum(block // BLOCK_SPLIT, 1)
    return _tile(which, starts, step, -(-block // step), n)


def _tile(
    which: np.ndarray, origin: np.ndarray, step: np.ndarray, count: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``count`` blocks of ``step`` starts from each ``origin``: (target, block, start) of
    every block starting before ``n``."""
    first = np.cumsum(count) - count
    rank = np.arange(int(count.sum())) - np.repeat(first, count)
    which, step = np.repeat(which, count), np.repeat(step, count)
    starts = np.repeat(origin, count) + rank * step
    inside = starts < n
    return which[inside], step[inside], starts[inside]


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
    targets = _curve_distances(d) if distances_m is None else np.asarray(distances_m, dtype=float)
    return _curve_frame(targets, *fastest_efforts(d, t, targets))


def best_efforts(track: pd.DataFrame) -> pd.DataFrame:
    """Best efforts at the standard distances (:data:`STANDARD_EFFORTS`).

    Returns
    -------
    pandas.DataFrame
        ``effort`` (name) plus the columns of :func:`speed_curve`; efforts longer than the run
        are omitted.
    """
    return _named(speed_curve(track, np.array([dist for _, dist in STANDARD_EFFORTS])))


def best_efforts_and_speed_curve(track: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`best_efforts` and the default :func:`speed_curve` from one effort series and
    one search over all their distances (the same frames as the two calls, in half the work).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The best efforts and the speed curve.
    """
    d, t = effort_series(track)
    standard = np.array([dist for _, dist in STANDARD_EFFORTS])
    curve = _curve_distances(d)
    duration, start_s, start_m = fastest_efforts(d, t, np.r_[standard, curve])
    parts = [(0, standard.size), (standard.size, standard.size + curve.size)]
    best, speed = (
        _curve_frame(targets, duration[a:b], start_s[a:b], start_m[a:b])
        for targets, (a, b) in zip((standard, curve), parts, strict=True)
    )
    return _named(best), speed


def _curve_distances(d: np.ndarray) -> np.ndarray:
    """200 m to the run's length on a log-spaced grid of 40 (none for runs up to 200 m)."""
    total = float(d[-1] - d[0]) if d.size else 0.0
    return np.geomspace(200.0, max(total, 201.0), 40) if total > 200 else np.array([])


def _curve_frame(
    targets: np.ndarray, duration: np.ndarray, start_s: np.ndarray, start_m: np.ndarray
) -> pd.DataFrame:
    """The speed-curve rows of the distances the run covers."""
    with np.errstate(invalid="ignore"):
        kept = np.isfinite(duration) & (duration > 0)
    target, duration = targets[kept], duration[kept]
    return pd.DataFrame(
        {
            "distance_m": target,
            "time_s": duration,
            "speed_mps": target / duration,
            "pace_s_per_km": duration / target * 1000.0,
            "start_s": start_s[kept],
            "start_m": start_m[kept],
        }
    )


def _named(curve: pd.DataFrame) -> pd.DataFrame:
    """The speed curve at the standard distances with each effort's name first."""
    names = {dist: name for name, dist in STANDARD_EFFORTS}
    curve.insert(0, "effort", [names[x] for x in curve["distance_m"]])
    return curve


def counted_seconds(track: pd.DataFrame) -> np.ndarray:
    """True for the track's seconds an effort runs on: moving or in a recording gap, and not
    in a vehicle (the rule of :func:`effort_series`, module docstring)."""
    moving = track["moving"].to_numpy(dtype=bool)
    in_gap = track["in_gap"].to_numpy(dtype=bool)
    return (moving | in_gap) & ~vehicle_mask(track["speed_mps"].to_numpy(dtype=float))
