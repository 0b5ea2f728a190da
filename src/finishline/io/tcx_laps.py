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

import numpy as np
import pandas as pd
from lxml import etree

from finishline.io.xml_safe import find_text, local_name, to_utc

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
        name = local_name(child)
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
    return value if np.isfinite(value) else np.nan


def laps(
    laps_of_activity: list[etree._Element],
    session_index: int,
    sport: str | None,
    end: pd.Timestamp | None,
) -> list[dict[str, object]]:
    """One row per ``Lap`` of an Activity; ``end`` is the activity's last sample time."""
    rows: list[dict[str, object]] = []
    cadence_factor = 1.0 if sport == "cycling" else 2.0
    for lap in laps_of_activity:
        fields = lap_fields(lap)
        timer_s = number(fields.get("TotalTimeSeconds"))
        distance_m = number(fields.get("DistanceMeters"))
        avg_speed = number(fields.get("AvgSpeed"))
        if not np.isfinite(avg_speed) and timer_s > 0:
            avg_speed = distance_m / timer_s
        cadence = number(fields.get("AvgRunCadence"))
        if not np.isfinite(cadence):
            cadence = number(fields.get("Cadence"))
        trigger = (fields.get("TriggerMethod") or "").lower()
        rows.append(
            {
                "start_time": lap.get("StartTime"),
                "timer_s": timer_s,
                "distance_m": distance_m,
                "avg_speed_mps": avg_speed,
                "max_speed_mps": number(fields.get("MaximumSpeed")),
                "avg_hr_bpm": number(fields.get("AverageHeartRateBpm")),
                "max_hr_bpm": number(fields.get("MaximumHeartRateBpm")),
                "avg_cadence_spm": cadence_factor * cadence if sport != "cycling" else np.nan,
                "trigger": TRIGGERS.get(trigger, trigger or None),
                "session_index": session_index,
            }
        )
    if not rows:
        return rows
    starts = to_utc([str(r["start_time"] or "") for r in rows])
    for i, row in enumerate(rows):
        row["start_time"] = starts[i]
        nxt = starts[i + 1] if i + 1 < len(rows) else end
        row["elapsed_s"] = (
            (nxt - starts[i]).total_seconds() if nxt is not None and pd.notna(nxt) else np.nan
        )
    return rows


def session(
    activity: etree._Element,
    sport: str | None,
    lap_rows: list[dict[str, object]],
    first: pd.Timestamp | None,
    end: pd.Timestamp | None,
) -> dict[str, object]:
    """The session row of one Activity, from its laps (TCX has no session totals).

    ``first`` and ``end`` are the activity's first and last sample times.
    """
    start = to_utc([find_text(activity, "Id") or ""])[0]
    if pd.isna(start) and lap_rows:
        start = min(
            (r["start_time"] for r in lap_rows if pd.notna(r["start_time"])), default=pd.NaT
        )
    if pd.isna(start) and first is not None:
        start = first
    row: dict[str, object] = {"start_time": start, "sport": sport, "sub_sport": None}
    if not lap_rows:
        return row
    timer = np.array([r["timer_s"] for r in lap_rows], dtype=float)
    distance = np.array([r["distance_m"] for r in lap_rows], dtype=float)
    row["elapsed_s"] = (
        (end - start).total_seconds() if end is not None and pd.notna(start) else None
    )
    row["timer_s"] = _nansum(timer)
    row["distance_m"] = _nansum(distance)
    row["avg_speed_mps"] = (
        row["distance_m"] / row["timer_s"] if row["timer_s"] and row["timer_s"] > 0 else np.nan
    )
    row["avg_hr_bpm"] = _weighted(_column(lap_rows, "avg_hr_bpm"), timer)
    row["max_hr_bpm"] = _nanmax(_column(lap_rows, "max_hr_bpm"))
    row["avg_cadence_spm"] = _weighted(_column(lap_rows, "avg_cadence_spm"), timer)
    return row


def _column(rows: list[dict[str, object]], name: str) -> np.ndarray:
    return np.array([r[name] for r in rows], dtype=float)


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
