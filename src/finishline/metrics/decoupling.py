"""Efficiency factor and aerobic decoupling (Pa:HR) along a race.

Efficiency factor EF = grade-adjusted speed / heart rate, here in metres per minute per beat
(``60 * sum(gap_speed) / sum(HR)`` over moving seconds with clean HR, a ratio of means).
Decoupling Pa:HR = (EF1 - EF2) / EF1 between the first and second halves (by moving time with
valid HR) of a window; positive means the heart works harder for the same grade-adjusted pace.

Pw:HR is the same ratio with running power as the output (EF = mean power / mean HR, W per
beat per minute) over the *same* window and halves as Pa:HR (the halves are cut by the moving
time with valid HR; only seconds that also have power enter the power sums). It exists only
when the track has power (a native or developer power field, ``activity.meta.power_source``).

For a race the window starts at 5 km (HR lags the start and the first kilometres are often
crowded), and the *cumulative* curve evaluates the window [5 km, d] for every d.

Onset rule (documented convention, not physiology): decoupling "starts" at the first distance
``d >= 10 km`` where the cumulative Pa:HR is at least 5 % and stays at least 5 % for every curve
point over the next 2 km (or to the finish when less remains).

References
----------
Friel J. / TrainingPeaks, "Aerobic Decoupling and Efficiency Factor" (Pa:HR, and Pw:HR with
power as the output; the 5 % rule of thumb; science.md 2.3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from finishline.breaks import judged_part
from finishline.definitions import DECOUPLING_LIMIT, REFERENCE_START_M
from finishline.metrics.splits import at_positions, crossing_positions
from finishline.race_bounds import race_end

#: Decoupling threshold (fraction) of the onset rule.
ONSET_THRESHOLD = DECOUPLING_LIMIT
#: How long (m) the curve must stay above the threshold (to the finish) for an onset.
ONSET_SUSTAIN_M = 2000.0
#: Where the race window starts (m): after the first kilometres, as the reference window does.
WINDOW_START_M = REFERENCE_START_M
#: Shortest window (m) for which the curve is reported.
MIN_WINDOW_M = 5000.0


@dataclass
class Decoupling:
    """Decoupling of one run.

    Attributes
    ----------
    ef_first, ef_second
        EF (m/min per bpm) of the two halves of [5 km, finish].
    pa_hr
        (EF1 - EF2) / EF1 over [5 km, finish] (fraction); NaN without HR.
    onset_m
        Distance (m) where decoupling starts by the onset rule; NaN if it never does.
    curve
        ``distance_m``, ``pa_hr``, ``ef`` (EF of the last km before the point).
    window_start_m
        Start of the window (m); 0 for runs too short for the 5 km start.
    pw_hr
        (EFp1 - EFp2) / EFp1 with power as the output, same window and halves (fraction);
        NaN without power or HR. The ``curve`` then has a ``pw_hr`` column too.
    pw_ef_first_w_per_bpm, pw_ef_second_w_per_bpm
        Power EF (W per bpm: mean power over mean HR) of the two halves; NaN without power.
    judged_to_m
        Where the judged part of the track ends (m) when a long stop cut it
        (:func:`finishline.breaks.judged_part`): the window and curve end there; None when
        the whole track was judged.
    """

    ef_first: float
    ef_second: float
    pa_hr: float
    onset_m: float
    curve: pd.DataFrame
    window_start_m: float
    pw_hr: float = float("nan")
    pw_ef_first_w_per_bpm: float = float("nan")
    pw_ef_second_w_per_bpm: float = float("nan")
    judged_to_m: float | None = None


def _cumulative(track: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    hr = track["heart_rate_bpm"].to_numpy(float)
    gap = track["gap_speed_mps"].to_numpy(float)
    ok = track["moving"].to_numpy(bool) & np.isfinite(hr) & np.isfinite(gap) & (hr > 0)

    def cum(x: np.ndarray) -> np.ndarray:
        return np.r_[0.0, np.cumsum(x)[:-1]]

    return cum(np.where(ok, gap, 0.0)), cum(np.where(ok, hr, 0.0)), cum(ok.astype(float))


def has_power(track: pd.DataFrame) -> bool:
    """True when the track has running power on at least one moving second."""
    if "power_w" not in track:
        return False
    power = track["power_w"].to_numpy(float)
    return bool((np.isfinite(power) & track["moving"].to_numpy(bool)).any())


def _power_cumulative(track: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative power (W s) and HR over the Pa:HR seconds (moving, clean HR, GAP) that also
    have power, aligned like :func:`_cumulative`."""
    hr = track["heart_rate_bpm"].to_numpy(float)
    gap = track["gap_speed_mps"].to_numpy(float)
    power = track["power_w"].to_numpy(float)
    ok = track["moving"].to_numpy(bool) & np.isfinite(hr) & np.isfinite(gap) & (hr > 0)
    ok &= np.isfinite(power)

    def cum(x: np.ndarray) -> np.ndarray:
        return np.r_[0.0, np.cumsum(x)[:-1]]

    return cum(np.where(ok, power, 0.0)), cum(np.where(ok, hr, 0.0))


def pw_hr_between(track: pd.DataFrame, start_m: np.ndarray, end_m: np.ndarray) -> np.ndarray:
    """Pw:HR (fraction) of windows [start_m, end_m], cut into the halves of
    :func:`pa_hr_between` (by moving time with valid HR); NaN without power."""
    starts, ends = np.atleast_1d(start_m), np.atleast_1d(end_m)
    if not has_power(track):
        return np.full(np.broadcast(starts, ends).shape, np.nan)
    _, _, n = _cumulative(track)
    p, h = _power_cumulative(track)
    dist = track["distance_m"].to_numpy(float)
    pa = crossing_positions(dist, starts)
    pb = crossing_positions(dist, ends)
    na, nb = at_positions(n, pa), at_positions(n, pb)
    mid = np.clip(np.searchsorted(n, (na + nb) / 2.0), 0, n.size - 1)
    p_a, p_b, h_a, h_b = (
        at_positions(p, pa),
        at_positions(p, pb),
        at_positions(h, pa),
        at_positions(h, pb),
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        ef1 = (p[mid] - p_a) / (h[mid] - h_a)
        ef2 = (p_b - p[mid]) / (h_b - h[mid])
        out = (ef1 - ef2) / ef1
    return np.where((h[mid] - h_a > 0) & (h_b - h[mid] > 0) & (ef1 > 0), out, np.nan)


def efficiency_factor(track: pd.DataFrame) -> float:
    """EF (m/min per bpm) over the whole track; NaN without heart rate."""
    g, h, _ = _cumulative(track)
    return float(60.0 * g[-1] / h[-1]) if h[-1] > 0 else float("nan")


def pa_hr_between(track: pd.DataFrame, start_m: np.ndarray, end_m: np.ndarray) -> np.ndarray:
    """Pa:HR (fraction) of windows [start_m, end_m], halves split by valid moving time."""
    g, h, n = _cumulative(track)
    dist = track["distance_m"].to_numpy(float)
    pa = crossing_positions(dist, np.atleast_1d(start_m))
    pb = crossing_positions(dist, np.atleast_1d(end_m))
    ga, gb = at_positions(g, pa), at_positions(g, pb)
    ha, hb = at_positions(h, pa), at_positions(h, pb)
    na, nb = at_positions(n, pa), at_positions(n, pb)
    mid = np.clip(np.searchsorted(n, (na + nb) / 2.0), 0, n.size - 1)
    gm, hm = g[mid], h[mid]
    with np.errstate(invalid="ignore", divide="ignore"):
        ef1 = (gm - ga) / (hm - ha)
        ef2 = (gb - gm) / (hb - hm)
        out = (ef1 - ef2) / ef1
    return np.where((hm - ha > 0) & (hb - hm > 0), out, np.nan)


def window_start_m(total_m: float) -> float:
    """Where the decoupling window starts (m): 5 km, or 0 for runs shorter than 10 km."""
    return WINDOW_START_M if total_m >= WINDOW_START_M + MIN_WINDOW_M else 0.0


def cumulative_pa_hr(
    track: pd.DataFrame, ends_m: np.ndarray, min_span_m: float = 1000.0
) -> np.ndarray:
    """Pa:HR from the window start to each distance in ``ends_m`` (NaN for spans shorter than
    ``min_span_m``): the values the decoupling curve takes at those distances."""
    total = float(track["distance_m"].iloc[-1]) if len(track) else 0.0
    start = window_start_m(total)
    ends = np.asarray(ends_m, dtype=float)
    out = pa_hr_between(track, np.full(ends.size, start), np.minimum(ends, total))
    return np.where(ends >= start + min_span_m, out, np.nan)


def onset_distance(curve: pd.DataFrame) -> float:
    """Distance (m) from which the cumulative Pa:HR stays at or above the threshold to the end
    of the curve, when that is :data:`ONSET_SUSTAIN_M` or more; NaN otherwise.

    What the report draws ("Pa:HR >= 5 % from 10.0 km") holds from there to the finish: a
    curve that crosses early on a few noisy kilometres and falls back below the threshold later
    has no onset there.
    """
    d = curve["distance_m"].to_numpy(float)
    eligible = d >= WINDOW_START_M + MIN_WINDOW_M
    below = np.flatnonzero(eligible & ~(curve["pa_hr"].to_numpy(float) >= ONSET_THRESHOLD))
    first = int(below[-1]) + 1 if below.size else int(np.argmax(eligible))
    if not eligible.any() or first >= d.size or d[-1] - d[first] < ONSET_SUSTAIN_M:
        return float("nan")
    return float(d[first])


def decoupling(track: pd.DataFrame, step_m: float = 250.0, *, end: int | None = None) -> Decoupling:
    """Pa:HR over [5 km, finish], the cumulative curve and the onset distance.

    The finish is the end of the race (:func:`finishline.race_bounds.race_end`: walking and
    standing after the last running, the watch left running past the finish line, are left
    out) and of its judged part (:func:`finishline.breaks.judged_part`): nothing after a long
    stop that ends its longest stretch (a second outing hours later in the same file) enters
    the halves or the curve.

    Parameters
    ----------
    track
        Clean 1 Hz track (``distance_m``, ``gap_speed_mps``, ``heart_rate_bpm``, ``moving``).
    step_m
        Spacing (m) of the cumulative curve.
    end
        How many rows the race holds; :func:`finishline.race_bounds.race_end` by default.

    References
    ----------
    TrainingPeaks Pa:HR; race convention from 5 km (science.md 2.3).
    """
    end = race_end(track) if end is None else end
    track, judged_to_m = judged_part(track.iloc[:end])
    dist = track["distance_m"].to_numpy(float)
    total = float(dist[-1])
    start = window_start_m(total)
    g, h, n = _cumulative(track)
    grid = np.arange(start + MIN_WINDOW_M, total + 1e-9, step_m)
    if grid.size == 0 or grid[-1] < total:
        grid = np.r_[grid, total]
    curve_pa = pa_hr_between(track, np.full(grid.size, start), grid)
    prev = np.maximum(grid - 1000.0, 0.0)
    pos_a, pos_b = crossing_positions(dist, prev), crossing_positions(dist, grid)
    with np.errstate(invalid="ignore", divide="ignore"):
        dh = at_positions(h, pos_b) - at_positions(h, pos_a)
        ef_km = np.where(
            dh > 0, 60.0 * (at_positions(g, pos_b) - at_positions(g, pos_a)) / dh, np.nan
        )
    curve = pd.DataFrame({"distance_m": grid, "pa_hr": curve_pa, "ef": ef_km})

    pa_end = crossing_positions(dist, np.array([start, total]))
    na, nb = at_positions(n, pa_end)
    mid = int(np.clip(np.searchsorted(n, (na + nb) / 2.0), 0, n.size - 1))
    ga, gb = at_positions(g, pa_end)
    ha, hb = at_positions(h, pa_end)
    ef1 = 60.0 * (g[mid] - ga) / (h[mid] - ha) if h[mid] - ha > 0 else float("nan")
    ef2 = 60.0 * (gb - g[mid]) / (hb - h[mid]) if hb - h[mid] > 0 else float("nan")
    pa_hr = (ef1 - ef2) / ef1 if np.isfinite(ef1) and np.isfinite(ef2) else float("nan")
    power = _power_halves(track, pa_end, mid) if has_power(track) else None
    if power is not None:
        curve["pw_hr"] = pw_hr_between(track, np.full(grid.size, start), grid)
    pw1, pw2 = power if power is not None else (float("nan"), float("nan"))
    ok = np.isfinite(pw1) and np.isfinite(pw2) and pw1 > 0
    return Decoupling(
        ef_first=float(ef1),
        ef_second=float(ef2),
        pa_hr=float(pa_hr),
        onset_m=onset_distance(curve),
        curve=curve,
        window_start_m=start,
        pw_hr=float((pw1 - pw2) / pw1) if ok else float("nan"),
        pw_ef_first_w_per_bpm=float(pw1),
        pw_ef_second_w_per_bpm=float(pw2),
        judged_to_m=judged_to_m,
    )


def _power_halves(track: pd.DataFrame, ends: np.ndarray, mid: int) -> tuple[float, float]:
    """Power EF (W per bpm) of the two halves of the window at positions ``ends``, cut at
    sample ``mid`` (the Pa:HR cut)."""
    p, h = _power_cumulative(track)
    pa, pb = at_positions(p, ends)
    ha, hb = at_positions(h, ends)
    ef1 = (p[mid] - pa) / (h[mid] - ha) if h[mid] - ha > 0 else float("nan")
    ef2 = (pb - p[mid]) / (hb - h[mid]) if hb - h[mid] > 0 else float("nan")
    return float(ef1), float(ef2)
