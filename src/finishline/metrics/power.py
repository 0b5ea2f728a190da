"""The mean-maximal running-power curve: the best mean power held for each duration.

Measured on the seconds an effort runs on (:func:`finishline.metrics.efforts.counted_seconds`,
the rule of the speed curve), so that pauses and standing do not count; windows holding a
power dropout are skipped rather than filled.

References
----------
Monod H. & Scherrer J. (1965) Ergonomics 8:329; Jones A. M. et al. (2010) Med Sci Sports Exerc
42:1876 (the power-duration relationship, input of a critical-power fit).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finishline.metrics.efforts import counted_seconds


def mean_max_power(power_w: np.ndarray, durations_s: np.ndarray) -> np.ndarray:
    """Best mean power (W) over each window of ``durations_s`` consecutive 1-s samples.

    A window with a missing (NaN) sample is not a candidate: a power-meter dropout cannot be
    read as any power, and filling it with 0 W (or a guess) would bias the best effort.

    Parameters
    ----------
    power_w
        Power per second of running time (W), NaN where unknown.
    durations_s
        Window lengths (whole seconds, at least 1).

    Returns
    -------
    numpy.ndarray
        Mean-maximal power per duration; NaN where no complete window of that length exists.
    """
    power = np.asarray(power_w, dtype=float)
    known = np.isfinite(power)
    total = np.r_[0.0, np.cumsum(np.where(known, power, 0.0))]
    missing = np.r_[0, np.cumsum(~known)]
    out = np.full(len(durations_s), np.nan)
    for k, w in enumerate(np.asarray(durations_s, dtype=int)):  # ~40 durations, each vectorised
        if 1 <= w <= power.size:
            complete = (missing[w:] - missing[:-w]) == 0
            if complete.any():
                out[k] = float(np.max((total[w:] - total[:-w])[complete])) / w
    return out


def power_curve(track: pd.DataFrame, durations_s: np.ndarray | None = None) -> pd.DataFrame:
    """Mean-maximal power over duration: the best mean running power for each window length.

    The power series is the track's ``power_w`` over the seconds an effort runs on
    (:func:`counted_seconds`: pauses, standing and vehicle stretches left out, as for the
    speed curve); windows with a missing power sample are skipped (:func:`mean_max_power`).

    Parameters
    ----------
    track
        Clean 1 Hz track (``power_w``, ``moving``, ``in_gap``, ``speed_mps``).
    durations_s
        Window lengths (s); default 1 s to the whole running time on a log-spaced grid of
        about 40 whole seconds.

    Returns
    -------
    pandas.DataFrame
        ``duration_s``, ``power_w``; only durations with a complete window, and empty when
        the track has no power.

    References
    ----------
    Monod H. & Scherrer J. (1965) Ergonomics 8:329; Jones A. M. et al. (2010) Med Sci Sports
    Exerc 42:1876 (the mean-maximal power-duration curve, input of a critical-power fit).
    """
    empty = pd.DataFrame({"duration_s": np.array([], dtype=float), "power_w": np.array([])})
    if "power_w" not in track or not track["power_w"].notna().any():
        return empty
    power = track["power_w"].to_numpy(dtype=float)[counted_seconds(track)]
    if not np.isfinite(power).any():
        return empty
    if durations_s is None:
        durations = np.unique(np.rint(np.geomspace(1.0, max(power.size, 1), 40)))
    else:
        durations = np.asarray(durations_s, dtype=float)
    best = mean_max_power(power, durations)
    kept = np.isfinite(best)
    return pd.DataFrame({"duration_s": durations[kept], "power_w": best[kept]})
