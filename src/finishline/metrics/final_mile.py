"""Final-mile facts: did the runner hold pace over the last mile of the race?

``pace_ratio`` is the clock pace over the final mile (the last 1,609.344 m of the track) divided
by the clock pace over the race's reference window (:func:`finishline.definitions.
reference_window_m`: 5-20 km for a marathon, scaled for shorter races); ``gap_pace_ratio`` is
the same with grade-adjusted pace.

Final-mile failure (FMF, :mod:`finishline.definitions`): ``failed = pace_ratio >= 1.25 or
(walk_s + stop_s) >= 60``, with ``walked``/``stopped`` flags for at least 60 s of walking/stopping
in the final mile (stretches of at least 10 s walking and 5 s stopped count; see
:mod:`finishline.metrics.stops`). Severity grades at 15 / 25 / 40 % slowdown; the outcome in one
word is ``held`` (< 15 % slower), ``slowed`` (>= 15 %) or ``failed``.

References
----------
Smyth B. (2021) PLOS ONE 16:e0251513 (5-20 km reference pace, hitting the wall);
science.md section 4 (the FMF definition, the 25 % threshold and the walk flag).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from finishline.breaks import long_stops
from finishline.definitions import (
    FINAL_SEGMENT_M,
    FMF_PACE_RATIO,
    MIN_STOP_S,
    MIN_WALK_S,
    SEVERITY_GRADES,
    SLOWED_PACE_RATIO,
    WALK_STOP_LIMIT_S,
    Race,
    detect_race,
)
from finishline.formatting import format_h_min
from finishline.metrics.splits import crossing_positions, segment_table
from finishline.metrics.stops import stop_mask, walk_mask
from finishline.race_bounds import CoolDown, Finish, finish
from finishline.stretches import bounds

#: A reference window moving for less than this share of its clock time (a long stop, a
#: pause the watch recorded through) gives no reference pace: its clock pace is no running
#: pace. The final mile has no such rule: stopping in it is what the final-mile facts measure.
MIN_REFERENCE_MOVING_SHARE = 0.5


def severity(pace_ratio: float) -> str:
    """Severity grade of a final-mile pace ratio (``none``/``moderate``/``failure``/``severe``)."""
    if not np.isfinite(pace_ratio):
        return "unknown"
    for threshold, name in SEVERITY_GRADES:
        if pace_ratio >= threshold:
            return name
    return "none"


@dataclass(frozen=True)
class FinalMile:
    """The final mile of one run against the runner's reference pace.

    Attributes
    ----------
    segment_m, start_m
        Length of the final segment (m) and where it starts on the track (m).
    time_s, pace_s_per_km, gap_pace_s_per_km
        Clock time (s), clock pace and grade-adjusted pace (s/km) of the final segment.
    reference
        The reference window in words ("5-20 km").
    reference_start_m, reference_end_m
        The reference window (m).
    reference_pace_s_per_km, reference_gap_pace_s_per_km
        Clock and grade-adjusted pace (s/km) over the reference window.
    pace_ratio, gap_pace_ratio
        Final over reference pace (1.25 = 25 % slower); NaN when the run is shorter than two
        final segments, or either window has no pace (``note`` says why).
    walk_s, stop_s
        Seconds walking and stopped in the final segment.
    walked, stopped
        At least 60 s of walking / stopping in it.
    failed
        Final-mile failure (module docstring).
    severity
        ``none``, ``moderate``, ``failure``, ``severe`` or ``unknown``.
    note
        Why there is no pace ratio (empty when there is one).
    finish_m
        Where the race was taken to end (m): the end of the last running
        (:func:`finishline.race_bounds.race_end`); the track's end when it ends running.
    after_finish_s
        Seconds of the file after ``finish_m``, which no final-mile fact counts: walking or
        standing (the watch left running past the finish line), and a cool-down.
    cool_down
        The cool-down run after the finish (:func:`finishline.race_bounds.cool_down`), or None.
    walked_in
        The runner walked the last of the race, to the race distance
        (:func:`finishline.race_bounds.finish`): the race ends there, walking.
    """

    segment_m: float
    start_m: float
    time_s: float
    pace_s_per_km: float
    gap_pace_s_per_km: float
    reference: str
    reference_start_m: float
    reference_end_m: float
    reference_pace_s_per_km: float
    reference_gap_pace_s_per_km: float
    pace_ratio: float
    gap_pace_ratio: float
    walk_s: float
    stop_s: float
    walked: bool
    stopped: bool
    failed: bool
    severity: str
    note: str = ""
    finish_m: float = float("nan")
    after_finish_s: float = 0.0
    cool_down: CoolDown | None = None
    walked_in: bool = False

    @property
    def slowdown_pct(self) -> float:
        """How much slower the final mile was than the reference (%; negative = faster)."""
        return 100.0 * (self.pace_ratio - 1.0) if np.isfinite(self.pace_ratio) else float("nan")

    @property
    def outcome(self) -> str:
        """``failed``, ``slowed`` (>= 15 % slower), ``held``, or ``unknown`` (no ratio)."""
        if self.failed:
            return "failed"
        if not np.isfinite(self.pace_ratio):
            return "unknown"
        return "slowed" if self.pace_ratio >= SLOWED_PACE_RATIO - 1e-9 else "held"

    @property
    def outcome_text(self) -> str:
        """The outcome as a runner reads it: ``held``, ``slowed (moderate)``, ``failed
        (severe slowdown)``, ``failed (walking/stopping)``; the pace grade only where it says
        more than the outcome."""
        if self.outcome == "failed":
            if np.isfinite(self.pace_ratio) and self.pace_ratio >= FMF_PACE_RATIO - 1e-9:
                return f"failed ({self.severity} slowdown)"
            return "failed (walking/stopping)"
        if self.outcome == "slowed":
            return f"slowed ({self.severity})"
        return self.outcome

    def to_json(self) -> dict:
        """The facts plus ``slowdown_pct``, ``outcome`` and ``grade`` (= ``severity``)."""
        from finishline.jsonable import jsonable

        extra = {"slowdown_pct": self.slowdown_pct, "outcome": self.outcome}
        return jsonable(asdict(self) | extra | {"grade": self.severity})


def _seconds_in_runs(mask: np.ndarray, min_len: int, lo: int, hi: int) -> float:
    """Seconds of runs of at least ``min_len`` that fall in rows [lo, hi)."""
    starts, ends = bounds(mask, min_len)
    overlap = np.minimum(ends, hi) - np.maximum(starts, lo)
    return float(np.clip(overlap, 0, None).sum())


def _ratio(numerator: float, denominator: float) -> float:
    if np.isfinite(numerator) and np.isfinite(denominator) and numerator > 0 and denominator > 0:
        return float(numerator / denominator)
    return float("nan")


def _no_ratio_note(enough: bool, ref: pd.Series, fin: pd.Series, reference: str) -> str:
    """Why the final mile has no pace ratio, or ``""`` when it has one.

    A window without moving time, or whose distance came mostly in jumps across recording
    gaps (:func:`finishline.metrics.splits.no_pace`), has no pace to compare; nor has a
    reference window mostly stopped (:data:`MIN_REFERENCE_MOVING_SHARE`).
    """
    if not enough:
        return "the run is too short for a reference pace"
    for name, window in ((f"the {reference} reference window", ref), ("the final mile", fin)):
        if not window["moving_s"] > 0:
            return f"{name} holds no moving time"
        if not np.isfinite(window["pace_s_per_km"]):
            return f"{name} has no pace: its distance came mostly in a jump across a recording gap"
    if ref["moving_s"] < MIN_REFERENCE_MOVING_SHARE * ref["time_s"]:
        return (
            f"the {reference} reference window was mostly stopped: moving "
            f"{ref['moving_s'] / 60:.0f} of its {ref['time_s'] / 60:.0f} min"
        )
    return ""


def _long_stop_note(track: pd.DataFrame, lo: int, hi: int) -> str:
    """Why rows ``lo:hi`` (the final mile) are not one effort: the longest stop of at least
    :data:`~finishline.breaks.LONG_PAUSE_S` in them (a file holding a second outing hours
    later, :mod:`finishline.breaks`), or ``""`` when there is none."""
    starts, ends = long_stops(track)
    inside = np.minimum(ends, hi) - np.maximum(starts, lo)
    if not (inside > 0).any():
        return ""
    length = format_h_min(float((ends - starts)[inside > 0].max()))
    return f"the final mile holds a stop of {length} and is not one effort"


def final_mile(
    track: pd.DataFrame,
    race: Race | None = None,
    *,
    end: Finish | None = None,
    min_stop_s: int = MIN_STOP_S,
    min_walk_s: int = MIN_WALK_S,
) -> FinalMile:
    """Final-mile facts of one run.

    The final mile is the last mile of the race, which ends with the runner's last running
    (:func:`finishline.race_bounds.finish`): walking and standing after it to the end of the file
    (the watch left running past the finish line), and a cool-down run after a stop at the
    race distance, are left out, and ``after_finish_s`` says how long that was; a walk to the
    line ends the race walking (``walked_in``). A final mile that holds a stop of 30 min or
    more (:func:`finishline.breaks.long_stops`: a file whose last mile runs into a second
    outing hours later) is not one effort: it gets no pace ratio and no failure, and ``note``
    says why.

    Parameters
    ----------
    track
        Clean 1 Hz track.
    race
        The race (its reference window); detected from the race's distance when omitted.
    end
        Where the race ends (:func:`finishline.race_bounds.finish`, found when omitted).
    min_stop_s, min_walk_s
        Shortest stop / walk stretch (s) that counts.

    Returns
    -------
    FinalMile
    """
    end, cool, walked_in = finish(track) if end is None else end
    after_finish_s = float(track["elapsed_s"].iloc[-1] - track["elapsed_s"].iloc[end - 1])
    track = track.iloc[:end]
    dist = track["distance_m"].to_numpy(float)
    total = float(dist[-1])
    race = race or detect_race(total)
    start = max(total - FINAL_SEGMENT_M, 0.0)
    ref_start, ref_end = race.reference_window_m
    ref_end = min(ref_end, start)
    ref = segment_table(track, np.array([ref_start, max(ref_end, ref_start)])).iloc[0]
    fin = segment_table(track, np.array([start, total])).iloc[0]
    enough = total >= 2 * FINAL_SEGMENT_M and ref_end > ref_start
    note = _no_ratio_note(enough, ref, fin, race.reference_label)
    enough = enough and not note
    nan = float("nan")
    pace_ratio = _ratio(fin["pace_s_per_km"], ref["pace_s_per_km"]) if enough else nan
    gap_ratio = _ratio(fin["gap_pace_s_per_km"], ref["gap_pace_s_per_km"]) if enough else nan

    lo = int(np.floor(crossing_positions(dist, np.array([start]))[0]))
    # the final mile ends where the finish distance is first reached: standing after the
    # line until the watch is stopped is not in it
    hi = int(np.searchsorted(dist, total - 0.5, side="left")) + 1
    walk_s = _seconds_in_runs(walk_mask(track), min_walk_s, lo, hi)
    stop_s = _seconds_in_runs(stop_mask(track), min_stop_s, lo, hi)
    broken = _long_stop_note(track, lo, hi)
    if broken:  # two efforts, not one final mile: no verdict on it
        note, pace_ratio, gap_ratio = broken, nan, nan
    failed = not broken and bool(
        (np.isfinite(pace_ratio) and pace_ratio >= FMF_PACE_RATIO - 1e-9)
        or walk_s + stop_s >= WALK_STOP_LIMIT_S
    )
    return FinalMile(
        segment_m=FINAL_SEGMENT_M,
        start_m=start,
        time_s=float(fin["time_s"]),
        pace_s_per_km=float(fin["pace_s_per_km"]),
        gap_pace_s_per_km=float(fin["gap_pace_s_per_km"]),
        reference=race.reference_label,
        reference_start_m=ref_start,
        reference_end_m=ref_end,
        reference_pace_s_per_km=float(ref["pace_s_per_km"]) if enough else nan,
        reference_gap_pace_s_per_km=float(ref["gap_pace_s_per_km"]) if enough else nan,
        pace_ratio=pace_ratio,
        gap_pace_ratio=gap_ratio,
        walk_s=walk_s,
        stop_s=stop_s,
        walked=walk_s >= WALK_STOP_LIMIT_S,
        stopped=stop_s >= WALK_STOP_LIMIT_S,
        failed=failed,
        severity=severity(pace_ratio),
        note=note,
        finish_m=total,
        after_finish_s=after_finish_s,
        cool_down=cool,
        walked_in=walked_in,
    )
