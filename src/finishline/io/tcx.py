"""TCX (Garmin Training Center Database v2) reader to a columnar :class:`~finishline.activity.Activity`.

What is read:

- ``Activities/Activity`` (``Sport`` attribute, ``Id``, ``Creator/Name``): one session each;
  ``Activities/MultiSportSession`` legs are sessions of one activity;
- ``Lap``: one lap row each (:mod:`~finishline.io.tcx_laps`);
- ``Trackpoint`` (``Time``, ``Position``, ``AltitudeMeters``, ``DistanceMeters``,
  ``HeartRateBpm``, ``Cadence`` and the ``TPX`` extension ``Speed``, ``RunCadence``,
  ``Watts``), any namespace prefix.

Rules:

- several activities in one file: those that follow one another in time are sessions of one
  Activity (each with its own sport, laps carrying ``session_index``), as FIT multisport legs
  are; where activities overlap in time (two recordings of one run, or unrelated activities
  mixed) :func:`read_tcx` keeps the longest of each overlapping group and says so
  (:func:`~finishline.io.xml_quality.keep_apart`); :func:`read_tcx_all` returns each activity;
- ``distance_m`` is the device's ``DistanceMeters`` (``meta.distance_source = "device"``) when
  the trackpoints carry it, else the great-circle distance along the positions
  (``"positions"``, no distance across ``Track`` breaks). Each Activity's distance restarts at
  0 in the file; later sessions are offset so that ``distance_m`` never goes back;
- ``speed_mps`` is ``TPX/Speed`` when present, else distance / time between samples;
- cadence: TCX ``RunCadence`` (and ``Cadence`` in a running activity) counts strides per minute
  of one leg, so ``cadence_spm = 2 * RunCadence`` (steps per minute, both legs). In a cycling
  activity ``Cadence`` is pedal rpm and goes to an extra ``cadence_rpm`` column;
- values are faithful (:mod:`~finishline.io.xml_quality`): a number that does not parse is NaN,
  a trackpoint whose time does not parse or is impossible is dropped, an impossible position is
  NaN, each with a warning;
- a file with only ``Courses`` reads as a course (``meta.is_course = True``, all-NaT index:
  course times are planned, not recorded); a file with neither activities nor courses (workouts,
  profiles) raises :class:`~finishline.errors.NotAnActivityError`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from lxml import etree

from finishline.activity import Activity, ActivityMeta, normalize_sport
from finishline.errors import (
    EmptyActivityError,
    FileFormatError,
    NotAnActivityError,
    TruncatedFileWarning,
)
from finishline.geo import cumulative_distance_m
from finishline.io import tcx_laps, tcx_samples
from finishline.io.activity_columns import activity_from_columns
from finishline.io.xml_document import PointTable, XmlDocument, open_document
from finishline.io.xml_quality import (
    Span,
    describe_overlaps,
    impossible_positions,
    keep_apart,
    label,
    report,
    report_bad_numbers,
    report_bad_times,
    report_positions,
)
from finishline.io.xml_safe import find_all, find_text, local_name, utc_offset_s

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

#: Numeric fields and what they are, for messages.
NUMBER_FIELDS: dict[str, str] = {
    "lat": "latitude",
    "lon": "longitude",
    "alt": "altitude",
    "dist": "distance",
    "hr": "heart rate",
    "cad": "cadence",
    "speed": "speed",
    "run_cad": "run cadence",
    "watts": "power",
}


#: The tables :mod:`~finishline.io.tcx_laps` builds in the form
#: :func:`~finishline.activity.conform` gives back as it is.
_IN_FORM = frozenset({"laps", "sessions"})


@dataclass
class _Leg:
    """One ``Activity`` element: its sport, trackpoints and their times."""

    element: etree._Element
    sport: str | None
    table: PointTable
    nanoseconds: np.ndarray
    span: Span


def _open(data: bytes, source: str | None, salvage: bool) -> XmlDocument:
    doc = open_document(
        data, source, ("Trackpoint",), POINT_FIELDS, time_fields=("time",), salvage=salvage
    )
    if local_name(doc.root) != "TrainingCenterDatabase":
        raise FileFormatError(
            f"root element is <{local_name(doc.root)}>, not <TrainingCenterDatabase>", source
        )
    return doc


def _units(root: etree._Element) -> list[list[etree._Element]]:
    """The activities of the file, each as its ``Activity`` elements (legs of a multisport)."""
    units: list[list[etree._Element]] = []
    for child in find_all(root, "Activities/*"):
        name = local_name(child)
        if name == "Activity":
            units.append([child])
        elif name == "MultiSportSession":
            legs = find_all(child, "*/Activity")
            if legs:
                units.append(legs)
    return units


def _legs(doc: XmlDocument, unit: list[etree._Element]) -> list[_Leg]:
    legs = []
    for element in unit:
        table = doc.points(find_all(element, "Lap/Track"), "Trackpoint")
        times = table.nanoseconds("time")
        legs.append(
            _Leg(element, normalize_sport(element.get("Sport")), table, times, Span.of_ns(times))
        )
    return legs


def _unit_span(legs: list[_Leg]) -> Span:
    spans = [leg.span for leg in legs if leg.span.start is not None]
    if not spans:
        return Span(None, None, 0)
    return Span(
        min(s.start for s in spans), max(s.end for s in spans), sum(s.n_points for s in spans)
    )


def _not_an_activity(root: etree._Element, source: str | None) -> NotAnActivityError:
    present = sorted({local_name(child) for child in root if isinstance(child.tag, str)})
    return NotAnActivityError(
        f"TCX holds no activity or course (only: {', '.join(present) or 'nothing'})", source
    )


def read_tcx(data: bytes, source: str | None = None, *, salvage: bool = False) -> Activity:
    """Read TCX bytes into an :class:`~finishline.activity.Activity`.

    Parameters
    ----------
    data
        The TCX document (any encoding; BOM handled).
    source
        File name, for ``meta.source_path`` and error messages.
    salvage
        ``data`` comes from a damaged gzip stream: read it up to the first XML error, as a
        truncated file.

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
    FinishlineWarning
        Activities overlap in time (the longest of each overlapping group is read); values
        that are not numbers, impossible times or positions.
    """
    doc = _open(data, source, salvage)
    units = _units(doc.root)
    if units:
        legs = [_legs(doc, unit) for unit in units]
        spans = [_unit_span(unit_legs) for unit_legs in legs]
        kept, overlapping = keep_apart(spans)
        act = _assemble([leg for i in kept for leg in legs[i]], doc, source)
        if overlapping:
            labels = [
                label(span, _unit_sport(unit_legs), i + 1, "activity")
                for i, (span, unit_legs) in enumerate(zip(spans, legs, strict=True))
            ]
            report(act.meta, describe_overlaps(overlapping, spans, labels, "activities"))
    elif courses := find_all(doc.root, "Courses/Course"):
        act = _read_course(courses[0], source, doc)
    else:
        raise _not_an_activity(doc.root, source)
    _note_truncation(doc, act)
    return act


def read_tcx_all(
    data: bytes, source: str | None = None, *, salvage: bool = False
) -> list[Activity]:
    """Every activity of a TCX file, each as its own :class:`~finishline.activity.Activity`.

    An ``Activity`` element is one activity, a ``MultiSportSession`` one activity with a
    session per leg; activities without trackpoints are left out. A file with only courses
    gives each course.

    Raises
    ------
    EmptyActivityError
        No activity holds a trackpoint.
    """
    doc = _open(data, source, salvage)
    units = _units(doc.root)
    if units:
        found = [
            legs
            for legs in (_legs(doc, unit) for unit in units)
            if any(leg.table.n for leg in legs)
        ]
        if not found:
            raise EmptyActivityError("TCX activities hold no trackpoints", source)
        acts = [_assemble(legs, doc, source) for legs in found]
    elif courses := find_all(doc.root, "Courses/Course"):
        acts = [_read_course(course, source, doc) for course in courses]
    else:
        raise _not_an_activity(doc.root, source)
    for act in acts:
        _note_truncation(doc, act)
    return acts


def _unit_sport(legs: list[_Leg]) -> str | None:
    return _overall_sport([leg.sport for leg in legs])


def _note_truncation(doc: XmlDocument, act: Activity) -> None:
    if not doc.truncated:
        return
    act.meta.truncated = True
    report(
        act.meta,
        f"the file ends early (truncated XML): read the {len(act.samples)} complete "
        "trackpoints before it",
        TruncatedFileWarning,
        stacklevel=4,
    )


def _assemble(legs: list[_Leg], doc: XmlDocument, source: str | None) -> Activity:
    """One Activity from ``legs`` (in time order), one session each."""
    meta = ActivityMeta(source_path=source, format="tcx")
    everything = _union([leg.table for leg in legs], doc)
    report_bad_numbers(everything, NUMBER_FIELDS, meta)
    report_bad_times(everything, "time", meta, "trackpoint")

    parts: list[dict[str, np.ndarray]] = []
    lap_columns: list[dict[str, np.ndarray]] = []
    sessions: list[dict[str, object]] = []
    distance_offset = 0.0
    has_device_distance = False
    impossible = 0
    tracks = 0
    for session_index, leg in enumerate(legs):
        part, device_distance, n_impossible = tcx_samples.columns(
            leg.table, leg.nanoseconds, leg.sport
        )
        impossible += n_impossible
        part["_track"] += tracks
        tracks += int(leg.table.group.max()) + 1 if leg.table.n else 0
        if device_distance:
            has_device_distance = True
            part["distance_m"] += distance_offset
        if np.isfinite(part["distance_m"]).any():
            distance_offset = float(np.nanmax(part["distance_m"]))
        parts.append(part)
        n = len(part["_time"])
        first = pd.Timestamp(int(part["_time"][0]), unit="ns", tz="UTC") if n else None
        end = pd.Timestamp(int(part["_time"][-1]), unit="ns", tz="UTC") if n else None
        columns = tcx_laps.laps(find_all(leg.element, "Lap"), session_index, leg.sport, end)
        lap_columns.append(columns)
        sessions.append(tcx_laps.session(leg.element, leg.sport, columns, first, end))
    report_positions(meta, impossible)

    if not any(len(p["_time"]) for p in parts):
        raise EmptyActivityError("TCX activities hold no trackpoints", source)
    names = list(dict.fromkeys(name for p in parts for name in p))
    columns = {
        name: np.concatenate([p.get(name, np.full(len(p["_time"]), np.nan)) for p in parts])
        for name in names
    }
    nanoseconds, track = columns.pop("_time"), columns.pop("_track")
    has_positions = bool(np.isfinite(columns["lat_deg"]).any())
    if not has_device_distance:
        tcx_samples.distance_from_positions(columns, nanoseconds, track)
    meta.sport = _overall_sport([leg.sport for leg in legs])
    meta.device = _device(legs[0].element)
    meta.utc_offset_s = utc_offset_s(
        next((leg.table.first("time") for leg in legs if leg.table.n), None)
    )
    meta.distance_source = (
        "device" if has_device_distance else "positions" if has_positions else None
    )
    if "cadence_rpm" in columns:
        meta.units["cadence_rpm"] = "rpm"
    return activity_from_columns(
        columns,
        nanoseconds,
        meta,
        laps=tcx_laps.lap_frame(lap_columns),
        sessions=tcx_laps.session_frame(sessions),
        in_form=_IN_FORM,
    )


def _union(tables: list[PointTable], doc: XmlDocument) -> PointTable:
    """The points of several tables as one (for counting problems once)."""
    index = np.concatenate([t.index for t in tables]) if tables else np.empty(0, np.int64)
    return PointTable(len(index), np.zeros(len(index), np.int64), index, doc)


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


def _read_course(course: etree._Element, source: str | None, doc: XmlDocument) -> Activity:
    """A TCX ``Course``: positions, altitude and planned distance in file order, no times."""
    table = doc.points(find_all(course, "Track"), "Trackpoint")
    n = table.n
    if not n:
        raise EmptyActivityError("TCX course holds no trackpoints", source)
    meta = ActivityMeta(source_path=source, format="tcx", is_course=True)
    report_bad_numbers(table, {k: NUMBER_FIELDS[k] for k in ("lat", "lon", "alt", "dist")}, meta)
    lat = table.floats("lat")
    lon = table.floats("lon")
    impossible = impossible_positions(lat, lon)
    lat = np.where(impossible, np.nan, lat)
    lon = np.where(impossible, np.nan, lon)
    report_positions(meta, int(impossible.sum()))
    distance = table.floats("dist")
    source_kind = "device"
    if not np.isfinite(distance).any():
        distance = cumulative_distance_m(
            lat, lon, np.r_[False, table.group[1:] != table.group[:-1]]
        )
        source_kind = "positions" if np.isfinite(distance).any() else None
    meta.distance_source = source_kind
    columns = {"distance_m": distance, "lat_deg": lat, "lon_deg": lon}
    columns["altitude_m"] = table.floats("alt")
    no_times = np.full(n, np.iinfo(np.int64).min)  # NaT: a course has no times
    return activity_from_columns(columns, no_times, meta)
