"""Heart-rate zones and time in zone.

Zones are heart-rate-reserve (Karvonen) bands between rest and max HR, or bounds the athlete
gives. When max HR is not given it is *estimated* from the run as the 99.5th percentile of the
clean heart rate (artefacts removed), which is robust to the last spikes a strap may leave but
underestimates the true max when the run never reached it (a marathon rarely does). Rest HR
defaults to :data:`DEFAULT_REST_HR_BPM`.

References
----------
Karvonen M.J., Kentala E., Mustala O. (1957) The effects of training on heart rate; a
longitudinal study. Ann Med Exp Biol Fenn 35:307-315 (target HR = rest + fraction x reserve).
Edwards S. (1993) The Heart Rate Monitor Book (five 10 % bands; science.md 2.4).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from finishline.definitions import DEFAULT_REST_HR_BPM, PEAK_HR_PERCENTILE

#: Default zone edges as fractions of heart-rate reserve (Z1 50-60 % ... Z5 90-100 %).
DEFAULT_HRR_EDGES: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def moving_heart_rate(track: pd.DataFrame) -> np.ndarray:
    """Clean heart rate (1/min) of the moving seconds: what averages and histograms use."""
    hr = track["heart_rate_bpm"].to_numpy(float)
    return hr[track["moving"].to_numpy(bool) & np.isfinite(hr)]


def estimate_max_hr(heart_rate_bpm: np.ndarray) -> float:
    """The observed peak heart rate (bpm): the 99.5th percentile of finite heart rate (robust to
    a last strap spike); NaN if none. A lower bound of max HR when the run never reached it."""
    hr = np.asarray(heart_rate_bpm, dtype=float)
    hr = hr[np.isfinite(hr)]
    return float(np.percentile(hr, PEAK_HR_PERCENTILE)) if hr.size else float("nan")


def karvonen_bounds(
    max_hr_bpm: float,
    rest_hr_bpm: float = DEFAULT_REST_HR_BPM,
    edges: Sequence[float] = DEFAULT_HRR_EDGES,
) -> np.ndarray:
    """Zone edges (bpm) at the given fractions of heart-rate reserve.

    References
    ----------
    Karvonen et al. (1957): HR = rest + fraction x (max - rest).
    """
    return rest_hr_bpm + np.asarray(edges, dtype=float) * (max_hr_bpm - rest_hr_bpm)


def time_in_zones(
    track: pd.DataFrame,
    bounds_bpm: Sequence[float],
    moving_only: bool = True,
) -> pd.DataFrame:
    """Seconds of clean heart rate in each zone.

    Parameters
    ----------
    track
        Clean 1 Hz track (``heart_rate_bpm``, ``moving``).
    bounds_bpm
        Increasing zone edges (bpm), n+1 edges for n zones. Heart rate below the first edge is
        counted in zone ``Z0`` (below zones); above the last edge, in the top zone.
    moving_only
        Count only moving seconds.

    Returns
    -------
    pandas.DataFrame
        ``zone`` (``Z0`` .. ``Zn``), ``low_bpm``, ``high_bpm``, ``time_s``, ``fraction`` (of the
        seconds with valid HR).
    """
    edges = np.asarray(bounds_bpm, dtype=float)
    if edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("zone bounds must be at least two increasing values")
    hr = track["heart_rate_bpm"].to_numpy(float)
    use = np.isfinite(hr)
    if moving_only:
        use &= track["moving"].to_numpy(bool)
    zone = np.searchsorted(edges, hr[use], side="right")  # 0 = below, len(edges) = above
    zone = np.minimum(zone, edges.size - 1)
    counts = np.bincount(zone, minlength=edges.size).astype(float)
    total = counts.sum()
    names = ["Z0"] + [f"Z{i}" for i in range(1, edges.size)]
    return pd.DataFrame(
        {
            "zone": names,
            "low_bpm": np.r_[0.0, edges[:-1]],
            "high_bpm": np.r_[edges[0], edges[1:]],
            "time_s": counts,
            "fraction": counts / total if total > 0 else np.full(counts.size, np.nan),
        }
    )
