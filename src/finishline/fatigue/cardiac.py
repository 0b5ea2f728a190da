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

import pandas as pd

from finishline.fatigue.pace_fade import effort_speed, moving_seconds
from finishline.fatigue.reference import (
    REFERENCE_END_M,
    REFERENCE_START_M,
    km_index,
    reference_window,
    track_column,
)
from finishline.metrics.decoupling import cumulative_pa_hr

#: Trailing window (s) of the per-second efficiency factor.
CARDIAC_WINDOW_S = 600.0


def _weights(track: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Grade-adjusted metres, heart beats and moving seconds per sample, where both exist."""
    speed = effort_speed(track)
    hr = track_column(track, "heart_rate_bpm")
    seconds = moving_seconds(track).where(speed.notna() & hr.notna() & (hr > 0), 0.0)
    metres = (speed.fillna(0.0) * seconds).astype("float64")
    beats = (hr.fillna(0.0) / 60.0 * seconds).astype("float64")
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
    window = reference_window(track_column(track, "distance_m"), start_m, end_m)
    metres, beats, _ = _weights(track)
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
    ref = reference_efficiency(track) if reference_ef is None else reference_ef
    metres, beats, seconds = _weights(track)
    timed = isinstance(track.index, pd.DatetimeIndex)
    window = f"{int(round(window_s))}s" if timed else max(int(round(window_s)), 1)
    m = metres.rolling(window, min_periods=1).sum()
    b = beats.rolling(window, min_periods=1).sum()
    s = seconds.rolling(window, min_periods=1).sum()
    # Less than a minute of valid heart rate in the window is too little to judge.
    ef = (m / b).where((b > 0) & (s >= 60.0))
    return (1.0 - ef / ref).rename("decoupling")


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
    distance = track_column(track, "distance_m")
    ref = reference_efficiency(track) if reference_ef is None else reference_ef
    metres, beats, seconds = _weights(track)
    km = km_index(distance).to_numpy()
    sums = (
        pd.DataFrame(
            {"metres": metres.to_numpy(), "beats": beats.to_numpy(), "seconds": seconds.to_numpy()}
        )
        .groupby(km)
        .sum()
    )
    out = pd.DataFrame(index=pd.Index(sums.index, name="km"))
    out["heart_rate_bpm"] = (sums["beats"] * 60.0 / sums["seconds"]).where(sums["seconds"] > 0)
    out["efficiency_m_per_beat"] = (sums["metres"] / sums["beats"]).where(sums["beats"] > 0)
    out["decoupling"] = 1.0 - out["efficiency_m_per_beat"] / ref
    ends_m = out.index.to_numpy(dtype="float64") * 1000.0
    out["pa_hr_cumulative"] = cumulative_pa_hr(track, ends_m) if len(ends_m) else []
    return out
