"""The one synthetic-run builder every test uses: runs with known answers.

A run is a speed profile (:func:`speed_profile`: piecewise-constant speeds with an optional slow
wobble). :func:`make_run` turns a profile into an :class:`~finishline.activity.Activity`
through the real schema (``make_activity``), for tests of readers, cleaning and the whole
pipeline; :func:`synthetic_track` turns one into a clean 1 Hz track with every column of
:data:`finishline.clean.TRACK_COLUMNS`, for tests of the stages after cleaning that need exact
speeds (the cleaner smooths speed, so its output is not exact at segment edges).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from finishline.activity import Activity, ActivityMeta, make_activity
from finishline.clean import TRACK_COLUMNS
from finishline.definitions import MARATHON_M

START = pd.Timestamp("2024-10-06 08:00:00", tz="UTC")
#: metres per degree of latitude on the sphere clean.py uses
M_PER_DEG = 6_371_008.8 * np.pi / 180.0

__all__ = [
    "M_PER_DEG",
    "MARATHON_M",
    "START",
    "fading_race",
    "make_run",
    "real_track",
    "speed_profile",
    "synthetic_track",
    "timer_events",
]


def speed_profile(
    segments: Sequence[tuple[float, float]] = ((MARATHON_M, 3.5),), wobble: float = 0.0
) -> np.ndarray:
    """Per-second speeds (m/s) of a run of piecewise-constant speed.

    Parameters
    ----------
    segments
        ``(end_distance_m, speed_mps)`` pairs in race order.
    wobble
        Relative amplitude of a slow sinusoidal speed variation (period ~21 min), so that speed
        models have a spread of speeds to fit.
    """
    ends = np.array([e for e, _ in segments], dtype="float64")
    speeds = np.array([v for _, v in segments], dtype="float64")
    starts = np.concatenate([[0.0], ends[:-1]])
    durations = np.ceil((ends - starts) / speeds).astype(int)
    base = np.repeat(speeds, durations)
    t = np.arange(base.size, dtype="float64")
    speed = base * (1.0 + wobble * np.sin(2 * np.pi * t / 1250.0))
    distance = np.concatenate([[0.0], np.cumsum(speed)[:-1]])
    return speed[distance <= ends[-1]]


def make_run(
    speed_mps: np.ndarray,
    *,
    dt_s: float = 1.0,
    heart_rate_bpm: np.ndarray | float | None = 150.0,
    cadence_spm: np.ndarray | float | None = 170.0,
    altitude_m: np.ndarray | None = None,
    with_distance: bool = True,
    with_positions: bool = False,
    events: pd.DataFrame | None = None,
    drop: np.ndarray | None = None,
    fmt: str = "fit",
    sport: str | None = "running",
) -> Activity:
    """A run sampled every ``dt_s`` at the given per-sample speeds (m/s).

    Distance integrates speed (``d[i] = sum(v[:i]) * dt``), positions (if asked) run due north
    from (45 N, 7 E), ``drop`` removes sample indices after building (recording gaps).
    """
    speed = np.asarray(speed_mps, dtype=float)
    n = speed.size
    t = START + pd.to_timedelta(np.arange(n) * dt_s, unit="s")
    distance = np.r_[0.0, np.cumsum(speed[:-1] * dt_s)]
    data: dict[str, np.ndarray] = {"speed_mps": speed}
    if with_distance:
        data["distance_m"] = distance
    if with_positions:
        data["lat_deg"] = 45.0 + distance / M_PER_DEG
        data["lon_deg"] = np.full(n, 7.0)
    for name, value in (("heart_rate_bpm", heart_rate_bpm), ("cadence_spm", cadence_spm)):
        if value is not None:
            data[name] = np.broadcast_to(np.asarray(value, dtype=float), (n,)).copy()
    if altitude_m is not None:
        data["altitude_m"] = np.asarray(altitude_m, dtype=float)
    samples = pd.DataFrame(data, index=pd.DatetimeIndex(t, name="timestamp"))
    if drop is not None:
        samples = samples.drop(samples.index[drop])
    meta = ActivityMeta(source_path="synthetic", format=fmt, sport=sport)
    return make_activity(samples, meta, events=events)


def timer_events(*pairs: tuple[float, float]) -> pd.DataFrame:
    """Timer events: start at 0, then (stop_s, start_s) pairs, relative to START."""
    rows = [(START, "timer", "start")]
    for stop_s, start_s in pairs:
        rows.append((START + pd.Timedelta(seconds=stop_s), "timer", "stop_all"))
        rows.append((START + pd.Timedelta(seconds=start_s), "timer", "start"))
    return pd.DataFrame(rows, columns=["timestamp", "event", "event_type"])


def synthetic_track(
    segments: Sequence[tuple[float, float]] = ((MARATHON_M, 3.5),),
    *,
    wobble: float = 0.0,
    heart_rate: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    cadence: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> pd.DataFrame:
    """A clean 1 Hz track (every :data:`~finishline.clean.TRACK_COLUMNS` column) of the
    :func:`speed_profile` of ``segments``, flat, always moving.

    ``heart_rate`` and ``cadence`` are functions ``f(speed_mps, distance_m) -> values``;
    all-NaN columns when ``None``.
    """
    speed = speed_profile(segments, wobble)
    n = speed.size
    t = np.arange(n, dtype="float64")
    distance = np.concatenate([[0.0], np.cumsum(speed)[:-1]])
    index = pd.date_range(START, periods=n, freq="1s", name="timestamp")
    nan = np.full(n, np.nan)
    hr = heart_rate(speed, distance) if heart_rate else nan
    cad = cadence(speed, distance) if cadence else nan
    false = np.zeros(n, dtype=bool)
    columns = {
        "elapsed_s": t,
        "moving": np.ones(n, dtype=bool),
        "paused": false,
        "in_gap": false,
        "distance_m": distance,
        "speed_mps": speed,
        "altitude_m": nan,
        "grade": np.zeros(n),
        "gap_speed_mps": speed,
        "heart_rate_bpm": hr,
        "heart_rate_raw_bpm": hr,
        "hr_artefact": false,
        "cadence_spm": cad,
        "stride_length_m": speed * 60.0 / cad,
        "lat_deg": nan,
        "lon_deg": nan,
        "power_w": nan,
    }
    track = pd.DataFrame({c: columns[c] for c in TRACK_COLUMNS}, index=index)
    track.attrs.update(gap_model="strava", distance_source="device")
    return track


def fading_race(fade_at_m: float = 30_000.0, slowdown: float = 1.30, v: float = 3.5, **kw):
    """Marathon at ``v`` m/s, then a pace ``slowdown`` times slower from ``fade_at_m``."""
    return synthetic_track(((fade_at_m, v), (MARATHON_M, v / slowdown)), **kw)


def real_track(path) -> pd.DataFrame:
    """Read and clean a real activity file into the 1 Hz track."""
    import finishline
    from finishline.clean import clean

    return clean(finishline.read(path))
