"""The race plan as a result: :class:`RacePlan` (targets, conditions, risk) and its outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from finishline.athlete import Athlete
from finishline.definitions import Race
from finishline.display import Tables, card_html
from finishline.errors import InputDataError
from finishline.formatting import format_duration, format_hms
from finishline.jsonable import jsonable
from finishline.plan.compare import PLAN_FORMAT
from finishline.plan.conditions import (
    DEFAULT_RELATIVE_HUMIDITY,
    WBGT_OPTIMUM_C,
    HeatRiskShift,
    HeatSlowdown,
)
from finishline.plan.risk import PlanRisk
from finishline.plan.targets import UNIT_LABEL

#: What the plan assumes about the weather when none is given.
COOL_ASSUMPTION = (
    "no race-day temperature given: the plan assumes cool weather (WBGT at or below "
    f"{WBGT_OPTIMUM_C:g} degC), where heat costs nothing"
)


@dataclass(frozen=True)
class PlanConditions:
    """Race-day heat and what it does to the plan.

    Attributes
    ----------
    temperature_c, dew_point_c
        Air temperature and dew point (degC); None when not given.
    wbgt_c
        Estimated WBGT (degC), None without a temperature.
    slowdown_fraction, slowdown_band_fraction
        Heat slowdown of the finish time (fraction) and its band (fraction, each side).
    risk_logit_shift, risk_band_logit
        Heat shift of the final-mile risk's log-odds and its band widening (logit).
    assumption
        What the numbers assume, in words.
    notes
        The models' sentences (sources, extrapolation).
    """

    temperature_c: float | None = None
    dew_point_c: float | None = None
    wbgt_c: float | None = None
    slowdown_fraction: float = 0.0
    slowdown_band_fraction: float = 0.0
    risk_logit_shift: float = 0.0
    risk_band_logit: float = 0.0
    assumption: str = COOL_ASSUMPTION
    notes: tuple[str, ...] = ()

    @classmethod
    def from_models(
        cls,
        temperature_c: float | None,
        dew_point_c: float | None,
        slowdown: HeatSlowdown | None,
        shift: HeatRiskShift | None,
    ) -> PlanConditions:
        """The conditions from the heat models' outputs (None: cool weather)."""
        if temperature_c is None or slowdown is None or shift is None:
            return cls()
        humidity = (
            f"dew point {dew_point_c:g} degC"
            if dew_point_c is not None
            else f"relative humidity assumed {100 * DEFAULT_RELATIVE_HUMIDITY:.0f} %"
        )
        assumption = (
            f"{temperature_c:g} degC, {humidity}, moderate sun and light wind (the WBGT "
            "estimate ignores both); the slowdown (Ely et al. 2007) and the risk shift (Boston "
            "2014 against Chicago 2023) are effects on whole fields applied to one runner, so "
            "heat acclimatisation, body size and sweat rate can move them"
        )
        return cls(
            temperature_c=float(temperature_c),
            dew_point_c=None if dew_point_c is None else float(dew_point_c),
            wbgt_c=slowdown.wbgt_c,
            slowdown_fraction=slowdown.fraction,
            slowdown_band_fraction=slowdown.band_fraction,
            risk_logit_shift=shift.logit_shift,
            risk_band_logit=shift.band_logit,
            assumption=assumption,
            notes=(*slowdown.notes, *shift.notes),
        )


@dataclass(repr=False)
class RacePlan(Tables):
    """A race plan: per-km and per-mile targets, the conditions and the plan's risk.

    ``to_frame``/``to_csv``/``to_parquet`` export ``"targets"`` (the plan's unit, the
    default), ``"targets_km"``, ``"targets_mile"`` and ``"course"``; a notebook shows a card.

    Attributes
    ----------
    course
        The course profile (:func:`finishline.plan.course_profile`), every 10 m of race
        distance: ``distance_m``, ``altitude_m``, ``grade`` (fraction), ``lat_deg``, ``lon_deg``.
    race
        The race distance the plan is for.
    targets_km, targets_mile
        :func:`finishline.plan.pacing_targets` per km and per mile: target time, cumulative
        time (s), pace (s per unit), grade-adjusted pace, speed range (m/s), terrain.
    unit
        ``"km"`` or ``"mile"``: the unit of :attr:`targets`, the HTML pace band and the FIT
        workout.
    goal_s
        The goal (s) in cool weather over the race distance.
    goal_source
        ``"given"``, ``"season"`` (predicted marathon time) or ``"risk limit"``.
    strategy
        ``"even-effort"``, ``"even-pace"`` or ``"negative-split"``.
    conditions
        :class:`PlanConditions`.
    risk
        :class:`~finishline.plan.risk.PlanRisk`: P(final-mile failure), band, parts.
    athlete
        The athlete values used (sex, age, critical speed), with provenance.
    risk_limit
        The limit searched under (fraction), or None.
    warnings
        What a runner must know: course scaling, heat assumptions, the risk's limits.
    source_path
        The course file.
    """

    course: pd.DataFrame
    race: Race
    targets_km: pd.DataFrame
    targets_mile: pd.DataFrame
    unit: str
    goal_s: float
    goal_source: str
    strategy: str
    conditions: PlanConditions
    risk: PlanRisk
    athlete: Athlete
    risk_limit: float | None = None
    warnings: list[str] = field(default_factory=list)
    source_path: str | None = None

    TABLES: ClassVar[dict[str, str]] = {
        "targets": "targets",
        "targets_km": "targets_km",
        "targets_mile": "targets_mile",
        "course": "course",
    }
    DEFAULT_TABLE: ClassVar[str] = "targets"

    @property
    def targets(self) -> pd.DataFrame:
        """The targets in the plan's unit."""
        return self.targets_mile if self.unit == "mile" else self.targets_km

    @property
    def planned_finish_s(self) -> float:
        """The planned finish time (s): the goal lengthened by heat."""
        return float(self.targets_km.attrs["planned_finish_s"])

    @property
    def title(self) -> str:
        """A short name: the course, the race and the planned finish."""
        name = Path(self.source_path).stem if self.source_path else "course"
        return f"{name}, {self.race.label} in {format_hms(self.planned_finish_s)}"

    def __repr__(self) -> str:
        r = self.risk
        return (
            f"RacePlan({self.race.label}, goal {format_hms(self.goal_s)} ({self.goal_source}), "
            f"planned {format_hms(self.planned_finish_s)}, {self.strategy}, final-mile risk "
            f"{r.p_fail:.0%} ({r.p_lo:.0%}-{r.p_hi:.0%}))"
        )

    def _repr_html_(self) -> str:
        short = UNIT_LABEL[self.unit]
        r = self.risk
        facts = {
            "race": f"{self.race.label} ({self.race.distance_m / 1000:.3f} km)",
            "goal": f"{format_hms(self.goal_s)} ({self.goal_source})",
            "planned finish": format_hms(self.planned_finish_s),
            "strategy": self.strategy,
            "final-mile risk": f"{r.p_fail:.0%} ({r.p_lo:.0%} to {r.p_hi:.0%})",
            "conditions": self.conditions.assumption,
        }
        if self.warnings:
            facts["read this"] = "; ".join(self.warnings[:3]) + (" ..." * (len(self.warnings) > 3))
        columns = ["label", "target_time_s", "cumulative_time_s", f"target_pace_s_per_{short}"]
        heads = [
            (
                "targets (first and last)",
                pd.concat([self.targets[columns].head(3), self.targets[columns].tail(3)]),
            )
        ]
        return card_html(f"finishline race plan: {self.race.label}", facts, r.calibrated, heads)

    def summary_lines(self) -> list[str]:
        """A short human summary: goal, strategy, risk with band, first and last splits."""
        r = self.risk
        short = UNIT_LABEL[self.unit]
        targets = self.targets
        pace = targets[f"target_pace_s_per_{short}"]
        lines = [
            f"{'race':<16}{self.race.label} ({self.race.distance_m / 1000:.3f} km), "
            f"course {Path(self.source_path).name if self.source_path else '-'}",
            f"{'goal':<16}{format_hms(self.goal_s)} ({self.goal_source})"
            + (
                f", planned {format_hms(self.planned_finish_s)} in the heat"
                if self.conditions.temperature_c is not None
                else ""
            ),
            f"{'strategy':<16}{self.strategy}",
            f"{'final-mile risk':<16}{r.p_fail:.0%} ({r.p_lo:.0%} to {r.p_hi:.0%}); "
            + ("calibrated" if self.race.is_marathon else "transferred")
            + " base "
            + f"{r.p_base:.0%}, assumed shifts {r.logit_shift:+.2f} logit",
        ]
        for row, p in zip(targets.itertuples(), pace, strict=True):
            if row.split <= 2 or row.split >= len(targets) - 1:
                lines.append(
                    f"  {row.label:<7} {format_duration(p)} /{short}  "
                    f"at {format_hms(row.cumulative_time_s)}"
                )
            elif row.split == 3:
                lines.append("  ...")
        return lines

    def to_json(self) -> dict[str, Any]:
        """The plan as strict-JSON-safe data (what ``finishline plan --json`` writes, and
        ``finishline analyze --plan`` reads)."""
        course = self.course.attrs
        return jsonable(
            {
                "format": PLAN_FORMAT,
                "course": {
                    "source_path": self.source_path,
                    "course_length_m": course.get("course_length_m"),
                    "distance_scale": course.get("distance_scale"),
                    "elevation_gain_m": course.get("elevation_gain_m"),
                    "elevation_loss_m": course.get("elevation_loss_m"),
                },
                "race": {
                    "key": self.race.key,
                    "label": self.race.label,
                    "distance_m": self.race.distance_m,
                    "source": self.race.source,
                },
                "goal_s": self.goal_s,
                "goal": format_hms(self.goal_s),
                "goal_source": self.goal_source,
                "planned_finish_s": self.planned_finish_s,
                "strategy": self.strategy,
                "unit": self.unit,
                "risk_limit": self.risk_limit,
                "conditions": self.conditions,
                "risk": self.risk,
                "athlete": self.athlete,
                "warnings": self.warnings,
                "targets_km": self.targets_km,
                "targets_mile": self.targets_mile,
            }
        )

    def workout_bytes(self, name: str | None = None) -> bytes:
        """The plan as a FIT workout (one step per split of the plan's unit)."""
        from finishline.io.fit_write import workout_fit
        from finishline.plan.targets import workout_steps

        label = name or f"{self.race.label} {format_hms(self.planned_finish_s)}"
        return workout_fit(workout_steps(self.targets), label)

    def write_fit(self, path: str | PathLike[str], name: str | None = None) -> Path:
        """Write the FIT workout a Garmin watch loads; return its path."""
        return _write(path, self.workout_bytes(name))

    def write_csv(self, path: str | PathLike[str]) -> Path:
        """Write the targets in the plan's unit as CSV; return its path."""
        return self.to_csv(path, "targets")

    def write_json(self, path: str | PathLike[str]) -> Path:
        """Write :meth:`to_json` as strict JSON; return its path."""
        import json

        text = json.dumps(self.to_json(), indent=2, allow_nan=False)
        return _write(path, (text + "\n").encode("utf-8"))

    def write_html(self, path: str | PathLike[str]) -> Path:
        """Write the self-contained HTML plan (profile, risk, printable pace band)."""
        from finishline.viz.plan_report import plan_report_html

        return _write(path, plan_report_html(self).encode("utf-8"))


def _write(path: str | PathLike[str], data: bytes) -> Path:
    out = Path(path)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        raise InputDataError(f"cannot write {out}: {exc.strerror or exc}", str(out)) from exc
    return out
