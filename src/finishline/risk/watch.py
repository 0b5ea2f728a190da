"""Final-mile risk along a race recorded by a watch: chip-split model + physiological adjustment.

Two layers, kept apart so a reader always sees which number is calibrated:

1. **Calibrated** (``p_splits``): the cumulative *clock* time at every whole kilometre of the
   1 Hz track (linear interpolation in distance, pauses included, exactly like chip timing) is
   fed, all km at once, to :meth:`LandmarkRiskModel.predict_timeline`: one logistic model
   whose coefficients vary smoothly with distance, fitted on every chip mat of Boston 2014 and
   Chicago 2023 together, so the value at every km is the validated model itself (and at a
   mat it equals what ``risk-splits`` gives on the same times). Its 90 % band combines
   bootstrap parameter uncertainty and the between-race spread of base rates. The timeline
   runs from 5 km (the first window needs 5 km of race) to the start of the race's final
   mile. A marathon gets the calibrated model; another distance gets it transferred by race
   fraction with a wider band, labelled so (:mod:`finishline.risk.transfer`).

2. **Model assumption, not calibrated** (``logit_adjustment``): chip splits cannot see the
   body, a watch can. Signals that science.md ties to late collapse each add a small,
   bounded, one-sided shift to the log-odds. There is no labelled watch data with physiology
   to fit these shifts on, so their sizes are a stated assumption:

   ====================  ===============================  =========  =============  ==========
   signal                value at km k (causal)           neutral    full shift at  max shift
   ====================  ===============================  =========  =============  ==========
   ``glycogen``          Rapoport glycogen margin (km),   >= 0 km    -10 km         0.5 logit
                         HR-based intensity
   ``decoupling``        cumulative Pa:HR from 5 km       <= 5 %     15 %           0.5 logit
   ``gait``              mean abs. speed-corrected        <= 2 %     6 %            0.5 logit
                         cadence residual, last 3 km
   ``first_half_cs``     mean speed / CS over the first   <= 94 %    100 %          0.5 logit
                         half (given CS only)
   ``d_prime``           peak D' spent so far             <= 50 %    100 %          0.5 logit
                         (given CS only)
   ====================  ===============================  =========  =============  ==========

   Each shift is linear between ``neutral`` and ``full`` and flat outside, so it is bounded
   and monotone in its signal. The shifts are scaled by a distance ramp ``(k - 10) / 10``
   clipped to [0, 1]: early in the race every signal is a projection over 30+ km
   (glycogen), measured over a few kilometres (Pa:HR), or against a reference window that
   is not complete yet (gait, 5-20 km), so they count fully only from 20 km. The total is
   capped at :data:`MAX_TOTAL_SHIFT` (1.0 logit). The adjustment only ever raises the risk
   (the signals are warning signs; the chip model already averages over runners without
   them), so ``p_fail >= p_splits`` by construction.

   The band is widened by the size of the adjustment on each side: ``p_lo`` is the chip
   model's lower bound (the adjustment may be worth nothing), ``p_hi`` adds the shift twice
   (it may be worth double). When critical speed is estimated from the race itself
   (mean speed / 0.848), %CS is circular (a runner who faded gets a low CS and a high early
   %CS), so the two CS terms are left out and say why.

References
----------
science.md section 4 (the FMF definition) and section 5 (layer 1 state, layer 2 calibrated
statistics, layer 3 risk with a band and the top contributing mechanistic features).
Rapoport B. I. (2010) *PLoS Comput Biol* 6:e1000960 (glycogen margin). TrainingPeaks, "Aerobic
Decoupling and Efficiency Factor" (5 % Pa:HR convention). Clermont C. A. et al. (2019) *J Appl
Biomech*; Hanley B. et al. (2020) *Front Sports Act Living* 2:102 (gait changes late in the
marathon). Smyth B., Muniz-Pumares D. (2020) *Med Sci Sports Exerc* 52:2637 (first half above
94 % CS). Skiba P. F. et al. (2015) (D' balance). van Houwelingen H. C. (2007) *Scand J Stat*
34:70 (landmarking).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from finishline.breaks import JUMP_TOLERANCE_M, LONG_STOP, distance_reached, first_break, race_start
from finishline.definitions import Race, detect_race
from finishline.formatting import format_h_min
from finishline.risk.landmark import MIN_KM, LandmarkRiskModel
from finishline.risk.logodds import expit, logit
from finishline.risk.physiology import (
    MAX_TOTAL_SHIFT,
    SIGNAL_TERMS,
    TERMS_BY_NAME,
    SignalTerm,
    distance_ramp,
    logit_shifts,
    physiological_signals,
    shift_arrays,
    signals_at,
    top_signals,
    unavailable_signals,
)
from finishline.risk.transfer import risk_setup

__all__ = [
    "MAX_TOTAL_SHIFT",
    "SIGNAL_TERMS",
    "TERMS_BY_NAME",
    "SignalTerm",
    "clock_times_at_km",
    "distance_ramp",
    "logit_shifts",
    "physiological_signals",
    "shipped_model",
    "timeline_kms",
    "unavailable_signals",
    "watch_risk",
]


@lru_cache(maxsize=1)
def shipped_model() -> LandmarkRiskModel:
    """The shipped chip-split model (loaded once per process)."""
    return LandmarkRiskModel.load()


def clock_times_at_km(track: pd.DataFrame, start: int | None = None) -> pd.Series:
    """Cumulative clock time (s) at every whole kilometre of the track, like a chip mat.

    Parameters
    ----------
    track
        1 Hz track with ``distance_m`` and ``elapsed_s`` (elapsed time since the start,
        pauses included), and ``moving`` to find where the runner set off.
    start
        Row where the runner set off; :func:`finishline.breaks.race_start` by default.

    Returns
    -------
    pandas.Series
        Indexed by whole km (1, 2, ... up to the last whole km reached), seconds since the
        runner set off (:func:`finishline.breaks.race_start`: a chip's clock starts at the
        start mat, so a wait in the start pen with the watch running is not counted), linearly
        interpolated in distance between the samples that bracket each mark. Distance is the
        track's own, made non-decreasing first (a device correcting itself backwards).
    """
    start = race_start(track) if start is None else start
    dist = distance_reached(track["distance_m"].to_numpy(float))
    elapsed = track["elapsed_s"].to_numpy(float)
    dist, elapsed = dist[start:], elapsed[start:] - elapsed[start]
    ok = np.isfinite(elapsed)
    dist, elapsed = dist[ok], elapsed[ok]
    n_km = int(dist[-1] // 1000.0) if dist.size else 0
    kms = np.arange(1, n_km + 1, dtype=float)
    # First crossing of each mark: searchsorted on the non-decreasing distance.
    hi = np.clip(np.searchsorted(dist, kms * 1000.0, side="left"), 1, max(dist.size - 1, 1))
    lo = hi - 1
    span = dist[hi] - dist[lo]
    frac = np.where(span > 0, (kms * 1000.0 - dist[lo]) / np.where(span > 0, span, 1.0), 1.0)
    times = elapsed[lo] + np.clip(frac, 0.0, 1.0) * (elapsed[hi] - elapsed[lo])
    return pd.Series(times, index=pd.Index(kms.astype(int), name="km"), name="clock_s")


def broken_from_km(track: pd.DataFrame, start: int | None = None) -> int | None:
    """The first whole km whose clock time holds a break (:func:`finishline.breaks.
    first_break`) after the runner set off (:func:`finishline.breaks.race_start`): jumps
    across recording gaps that have added more than :data:`~finishline.breaks.
    JUMP_TOLERANCE_M` of distance, or a stop of at least :data:`~finishline.breaks.
    LONG_PAUSE_S`. Its clock time is not race time, so no risk is scored from there. None
    when the whole track is fit to judge. ``start`` is the row where the runner set off
    (found by default)."""
    start = race_start(track) if start is None else start
    cut = first_break(track.iloc[start:])
    if cut is None:
        return None
    return int(np.nan_to_num(track["distance_m"].to_numpy(float)[start + cut]) // 1000.0) + 1


def timeline_kms(race: Race, reached_km: int) -> np.ndarray:
    """Whole km scored for ``race``: from 5 km to the start of its final mile (inclusive).

    ``reached_km`` is the last whole km the track reached (no km beyond it is scored).
    """
    end = min(float(np.floor(race.final_segment_start_m / 1000.0 + 1e-9)), float(reached_km))
    return np.arange(MIN_KM, end + 1.0, dtype=float) if end >= MIN_KM else np.zeros(0)


def watch_risk(
    track: pd.DataFrame,
    fatigue_per_km: pd.DataFrame | None = None,
    *,
    sex: str | None = None,
    age: float | None = None,
    cs_given: bool = False,
    max_hr_known: bool = True,
    race: Race | None = None,
    model: LandmarkRiskModel | None = None,
    top_n: int = 3,
) -> pd.DataFrame:
    """Final-mile failure risk at every whole kilometre of a recorded race.

    Parameters
    ----------
    track
        Clean 1 Hz track (``distance_m``, ``elapsed_s``).
    fatigue_per_km
        Per-km fatigue frame (:func:`finishline.fatigue.fatigue_state`); without it the
        risk is the chip-split model alone.
    sex, age
        ``"M"``/``"F"`` and years, passed to the chip-split model (None when unknown).
    cs_given
        Critical speed was given by the athlete (enables the CS terms).
    max_hr_known
        Max heart rate was given or follows from age (enables the glycogen term).
    race
        The race (:func:`finishline.definitions.detect_race`); detected from the track's
        distance by default. A marathon gets the calibrated model, any other distance the
        marathon model transferred by race fraction (:mod:`finishline.risk.transfer`).
    model
        The chip-split model; the shipped one by default.
    top_n
        How many contributing signals to name in ``top_signals``.

    Returns
    -------
    pandas.DataFrame
        One row per whole km from 5 km to the start of the race's final mile
        (``race.final_segment_start_m``): ``km``, ``clock_s``, ``p_fail`` (combined),
        ``p_lo``, ``p_hi`` (90 % band, widened for the adjustment), ``p_splits``,
        ``p_splits_lo``, ``p_splits_hi`` (chip-split model alone), ``logit_adjustment``,
        ``log_odds_splits`` and ``landmark_km`` (where the model was read), the signal values
        (``signal_<name>``), their shifts (``shift_<name>``) and ``top_signals`` (names of the
        terms with a positive shift, largest first, comma-separated). Empty when the final
        mile starts before 5 km. ``attrs`` hold ``unavailable_signals`` (name -> reason),
        ``notes``, ``race`` (key), ``race_label``, ``calibrated`` (bool), ``calibration``
        (label to show), ``starts_at_km``, ``ends_at_km`` and ``set_off_s`` (elapsed s when
        the runner set off: where the clock starts, :func:`finishline.breaks.race_start`).

    References
    ----------
    See the module docstring.
    """
    model = shipped_model() if model is None else model
    start = race_start(track)
    clock = clock_times_at_km(track, start)
    total_m = float(np.nanmax(track["distance_m"].to_numpy(float))) if len(track) else 0.0
    race = detect_race(total_m) if race is None else race
    setup = risk_setup(race)
    kms = timeline_kms(race, int(clock.index.max()) if len(clock) else 0)
    end_km = race.final_segment_start_m / 1000.0
    notes = [f"nothing before {MIN_KM:g} km: the model's first window needs {MIN_KM:g} km of race"]
    set_off_s = float(track["elapsed_s"].iloc[start]) if start else 0.0
    if set_off_s > 0:
        notes.append(
            f"the clock starts when you set off, {format_h_min(set_off_s)} after the watch "
            "started: a wait before the start is not race time"
        )
    if setup.mapping:
        notes.append(f"{setup.calibration}: {setup.mapping}")
    info = {
        "race": race.key,
        "race_label": race.label,
        "calibrated": setup.calibrated,
        "calibration": setup.calibration,
        "starts_at_km": MIN_KM,
        "ends_at_km": end_km,
        "set_off_s": set_off_s,
    }
    columns = ["km", "clock_s", "p_fail", "p_lo", "p_hi", "p_splits", "p_splits_lo"]
    if not kms.size:
        out = pd.DataFrame(columns=[*columns, "p_splits_hi", "logit_adjustment", "top_signals"])
        why = f"the final mile of this {race.label} starts at {end_km:.1f} km, before {MIN_KM:g} km"
        out.attrs.update(info, unavailable_signals={}, notes=[*notes, f"no risk: {why}"])
        return out
    broken = broken_from_km(track, start)
    if broken is not None and kms.size and kms[-1] >= broken:
        kms = kms[kms < broken]
        notes.append(
            f"no risk from {broken} km: distance that came in jumps across recording gaps "
            f"(more than {JUMP_TOLERANCE_M:.0f} m in all), or {LONG_STOP}, leaves no race time "
            "to judge there"
        )
        if not kms.size:
            out = pd.DataFrame(columns=[*columns, "p_splits_hi", "logit_adjustment", "top_signals"])
            out.attrs.update(info, unavailable_signals={}, notes=notes)
            return out
    else:
        notes.append(
            f"the timeline ends at {kms[-1]:g} km: the final mile starts at {end_km:.1f} km"
        )
    scored = model.timeline_columns(
        kms, clock, sex=sex, age=age, windows=setup.windows, extra_sd=setup.extra_sd
    )
    km_int = kms.astype(int)
    names = [t.name for t in SIGNAL_TERMS]
    signals = signals_at(fatigue_per_km, kms, cs_given=cs_given, max_hr_known=max_hr_known)
    shifts = shift_arrays(signals, kms)
    adj = shifts["logit_adjustment"]
    p_splits, p_splits_hi, eta = scored["p_fail"], scored["p_hi"], scored["log_odds"]
    eta_hi = logit(np.clip(p_splits_hi, 1e-12, 1 - 1e-12))
    clock_s = clock.to_numpy(float)[np.searchsorted(clock.index.to_numpy(), km_int)]
    columns = {
        "km": km_int,
        "clock_s": clock_s,
        # Where nothing shifts, keep the calibrated numbers bit for bit (no logit round trip).
        "p_fail": np.where(adj > 0, expit(eta + adj), p_splits),
        "p_lo": scored["p_lo"],
        "p_hi": np.where(adj > 0, expit(eta_hi + 2.0 * adj), p_splits_hi),
        "p_splits": p_splits,
        "p_splits_lo": scored["p_lo"],
        "p_splits_hi": p_splits_hi,
        "logit_adjustment": adj,
        "log_odds_splits": eta,
        "landmark_km": scored["landmark_km"],
    }
    columns |= {f"signal_{n}": signals[n] for n in names}
    columns |= {f"shift_{n}": shifts[f"shift_{n}"] for n in names}
    columns["top_signals"] = top_signals(shifts, top_n)
    out = pd.DataFrame(columns)
    out.attrs.update(
        info,
        unavailable_signals=unavailable_signals(
            signals, cs_given=cs_given, max_hr_known=max_hr_known
        ),
        notes=notes,
    )
    return out
