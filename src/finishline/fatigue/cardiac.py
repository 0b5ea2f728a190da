"""Cardiac drift: efficiency factor (grade-adjusted speed per heart beat) against the reference.

The efficiency factor ``EF = v_GAP / HR`` falls as the heart works harder for the same
grade-adjusted speed (cardiovascular drift, dehydration, heat, fatigue). Decoupling is the
relative drop of EF against the runner's 5-20 km reference: ``1 - EF / EF_ref`` (0.05 = 5 %).
Summed over samples, EF over an interval is grade-adjusted metres over heart beats, so every
interval EF here is a ratio of sums (robust to short HR gaps).

References
----------
TrainingPeaks, "Aerobic Decoupling and Efficiency Factor" (Pa:HR; < 5 % treated as good, a
coaching convention rather than physiology). Smyth B. (2021) *PLOS ONE* 16:e0251513 (5-20 km
reference). science.md section 2.3.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finishline.fatigue.reference import (
    REFERENCE_END_M,
    REFERENCE_START_M,
    KmGroups,
    TrackArrays,
)
from finishline.metrics.decoupling import cumulative_pa_hr

#: Trailing window (s) of the per-second efficiency factor.
CARDIAC_WINDOW_S = 600.0


def _weights(arrays: TrackArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grade-adjusted metres, heart beats and moving seconds per sample, where both exist."""
    return arrays.derived("cardiac_weights", lambda: _compute_weights(arrays))


def _compute_weights(arrays: TrackArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    speed = arrays.effort_speed
    hr = arrays.column("heart_rate_bpm")
    with np.errstate(invalid="ignore"):
        both = ~np.isnan(speed) & ~np.isnan(hr) & (hr > 0)
    seconds = np.where(both, arrays.moving_s, 0.0)
    metres = np.where(np.isnan(speed), 0.0, speed) * seconds
    beats = np.where(np.isnan(hr), 0.0, hr) / 60.0 * seconds
    return metres, beats, seconds


def reference_efficiency(
    track: pd.DataFrame,
    start_m: float = REFERENCE_START_M,
    end_m: float = REFERENCE_END_M,
) -> float:
    """Reference efficiency factor over 5-20 km, in grade-adjusted metres per heart beat.

    Returns
    -------
    float
        Metres per beat (m/beat); NaN without heart rate in the window. Multiply by 60 for
        the (m/min)/bpm figure TrainingPeaks shows; ratios are unaffected.

    References
    ----------
    TrainingPeaks, "Aerobic Decoupling and Efficiency Factor"; science.md section 2.3.
    """
    return reference_efficiency_of(TrackArrays(track), start_m, end_m)


def reference_efficiency_of(arrays: TrackArrays, start_m: float, end_m: float) -> float:
    """:func:`reference_efficiency` on a track's arrays."""
    window = arrays.reference_window(start_m, end_m)
    metres, beats, _ = _weights(arrays)
    total_beats = float(beats[window].sum())
    if total_beats <= 0:
        return float("nan")
    return float(metres[window].sum() / total_beats)


def decoupling(
    track: pd.DataFrame,
    reference_ef: float | None = None,
    window_s: float = CARDIAC_WINDOW_S,
) -> pd.Series:
    """Per-second decoupling ``1 - EF / EF_ref`` over a trailing window (fraction).

    Parameters
    ----------
    track
        1 Hz track (``heart_rate_bpm`` NaN at artefacts; ``gap_speed_mps``).
    reference_ef
        Reference EF (m/beat); from :func:`reference_efficiency` when ``None``.
    window_s
        Trailing window (s) over which metres and beats are summed (default 600 s).

    Returns
    -------
    pandas.Series
        Decoupling per sample (0.05 = EF 5 % below the reference); NaN without heart rate.

    References
    ----------
    TrainingPeaks, "Aerobic Decoupling and Efficiency Factor"; science.md section 2.3.
    """
    arrays = TrackArrays(track)
    if reference_ef is None:
        reference_ef = reference_efficiency_of(arrays, REFERENCE_START_M, REFERENCE_END_M)
    out = decoupling_of(arrays, reference_ef, window_s)
    return pd.Series(out, index=track.index, name="decoupling")


def decoupling_of(arrays: TrackArrays, reference_ef: float, window_s: float) -> np.ndarray:
    """:func:`decoupling` on a track's arrays."""
    metres, beats, seconds = _weights(arrays)
    m = arrays.trailing_sum(metres, window_s)
    b = arrays.trailing_sum(beats, window_s)
    s = arrays.trailing_sum(seconds, window_s)
    # Less than a minute of valid heart rate in the window is too little to judge.
    with np.errstate(invalid="ignore", divide="ignore"):
        ef = np.where((b > 0) & (s >= 60.0), m / b, np.nan)
        return 1.0 - ef / reference_ef


def km_decoupling(track: pd.DataFrame, reference_ef: float | None = None) -> pd.DataFrame:
    """Per-kilometre cardiac state: mean HR, EF, decoupling and cumulative Pa:HR.

    Returns
    -------
    pandas.DataFrame
        Indexed by 1-based ``km``: ``heart_rate_bpm`` (time-weighted mean, 1/min),
        ``efficiency_m_per_beat`` (m/beat), ``decoupling`` (``1 - EF_km / EF_ref``) and
        ``pa_hr_cumulative``: classic Pa:HR ``(EF1 - EF2) / EF1`` from the decoupling window's
        start to the end of the kilometre (:func:`finishline.metrics.decoupling.
        cumulative_pa_hr`, the race's decoupling curve; NaN for the first kilometre of it).

    References
    ----------
    TrainingPeaks, "Aerobic Decoupling and Efficiency Factor" (Pa:HR); science.md section 2.3
    ("in a race, compute it cumulatively from 5 km").
    """
    arrays = TrackArrays(track)
    if reference_ef is None:
        reference_ef = reference_efficiency_of(arrays, REFERENCE_START_M, REFERENCE_END_M)
    present = np.unique(arrays.km)
    groups = KmGroups(arrays.km, int(present.max()) if present.size else 0)
    kms = present[present >= 1]
    columns = km_decoupling_of(arrays, groups, reference_ef)
    return pd.DataFrame(
        {name: values[kms - 1] for name, values in columns.items()},
        index=pd.Index(kms, name="km"),
    )


def km_decoupling_of(
    arrays: TrackArrays, groups: KmGroups, reference_ef: float
) -> dict[str, np.ndarray]:
    """:func:`km_decoupling` on a track's arrays, one value per kilometre ``1..groups.n_km``."""
    metres, beats, seconds = (groups.sum(x) for x in _weights(arrays))
    kms = np.arange(1, groups.n_km + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        heart_rate = np.where(seconds > 0, beats * 60.0 / seconds, np.nan)
        efficiency = np.where(beats > 0, metres / beats, np.nan)
    ends_m = kms.astype("float64") * 1000.0
    pa_hr = cumulative_pa_hr(arrays.track, ends_m) if kms.size else np.array([])
    return {
        "heart_rate_bpm": heart_rate,
        "efficiency_m_per_beat": efficiency,
        "decoupling": 1.0 - efficiency / reference_ef,
        "pa_hr_cumulative": np.where(groups.present, pa_hr, np.nan),
    }
