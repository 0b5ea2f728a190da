"""GPX 1.0 / 1.1 reader: tracks (or routes) to a columnar :class:`~finishline.activity.Activity`.

What is read, per track point: ``lat``/``lon``, ``ele``, ``time`` and the extension fields
written by Garmin (TrackPointExtension v1/v2: ``hr``, ``cad``, ``atemp``, ``speed``), by Strava
and others (``power``, ``PowerInWatts``, ``heartrate``, ``cadence``, ``temp``), under any
namespace prefix.

Rules:

- every ``trk``/``trkseg`` is read; segments are concatenated in time order and a segment break
  stays a gap: no samples are invented and the jump between segments adds no distance (the
  recording was off), as in gpxpy's ``length_2d``;
- tracks that overlap in time (two recordings of one run) are not mixed: the longest of each
  overlapping group is read, with a warning; :func:`read_gpx_all` returns each track that has
  its own times as an activity;
- values are faithful (:mod:`~finishline.io.xml_quality`): a number that does not parse is NaN,
  a point whose time does not parse or is impossible is dropped, an impossible position is NaN,
  each with a warning;
- ``distance_m`` is the great-circle distance along the positions
  (``meta.distance_source = "positions"``); ``speed_mps`` is the file's speed where it has one,
  else distance / time between consecutive samples (NaN at the first sample of a segment);
- cadence: the TrackPointExtension schema says ``cad`` is in rpm, and Garmin (Connect and the
  watches) writes the FIT running cadence there, i.e. strides per minute of one leg. For anything
  but cycling we therefore store ``cadence_spm = 2 * cad`` (steps per minute, both legs), the
  same as the TCX ``RunCadence`` rule; for cycling ``cad`` is pedal rpm and goes to an extra
  ``cadence_rpm`` column (``meta.units["cadence_rpm"] = "rpm"``) with ``cadence_spm`` left NaN;
- a route (``rte``), or tracks without any time, read as a course: ``meta.is_course = True`` and
  an all-NaT index in file order;
- sport: ``trk/type`` (Garmin ``running``, Strava ``9``), else a sport word in the track name
  (Garmin Connect names tracks "<place> Running"); device: the ``creator`` attribute;
- a file with only waypoints, or no points at all, raises
  :class:`~finishline.errors.EmptyActivityError`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from lxml import etree

from finishline.activity import Activity, ActivityMeta, normalize_sport
from finishline.errors import EmptyActivityError, FileFormatError, TruncatedFileWarning
from finishline.geo import cumulative_distance_m
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
    report_positions,
    valid_times,
)
from finishline.io.xml_safe import find_all, find_text, local_name, utc_offset_s

#: Field name -> local name of the element (or ``@attribute``) inside a ``trkpt``/``rtept``;
#: ``|`` separates alternatives, the first present wins. Extension fields are found at any depth
#: (``extensions/gpxtpx:TrackPointExtension/gpxtpx:hr``).
POINT_FIELDS: dict[str, str] = {
    "lat": "@lat",
    "lon": "@lon",
    "ele": "ele",
    "time": "time",
    "hr": "hr | heartrate",
    "cad": "cad | cadence",
    "atemp": "atemp | temp",
    "power": "power | PowerInWatts",
    "speed": "speed",
}

#: Numeric fields and what they are, for messages.
NUMBER_FIELDS: dict[str, str] = {
    "lat": "latitude",
    "lon": "longitude",
    "ele": "elevation",
    "hr": "heart rate",
    "cad": "cadence",
    "atemp": "temperature",
    "power": "power",
    "speed": "speed",
}

#: Words in a track name that say the sport, beyond those :func:`normalize_sport` knows.
_NAME_WORDS = {"marathon": "running", "halfmarathon": "running", "jog": "running"}

#: Sports we recognise in free text (track names), by the word that names them.
_NAME_SPORTS = ("running", "cycling", "walking", "hiking", "swimming")


def _open(data: bytes, source: str | None, salvage: bool) -> XmlDocument:
    doc = open_document(
        data, source, ("trkpt", "rtept"), POINT_FIELDS, time_fields=("time",), salvage=salvage
    )
    if local_name(doc.root) != "gpx":
        raise FileFormatError(f"root element is <{local_name(doc.root)}>, not <gpx>", source)
    return doc


def _no_points(root: etree._Element, source: str | None) -> EmptyActivityError:
    n_wpt = len(find_all(root, "wpt"))
    what = f"only {n_wpt} waypoints" if n_wpt else "no points"
    return EmptyActivityError(f"GPX holds no track or route points ({what})", source)


def _tracks(doc: XmlDocument) -> list[PointTable]:
    """The points of each ``trk``, grouped by segment."""
    return [doc.points(find_all(trk, "trkseg"), "trkpt") for trk in find_all(doc.root, "trk")]


def read_gpx(data: bytes, source: str | None = None, *, salvage: bool = False) -> Activity:
    """Read GPX bytes into an :class:`~finishline.activity.Activity`.

    Parameters
    ----------
    data
        The GPX document (any encoding; BOM handled).
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
        Malformed XML, or the root is not ``<gpx>``.
    EmptyActivityError
        No track or route points (only waypoints, or nothing).

    Warns
    -----
    TruncatedFileWarning
        The file ends early: the complete points before the cut are read.
    FinishlineWarning
        Tracks overlap in time (the longest of each overlapping group is read); values that
        are not numbers, impossible times or positions.
    """
    doc = _open(data, source, salvage)
    tracks = _tracks(doc)
    overlap_note = None
    if any(t.n for t in tracks):
        spans = [Span.of(t.times("time")) for t in tracks]
        kept, overlapping = keep_apart(spans)
        table = _join([tracks[i] for i in kept], doc)
        if overlapping:
            sport = _sport(doc.root)
            labels = [label(span, sport, i + 1, "track") for i, span in enumerate(spans)]
            overlap_note = describe_overlaps(overlapping, spans, labels, "tracks")
        from_route = False
    else:
        table = doc.points(find_all(doc.root, "rte"), "rtept")
        from_route = True
    if not table.n:
        raise _no_points(doc.root, source)
    act = _activity(doc, table, source, from_route)
    if overlap_note:
        report(act.meta, overlap_note)
    return act


def read_gpx_all(
    data: bytes, source: str | None = None, *, salvage: bool = False
) -> list[Activity]:
    """Each track of a GPX file that has its own times, as its own Activity.

    A file without any timed track (routes, courses) gives what :func:`read_gpx` gives.
    """
    doc = _open(data, source, salvage)
    tracks = [t for t in _tracks(doc) if t.n and not t.times("time").isna().all()]
    if not tracks:
        return [read_gpx(data, source, salvage=salvage)]
    return [_activity(doc, table, source, from_route=False) for table in tracks]


def _join(tables: list[PointTable], doc: XmlDocument) -> PointTable:
    """The points of several tracks as one table; segment numbers stay distinct."""
    if not tables:
        empty = np.empty(0, dtype=np.int64)
        return PointTable(0, empty, empty, doc)
    groups, offset = [], 0
    for table in tables:
        groups.append(table.group + offset)
        offset += int(table.group.max()) + 1 if table.n else 0
    index = np.concatenate([t.index for t in tables])
    return PointTable(len(index), np.concatenate(groups), index, doc)


def _activity(
    doc: XmlDocument, table: PointTable, source: str | None, from_route: bool
) -> Activity:
    """One Activity from the points of ``table`` (a course when they have no time)."""
    root = doc.root
    sport = _sport(root)
    meta = ActivityMeta(
        source_path=source,
        format="gpx",
        sport=sport,
        device=(root.get("creator") or "").strip() or None,
    )
    report_bad_numbers(table, NUMBER_FIELDS, meta)
    times = valid_times(table, "time", meta, "point")
    meta.is_course = from_route or bool(times.isna().all())
    if not meta.is_course:
        meta.utc_offset_s = utc_offset_s(table.first("time"))

    if meta.is_course:
        order = np.arange(len(times))
        index = pd.DatetimeIndex(np.full(len(times), np.datetime64("NaT", "ns")), tz="UTC")
    else:
        keep = np.flatnonzero(~times.isna())
        order = keep[np.argsort(times.asi8[keep], kind="stable")]
        index = times[order]
        untimed = len(times) - len(order) - int(table.bad("time").sum())
        if untimed:
            meta.warnings.append(f"{untimed} track points without a time were left out")
    samples = _samples(table, order, index, sport, meta)
    act = activity_from_columns(samples, index.as_unit("ns").asi8, meta)
    if doc.truncated:
        meta.truncated = True
        note = f"the file ends early (truncated XML): read the {table.n} complete points before it"
        report(meta, note, TruncatedFileWarning, stacklevel=4)
    return act


def _samples(
    table: PointTable,
    order: np.ndarray,
    index: pd.DatetimeIndex,
    sport: str | None,
    meta: ActivityMeta,
) -> dict[str, np.ndarray]:
    """The sample columns (name -> array, one value per point of ``index``), in time order
    (file order for a course)."""
    segment = table.group[order]
    lat = table.floats("lat")[order]
    lon = table.floats("lon")[order]
    impossible = impossible_positions(lat, lon)
    if impossible.any():
        lat = np.where(impossible, np.nan, lat)
        lon = np.where(impossible, np.nan, lon)
        report_positions(meta, int(impossible.sum()))
    breaks = np.r_[False, segment[1:] != segment[:-1]]
    distance = cumulative_distance_m(lat, lon, breaks)
    if np.isfinite(distance).any():
        meta.distance_source = "positions"

    speed = table.floats("speed")[order]
    if not np.isfinite(speed).any() and not meta.is_course:
        speed = _speed_from_distance(distance, index, breaks)

    frame = {
        "distance_m": distance,
        "speed_mps": speed,
        "lat_deg": lat,
        "lon_deg": lon,
        "altitude_m": table.floats("ele")[order],
        "heart_rate_bpm": table.floats("hr")[order],
        "power_w": table.floats("power")[order],
        "temperature_c": table.floats("atemp")[order],
    }
    cad = table.floats("cad")[order]
    if sport == "cycling":
        frame["cadence_spm"] = np.full(len(order), np.nan)
        if np.isfinite(cad).any():
            frame["cadence_rpm"] = cad
            meta.units["cadence_rpm"] = "rpm"
    else:
        frame["cadence_spm"] = 2.0 * cad
    return frame


def _speed_from_distance(
    distance_m: np.ndarray, index: pd.DatetimeIndex, breaks: np.ndarray
) -> np.ndarray:
    """Speed (m/s) between consecutive samples; NaN at segment starts and zero time steps."""
    speed = np.full(len(distance_m), np.nan)
    if len(distance_m) < 2:
        return speed
    dt_s = np.diff(index.asi8) / 1e9
    ds_m = np.diff(distance_m)
    ok = (dt_s > 0) & ~breaks[1:]
    speed[1:][ok] = ds_m[ok] / dt_s[ok]
    return speed


def _sport(root: etree._Element) -> str | None:
    """Sport from ``trk/type``, else from a sport word in the track or metadata name."""
    for path in ("trk/type", "rte/type", "metadata/type"):
        sport = normalize_sport(find_text(root, path))
        if sport is not None:
            return sport
    for path in ("trk/name", "metadata/name", "rte/name"):
        name = find_text(root, path)
        if not name:
            continue
        for word in name.replace("_", " ").replace("-", " ").split():
            if not word.isalpha():
                continue
            sport = _NAME_WORDS.get(word.lower()) or normalize_sport(word)
            if sport in _NAME_SPORTS:
                return sport
    return None
