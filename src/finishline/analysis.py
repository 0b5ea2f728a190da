"""``analyze``: the race-analysis pipeline composed from the pure stages.

Stages, in order (each is a plain function that can be called and timed alone):
``clean`` -> ``splits`` (km and mile) -> ``efforts`` (best efforts + speed curve) -> ``zones``
-> ``decoupling`` -> ``stops`` -> ``final_mile`` -> ``fatigue`` -> ``risk`` -> ``verdict``
-> ``summary``. :class:`RaceAnalysis` keeps every intermediate table, the athlete parameters
used (each flagged ``given``, ``estimated`` or ``default``, estimates with their ``rule``) and
the seconds each stage took (``stage_times``).

Athlete defaults (one :class:`~finishline.errors.EstimateWarning` per estimated value):

* **max HR**: given; else Tanaka ``208 - 0.7 x age`` when the age is given (never below the
  run's observed peak); else, for runs of at least 90 min, ``max(observed peak, mean moving
  HR / 0.88)`` (runners race a marathon at ~80-90 % of max HR, so its observed peak is well
  below max); shorter runs use the observed peak (99.5th percentile of clean HR).
* **rest HR**: :data:`DEFAULT_REST_HR_BPM` (50 bpm, a trained runner) unless given.
* **critical speed**: given; else mean grade-adjusted speed / 0.848 (Smyth & Muniz-Pumares
  2020), which is circular for the risk's CS terms, so they are left out.

Zones, fatigue (glycogen intensity as %HRR) and risk all use the same values.

References
----------
Tanaka H., Monahan K. D., Seals D. R. (2001) Age-predicted maximal heart rate revisited.
*J Am Coll Cardiol* 37:153-156. Smyth B., Muniz-Pumares D. (2020) *Med Sci Sports Exerc*
52:2637 (marathons at 84.8 % CS). science.md sections 2.1-2.3, 4 and 5.
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from finishline.activity import Activity, to_jsonable
from finishline.clean import clean
from finishline.definitions import (
    DEFAULT_BODY_MASS_KG,
    DEFAULT_REST_HR_BPM,
    LONG_RACE_S,
    METRE_PER_MILE,
    RACE_HR_FRACTION_OF_MAX,
)
from finishline.errors import EstimateWarning, FinishlineError
from finishline.fatigue import estimate_critical_speed, fatigue_state
from finishline.fatigue.composite import WEIGHTS
from finishline.metrics.decoupling import Decoupling, decoupling
from finishline.metrics.efforts import best_efforts, speed_curve
from finishline.metrics.final_mile import final_mile
from finishline.metrics.splits import splits
from finishline.metrics.stops import stops_and_walks
from finishline.metrics.zones import estimate_max_hr, karvonen_bounds, time_in_zones
from finishline.risk.watch import watch_risk
from finishline.verdict import race_verdict, signal_onsets


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
    fatigue: pd.DataFrame = field(default_factory=pd.DataFrame)
    fatigue_per_second: pd.DataFrame = field(default_factory=pd.DataFrame)
    fatigue_onset_km: float = float("nan")
    signal_onsets_km: dict[str, float | None] = field(default_factory=dict)
    risk: pd.DataFrame = field(default_factory=pd.DataFrame)
    verdict: str = ""
    stage_times: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (no NaN: ``None`` instead; timestamps as ISO 8601 strings)."""
        dec = self.decoupling
        out = {
            "summary": self.summary,
            "athlete": self.athlete,
            "splits": self.splits_km,
            "splits_mile": self.splits_mile,
            "final_mile": self.final_mile | {"grade": self.final_mile.get("severity")},
            "verdict": self.verdict,
            "risk": risk_records(self.risk),
            "risk_info": risk_info(self.risk),
            "fatigue": {
                "onset_km": self.fatigue_onset_km,
                "signal_onsets_km": self.signal_onsets_km,
                "per_km": self.fatigue.reset_index() if not self.fatigue.empty else [],
            },
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
    if isinstance(out, float) and not math.isfinite(out):
        return None
    return out


def risk_records(risk: pd.DataFrame) -> list[dict[str, Any]]:
    """The risk timeline as JSON records: ``km``, ``p_fail``, ``p_lo``, ``p_hi``, ``p_splits``,
    ``p_splits_lo``, ``p_splits_hi``, ``logit_adjustment``, ``top_signals`` (list) and
    ``signals`` (name -> ``{"value", "logit_shift"}``; value None when unavailable)."""
    if risk is None or risk.empty:
        return []
    names = [c.removeprefix("signal_") for c in risk.columns if c.startswith("signal_")]
    plain = ["km", "clock_s", "p_fail", "p_lo", "p_hi", "p_splits", "p_splits_lo", "p_splits_hi"]
    records = []
    for row in risk.to_dict(orient="records"):
        rec: dict[str, Any] = {k: row[k] for k in plain}
        rec["km"] = int(rec["km"])
        rec["logit_adjustment"] = row["logit_adjustment"]
        rec["top_signals"] = [n for n in str(row["top_signals"]).split(", ") if n]
        rec["signals"] = {
            n: {"value": row[f"signal_{n}"], "logit_shift": row[f"shift_{n}"]} for n in names
        }
        records.append(rec)
    return jsonable(records)


def risk_info(risk: pd.DataFrame) -> dict[str, Any]:
    """What the risk numbers are: calibrated part, assumption, unavailable signals, notes."""
    attrs = risk.attrs if risk is not None else {}
    return {
        "definition": "final-mile failure: last mile >= 25 % slower than the 5-20 km pace, "
        "or >= 60 s walking/stopped in it",
        "p_splits": "calibrated: landmark logistic model on Boston 2014 + Chicago 2023 chip "
        "splits (clock time at each km), 90 % band",
        "p_fail": "p_splits shifted on the log-odds scale by physiological warning signs "
        "(model assumption, not calibrated; each term <= 0.5, total <= 1.0 logit; band "
        "widened by the shift)",
        "starts_at_km": 5,
        "unavailable_signals": dict(attrs.get("unavailable_signals", {})),
        "notes": list(attrs.get("notes", [])),
    }


def estimate_athlete_max_hr(track: pd.DataFrame, age: float | None = None) -> tuple[float, str]:
    """Max HR (bpm) when the athlete gives none, and the rule used (see the module docstring).

    Returns
    -------
    (float, str)
        The estimate (NaN without heart rate) and the rule in words.

    References
    ----------
    Tanaka H. et al. (2001) *J Am Coll Cardiol* 37:153 (208 - 0.7 x age).
    """
    hr = track["heart_rate_bpm"].to_numpy(float)
    peak = estimate_max_hr(hr)
    if not np.isfinite(peak):
        return float("nan"), "no heart rate in the file"
    if age is not None and np.isfinite(age):
        tanaka = 208.0 - 0.7 * float(age)
        return max(tanaka, peak), "Tanaka 208 - 0.7 x age (not below the observed peak)"
    duration = float(track["elapsed_s"].iloc[-1] - track["elapsed_s"].iloc[0])
    if duration >= LONG_RACE_S:
        moving = track["moving"].to_numpy(bool) & np.isfinite(hr)
        mean = float(hr[moving].mean()) if moving.any() else float("nan")
        race_rule = mean / RACE_HR_FRACTION_OF_MAX if np.isfinite(mean) else peak
        return (
            max(peak, race_rule),
            f"max(observed peak, mean moving HR / {RACE_HR_FRACTION_OF_MAX}) for a run >= 90 min",
        )
    return peak, "observed peak (99.5th percentile of clean HR)"


def athlete_parameters(
    track: pd.DataFrame,
    *,
    max_hr_bpm: float | None = None,
    rest_hr_bpm: float | None = None,
    critical_speed_mps: float | None = None,
    body_mass_kg: float | None = None,
    carbs_g_per_h: float | None = None,
    age: float | None = None,
    warn: bool = True,
    **others: Any,
) -> dict[str, dict[str, Any]]:
    """The athlete parameters used, each ``{"value": ..., "source": given|estimated|default}``.

    Estimated and default values also carry a ``rule`` (how they were obtained). Other
    keyword parameters (``sex``, ...) are recorded as given when not ``None``. With ``warn``,
    one :class:`~finishline.errors.EstimateWarning` is emitted per estimated or defaulted
    parameter that the fatigue and risk models use (max HR, rest HR, critical speed).
    """
    params: dict[str, dict[str, Any]] = {}
    notices: list[str] = []
    has_hr = bool(np.isfinite(track["heart_rate_bpm"].to_numpy(float)).any())
    if max_hr_bpm is None:
        value, rule = estimate_athlete_max_hr(track, age)
        params["max_hr_bpm"] = {"value": value, "source": "estimated", "rule": rule}
        if has_hr:
            notices.append(
                f"max heart rate estimated as {value:.0f} bpm ({rule}); give max_hr_bpm (--max-hr) or age (--age)"
            )
    else:
        params["max_hr_bpm"] = {"value": float(max_hr_bpm), "source": "given"}
    if rest_hr_bpm is None:
        params["rest_hr_bpm"] = {
            "value": DEFAULT_REST_HR_BPM,
            "source": "default",
            "rule": "typical resting heart rate of a trained runner",
        }
        if has_hr:
            notices.append(
                f"resting heart rate assumed {DEFAULT_REST_HR_BPM:.0f} bpm; give rest_hr_bpm (--rest-hr)"
            )
    else:
        params["rest_hr_bpm"] = {"value": float(rest_hr_bpm), "source": "given"}
    if critical_speed_mps is None:
        cs = estimate_critical_speed(track, warn=False)
        params["critical_speed_mps"] = {
            "value": cs,
            "source": "estimated",
            "rule": "mean grade-adjusted race speed / 0.848 (Smyth & Muniz-Pumares 2020)",
        }
        if np.isfinite(cs):
            notices.append(
                f"critical speed estimated as {cs:.2f} m/s (mean race speed / 0.848); "
                "give critical_speed_mps (--critical-speed) for the %CS risk terms"
            )
    else:
        params["critical_speed_mps"] = {"value": float(critical_speed_mps), "source": "given"}
    if body_mass_kg is None:
        params["body_mass_kg"] = {
            "value": DEFAULT_BODY_MASS_KG,
            "source": "default",
            "rule": "Rapoport (2010) worked example",
        }
    else:
        params["body_mass_kg"] = {"value": float(body_mass_kg), "source": "given"}
    if carbs_g_per_h is None:
        params["carbs_g_per_h"] = {
            "value": 0.0,
            "source": "default",
            "rule": "no carbohydrate intake assumed (pessimistic for the glycogen margin)",
        }
    else:
        params["carbs_g_per_h"] = {"value": float(carbs_g_per_h), "source": "given"}
    if age is not None:
        params["age"] = {"value": age, "source": "given"}
    for name, value in others.items():
        if value is not None:
            params[name] = {"value": value, "source": "given"}
    if warn:
        for text in notices:
            warnings.warn(text, EstimateWarning, stacklevel=3)
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


def _analyze(
    activity_or_path: Activity | str | PathLike[str],
    *,
    max_hr_bpm: float | None = None,
    rest_hr_bpm: float | None = None,
    zone_bounds_bpm: list[float] | None = None,
    gap_model: str = "strava",
    body_mass_kg: float | None = None,
    sex: str | None = None,
    age: float | None = None,
    critical_speed_mps: float | None = None,
    carbs_g_per_h: float | None = None,
    **clean_options: Any,
) -> RaceAnalysis:
    """Analyse one run: clean track, splits, efforts, zones, decoupling, stops, final mile,
    fatigue state, final-mile risk timeline and the verdict in words.

    Parameters
    ----------
    activity_or_path
        An :class:`Activity` or a path :func:`finishline.read` can open.
    max_hr_bpm, rest_hr_bpm
        Athlete heart rates (bpm); estimated/defaulted when omitted (module docstring).
    zone_bounds_bpm
        Explicit zone edges (bpm); default: Karvonen 50/60/70/80/90/100 % of HR reserve.
    gap_model
        ``"strava"`` (default) or ``"minetti"``.
    body_mass_kg
        Body mass (kg) for the glycogen model; 70 kg when omitted.
    sex, age
        ``"M"``/``"F"`` and years: used by the risk model (and age by the max-HR estimate).
    critical_speed_mps
        Critical speed (m/s), e.g. from training history; estimated from the race when
        omitted (and the %CS risk terms are then left out).
    carbs_g_per_h
        Carbohydrate taken during the race (g/h) for the glycogen model; 0 when omitted.
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
    sex = normalize_sex(sex)
    athlete = athlete_parameters(
        track,
        max_hr_bpm=max_hr_bpm,
        rest_hr_bpm=rest_hr_bpm,
        critical_speed_mps=critical_speed_mps,
        body_mass_kg=body_mass_kg,
        carbs_g_per_h=carbs_g_per_h,
        age=age,
        sex=sex,
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
    fatigue_per_second, fatigue, onset = _fatigue(track, athlete)
    onsets = signal_onsets(fatigue)
    onsets.update({name: None for name in assumed_components(athlete) if name in onsets})
    lap("fatigue")
    risk = watch_risk(
        track,
        fatigue,
        sex=sex,
        age=age,
        cs_given=athlete["critical_speed_mps"]["source"] == "given",
        max_hr_known=athlete["max_hr_bpm"]["source"] == "given" or age is not None,
    )
    lap("risk")
    verdict = race_verdict(fm, risk, fatigue_onset_km=onset, signal_onsets_km=onsets)
    lap("verdict")
    summary = race_summary(activity, track, dec, stops, splits_km)
    summary["final_mile_pace_ratio"] = fm["pace_ratio"]
    summary["final_mile_failed"] = fm["failed"]
    summary["fatigue_onset_km"] = onset
    for km in (30, 35):
        at = risk.loc[risk["km"] == km, "p_fail"] if not risk.empty else pd.Series([], dtype=float)
        summary[f"risk_at_{km}km"] = float(at.iloc[0]) if len(at) else None
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
        fatigue=fatigue,
        fatigue_per_second=fatigue_per_second,
        fatigue_onset_km=onset,
        signal_onsets_km=onsets,
        risk=risk,
        verdict=verdict,
        stage_times=times,
    )


@functools.wraps(_analyze)
def analyze(activity_or_path: Activity | str | PathLike[str], **options: Any) -> RaceAnalysis:
    # An error raised deep in a pure stage (splits, zones...) knows no file: name it here.
    try:
        return _analyze(activity_or_path, **options)
    except FinishlineError as exc:
        if exc.path is not None:
            raise
        source = (
            activity_or_path.meta.source_path
            if isinstance(activity_or_path, Activity)
            else str(activity_or_path)
        )
        raise type(exc)(exc.reason, source) from exc


def normalize_sex(sex: str | None) -> str | None:
    """``"M"``, ``"F"`` or None from common spellings (m/male/man, f/female/woman)."""
    if sex is None:
        return None
    key = str(sex).strip().lower()
    if key in ("m", "male", "man"):
        return "M"
    if key in ("f", "female", "woman"):
        return "F"
    return None


def assumed_components(athlete: dict[str, dict[str, Any]]) -> set[str]:
    """Fatigue components whose input would be an estimate drawn from this very race.

    D' balance needs critical speed, and an estimate from the race's mean speed is circular; the
    glycogen margin needs the HR intensity, which a max HR guessed from the race's mean HR
    assumes rather than measures. Such components are still computed and shown, but they stay
    out of the composite index and of the verdict's order of signals.
    """
    assumed = set()
    if athlete["critical_speed_mps"]["source"] != "given":
        assumed.add("d_prime")
    if athlete["max_hr_bpm"]["source"] != "given" and "age" not in athlete:
        assumed.add("glycogen")
    return assumed


def _fatigue(
    track: pd.DataFrame, athlete: dict[str, dict[str, Any]]
) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """:func:`fatigue_state` with the athlete values every other stage uses (no re-warning)."""
    if len(track) < 2 or float(track["distance_m"].iloc[-1]) <= 0:
        return pd.DataFrame(), pd.DataFrame(), float("nan")

    def finite(name: str) -> float | None:
        value = athlete[name]["value"]
        return float(value) if value is not None and np.isfinite(value) else None

    cs = finite("critical_speed_mps")
    assumed = assumed_components(athlete)
    weights = {name: w for name, w in WEIGHTS.items() if name.removeprefix("score_") not in assumed}
    with warnings.catch_warnings():
        # Every estimate was announced once by athlete_parameters.
        warnings.simplefilter("ignore", EstimateWarning)
        per_second, per_km, onset = fatigue_state(
            track,
            body_mass_kg=float(athlete["body_mass_kg"]["value"]),
            hr_max_bpm=finite("max_hr_bpm"),
            hr_rest_bpm=finite("rest_hr_bpm"),
            critical_speed_mps=cs if cs is not None else float("nan"),
            carb_intake_g_per_h=float(athlete["carbs_g_per_h"]["value"]),
            weights=weights,
        )
    return per_second, per_km, onset
