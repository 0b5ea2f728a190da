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
from finishline.errors import InputDataError
from finishline.training import load as load_models
from finishline.training.batch import BatchResult, curves_frame
from finishline.training.critical_speed import critical_speed_from_curves, critical_speed_trend
from finishline.training.features import EFFORT_DISTANCES_M, HR_BINS_BPM
from finishline.training.predict import (
    backtest,
    cs_marathon_time,
    find_races,
    predict_races,
    vdot,
    vdot_time,
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
    """
    bpm = np.arange(*HR_BINS_BPM, dtype=float)
    hr_rest, hr_max = athlete.finite("rest_hr_bpm"), athlete.finite("max_hr_bpm")
    rows = []
    for _, act in activities.iterrows():  # one row per activity
        hist = np.asarray(act["hr_hist_s"], dtype=float)
        coverage = hist.sum() / act["moving_s"] if act["moving_s"] > 0 else 0.0
        use_hr = coverage >= MIN_HR_COVERAGE and hr_rest is not None and hr_max is not None
        banister = (
            load_models.banister_trimp(bpm, hist, hr_rest, hr_max, athlete.sex)
            if use_hr
            else np.nan
        )
        edwards = load_models.edwards_trimp(bpm, hist, hr_max) if use_hr else np.nan
        pace = (
            load_models.pace_load(act["gap_speed_sq_integral"], threshold_speed_mps)
            if threshold_speed_mps
            else np.nan
        )
        rows.append(
            {
                "banister_trimp": banister,
                "edwards_trimp": edwards,
                "pace_load": pace,
                "load": banister if use_hr else (pace if np.isfinite(pace) else 0.0),
                "load_kind": "banister_trimp" if use_hr else "pace_load",
            }
        )
    return pd.DataFrame(rows, index=activities.index)


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
    acts["best_vdot"] = [
        max((vdot(t, d) for d, t in zip(recent_d, recent_t, strict=True)), default=0.0)
        for recent_d, recent_t in _efforts_per_activity(acts)
    ]
    races = find_races(acts, hr_max_bpm=athlete.finite("max_hr_bpm"))

    def cs_at(ts: pd.Timestamp) -> float | None:
        fit = critical_speed_from_curves(curves, acts["start_time"], ts, window_days)
        return fit.critical_speed_mps if fit.valid else None

    results = backtest(acts, efforts, races, window_days, cs_at) if len(races) else pd.DataFrame()
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
    )


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
    best_vdot = max(
        (vdot(t, d) for t, d in zip(recent["time_s"], recent["distance_m"], strict=True)),
        default=None,
    )
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


def _efforts_per_activity(acts: pd.DataFrame) -> list[tuple[list[float], list[float]]]:
    names = [n for n, d in EFFORT_DISTANCES_M.items() if d >= 3000.0]
    out = []
    for _, act in acts.iterrows():
        pairs = [(EFFORT_DISTANCES_M[n], act[f"best_{n}_s"]) for n in names]
        pairs = [(d, t) for d, t in pairs if np.isfinite(t)]
        out.append(([d for d, _ in pairs], [t for _, t in pairs]))
    return out


def _prediction_trend(
    efforts: pd.DataFrame, cs_trend: pd.DataFrame, window_days: int
) -> pd.DataFrame:
    rows = []
    for date, cs in cs_trend.iterrows():
        prior = efforts[
            (efforts["start_time"] < date)
            & (efforts["start_time"] >= date - pd.Timedelta(days=window_days))
        ]
        best = max(
            (vdot(t, d) for t, d in zip(prior["time_s"], prior["distance_m"], strict=True)),
            default=None,
        )
        rows.append(
            {
                "date": date,
                "vdot": best,
                "marathon_vdot_s": vdot_time(best, MARATHON_M) if best else None,
                "marathon_cs_s": cs_marathon_time(cs["critical_speed_mps"])
                if cs["valid"]
                else None,
            }
        )
    return pd.DataFrame(rows).set_index("date") if rows else pd.DataFrame()
