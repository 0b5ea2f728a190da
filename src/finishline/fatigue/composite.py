"""One composite fatigue index (0..1) from the components, and the km where fatigue set in.

Each component is mapped to a score in [0, 1] by a documented full-scale value (the change at
which that component alone counts as fully fatigued), and the index is the weighted mean of
the scores available in that row (missing components drop out and the weights renormalise,
so a track without heart rate is still scored on pace, gait and D').

=================  =============================  ===========  =====================================
component          score                          full scale   why that scale
=================  =============================  ===========  =====================================
pace fade          (pace_ratio - 1) / 0.25        25 % slower  final-mile-failure cut-off (sec. 4)
cardiac            decoupling / 0.10              10 %         twice the 5 % Pa:HR convention
gait               max(abs(residuals)) / 0.05     5 %          speed-corrected cadence/stride change
D'                 d_prime_spent                  D' spent     Skiba D'bal exhausted
glycogen           1 - CHO left / store           store empty  Rapoport wall
=================  =============================  ===========  =====================================

Weights: pace 0.50, cardiac 0.20, gait 0.10, D' 0.10, glycogen 0.10. Pace carries half the
weight because it is the outcome the other signals try to explain; a runner with typical
drift (5 %), glycogen nearly used and no fade scores about 0.3, below the onset threshold.
Gait is scored on the magnitude of the residual because the direction of a speed-corrected
change differs between runners (Clermont 2019: "atypical" cadence).

Before the reference window starts (5 km in a marathon) the drift scores (pace, cardiac, gait)
are 0: the runner has not settled yet (:func:`settle`).

Onset rule: the fatigue onset is the start (km) of the first kilometre beginning at or after
5 km from which the per-km index stays at or above ``threshold`` (0.4) for at least
``min_km`` (3) consecutive kilometres; NaN when that never happens. The thresholds are
conventions chosen here, not fitted: treat the index as a descriptive state, not a
probability.

References
----------
science.md sections 1 (the wall: ~30 km, lasting ~10 km), 2.1-2.3 (components), 4 (25 %
cut-off) and 5 (mechanistic state). Clermont C. A. et al. (2019) *J Appl Biomech*.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Full-scale value of each component (the change that scores 1).
PACE_FULL_SCALE = 0.25
CARDIAC_FULL_SCALE = 0.10
GAIT_FULL_SCALE = 0.05

#: Weights of the component scores in the composite index.
WEIGHTS: dict[str, float] = {
    "score_pace": 0.50,
    "score_cardiac": 0.20,
    "score_gait": 0.10,
    "score_d_prime": 0.10,
    "score_glycogen": 0.10,
}

#: Onset rule defaults: index threshold, sustained kilometres, earliest start (km).
ONSET_THRESHOLD = 0.4
ONSET_MIN_KM = 3
ONSET_AFTER_KM = 5.0


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """Column ``name`` as float64, or all-NaN when the frame lacks it."""
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    column = frame[name]
    if column.dtype.kind in "biuf":
        return column.to_numpy(dtype="float64")
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def component_scores(frame: pd.DataFrame) -> pd.DataFrame:
    """Score each fatigue component in [0, 1] (NaN where the component is missing).

    Parameters
    ----------
    frame
        Per-second or per-km state with any of ``pace_ratio``, ``decoupling``,
        ``cadence_residual``, ``stride_residual``, ``d_prime_spent`` and
        ``glycogen_used_fraction``.

    Returns
    -------
    pandas.DataFrame
        ``score_pace``, ``score_cardiac``, ``score_gait``, ``score_d_prime`` and
        ``score_glycogen``, on the same index. Improvements (faster than the reference,
        EF above it) score 0, not negative.

    References
    ----------
    See the module docstring (full scales and their sources).
    """
    return pd.DataFrame(
        component_scores_of({name: _column(frame, name) for name in SCORED}), index=frame.index
    )


#: The columns :func:`component_scores` reads.
SCORED = (
    "pace_ratio",
    "decoupling",
    "cadence_residual",
    "stride_residual",
    "d_prime_spent",
    "glycogen_used_fraction",
)


def component_scores_of(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """:func:`component_scores` on arrays (every name of :data:`SCORED`)."""
    gait = np.fmax(np.abs(columns["cadence_residual"]), np.abs(columns["stride_residual"]))
    raw = {
        "score_pace": (columns["pace_ratio"] - 1.0) / PACE_FULL_SCALE,
        "score_cardiac": columns["decoupling"] / CARDIAC_FULL_SCALE,
        "score_gait": gait / GAIT_FULL_SCALE,
        "score_d_prime": columns["d_prime_spent"],
        "score_glycogen": columns["glycogen_used_fraction"],
    }
    return {name: np.clip(values, 0.0, 1.0) for name, values in raw.items()}


#: Scores that measure departure from the runner's settled state (the reference window).
DRIFT_SCORES = ("score_pace", "score_cardiac", "score_gait")


def settle(
    scores: dict[str, np.ndarray], distance_m: np.ndarray, settled_from_m: float
) -> dict[str, np.ndarray]:
    """Drift scores set to 0 before the reference window starts (``settled_from_m``, m).

    Pace fade, cardiac drift and gait change are measured against the runner's settled state
    in the reference window. Before it starts the runner has not settled: start crowding, the
    heart rate's rise to steady state (and an optical sensor finding the pulse) and warm-up
    strides are departures from the reference that are not fatigue, and would make the first
    kilometres look the most fatigued of the race. D' spent and glycogen used accumulate from
    the gun and keep their values. ``distance_m`` is the row's end distance (per km) or
    position (per second).
    """
    early = np.asarray(distance_m, dtype=float) <= settled_from_m
    return {
        name: np.where(early & ~np.isnan(v), 0.0, v) if name in DRIFT_SCORES else v
        for name, v in scores.items()
    }


def fatigue_index(scores: pd.DataFrame, weights: dict[str, float] | None = None) -> pd.Series:
    """Weighted mean of the available component scores (0 = fresh, 1 = fully fatigued).

    Parameters
    ----------
    scores
        Output of :func:`component_scores`.
    weights
        Score name -> weight; :data:`WEIGHTS` by default. Rows renormalise over the scores
        they have; a row with none is NaN.

    Returns
    -------
    pandas.Series
        ``fatigue_index`` in [0, 1].

    References
    ----------
    See the module docstring.
    """
    columns = {name: _column(scores, name) for name in scores.columns}
    index = fatigue_index_of(columns, len(scores), weights)
    return pd.Series(index, index=scores.index, name="fatigue_index")


def fatigue_index_of(
    scores: dict[str, np.ndarray], size: int, weights: dict[str, float] | None = None
) -> np.ndarray:
    """:func:`fatigue_index` on arrays (score name -> values, ``size`` rows)."""
    weights = WEIGHTS if weights is None else weights
    num = np.zeros(size)
    den = np.zeros(size)
    for name, weight in weights.items():  # five scores, each a whole-array step
        if name not in scores:
            continue
        s = scores[name]
        known = ~np.isnan(s)
        num = num + np.where(known, s, 0.0) * weight
        den = den + known * weight
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / np.where(den > 0, den, np.nan)


def fatigue_onset_km(
    index_per_km: pd.Series,
    threshold: float = ONSET_THRESHOLD,
    min_km: int = ONSET_MIN_KM,
    after_km: float = ONSET_AFTER_KM,
) -> float:
    """Race distance (km) where fatigue set in, by the sustained-threshold rule.

    Parameters
    ----------
    index_per_km
        Composite index indexed by 1-based kilometre (km ``k`` spans ``k-1`` to ``k`` km).
    threshold
        Index level that counts as fatigued (default 0.4).
    min_km
        The index must stay at or above ``threshold`` for this many consecutive kilometres
        (default 3); NaN kilometres break the run.
    after_km
        Only kilometres starting at or after this distance qualify (default 5 km).

    Returns
    -------
    float
        Start of the first qualifying kilometre (km), e.g. 30.0 when km 31 (30-31 km) begins
        the run; NaN when fatigue never sets in by this rule.

    References
    ----------
    See the module docstring (onset rule); science.md section 1 (wall at ~30 km for ~10 km).
    """
    if index_per_km.empty:
        return float("nan")
    kms = index_per_km.index.to_numpy(dtype="float64")
    return _onset_km(kms, index_per_km.to_numpy(dtype="float64"), threshold, min_km, after_km)


def _onset_km(
    kms: np.ndarray, values: np.ndarray, threshold: float, min_km: int, after_km: float
) -> float:
    """:func:`fatigue_onset_km` on arrays (1-based kilometres and their values)."""
    with np.errstate(invalid="ignore"):
        above = values >= threshold
    # run[i] = consecutive above-threshold kilometres starting at i: the distance to the next
    # kilometre below the threshold (or past the end).
    rows = np.arange(above.size)
    next_below = np.minimum.accumulate(np.where(above, above.size, rows)[::-1])[::-1]
    counts = next_below - rows
    qualifies = (counts >= min_km) & (kms - 1.0 >= after_km)
    if not qualifies.any():
        return float("nan")
    return float(kms[np.argmax(qualifies)] - 1.0)


#: Signal -> (per-km column, level that counts as "set in", label in words).
SIGNALS: dict[str, tuple[str, float, str]] = {
    "pace_fade": ("score_pace", ONSET_THRESHOLD, "pace fade"),
    "decoupling": ("score_cardiac", ONSET_THRESHOLD, "cardiac drift"),
    "gait": ("score_gait", ONSET_THRESHOLD, "gait change"),
    "glycogen": ("glycogen_below_zero", 0.5, "glycogen margin below zero"),
}


#: What each signal's onset means, as a runner reads it (score 0.4 of the full scales above).
SIGNAL_MEANING: dict[str, str] = {
    "pace_fade": "10 % slower than your reference pace",
    "decoupling": "efficiency 4 % below your reference level",
    "gait": "cadence or stride 2 % off what your speed implies",
    "glycogen": "the modelled glycogen would run out before the finish",
}


def signal_onsets(per_km: pd.DataFrame | None) -> dict[str, float | None]:
    """Where each fatigue signal set in (km), by the composite index's sustained rule.

    A signal sets in at the start of the first kilometre beginning at or after 5 km from which
    it stays at or above its level for 3 consecutive kilometres: component score >= 0.4 for
    pace fade (10 % slower than the reference), cardiac decoupling (4 %) and gait (2 %
    speed-corrected change); glycogen margin below 0 km for the glycogen signal.

    Parameters
    ----------
    per_km
        Per-km frame of :func:`finishline.fatigue.fatigue_state`.

    Returns
    -------
    dict
        Signal name -> onset (km), or None when it never set in (or the data lack it).
    """
    out: dict[str, float | None] = {name: None for name in SIGNALS}
    if per_km is None or per_km.empty:
        return out
    wanted = [column for column, _, _ in SIGNALS.values()] + ["glycogen_margin_km"]
    columns = {name: _column(per_km, name) for name in wanted if name in per_km.columns}
    if "glycogen_margin_km" in columns:
        margin = columns["glycogen_margin_km"]
        with np.errstate(invalid="ignore"):
            below = (margin < 0).astype("float64")
        columns["glycogen_below_zero"] = np.where(np.isnan(margin), np.nan, below)
    kms = per_km.index.to_numpy(dtype="float64")
    for name, (column, level, _) in SIGNALS.items():
        if column not in columns or np.isnan(columns[column]).all():
            continue
        onset = _onset_km(kms, columns[column], level, ONSET_MIN_KM, ONSET_AFTER_KM)
        out[name] = float(onset) if np.isfinite(onset) else None
    return out
