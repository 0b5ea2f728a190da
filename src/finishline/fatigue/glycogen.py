"""Rapoport's glycogen model: carbohydrate use along the race and the "glycogen margin".

Running costs about 1 kcal per kg body mass per km. The carbohydrate share of that energy
rises with relative intensity ``u`` (VO2/VO2max, here approximated by the heart-rate reserve
fraction %HRR): ``F_CHO(u) = 0.73 u^2 + 0.25 u + 0.01`` (fitted to Romijn 1993). The store is
``C = C_liver + f_leg * m * rho_musc``. Along the race the store left is
``R(d) = C - sum(m * F_CHO(u) * dd) + intake``, and the distance it still lasts at the
current intensity is ``R / (m * F_CHO(u_now) - intake per km)``. The glycogen margin is that
distance minus the race distance still to run (km): negative means the model expects the
store to run out before the finish.

Everything here is an estimate: the equation forms are recalled (science.md marks them so),
%HRR is a proxy for %VO2max, and the store depends on diet and carbo-loading (rho_musc
reaches 144 kcal/kg only at maximal supercompensation; 80 kcal/kg is a moderate default).

References
----------
Rapoport B. I. (2010) Metabolic factors limiting performance in marathon runners. *PLoS
Comput Biol* 6:e1000960. Romijn J. A. et al. (1993) (substrate use vs intensity).
science.md section 2.1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finishline.fatigue.reference import TrackArrays

#: Energy cost of running (kcal per kg body mass per km).
ENERGY_KCAL_PER_KG_KM = 1.0
#: Liver glycogen (kcal; ~100 g).
LIVER_KCAL = 400.0
#: Leg-muscle mass as a fraction of body mass.
LEG_FRACTION = 0.20
#: Glycogen energy density in leg muscle (kcal per kg muscle); 144 at full supercompensation.
MUSCLE_KCAL_PER_KG = 80.0
#: Energy per gram of ingested carbohydrate (kcal/g).
KCAL_PER_G_CHO = 4.0
#: Trailing window (s) for the "current" intensity used to project the store forward.
INTENSITY_WINDOW_S = 600.0
#: Window (s) smoothing heart rate before it becomes intensity.
HR_SMOOTH_S = 30.0


def carbohydrate_fraction(u: np.ndarray | pd.Series | float) -> np.ndarray | pd.Series | float:
    """Carbohydrate share of energy at relative intensity ``u`` (fraction 0..1).

    ``F_CHO(u) = 0.73 u^2 + 0.25 u + 0.01``, clipped to [0, 1]; 0.48 / 0.61 / 0.75 at
    u = 0.65 / 0.75 / 0.85. ``u`` is clipped to [0, 1] first.

    References
    ----------
    Rapoport (2010) fitted to Romijn (1993); science.md section 2.1 [equation recalled].
    """
    u = np.clip(u, 0.0, 1.0)
    return np.clip(0.73 * u**2 + 0.25 * u + 0.01, 0.0, 1.0)


def glycogen_store_kcal(
    body_mass_kg: float,
    leg_fraction: float = LEG_FRACTION,
    muscle_kcal_per_kg: float = MUSCLE_KCAL_PER_KG,
    liver_kcal: float = LIVER_KCAL,
) -> float:
    """Total carbohydrate store ``C = C_liver + f_leg * m * rho_musc`` (kcal).

    Parameters
    ----------
    body_mass_kg
        Body mass m (kg).
    leg_fraction
        Leg-muscle mass as a fraction of body mass (default 0.20).
    muscle_kcal_per_kg
        Glycogen density of leg muscle (kcal/kg; default 80, up to 144 when carbo-loaded).
    liver_kcal
        Liver store (kcal; default 400, ~100 g).

    Returns
    -------
    float
        C in kcal: 1520 kcal for 70 kg with the defaults.

    References
    ----------
    Rapoport (2010); science.md section 2.1.
    """
    return float(liver_kcal + leg_fraction * body_mass_kg * muscle_kcal_per_kg)


def distance_to_wall_km(
    store_kcal: float | np.ndarray,
    body_mass_kg: float,
    u: float | np.ndarray,
) -> float | np.ndarray:
    """Distance until the carbohydrate store is empty at steady intensity (km).

    ``d_wall(u) = C / (m * ENERGY_KCAL_PER_KG_KM * F_CHO(u))``: ~36 / 40 / 45 km at
    u = 0.75 / 0.70 / 0.65 for the 70 kg, C = 1520 kcal example.

    References
    ----------
    Rapoport (2010); science.md section 2.1 (worked example).
    """
    burn = body_mass_kg * ENERGY_KCAL_PER_KG_KM * carbohydrate_fraction(u)
    return store_kcal / burn


def intensity_from_heart_rate(
    heart_rate_bpm: pd.Series | np.ndarray,
    hr_max_bpm: float,
    hr_rest_bpm: float,
) -> pd.Series | np.ndarray:
    """Relative intensity u as the heart-rate-reserve fraction ``(HR - rest) / (max - rest)``.

    A field proxy for VO2/VO2max (Rapoport 2010), clipped to [0, 1].

    References
    ----------
    Rapoport (2010); science.md section 2.1 ("u ~ %HRR").
    """
    reserve = float(hr_max_bpm) - float(hr_rest_bpm)
    if not np.isfinite(reserve) or reserve <= 0:
        return heart_rate_bpm * np.nan
    return np.clip((heart_rate_bpm - hr_rest_bpm) / reserve, 0.0, 1.0)


def intensity_from_speed(speed_mps: pd.Series, vo2max_ml_kg_min: float) -> pd.Series:
    """Relative intensity from speed when heart rate is missing: ``u = v[km/h] / (0.3 VO2max)``.

    Uses Rapoport's ~200 mL O2 per kg per km running economy; clipped to [0, 1].

    References
    ----------
    Rapoport (2010); science.md section 2.1.
    """
    return np.clip(speed_mps * 3.6 / (0.3 * float(vo2max_ml_kg_min)), 0.0, 1.0)


def glycogen_margin(
    track: pd.DataFrame,
    *,
    body_mass_kg: float = 70.0,
    hr_max_bpm: float | None = None,
    hr_rest_bpm: float | None = None,
    store_kcal: float | None = None,
    carb_intake_g_per_h: float = 0.0,
    race_distance_m: float | None = None,
    vo2max_ml_kg_min: float | None = None,
) -> pd.DataFrame:
    """Per-second carbohydrate use, store left, distance to the wall and glycogen margin.

    Parameters
    ----------
    track
        1 Hz track (``heart_rate_bpm``, ``distance_m``, ``moving``, speeds).
    body_mass_kg
        Body mass (kg); default 70 kg (the worked example).
    hr_max_bpm, hr_rest_bpm
        Maximal and resting heart rate (1/min) for %HRR. Required for an HR-based intensity;
        :func:`finishline.fatigue.state.fatigue_state` supplies documented estimates.
    store_kcal
        Carbohydrate store C (kcal); :func:`glycogen_store_kcal` of the body mass by default.
    carb_intake_g_per_h
        Carbohydrate eaten or drunk during the race (g/h), spread evenly over moving time.
    race_distance_m
        Race distance (m); the track's final distance by default (post-race analysis).
    vo2max_ml_kg_min
        VO2max (mL/kg/min); used for a speed-based intensity where heart rate is missing.

    Returns
    -------
    pandas.DataFrame
        ``intensity_u`` (fraction), ``cho_used_kcal`` (cumulative), ``cho_left_kcal``,
        ``fuel_distance_km`` (km the store still lasts at the trailing-10-min intensity and
        intake; negative once past the wall; inf when intake covers use), ``wall_at_km``
        (race position of the projected wall, km) and ``glycogen_margin_km`` (fuel distance
        minus km still to run). All NaN when there is neither heart rate nor a speed-based
        intensity.

    References
    ----------
    Rapoport (2010) *PLoS Comput Biol* 6:e1000960; science.md sections 2.1 and 5.
    """
    columns = glycogen_margin_of(
        TrackArrays(track),
        body_mass_kg=body_mass_kg,
        hr_max_bpm=hr_max_bpm,
        hr_rest_bpm=hr_rest_bpm,
        store_kcal=store_kcal,
        carb_intake_g_per_h=carb_intake_g_per_h,
        race_distance_m=race_distance_m,
        vo2max_ml_kg_min=vo2max_ml_kg_min,
    )
    return pd.DataFrame(columns, index=track.index)


def glycogen_margin_of(
    arrays: TrackArrays,
    *,
    body_mass_kg: float = 70.0,
    hr_max_bpm: float | None = None,
    hr_rest_bpm: float | None = None,
    store_kcal: float | None = None,
    carb_intake_g_per_h: float = 0.0,
    race_distance_m: float | None = None,
    vo2max_ml_kg_min: float | None = None,
) -> dict[str, np.ndarray]:
    """:func:`glycogen_margin` on a track's arrays."""
    store = glycogen_store_kcal(body_mass_kg) if store_kcal is None else float(store_kcal)
    u = _intensity(arrays, hr_max_bpm, hr_rest_bpm, vo2max_ml_kg_min)
    distance = arrays.column("distance_m")
    if race_distance_m is not None:
        race_m = float(race_distance_m)
    else:
        race_m = float(np.nanmax(distance)) if (~np.isnan(distance)).any() else float("nan")
    moving = arrays.moving_s
    km_step = np.where(moving > 0, arrays.step_m, 0.0) / 1000.0
    burn_per_km = body_mass_kg * ENERGY_KCAL_PER_KG_KM * carbohydrate_fraction(u)
    used = np.cumsum(np.where(np.isnan(burn_per_km), 0.0, burn_per_km) * km_step)
    intake_kcal_per_s = carb_intake_g_per_h * KCAL_PER_G_CHO / 3600.0
    eaten = np.cumsum(moving * intake_kcal_per_s)
    left = store - used + eaten
    u_now = arrays.trailing_mean(u, moving, INTENSITY_WINDOW_S)
    speed_now = arrays.trailing_mean(arrays.effort_speed, moving, INTENSITY_WINDOW_S)
    with np.errstate(invalid="ignore", divide="ignore"):
        intake_per_km = intake_kcal_per_s * 1000.0 / np.where(speed_now > 0, speed_now, np.nan)
        net_per_km = body_mass_kg * ENERGY_KCAL_PER_KG_KM * carbohydrate_fraction(u_now)
        net_per_km = net_per_km - np.where(np.isnan(intake_per_km), 0.0, intake_per_km)
        # Not clipped at 0: past the wall the fuel distance is negative, so ``wall_at_km``
        # keeps pointing at where the store ran out instead of following the runner.
        fuel_km = np.where(
            net_per_km > 0, left / np.where(net_per_km > 0, net_per_km, np.nan), np.inf
        )
    fuel_km = np.where(np.isnan(u_now), np.nan, fuel_km)
    held_km = np.nan_to_num(arrays.distance_held, nan=0.0)
    to_run_km = np.clip(race_m - held_km, 0.0, None) / 1000.0
    out = {
        "intensity_u": u,
        "cho_used_kcal": used,
        "cho_left_kcal": left,
        "fuel_distance_km": fuel_km,
        "wall_at_km": held_km / 1000.0 + fuel_km,
        "glycogen_margin_km": fuel_km - to_run_km,
    }
    if np.isnan(u).all():
        nan = np.full(arrays.size, np.nan)
        out.update({name: nan for name in out if name != "intensity_u"})
    return out


def _intensity(
    arrays: TrackArrays,
    hr_max_bpm: float | None,
    hr_rest_bpm: float | None,
    vo2max_ml_kg_min: float | None,
) -> np.ndarray:
    """Relative intensity per sample: %HRR of smoothed HR, else speed-based, interpolated."""
    hr = arrays.column("heart_rate_bpm")
    u = np.full(arrays.size, np.nan)
    if (~np.isnan(hr)).any() and hr_max_bpm is not None and hr_rest_bpm is not None:
        smooth = arrays.trailing_mean(hr, np.ones(arrays.size), HR_SMOOTH_S)
        u = np.asarray(intensity_from_heart_rate(smooth, hr_max_bpm, hr_rest_bpm), dtype="float64")
    if vo2max_ml_kg_min is not None:
        by_speed = intensity_from_speed(arrays.effort_speed, vo2max_ml_kg_min)
        u = np.where(np.isnan(u), by_speed, u)
    known = ~np.isnan(u)
    if known.any() and not known.all():
        # Short HR dropouts: carry the neighbouring intensity across rather than burn nothing.
        rows = np.arange(u.size)
        u = np.where(known, u, np.interp(rows, rows[known], u[known]))
    return u
