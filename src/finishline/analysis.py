"""``analyze``: the race-analysis pipeline composed from the pure stages.

Stages, in order (each is a plain function that can be called and timed alone):
``clean`` -> ``splits`` (km and mile) -> ``efforts`` (best efforts + speed curve) -> ``zones``
-> ``decoupling`` -> ``stops`` -> ``final_mile`` -> ``summary``. :class:`RaceAnalysis` keeps
every intermediate table, the athlete parameters used (each flagged ``given``, ``estimated`` or
``default``) and the seconds each stage took (``stage_times``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from finishline.activity import Activity, to_jsonable
from finishline.clean import clean
from finishline.metrics.decoupling import Decoupling, decoupling
from finishline.metrics.efforts import best_efforts, speed_curve
from finishline.metrics.final_mile import final_mile
from finishline.metrics.splits import METRE_PER_MILE, splits
from finishline.metrics.stops import stops_and_walks
from finishline.metrics.zones import (
    DEFAULT_REST_HR_BPM,
    estimate_max_hr,
    karvonen_bounds,
    time_in_zones,
)


@dataclass
class RaceAnalysis:
    """Everything :func:`analyze` computed for one run (see the module docstring)."""

    activity: Activity
    track: pd.DataFrame
    splits_km: pd.DataFrame
    splits_mile: pd.DataFrame
    efforts: pd.DataFrame
    speed_curve: pd.DataFrame
    zones: pd.DataFrame
    decoupling: Decoupling
    stops: pd.DataFrame
    final_mile: dict[str, Any]
    summary: dict[str, Any]
    athlete: dict[str, dict[str, Any]]
    stage_times: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (no NaN: ``None`` instead; timestamps as ISO 8601 strings)."""
        dec = self.decoupling
        out = {
            "summary": self.summary,
            "athlete": self.athlete,
            "splits": self.splits_km,
            "splits_mile": self.splits_mile,
            "final_mile": self.final_mile,
            "efforts": self.efforts,
            "speed_curve": self.speed_curve,
            "zones": self.zones,
            "decoupling": {
                "pa_hr": dec.pa_hr,
                "ef_first": dec.ef_first,
                "ef_second": dec.ef_second,
                "onset_m": dec.onset_m,
                "window_start_m": dec.window_start_m,
                "curve": dec.curve,
            },
            "stops": self.stops,
            "stage_times_s": self.stage_times,
        }
        return jsonable(out)


def jsonable(value: Any) -> Any:
    """Recursively convert DataFrames (to lists of records), numpy and pandas values to JSON."""
    if isinstance(value, pd.DataFrame):
        return [jsonable(row) for row in value.to_dict(orient="records")]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if value is pd.NaT:
        return None
    out = to_jsonable(value)
    if isinstance(out, float) and math.isnan(out):
        return None
    return out


def athlete_parameters(
    track: pd.DataFrame,
    *,
    max_hr_bpm: float | None = None,
    rest_hr_bpm: float | None = None,
    **others: Any,
) -> dict[str, dict[str, Any]]:
    """The athlete parameters used, each ``{"value": ..., "source": given|estimated|default}``.

    Max HR, when not given, is estimated from the run (99.5th percentile of clean HR); rest HR
    defaults to :data:`~finishline.metrics.zones.DEFAULT_REST_HR_BPM`. Other keyword parameters
    (``body_mass_kg``, ``sex``, ``age``, ...) are recorded as given when not ``None``.
    """
    params: dict[str, dict[str, Any]] = {}
    if max_hr_bpm is None:
        estimate = estimate_max_hr(track["heart_rate_bpm"].to_numpy(float))
        params["max_hr_bpm"] = {"value": estimate, "source": "estimated"}
    else:
        params["max_hr_bpm"] = {"value": float(max_hr_bpm), "source": "given"}
    if rest_hr_bpm is None:
        params["rest_hr_bpm"] = {"value": DEFAULT_REST_HR_BPM, "source": "default"}
    else:
        params["rest_hr_bpm"] = {"value": float(rest_hr_bpm), "source": "given"}
    for name, value in others.items():
        if value is not None:
            params[name] = {"value": value, "source": "given"}
    return params


def race_summary(
    activity: Activity,
    track: pd.DataFrame,
    dec: Decoupling,
    stops: pd.DataFrame,
    splits_km: pd.DataFrame,
) -> dict[str, Any]:
    """Headline figures of the run, computed from the clean track."""
    distance = float(track["distance_m"].iloc[-1])
    elapsed = float(track["elapsed_s"].iloc[-1])
    moving = float(track["moving"].sum())
    hr = track["heart_rate_bpm"].to_numpy(float)
    hr = hr[np.isfinite(hr)]
    timer = activity.sessions["timer_s"] if not activity.sessions.empty else pd.Series([])
    gap_s = splits_km["gap_pace_s_per_km"] * splits_km["distance_m"] / 1000.0
    kinds = stops["kind"] if not stops.empty else pd.Series([], dtype=object)
    return {
        "sport": activity.meta.sport,
        "format": activity.meta.format,
        "start_time": track.index[0].isoformat(),
        "distance_m": distance,
        "elapsed_s": elapsed,
        "moving_s": moving,
        "device_timer_s": float(timer.sum()) if timer.notna().any() else None,
        "pace_s_per_km": elapsed / distance * 1000.0 if distance > 0 else None,
        "moving_pace_s_per_km": moving / distance * 1000.0 if distance > 0 else None,
        "gap_pace_s_per_km": float(gap_s.sum() / distance * 1000.0) if distance > 0 else None,
        "avg_hr_bpm": float(hr.mean()) if hr.size else None,
        "max_hr_bpm": float(hr.max()) if hr.size else None,
        "elev_gain_m": float(splits_km["elev_gain_m"].sum()),
        "elev_loss_m": float(splits_km["elev_loss_m"].sum()),
        "hr_artefact_s": float(track["hr_artefact"].sum()),
        "stop_count": int((kinds == "stop").sum()),
        "stop_s": float(stops.loc[kinds == "stop", "duration_s"].sum()) if len(kinds) else 0.0,
        "walk_s": float(stops.loc[kinds == "walk", "duration_s"].sum()) if len(kinds) else 0.0,
        "pa_hr": dec.pa_hr,
        "decoupling_onset_m": dec.onset_m,
        "altitude_source": track.attrs.get("altitude_source"),
        "distance_source": track.attrs.get("distance_source"),
        "gap_model": track.attrs.get("gap_model"),
    }


def analyze(
    activity_or_path: Activity | str | PathLike[str],
    *,
    max_hr_bpm: float | None = None,
    rest_hr_bpm: float | None = None,
    zone_bounds_bpm: list[float] | None = None,
    gap_model: str = "strava",
    body_mass_kg: float | None = None,
    sex: str | None = None,
    age: float | None = None,
    **clean_options: Any,
) -> RaceAnalysis:
    """Analyse one run: clean track, splits, efforts, zones, decoupling, stops, final mile.

    Parameters
    ----------
    activity_or_path
        An :class:`Activity` or a path :func:`finishline.read` can open.
    max_hr_bpm, rest_hr_bpm
        Athlete heart rates (bpm); max estimated from the run and rest defaulted when omitted.
    zone_bounds_bpm
        Explicit zone edges (bpm); default: Karvonen 50/60/70/80/90/100 % of HR reserve.
    gap_model
        ``"strava"`` (default) or ``"minetti"``.
    body_mass_kg, sex, age
        Recorded in ``athlete`` for later stages (fatigue, risk).
    **clean_options
        Passed to :func:`finishline.clean.clean`.

    Raises
    ------
    FinishlineError
        Unreadable file, or an activity that cannot be analysed (no distance, a course).
    """
    times: dict[str, float] = {}
    tick = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal tick
        now = time.perf_counter()
        times[stage] = now - tick
        tick = now

    if isinstance(activity_or_path, Activity):
        activity = activity_or_path
    else:
        from finishline.io import read

        activity = read(activity_or_path)
        lap("read")
    track = clean(activity, gap_model=gap_model, **clean_options)
    lap("clean")
    splits_km = splits(track, 1000.0)
    splits_mile = splits(track, METRE_PER_MILE)
    lap("splits")
    efforts = best_efforts(track)
    curve = speed_curve(track)
    lap("efforts")
    athlete = athlete_parameters(
        track,
        max_hr_bpm=max_hr_bpm,
        rest_hr_bpm=rest_hr_bpm,
        body_mass_kg=body_mass_kg,
        sex=sex,
        age=age,
    )
    if zone_bounds_bpm is not None:
        bounds = np.asarray(zone_bounds_bpm, dtype=float)
        athlete["zone_bounds_bpm"] = {"value": bounds.tolist(), "source": "given"}
    else:
        max_hr = athlete["max_hr_bpm"]["value"]
        rest_hr = athlete["rest_hr_bpm"]["value"]
        bounds = karvonen_bounds(max_hr, rest_hr) if np.isfinite(max_hr) else None
    zones = time_in_zones(track, bounds) if bounds is not None else pd.DataFrame()
    lap("zones")
    dec = decoupling(track)
    lap("decoupling")
    stops = stops_and_walks(track)
    lap("stops")
    fm = final_mile(track)
    lap("final_mile")
    summary = race_summary(activity, track, dec, stops, splits_km)
    summary["final_mile_pace_ratio"] = fm["pace_ratio"]
    summary["final_mile_failed"] = fm["failed"]
    lap("summary")
    return RaceAnalysis(
        activity=activity,
        track=track,
        splits_km=splits_km,
        splits_mile=splits_mile,
        efforts=efforts,
        speed_curve=curve,
        zones=zones,
        decoupling=dec,
        stops=stops,
        final_mile=fm,
        summary=summary,
        athlete=athlete,
        stage_times=times,
    )
