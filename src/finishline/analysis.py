"""``analyze``: the race-analysis pipeline composed from the pure stages.

Stages, in order (each is a plain function that can be called and timed alone):
``clean`` -> ``race`` (distance detected or given) -> ``athlete`` (missing values estimated)
-> ``splits`` (km and mile) -> ``efforts`` (best efforts + speed curve) -> ``zones``
-> ``decoupling`` -> ``stops`` -> ``final_mile`` -> ``fatigue`` -> ``risk`` -> ``verdict``
-> ``summary``. The result is a :class:`~finishline.results.RaceAnalysis`; the seconds each
stage took are in its ``stage_times``.

Only runs are races: a ride, a swim or a multisport file is refused with an
:class:`~finishline.errors.AnalysisError` naming the sport, unless ``sport="running"`` says the
file is mislabelled.

References
----------
science.md sections 1-5; the rules and their sources are in :mod:`finishline.definitions` and
:mod:`finishline.athlete`.
"""

from __future__ import annotations

import time
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from finishline.activity import Activity, normalize_sport
from finishline.athlete import Athlete, for_race
from finishline.clean import clean
from finishline.definitions import METRE_PER_MILE, Race, detect_race, not_a_run
from finishline.errors import AnalysisError, FinishlineError
from finishline.fatigue.state import fatigue_state
from finishline.metrics.decoupling import decoupling
from finishline.metrics.efforts import best_efforts_and_speed_curve
from finishline.metrics.final_mile import final_mile
from finishline.metrics.power import power_curve
from finishline.metrics.splits import jumped_steps, moving_paced, no_pace, splits
from finishline.metrics.stops import stops_and_walks
from finishline.metrics.zones import karvonen_bounds, moving_heart_rate, time_in_zones
from finishline.race_bounds import finish, from_set_off, warm_up
from finishline.results import RaceAnalysis, RaceSummary, RiskTimeline
from finishline.risk.watch import watch_risk
from finishline.summary import TIMER_SLACK_S, TIMER_SPAN_SHARE
from finishline.verdict import race_verdict


def check_sport(
    activity: Activity, track: pd.DataFrame | None = None, sport: str | None = None
) -> None:
    """Refuse an activity that is not a run (``sport="running"`` overrides the file).

    The rule is :func:`finishline.definitions.not_a_run`, the one a season applies too: the
    recorded sport (checked before cleaning) and, without one, the track's mean moving speed.

    Raises
    ------
    AnalysisError
        The file records a sport other than running (a ride, a swim, multisport...), or no
        sport at a speed no runner holds.
    """
    if sport is not None and normalize_sport(sport) == "running":
        return
    speed = float("nan")
    if track is not None:
        moving = track["moving"].to_numpy(bool)
        distance = float(track["distance_m"].iloc[-1])
        speed = distance / moving.sum() if moving.any() else float("nan")
    reason = not_a_run(activity.meta.sport, speed)
    if reason is not None:
        hint = "pass --sport running (sport='running') if the file is mislabelled"
        raise AnalysisError(f"{reason}, not a run: races are runs; {hint}")


def race_summary(
    activity: Activity, track: pd.DataFrame, splits_km: pd.DataFrame, stops: pd.DataFrame
) -> RaceSummary:
    """Headline figures of the run, computed from the clean track.

    A pace over no time (or no moving time), or over a distance that came mostly in jumps
    (:func:`finishline.metrics.splits.no_pace`), is None, not 0; the grade-adjusted pace
    covers the splits that have one; the device's timer total is kept only when it fits in
    the run's span (the check :func:`finishline.summary.timer_seconds` makes).
    """
    distance = float(track["distance_m"].iloc[-1])
    elapsed = float(track["elapsed_s"].iloc[-1])
    moving = float(track["moving"].sum())
    hr = moving_heart_rate(track)
    timer = activity.sessions["timer_s"] if not activity.sessions.empty else pd.Series([])
    graded = splits_km["gap_pace_s_per_km"].notna()
    gap_s = splits_km["gap_pace_s_per_km"][graded] * splits_km["distance_m"][graded] / 1000.0
    gap_m = float(splits_km["distance_m"][graded].sum())
    device_timer = float(timer.sum()) if timer.notna().any() else float("nan")
    timer_fits = 0.0 < device_timer <= TIMER_SPAN_SHARE * elapsed + TIMER_SLACK_S
    kinds = stops["kind"] if not stops.empty else pd.Series([], dtype=object)
    in_gap = track["in_gap"].to_numpy(bool)
    step = np.diff(track["distance_m"].to_numpy(float), prepend=np.nan)
    has_pace = not no_pace(np.array(jumped_steps(track).sum()), np.array(distance))
    return RaceSummary(
        sport=activity.meta.sport,
        format=activity.meta.format,
        start_time=track.index[0],
        start_time_local=activity.meta.start_time_local,
        distance_m=distance,
        elapsed_s=elapsed,
        moving_s=moving,
        device_timer_s=device_timer if timer_fits else None,
        pace_s_per_km=elapsed / distance * 1000.0 if has_pace and elapsed > 0 else None,
        moving_pace_s_per_km=(
            moving / distance * 1000.0 if has_pace and moving_paced(distance, moving) else None
        ),
        gap_pace_s_per_km=float(gap_s.sum() / gap_m * 1000.0) if gap_m > 0 else None,
        avg_hr_bpm=float(hr.mean()) if hr.size else None,
        max_hr_bpm=float(hr.max()) if hr.size else None,
        elev_gain_m=float(splits_km["elev_gain_m"].sum()),
        elev_loss_m=float(splits_km["elev_loss_m"].sum()),
        hr_artefact_s=float(track["hr_artefact"].sum()),
        stop_count=int((kinds == "stop").sum()),
        stop_s=float(stops.loc[kinds == "stop", "duration_s"].sum()) if len(kinds) else 0.0,
        walk_s=float(stops.loc[kinds == "walk", "duration_s"].sum()) if len(kinds) else 0.0,
        gap_s=float(in_gap.sum()),
        gap_distance_m=float(np.nansum(np.where(in_gap, step, 0.0))),
        altitude_source=track.attrs.get("altitude_source"),
        distance_source=track.attrs.get("distance_source"),
        gap_model=track.attrs.get("gap_model"),
    )


def data_warnings(activity: Activity, track: pd.DataFrame, athlete: Athlete) -> list[str]:
    """What a reader must know: reader damage and repairs, cleaning repairs, estimated values."""
    out = list(activity.meta.warnings) + list(track.attrs.get("warnings", []))
    for name, value, _, _ in athlete.estimates():
        if name in ("max_hr_bpm", "rest_hr_bpm", "critical_speed_mps") and value is not None:
            out.append(athlete.describe(name))
    return out


def _risk(track: pd.DataFrame, fatigue: Any, athlete: Athlete, race: Race) -> RiskTimeline:
    table = watch_risk(
        track,
        fatigue.per_km,
        sex=athlete.sex,
        age=athlete.finite("age"),
        cs_given=athlete.is_known("critical_speed_mps"),
        max_hr_known=athlete.max_hr_known,
        race=race,
    )
    return RiskTimeline(
        table=table,
        race=race,
        calibration=table.attrs.get("calibration", ""),
        unavailable_signals=dict(table.attrs.get("unavailable_signals", {})),
        notes=list(table.attrs.get("notes", [])),
        set_off_s=float(table.attrs.get("set_off_s", 0.0)),
    )


def _analyze(
    activity_or_path: Activity | str | PathLike[str],
    athlete: Athlete | None,
    race_distance_m: float | None,
    sport: str | None,
    zone_bounds_bpm: list[float] | None,
    gap_model: str,
    clean_options: dict[str, Any],
) -> RaceAnalysis:
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
    check_sport(activity, sport=sport)
    track = clean(activity, gap_model=gap_model, **clean_options)
    lap("clean")
    check_sport(activity, track, sport)
    warm = warm_up(track, race_distance_m)  # a warm-up and the wait for the gun: not the race
    if warm is not None:
        track = from_set_off(track, warm.set_off_row)
    # the watch left running past the finish, or a cool-down after it, is not the race
    fin = finish(track, race_distance_m)
    end = fin.rows
    raced = track.iloc[:end] if end < len(track) else track
    race = detect_race(float(raced["distance_m"].iloc[-1]), race_distance_m)
    athlete = for_race(athlete, raced)
    lap("athlete")
    splits_km = splits(track, 1000.0)
    splits_mile = splits(track, METRE_PER_MILE)
    lap("splits")
    efforts, curve = best_efforts_and_speed_curve(track)
    powers = power_curve(track)
    lap("efforts")
    if zone_bounds_bpm is not None:
        bounds = np.asarray(zone_bounds_bpm, dtype=float)
    else:
        max_hr, rest_hr = athlete.finite("max_hr_bpm"), athlete.finite("rest_hr_bpm")
        # an estimated max HR at or below the resting HR (a file of low HR) leaves no reserve
        has_reserve = max_hr is not None and rest_hr is not None and max_hr > rest_hr
        bounds = karvonen_bounds(max_hr, rest_hr) if has_reserve else None
    zones = time_in_zones(track, bounds) if bounds is not None else pd.DataFrame()
    lap("zones")
    dec = decoupling(track, end=end)
    lap("decoupling")
    stops = stops_and_walks(track)
    lap("stops")
    fm = final_mile(track, race, end=fin)
    lap("final_mile")
    fatigue = fatigue_state(raced, athlete, race)
    lap("fatigue")
    risk = _risk(raced, fatigue, athlete, race)
    lap("risk")
    verdict = race_verdict(fm, fatigue, risk, warm)
    lap("verdict")
    summary = race_summary(activity, track, splits_km, stops)
    lap("summary")
    return RaceAnalysis(
        activity=activity,
        track=track,
        race=race,
        athlete=athlete,
        summary=summary,
        splits_km=splits_km,
        splits_mile=splits_mile,
        efforts=efforts,
        speed_curve=curve,
        zones=zones,
        decoupling=dec,
        stops=stops,
        final_mile=fm,
        fatigue=fatigue,
        risk=risk,
        verdict=verdict,
        warnings=data_warnings(activity, track, athlete),
        stage_times=times,
        power_curve=powers,
        warm_up=warm,
    )


def analyze(
    activity_or_path: Activity | str | PathLike[str],
    *,
    athlete: Athlete | None = None,
    max_hr_bpm: float | None = None,
    rest_hr_bpm: float | None = None,
    sex: str | None = None,
    age: float | None = None,
    body_mass_kg: float | None = None,
    carbs_g_per_h: float | None = None,
    critical_speed_mps: float | None = None,
    race_distance_m: float | None = None,
    sport: str | None = None,
    zone_bounds_bpm: list[float] | None = None,
    gap_model: str = "strava",
    plan: str | PathLike[str] | dict[str, Any] | None = None,
    **clean_options: Any,
) -> RaceAnalysis:
    """Analyse one run: clean track, splits, efforts, zones, decoupling, stops, final mile,
    fatigue state, final-mile risk timeline and the verdict in words.

    Parameters
    ----------
    activity_or_path
        An :class:`~finishline.activity.Activity` or a path :func:`finishline.read` can open.
    athlete
        What is known about the runner (:class:`~finishline.athlete.Athlete`); the keyword
        values below are added to it as ``given``. Missing values are estimated or defaulted
        by the rules of :mod:`finishline.athlete`, each flagged and warned about.
    max_hr_bpm, rest_hr_bpm
        Heart rates (1/min).
    sex, age
        ``"M"``/``"F"`` (or male/female) and years: the risk model, and age for max HR.
    body_mass_kg, carbs_g_per_h
        Body mass (kg) and carbohydrate taken during the race (g/h), for the glycogen model.
    critical_speed_mps
        Critical speed (m/s) from training; estimated from the race when omitted (and the %CS
        risk terms are then left out).
    race_distance_m
        The race's distance (m) when the course measured long or short; detected otherwise.
    sport
        ``"running"`` to analyse a file whose recorded sport is wrong.
    zone_bounds_bpm
        Explicit zone edges (1/min); default Karvonen 50/60/70/80/90/100 % of HR reserve.
    gap_model
        ``"strava"`` (default) or ``"minetti"``.
    plan
        A race plan (the JSON of ``finishline plan --json``, as a path or loaded data): adds
        :attr:`RaceAnalysis.plan_vs_actual` (:func:`finishline.plan.compare.plan_vs_actual`).
    **clean_options
        Passed to :func:`finishline.clean.clean`.

    Returns
    -------
    RaceAnalysis

    Raises
    ------
    FinishlineError
        An unreadable file, an activity that is not a run, or one that cannot be analysed (no
        distance, a course); the message names the file.

    Examples
    --------
    >>> race = finishline.analyze("race.fit", max_hr_bpm=188, age=45)  # doctest: +SKIP
    >>> race.final_mile.outcome, race.risk_at(35)  # doctest: +SKIP
    """
    given = Athlete.given(
        max_hr_bpm=max_hr_bpm,
        rest_hr_bpm=rest_hr_bpm,
        sex=sex,
        age=age,
        body_mass_kg=body_mass_kg,
        carbs_g_per_h=carbs_g_per_h,
        critical_speed_mps=critical_speed_mps,
    )
    athlete = given if athlete is None else athlete.merged(given)
    try:
        result = _analyze(
            activity_or_path,
            athlete,
            race_distance_m,
            sport,
            zone_bounds_bpm,
            gap_model,
            clean_options,
        )
    except FinishlineError as exc:
        # An error raised deep in a pure stage (splits, zones...) knows no file: name it here.
        if exc.path is not None:
            raise
        source = (
            activity_or_path.meta.source_path
            if isinstance(activity_or_path, Activity)
            else str(activity_or_path)
        )
        raise type(exc)(exc.reason, source) from exc
    if plan is not None:  # the plan module loads only when a plan is given
        from finishline.plan.compare import compare_to_track

        result.plan_vs_actual = compare_to_track(
            plan, result.track, result.race.distance_m, given_m=race_distance_m
        )
    return result
