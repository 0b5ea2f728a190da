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
from finishline.breaks import judged_part
from finishline.clean import TRACK_COLUMNS
from finishline.definitions import (
    DEFAULT_BODY_MASS_KG,
    DEFAULT_D_PRIME_M,
    VEHICLE_SPEED_MPS,
    Race,
    detect_race,
)
from finishline.fatigue import cardiac, composite, dprime, gait, glycogen, pace_fade
from finishline.fatigue.reference import KmGroups, TrackArrays, track_column
from finishline.metrics.splits import (
    at_positions,
    crossing_positions,
    jumped_steps,
    moving_paced,
    no_pace,
    require_distance,
)

#: Fraction of CS above which time counts as "time above 90 % CS" (science.md section 5).
HIGH_CS_FRACTION = 0.90


@dataclass
class FatigueState:
    """The runner's fatigue state along a race.

    Attributes
    ----------
    per_second
        On the judged part of the track's index: ``distance_m``, ``pace_ratio``, ``decoupling``,
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
    judged_to_m
        Where the judged part of the track ends (m) when a long stop cut it
        (:func:`finishline.breaks.judged_part`); None when the whole track was judged.
    """

    per_second: pd.DataFrame = field(default_factory=pd.DataFrame)
    per_km: pd.DataFrame = field(default_factory=pd.DataFrame)
    onset_km: float = float("nan")
    signal_onsets_km: dict[str, float | None] = field(default_factory=dict)
    assumed: frozenset[str] = frozenset()
    judged_to_m: float | None = None

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
            added[name] = TrackArrays(track).moving
        elif name == "elapsed_s" and isinstance(track.index, pd.DatetimeIndex):
            ns = track.index.as_unit("ns").asi8
            added[name] = (ns - ns[0]) / 1e9 if len(track) else []
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

    The track is judged from its start to the end of its longest stretch between long stops
    (:func:`finishline.breaks.judged_part`): what follows a long stop after it (a second outing
    hours later in the same file) is not judged, and ``judged_to_m`` says where it stopped.
    Pass the race's own rows (``track.iloc[:finishline.race_bounds.race_end(track)]``, as
    :func:`finishline.analyze` does) to leave out a walk past the finish with the watch running.

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
    track, judged_to_m = judged_part(complete_track(track))
    if not grade_adjusted:
        track = track.assign(gap_speed_mps=track_column(track, "speed_mps"))
    arrays = TrackArrays(track)
    distance = arrays.column("distance_m")
    known = ~np.isnan(distance)
    if arrays.size < 2 or not known.any() or not (distance[known].max() > 0):
        return FatigueState()
    race = race or detect_race(float(distance[known].max()))
    window_m = race.reference_window_m
    assumed = assumed_components(athlete)
    weights = {
        n: w for n, w in composite.WEIGHTS.items() if n.removeprefix("score_") not in assumed
    }
    cs = athlete.finite("critical_speed_mps")
    d_prime_m = athlete.finite("d_prime_m") or DEFAULT_D_PRIME_M
    body_mass = athlete.finite("body_mass_kg") or DEFAULT_BODY_MASS_KG

    ref_speed = pace_fade.reference_speed_of(arrays, *window_m)
    ref_ef = cardiac.reference_efficiency_of(arrays, *window_m)
    store = glycogen.glycogen_store_kcal(body_mass) if store_kcal is None else store_kcal
    raw_gait = {
        name: gait.speed_corrected_residual_of(arrays, column, *window_m)[0]
        for name, column in (("cadence", "cadence_spm"), ("stride", "stride_length_m"))
    }

    columns = {
        "distance_m": distance,
        "pace_ratio": pace_fade.pace_ratio_of(arrays, ref_speed, pace_fade.PACE_WINDOW_S),
        "decoupling": cardiac.decoupling_of(arrays, ref_ef, cardiac.CARDIAC_WINDOW_S),
    }
    columns |= gait.gait_residuals_of(
        arrays, raw_gait["cadence"], raw_gait["stride"], gait.GAIT_WINDOW_S
    )
    columns |= dprime.d_prime_state_of(arrays, cs if cs is not None else float("nan"), d_prime_m)
    fuel = glycogen.glycogen_margin_of(
        arrays,
        body_mass_kg=body_mass,
        hr_max_bpm=athlete.finite("max_hr_bpm"),
        hr_rest_bpm=athlete.finite("rest_hr_bpm"),
        store_kcal=store,
        carb_intake_g_per_h=athlete.finite("carbs_g_per_h") or 0.0,
        race_distance_m=race.measured_m,
        vo2max_ml_kg_min=vo2max_ml_kg_min,
    )
    columns |= {name: fuel[name] for name in ("intensity_u", "cho_used_kcal", "cho_left_kcal")}
    # The share of the store used: 1 once the model's store is empty (the demand past the
    # wall shows in a negative fuel distance), 0 while intake covers use.
    columns["glycogen_used_fraction"] = np.clip(1.0 - fuel["cho_left_kcal"] / store, 0.0, 1.0)
    columns |= {
        name: fuel[name] for name in ("fuel_distance_km", "wall_at_km", "glycogen_margin_km")
    }
    columns |= composite.settle(composite.component_scores_of(columns), distance, window_m[0])
    columns["fatigue_index"] = composite.fatigue_index_of(columns, arrays.size, weights)
    per_second = _frame(columns, track.index)

    per_km = _per_km(arrays, columns, raw_gait, ref_speed, ref_ef, weights, window_m[0])
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
    return FatigueState(per_second, per_km, onset, onsets, assumed, judged_to_m)


def km_table(track: pd.DataFrame, reference_mps: float) -> pd.DataFrame:
    """One row per kilometre started, on the boundaries of :func:`finishline.metrics.splits.
    splits` (whole kilometres, then the finish), interpolated the same way.

    Returns
    -------
    pandas.DataFrame
        Index ``km`` (1-based): ``distance_end_m``, ``km_length_m`` (m; the last may be
        partial), ``moving_time_s`` (s), ``speed_mps`` (distance over moving time; NaN when
        faster than anything moves), ``gap_speed_mps`` (grade-adjusted) and ``pace_ratio``
        (reference speed over the kilometre's grade-adjusted speed); speeds are NaN for a
        kilometre without moving time or one that came mostly in jumps
        (:func:`finishline.metrics.splits.no_pace`), the pace ratio also for one faster than a
        vehicle's (:data:`~finishline.definitions.VEHICLE_SPEED_MPS`).
    """
    return _frame(km_table_of(TrackArrays(track), reference_mps))


#: Columns of :func:`km_table`.
KM_TABLE_COLUMNS = (
    "distance_end_m",
    "km_length_m",
    "moving_time_s",
    "speed_mps",
    "gap_speed_mps",
    "pace_ratio",
)


def _frame(columns: dict[str, np.ndarray], index: pd.Index | None = None) -> pd.DataFrame:
    """A frame of the columns in one new float64 block, indexed by ``index`` or, for per-km
    frames, the 1-based ``km`` (a frame built column by column costs milliseconds)."""
    size = len(next(iter(columns.values())))
    if index is None:
        index = pd.Index(np.arange(1, size + 1), name="km")
    block = np.vstack(list(columns.values()), dtype="float64")  # a copy the frame owns
    return pd.DataFrame(block.T, index=index, columns=list(columns), copy=False)


def km_table_of(arrays: TrackArrays, reference_mps: float) -> dict[str, np.ndarray]:
    """:func:`km_table` on a track's arrays: column name -> one value per kilometre."""
    distance = arrays.column("distance_m")
    if not np.isfinite(distance).any():
        return {name: np.empty(0) for name in KM_TABLE_COLUMNS}
    require_distance(arrays.track)
    total = float(distance[-1])
    bounds = np.arange(int(np.floor(total / 1000.0 + 1e-9)) + 1, dtype=float) * 1000.0
    if total - bounds[-1] > 1e-6:
        bounds = np.r_[bounds, total]
    moving = arrays.track["moving"].to_numpy(bool)  # read as splits reads it

    def delta(per_sample: np.ndarray) -> np.ndarray:
        cumulative = np.r_[0.0, np.cumsum(np.where(moving, per_sample, 0.0))[:-1]]
        return np.diff(at_positions(cumulative, positions))

    positions = crossing_positions(distance, bounds)
    length_m = np.diff(bounds)
    time_s = np.diff(at_positions(arrays.column("elapsed_s"), positions))
    moving_s = delta(np.ones(arrays.size))
    jumped = np.r_[0.0, np.cumsum(jumped_steps(arrays.track))[:-1]]
    paceless = no_pace(np.diff(at_positions(jumped, positions)), length_m)
    flat_m = delta(np.nan_to_num(arrays.column("speed_mps")))
    graded_m = delta(np.nan_to_num(arrays.column("gap_speed_mps")))
    with np.errstate(invalid="ignore", divide="ignore"):
        # The grade factor as splits derives it: clock pace over grade-adjusted clock pace.
        pace = np.where(length_m > 0, time_s / length_m * 1000.0, np.nan)
        gap_pace = pace / np.where(flat_m > 0, graded_m / flat_m, np.nan)
        grade_factor = pace / gap_pace
        speed = length_m / np.where(moving_paced(length_m, moving_s) & ~paceless, moving_s, np.nan)
        gap_speed = speed * np.where(np.isnan(grade_factor), 1.0, grade_factor)
        # a kilometre at a vehicle's speed (a ride in a mislabelled file) has no running pace
        running = (gap_speed > 0) & (gap_speed <= VEHICLE_SPEED_MPS)
        pace_ratio = reference_mps / np.where(running, gap_speed, np.nan)
    values = (bounds[1:], length_m, moving_s, speed, gap_speed, pace_ratio)
    return dict(zip(KM_TABLE_COLUMNS, values, strict=True))


def _per_km(
    arrays: TrackArrays,
    per_second: dict[str, np.ndarray],
    raw_gait: dict[str, np.ndarray],
    ref_speed: float,
    ref_ef: float,
    weights: dict[str, float] | None = None,
    settled_from_m: float = 0.0,
) -> pd.DataFrame:
    """Aggregate the per-second state into one row per kilometre started."""
    columns = km_table_of(arrays, ref_speed)
    n_km = len(columns["pace_ratio"])
    groups = KmGroups(arrays.km, n_km)
    moving = arrays.moving_s
    columns["pace_fade_slope_per_km"] = pace_fade.fade_slope_of(columns["pace_ratio"])
    columns |= cardiac.km_decoupling_of(arrays, groups, ref_ef)
    columns["cadence_residual"] = groups.weighted_mean(raw_gait["cadence"], moving)
    columns["stride_residual"] = groups.weighted_mean(raw_gait["stride"], moving)
    columns["d_prime_min_m"] = groups.min(per_second["d_prime_balance_m"])
    columns["d_prime_spent"] = groups.max(per_second["d_prime_spent"])
    columns["cs_fraction"] = groups.weighted_mean(per_second["cs_fraction"], moving)
    with np.errstate(invalid="ignore"):
        high = (per_second["cs_fraction"] >= HIGH_CS_FRACTION).astype("float64")
    columns["time_above_90cs_s"] = groups.sum(high * moving)
    for name in (
        "cho_used_kcal",
        "cho_left_kcal",
        "glycogen_used_fraction",
        "fuel_distance_km",
        "wall_at_km",
        "glycogen_margin_km",
    ):
        columns[name] = groups.last(per_second[name])
    columns["intensity_u"] = groups.weighted_mean(per_second["intensity_u"], moving)
    scores = composite.component_scores_of(columns)
    columns |= composite.settle(scores, columns["distance_end_m"], settled_from_m)
    columns["fatigue_index"] = composite.fatigue_index_of(columns, n_km, weights)
    return _frame(columns)
