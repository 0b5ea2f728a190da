"""The post-race verdict in plain words, built only from measured facts and computed risk.

Four parts, each traceable to a number elsewhere in the analysis:

1. **Final mile**: held / slowed / failed (:attr:`FinalMile.outcome`: the pace ratio against
   the race's reference window, walk and stop seconds in the last mile).
2. **Fatigue onset**: the km where the composite fatigue index set in.
3. **Which signals came first**: the onset of each component by the same sustained rule
   (:func:`finishline.fatigue.composite.signal_onsets`).
4. **Risk** at the race's verdict checkpoints (30 and 35 km of a marathon): the combined
   final-mile risk with its band and the split-time number alone, labelled when the model is
   transferred from the marathon to another distance.

References
----------
science.md sections 1 (the wall at ~30 km), 4 (FMF definition and severity grades) and 5
(layer 3: risk with a band and the top contributing features).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd

from finishline.breaks import LONG_STOP
from finishline.definitions import FMF_PACE_RATIO, MIN_STOP_S, Race
from finishline.fatigue.composite import (
    ONSET_AFTER_KM,
    ONSET_MIN_KM,
    ONSET_THRESHOLD,
    SIGNAL_MEANING,
    SIGNALS,
)
from finishline.fatigue.state import FatigueState
from finishline.formatting import format_h_min
from finishline.metrics.final_mile import FinalMile
from finishline.race_bounds import WarmUp
from finishline.results import RiskTimeline


def _pct(p: float) -> str:
    """A probability as a whole percentage ("under 1 %" below 0.5 %)."""
    return "under 1 %" if 100.0 * p < 0.5 else f"{100.0 * p:.0f} %"


def _km(value: float) -> str:
    return f"{value:.0f} km"


def final_mile_sentence(final_mile: FinalMile) -> str:
    """What happened in the final mile, in one sentence (numbers from ``final_mile``)."""
    ratio = final_mile.pace_ratio
    reference = f"your {final_mile.reference} pace"
    pauses = []
    if final_mile.walk_s > 0:
        pauses.append(f"{final_mile.walk_s:.0f} s walking")
    if final_mile.stop_s > 0:
        pauses.append(f"{final_mile.stop_s:.0f} s stopped")
    pause_text = " and ".join(pauses)
    if not np.isfinite(ratio):
        why = final_mile.note or "the run is too short for a reference pace"
        text = f"No final-mile pace verdict: {why}"
        if final_mile.failed:
            return f"{text}; the final mile counts as failed for {pause_text} in it."
        return text + "."
    pct = final_mile.slowdown_pct
    if round(abs(pct)) == 0:  # "0 % slower" reads as a glitch
        how = f"within 0.5 % of {reference}"
    else:
        how = f"{abs(pct):.0f} % {'slower' if pct >= 0 else 'faster'} than {reference}"
    outcome = final_mile.outcome
    if outcome == "failed" and ratio >= FMF_PACE_RATIO - 1e-9:
        extra = f", with {pause_text}" if pause_text else ""
        return f"Final mile failed: it was {how}{extra}."
    if outcome == "failed":
        return (
            f"Final mile failed on walking/stopping: {pause_text} in the last mile "
            f"(at least 60 s counts as failure); its pace was {how}."
        )
    extra = f" ({pause_text}, under the 60 s failure line)" if pause_text else ""
    if outcome == "slowed":
        return f"Final mile slowed: {how}, short of the 25 % failure line{extra}."
    return f"Final mile held: {how}{extra}."


#: How a runner keeps a warm-up or cool-down taken from a file in the race.
_GIVE_DISTANCE = "give race_distance_m (--race-distance) if it was part of the race."


def _duration(seconds: float) -> str:
    """A stop or wait in words: ``40 s``, ``12 min``, ``1 h 05 min``."""
    return format_h_min(seconds) if seconds >= 60 else f"{seconds:.0f} s"


def _slower(speed_share: float) -> str:
    """A jog's pace against the race's, from its speed over the race's (``0.75``: "at a pace
    33 % slower than the race's")."""
    return f"at a pace {(1.0 / speed_share - 1.0) * 100:.0f} % slower than the race's"


def after_finish_sentence(final_mile: FinalMile) -> str:
    """Where the race was taken to end when the file goes on past it: walking or standing, or
    a cool-down run after a stop at the race distance."""
    length = _duration(final_mile.after_finish_s)
    where = f"The race is taken to end at {final_mile.finish_m / 1000:.2f} km"
    cool = final_mile.cool_down
    if cool is None:
        if final_mile.walked_in:  # the line may lie past the race distance (GPS reads long)
            return (
                f"{where}, the race distance, which you reached walking: the {length} of "
                "walking or standing the file holds after it are left out."
            )
        return (
            f"{where}, where the running stopped: the {length} of walking or standing after it "
            "(the watch left running past the finish) are left out."
        )
    return (
        f"{where}, where you stopped for {_duration(cool.stop_s)} once past the race distance "
        f"({cool.race_m / 1000:g} km): the {cool.distance_m / 1000:.1f} km run after that "
        f"stop, {_slower(cool.speed_share)}, is taken as a cool-down and left out with the "
        f"stop ({length} in all); {_GIVE_DISTANCE}"
    )


def warm_up_sentence(warm: WarmUp) -> str:
    """Where the race was taken to start when the file holds a warm-up and a wait before it."""
    return (
        f"The race is taken to start {format_h_min(warm.set_off_s)} into the file, "
        f"{warm.set_off_m / 1000:.1f} km in, where you set off after a {_duration(warm.wait_s)} "
        f"wait: the {warm.distance_m / 1000:.1f} km run before it, "
        f"{_slower(warm.speed_share)}, is taken as a warm-up and left out with the wait, and "
        f"every distance counts from the start; {_GIVE_DISTANCE}"
    )


def fatigue_sentences(
    fatigue_onset_km: float | None,
    signal_onsets_km: Mapping[str, float | None],
    not_measured: Collection[str] = (),
    too_short: bool = False,
    judged_to_m: float | None = None,
) -> str:
    """When fatigue set in, which signals came first, and which never did or were not measured.

    ``not_measured`` names the signals (keys of ``signal_onsets_km``) the file or the athlete
    values could not measure (no heart rate, no cadence, an assumed component); ``too_short``
    says the run ends before any signal can be judged (:data:`ONSET_AFTER_KM`);
    ``judged_to_m`` where a long stop ended the judged part of the track
    (:func:`finishline.breaks.judged_part`), None when the whole run was judged.
    """
    cut = ""
    if judged_to_m is not None:
        cut = (
            f"up to {_km(judged_to_m / 1000.0)}, where {LONG_STOP} ends the file's longest "
            "stretch (what follows is not the same effort)"
        )
    if too_short:
        return (
            f"Fatigue is judged from {ONSET_AFTER_KM:g} km on, over {ONSET_MIN_KM} km or more"
            + (f", and here only {cut}: too short" if cut else ": this run is too short")
            + " for a fatigue onset or its signals."
        )
    judged = [f"Fatigue is judged {cut}."] if cut else []
    if fatigue_onset_km is not None and np.isfinite(fatigue_onset_km):
        parts = [
            *judged,
            f"Fatigue set in at {_km(fatigue_onset_km)} "
            f"(composite index >= {ONSET_THRESHOLD:g} for {ONSET_MIN_KM} km or more).",
        ]
    else:
        parts = [
            *judged,
            "The composite fatigue index never stayed high for 3 km: no fatigue onset.",
        ]
    seen = sorted(
        (
            (km, f"{SIGNALS[name][2]} ({SIGNAL_MEANING[name]})")
            for name, km in signal_onsets_km.items()
            if km is not None and name in SIGNALS
        ),
        key=lambda item: item[0],
    )
    absent = [n for n, km in signal_onsets_km.items() if km is None and n in SIGNALS]
    unmeasured = [SIGNALS[n][2] for n in absent if n in not_measured]
    never = [SIGNALS[n][2] for n in absent if n not in not_measured]
    if seen:
        order = ", then ".join(f"{label} at {_km(km)}" for km, label in seen)
        parts.append(f"Signals in order of onset: {order}.")
    if never:
        parts.append(f"Did not set in: {', '.join(never)}.")
    if unmeasured:
        parts.append(
            "Not judged (no data for it in the file, or an athlete value it needs was only "
            f"estimated): {', '.join(unmeasured)}."
        )
    return " ".join(parts)


def too_short_for_signals(fatigue: FatigueState) -> bool:
    """True when fewer than :data:`ONSET_MIN_KM` kilometres of the run start at or after
    :data:`ONSET_AFTER_KM`: no onset can be found (it needs that many in a row)."""
    per_km = fatigue.per_km
    if per_km is None or per_km.empty or "distance_end_m" not in per_km:
        return False  # nothing to tell from: the onsets speak for themselves
    starts_m = per_km["distance_end_m"] - per_km.get("km_length_m", 1000.0)
    return int((starts_m >= 1000.0 * ONSET_AFTER_KM - 1e-6).sum()) < ONSET_MIN_KM


def unmeasured_signals(fatigue: FatigueState) -> set[str]:
    """Signals the fatigue state could not measure: no data in the file, or an assumed input."""
    per_km = fatigue.per_km
    out = set()
    for name, (column, _, _) in SIGNALS.items():
        component = column.removeprefix("score_").removesuffix("_below_zero")
        source = "glycogen_margin_km" if name == "glycogen" else column
        if component in fatigue.assumed:
            out.add(name)
        elif per_km is None or source not in per_km or per_km[source].isna().all():
            out.add(name)
    return out


def _checkpoint_text(row: pd.Series) -> str:
    """The risk at one km of the timeline with its band and, when it differs, the split-time
    number: "12 % (band 8 % to 17 %; splits alone 10 %)"."""
    lo, hi = _pct(row["p_lo"]), _pct(row["p_hi"])
    band = f"band {lo} to {hi}" if lo != hi else "band under a point wide"
    text = f"{_pct(row['p_fail'])} ({band}"
    if _pct(row["p_fail"]) != _pct(row["p_splits"]):
        text += f"; splits alone {_pct(row['p_splits'])}"
    return text + ")"


def risk_sentence(risk: RiskTimeline) -> str:
    """The risk at the race's verdict checkpoints with its band and the split-time number."""
    race = risk.race
    if risk.empty:
        note = risk.notes[-1] if risk.notes else "the run gives no point to judge it at"
        note = note.removeprefix("no risk: ")
        return f"No final-mile risk: {note}."
    pieces = [
        (km, _checkpoint_text(row)) for km in race.verdict_km if (row := risk.at(km)) is not None
    ]
    if not pieces:  # the timeline stops before the race's checkpoints: its last km
        last = risk.table.iloc[-1]
        pieces.append((int(last["km"]), _checkpoint_text(last)))
    first_km, first = pieces[0]
    text = f"At {first_km} km the chance of falling apart in the last mile was {first}"
    for km, more in pieces[1:]:
        text += f"; at {km} km {more}"
    if risk.calibration.startswith("transferred"):  # said first: it holds for every number
        text = f"Risk {risk.calibration}: a{text[1:]}"
    cut = next((n for n in risk.notes if n.startswith("no risk from")), None)
    if cut is not None:
        text += f"; {cut}"
    return text + "."


def race_verdict(
    final_mile: FinalMile,
    fatigue: FatigueState,
    risk: RiskTimeline,
    warm: WarmUp | None = None,
) -> str:
    """The verdict: final mile, fatigue onset, order of signals, risk at the checkpoints; where
    the race was taken to start (after a warm-up, ``warm``) and end, when not with the file.

    Returns
    -------
    str
        A few sentences; every number in them is one of the inputs, rounded.
    """
    parts = [final_mile_sentence(final_mile)]
    if warm is not None:
        parts.append(warm_up_sentence(warm))
    if final_mile.after_finish_s >= MIN_STOP_S:  # as long as the shortest stop that counts
        parts.append(after_finish_sentence(final_mile))
    parts.append(
        fatigue_sentences(
            fatigue.onset_km,
            fatigue.signal_onsets_km,
            unmeasured_signals(fatigue),
            too_short=too_short_for_signals(fatigue),
            judged_to_m=fatigue.judged_to_m,
        )
    )
    parts.append(risk_sentence(risk))
    return " ".join(parts)


def race_heading(race: Race) -> str:
    """What the run was, for titles: "Marathon", "Half marathon", "23.8 km run"."""
    return race.label[:1].upper() + race.label[1:]
