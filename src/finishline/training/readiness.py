"""Marathon readiness: Runalyze-like marathon shape, durability, and pre-race final-mile risk.

The pre-race risk is the calibrated chip-split model's base rate for the runner's predicted
ability, shifted by assumed effects of over-ambition and preparation (:func:`pre_race_risk`
has the effect table and its sources).

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

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from finishline.errors import AnalysisError
from finishline.risk.logodds import expit, logit
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


#: Readiness effects on the log-odds of final-mile failure (see :func:`pre_race_risk`):
#: (name, input, neutral at or above, full at or below, full shift in logit). Assumed sizes.
READINESS_EFFECTS: tuple[tuple[str, str, float, float, float], ...] = (
    ("long_runs", "long_run_pct", 100.0, 0.0, 0.54),
    ("volume", "volume_pct", 100.0, 0.0, 0.40),
    ("durability", "durability", 0.5, 0.0, 0.30),
)
#: Over-ambition: log-odds per unit of ln(predicted / goal time), and its bounds (logit).
AMBITION_LOGIT_PER_LOG = 10.0
AMBITION_SHIFT_RANGE = (-0.5, 1.5)
#: Where the calibrated base is read: the first landmark of the chip-split model (km).
BASE_LANDMARK_KM = 5.0


def readiness_inputs(readiness: Mapping[str, Any] | None) -> dict[str, float | None]:
    """``long_run_pct``, ``volume_pct`` and ``durability`` from a season's ``readiness`` dict.

    Parameters
    ----------
    readiness
        ``{"marathon_shape": marathon_shape(...), "durability": durability(...)}`` as in
        :func:`finishline.training.season.analyze_season`; missing parts give None.
    """
    readiness = readiness or {}
    shape = readiness.get("marathon_shape") or {}
    dur = readiness.get("durability") or {}
    return {
        "long_run_pct": shape.get("long_run_pct"),
        "volume_pct": shape.get("volume_pct"),
        "durability": dur.get("durability"),
    }


def readiness_shifts(
    long_run_pct: float | None = None,
    volume_pct: float | None = None,
    durability: float | None = None,
    over_ambition: float = 1.0,
) -> dict[str, float]:
    """Log-odds shifts of the preparation and of the goal (see :func:`pre_race_risk`).

    Each readiness shift is 0 at or above its ``neutral`` input, rises linearly to its full
    size at ``full`` and stays there; an unknown input (None or NaN) shifts nothing. The
    over-ambition shift is ``10 x ln(predicted / goal)`` clipped to [-0.5, 1.5] logit.

    Returns
    -------
    dict
        Shift (logit) per effect name and ``ambition``.
    """
    values = {"long_run_pct": long_run_pct, "volume_pct": volume_pct, "durability": durability}
    shifts = {}
    for name, key, neutral, full, size in READINESS_EFFECTS:
        value = values[key]
        if value is None or not np.isfinite(value):
            shifts[name] = 0.0
            continue
        shifts[name] = float(size * np.clip((neutral - value) / (neutral - full), 0.0, 1.0))
    low, high = AMBITION_SHIFT_RANGE
    ambition = AMBITION_LOGIT_PER_LOG * float(np.log(over_ambition))
    shifts["ambition"] = float(np.clip(ambition, low, high))
    return shifts


def pre_race_risk(
    goal_time_s: float,
    predicted_time_s: float,
    checkpoint_km: float = 35.0,
    sex: str | None = None,
    age: float | None = None,
    model: Any = None,
    *,
    readiness: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """P(final-mile failure) before a marathon, from the goal, the prediction and the preparation.

    Two parts, kept apart:

    * **Calibrated** (``p_base``): the chip-split model at its first landmark (5 km) for a
      runner of the *predicted* ability (predicted marathon pace, ``sex``, ``age``) who starts
      evenly: the failure rate of such runners in the Boston 2014 and Chicago 2023 chip data,
      averaged over how their races went. Its band is the model's 90 % band.
    * **Assumed** (``logit_shift``): shifts on the log-odds for the goal's over-ambition and
      the athlete's preparation. No data the project can reach links training to final-mile
      failure, so their sizes are stated assumptions anchored on published associations:

      =============  =========================  ==========  ==========  =======  ==============
      effect         input                      neutral     full at     shift    source
      =============  =========================  ==========  ==========  =======  ==============
      long runs      marathon-shape long-run    >= 100 %    0 %         +0.54    Buman 2008/09
                     part (``long_run_pct``)
      volume         weekly km / target         >= 100 %    0 %         +0.40    Swain 2020,
                     (``volume_pct``)                                            Doherty 2020
      durability     long-run Pa:HR score       >= 0.5      0           +0.30    assumed
                     (0.5 = 5 % decoupling)
      over-ambition  ln(predicted / goal time)  0           --          10 per   Smyth 2016,
                                                                        unit,    2018
                                                                        -0.5 to
                                                                        +1.5
      =============  =========================  ==========  ==========  =======  ==============

      *Long runs*: in 315 marathoners the longest training run, not weekly mileage, was
      associated with self-reported hitting the wall (Buman et al. 2008); a longest run of
      20 miles or less raised the chance by about 50 % (Buman et al. 2009) [recalled from a
      secondary summary, not checked in the paper]: a relative risk of 1.5 at a 20 % base
      rate is an odds ratio of 1.7, ``ln 1.7 = 0.54``. *Volume*: higher weekly volume goes
      with a smaller second-half slowdown (Swain, Biggins & Gordon 2020, n = 139) and faster
      marathons (Doherty et al. 2020, meta-regression of 85 studies) [verified abstracts; no
      odds ratio published]: the size is assumed smaller than the long-run effect, since
      Buman 2008 found no association with mileage. *Durability*: cardiac drift above the 5 %
      coaching line on long runs (TrainingPeaks; science.md 2.3) is taken as a sign of
      limited endurance, size assumed. *Over-ambition*: starting faster than the pace one can
      hold makes hitting the wall much more likely, the wall rate peaking for starts about
      20 % faster than race pace; runners who start slowest almost never hit it (Smyth,
      "Running with Data", Chicago 2005-16; Smyth 2018) [verified summaries; no odds ratio]:
      assumed 10 logit per unit log (a goal 10 % faster than predicted: +0.95 logit), a
      conservative goal lowers the risk by at most 0.5 logit.

      Readiness shifts only raise the risk (the chip data's base already averages over
      prepared and unprepared runners), so a poorly prepared athlete never gets less than
      the calibrated base rate at their predicted time. An unknown input shifts nothing.

    The band: ``p_lo`` is the calibrated lower bound with only the shifts that lower the risk
    (doubled); ``p_hi`` the upper bound with the raising shifts doubled (an assumed effect may
    be worth nothing or twice its size).

    Parameters
    ----------
    goal_time_s, predicted_time_s
        Goal and predicted marathon times (s).
    checkpoint_km
        Kept for compatibility; the calibrated base is read at 5 km (see above).
    sex, age
        ``"M"``/``"F"`` or None; years or None.
    model
        The chip-split model (:class:`finishline.risk.LandmarkRiskModel`); the shipped one by
        default.
    readiness
        The season's readiness (``marathon_shape`` and ``durability`` dicts,
        :func:`readiness_inputs`); None when unknown.

    Returns
    -------
    dict
        ``goal_time_s``, ``predicted_time_s``, ``over_ambition`` (predicted / goal time; > 1
        means the goal is faster than predicted), ``fade_onset_km`` (where goal pace stops
        being sustainable on the Riegel curve, None if never), ``checkpoint_km`` (5),
        ``p_base``, ``p_base_lo``, ``p_base_hi`` (calibrated), ``shifts`` (logit per effect),
        ``logit_shift`` (their sum), ``p_fail``, ``p_lo``, ``p_hi`` (with the shifts),
        ``readiness_inputs`` (the values used, None when unknown), ``calibrated`` and
        ``assumed`` (what each part is, in words).

    References
    ----------
    Buman MP, Brewer BW, Cornelius AE, Van Raalte JL, Petitpas AJ. Hitting the wall in the
    marathon. *Psychol Sport Exerc* 2008;9:177-190. Buman MP et al. 2009 (longest run of
    20 miles or less) [recalled]. Swain P, Biggins J, Gordon D. Marathon pacing ability:
    training characteristics and previous experience. *Eur J Sport Sci* 2020;20:880-886.
    Doherty C et al. An evaluation of the training determinants of marathon performance.
    *J Sci Med Sport* 2020;23:182-188. Smyth B. Fast starters and slow finishers. *J Sports
    Anal* 2018;4:229; "Fast starts: how fast is too fast?" (Running with Data, 2016).
    """
    del checkpoint_km  # the calibrated base is read at BASE_LANDMARK_KM
    if model is None:
        from finishline.risk import LandmarkRiskModel

        model = LandmarkRiskModel.load()
    if goal_time_s <= 0 or predicted_time_s <= 0:
        raise AnalysisError("goal and predicted times must be positive")
    _, onset = simulate_goal_splits(goal_time_s, predicted_time_s, MARATHON_M / 1000.0)
    pace = predicted_time_s / (MARATHON_M / 1000.0)
    base = model.predict_at(BASE_LANDMARK_KM, {BASE_LANDMARK_KM: BASE_LANDMARK_KM * pace}, sex, age)
    over_ambition = float(predicted_time_s / goal_time_s)
    inputs = readiness_inputs(readiness)
    shifts = readiness_shifts(**inputs, over_ambition=over_ambition)
    total = float(sum(shifts.values()))
    eta, eta_lo, eta_hi = (float(logit(base[k])) for k in ("p_fail", "p_lo", "p_hi"))
    raising = sum(v for v in shifts.values() if v > 0)
    lowering = sum(v for v in shifts.values() if v < 0)
    return {
        "goal_time_s": float(goal_time_s),
        "predicted_time_s": float(predicted_time_s),
        "over_ambition": over_ambition,
        "fade_onset_km": onset,
        "checkpoint_km": BASE_LANDMARK_KM,
        "p_base": float(base["p_fail"]),
        "p_base_lo": float(base["p_lo"]),
        "p_base_hi": float(base["p_hi"]),
        "shifts": shifts,
        "logit_shift": total,
        "p_fail": float(expit(eta + total)),
        "p_lo": float(expit(eta_lo + 2.0 * lowering)),
        "p_hi": float(expit(eta_hi + 2.0 * raising)),
        "readiness_inputs": inputs,
        "calibrated": "p_base: chip-split model at 5 km for the predicted ability "
        "(Boston 2014 + Chicago 2023 marathons)",
        "assumed": "logit_shift: over-ambition and preparation (long runs, weekly volume, "
        "durability), sizes assumed from published associations",
    }
