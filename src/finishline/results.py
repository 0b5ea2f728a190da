"""What a race analysis holds: typed results with documented fields and units.

:class:`RaceAnalysis` is what :func:`finishline.analyze` returns. Its parts are typed too:
:class:`RaceSummary` (headline figures), :class:`~finishline.metrics.final_mile.FinalMile`,
:class:`~finishline.metrics.decoupling.Decoupling`,
:class:`~finishline.fatigue.state.FatigueState` and :class:`RiskTimeline`. The reports draw
only what these hold; the JSON comes from :func:`finishline.jsonable.jsonable`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from finishline.activity import Activity
from finishline.athlete import Athlete
from finishline.definitions import Race
from finishline.display import Tables, card_html
from finishline.fatigue.state import FatigueState
from finishline.formatting import format_duration, format_hms
from finishline.jsonable import jsonable
from finishline.metrics.decoupling import Decoupling
from finishline.metrics.final_mile import FinalMile
from finishline.plan.compare import PlanVsActual
from finishline.race_bounds import WarmUp

#: Splits columns a notebook card shows.
SPLIT_SHOWN = ["split", "distance_m", "time_s", "pace_s_per_km", "gap_pace_s_per_km", "avg_hr_bpm"]


def _ends(frame: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """The first and last ``n`` rows (all rows when there are few)."""
    return frame if len(frame) <= 2 * n else pd.concat([frame.head(n), frame.tail(n)])


@dataclass(frozen=True)
class RaceSummary:
    """Headline figures of one run, from the clean track.

    Attributes
    ----------
    sport, format
        The file's sport (lower case) and format (``fit``/``gpx``/``tcx``).
    start_time, start_time_local
        First sample (UTC) and the same instant at the recorded local offset (None if unknown).
    distance_m, elapsed_s, moving_s
        Distance (m), clock time (s, pauses included) and moving time (s).
    device_timer_s
        The device's own timer total (s), None when the file has none.
    pace_s_per_km, moving_pace_s_per_km, gap_pace_s_per_km
        Clock, moving and grade-adjusted pace (s/km).
    avg_hr_bpm, max_hr_bpm
        Mean and maximum clean heart rate (1/min), None without HR.
    elev_gain_m, elev_loss_m
        Climb and descent of the cleaned profile (m).
    hr_artefact_s
        Seconds of heart rate flagged as artefact and left out (s).
    stop_count, stop_s, walk_s
        Stops, and seconds stopped / walking (s).
    gap_s, gap_distance_m
        Recording gaps (GPS or sample dropouts, s) and the distance bridged across them (m).
    altitude_source, distance_source, gap_model
        Where altitude and distance come from and the GAP model used.
    """

    sport: str | None
    format: str
    start_time: pd.Timestamp
    start_time_local: pd.Timestamp | None
    distance_m: float
    elapsed_s: float
    moving_s: float
    device_timer_s: float | None
    pace_s_per_km: float | None
    moving_pace_s_per_km: float | None
    gap_pace_s_per_km: float | None
    avg_hr_bpm: float | None
    max_hr_bpm: float | None
    elev_gain_m: float
    elev_loss_m: float
    hr_artefact_s: float
    stop_count: int
    stop_s: float
    walk_s: float
    gap_s: float
    gap_distance_m: float
    altitude_source: str | None
    distance_source: str | None
    gap_model: str | None


@dataclass(frozen=True)
class RiskTimeline:
    """The final-mile risk along the race.

    Attributes
    ----------
    table
        One row per whole km from 5 km to the start of the final mile: ``km``, ``clock_s``
        (clock time since the runner set off, like a chip's),
        ``p_fail`` (combined), ``p_lo``, ``p_hi`` (90 % band), ``p_splits``, ``p_splits_lo``,
        ``p_splits_hi`` (the calibrated split-time model alone), ``logit_adjustment``,
        ``signal_<name>``, ``shift_<name>`` and ``top_signals``.
    race
        The race the risk is for.
    calibration
        What ``p_splits`` is: calibrated on marathon chip splits, or transferred to this race.
    unavailable_signals
        Physiological signal -> why it has no value.
    notes
        Anything a reader must know (why the timeline is empty, where it ends).
    set_off_s
        Elapsed time (s) in the file when the runner set off, where ``clock_s`` starts
        (:func:`finishline.breaks.race_start`: a wait in the start pen is not race time).
    """

    table: pd.DataFrame
    race: Race
    calibration: str = ""
    unavailable_signals: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    set_off_s: float = 0.0

    @property
    def empty(self) -> bool:
        """True when the run gives no risk at all (shorter than 5 km, or its final mile
        starts before 5 km)."""
        return self.table.empty

    def at(self, km: float) -> pd.Series | None:
        """The row at whole km ``km``, or None when the timeline has none there."""
        if self.table.empty:
            return None
        rows = self.table.loc[self.table["km"] == km]
        return None if rows.empty else rows.iloc[0]

    def records(self) -> list[dict[str, Any]]:
        """The timeline as JSON records: ``km``, ``clock_s``, the probabilities,
        ``logit_adjustment``, ``top_signals`` (list) and ``signals`` (name ->
        ``{"value", "logit_shift"}``)."""
        if self.table.empty:
            return []
        names = [c.removeprefix("signal_") for c in self.table.columns if c.startswith("signal_")]
        plain = ["km", "clock_s", "p_fail", "p_lo", "p_hi", "p_splits", "p_splits_lo"]
        plain += ["p_splits_hi", "logit_adjustment"]
        out = []
        for row in self.table.to_dict(orient="records"):
            rec: dict[str, Any] = {k: row[k] for k in plain if k in row}
            rec["km"] = int(rec["km"])
            rec["top_signals"] = [n for n in str(row.get("top_signals", "")).split(", ") if n]
            rec["signals"] = {
                n: {"value": row[f"signal_{n}"], "logit_shift": row[f"shift_{n}"]} for n in names
            }
            out.append(rec)
        return jsonable(out)

    def info(self) -> dict[str, Any]:
        """What the numbers are: definition, calibrated part, assumption, signals, notes."""
        return {
            "race": self.race.label,
            "definition": "final-mile failure: the last mile of the race >= 25 % slower than "
            "the runner's reference pace, or >= 60 s walking/stopped in it",
            "p_splits": self.calibration,
            "p_fail": "p_splits shifted on the log-odds scale by physiological warning signs "
            "(model assumption, not calibrated; each term <= 0.5, total <= 1.0 logit; band "
            "widened by the shift)",
            "starts_at_km": int(self.table["km"].iloc[0]) if not self.table.empty else None,
            "ends_at_km": int(self.table["km"].iloc[-1]) if not self.table.empty else None,
            "clock_starts_at_s": self.set_off_s,
            "unavailable_signals": dict(self.unavailable_signals),
            "notes": list(self.notes),
        }


@dataclass(repr=False)
class RaceAnalysis(Tables):
    """Everything :func:`finishline.analyze` computed for one run.

    In a notebook it shows a summary card; ``to_frame``/``to_csv``/``to_parquet`` export its
    tables (``"splits"`` (km, the default), ``"splits_mile"``, ``"efforts"``, ``"risk"``,
    ``"fatigue"`` (per km), ``"stops"``, ``"zones"``, ``"power_curve"``).

    Attributes
    ----------
    activity
        The activity as read.
    track
        The clean 1 Hz track (:func:`finishline.clean.clean`).
    race
        The race distance (detected or given) every window refers to.
    athlete
        The athlete values used, each with its provenance.
    summary
        :class:`RaceSummary`.
    splits_km, splits_mile
        Splits (:func:`finishline.metrics.splits.splits`).
    efforts, speed_curve
        Best efforts at standard distances and the mean-maximal speed curve.
    zones
        Seconds in each heart-rate zone (empty without HR or zones).
    decoupling
        :class:`~finishline.metrics.decoupling.Decoupling` (Pa:HR from 5 km).
    stops
        Stops and walk breaks.
    final_mile
        :class:`~finishline.metrics.final_mile.FinalMile`.
    fatigue
        :class:`~finishline.fatigue.state.FatigueState`.
    risk
        :class:`RiskTimeline`.
    verdict
        The verdict in words (:mod:`finishline.verdict`).
    warnings
        What a reader must know about the data: damage found while reading, repairs, and every
        estimated athlete value.
    stage_times
        Seconds each stage took.
    power_curve
        Mean-maximal running power (``duration_s``, ``power_w``;
        :func:`finishline.metrics.power.power_curve`), empty when the file has no power
        (``activity.meta.power_source`` says where the power comes from).
    plan_vs_actual
        The race against a plan (``analyze(..., plan=)``): per split the planned and actual
        times, time banked or lost, where the runner left the plan
        (:class:`~finishline.plan.compare.PlanVsActual`; empty without a plan).
    warm_up
        The warm-up before the race, left out (:func:`finishline.race_bounds.warm_up`), or None.
        With one, ``track`` and every figure from it start where the runner set off after the
        wait, at 0 m and 0 s; ``activity`` is the whole file.
    """

    activity: Activity
    track: pd.DataFrame
    race: Race
    athlete: Athlete
    summary: RaceSummary
    splits_km: pd.DataFrame
    splits_mile: pd.DataFrame
    efforts: pd.DataFrame
    speed_curve: pd.DataFrame
    zones: pd.DataFrame
    decoupling: Decoupling
    stops: pd.DataFrame
    final_mile: FinalMile
    fatigue: FatigueState
    risk: RiskTimeline
    verdict: str
    warnings: list[str] = field(default_factory=list)
    stage_times: dict[str, float] = field(default_factory=dict)
    power_curve: pd.DataFrame = field(default_factory=pd.DataFrame)
    plan_vs_actual: PlanVsActual = field(default_factory=PlanVsActual)
    warm_up: WarmUp | None = None

    TABLES: ClassVar[dict[str, str]] = {
        "splits": "splits_km",
        "splits_mile": "splits_mile",
        "efforts": "efforts",
        "risk": "risk.table",
        "fatigue": "fatigue.per_km",
        "stops": "stops",
        "zones": "zones",
        "power_curve": "power_curve",
        "plan_vs_actual": "plan_vs_actual.table",
    }
    DEFAULT_TABLE: ClassVar[str] = "splits"

    def __repr__(self) -> str:
        s, fm = self.summary, self.final_mile
        ratio = f" ({fm.slowdown_pct:+.0f} %)" if fm.pace_ratio == fm.pace_ratio else ""
        checkpoints = [(km, self.risk_at(km)) for km in self.race.verdict_km]
        risk = ", ".join(f"risk at {km} km {p:.0%}" for km, p in checkpoints if p is not None)
        return (
            f"RaceAnalysis({self.race.label}, {s.distance_m / 1000:.2f} km in "
            f"{format_hms(s.elapsed_s)}, final mile {fm.outcome}{ratio}"
            + (f", {risk}" if risk else "")
            + ")"
        )

    def _repr_html_(self) -> str:
        s, fm = self.summary, self.final_mile
        facts = {
            "race": f"{self.race.label} ({self.race.source})",
            "start": str(s.start_time_local or s.start_time),
            "distance": f"{s.distance_m / 1000:.2f} km",
            "time / moving": f"{format_hms(s.elapsed_s)} / {format_hms(s.moving_s)}",
            f"{fm.reference} pace": f"{format_duration(fm.reference_pace_s_per_km)} /km",
            "final mile": fm.outcome_text,
        }
        risk = self.risk.table
        heads = [("splits (first and last)", _ends(self.splits_km[SPLIT_SHOWN]))]
        if not risk.empty:
            heads.append(("final-mile risk", _ends(risk[["km", "p_fail", "p_lo", "p_hi"]])))
        if self.warnings:
            facts["read this"] = "; ".join(self.warnings[:3]) + (" ..." * (len(self.warnings) > 3))
        return card_html(f"finishline race analysis: {self.race.label}", facts, self.verdict, heads)

    def figures(self, unit: str = "km") -> dict[str, Any]:
        """The race report's Plotly figures by name (``unit`` ``"km"`` or ``"mile"``)."""
        from finishline.viz.report import race_figures

        return race_figures(self, unit)  # type: ignore[arg-type]

    def write_html(self, path: str | PathLike[str], unit: str = "km") -> Path:
        """Write the self-contained HTML race report (opens offline); return its path."""
        from finishline.viz.report import write_race_report

        return write_race_report(self, path, unit=unit)  # type: ignore[arg-type]

    def risk_at(self, km: float) -> float | None:
        """The combined final-mile risk at whole km ``km`` (None where there is none)."""
        row = self.risk.at(km)
        return None if row is None else float(row["p_fail"])

    def to_json(self) -> dict[str, Any]:
        """The analysis as strict-JSON-safe data (what ``finishline analyze --json`` writes)."""
        dec = self.decoupling
        fm = self.final_mile
        summary = jsonable(self.summary) | {
            "race": self.race.label,
            "race_distance_m": self.race.distance_m,
            "final_mile_pace_ratio": fm.pace_ratio,
            "final_mile_outcome": fm.outcome,
            "final_mile_failed": fm.failed,
            "fatigue_onset_km": self.fatigue.onset_km,
        }
        summary |= {f"risk_at_{km}km": self.risk_at(km) for km in self.race.verdict_km}
        return jsonable(
            {
                "summary": summary,
                "race": {
                    "key": self.race.key,
                    "label": self.race.label,
                    "distance_m": self.race.distance_m,
                    "measured_m": self.race.measured_m,
                    "source": self.race.source,
                    "reference_window_m": list(self.race.reference_window_m),
                },
                "warnings": self.warnings,
                "athlete": self.athlete,
                "splits": self.splits_km,
                "splits_mile": self.splits_mile,
                "final_mile": fm,
                "warm_up": self.warm_up,
                "verdict": self.verdict,
                "risk": self.risk.records(),
                "risk_info": self.risk.info(),
                "fatigue": {
                    "onset_km": self.fatigue.onset_km,
                    "signal_onsets_km": self.fatigue.signal_onsets_km,
                    "assumed_components": sorted(self.fatigue.assumed),
                    "judged_to_m": self.fatigue.judged_to_m,
                    "per_km": self.fatigue.per_km,
                },
                "efforts": self.efforts,
                "speed_curve": self.speed_curve,
                "power_curve": self.power_curve,
                "power_source": self.activity.meta.power_source,
                "zones": self.zones,
                "decoupling": {
                    "pa_hr": dec.pa_hr,
                    "pw_hr": dec.pw_hr,
                    "pw_ef_first_w_per_bpm": dec.pw_ef_first_w_per_bpm,
                    "pw_ef_second_w_per_bpm": dec.pw_ef_second_w_per_bpm,
                    "ef_first": dec.ef_first,
                    "ef_second": dec.ef_second,
                    "onset_m": dec.onset_m,
                    "window_start_m": dec.window_start_m,
                    "judged_to_m": dec.judged_to_m,
                    "curve": dec.curve,
                },
                "stops": self.stops,
                "stage_times_s": self.stage_times,
                "plan_vs_actual": self.plan_vs_actual,
            }
        )
