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

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from finishline.definitions import Race, detect_race
from finishline.risk.landmark import MIN_KM, LandmarkRiskModel
from finishline.risk.transfer import risk_setup


@dataclass(frozen=True)
class SignalTerm:
    """One physiological log-odds term: linear from ``neutral`` (0) to ``full`` (``max_shift``).

    ``full`` may be below ``neutral`` (a signal whose warning direction is downwards).
    """

    name: str
    description: str
    neutral: float
    full: float
    max_shift: float = 0.5

    def shift(self, value: np.ndarray | pd.Series) -> np.ndarray:
        """Log-odds shift for signal values (0 where the value is missing)."""
        v = np.asarray(value, dtype="float64")
        frac = np.clip((v - self.neutral) / (self.full - self.neutral), 0.0, 1.0)
        return np.where(np.isfinite(v), self.max_shift * frac, 0.0)


#: The physiological terms, in the order of the table in the module docstring.
SIGNAL_TERMS: tuple[SignalTerm, ...] = (
    SignalTerm("glycogen", "glycogen margin (km) below zero", 0.0, -10.0),
    SignalTerm("decoupling", "cardiac decoupling (Pa:HR from 5 km) above 5 %", 0.05, 0.15),
    SignalTerm("gait", "speed-corrected cadence change above 2 % (last 3 km)", 0.02, 0.06),
    SignalTerm("first_half_cs", "first-half speed above 94 % of critical speed", 0.94, 1.00),
    SignalTerm("d_prime", "D' (distance above critical speed) more than half spent", 0.5, 1.0),
)
TERMS_BY_NAME = {term.name: term for term in SIGNAL_TERMS}

#: Cap on the summed shifts (logit).
MAX_TOTAL_SHIFT = 1.0
#: The distance ramp: shifts scale from 0 at RAMP_START_KM to 1 at RAMP_END_KM.
RAMP_START_KM = 10.0
RAMP_END_KM = 20.0
#: Gait residuals are judged once the 5-20 km reference window is complete.
GAIT_FROM_KM = 20
#: Trailing kilometres over which the gait change is averaged.
GAIT_WINDOW_KM = 3
#: Half marathon (km): the first-half window of the CS-intensity signal.
FIRST_HALF_KM = 21.0975
#: D' is judged from km 2 on: the first minutes' GPS speed spikes are not surges.
D_PRIME_FROM_KM = 2


@lru_cache(maxsize=1)
def shipped_model() -> LandmarkRiskModel:
    """The shipped chip-split model (loaded once per process)."""
    return LandmarkRiskModel.load()


def clock_times_at_km(track: pd.DataFrame) -> pd.Series:
    """Cumulative clock time (s) at every whole kilometre of the track, like a chip mat.

    Parameters
    ----------
    track
        1 Hz track with ``distance_m`` and ``elapsed_s`` (elapsed time since the start,
        pauses included).

    Returns
    -------
    pandas.Series
        Indexed by whole km (1, 2, ... up to the last whole km reached), seconds since the
        start, linearly interpolated in distance between the samples that bracket each mark.
        Distance is made non-decreasing first (a device correcting itself backwards).
    """
    dist = np.maximum.accumulate(np.nan_to_num(track["distance_m"].to_numpy(float), nan=0.0))
    elapsed = track["elapsed_s"].to_numpy(float)
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


def physiological_signals(
    fatigue_per_km: pd.DataFrame, *, cs_given: bool, max_hr_known: bool = True
) -> pd.DataFrame:
    """The value of every signal of :data:`SIGNAL_TERMS` at the end of each kilometre.

    Parameters
    ----------
    fatigue_per_km
        The per-km frame of :func:`finishline.fatigue.fatigue_state` (index: 1-based km).
    cs_given
        Whether critical speed was given (not estimated from this race); the CS terms are
        NaN otherwise.
    max_hr_known
        Whether max heart rate was given or follows from age. When it is estimated from this
        race's own mean HR, the HR-based intensity (and so the glycogen margin) would be
        assumed rather than measured: the glycogen term is NaN then.

    Returns
    -------
    pandas.DataFrame
        One column per term name, same index. Every value uses kilometres up to and
        including ``k`` only (cumulative Pa:HR, trailing gait mean, running maximum of D'
        spent, first-half mean so far); NaN where the track lacks the data.
    """
    per_km = fatigue_per_km
    index = per_km.index
    nan = pd.Series(np.nan, index=index, dtype="float64")

    def column(name: str) -> pd.Series:
        return per_km[name].astype("float64") if name in per_km else nan.copy()

    km = pd.Series(index.to_numpy(dtype=float), index=index)
    gait = column("cadence_residual").abs()
    gait = gait.rolling(GAIT_WINDOW_KM, min_periods=2).mean().where(km >= GAIT_FROM_KM)
    out = pd.DataFrame(
        {
            "decoupling": column("pa_hr_cumulative"),
            "gait": gait,
        },
        index=index,
    )
    # An infinite glycogen margin (intake covers use) is as safe as it gets: neutral, not NaN.
    margin = column("glycogen_margin_km")
    out["glycogen"] = margin.where(~np.isposinf(margin), 1e3).where(~np.isneginf(margin), -1e3)
    if not max_hr_known:
        out["glycogen"] = nan
    if cs_given:
        moving = column("moving_time_s").fillna(0.0)
        first = (km <= np.ceil(FIRST_HALF_KM)).astype(float)
        weighted = (column("cs_fraction").fillna(0.0) * moving * first).cumsum()
        weight = (moving * first * column("cs_fraction").notna()).cumsum()
        out["first_half_cs"] = (weighted / weight.where(weight > 0)).where(km >= 5)
        spent = column("d_prime_spent").where(km >= D_PRIME_FROM_KM)
        out["d_prime"] = spent.cummax().where(km >= D_PRIME_FROM_KM)
    else:
        out["first_half_cs"] = nan
        out["d_prime"] = nan
    return out[[term.name for term in SIGNAL_TERMS]]


def distance_ramp(km: np.ndarray | pd.Series) -> np.ndarray:
    """Weight of the physiological shifts at ``km``: 0 up to 10 km, 1 from 20 km, linear between."""
    k = np.asarray(km, dtype="float64")
    return np.clip((k - RAMP_START_KM) / (RAMP_END_KM - RAMP_START_KM), 0.0, 1.0)


def logit_shifts(signals: pd.DataFrame, km: np.ndarray | pd.Series) -> pd.DataFrame:
    """Per-term log-odds shifts (after the distance ramp) and their capped total.

    Returns
    -------
    pandas.DataFrame
        ``shift_<name>`` per term (0 to 0.5 logit each) and ``logit_adjustment``
        (their sum capped at :data:`MAX_TOTAL_SHIFT`; when capped, each term is scaled
        down in proportion so the terms still add up to the total).
    """
    ramp = distance_ramp(km)
    shifts = pd.DataFrame(
        {f"shift_{t.name}": t.shift(signals[t.name]) * ramp for t in SIGNAL_TERMS},
        index=signals.index,
    )
    raw = shifts.sum(axis=1)
    total = raw.clip(upper=MAX_TOTAL_SHIFT)
    scale = (total / raw.where(raw > 0)).fillna(1.0)
    shifts = shifts.mul(scale, axis=0)
    shifts["logit_adjustment"] = total
    return shifts


def unavailable_signals(
    signals: pd.DataFrame, *, cs_given: bool, max_hr_known: bool = True
) -> dict[str, str]:
    """Why each signal that never has a value is missing (term name -> reason)."""
    reasons = {
        "glycogen": (
            "no heart rate (the glycogen model needs an HR-based intensity)"
            if max_hr_known
            else "max heart rate estimated from this race: the intensity would be assumed, "
            "not measured (give max HR or age)"
        ),
        "decoupling": "no heart rate, or the run is too short for Pa:HR from 5 km",
        "gait": "no cadence, or the run does not reach 20 km (end of the gait reference)",
        "first_half_cs": "critical speed not given: estimated from this race it is circular",
        "d_prime": "critical speed not given: estimated from this race it is circular",
    }
    if cs_given:
        reasons["first_half_cs"] = reasons["d_prime"] = "no speed data"
    return {name: reasons[name] for name in signals if signals[name].isna().all()}


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
        (label to show), ``starts_at_km`` and ``ends_at_km``.

    References
    ----------
    See the module docstring.
    """
    model = shipped_model() if model is None else model
    clock = clock_times_at_km(track)
    total_m = float(np.nanmax(track["distance_m"].to_numpy(float))) if len(track) else 0.0
    race = detect_race(total_m) if race is None else race
    setup = risk_setup(race)
    kms = timeline_kms(race, int(clock.index.max()) if len(clock) else 0)
    end_km = race.final_segment_start_m / 1000.0
    notes = [f"nothing before {MIN_KM:g} km: the model's first window needs {MIN_KM:g} km of race"]
    if setup.mapping:
        notes.append(f"{setup.calibration}: {setup.mapping}")
    info = {
        "race": race.key,
        "race_label": race.label,
        "calibrated": setup.calibrated,
        "calibration": setup.calibration,
        "starts_at_km": MIN_KM,
        "ends_at_km": end_km,
    }
    columns = ["km", "clock_s", "p_fail", "p_lo", "p_hi", "p_splits", "p_splits_lo"]
    if not kms.size:
        out = pd.DataFrame(columns=[*columns, "p_splits_hi", "logit_adjustment", "top_signals"])
        why = f"the final mile of this {race.label} starts at {end_km:.1f} km, before {MIN_KM:g} km"
        out.attrs.update(info, unavailable_signals={}, notes=[*notes, f"no risk: {why}"])
        return out
    notes.append(f"the timeline ends at {kms[-1]:g} km: the final mile starts at {end_km:.1f} km")
    scored = model.predict_timeline(
        kms, clock, sex=sex, age=age, windows=setup.windows, extra_sd=setup.extra_sd
    )
    out = pd.DataFrame(
        {
            "km": kms.astype(int),
            "clock_s": clock.reindex(kms.astype(int)).to_numpy(float),
            "p_splits": scored["p_fail"].to_numpy(),
            "p_splits_lo": scored["p_lo"].to_numpy(),
            "p_splits_hi": scored["p_hi"].to_numpy(),
            "log_odds_splits": scored["log_odds"].to_numpy(),
            "landmark_km": scored["landmark_km"].to_numpy(),
        }
    )
    if fatigue_per_km is not None and not fatigue_per_km.empty:
        signals = physiological_signals(
            fatigue_per_km, cs_given=cs_given, max_hr_known=max_hr_known
        ).reindex(out["km"])
    else:
        signals = pd.DataFrame(
            np.nan, index=pd.Index(out["km"]), columns=[t.name for t in SIGNAL_TERMS]
        )
    signals.index = out.index
    shifts = logit_shifts(signals, out["km"])
    adj = shifts["logit_adjustment"].to_numpy()
    eta = out["log_odds_splits"].to_numpy(float)
    eta_hi = logit(np.clip(out["p_splits_hi"].to_numpy(float), 1e-12, 1 - 1e-12))
    # Where nothing shifts, keep the calibrated numbers bit for bit (no logit round trip).
    out["p_fail"] = np.where(adj > 0, expit(eta + adj), out["p_splits"])
    out["p_lo"] = out["p_splits_lo"]
    out["p_hi"] = np.where(adj > 0, expit(eta_hi + 2.0 * adj), out["p_splits_hi"])
    out["logit_adjustment"] = adj
    for term in SIGNAL_TERMS:
        out[f"signal_{term.name}"] = signals[term.name].to_numpy()
    for term in SIGNAL_TERMS:
        out[f"shift_{term.name}"] = shifts[f"shift_{term.name}"].to_numpy()
    out["top_signals"] = _top_signals(shifts, top_n)
    head = [*columns, "p_splits_hi", "logit_adjustment"]
    out = out[head + [c for c in out.columns if c not in head]]
    out.attrs.update(
        info,
        unavailable_signals=unavailable_signals(
            signals, cs_given=cs_given, max_hr_known=max_hr_known
        ),
        notes=notes,
    )
    return out


def _top_signals(shifts: pd.DataFrame, top_n: int) -> list[str]:
    """Comma-separated names of the terms with a positive shift, largest first."""
    names = np.array([t.name for t in SIGNAL_TERMS])
    values = shifts[[f"shift_{n}" for n in names]].to_numpy()
    order = np.argsort(-values, axis=1, kind="stable")
    out = []
    for row, idx in zip(values, order, strict=True):
        picked = [names[i] for i in idx[:top_n] if row[i] > 1e-9]
        out.append(", ".join(picked))
    return out
