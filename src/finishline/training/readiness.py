"""Marathon readiness: Runalyze-like marathon shape, durability, and pre-race final-mile risk.

References
----------
Runalyze, "Marathon shape" (Marathonform): 2/3 weekly volume over ~26 weeks against a target
of VDOT^1.135 km/week, 1/3 long runs over ~10 weeks against a target long-run length of
12*ln(VDOT/4) km; runs shorter than 13 km do not count as long. [recalled from the Runalyze
source, not checked against its current code]
TrainingPeaks, aerobic decoupling (Pa:HR < 5 % read as good durability); science.md 2.3.
Riegel 1981 (fatigue exponent 1.06) for the runner's sustainable-time curve; science.md 2.5.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from finishline.errors import AnalysisError
from finishline.training.predict import MARATHON_M, RIEGEL_EXPONENT

#: Runs shorter than this (km) earn no long-run points.
LONG_RUN_MIN_KM = 13.0
VOLUME_DAYS = 182
LONG_RUN_DAYS = 70
#: Pa:HR decoupling (fraction) at which durability reaches zero; 5 % scores 0.5.
DECOUPLING_ZERO = 0.10


def target_weekly_km(vdot_value: float) -> float:
    """Runalyze-like weekly volume target (km) for a marathon: VDOT ** 1.135."""
    return float(vdot_value**1.135)


def target_long_run_km(vdot_value: float) -> float:
    """Runalyze-like target long-run length (km): 12 * ln(VDOT / 4), at least 20 km."""
    return float(max(12.0 * np.log(vdot_value / 4.0), 20.0))


def marathon_shape(
    start_times: pd.Series,
    distance_m: pd.Series | np.ndarray,
    at: pd.Timestamp,
    weekly_target_km: float,
    long_run_target_km: float,
) -> dict[str, float]:
    """Marathon shape (%): 2/3 weekly volume vs target + 1/3 long runs vs target.

    Parameters
    ----------
    start_times
        Run start times (tz-aware UTC).
    distance_m
        Run distances (m).
    at
        Evaluation time (tz-aware); only runs before it count.
    weekly_target_km
        Target weekly volume (km), e.g. :func:`target_weekly_km`.
    long_run_target_km
        Target long-run length (km), e.g. :func:`target_long_run_km`.

    Returns
    -------
    dict
        ``shape_pct`` (100 = on target; may exceed 100), ``volume_pct``, ``long_run_pct``,
        ``weekly_km`` (mean over :data:`VOLUME_DAYS`), ``long_runs`` (count in
        :data:`LONG_RUN_DAYS`).

    Notes
    -----
    A long run of length L earns ((L - 13) / (target - 13))^2 points, capped at 1.5; one point
    a week over the 10-week window is 100 %. The score rises monotonically with volume and with
    long-run length.

    References
    ----------
    Runalyze marathon shape [recalled].
    """
    if weekly_target_km <= 0 or long_run_target_km <= LONG_RUN_MIN_KM:
        raise AnalysisError("marathon-shape targets must be positive (long run > 13 km)")
    starts = pd.to_datetime(pd.Series(np.asarray(start_times)), utc=True)
    km = np.asarray(distance_m, dtype=float) / 1000.0
    age_days = ((at - starts).dt.total_seconds() / 86400.0).to_numpy()
    in_volume = (age_days > 0) & (age_days <= VOLUME_DAYS)
    in_long = (age_days > 0) & (age_days <= LONG_RUN_DAYS)
    weekly_km = float(np.nansum(km[in_volume]) / (VOLUME_DAYS / 7.0))
    long_km = km[in_long & (km >= LONG_RUN_MIN_KM)]
    points = np.minimum(
        ((long_km - LONG_RUN_MIN_KM) / (long_run_target_km - LONG_RUN_MIN_KM)) ** 2, 1.5
    )
    volume_pct = 100.0 * weekly_km / weekly_target_km
    long_pct = 100.0 * float(points.sum()) / (LONG_RUN_DAYS / 7.0)
    return {
        "shape_pct": 2.0 / 3.0 * volume_pct + 1.0 / 3.0 * long_pct,
        "volume_pct": volume_pct,
        "long_run_pct": long_pct,
        "weekly_km": weekly_km,
        "long_runs": int(long_km.size),
    }


def durability(decoupling: pd.Series | np.ndarray) -> dict[str, float | int | None]:
    """Durability from the Pa:HR decoupling of recent long runs.

    Returns
    -------
    dict
        ``decoupling_median`` (fraction), ``n_runs``, ``durability`` in [0, 1]
        (1 = no drift, 0.5 = 5 % drift, 0 = 10 % or more); ``None`` without data.

    References
    ----------
    TrainingPeaks aerobic decoupling; science.md 2.3.
    """
    values = np.asarray(decoupling, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return {"decoupling_median": None, "n_runs": 0, "durability": None}
    med = float(np.median(values))
    return {
        "decoupling_median": med,
        "n_runs": int(values.size),
        "durability": float(np.clip(1.0 - max(med, 0.0) / DECOUPLING_ZERO, 0.0, 1.0)),
    }


def simulate_goal_splits(
    goal_time_s: float,
    predicted_time_s: float,
    up_to_km: float,
    step_km: float = 1.0,
    exponent: float = RIEGEL_EXPONENT,
    min_onset_km: float = 20.0,
) -> tuple[dict[float, float], float | None]:
    """Cumulative times (s) at each km for a runner who starts at goal pace.

    Model (an explicit assumption, not a published law):

    - goal pace is sustainable up to the distance ``d*`` where it equals the runner's own
      average pace for that distance on the curve ``T(d) = T_pred * (d / 42.195) ** exponent``,
      i.e. ``d* = 42.195 km * (goal pace / predicted pace) ** (1 / (exponent - 1))``; a runner
      holds an over-ambitious pace through the 5-20 km reference window at least, so the
      onset is ``max(d*, min_onset_km)``;
    - after the onset the runner pays the over-speed back: pace becomes the predicted pace x
      the over-ambition ratio (10 % too fast a goal -> 10 % slower than predicted afterwards).

    A goal at or slower than the prediction never fades. The fade starts earlier and is
    deeper the more ambitious the goal, in line with fast starters fading most (Smyth 2018).

    Returns
    -------
    (splits, onset_km)
        ``{km: cumulative time s}`` up to ``up_to_km`` and the fade onset (``None`` if none).

    References
    ----------
    Riegel 1981 (performance curve); Smyth 2018 (fast starters and slow finishers).
    """
    if goal_time_s <= 0 or predicted_time_s <= 0:
        raise AnalysisError("goal and predicted times must be positive")
    km = np.arange(step_km, up_to_km + 1e-9, step_km)
    goal_pace = goal_time_s / (MARATHON_M / 1000.0)
    pred_pace = predicted_time_s / (MARATHON_M / 1000.0)
    ambition = predicted_time_s / goal_time_s
    cumulative = km * goal_pace
    onset: float | None = None
    if ambition > 1.0:
        d_star = MARATHON_M / 1000.0 * (goal_pace / pred_pace) ** (1.0 / (exponent - 1.0))
        onset = max(d_star, min_onset_km)
        if onset < up_to_km:
            after = np.clip(km - onset, 0.0, None)
            cumulative = np.minimum(km, onset) * goal_pace + after * pred_pace * ambition
        else:
            onset = None
    return dict(zip(km.tolist(), cumulative.tolist(), strict=True)), onset


def pre_race_risk(
    goal_time_s: float,
    predicted_time_s: float,
    checkpoint_km: float = 35.0,
    sex: str | None = None,
    age: float | None = None,
    model: Any = None,
) -> dict[str, Any]:
    """P(final-mile failure) for a goal marathon time, given the predicted time.

    Simulates cumulative split times (:func:`simulate_goal_splits`) up to ``checkpoint_km`` and
    scores them with the final-mile risk model (:class:`finishline.risk.CheckpointRiskModel`).

    Returns
    -------
    dict
        ``goal_time_s``, ``predicted_time_s``, ``over_ambition`` (predicted / goal time; > 1
        means the goal is faster than predicted), ``fade_onset_km`` (where goal pace stops
        being sustainable, ``None`` if never before the checkpoint), ``checkpoint_km``,
        ``p_fail``, ``p_lo``, ``p_hi``.
    """
    if model is None:
        from finishline.risk import CheckpointRiskModel

        model = CheckpointRiskModel.load()
    splits, onset = simulate_goal_splits(goal_time_s, predicted_time_s, checkpoint_km)
    pred = model.predict_at(checkpoint_km, splits, sex=sex, age=age)
    return {
        "goal_time_s": float(goal_time_s),
        "predicted_time_s": float(predicted_time_s),
        "over_ambition": float(predicted_time_s / goal_time_s),
        "fade_onset_km": onset,
        "checkpoint_km": float(checkpoint_km),
        "p_fail": float(pred["p_fail"]),
        "p_lo": float(pred["p_lo"]),
        "p_hi": float(pred["p_hi"]),
    }
