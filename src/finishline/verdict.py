"""The post-race verdict in plain words, built only from measured facts and computed risk.

Four parts, each traceable to a number elsewhere in the analysis:

1. **Final mile**: held / slowed / failed, from ``final_mile`` (pace ratio against the 5-20 km
   reference, walk and stop seconds in the last mile; FMF as in science.md section 4:
   ratio >= 1.25 or >= 60 s walking/stopped).
2. **Fatigue onset**: the km where the composite fatigue index set in
   (:func:`finishline.fatigue.fatigue_onset_km`).
3. **Which signals came first**: the onset of each component by the same sustained rule
   (:func:`signal_onsets`): pace fade, cardiac decoupling, gait change, and the glycogen
   margin crossing zero.
4. **Risk at 30 and 35 km**: the combined final-mile risk with its band, and the calibrated
   chip-split number alone.

References
----------
science.md sections 1 (the wall at ~30 km), 4 (FMF definition and severity grades) and 5
(layer 3: risk with a band and the top contributing features).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from finishline.definitions import FMF_PACE_RATIO, SLOWED_PACE_RATIO
from finishline.fatigue.composite import ONSET_MIN_KM, ONSET_THRESHOLD, fatigue_onset_km

#: Signal -> (per-km column, level that counts as "set in", label in words).
SIGNALS: dict[str, tuple[str, float, str]] = {
    "pace_fade": ("score_pace", ONSET_THRESHOLD, "pace fade"),
    "decoupling": (
        "score_cardiac",
        ONSET_THRESHOLD,
        "cardiac drift (efficiency 4 % below your 5-20 km level)",
    ),
    "gait": ("score_gait", ONSET_THRESHOLD, "gait change"),
    "glycogen": ("glycogen_below_zero", 0.5, "glycogen margin below zero"),
}

#: The risk checkpoints the verdict reports (km).
VERDICT_KM: tuple[int, ...] = (30, 35)


def signal_onsets(fatigue_per_km: pd.DataFrame | None) -> dict[str, float | None]:
    """Where each fatigue signal set in (km), by the composite index's sustained rule.

    A signal sets in at the start of the first kilometre beginning at or after 5 km from which
    it stays at or above its level for 3 consecutive kilometres: component score >= 0.4 for
    pace fade (10 % slower than the 5-20 km reference), cardiac decoupling (4 %) and gait
    (2 % speed-corrected change); glycogen margin below 0 km for the glycogen signal.

    Parameters
    ----------
    fatigue_per_km
        Per-km frame of :func:`finishline.fatigue.fatigue_state`.

    Returns
    -------
    dict
        Signal name -> onset (km), or None when it never set in (or the data lack it).

    References
    ----------
    :mod:`finishline.fatigue.composite` (full scales and the onset rule).
    """
    out: dict[str, float | None] = {name: None for name in SIGNALS}
    if fatigue_per_km is None or fatigue_per_km.empty:
        return out
    frame = fatigue_per_km
    if "glycogen_margin_km" in frame:
        margin = frame["glycogen_margin_km"].astype("float64")
        frame = frame.assign(glycogen_below_zero=(margin < 0).astype(float).where(margin.notna()))
    for name, (column, level, _) in SIGNALS.items():
        if column not in frame or frame[column].isna().all():
            continue
        onset = fatigue_onset_km(frame[column], threshold=level, min_km=ONSET_MIN_KM)
        out[name] = float(onset) if np.isfinite(onset) else None
    return out


def _pct(p: float) -> str:
    """A probability as a whole percentage ("under 1 %" below 0.5 %)."""
    return "under 1 %" if 100.0 * p < 0.5 else f"{100.0 * p:.0f} %"


def _km(value: float) -> str:
    return f"{value:.0f} km"


def final_mile_sentence(final_mile: Mapping[str, Any]) -> str:
    """What happened in the final mile, in one sentence (numbers from ``final_mile``)."""
    ratio = final_mile.get("pace_ratio")
    walk = float(final_mile.get("walk_s") or 0.0)
    stop = float(final_mile.get("stop_s") or 0.0)
    failed = bool(final_mile.get("failed"))
    reference = (
        "your first-half pace"
        if final_mile.get("reference") == "first_half"
        else "your 5-20 km pace"
    )
    pauses = []
    if walk > 0:
        pauses.append(f"{walk:.0f} s walking")
    if stop > 0:
        pauses.append(f"{stop:.0f} s stopped")
    pause_text = " and ".join(pauses)
    if ratio is None or not np.isfinite(ratio):
        text = "No final-mile pace verdict: the run is too short for a reference pace"
        if failed:
            return f"{text}; the final mile counts as failed for {pause_text} in it."
        return text + "."
    pct = 100.0 * (ratio - 1.0)
    how = f"{abs(pct):.0f} % {'slower' if pct >= 0 else 'faster'} than {reference}"
    if failed and ratio >= FMF_PACE_RATIO - 1e-9:
        extra = f", with {pause_text}" if pause_text else ""
        return f"Final mile failed: it was {how}{extra}."
    if failed:
        return (
            f"Final mile failed on walking/stopping: {pause_text} in the last mile "
            f"(at least 60 s counts as failure), although its pace was {how}."
        )
    extra = f" ({pause_text}, under the 60 s failure line)" if pause_text else ""
    if ratio >= SLOWED_PACE_RATIO - 1e-9:
        return f"Final mile slowed: {how}, short of the 25 % failure line{extra}."
    return f"Final mile held: {how}{extra}."


def fatigue_sentences(
    fatigue_onset_km: float | None, signal_onsets_km: Mapping[str, float | None]
) -> str:
    """When fatigue set in and which signals came first."""
    if fatigue_onset_km is not None and np.isfinite(fatigue_onset_km):
        parts = [
            f"Fatigue set in at {_km(fatigue_onset_km)} "
            f"(composite index >= {ONSET_THRESHOLD:g} for {ONSET_MIN_KM} km or more)."
        ]
    else:
        parts = ["The composite fatigue index never stayed high for 3 km: no fatigue onset."]
    seen = sorted(
        ((km, SIGNALS[name][2]) for name, km in signal_onsets_km.items() if km is not None),
        key=lambda item: item[0],
    )
    never = [SIGNALS[n][2] for n, km in signal_onsets_km.items() if km is None and n in SIGNALS]
    if seen:
        order = ", then ".join(f"{label} at {_km(km)}" for km, label in seen)
        parts.append(f"Signals in order of onset: {order}.")
    if never:
        parts.append(f"Not set in (or not measured): {', '.join(never)}.")
    return " ".join(parts)


def risk_sentence(risk: pd.DataFrame | None) -> str:
    """The risk at 30 and 35 km with its band and the chip-split number alone."""
    if risk is None or risk.empty:
        return "No final-mile risk: the run does not reach 5 km."
    pieces = []
    for km in VERDICT_KM:
        row = risk.loc[risk["km"] == km]
        if row.empty:
            continue
        r = row.iloc[0]
        text = f"{_pct(r['p_fail'])} (band {_pct(r['p_lo'])} to {_pct(r['p_hi'])}"
        if _pct(r["p_fail"]) != _pct(r["p_splits"]):
            text += f"; splits alone {_pct(r['p_splits'])}"
        pieces.append((km, text + ")"))
    if not pieces:
        last = int(risk["km"].iloc[-1])
        p = risk["p_fail"].iloc[-1]
        return (
            f"The run ended before 30 km; at {last} km the chance of falling apart in the last "
            f"mile of a marathon was {_pct(p)}."
        )
    first_km, first = pieces[0]
    text = f"At {first_km} km the chance of falling apart in the last mile was {first}"
    for km, more in pieces[1:]:
        text += f"; at {km} km {more}"
    notes = risk.attrs.get("notes", [])
    if any(note.startswith("not a marathon") for note in notes):
        text += " (marathon model; this run is not a marathon)"
    return text + "."


def race_verdict(
    final_mile: Mapping[str, Any],
    risk: pd.DataFrame | None = None,
    *,
    fatigue_onset_km: float | None = None,
    signal_onsets_km: Mapping[str, float | None] | None = None,
) -> str:
    """The verdict: final mile, fatigue onset, order of signals, risk at 30 and 35 km.

    Parameters
    ----------
    final_mile
        :func:`finishline.metrics.final_mile.final_mile` facts.
    risk
        :func:`finishline.risk.watch.watch_risk` timeline.
    fatigue_onset_km
        Composite fatigue onset (km), NaN/None when none.
    signal_onsets_km
        :func:`signal_onsets` output.

    Returns
    -------
    str
        A few sentences; every number in them is one of the inputs, rounded.
    """
    parts = [final_mile_sentence(final_mile)]
    parts.append(fatigue_sentences(fatigue_onset_km, signal_onsets_km or {}))
    parts.append(risk_sentence(risk))
    return " ".join(parts)
