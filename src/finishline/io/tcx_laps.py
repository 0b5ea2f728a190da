"""TCX laps and sessions: one lap row per ``Lap``, one session row per ``Activity``.

Lap fields (``StartTime``, ``TotalTimeSeconds``, ``DistanceMeters``, ``MaximumSpeed``,
``AverageHeartRateBpm``, ``MaximumHeartRateBpm``, ``Cadence``, ``TriggerMethod`` and the ``LX``
extension ``AvgSpeed`` / ``AvgRunCadence``) are read in one pass over each lap's children.

- ``TotalTimeSeconds`` is the timer time (pauses excluded) and becomes ``timer_s``; a lap's
  ``elapsed_s`` runs from its ``StartTime`` to the next lap's (its activity's last sample for
  the last lap);
- running cadence in TCX counts strides per minute of one leg: ``avg_cadence_spm`` is twice it;
- TCX has no session totals: a session row sums its laps (timer, distance) and weights their
  averages by timer time.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from lxml import etree

from finishline.activity import LAP_COLUMNS, SESSION_COLUMNS, Column, table_frame
from finishline.io.activity_columns import utc_times
from finishline.io.xml_safe import find_text, local_name, to_utc_ns
from finishline.io.xml_values import NAT

TRIGGERS = {
    "manual": "manual",
    "distance": "distance",
    "location": "position",
    "time": "time",
    "heartrate": "heart_rate",
}

_DIRECT = {
    "TotalTimeSeconds",
    "DistanceMeters",
    "MaximumSpeed",
    "Cadence",
    "TriggerMethod",
}
_WITH_VALUE = {"AverageHeartRateBpm", "MaximumHeartRateBpm"}
_EXTENSION = {"AvgSpeed", "AvgRunCadence"}


def _text(element: etree._Element) -> str | None:
    text = element.text
    if text is None:
        return None
    return text.strip() or None


def lap_fields(lap: etree._Element) -> dict[str, str | None]:
    """The text of each lap field, by local name (one pass over the lap's children)."""
    fields: dict[str, str | None] = {}
    for child in lap:
        tag = child.tag
        name = tag.rpartition("}")[2] if isinstance(tag, str) else ""  # local_name, inlined
        if name in _DIRECT:
            fields.setdefault(name, _text(child))
        elif name in _WITH_VALUE:
            value = next((v for v in child if local_name(v) == "Value"), None)
            fields.setdefault(name, None if value is None else _text(value))
        elif name == "Extensions":
            for extension in child:
                for leaf in extension:
                    leaf_name = local_name(leaf)
                    if leaf_name in _EXTENSION:
                        fields.setdefault(leaf_name, _text(leaf))
    return fields


def number(text: str | None) -> float:
    """A lap field as float; NaN when absent or not a number."""
    if text is None:
        return np.nan
    try:
        value = float(text)
    except ValueError:
        return np.nan
    return value if math.isfinite(value) else np.nan


#: Lap columns, as :func:`laps` gives them.
LAP_FIELDS = (
    "start_time",
    "elapsed_s",
    "timer_s",
    "distance_m",
    "avg_speed_mps",
    "max_speed_mps",
    "avg_hr_bpm",
    "max_hr_bpm",
    "avg_cadence_spm",
    "trigger",
    "session_index",
)


def laps(
    laps_of_activity: list[etree._Element],
    session_index: int,
    sport: str | None,
    end: pd.Timestamp | None,
) -> dict[str, np.ndarray]:
    """The laps of an Activity as columns (one entry per ``Lap``); ``end`` is its last sample.

    ``start_time`` is int64 nanoseconds since the epoch (NaT as the smallest int64).
    """
    fields = [lap_fields(lap) for lap in laps_of_activity]

    def column(name: str) -> np.ndarray:
        return np.array([number(f.get(name)) for f in fields], dtype=float)

    timer_s = column("TotalTimeSeconds")
    distance_m = column("DistanceMeters")
    avg_speed = column("AvgSpeed")
    with np.errstate(divide="ignore", invalid="ignore"):
        derived = np.where(timer_s > 0, distance_m / timer_s, np.nan)
    avg_speed = np.where(np.isfinite(avg_speed), avg_speed, derived)
    cadence = column("AvgRunCadence")
    cadence = np.where(np.isfinite(cadence), cadence, column("Cadence"))
    if sport == "cycling":
        cadence = np.full(len(fields), np.nan)
    else:
        cadence = 2.0 * cadence
    triggers = [(f.get("TriggerMethod") or "").lower() for f in fields]
    starts = to_utc_ns([lap.get("StartTime") for lap in laps_of_activity])
    following = np.r_[starts[1:], end.value if end is not None else NAT]
    valid = (starts != NAT) & (following != NAT)
    elapsed = np.where(valid, (following - starts) / 1e9, np.nan)
    return {
        "start_time": starts,
        "elapsed_s": elapsed,
        "timer_s": timer_s,
        "distance_m": distance_m,
        "avg_speed_mps": avg_speed,
        "max_speed_mps": column("MaximumSpeed"),
        "avg_hr_bpm": column("AverageHeartRateBpm"),
        "max_hr_bpm": column("MaximumHeartRateBpm"),
        "avg_cadence_spm": cadence,
        "trigger": np.array([TRIGGERS.get(t, t or None) for t in triggers], dtype=object),
        "session_index": np.full(len(fields), session_index, dtype=np.int64),
    }


def session(
    activity: etree._Element,
    sport: str | None,
    lap_columns: dict[str, np.ndarray],
    first: pd.Timestamp | None,
    end: pd.Timestamp | None,
) -> dict[str, object]:
    """The session row of one Activity, from its laps (TCX has no session totals).

    ``first`` and ``end`` are the activity's first and last sample times. The row's
    ``start_time`` is int64 nanoseconds since the epoch (NaT as the smallest int64); the
    columns of the laps' totals are there only when the Activity has laps.
    """
    start = int(to_utc_ns([find_text(activity, "Id")])[0])
    lap_starts = lap_columns["start_time"]
    known = lap_starts[lap_starts != NAT]
    if start == NAT and len(known):
        start = int(known.min())
    if start == NAT and first is not None:
        start = first.value
    row: dict[str, object] = {"start_time": start, "sport": sport}
    if not len(lap_starts):
        return row
    timer = lap_columns["timer_s"]
    row["elapsed_s"] = (
        (end - pd.Timestamp(start, unit="ns", tz="UTC")).total_seconds()
        if end is not None and start != NAT
        else np.nan
    )
    row["timer_s"] = _nansum(timer)
    row["distance_m"] = _nansum(lap_columns["distance_m"])
    row["avg_speed_mps"] = (
        row["distance_m"] / row["timer_s"] if row["timer_s"] and row["timer_s"] > 0 else np.nan
    )
    row["avg_hr_bpm"] = _weighted(lap_columns["avg_hr_bpm"], timer)
    row["max_hr_bpm"] = _nanmax(lap_columns["max_hr_bpm"])
    row["avg_cadence_spm"] = _weighted(lap_columns["avg_cadence_spm"], timer)
    return row


def lap_frame(columns: list[dict[str, np.ndarray]]) -> pd.DataFrame | None:
    """The laps of several Activities as one frame (``None`` when there is none).

    The frame has the declared lap columns in order (:data:`finishline.activity.LAP_COLUMNS`,
    absent ones NaN), text as ``str`` (or objects when all missing): the form
    :func:`finishline.activity.conform` gives back as it is (``in_form``).
    """
    if not columns or not sum(len(c["start_time"]) for c in columns):
        return None
    joined = {name: np.concatenate([c[name] for c in columns]) for name in LAP_FIELDS}
    joined["start_time"] = utc_times(joined["start_time"]).array
    return _declared_frame(joined, LAP_COLUMNS)


def session_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Session rows (:func:`session`) as a frame with the declared session columns in order,
    in the form of :func:`lap_frame`."""
    columns: dict[str, object] = {
        "start_time": utc_times([row["start_time"] for row in rows]).array,
        "sport": np.array([row["sport"] for row in rows], dtype=object),
    }
    for col in SESSION_COLUMNS[3:]:
        if any(col.name in row for row in rows):
            columns[col.name] = np.array([row.get(col.name, np.nan) for row in rows], dtype=float)
    return _declared_frame(columns, SESSION_COLUMNS, len(rows))


def _declared_frame(
    columns: dict[str, object], declared: tuple[Column, ...], n: int | None = None
) -> pd.DataFrame:
    """A frame of the ``declared`` columns in order; those absent from ``columns`` missing."""
    size = len(next(iter(columns.values()))) if n is None else n
    ordered = {
        col.name: columns[col.name]
        if col.name in columns
        else np.full(size, None, dtype=object)
        if col.dtype == "object"
        else np.full(size, np.nan)
        for col in declared
    }
    ordered.update((name, values) for name, values in columns.items() if name not in ordered)
    return table_frame(ordered)


def _nansum(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.sum()) if finite.size else np.nan


def _nanmax(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size else np.nan


def _weighted(values: np.ndarray, weights: np.ndarray) -> float:
    ok = np.isfinite(values) & np.isfinite(weights) & (weights > 0)
    if not ok.any():
        return np.nan
    return float(np.average(values[ok], weights=weights[ok]))
