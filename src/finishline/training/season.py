"""The season orchestrator: from a :class:`BatchResult` to load, CS, predictions, readiness.

Composes the pure functions of :mod:`load`, :mod:`critical_speed`, :mod:`predict` and
:mod:`readiness` the way pvlib's ModelChain composes its models, into a
:class:`~finishline.training.results.SeasonAnalysis`. The athlete's values come from one
:class:`~finishline.athlete.Athlete` (an athlete file, squad defaults, arguments); anything
missing is estimated by the rules of :mod:`finishline.athlete` with an
:class:`~finishline.errors.EstimateWarning`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finishline.athlete import Athlete, for_season
from finishline.definitions import MARATHON_M
from finishline.errors import AnalysisError, InputDataError
from finishline.training import load as load_models
from finishline.training.batch import BatchResult, curves_frame
from finishline.training.critical_power import (
    CriticalPowerFit,
    critical_power_at,
    power_curves_frame,
    power_envelope,
)
from finishline.training.critical_speed import (
    critical_speed_at,
    critical_speed_from_curves,
    critical_speed_trend,
)
from finishline.training.features import EFFORT_DISTANCES_M, HR_BINS_BPM
from finishline.training.predict import (
    backtest,
    cs_marathon_time,
    find_races,
    predict_races,
    vdot_array,
    vdot_times,
)
from finishline.training.readiness import (
    durability,
    marathon_shape,
    pre_race_risk,
    target_long_run_km,
    target_weekly_km,
)
from finishline.training.results import Readiness, SeasonAnalysis

#: Share of moving time with heart rate needed to use HR-based TRIMP for an activity.
MIN_HR_COVERAGE = 0.5
#: Long runs for durability: at least this much moving time (s) in the last LONG_RUN_WINDOW_DAYS.
DURABILITY_MIN_S = 3600.0
DURABILITY_WINDOW_DAYS = 70


def efforts_table(activities: pd.DataFrame, min_distance_m: float = 3000.0) -> pd.DataFrame:
    """Best efforts per activity in long form: ``file``, ``start_time``, ``distance_m``,
    ``time_s`` (distances of at least ``min_distance_m``)."""
    rows = []
    for name, dist in EFFORT_DISTANCES_M.items():
        if dist < min_distance_m or f"best_{name}_s" not in activities:
            continue
        part = activities[["file", "start_time", f"best_{name}_s"]].rename(
            columns={f"best_{name}_s": "time_s"}
        )
        rows.append(part.assign(distance_m=dist))
    if not rows:
        return pd.DataFrame(columns=["file", "start_time", "time_s", "distance_m"])
    out = pd.concat(rows, ignore_index=True)
    time_s = out["time_s"].to_numpy(dtype=float)
    # faster than the world record pace (~6.3 m/s over 10 km) is a GPS or vehicle artefact
    plausible = np.isfinite(time_s) & (out["distance_m"].to_numpy() / time_s <= 6.5)
    return out[plausible].reset_index(drop=True)


def activity_loads(
    activities: pd.DataFrame, athlete: Athlete, threshold_speed_mps: float | None
) -> pd.DataFrame:
    """Per-activity Banister and Edwards TRIMP and pace load; ``load`` is the one used.

    ``load`` is Banister TRIMP where at least half of the moving time has heart rate (and the
    athlete has heart-rate bounds), else the pace-based load against ``threshold_speed_mps``.
    The heart-rate histograms of all activities are weighed at once (a matrix product with
    the per-bpm TRIMP weights of :mod:`finishline.training.load`).
    """
    bpm = np.arange(*HR_BINS_BPM, dtype=float)
    hr_rest, hr_max = athlete.finite("rest_hr_bpm"), athlete.finite("max_hr_bpm")
    hist = _list_matrix(activities["hr_hist_s"], bpm.size)
    moving_s = activities["moving_s"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        coverage = np.where(moving_s > 0, hist.sum(axis=1) / moving_s, 0.0)
    use_hr = coverage >= MIN_HR_COVERAGE
    if hr_rest is None or hr_max is None:
        use_hr[:] = False
    banister = np.full(len(activities), np.nan)
    edwards = np.full(len(activities), np.nan)
    if use_hr.any():
        minutes = hist[use_hr] / 60.0
        banister[use_hr] = minutes @ load_models.banister_weights(bpm, hr_rest, hr_max, athlete.sex)
        edwards[use_hr] = minutes @ load_models.edwards_weights(bpm, hr_max)
    integral = activities["gap_speed_sq_integral"].to_numpy(dtype=float)
    pace = (
        load_models.pace_load(integral, threshold_speed_mps)
        if threshold_speed_mps
        else np.full(len(activities), np.nan)
    )
    return pd.DataFrame(
        {
            "banister_trimp": banister,
            "edwards_trimp": edwards,
            "pace_load": pace,
            "load": np.where(use_hr, banister, np.where(np.isfinite(pace), pace, 0.0)),
            "load_kind": np.where(use_hr, "banister_trimp", "pace_load").astype(object),
        },
        index=activities.index,
    )


def _list_matrix(column: pd.Series, width: int) -> np.ndarray:
    """A column of equal-length lists/arrays as a 2-D float array (rows x ``width``)."""
    if len(column) == 0:
        return np.empty((0, width))
    return np.array(column.tolist(), dtype=float)  # one conversion, not one per row


def analyze_season(batch: BatchResult, athlete: Athlete | None = None) -> SeasonAnalysis:
    """Analyse one athlete's season.

    Parameters
    ----------
    batch
        The athlete's files (:func:`finishline.read_many`).
    athlete
        What is known about the athlete (values and settings); missing values are estimated.

    Returns
    -------
    SeasonAnalysis

    Raises
    ------
    InputDataError
        No analysable run in the batch.
    """
    athlete = athlete or Athlete()
    acts = batch.activities.copy()
    if acts.empty:
        raise InputDataError("no analysable runs found", ", ".join(batch.sources) or None)
    curves = curves_frame(acts)
    end = acts["start_time"].max() + pd.Timedelta(seconds=1)
    window_days = athlete.cs_window_days
    cs_fit = critical_speed_from_curves(curves, acts["start_time"], end, window_days)
    cs_trend = critical_speed_trend(curves, acts["start_time"], window_days)
    cp_fit, envelope = _critical_power(acts, end, window_days)
    athlete = for_season(
        athlete, float(np.nanmax(acts["max_hr_bpm"].to_numpy(float), initial=np.nan))
    )
    if athlete.threshold_speed_mps is None:
        if cs_fit.valid:
            rule, threshold = "the season's critical speed", cs_fit.critical_speed_mps
        else:
            # no CS: best 45-min GAP speed of the season stands in for threshold speed
            rule, threshold = "the season's best 45-min grade-adjusted speed", curves[2700.0].max()
        if np.isfinite(threshold):
            athlete = athlete.with_values("estimated", rule, threshold_speed_mps=float(threshold))
    loads = activity_loads(acts, athlete, athlete.finite("threshold_speed_mps"))
    acts = acts.join(loads)
    daily = load_models.daily_load(acts["start_time"], acts["load"])
    form = load_models.fitness_fatigue(daily, athlete.ctl_days, athlete.atl_days)
    form["acwr"] = load_models.acute_chronic_ratio(daily)
    weekly = load_models.weekly_volume(
        acts["start_time"], acts["distance_m"], acts["moving_s"], athlete.long_run_km * 1000.0
    )

    efforts = efforts_table(acts)
    recent = efforts[efforts["start_time"] >= end - pd.Timedelta(days=window_days)]
    predictions = predict_races(recent, cs_fit.critical_speed_mps if cs_fit.valid else None)
    acts["best_vdot"] = _best_vdot(acts)
    races = find_races(acts, hr_max_bpm=athlete.finite("max_hr_bpm"))
    results = pd.DataFrame()
    if len(races):
        race_starts = pd.DatetimeIndex(races["start_time"].unique())
        fits = critical_speed_at(curves, acts["start_time"], race_starts, window_days)
        cs_by_start = {
            ts: fit.critical_speed_mps if fit.valid else None
            for ts, fit in zip(race_starts, fits, strict=True)
        }
        results = backtest(acts, efforts, races, window_days, cs_by_start.get)
    readiness = _readiness(acts, recent, predictions, athlete, end)
    return SeasonAnalysis(
        athlete=athlete,
        activities=acts,
        skipped=batch.skipped,
        load=form,
        weekly=weekly,
        critical_speed=cs_fit,
        cs_trend=cs_trend,
        predictions=pd.DataFrame(predictions),
        prediction_trend=_prediction_trend(efforts, cs_trend, window_days),
        backtest=results,
        readiness=readiness,
        end=end,
        critical_power=cp_fit,
        power_envelope=envelope,
    )


def _critical_power(
    acts: pd.DataFrame, end: pd.Timestamp, window_days: int
) -> tuple[CriticalPowerFit, pd.DataFrame]:
    """CP/W' over the CS window before ``end`` and the window's power envelope (W by s); no
    fit, with the reason, when no run of the season has power."""
    powers = power_curves_frame(acts)
    envelope = power_envelope(powers, acts["start_time"], end, window_days)
    if not np.isfinite(powers.to_numpy(dtype=float)).any():
        return CriticalPowerFit.none("no run of the season has running power"), envelope
    return critical_power_at(powers, acts["start_time"], [end], window_days)[0], envelope


def _readiness(
    acts: pd.DataFrame,
    recent: pd.DataFrame,
    predictions: list[dict],
    athlete: Athlete,
    end: pd.Timestamp,
) -> Readiness:
    marathon = next(
        (p for p in predictions if p["race"] == "marathon" and p["method"] == "vdot"), None
    )
    scores = vdot_array(recent["time_s"].to_numpy(float), recent["distance_m"].to_numpy(float))
    best_vdot = float(np.max(scores)) if scores.size else None
    shape = None
    if best_vdot is not None:
        weekly_target = athlete.weekly_target_km or target_weekly_km(best_vdot)
        long_target = athlete.long_run_target_km or target_long_run_km(best_vdot)
        shape = marathon_shape(
            acts["start_time"], acts["distance_m"], end, weekly_target, long_target
        ) | {
            "weekly_target_km": weekly_target,
            "long_run_target_km": long_target,
            "vdot": best_vdot,
        }
    long_recent = acts[
        (acts["start_time"] >= end - pd.Timedelta(days=DURABILITY_WINDOW_DAYS))
        & (acts["moving_s"] >= DURABILITY_MIN_S)
    ]
    prepared = {"marathon_shape": shape, "durability": durability(long_recent["decoupling"])}
    risk = None
    if athlete.goal_marathon_s and marathon is not None:
        risk = pre_race_risk(
            athlete.goal_marathon_s,
            float(marathon["time_s"]),
            sex=athlete.sex,
            age=athlete.finite("age"),
            readiness=prepared,
        )
    return Readiness(marathon_shape=shape, durability=prepared["durability"], pre_race_risk=risk)


def _best_vdot(acts: pd.DataFrame) -> np.ndarray:
    """Each activity's best VDOT over its 3 km-and-longer efforts (0 without one)."""
    names = [n for n, d in EFFORT_DISTANCES_M.items() if d >= 3000.0]
    if not names or acts.empty:
        return np.zeros(len(acts))
    times = acts[[f"best_{n}_s" for n in names]].to_numpy(dtype=float)
    scores = vdot_array(times, np.array([EFFORT_DISTANCES_M[n] for n in names]))
    return np.fmax.reduce(np.where(np.isfinite(scores), scores, 0.0), axis=1)


def _prediction_trend(
    efforts: pd.DataFrame, cs_trend: pd.DataFrame, window_days: int
) -> pd.DataFrame:
    if cs_trend.empty:
        return pd.DataFrame()
    dates = pd.DatetimeIndex(cs_trend.index)
    scores = vdot_array(efforts["time_s"].to_numpy(float), efforts["distance_m"].to_numpy(float))
    starts = pd.DatetimeIndex(efforts["start_time"]).as_unit("ns").asi8
    order = np.argsort(starts, kind="stable")
    starts, scores = starts[order], scores[order]
    ends = dates.as_unit("ns").asi8
    lo = np.searchsorted(starts, ends - pd.Timedelta(days=window_days).value, side="left")
    hi = np.searchsorted(starts, ends, side="left")
    best = np.array([np.max(scores[a:b]) if b > a else np.nan for a, b in zip(lo, hi, strict=True)])
    has_best = np.isfinite(best) & (best != 0)
    marathon_vdot = np.full(best.size, np.nan)
    if has_best.any():
        if not ((best[has_best] >= 2.0) & (best[has_best] <= 100.0)).all():
            raise AnalysisError("a VDOT outside 2-100 in the prediction trend")
        marathon_vdot[has_best] = vdot_times(best[has_best], MARATHON_M)
    cs = cs_trend["critical_speed_mps"].to_numpy(dtype=float)
    valid = cs_trend["valid"].to_numpy(dtype=bool)
    return pd.DataFrame(
        {
            "vdot": [float(v) if np.isfinite(v) else None for v in best],
            "marathon_vdot_s": [
                float(v) if ok else None for v, ok in zip(marathon_vdot, has_best, strict=True)
            ],
            "marathon_cs_s": [
                cs_marathon_time(c) if ok else None for c, ok in zip(cs, valid, strict=True)
            ],
        },
        index=pd.DatetimeIndex(dates, name="date", freq=None),
    )
