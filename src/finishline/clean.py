"""From raw samples to the clean 1 Hz "track" every metric works on.

:func:`clean` resamples an :class:`~finishline.activity.Activity` to a regular 1 Hz grid and
returns one DataFrame (the *track*): GPS spikes removed, distance made monotone (recomputed from
positions when the file has none), speed derived from distance and smoothed, altitude rebuilt as
a cleaned profile along distance (:mod:`finishline.elevation`: spikes and implausible climbs
removed, smoothed harder for GPS altitude than for a barometer), grade over a distance window
of that profile and grade-adjusted speed, pauses and
stillness turned into a ``moving`` flag, and heart-rate artefacts flagged and blanked.

Rules
-----
- **Gaps.** A gap between two samples is interpolated when it is at most ``max_interp_gap_s``
  long (default: 5 s, or 5 x the file's median sampling interval when the device records
  sparsely, as "smart recording" does: the Twin Cities TCX samples every 7 s). Longer gaps of
  the distance channel are judged by the progress across them (:mod:`finishline.gaps`): a
  pause, a *bridged* gap (the runner kept going: distance linear across it, moving,
  ``in_gap``), or a jump no runner makes (distance held, not moving, ``in_gap``). Other
  channels are NaN in their own long gaps. Every bridged or jumped gap of 30 s or more is a
  sentence in ``track.attrs["warnings"]``.
- **Pauses.** The timer is stopped between a timer ``stop`` event and the next ``start``. Without
  events, a long gap over which the runner covered less than ``stop_speed_mps`` is a pause
  (auto-pause stops recording).
- **Stillness.** Smoothed speed below ``stop_speed_mps`` for at least ``still_min_s`` seconds is
  not moving even with the timer running.
- **HR artefacts** (``hr_artefact``): out of range, spikes, dropouts and optical start-up, and
  cadence lock-in (:mod:`finishline.hr_artefacts`). Flagged values are NaN in
  ``heart_rate_bpm``; the raw value is kept in ``heart_rate_raw_bpm``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finishline.activity import Activity
from finishline.definitions import MAX_ACTIVITY_SPAN_S, MAX_GRID_S_PER_SAMPLE
from finishline.elevation import (
    altitude_profile,
    detect_altitude_source,
    grade_from_altitude,
    profile_on_track,
)
from finishline.errors import AnalysisError
from finishline.gaps import frozen_positions, gaps_on_grid, stalled_distance
from finishline.geo import haversine_m
from finishline.hr_artefacts import flag_hr_artefacts
from finishline.io.timer_events import timer_stops
from finishline.metrics.gap import gap_speed
from finishline.stretches import at_least

#: Columns of the track, in order.
TRACK_COLUMNS = (
    "elapsed_s",
    "moving",
    "paused",
    "in_gap",
    "distance_m",
    "speed_mps",
    "altitude_m",
    "grade",
    "gap_speed_mps",
    "heart_rate_bpm",
    "heart_rate_raw_bpm",
    "hr_artefact",
    "cadence_spm",
    "stride_length_m",
    "lat_deg",
    "lon_deg",
    "power_w",
)


def gps_spike_mask(
    lat: np.ndarray, lon: np.ndarray, t_s: np.ndarray, max_speed_mps: float = 12.0
) -> np.ndarray:
    """True where a position is a spike: reached and left at an impossible speed.

    A point whose implied speed from the previous valid point *and* to the next valid point both
    exceed ``max_speed_mps`` is a spike (the track goes out and comes back). Three passes catch
    short runs of bad points. Points at (0, 0) are treated as missing and flagged too.
    """
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    spike = (lat == 0) & (lon == 0)
    for _ in range(3):
        ok = np.isfinite(lat) & np.isfinite(lon) & ~spike
        idx = np.flatnonzero(ok)
        if idx.size < 3:
            break
        step = haversine_m(lat[idx[:-1]], lon[idx[:-1]], lat[idx[1:]], lon[idx[1:]])
        dt = np.maximum(np.diff(t_s[idx]), 1e-3)
        v = step / dt
        v_in = np.r_[0.0, v]
        v_out = np.r_[v, 0.0]
        bad = (v_in > max_speed_mps) & (v_out > max_speed_mps)
        if not bad.any():
            break
        spike[idx[bad]] = True
    return spike


def distance_from_positions(
    lat: np.ndarray, lon: np.ndarray, t_s: np.ndarray, max_speed_mps: float = 12.0
) -> np.ndarray:
    """Cumulative great-circle distance (m) along valid positions; NaN where no position.

    A step implying more than ``max_speed_mps`` (a jump the spike filter could not resolve)
    adds nothing.
    """
    out = np.full(lat.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
    if ok.size == 0:
        return out
    step = haversine_m(lat[ok[:-1]], lon[ok[:-1]], lat[ok[1:]], lon[ok[1:]])
    dt = np.maximum(np.diff(t_s[ok]), 1e-3)
    step[step / dt > max_speed_mps] = 0.0
    out[ok] = np.r_[0.0, np.cumsum(step)]
    return out


def _grid_interp(
    t_raw: np.ndarray, values: np.ndarray, grid: np.ndarray, max_gap_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Interpolate one channel onto ``grid``; returns (values, allowed).

    ``allowed`` is False for grid points inside a gap of this channel longer than ``max_gap_s``
    (and outside the channel's range); the value is NaN there.
    """
    finite = np.isfinite(values)
    if not finite.any():
        return np.full(grid.shape, np.nan), np.zeros(grid.shape, bool)
    tf, vf = t_raw[finite], values[finite]
    out = np.interp(grid, tf, vf)
    right = np.searchsorted(tf, grid, side="left")
    left = np.clip(right - 1, 0, tf.size - 1)
    right_c = np.clip(right, 0, tf.size - 1)
    exact = tf[right_c] == grid
    span = tf[right_c] - tf[left]
    inside = (grid >= tf[0]) & (grid <= tf[-1])
    allowed = inside & (exact | (span <= max_gap_s))
    out[~allowed] = np.nan
    return out, allowed


def timer_paused(events: pd.DataFrame, grid_times_ns: np.ndarray) -> np.ndarray:
    """True on grid points where the timer was stopped (between a stop and the next start)."""
    paused = np.zeros(grid_times_ns.size, bool)
    for stop, start in timer_stops(events):
        if start is None:
            paused |= grid_times_ns > stop
        else:
            paused |= (grid_times_ns >= stop) & (grid_times_ns < start)
    return paused


def clean(
    activity: Activity,
    *,
    max_interp_gap_s: float | None = None,
    stop_speed_mps: float = 0.5,
    still_min_s: int = 10,
    max_speed_mps: float = 12.0,
    speed_window_s: int = 5,
    altitude_source: str = "auto",
    altitude_window_m: float | None = None,
    grade_window_m: float = 50.0,
    gap_model: str = "strava",
) -> pd.DataFrame:
    """Resample and clean an activity into the 1 Hz track.

    Parameters
    ----------
    activity
        The activity (any format).
    max_interp_gap_s
        Longest gap (s) interpolated; ``None`` = max(5, 5 x median sampling interval).
    stop_speed_mps
        Below this smoothed speed (m/s) the runner is standing.
    still_min_s
        Standing for at least this long (s) is not moving.
    max_speed_mps
        Faster implied GPS steps (m/s) are spikes/jumps.
    speed_window_s
        Centred running-mean window (s) for speed.
    altitude_source
        ``"auto"``, ``"barometric"`` or ``"gps"`` (sets how hard altitude is smoothed).
    altitude_window_m
        Smoothing window (m of distance) of the elevation profile; ``None`` = 100 m for a
        barometer, 300 m for GPS altitude (see :mod:`finishline.elevation`).
    grade_window_m
        Distance window (m) for grade, measured on the smoothed profile.
    gap_model
        ``"strava"`` or ``"minetti"`` (see :func:`finishline.metrics.gap.gap_factor`).

    Returns
    -------
    pandas.DataFrame
        Indexed by 1 Hz UTC ``timestamp``, columns :data:`TRACK_COLUMNS`. ``elapsed_s`` counts
        from the whole second at or before the first sample. Row ``i`` also stands for the
        interval ``[i, i+1)``: ``moving`` and ``speed_mps`` describe that second.
        ``df.attrs`` holds ``altitude_source``, ``distance_source``, ``max_interp_gap_s``,
        ``gap_model`` and ``altitude_repaired_m`` (metres of profile judged implausible and
        repaired, see :mod:`finishline.elevation`).

    Raises
    ------
    AnalysisError
        A course without times, or no distance, positions or speed at all.
    """
    path = activity.meta.source_path
    s = activity.samples
    if activity.meta.is_course:
        raise AnalysisError("a course (route without times) cannot be analysed as a run", path)
    if len(s) < 2:
        raise AnalysisError("fewer than two samples: nothing to analyse", path)
    t_ns = s.index.as_unit("ns").asi8
    origin_ns = (t_ns[0] // 1_000_000_000) * 1_000_000_000
    t_raw = (t_ns - origin_ns) / 1e9
    if t_raw[-1] < 2.0:
        raise AnalysisError("the samples span less than 2 s: nothing to analyse", path)
    if not t_raw[-1] <= MAX_ACTIVITY_SPAN_S:
        # The reader boundary splits or refuses longer spans; this keeps the 1 Hz grid (and
        # so memory and time) bounded for any Activity however it was built.
        raise AnalysisError(
            f"the samples span {t_raw[-1] / 86_400:,.1f} days, longer than any activity "
            f"({MAX_ACTIVITY_SPAN_S / 86_400:.0f} days)",
            path,
        )
    if t_raw[-1] > max(MAX_GRID_S_PER_SAMPLE * len(s), 86_400.0):
        raise AnalysisError(
            f"{len(s):,} samples over {t_raw[-1] / 3600:,.0f} hours are too sparse for a "
            f"second-by-second analysis (more than {MAX_GRID_S_PER_SAMPLE:.0f} s per sample)",
            path,
        )
    n = int(np.floor(t_raw[-1])) + 1
    grid = np.arange(n, dtype=float)
    grid_ns = origin_ns + np.arange(n, dtype=np.int64) * 1_000_000_000

    def col(name: str) -> np.ndarray:
        if name not in s.columns:
            return np.full(len(s), np.nan)
        return s[name].to_numpy(dtype=float, copy=True)

    if max_interp_gap_s is None:
        steps = np.diff(t_raw)
        max_interp_gap_s = max(5.0, 5.0 * float(np.median(steps[steps > 0]))) if steps.size else 5.0

    lat, lon = col("lat_deg"), col("lon_deg")
    has_positions = bool((np.isfinite(lat) & np.isfinite(lon)).sum() >= 2)
    if has_positions:
        spikes = gps_spike_mask(lat, lon, t_raw, max_speed_mps)
        # a fix repeated for longer than a gap is the watch holding its last position: no data
        spikes |= frozen_positions(lat, lon, t_raw, max_interp_gap_s)
        lat = np.where(spikes, np.nan, lat)
        lon = np.where(spikes, np.nan, lon)

    dist_raw = col("distance_m")
    from_positions = activity.meta.distance_source == "positions" and has_positions
    if np.isfinite(dist_raw).sum() >= 2 and not from_positions:
        distance_source = "device"
    elif has_positions:
        dist_raw = distance_from_positions(lat, lon, t_raw, max_speed_mps)
        distance_source = "positions"
    elif np.isfinite(col("speed_mps")).sum() >= 2:
        v = np.nan_to_num(col("speed_mps"))
        dist_raw = np.r_[0.0, np.cumsum(0.5 * (v[1:] + v[:-1]) * np.diff(t_raw))]
        distance_source = "speed"
    else:
        raise AnalysisError("no distance, positions or speed: splits need distance", path)
    finite = np.isfinite(dist_raw)
    dist_raw[finite] = np.maximum.accumulate(dist_raw[finite])
    if distance_source == "device":
        # a device distance that stalls and catches up at once lost its signal meanwhile
        dist_raw[stalled_distance(dist_raw, t_raw, max_interp_gap_s, max_speed_mps)] = np.nan

    gaps = gaps_on_grid(t_raw, dist_raw, grid, max_interp_gap_s, stop_speed_mps=stop_speed_mps)
    distance = gaps.distance_m
    if not np.isfinite(distance).any():
        raise AnalysisError("no distance could be placed on the 1 Hz grid", path)
    in_gap = gaps.bridged | gaps.jumped
    no_speed = gaps.paused | gaps.jumped

    step = np.diff(distance)
    step_ok = ~no_speed[:-1] & ~no_speed[1:]
    speed_raw = np.where(step_ok, step, np.nan)
    # A 1-s step faster than any runner, or far faster than the device's own speed, is a
    # distance jump (GPS re-acquisition, a stride-sensor recalibration): distance keeps it, as
    # the device did, but it is no speed anyone ran at. Those seconds take the device's speed
    # where it has one; the running mean below fills the rest from their neighbours.
    device_speed = _grid_interp(t_raw, col("speed_mps"), grid, max_interp_gap_s)[0][:-1]
    with np.errstate(invalid="ignore"):
        jump = (speed_raw > max_speed_mps) | (speed_raw > 2.0 * device_speed + 3.0)
    speed_raw[jump] = np.where(device_speed[jump] <= max_speed_mps, device_speed[jump], np.nan)
    speed = pd.Series(np.r_[speed_raw, np.nan]).rolling(speed_window_s, center=True, min_periods=1)
    speed = speed.mean().to_numpy()
    speed = np.where(np.r_[step_ok, False], np.nan_to_num(speed), 0.0)

    paused = timer_paused(activity.events, grid_ns) | gaps.paused
    still = at_least((speed < stop_speed_mps) & ~paused & ~in_gap, still_min_s)
    moving = ~paused & ~still & ~gaps.jumped
    moving[-1] = False  # the last row closes the track: it stands for no interval

    altitude_raw, _ = _grid_interp(t_raw, col("altitude_m"), grid, max_interp_gap_s)
    if altitude_source == "auto":
        altitude_source = detect_altitude_source(col("altitude_m"), has_positions)
    profile_grid, profile, repaired_m = altitude_profile(
        distance, altitude_raw, grid, altitude_source, window_m=altitude_window_m
    )
    altitude = profile_on_track(distance, profile_grid, profile, np.isfinite(altitude_raw))
    grade = grade_from_altitude(distance, altitude, grade_window_m)

    hr_raw, _ = _grid_interp(t_raw, col("heart_rate_bpm"), grid, max_interp_gap_s)
    cadence, _ = _grid_interp(t_raw, col("cadence_spm"), grid, max_interp_gap_s)
    artefact = flag_hr_artefacts(hr_raw, cadence, speed, moving) & np.isfinite(hr_raw)
    with np.errstate(invalid="ignore", divide="ignore"):
        stride = np.where(cadence >= 60, speed / (cadence / 60.0), np.nan)
    stride[~moving] = np.nan

    track = pd.DataFrame(
        {
            "elapsed_s": grid,
            "moving": moving,
            "paused": paused,
            "in_gap": in_gap,
            "distance_m": distance,
            "speed_mps": speed,
            "altitude_m": altitude,
            "grade": grade,
            "gap_speed_mps": gap_speed(speed, grade, gap_model),
            "heart_rate_bpm": np.where(artefact, np.nan, hr_raw),
            "heart_rate_raw_bpm": hr_raw,
            "hr_artefact": artefact,
            "cadence_spm": cadence,
            "stride_length_m": stride,
            "lat_deg": _grid_interp(t_raw, lat, grid, max_interp_gap_s)[0],
            "lon_deg": _grid_interp(t_raw, lon, grid, max_interp_gap_s)[0],
            "power_w": _grid_interp(t_raw, col("power_w"), grid, max_interp_gap_s)[0],
        },
        # nanoseconds read as UTC directly (pd.to_datetime of integers takes ~9 ms a marathon)
        index=pd.DatetimeIndex(
            grid_ns.view("datetime64[ns]"), dtype="datetime64[ns, UTC]", name="timestamp"
        ),
    )
    track.attrs.update(
        altitude_source=altitude_source,
        distance_source=distance_source,
        max_interp_gap_s=float(max_interp_gap_s),
        gap_model=gap_model,
        altitude_repaired_m=repaired_m,
        warnings=gap_warnings(gaps.gaps, distance, grid, distance_source)
        + hr_warnings(artefact, hr_raw),
    )
    return track


#: Gaps shorter than this (s) are not worth a sentence in the report.
REPORTED_GAP_S = 30.0


def gap_warnings(
    gaps: list[tuple[float, float, float, str]],
    distance_m: np.ndarray,
    grid_s: np.ndarray,
    distance_source: str,
) -> list[str]:
    """One sentence per recording gap a reader must know about (bridged or jumped)."""
    how = "the device's distance" if distance_source == "device" else "the straight line across it"
    out = []
    for start, end, metres, kind in gaps:
        if kind == "pause" or end - start < REPORTED_GAP_S:
            continue
        at_km = float(np.interp(start, grid_s, distance_m)) / 1000.0
        seconds = int(round(end - start))
        length = f"{seconds // 60}:{seconds % 60:02d}"
        if kind == "bridged":
            out.append(
                f"a recording gap of {length} at {at_km:.1f} km was bridged with "
                f"{metres / 1000.0:.2f} km ({how}); it counts as running, not as a stop"
            )
        else:
            out.append(
                f"a recording gap of {length} at {at_km:.1f} km ends {metres / 1000.0:.2f} km "
                f"further on, faster than a runner: that time is not counted as running"
            )
    if len(out) > 5:
        out = [*out[:4], f"... and {len(out) - 4} more recording gaps"]
    return out


def hr_warnings(artefact: np.ndarray, hr_raw: np.ndarray) -> list[str]:
    """A sentence when a noticeable share of the heart rate was masked as artefact."""
    n = int(artefact.sum())
    has_hr = int(np.isfinite(hr_raw).sum())
    if n < 60 or has_hr == 0:
        return []
    return [
        f"{n} s of heart rate ({100.0 * n / has_hr:.0f} %) were masked as sensor artefacts "
        "(dropouts, start-up, spikes or cadence lock-in) and left out of every heart-rate figure"
    ]


def moving_time_s(track: pd.DataFrame) -> float:
    """Moving time (s): the number of 1-s intervals flagged ``moving``."""
    return float(track["moving"].sum())
