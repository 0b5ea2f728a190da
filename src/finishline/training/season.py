"""The season orchestrator: from a :class:`BatchResult` to load, CS, predictions, readiness.

Composes the pure functions of :mod:`load`, :mod:`critical_speed`, :mod:`predict` and
:mod:`readiness` the way pvlib's ModelChain composes its models. The athlete's settings come
from an :class:`AthleteConfig` (JSON or TOML file); anything missing is estimated from the data
with an :class:`~finishline.errors.EstimateWarning`.
"""

from __future__ import annotations

import json
import tomllib
import warnings
from dataclasses import asdict, dataclass, fields
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from finishline.activity import to_jsonable
from finishline.definitions import DEFAULT_REST_HR_BPM
from finishline.errors import EstimateWarning, InputDataError
from finishline.training import load as load_models
from finishline.training.batch import BatchResult, curves_frame
from finishline.training.critical_speed import critical_speed_from_curves, critical_speed_trend
from finishline.training.features import EFFORT_DISTANCES_M, HR_BINS_BPM
from finishline.training.predict import (
    RACE_DISTANCES_M,
    backtest,
    cs_marathon_time,
    find_races,
    predict_races,
    summarize_backtest,
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

#: Share of moving time with heart rate needed to use HR-based TRIMP for an activity.
MIN_HR_COVERAGE = 0.5


@dataclass
class AthleteConfig:
    """Athlete settings (every field optional).

    Attributes
    ----------
    name, sex ("male"/"female"), age (years), hr_rest_bpm, hr_max_bpm,
    threshold_speed_mps (for pace-based load; default: the latest valid CS),
    goal_marathon_s (for pre-race risk), weekly_target_km, long_run_target_km
    (default: Runalyze-like targets from VDOT), ctl_days (42), atl_days (7),
    cs_window_days (84), long_run_km (18, for weekly long-run counts).
    """

    name: str = "athlete"
    sex: str = "male"
    age: float | None = None
    hr_rest_bpm: float | None = None
    hr_max_bpm: float | None = None
    threshold_speed_mps: float | None = None
    goal_marathon_s: float | None = None
    weekly_target_km: float | None = None
    long_run_target_km: float | None = None
    ctl_days: float = 42.0
    atl_days: float = 7.0
    cs_window_days: int = 84
    long_run_km: float = 18.0


def load_athlete_config(
    path: str | PathLike[str] | None, base: AthleteConfig | None = None
) -> AthleteConfig:
    """Read an :class:`AthleteConfig` from a ``.json`` or ``.toml`` file (``None``: defaults).

    Keys the file leaves out keep their value from ``base`` (e.g. squad-wide defaults), or the
    :class:`AthleteConfig` defaults when ``base`` is ``None``.

    Raises
    ------
    InputDataError
        Unreadable file, unknown keys, or a bad ``sex``.
    """
    if path is None:
        return base or AthleteConfig()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
        data = tomllib.loads(text) if p.suffix.lower() == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise InputDataError(f"cannot read athlete config ({exc})", p) from exc
    known = {f.name for f in fields(AthleteConfig)}
    unknown = set(data) - known
    if unknown:
        raise InputDataError(f"unknown athlete config keys: {', '.join(sorted(unknown))}", p)
    config = AthleteConfig(**(asdict(base) if base else {}) | data)
    if config.sex not in ("male", "female"):
        raise InputDataError("sex must be 'male' or 'female'", p)
    return config


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


def _hr_settings(activities: pd.DataFrame, config: AthleteConfig) -> tuple[float, float]:
    hr_max = config.hr_max_bpm
    if hr_max is None:
        observed = activities["max_hr_bpm"].to_numpy(dtype=float)
        observed = observed[np.isfinite(observed)]
        hr_max = float(np.max(observed)) if observed.size else 190.0
        warnings.warn(
            f"HRmax not given: using the season's maximum, {hr_max:.0f} bpm",
            EstimateWarning,
            stacklevel=3,
        )
    hr_rest = config.hr_rest_bpm
    if hr_rest is None:
        hr_rest = DEFAULT_REST_HR_BPM
        warnings.warn(
            f"HRrest not given: assuming {hr_rest:.0f} bpm", EstimateWarning, stacklevel=3
        )
    return float(hr_rest), float(hr_max)


def activity_loads(
    activities: pd.DataFrame,
    config: AthleteConfig,
    threshold_speed_mps: float | None,
    hr_rest_bpm: float,
    hr_max_bpm: float,
) -> pd.DataFrame:
    """Per-activity Banister and Edwards TRIMP and pace load; ``load`` is the one used.

    ``load`` is Banister TRIMP where at least half of the moving time has heart rate, else the
    pace-based load against ``threshold_speed_mps``.
    """
    bpm = np.arange(*HR_BINS_BPM, dtype=float)
    rows = []
    for _, act in activities.iterrows():  # one row per activity
        hist = np.asarray(act["hr_hist_s"], dtype=float)
        coverage = hist.sum() / act["moving_s"] if act["moving_s"] > 0 else 0.0
        banister = load_models.banister_trimp(bpm, hist, hr_rest_bpm, hr_max_bpm, config.sex)
        edwards = load_models.edwards_trimp(bpm, hist, hr_max_bpm)
        pace = (
            load_models.pace_load(act["gap_speed_sq_integral"], threshold_speed_mps)
            if threshold_speed_mps
            else np.nan
        )
        use_hr = coverage >= MIN_HR_COVERAGE
        rows.append(
            {
                "banister_trimp": banister if use_hr else np.nan,
                "edwards_trimp": edwards if use_hr else np.nan,
                "pace_load": pace,
                "load": banister if use_hr else (pace if np.isfinite(pace) else 0.0),
                "load_kind": "banister_trimp" if use_hr else "pace_load",
            }
        )
    return pd.DataFrame(rows, index=activities.index)


def analyze_season(batch: BatchResult, config: AthleteConfig | None = None) -> dict[str, Any]:
    """Analyse one athlete's season.

    Returns
    -------
    dict
        ``frames`` (DataFrames for the figures: ``activities``, ``load``, ``weekly``,
        ``cs_trend``, ``prediction_trend``, ``backtest``) and the JSON-ready parts
        ``activities``, ``skipped``, ``load``, ``critical_speed``, ``predictions``,
        ``readiness``.
    """
    config = config or AthleteConfig()
    acts = batch.activities.copy()
    if acts.empty:
        raise InputDataError("no analysable runs found", ", ".join(batch.sources) or None)
    curves = curves_frame(acts)
    end = acts["start_time"].max() + pd.Timedelta(seconds=1)
    cs_fit = critical_speed_from_curves(curves, acts["start_time"], end, config.cs_window_days)
    cs_trend = critical_speed_trend(curves, acts["start_time"], config.cs_window_days)
    threshold = config.threshold_speed_mps or (cs_fit.critical_speed_mps if cs_fit.valid else None)
    if threshold is None:
        # no CS: best 45-min GAP speed of the season stands in for threshold speed
        best_45 = curves[2700.0].max()
        threshold = float(best_45) if np.isfinite(best_45) else None
    hr_rest, hr_max = _hr_settings(acts, config)
    loads = activity_loads(acts, config, threshold, hr_rest, hr_max)
    acts = acts.join(loads)
    daily = load_models.daily_load(acts["start_time"], acts["load"])
    form = load_models.fitness_fatigue(daily, config.ctl_days, config.atl_days)
    form["acwr"] = load_models.acute_chronic_ratio(daily)
    weekly = load_models.weekly_volume(
        acts["start_time"], acts["distance_m"], acts["moving_s"], config.long_run_km * 1000.0
    )

    efforts = efforts_table(acts)
    window = pd.Timedelta(days=config.cs_window_days)
    recent = efforts[efforts["start_time"] >= end - window]
    predictions = predict_races(recent, cs_fit.critical_speed_mps if cs_fit.valid else None)

    acts["best_vdot"] = [
        max((vdot(t, d) for d, t in zip(recent_d, recent_t, strict=True)), default=0.0)
        for recent_d, recent_t in _efforts_per_activity(acts)
    ]
    races = find_races(acts, hr_max_bpm=hr_max)

    def cs_at(ts: pd.Timestamp) -> float | None:
        fit = critical_speed_from_curves(curves, acts["start_time"], ts, config.cs_window_days)
        return fit.critical_speed_mps if fit.valid else None

    results = (
        backtest(acts, efforts, races, config.cs_window_days, cs_at)
        if len(races)
        else (pd.DataFrame())
    )
    pred_trend = _prediction_trend(efforts, cs_trend, config.cs_window_days)

    marathon = next(
        (p for p in predictions if p["race"] == "marathon" and p["method"] == "vdot"), None
    )
    best_vdot = max(
        (vdot(t, d) for t, d in zip(recent["time_s"], recent["distance_m"], strict=True)),
        default=None,
    )
    readiness: dict[str, Any] = {}
    if best_vdot is not None:
        weekly_target = config.weekly_target_km or target_weekly_km(best_vdot)
        long_target = config.long_run_target_km or target_long_run_km(best_vdot)
        readiness["marathon_shape"] = marathon_shape(
            acts["start_time"], acts["distance_m"], end, weekly_target, long_target
        ) | {
            "weekly_target_km": weekly_target,
            "long_run_target_km": long_target,
            "vdot": best_vdot,
        }
    long_recent = acts[
        (acts["start_time"] >= end - pd.Timedelta(days=70)) & (acts["moving_s"] >= 3600.0)
    ]
    readiness["durability"] = durability(long_recent["decoupling"])
    if config.goal_marathon_s and marathon is not None:
        sex = {"male": "M", "female": "F"}[config.sex]
        readiness["pre_race_risk"] = pre_race_risk(
            config.goal_marathon_s, float(marathon["time_s"]), sex=sex, age=config.age
        )

    return {
        "frames": {
            "activities": acts,
            "load": form,
            "weekly": weekly,
            "cs_trend": cs_trend,
            "prediction_trend": pred_trend,
            "backtest": results,
        },
        "activities": _activity_entries(acts),
        "skipped": batch.skipped.to_dict(orient="records"),
        "load": _jsonable_records(form.reset_index(names="date")),
        "critical_speed": cs_fit.to_dict()
        | {
            "window_days": config.cs_window_days,
            "at": end.isoformat(),
            "trend": _jsonable_records(cs_trend.reset_index(names="date")),
        },
        "predictions": {
            "races": _jsonable_records(pd.DataFrame(predictions)),
            "backtest": _jsonable_records(results),
            "backtest_summary": _jsonable_records(summarize_backtest(results).reset_index())
            if not results.empty
            else [],
        },
        "readiness": _jsonable(readiness),
        "athlete": {
            "hr_rest_bpm": hr_rest,
            "hr_max_bpm": hr_max,
            "sex": config.sex,
            "threshold_speed_mps": threshold,
            "name": config.name,
            "age": config.age,
            "goal_marathon_s": config.goal_marathon_s,
            "long_run_km": config.long_run_km,
        },
    }


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
                "marathon_vdot_s": vdot_time(best, RACE_DISTANCES_M["marathon"]) if best else None,
                "marathon_cs_s": cs_marathon_time(cs["critical_speed_mps"])
                if cs["valid"]
                else None,
            }
        )
    return pd.DataFrame(rows).set_index("date") if rows else pd.DataFrame()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return to_jsonable(value)


def _jsonable_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    if frame is None or frame.empty:
        return []
    return [_jsonable(r) for r in frame.to_dict(orient="records")]


#: Per-activity key figures written to the JSON.
ACTIVITY_KEYS = (
    "file",
    "start_time",
    "sport",
    "format",
    "distance_m",
    "moving_s",
    "avg_speed_mps",
    "avg_gap_speed_mps",
    "avg_hr_bpm",
    "max_hr_bpm",
    "decoupling",
    "banister_trimp",
    "edwards_trimp",
    "pace_load",
    "load",
    "load_kind",
    "best_5k_s",
    "best_10k_s",
)


def _activity_entries(acts: pd.DataFrame) -> list[dict[str, Any]]:
    keys = [k for k in ACTIVITY_KEYS if k in acts.columns]
    return _jsonable_records(acts[keys])
