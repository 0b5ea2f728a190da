"""Synthetic runs with known answers, built through :func:`finishline.activity.make_activity`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from finishline.activity import Activity, ActivityMeta, make_activity

START = pd.Timestamp("2024-10-06 08:00:00", tz="UTC")
#: metres per degree of latitude on the sphere clean.py uses
M_PER_DEG = 6_371_008.8 * np.pi / 180.0


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
    meta = ActivityMeta(source_path="synthetic", format=fmt, sport="running")
    return make_activity(samples, meta, events=events)


def timer_events(*pairs: tuple[float, float]) -> pd.DataFrame:
    """Timer events: start at 0, then (stop_s, start_s) pairs, relative to START."""
    rows = [(START, "timer", "start")]
    for stop_s, start_s in pairs:
        rows.append((START + pd.Timedelta(seconds=stop_s), "timer", "stop_all"))
        rows.append((START + pd.Timedelta(seconds=start_s), "timer", "start"))
    return pd.DataFrame(rows, columns=["timestamp", "event", "event_type"])
