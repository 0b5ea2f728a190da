"""TCX (Garmin Training Center Database v2) reader to a columnar :class:`~finishline.activity.Activity`.

What is read:

- ``Activities/Activity`` (``Sport`` attribute, ``Id``, ``Creator/Name``): one session per
  Activity element, so a multisport TCX gives one session per leg;
- ``Lap`` (``StartTime``, ``TotalTimeSeconds``, ``DistanceMeters``, ``MaximumSpeed``,
  ``AverageHeartRateBpm``, ``MaximumHeartRateBpm``, ``Cadence``, ``TriggerMethod``, and the
  ``LX`` extension ``AvgSpeed`` / ``AvgRunCadence``): one lap row each;
- ``Trackpoint`` (``Time``, ``Position``, ``AltitudeMeters``, ``DistanceMeters``,
  ``HeartRateBpm``, ``Cadence`` and the ``TPX`` extension ``Speed``, ``RunCadence``,
  ``Watts``), any namespace prefix.

Rules:

- ``distance_m`` is the device's ``DistanceMeters`` (``meta.distance_source = "device"``) when
  the trackpoints carry it, else the great-circle distance along the positions
  (``"positions"``, no distance across ``Track`` breaks). In a multisport file each Activity's
  distance restarts at 0; later legs are offset so that ``distance_m`` never goes back;
- ``speed_mps`` is ``TPX/Speed`` when present, else distance / time between samples;
- cadence: TCX ``RunCadence`` (and ``Cadence`` in a running activity) counts strides per minute
  of one leg, so ``cadence_spm = 2 * RunCadence`` (steps per minute, both legs). In a cycling
  activity ``Cadence`` is pedal rpm and goes to an extra ``cadence_rpm`` column;
- lap ``TotalTimeSeconds`` is the timer time (pauses excluded) and becomes ``timer_s``; a lap's
  ``elapsed_s`` runs from its ``StartTime`` to the next lap's (its last sample for the last lap);
- a file with only ``Courses`` reads as a course (``meta.is_course = True``, all-NaT index:
  course times are planned, not recorded); a file with neither activities nor courses (workouts,
  profiles) raises :class:`~finishline.errors.NotAnActivityError`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from lxml import etree

from finishline.activity import Activity, ActivityMeta, make_activity, normalize_sport
from finishline.errors import (
    EmptyActivityError,
    FileFormatError,
    NotAnActivityError,
    TruncatedFileWarning,
)
from finishline.geo import cumulative_distance_m
from finishline.io.xml_document import open_document
from finishline.io.xml_safe import PointTable, find_all, find_text, local_name, to_utc, utc_offset_s

#: A function giving the table of the points under some ``Track`` elements.
Points = Callable[[Sequence[etree._Element]], PointTable]

#: Field name -> local name of the element inside a ``Trackpoint`` (at any depth:
#: ``Position/LatitudeDegrees``, ``HeartRateBpm/Value``, ``Extensions/TPX/Speed``).
POINT_FIELDS: dict[str, str] = {
    "time": "Time",
    "lat": "LatitudeDegrees",
    "lon": "LongitudeDegrees",
    "alt": "AltitudeMeters",
    "dist": "DistanceMeters",
    "hr": "Value",
    "cad": "Cadence",
    "speed": "Speed",
    "run_cad": "RunCadence",
    "watts": "Watts",
}

_TRIGGERS = {
    "manual": "manual",
    "distance": "distance",
    "location": "position",
    "time": "time",
    "heartrate": "heart_rate",
}


def read_tcx(data: bytes, source: str | None = None) -> Activity:
    """Read TCX bytes into an :class:`~finishline.activity.Activity`.

    Parameters
    ----------
    data
        The TCX document (any encoding; BOM handled).
    source
        File name, for ``meta.source_path`` and error messages.

    Raises
    ------
    UnsafeFileError
        The XML declares entities.
    FileFormatError
        Malformed XML, or the root is not ``<TrainingCenterDatabase>``.
    NotAnActivityError
        A valid TCX without activities or courses (workouts, profile).
    EmptyActivityError
        Activities without any trackpoint.

    Warns
    -----
    TruncatedFileWarning
        The file ends early: the complete trackpoints before the cut are read.
    """
    doc = open_document(data, source, "Trackpoint", POINT_FIELDS)
    root = doc.root

    def points(tracks: Sequence[etree._Element]) -> PointTable:
        return doc.points(tracks, "Trackpoint")

    if local_name(root) != "TrainingCenterDatabase":
        raise FileFormatError(
            f"root element is <{local_name(root)}>, not <TrainingCenterDatabase>", source
        )
    activities = find_all(root, "Activities/Activity") + find_all(
        root, "Activities/MultiSportSession/*/Activity"
    )
    if activities:
        act = _read_activities(activities, source, points)
    elif courses := find_all(root, "Courses/Course"):
        act = _read_course(courses[0], source, points)
    else:
        present = sorted({local_name(child) for child in root if isinstance(child.tag, str)})
        raise NotAnActivityError(
            f"TCX holds no activity or course (only: {', '.join(present) or 'nothing'})", source
        )
    if doc.truncated:
        note = (
            f"the file ends early (truncated XML): read the {len(act.samples)} complete "
            "trackpoints before it"
        )
        act.meta.warnings.append(note)
        warnings.warn(f"{source}: {note}" if source else note, TruncatedFileWarning, stacklevel=2)
    return act


def _read_activities(
    activities: list[etree._Element], source: str | None, points: Points
) -> Activity:
    frames: list[pd.DataFrame] = []
    laps: list[dict[str, object]] = []
    sessions: list[dict[str, object]] = []
    sports: list[str | None] = []
    first_time: str | None = None
    distance_offset = 0.0
    has_device_distance = False
    has_positions = False
    for session_index, activity in enumerate(activities):
        sport = normalize_sport(activity.get("Sport"))
        sports.append(sport)
        table = points(find_all(activity, "Lap/Track"))
        times = table.times("time")
        first_time = first_time or table.first("time")
        frame, device_distance = _samples(table, times, sport)
        if device_distance:
            has_device_distance = True
            frame["distance_m"] += distance_offset
        if np.isfinite(frame["lat_deg"].to_numpy()).any():
            has_positions = True
        dist = frame["distance_m"].to_numpy()
        if np.isfinite(dist).any():
            distance_offset = float(np.nanmax(dist))
        frames.append(frame)
        activity_laps = _laps(activity, session_index, sport, times)
        laps.extend(activity_laps)
        sessions.append(_session(activity, sport, activity_laps, times))

    if not any(len(f) for f in frames):
        raise EmptyActivityError("TCX activities hold no trackpoints", source)
    samples = pd.concat([f for f in frames if len(f)])
    if not has_device_distance:
        samples = _distance_from_positions(samples)
    meta = ActivityMeta(
        source_path=source,
        format="tcx",
        sport=_overall_sport(sports),
        device=_device(activities[0]),
        utc_offset_s=utc_offset_s(first_time),
        distance_source="device" if has_device_distance else "positions" if has_positions else None,
    )
    if "cadence_rpm" in samples.columns:
        meta.units["cadence_rpm"] = "rpm"
    samples = samples.drop(columns=["_track"])
    return make_activity(
        samples,
        meta,
        laps=pd.DataFrame(laps) if laps else None,
        sessions=pd.DataFrame(sessions),
    )


def _samples(
    table: PointTable, times: pd.DatetimeIndex, sport: str | None
) -> tuple[pd.DataFrame, bool]:
    """Samples of one Activity in time order (rows without a valid time are dropped).

    Returns the frame and whether the trackpoints carry the device's distance.
    """
    keep = np.flatnonzero(~times.isna())
    order = keep[np.argsort(times.asi8[keep], kind="stable")]
    index = times[order]
    distance = table.floats("dist")[order]
    device_distance = bool(np.isfinite(distance).any())
    speed = table.floats("speed")[order]
    if not np.isfinite(speed).any() and device_distance:
        speed = _speed_from_distance(distance, index)
    frame = {
        "distance_m": distance,
        "speed_mps": speed,
        "lat_deg": table.floats("lat")[order],
        "lon_deg": table.floats("lon")[order],
        "altitude_m": table.floats("alt")[order],
        "heart_rate_bpm": table.floats("hr")[order],
        "power_w": table.floats("watts")[order],
    }
    run_cad = table.floats("run_cad")[order]
    cad = table.floats("cad")[order]
    if sport == "cycling":
        frame["cadence_spm"] = 2.0 * run_cad
        if np.isfinite(cad).any():
            frame["cadence_rpm"] = cad
    else:
        frame["cadence_spm"] = 2.0 * np.where(np.isfinite(run_cad), run_cad, cad)
    frame["_track"] = table.group[order]
    return pd.DataFrame(frame, index=index), device_distance


def _distance_from_positions(samples: pd.DataFrame) -> pd.DataFrame:
    """Fill ``distance_m`` (and a missing ``speed_mps``) from positions, breaking at tracks."""
    out = samples.sort_index(kind="stable")
    track = out["_track"].to_numpy()
    breaks = np.r_[False, track[1:] != track[:-1]]
    distance = cumulative_distance_m(out["lat_deg"].to_numpy(), out["lon_deg"].to_numpy(), breaks)
    out["distance_m"] = distance
    if not np.isfinite(out["speed_mps"].to_numpy()).any():
        out["speed_mps"] = _speed_from_distance(distance, out.index, breaks)
    return out


def _speed_from_distance(
    distance_m: np.ndarray, index: pd.DatetimeIndex, breaks: np.ndarray | None = None
) -> np.ndarray:
    """Speed (m/s) between consecutive samples; NaN at the first sample and zero time steps."""
    speed = np.full(len(distance_m), np.nan)
    if len(distance_m) < 2:
        return speed
    dt_s = np.diff(index.asi8) / 1e9
    ok = dt_s > 0
    if breaks is not None:
        ok &= ~breaks[1:]
    speed[1:][ok] = np.diff(distance_m)[ok] / dt_s[ok]
    return speed


def _laps(
    activity: etree._Element, session_index: int, sport: str | None, times: pd.DatetimeIndex
) -> list[dict[str, object]]:
    """One row per ``Lap`` of an Activity."""
    rows: list[dict[str, object]] = []
    cadence_factor = 1.0 if sport == "cycling" else 2.0
    for lap in find_all(activity, "Lap"):
        timer_s = _num(find_text(lap, "TotalTimeSeconds"))
        distance_m = _num(find_text(lap, "DistanceMeters"))
        avg_speed = _num(find_text(lap, "Extensions/*/AvgSpeed"))
        if not np.isfinite(avg_speed) and timer_s > 0:
            avg_speed = distance_m / timer_s
        cadence = _num(find_text(lap, "Extensions/*/AvgRunCadence"))
        if not np.isfinite(cadence):
            cadence = _num(find_text(lap, "Cadence"))
        trigger = (find_text(lap, "TriggerMethod") or "").lower()
        rows.append(
            {
                "start_time": lap.get("StartTime"),
                "timer_s": timer_s,
                "distance_m": distance_m,
                "avg_speed_mps": avg_speed,
                "max_speed_mps": _num(find_text(lap, "MaximumSpeed")),
                "avg_hr_bpm": _num(find_text(lap, "AverageHeartRateBpm/Value")),
                "max_hr_bpm": _num(find_text(lap, "MaximumHeartRateBpm/Value")),
                "avg_cadence_spm": cadence_factor * cadence if sport != "cycling" else np.nan,
                "trigger": _TRIGGERS.get(trigger, trigger or None),
                "session_index": session_index,
            }
        )
    if not rows:
        return rows
    starts = to_utc([str(r["start_time"] or "") for r in rows])
    valid_times = times[~times.isna()]
    end = valid_times.max() if len(valid_times) else pd.NaT
    for i, row in enumerate(rows):
        row["start_time"] = starts[i]
        nxt = starts[i + 1] if i + 1 < len(rows) else end
        row["elapsed_s"] = (nxt - starts[i]).total_seconds() if pd.notna(nxt) else np.nan
    return rows


def _session(
    activity: etree._Element,
    sport: str | None,
    laps: list[dict[str, object]],
    times: pd.DatetimeIndex,
) -> dict[str, object]:
    """The session row of one Activity, from its laps (TCX has no session totals)."""
    frame = pd.DataFrame(laps)
    valid_times = times[~times.isna()]
    start = to_utc([find_text(activity, "Id") or ""])[0]
    if pd.isna(start):
        start = frame["start_time"].min() if len(frame) else pd.NaT
    if pd.isna(start) and len(valid_times):
        start = valid_times.min()
    row: dict[str, object] = {"start_time": start, "sport": sport, "sub_sport": None}
    if frame.empty:
        return row
    timer = frame["timer_s"].to_numpy(dtype=float)
    end = valid_times.max() if len(valid_times) else pd.NaT
    row["elapsed_s"] = (end - start).total_seconds() if pd.notna(end) and pd.notna(start) else None
    row["timer_s"] = _nansum(timer)
    row["distance_m"] = _nansum(frame["distance_m"].to_numpy(dtype=float))
    row["avg_speed_mps"] = (
        row["distance_m"] / row["timer_s"] if row["timer_s"] and row["timer_s"] > 0 else np.nan
    )
    row["avg_hr_bpm"] = _weighted(frame["avg_hr_bpm"].to_numpy(dtype=float), timer)
    row["max_hr_bpm"] = _nanmax(frame["max_hr_bpm"].to_numpy(dtype=float))
    row["avg_cadence_spm"] = _weighted(frame["avg_cadence_spm"].to_numpy(dtype=float), timer)
    return row


def _device(activity: etree._Element) -> str | None:
    name = find_text(activity, "Creator/Name")
    if name:
        return name
    return find_text(activity.getroottree().getroot(), "Author/Name")


def _overall_sport(sports: list[str | None]) -> str | None:
    known = [s for s in sports if s]
    if not known:
        return None
    return known[0] if len(set(known)) == 1 else "multisport"


def _num(text: str | None) -> float:
    if text is None:
        return np.nan
    try:
        return float(text)
    except ValueError:
        return np.nan


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


def _read_course(course: etree._Element, source: str | None, points: Points) -> Activity:
    """A TCX ``Course``: positions, altitude and planned distance in file order, no times."""
    table = points(find_all(course, "Track"))
    n = table.n
    if not n:
        raise EmptyActivityError("TCX course holds no trackpoints", source)
    lat = table.floats("lat")
    lon = table.floats("lon")
    distance = table.floats("dist")
    source_kind = "device"
    if not np.isfinite(distance).any():
        distance = cumulative_distance_m(lat, lon)
        source_kind = "positions" if np.isfinite(distance).any() else None
    index = pd.DatetimeIndex(np.full(n, np.datetime64("NaT", "ns")), tz="UTC")
    samples = pd.DataFrame(
        {
            "distance_m": distance,
            "lat_deg": lat,
            "lon_deg": lon,
            "altitude_m": table.floats("alt"),
        },
        index=index,
    )
    meta = ActivityMeta(
        source_path=source,
        format="tcx",
        is_course=True,
        distance_source=source_kind,
    )
    return make_activity(samples, meta)
