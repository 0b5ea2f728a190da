"""GPX 1.0 / 1.1 reader: tracks (or routes) to a columnar :class:`~finishline.activity.Activity`.

What is read, per track point: ``lat``/``lon``, ``ele``, ``time`` and the extension fields
written by Garmin (TrackPointExtension v1/v2: ``hr``, ``cad``, ``atemp``, ``speed``), by Strava
and others (``power``, ``PowerInWatts``, ``heartrate``, ``cadence``, ``temp``), under any
namespace prefix.

Rules:

- every ``trk``/``trkseg`` is read; segments are concatenated in time order and a segment break
  stays a gap: no samples are invented and the jump between segments adds no distance (the
  recording was off), as in gpxpy's ``length_2d``;
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

from finishline.activity import Activity, ActivityMeta, make_activity, normalize_sport
from finishline.errors import EmptyActivityError, FileFormatError
from finishline.geo import cumulative_distance_m
from finishline.io.xml_safe import (
    find_all,
    find_text,
    local_name,
    parse_xml,
    point_columns,
    to_float,
    to_utc,
    utc_offset_s,
)

#: Field name -> local-name path from a ``trkpt``/``rtept``; ``|`` separates alternatives.
POINT_FIELDS: dict[str, str] = {
    "lat": "@lat",
    "lon": "@lon",
    "ele": "ele",
    "time": "time",
    "hr": "extensions//hr | extensions//heartrate",
    "cad": "extensions//cad | extensions//cadence",
    "atemp": "extensions//atemp | extensions//temp",
    "power": "extensions//power | extensions//PowerInWatts",
    "speed": "speed | extensions//speed",
}

#: Sports we recognise in free text (track names), by the word that names them.
_NAME_SPORTS = ("running", "cycling", "walking", "hiking", "swimming")


def read_gpx(data: bytes, source: str | None = None) -> Activity:
    """Read GPX bytes into an :class:`~finishline.activity.Activity`.

    Parameters
    ----------
    data
        The GPX document (any encoding; BOM handled).
    source
        File name, for ``meta.source_path`` and error messages.

    Raises
    ------
    UnsafeFileError
        The XML declares entities.
    FileFormatError
        Malformed XML, or the root is not ``<gpx>``.
    EmptyActivityError
        No track or route points (only waypoints, or nothing).
    """
    root = parse_xml(data, source)
    if local_name(root) != "gpx":
        raise FileFormatError(f"root element is <{local_name(root)}>, not <gpx>", source)

    pieces = [point_columns(seg, "trkpt", POINT_FIELDS) for seg in find_all(root, "trk/trkseg")]
    pieces = [p for p in pieces if p[0]]
    from_route = False
    if not pieces:
        pieces = [point_columns(rte, "rtept", POINT_FIELDS) for rte in find_all(root, "rte")]
        pieces = [p for p in pieces if p[0]]
        from_route = True
    if not pieces:
        n_wpt = len(find_all(root, "wpt"))
        what = f"only {n_wpt} waypoints" if n_wpt else "no points"
        raise EmptyActivityError(f"GPX holds no track or route points ({what})", source)

    columns = {name: [v for _, cols in pieces for v in cols[name]] for name in POINT_FIELDS}
    segment = np.repeat(np.arange(len(pieces)), [n for n, _ in pieces])
    times = to_utc(columns["time"])
    is_course = from_route or bool(times.isna().all())

    sport = _sport(root)
    meta = ActivityMeta(
        source_path=source,
        format="gpx",
        sport=sport,
        device=(root.get("creator") or "").strip() or None,
        is_course=is_course,
        utc_offset_s=None if is_course else utc_offset_s(_first(columns["time"])),
    )

    if is_course:
        order = np.arange(len(times))
        index = pd.DatetimeIndex(np.full(len(times), np.datetime64("NaT", "ns")), tz="UTC")
    else:
        keep = np.flatnonzero(~times.isna())
        order = keep[np.argsort(times.asi8[keep], kind="stable")]
        index = times[order]
        if len(order) < len(times):
            meta.warnings.append(f"{len(times) - len(order)} track points without a valid time")
    segment = segment[order]

    samples = _samples(columns, order, segment, index, sport, meta)
    return make_activity(samples, meta)


def _samples(
    columns: dict[str, list[str]],
    order: np.ndarray,
    segment: np.ndarray,
    index: pd.DatetimeIndex,
    sport: str | None,
    meta: ActivityMeta,
) -> pd.DataFrame:
    """The samples frame, in time order (file order for a course)."""
    lat = to_float(columns["lat"])[order]
    lon = to_float(columns["lon"])[order]
    breaks = np.r_[False, segment[1:] != segment[:-1]]
    distance = cumulative_distance_m(lat, lon, breaks)
    if np.isfinite(distance).any():
        meta.distance_source = "positions"

    speed = to_float(columns["speed"])[order]
    if not np.isfinite(speed).any() and not meta.is_course:
        speed = _speed_from_distance(distance, index, breaks)

    frame = {
        "distance_m": distance,
        "speed_mps": speed,
        "lat_deg": lat,
        "lon_deg": lon,
        "altitude_m": to_float(columns["ele"])[order],
        "heart_rate_bpm": to_float(columns["hr"])[order],
        "power_w": to_float(columns["power"])[order],
        "temperature_c": to_float(columns["atemp"])[order],
    }
    cad = to_float(columns["cad"])[order]
    if sport == "cycling":
        frame["cadence_spm"] = np.full(len(order), np.nan)
        if np.isfinite(cad).any():
            frame["cadence_rpm"] = cad
            meta.units["cadence_rpm"] = "rpm"
    else:
        frame["cadence_spm"] = 2.0 * cad
    return pd.DataFrame(frame, index=index)


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
            sport = normalize_sport(word) if word.isalpha() else None
            if sport in _NAME_SPORTS:
                return sport
    return None


def _first(values: list[str]) -> str | None:
    return next((v for v in values if v and v.strip()), None)
