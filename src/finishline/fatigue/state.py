"""The runner's fatigue state along a race: every component per second and per km, and onset.

:func:`fatigue_state` is the orchestrator: it composes the pure component functions
(pace fade, cardiac decoupling, speed-corrected gait, D' balance, glycogen margin) into one
per-second and one per-km frame, scores them into the composite index and applies the onset
rule. It estimates nothing about the athlete: the values come from one
:class:`~finishline.athlete.Athlete` (whose own rules fill what was not given), and a component
whose input is missing is NaN.

References
----------
science.md sections 2.1 (Rapoport), 2.2 (CS, D'), 2.3 (decoupling, gait) and 5 (state
features). Smyth B. (2021) *PLOS ONE* 16:e0251513 (5-20 km reference).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from finishline.athlete import Athlete
from finishline.clean import TRACK_COLUMNS
from finishline.definitions import DEFAULT_BODY_MASS_KG, DEFAULT_D_PRIME_M, Race, detect_race
from finishline.fatigue import cardiac, composite, dprime, gait, glycogen, pace_fade
from finishline.fatigue.reference import (
    km_index,
    km_weighted_mean,
    moving_mask,
    track_column,
)
from finishline.metrics.splits import splits

#: Fraction of CS above which time counts as "time above 90 % CS" (science.md section 5).
HIGH_CS_FRACTION = 0.90


@dataclass
class FatigueState:
    """The runner's fatigue state along a race.

    Attributes
    ----------
    per_second
        On the track's index: ``distance_m``, ``pace_ratio``, ``decoupling``,
        ``cadence_residual``, ``stride_residual``, ``d_prime_balance_m``, ``d_prime_spent``,
        ``cs_fraction``, ``intensity_u``, ``cho_used_kcal``, ``cho_left_kcal``,
        ``glycogen_used_fraction``, ``fuel_distance_km``, ``wall_at_km``,
        ``glycogen_margin_km``, the ``score_*`` columns and ``fatigue_index``.
    per_km
        One row per kilometre started (index ``km``, 1-based): ``distance_end_m``,
        ``km_length_m``, ``moving_time_s``, ``speed_mps``, ``gap_speed_mps``, ``pace_ratio``,
        ``pace_fade_slope_per_km``, cardiac (``heart_rate_bpm``, ``efficiency_m_per_beat``,
        ``decoupling``, ``pa_hr_cumulative``), gait residual means, ``d_prime_min_m``,
        ``d_prime_spent``, ``cs_fraction``, ``time_above_90cs_s``, glycogen values at the
        end of the km, the ``score_*`` columns and ``fatigue_index``.
    onset_km
        Where fatigue set in (km), NaN if it never did (:mod:`finishline.fatigue.composite`).
    signal_onsets_km
        Where each signal set in (km), None when it never did or is not measured.
    assumed
        Components whose input would be an estimate drawn from the race itself (D' without a
        known critical speed, glycogen without a known max HR): computed and shown, but kept
        out of the index, the signal order and the risk.
    """

    per_second: pd.DataFrame = field(default_factory=pd.DataFrame)
    per_km: pd.DataFrame = field(default_factory=pd.DataFrame)
    onset_km: float = float("nan")
    signal_onsets_km: dict[str, float | None] = field(default_factory=dict)
    assumed: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        """True when nothing could be computed (no distance)."""
        return self.per_km.empty


def complete_track(track: pd.DataFrame) -> pd.DataFrame:
    """The track with every column of :data:`finishline.clean.TRACK_COLUMNS`: a missing one is
    derived where it can be (``moving`` from speed, ``elapsed_s`` from the index) or all-NaN
    (all-False for the flags), so every component can run and the missing ones come out NaN."""
    missing = [c for c in TRACK_COLUMNS if c not in track.columns]
    if not missing:
        return track
    added: dict[str, object] = {}
    for name in missing:
        if name == "moving":
            added[name] = moving_mask(track).to_numpy()
        elif name == "elapsed_s" and isinstance(track.index, pd.DatetimeIndex):
            added[name] = (track.index.asi8 - track.index.asi8[0]) / 1e9 if len(track) else []
        elif name == "elapsed_s":
            added[name] = np.arange(len(track), dtype=float)
        elif name in ("paused", "in_gap", "hr_artefact"):
            added[name] = np.zeros(len(track), dtype=bool)
        else:
            added[name] = track_column(track, name).to_numpy()
    return track.assign(**added)


def assumed_components(athlete: Athlete) -> frozenset[str]:
    """Fatigue components whose input would be an estimate drawn from this very race.

    D' balance needs critical speed, and an estimate from the race's mean speed is circular; the
    glycogen margin needs the HR intensity, which a max HR guessed from the race's mean HR
    assumes rather than measures.
    """
    assumed = set()
    if not athlete.is_known("critical_speed_mps"):
        assumed.add("d_prime")
    if not athlete.max_hr_known:
        assumed.add("glycogen")
    return frozenset(assumed)


def fatigue_state(
    track: pd.DataFrame,
    athlete: Athlete | None = None,
    race: Race | None = None,
    *,
    store_kcal: float | None = None,
    vo2max_ml_kg_min: float | None = None,
    onset_threshold: float = composite.ONSET_THRESHOLD,
    onset_min_km: int = composite.ONSET_MIN_KM,
    grade_adjusted: bool = True,
) -> FatigueState:
    """Fatigue components, composite index and onset for one race track.

    Parameters
    ----------
    track
        1 Hz track indexed by UTC timestamp with ``elapsed_s``, ``moving``, ``distance_m``,
        ``speed_mps``, ``gap_speed_mps``, ``heart_rate_bpm``, ``cadence_spm``,
        ``stride_length_m`` (any may be all-NaN or absent; the matching components are NaN).
    athlete
        The athlete's values (:func:`finishline.athlete.for_race` fills the missing ones):
        max and rest HR (1/min) for %HRR, critical speed (m/s) and D' (m), body mass (kg),
        carbohydrate intake (g/h). A missing value leaves its component NaN.
    race
        The race: its reference window and distance (glycogen margin to the finish);
        detected from the track's distance when omitted.
    store_kcal
        Carbohydrate store (kcal); Rapoport's ``C`` for the body mass by default.
    vo2max_ml_kg_min
        VO2max (mL/kg/min); lets the glycogen model use speed where heart rate is missing.
    onset_threshold, onset_min_km
        Onset rule (see :func:`composite.fatigue_onset_km`).
    grade_adjusted
        Use ``gap_speed_mps`` as the effort speed (default). Pass ``False`` to use the plain
        ``speed_mps`` where the altitude is too noisy for grade adjustment.

    Returns
    -------
    FatigueState

    References
    ----------
    science.md sections 2.1, 2.2, 2.3 and 5; see each component module for its sources.
    """
    athlete = athlete or Athlete()
    track = complete_track(track)
    distance = track["distance_m"]
    if len(track) < 2 or not (distance.max() > 0):
        return FatigueState()
    race = race or detect_race(float(distance.max()))
    start_m, end_m = race.reference_window_m
    if not grade_adjusted:
        track = track.assign(gap_speed_mps=track_column(track, "speed_mps"))
    assumed = assumed_components(athlete)
    weights = {
        n: w for n, w in composite.WEIGHTS.items() if n.removeprefix("score_") not in assumed
    }
    cs = athlete.finite("critical_speed_mps")
    d_prime_m = athlete.finite("d_prime_m") or DEFAULT_D_PRIME_M
    body_mass = athlete.finite("body_mass_kg") or DEFAULT_BODY_MASS_KG

    ref_speed = pace_fade.reference_speed_mps(track, start_m, end_m)
    ref_ef = cardiac.reference_efficiency(track, start_m, end_m)
    store = glycogen.glycogen_store_kcal(body_mass) if store_kcal is None else store_kcal

    per_second = pd.DataFrame(index=track.index)
    per_second["distance_m"] = distance
    per_second["pace_ratio"] = pace_fade.pace_ratio(track, ref_speed)
    per_second["decoupling"] = cardiac.decoupling(track, ref_ef)
    per_second = per_second.join(gait.gait_residuals(track, start_m=start_m, end_m=end_m))
    per_second = per_second.join(
        dprime.d_prime_state(track, cs if cs is not None else float("nan"), d_prime_m)
    )
    fuel = glycogen.glycogen_margin(
        track,
        body_mass_kg=body_mass,
        hr_max_bpm=athlete.finite("max_hr_bpm"),
        hr_rest_bpm=athlete.finite("rest_hr_bpm"),
        store_kcal=store,
        carb_intake_g_per_h=athlete.finite("carbs_g_per_h") or 0.0,
        race_distance_m=race.measured_m,
        vo2max_ml_kg_min=vo2max_ml_kg_min,
    )
    fuel.insert(3, "glycogen_used_fraction", 1.0 - fuel["cho_left_kcal"] / store)
    per_second = per_second.join(fuel)
    per_second = per_second.join(composite.component_scores(per_second))
    per_second["fatigue_index"] = composite.fatigue_index(per_second, weights)

    per_km = _per_km(track, per_second, ref_speed, ref_ef, (start_m, end_m), weights)
    onset = composite.fatigue_onset_km(
        per_km["fatigue_index"], threshold=onset_threshold, min_km=onset_min_km
    )
    onsets = composite.signal_onsets(per_km)
    onsets.update({name: None for name in assumed if name in onsets})
    per_km.attrs.update(
        reference_speed_mps=ref_speed,
        reference_efficiency_m_per_beat=ref_ef,
        critical_speed_mps=cs,
        d_prime_m=d_prime_m,
        hr_max_bpm=athlete.finite("max_hr_bpm"),
        hr_rest_bpm=athlete.finite("rest_hr_bpm"),
        store_kcal=store,
        onset_km=onset,
    )
    return FatigueState(per_second, per_km, onset, onsets, assumed)


def km_table(track: pd.DataFrame, reference_mps: float) -> pd.DataFrame:
    """One row per kilometre started, from :func:`finishline.metrics.splits.splits`.

    Returns
    -------
    pandas.DataFrame
        Index ``km`` (1-based): ``distance_end_m``, ``km_length_m`` (m; the last may be
        partial), ``moving_time_s`` (s), ``speed_mps`` (distance over moving time),
        ``gap_speed_mps`` (grade-adjusted) and ``pace_ratio`` (reference speed over the
        kilometre's grade-adjusted speed).
    """
    columns = ["distance_end_m", "km_length_m", "moving_time_s", "speed_mps", "gap_speed_mps"]
    if not np.isfinite(track["distance_m"].to_numpy(float)).any():
        empty = {c: pd.Series(dtype="float64") for c in [*columns, "pace_ratio"]}
        return pd.DataFrame(empty, index=pd.RangeIndex(0, name="km"))
    table = splits(track, 1000.0)
    moving = table["moving_s"].where(table["moving_s"] > 0)
    speed = table["distance_m"] / moving
    grade_factor = table["pace_s_per_km"] / table["gap_pace_s_per_km"]
    out = pd.DataFrame(index=pd.Index(table["split"].to_numpy(), name="km"))
    out["distance_end_m"] = table["end_m"].to_numpy()
    out["km_length_m"] = table["distance_m"].to_numpy()
    out["moving_time_s"] = table["moving_s"].to_numpy()
    out["speed_mps"] = speed.to_numpy()
    out["gap_speed_mps"] = (speed * grade_factor.fillna(1.0)).to_numpy()
    out["pace_ratio"] = reference_mps / out["gap_speed_mps"].where(out["gap_speed_mps"] > 0)
    return out


def _per_km(
    track: pd.DataFrame,
    per_second: pd.DataFrame,
    ref_speed: float,
    ref_ef: float,
    window_m: tuple[float, float],
    weights: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Aggregate the per-second state into one row per kilometre started."""
    out = km_table(track, ref_speed)
    km = km_index(per_second["distance_m"])
    moving = pace_fade.moving_seconds(track)
    raw_cadence, _ = gait.speed_corrected_residual(track, "cadence_spm", *window_m)
    raw_stride, _ = gait.speed_corrected_residual(track, "stride_length_m", *window_m)
    out["pace_fade_slope_per_km"] = pace_fade.fade_slope(out["pace_ratio"])
    out = out.join(cardiac.km_decoupling(track, ref_ef))
    out["cadence_residual"] = km_weighted_mean(raw_cadence, moving, km)
    out["stride_residual"] = km_weighted_mean(raw_stride, moving, km)
    by_km = per_second.groupby(km.to_numpy())
    out["d_prime_min_m"] = by_km["d_prime_balance_m"].min()
    out["d_prime_spent"] = by_km["d_prime_spent"].max()
    out["cs_fraction"] = km_weighted_mean(per_second["cs_fraction"], moving, km)
    high = (per_second["cs_fraction"] >= HIGH_CS_FRACTION).astype("float64")
    out["time_above_90cs_s"] = (high * moving).groupby(km.to_numpy()).sum()
    fuel_cols = [
        "cho_used_kcal",
        "cho_left_kcal",
        "glycogen_used_fraction",
        "fuel_distance_km",
        "wall_at_km",
        "glycogen_margin_km",
    ]
    out = out.join(by_km[fuel_cols].last())
    out["intensity_u"] = km_weighted_mean(per_second["intensity_u"], moving, km)
    out = out.join(composite.component_scores(out))
    out["fatigue_index"] = composite.fatigue_index(out, weights)
    out.index.name = "km"
    return out
