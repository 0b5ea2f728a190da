"""The physiological layer of the watch risk: bounded log-odds shifts from body signals.

Chip splits cannot see the body, a watch can. Signals that science.md ties to late collapse
each add a small, bounded, one-sided shift to the log-odds of the calibrated chip-split model
(the table, the distance ramp and the cap are described in :mod:`finishline.risk.watch`). The
sizes are a stated assumption, not a calibration. Every function here is vectorised over
kilometres (numpy; one DataFrame built at the end).

References
----------
Rapoport B. I. (2010) *PLoS Comput Biol* 6:e1000960 (glycogen margin). TrainingPeaks, "Aerobic
Decoupling and Efficiency Factor" (5 % Pa:HR convention). Clermont C. A. et al. (2019) *J Appl
Biomech*; Hanley B. et al. (2020) *Front Sports Act Living* 2:102 (gait changes late in the
marathon). Smyth B., Muniz-Pumares D. (2020) *Med Sci Sports Exerc* 52:2637 (first half above
94 % CS). Skiba P. F. et al. (2015) (D' balance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


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


def _rolling_mean(values: np.ndarray, window: int, min_periods: int) -> np.ndarray:
    """Trailing mean over ``window`` rows ignoring NaN, NaN with fewer than ``min_periods``."""
    finite = np.isfinite(values)
    sums = np.cumsum(np.where(finite, values, 0.0))
    counts = np.cumsum(finite)
    sums = sums - np.concatenate([np.zeros(window), sums[:-window]])[: len(values)]
    counts = counts - np.concatenate([np.zeros(window, int), counts[:-window]])[: len(values)]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts >= min_periods, sums / counts, np.nan)


def _running_max(values: np.ndarray) -> np.ndarray:
    """Running maximum ignoring NaN; NaN stays NaN (like ``pandas.Series.cummax``)."""
    finite = np.isfinite(values)
    running = np.maximum.accumulate(np.where(finite, values, -np.inf))
    return np.where(finite, running, np.nan)


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
    arrays = signal_arrays(fatigue_per_km, cs_given=cs_given, max_hr_known=max_hr_known)
    return pd.DataFrame(arrays, index=fatigue_per_km.index)


def signal_arrays(
    fatigue_per_km: pd.DataFrame, *, cs_given: bool, max_hr_known: bool = True
) -> dict[str, np.ndarray]:
    """:func:`physiological_signals` as a dict of arrays, one value per row of the frame."""
    per_km = fatigue_per_km
    n = len(per_km)
    nan = np.full(n, np.nan)

    def column(name: str) -> np.ndarray:
        return per_km[name].to_numpy(dtype="float64") if name in per_km else nan.copy()

    km = per_km.index.to_numpy(dtype=float)
    gait = _rolling_mean(np.abs(column("cadence_residual")), GAIT_WINDOW_KM, 2)
    out = {
        "decoupling": column("pa_hr_cumulative"),
        "gait": np.where(km >= GAIT_FROM_KM, gait, np.nan),
    }
    # An infinite glycogen margin (intake covers use) is as safe as it gets: neutral, not NaN.
    margin = column("glycogen_margin_km")
    margin = np.where(np.isposinf(margin), 1e3, np.where(np.isneginf(margin), -1e3, margin))
    out["glycogen"] = margin if max_hr_known else nan
    if cs_given:
        moving = np.nan_to_num(column("moving_time_s"), nan=0.0)
        first = (km <= np.ceil(FIRST_HALF_KM)).astype(float)
        fraction = column("cs_fraction")
        weighted = np.cumsum(np.nan_to_num(fraction, nan=0.0) * moving * first)
        weight = np.cumsum(moving * first * np.isfinite(fraction))
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(weight > 0, weighted / weight, np.nan)
        out["first_half_cs"] = np.where(km >= 5, mean, np.nan)
        spent = np.where(km >= D_PRIME_FROM_KM, column("d_prime_spent"), np.nan)
        out["d_prime"] = np.where(km >= D_PRIME_FROM_KM, _running_max(spent), np.nan)
    else:
        out["first_half_cs"] = nan
        out["d_prime"] = nan
    return {t.name: out[t.name] for t in SIGNAL_TERMS}


def signals_at(
    fatigue_per_km: pd.DataFrame | None, kms: np.ndarray, *, cs_given: bool, max_hr_known: bool
) -> dict[str, np.ndarray]:
    """The signals at whole km ``kms`` (NaN where the per-km frame has no such km)."""
    nan = np.full(len(kms), np.nan)
    if fatigue_per_km is None or fatigue_per_km.empty:
        return {t.name: nan.copy() for t in SIGNAL_TERMS}
    arrays = signal_arrays(fatigue_per_km, cs_given=cs_given, max_hr_known=max_hr_known)
    index = fatigue_per_km.index.to_numpy(dtype=float)
    where = np.searchsorted(index, kms)
    found = (where < len(index)) & (index[np.minimum(where, len(index) - 1)] == kms)
    at = np.minimum(where, len(index) - 1)
    return {name: np.where(found, values[at], np.nan) for name, values in arrays.items()}


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
    values = {t.name: signals[t.name].to_numpy(dtype="float64") for t in SIGNAL_TERMS}
    return pd.DataFrame(shift_arrays(values, km), index=signals.index)


def shift_arrays(signals: dict[str, np.ndarray], km: np.ndarray | pd.Series) -> dict:
    """:func:`logit_shifts` on a dict of signal arrays, returning a dict of arrays."""
    ramp = distance_ramp(km)
    shifts = np.column_stack([t.shift(signals[t.name]) * ramp for t in SIGNAL_TERMS])
    raw = shifts.sum(axis=1)
    total = np.minimum(raw, MAX_TOTAL_SHIFT)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(raw > 0, total / raw, 1.0)
    columns = {f"shift_{t.name}": shifts[:, i] * scale for i, t in enumerate(SIGNAL_TERMS)}
    return columns | {"logit_adjustment": total}


def unavailable_signals(
    signals: pd.DataFrame | dict[str, np.ndarray], *, cs_given: bool, max_hr_known: bool = True
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
    missing = {
        name: bool(np.isnan(np.asarray(signals[name], dtype=float)).all()) for name in reasons
    }
    return {name: reasons[name] for name in signals if missing.get(name, False)}


def top_signals(shifts: pd.DataFrame | dict[str, np.ndarray], top_n: int) -> list[str]:
    """Comma-separated names of the terms with a positive shift, largest first."""
    names = np.array([t.name for t in SIGNAL_TERMS])
    values = np.column_stack([np.asarray(shifts[f"shift_{n}"], dtype=float) for n in names])
    order = np.argsort(-values, axis=1, kind="stable")
    out = []
    for row, idx in zip(values, order, strict=True):
        picked = [names[i] for i in idx[:top_n] if row[i] > 1e-9]
        out.append(", ".join(picked))
    return out
