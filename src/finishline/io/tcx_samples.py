"""TCX sample columns: one Activity's trackpoints in time order, and distance from positions.

- ``distance_m`` is the device's ``DistanceMeters`` when the trackpoints carry it, else the
  great-circle distance along the positions, with no distance across ``Track`` breaks;
- ``speed_mps`` is ``TPX/Speed`` when present, else distance / time between samples;
- cadence: ``RunCadence`` (and ``Cadence`` in a running activity) counts strides per minute of
  one leg, so ``cadence_spm = 2 * RunCadence``; in a cycling activity ``Cadence`` is pedal rpm
  and goes to ``cadence_rpm``;
- an impossible position (outside [-90, 90] x [-180, 180]) is NaN.
"""

from __future__ import annotations

import numpy as np

from finishline.geo import cumulative_distance_m
from finishline.io.xml_document import PointTable
from finishline.io.xml_quality import impossible_positions
from finishline.io.xml_values import NAT


def columns(
    table: PointTable, nanoseconds: np.ndarray, sport: str | None
) -> tuple[dict[str, np.ndarray], bool, int]:
    """Sample columns of one Activity in time order (rows without a valid time are dropped).

    ``nanoseconds`` are the points' times (int64 ns since the epoch, NaT the smallest int64).

    Returns the columns (with ``_time``, int64 ns, and ``_track``, the track of each sample),
    whether the trackpoints carry the device's distance, and the number of impossible
    positions read as missing.
    """
    keep = np.flatnonzero(nanoseconds != NAT)
    order = keep[np.argsort(nanoseconds[keep], kind="stable")]
    distance = table.floats("dist")[order]
    device_distance = bool(np.isfinite(distance).any())
    speed = table.floats("speed")[order]
    if not np.isfinite(speed).any() and device_distance:
        speed = speed_from_distance(distance, nanoseconds[order])
    lat = table.floats("lat")[order]
    lon = table.floats("lon")[order]
    impossible = impossible_positions(lat, lon)
    if impossible.any():
        lat = np.where(impossible, np.nan, lat)
        lon = np.where(impossible, np.nan, lon)
    columns = {
        "distance_m": distance,
        "speed_mps": speed,
        "lat_deg": lat,
        "lon_deg": lon,
        "altitude_m": table.floats("alt")[order],
        "heart_rate_bpm": table.floats("hr")[order],
        "power_w": table.floats("watts")[order],
    }
    run_cad = table.floats("run_cad")[order]
    cad = table.floats("cad")[order]
    if sport == "cycling":
        columns["cadence_spm"] = 2.0 * run_cad
        if np.isfinite(cad).any():
            columns["cadence_rpm"] = cad
    else:
        columns["cadence_spm"] = 2.0 * np.where(np.isfinite(run_cad), run_cad, cad)
    columns["_time"] = nanoseconds[order]
    columns["_track"] = table.group[order].copy()
    return columns, device_distance, int(impossible.sum())


def distance_from_positions(
    columns: dict[str, np.ndarray], nanoseconds: np.ndarray, track: np.ndarray
) -> None:
    """Fill ``distance_m`` (and a missing ``speed_mps``) from positions, breaking at tracks.

    The columns (and ``nanoseconds``, ``track``) are put in time order first.
    """
    order = np.argsort(nanoseconds, kind="stable")
    if (order != np.arange(len(order))).any():
        for name in columns:
            columns[name] = columns[name][order]
        nanoseconds[:] = nanoseconds[order]
        track = track[order]
    breaks = np.r_[False, track[1:] != track[:-1]]
    distance = cumulative_distance_m(columns["lat_deg"], columns["lon_deg"], breaks)
    columns["distance_m"] = distance
    if not np.isfinite(columns["speed_mps"]).any():
        columns["speed_mps"] = speed_from_distance(distance, nanoseconds, breaks)


def speed_from_distance(
    distance_m: np.ndarray, nanoseconds: np.ndarray, breaks: np.ndarray | None = None
) -> np.ndarray:
    """Speed (m/s) between consecutive samples; NaN at the first sample and zero time steps."""
    speed = np.full(len(distance_m), np.nan)
    if len(distance_m) < 2:
        return speed
    dt_s = np.diff(nanoseconds) / 1e9
    ok = dt_s > 0
    if breaks is not None:
        ok &= ~breaks[1:]
    speed[1:][ok] = np.diff(distance_m)[ok] / dt_s[ok]
    return speed
