"""Synthetic 1 Hz tracks (the clean-track contract) and real race tracks for the fatigue tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

MARATHON_M = 42_195.0


def synthetic_track(
    segments: Sequence[tuple[float, float]] = ((MARATHON_M, 3.5),),
    *,
    wobble: float = 0.0,
    heart_rate: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    cadence: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> pd.DataFrame:
    """A 1 Hz track of piecewise-constant speed.

    Parameters
    ----------
    segments
        ``(end_distance_m, speed_mps)`` pairs in race order.
    wobble
        Relative amplitude of a slow sinusoidal speed variation (period ~21 min), so that speed
        models have a spread of speeds to fit.
    heart_rate, cadence
        Functions ``f(speed_mps, distance_m) -> values``; all-NaN columns when ``None``.
    """
    ends = np.array([e for e, _ in segments], dtype="float64")
    speeds = np.array([v for _, v in segments], dtype="float64")
    starts = np.concatenate([[0.0], ends[:-1]])
    durations = np.ceil((ends - starts) / speeds).astype(int)
    base = np.repeat(speeds, durations)
    t = np.arange(base.size, dtype="float64")
    speed = base * (1.0 + wobble * np.sin(2 * np.pi * t / 1250.0))
    distance = np.concatenate([[0.0], np.cumsum(speed)[:-1]])
    keep = distance <= ends[-1]
    speed, distance, t = speed[keep], distance[keep], t[keep]
    index = pd.date_range("2024-10-13 07:30", periods=t.size, freq="1s", tz="UTC", name="timestamp")
    nan = np.full(t.size, np.nan)
    hr = heart_rate(speed, distance) if heart_rate else nan
    cad = cadence(speed, distance) if cadence else nan
    return pd.DataFrame(
        {
            "elapsed_s": t,
            "moving": np.ones(t.size, dtype=bool),
            "distance_m": distance,
            "speed_mps": speed,
            "altitude_m": nan,
            "grade": np.zeros(t.size),
            "gap_speed_mps": speed,
            "heart_rate_bpm": hr,
            "cadence_spm": cad,
            "stride_length_m": speed * 60.0 / cad,
            "power_w": nan,
        },
        index=index,
    )


def fading_race(fade_at_m: float = 30_000.0, slowdown: float = 1.30, v: float = 3.5, **kw):
    """Marathon at ``v`` m/s, then a pace ``slowdown`` times slower from ``fade_at_m``."""
    return synthetic_track(((fade_at_m, v), (MARATHON_M, v / slowdown)), **kw)


def real_track(path) -> pd.DataFrame:
    """Read and clean a real activity file into the 1 Hz track."""
    import finishline
    from finishline.clean import clean

    engine = {"engine": "fitparse"} if str(path).endswith(".fit") else {}
    return clean(finishline.read(path, **engine))
