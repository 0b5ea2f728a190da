"""The runner's fatigue state along a race: every component per second and per km, and onset.

:func:`fatigue_state` is the orchestrator: it composes the pure component functions
(pace fade, cardiac decoupling, speed-corrected gait, D' balance, glycogen margin) into one
per-second and one per-km frame, scores them into the composite index and applies the onset
rule. Where athlete parameters are not given it uses documented estimates and says so with an
:class:`~finishline.errors.EstimateWarning`.

References
----------
science.md sections 2.1 (Rapoport), 2.2 (CS, D'), 2.3 (decoupling, gait) and 5 (state
features). Smyth B. (2021) *PLOS ONE* 16:e0251513 (5-20 km reference).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from finishline.definitions import DEFAULT_REST_HR_BPM
from finishline.errors import EstimateWarning
from finishline.fatigue import cardiac, composite, dprime, gait, glycogen, pace_fade
from finishline.fatigue.reference import (
    km_index,
    km_weighted_mean,
    track_column,
    trailing_mean,
)

#: Fraction of CS above which time counts as "time above 90 % CS" (science.md section 5).
HIGH_CS_FRACTION = 0.90


def fatigue_state(
    track: pd.DataFrame,
    *,
    body_mass_kg: float = 70.0,
    hr_max_bpm: float | None = None,
    hr_rest_bpm: float | None = None,
    critical_speed_mps: float | None = None,
    d_prime_m: float = dprime.DEFAULT_D_PRIME_M,
    store_kcal: float | None = None,
    carb_intake_g_per_h: float = 0.0,
    race_distance_m: float | None = None,
    vo2max_ml_kg_min: float | None = None,
    onset_threshold: float = composite.ONSET_THRESHOLD,
    onset_min_km: int = composite.ONSET_MIN_KM,
    grade_adjusted: bool = True,
    weights: dict[str, float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Fatigue components, composite index and onset for one race track.

    Parameters
    ----------
    track
        1 Hz track indexed by UTC timestamp with ``elapsed_s``, ``moving``, ``distance_m``,
        ``speed_mps``, ``gap_speed_mps``, ``heart_rate_bpm``, ``cadence_spm``,
        ``stride_length_m`` (any may be all-NaN or absent; the matching components are NaN).
    body_mass_kg
        Body mass (kg); 70 kg by default (glycogen model only).
    hr_max_bpm
        Maximal heart rate (1/min). Estimated as the highest 30-s mean HR of the race when
        omitted: a lower bound of the true maximum, so %HRR is then overestimated.
    hr_rest_bpm
        Resting heart rate (1/min); :data:`~finishline.definitions.DEFAULT_REST_HR_BPM` when omitted.
    critical_speed_mps
        Critical speed (m/s). Estimated from the race (mean grade-adjusted speed / 0.848,
        Smyth & Muniz-Pumares 2020) when omitted.
    d_prime_m
        D' (m); 150 m by default.
    store_kcal
        Carbohydrate store (kcal); Rapoport's ``C`` for the body mass by default.
    carb_intake_g_per_h
        Carbohydrate taken during the race (g/h).
    race_distance_m
        Race distance (m); the track's final distance by default.
    vo2max_ml_kg_min
        VO2max (mL/kg/min); lets the glycogen model use speed where heart rate is missing.
    onset_threshold, onset_min_km
        Onset rule (see :func:`composite.fatigue_onset_km`).
    weights
        Component weights of the composite index (:data:`composite.WEIGHTS` by default);
        leave out a component whose input was assumed rather than measured.
    grade_adjusted
        Use ``gap_speed_mps`` as the effort speed (default). Pass ``False`` to use the plain
        ``speed_mps`` where the altitude is too noisy for grade adjustment (a barometer
        drifting on a flat course inflates GAP, because uphill factors exceed downhill ones).

    Returns
    -------
    per_second : pandas.DataFrame
        On the track's index: ``distance_m``, ``pace_ratio``, ``decoupling``,
        ``cadence_residual``, ``stride_residual``, ``d_prime_balance_m``, ``d_prime_spent``,
        ``cs_fraction``, ``intensity_u``, ``cho_used_kcal``, ``cho_left_kcal``,
        ``glycogen_used_fraction``, ``fuel_distance_km``, ``wall_at_km``,
        ``glycogen_margin_km``, the ``score_*`` columns and ``fatigue_index``.
    per_km : pandas.DataFrame
        One row per kilometre started (1-based ``km``): splits (``speed_mps``,
        ``gap_speed_mps``, ``pace_ratio``, ``pace_fade_slope_per_km``), cardiac
        (``heart_rate_bpm``, ``efficiency_m_per_beat``, ``decoupling``,
        ``pa_hr_cumulative``), gait residual means, ``d_prime_min_m``, ``d_prime_spent``
        (maximum in the km), ``cs_fraction``, ``time_above_90cs_s``, glycogen values at the
        end of the km, the ``score_*`` columns and ``fatigue_index``.
    onset_km : float
        Race distance (km) where fatigue set in, NaN if it never did (see
        :mod:`finishline.fatigue.composite` for the rule).

    References
    ----------
    science.md sections 2.1, 2.2, 2.3 and 5; see each component module for its sources.
    """
    if not grade_adjusted:
        track = track.assign(gap_speed_mps=track_column(track, "speed_mps"))
    hr = track_column(track, "heart_rate_bpm")
    hr_max, hr_rest = _heart_rate_bounds(track, hr, hr_max_bpm, hr_rest_bpm)
    cs = critical_speed_mps
    if cs is None:
        cs = dprime.estimate_critical_speed(track, warn=True)

    ref_speed = pace_fade.reference_speed_mps(track)
    ref_ef = cardiac.reference_efficiency(track)
    store = glycogen.glycogen_store_kcal(body_mass_kg) if store_kcal is None else store_kcal

    per_second = pd.DataFrame(index=track.index)
    per_second["distance_m"] = track_column(track, "distance_m")
    per_second["pace_ratio"] = pace_fade.pace_ratio(track, ref_speed)
    per_second["decoupling"] = cardiac.decoupling(track, ref_ef)
    per_second = per_second.join(gait.gait_residuals(track))
    per_second = per_second.join(dprime.d_prime_state(track, cs, d_prime_m))
    fuel = glycogen.glycogen_margin(
        track,
        body_mass_kg=body_mass_kg,
        hr_max_bpm=hr_max,
        hr_rest_bpm=hr_rest,
        store_kcal=store,
        carb_intake_g_per_h=carb_intake_g_per_h,
        race_distance_m=race_distance_m,
        vo2max_ml_kg_min=vo2max_ml_kg_min,
    )
    fuel.insert(3, "glycogen_used_fraction", 1.0 - fuel["cho_left_kcal"] / store)
    per_second = per_second.join(fuel)
    per_second = per_second.join(composite.component_scores(per_second))
    per_second["fatigue_index"] = composite.fatigue_index(per_second, weights)

    per_km = _per_km(track, per_second, ref_speed, ref_ef, weights)
    onset = composite.fatigue_onset_km(
        per_km["fatigue_index"], threshold=onset_threshold, min_km=onset_min_km
    )
    per_km.attrs.update(
        reference_speed_mps=ref_speed,
        reference_efficiency_m_per_beat=ref_ef,
        critical_speed_mps=cs,
        d_prime_m=d_prime_m,
        hr_max_bpm=hr_max,
        hr_rest_bpm=hr_rest,
        store_kcal=store,
        onset_km=onset,
    )
    return per_second, per_km, onset


def _heart_rate_bounds(
    track: pd.DataFrame,
    hr: pd.Series,
    hr_max_bpm: float | None,
    hr_rest_bpm: float | None,
) -> tuple[float | None, float | None]:
    """HR max and rest for %HRR: given values, else documented estimates (with a warning)."""
    if hr.notna().sum() == 0:
        return hr_max_bpm, hr_rest_bpm
    hr_rest = DEFAULT_REST_HR_BPM if hr_rest_bpm is None else float(hr_rest_bpm)
    hr_max = hr_max_bpm
    if hr_max is None:
        smooth = trailing_mean(hr, pd.Series(1.0, index=track.index), 30.0)
        hr_max = float(np.nanmax(smooth.to_numpy()))
    if hr_max_bpm is None or hr_rest_bpm is None:
        warnings.warn(
            f"heart-rate bounds estimated (max {hr_max:.0f} = highest 30-s race mean, "
            f"rest {hr_rest:.0f}); pass hr_max_bpm and hr_rest_bpm",
            EstimateWarning,
            stacklevel=3,
        )
    return hr_max, hr_rest


def _per_km(
    track: pd.DataFrame,
    per_second: pd.DataFrame,
    ref_speed: float,
    ref_ef: float,
    weights: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Aggregate the per-second state into one row per kilometre started."""
    splits = pace_fade.km_splits(track, ref_speed)
    if splits.empty:
        out = splits
    else:
        km = km_index(per_second["distance_m"])
        moving = pace_fade.moving_seconds(track)
        raw_cadence, _ = gait.speed_corrected_residual(track, "cadence_spm")
        raw_stride, _ = gait.speed_corrected_residual(track, "stride_length_m")
        out = splits.copy()
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
            "intensity_u",
            "cho_used_kcal",
            "cho_left_kcal",
            "glycogen_used_fraction",
            "fuel_distance_km",
            "wall_at_km",
            "glycogen_margin_km",
        ]
        last = by_km[fuel_cols].last()
        out = out.join(last.drop(columns="intensity_u"))
        out["intensity_u"] = km_weighted_mean(per_second["intensity_u"], moving, km)
    out = out.join(composite.component_scores(out))
    out["fatigue_index"] = composite.fatigue_index(out, weights)
    out.index.name = "km"
    return out
