"""After the race: the plan against what the runner did, split by split.

:func:`plan_vs_actual` reads the runner's clock time at every split end of the plan and gives,
per split, the planned and actual times, the time **banked** (+, ahead of the plan) or **lost**
(-) in the split and in total, and **where the runner left the plan**:

- *Distance.* A GPS track measures a race long (runners do not run the tangents; Twin Cities
  2014 measured 42.64 km for 42.195 km). The plan's splits are on the race distance, so the
  track's distance is scaled to it: the plan's km ``k`` is read where the track has covered
  the same fraction of its measured distance (the rule of
  :func:`finishline.plan.course_profile` for the course), when the track is within 5 % of
  the race distance; a track further off (a run that stopped) is read as it measured.
- *Leaving the plan.* A split is *behind* when it took more than :data:`BEHIND_MARGIN` (2 %) of
  its planned time longer than planned (about 6 s on a 5-minute km: a margin above the
  second-by-second noise of a watch's split). The runner left the plan at the first split
  from which every split was behind for :data:`BEHIND_RUN` (3) splits in a row, or to the
  finish when fewer remain: one slow split (a water station, a hill) is not leaving it.
  Both numbers are conventions, not fitted.

:func:`load_plan` reads the JSON that ``finishline plan --json`` writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from finishline.breaks import distance_reached, race_start
from finishline.errors import InputDataError
from finishline.jsonable import jsonable
from finishline.race_bounds import race_end

#: Version tag of the plan JSON (``finishline plan --json`` writes it, ``--plan`` reads it).
PLAN_FORMAT = "finishline-plan/1"

#: The track's distance is scaled to the race only when within this fraction of it.
MAX_TRACK_SCALE = 0.05

#: A split is behind when slower than planned by more than this fraction of its planned time.
BEHIND_MARGIN = 0.02
#: Splits in a row (or to the finish) behind the plan that mean the runner left it.
BEHIND_RUN = 3

#: Columns of :attr:`PlanVsActual.table`.
COMPARISON_COLUMNS = (
    "split",
    "label",
    "end_m",
    "planned_time_s",
    "actual_time_s",
    "planned_cumulative_s",
    "actual_cumulative_s",
    "banked_s",
    "banked_cumulative_s",
    "behind",
)


@dataclass
class PlanVsActual:
    """The plan against the race.

    Attributes
    ----------
    table
        One row per planned split (:data:`COMPARISON_COLUMNS`): ``end_m`` (m of race distance),
        planned and actual split and cumulative times (s; NaN past the end of the track),
        ``banked_s`` (planned - actual split time, s: + banked, - lost), ``banked_cumulative_s``
        (the same over the race so far) and ``behind`` (the split lost more than the margin).
    unit
        ``"km"`` or ``"mile"``, as in the plan.
    goal_s, planned_finish_s
        The plan's goal and planned finish (s).
    left_plan_split
        The split number where the runner left the plan (module docstring), or None.
    left_plan_label, left_plan_start_m
        Its label (``"km 31"``) and where it starts (m of race distance), or None.
    margin, run
        The rule used (:data:`BEHIND_MARGIN`, :data:`BEHIND_RUN`).
    distance_scale
        Race distance / measured track distance used to place the splits on the track.
    source
        The plan file, when read from one.
    """

    table: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(COMPARISON_COLUMNS))
    )
    unit: str = "km"
    goal_s: float | None = None
    planned_finish_s: float | None = None
    left_plan_split: int | None = None
    left_plan_label: str | None = None
    left_plan_start_m: float | None = None
    margin: float = BEHIND_MARGIN
    run: int = BEHIND_RUN
    distance_scale: float = 1.0
    source: str | None = None

    @property
    def empty(self) -> bool:
        """True when no plan was compared."""
        return self.table.empty

    @property
    def finish_banked_s(self) -> float | None:
        """Time banked (+) or lost (-) at the finish (s), None without a finish."""
        if self.empty:
            return None
        value = float(self.table["banked_cumulative_s"].iloc[-1])
        return value if np.isfinite(value) else None

    def sentence(self) -> str:
        """The comparison in one sentence for the report."""
        if self.empty:
            return ""
        finish = self.finish_banked_s
        if finish is None:
            head = "The run ended before the plan's finish."
        else:
            word = "ahead of" if finish >= 0 else "behind"
            head = f"Finished {abs(finish):.0f} s {word} the plan."
        if self.left_plan_label is None:
            return head + " The runner never left the plan."
        return (
            f"{head} Left the plan at {self.left_plan_label} (from "
            f"{self.left_plan_start_m / 1000:.1f} km: {self.run} splits in a row, or to the "
            f"finish, each more than {100 * self.margin:.0f} % slower than planned)."
        )

    def to_json(self) -> dict[str, Any] | None:
        if self.empty:
            return None
        return jsonable(
            {
                "unit": self.unit,
                "goal_s": self.goal_s,
                "planned_finish_s": self.planned_finish_s,
                "finish_banked_s": self.finish_banked_s,
                "left_plan_split": self.left_plan_split,
                "left_plan_label": self.left_plan_label,
                "left_plan_start_m": self.left_plan_start_m,
                "rule": {"behind_margin": self.margin, "behind_run": self.run},
                "distance_scale": self.distance_scale,
                "source": self.source,
                "splits": self.table,
            }
        )


def load_plan(path: str | PathLike[str]) -> dict[str, Any]:
    """The plan JSON written by ``finishline plan --json`` (checked).

    Raises
    ------
    InputDataError
        Not readable, not JSON, or not a finishline plan.
    """
    source = Path(path)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputDataError(f"cannot read the plan: {exc}", str(source)) from exc
    unit = data.get("unit") if isinstance(data, dict) else None
    if (
        not isinstance(data, dict)
        or data.get("format") != PLAN_FORMAT
        or unit not in ("km", "mile")
    ):
        raise InputDataError(f"not a finishline plan (expected format {PLAN_FORMAT})", str(source))
    if not isinstance(data.get(f"targets_{unit}"), list) or not data[f"targets_{unit}"]:
        raise InputDataError(f"the plan has no targets_{unit}", str(source))
    data["source_path"] = str(source)
    return data


def _planned_table(plan: dict[str, Any], source: str | None) -> pd.DataFrame:
    table = pd.DataFrame(plan[f"targets_{plan['unit']}"])
    needed = ("split", "label", "end_m", "target_time_s", "cumulative_time_s")
    missing = [c for c in needed if c not in table]
    numbers = table[[c for c in needed[2:] if c in table]].apply(pd.to_numeric, errors="coerce")
    if missing or numbers.isna().any().any() or not (np.diff(numbers["end_m"]) > 0).all():
        raise InputDataError(f"the plan's targets are incomplete or out of order {missing}", source)
    return table


def time_at_distance(distance_m: np.ndarray, elapsed_s: np.ndarray, at_m: np.ndarray) -> np.ndarray:
    """Clock time (s) when the track first reached each distance of ``at_m`` (NaN beyond it),
    linearly interpolated between samples."""
    d = distance_reached(distance_m)
    t = np.asarray(elapsed_s, dtype=float)
    first = np.r_[True, np.diff(d) > 0]  # a stop repeats a distance: keep its first time
    out = np.interp(at_m, d[first], t[first])
    return np.where(np.asarray(at_m) <= d[-1] + 1e-6, out, np.nan)


def plan_vs_actual(
    plan: dict[str, Any],
    distance_m: np.ndarray,
    elapsed_s: np.ndarray,
    *,
    race_distance_m: float,
    margin: float = BEHIND_MARGIN,
    run: int = BEHIND_RUN,
) -> PlanVsActual:
    """Compare a plan (:func:`load_plan`) with the run (module docstring).

    Parameters
    ----------
    plan
        The plan as JSON data (``unit``, ``targets_km``/``targets_mile``, ``goal_s``).
    distance_m, elapsed_s
        The clean track's distance (m) and clock time since the start (s).
    race_distance_m
        The race distance (m) the track is scaled to (its measured length maps to it).
    margin, run
        The rule for leaving the plan.

    Returns
    -------
    PlanVsActual
    """
    source = plan.get("source_path")
    planned = _planned_table(plan, source)
    measured = float(np.nanmax(distance_m)) if len(distance_m) else 0.0
    if not measured > 0:
        raise InputDataError("the run has no distance to compare with the plan", source)
    plan_race = float(planned["end_m"].iloc[-1])
    if abs(plan_race - race_distance_m) > 1.0:
        raise InputDataError(
            f"the plan is for {plan_race / 1000:.3f} km and the run is a "
            f"{race_distance_m / 1000:.3f} km race: give the plan's --race-distance",
            source,
        )
    # a track within the GPS tolerance of the race is placed on it; a shorter one (a run that
    # stopped) is read as it measured, so the splits it never reached stay empty
    scale = plan_race / measured if abs(plan_race / measured - 1.0) <= MAX_TRACK_SCALE else 1.0
    end_m = planned["end_m"].to_numpy(dtype=float)
    actual_cum = time_at_distance(distance_m, elapsed_s, end_m / scale)
    planned_cum = planned["cumulative_time_s"].to_numpy(dtype=float)
    planned_split = planned["target_time_s"].to_numpy(dtype=float)
    actual_split = np.diff(np.r_[0.0, actual_cum])
    banked = planned_split - actual_split
    behind = actual_split > planned_split * (1.0 + margin)
    table = pd.DataFrame(
        {
            "split": planned["split"].astype(int).to_numpy(),
            "label": planned["label"].astype(str).to_numpy(),
            "end_m": end_m,
            "planned_time_s": planned_split,
            "actual_time_s": actual_split,
            "planned_cumulative_s": planned_cum,
            "actual_cumulative_s": actual_cum,
            "banked_s": banked,
            "banked_cumulative_s": planned_cum - actual_cum,
            "behind": behind,
        }
    )
    left = first_behind_run(behind, run)
    starts = np.r_[0.0, end_m[:-1]]
    return PlanVsActual(
        table=table,
        unit=str(plan["unit"]),
        goal_s=plan.get("goal_s"),
        planned_finish_s=plan.get("planned_finish_s"),
        left_plan_split=None if left is None else int(table["split"].iloc[left]),
        left_plan_label=None if left is None else str(table["label"].iloc[left]),
        left_plan_start_m=None if left is None else float(starts[left]),
        margin=margin,
        run=run,
        distance_scale=scale,
        source=source,
    )


def first_behind_run(behind: np.ndarray, run: int = BEHIND_RUN) -> int | None:
    """Index of the first split from which every split is behind for ``run`` splits in a row,
    or to the last split when fewer remain; None if there is none."""
    flags = np.asarray(behind, dtype=bool)
    n = flags.size
    for i in np.flatnonzero(flags):
        stop = min(i + run, n)
        if flags[i:stop].all():
            return int(i)
    return None


def compare_to_track(
    plan: str | PathLike[str] | dict[str, Any],
    track: pd.DataFrame,
    race_distance_m: float,
    given_m: float | None = None,
) -> PlanVsActual:
    """:func:`plan_vs_actual` of a plan (path or JSON data) and a clean 1 Hz track
    (``distance_m``, ``elapsed_s``, ``moving``), as ``finishline.analyze(..., plan=)`` calls it.

    The plan is race time, so the clock starts when the runner set off
    (:func:`finishline.breaks.race_start`): a wait in the start pen with the watch running is
    not time lost on the plan's first split; and the race ends with the last running
    (:func:`finishline.race_bounds.race_end`): a walk past the finish, or a cool-down after it, is
    no split's time. ``given_m``: the race's distance when the runner gave it (m), which
    decides the cool-down as for the analysis; detected from the track when None.
    """
    data = plan if isinstance(plan, dict) else load_plan(plan)
    start, end = race_start(track), race_end(track, given_m)
    elapsed = track["elapsed_s"].to_numpy(dtype=float)
    return plan_vs_actual(
        data,
        track["distance_m"].to_numpy(dtype=float)[start:end],
        elapsed[start:end] - elapsed[start],
        race_distance_m=race_distance_m,
    )
