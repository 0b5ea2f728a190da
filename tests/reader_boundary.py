"""The reader before the plausibility boundary, and what the boundary may change, for the
differential tests (a reader against an independent decoder: Garmin's FIT SDK, gpxpy,
tcxreader).

A reader is compared with its reference *before* the boundary (:func:`read_decoded`: the
values the file holds, impossible ones included, as the reference decodes them); the Activity
is then compared with the decoded one (:func:`assert_only_boundary_changes`): it may differ
only where a documented rule of :mod:`finishline.io.plausibility` applies, each change checked
against the rule's own condition, so a rule that fires on a plausible value fails here:

- a value outside its documented range (:data:`DOCUMENTED_RANGES`, written out here from the
  module's documentation, not taken from the code under test) or a position outside WGS84
  becomes NaN; nothing inside a range changes;
- device distance that starts more than 100 m above 0 is counted from the first record, and
  device distance that steps back is held at the distance already reached;
- records dropped by the time rules lie an hour or more from every record kept (strays, parts
  split off), or are among the few at either end whose distance does not fit (misplaced ends);
  kept records keep their time (a clock repair is not expected in these files and fails).
"""

from __future__ import annotations

import warnings
from unittest import mock

import numpy as np

import finishline

#: Device distance starting above this (m) is counted from the first record (documented rule).
DISTANCE_START_OFFSET_M = 100.0
#: Physical ranges as :mod:`finishline.io.plausibility` documents them (column -> low, high).
DOCUMENTED_RANGES = {
    "altitude_m": (-500.0, 9_000.0),
    "heart_rate_bpm": (25.0, 250.0),
    "speed_mps": (0.0, 100.0),
    "cadence_spm": (0.0, 300.0),
    "power_w": (0.0, 3_000.0),
    "temperature_c": (-60.0, 70.0),
    "distance_m": (0.0, 60_480_000.0),
}
LATITUDE_RANGE_DEG, LONGITUDE_RANGE_DEG = (-90.0, 90.0), (-180.0, 180.0)
#: Records dropped as strays or split-off parts lie at least this far (s) from all kept ones;
#: at most this many at either end are dropped as misplaced.
STRAY_GAP_S, STRAY_MAX_RECORDS = 3600.0, 3


def _unchanged(columns, t_ns, meta, laps, sessions, events, stacklevel=4):
    return columns, t_ns, laps, sessions, events


def read_decoded(path):
    """``finishline.read(path)`` without the plausibility boundary: the reader's own output."""
    with mock.patch("finishline.io.plausibility.enforce", _unchanged):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return finishline.read(path)


def _outside(values: np.ndarray, low: float, high: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return ~((values >= low) & (values <= high))


def _differs(ours: np.ndarray, decoded: np.ndarray) -> np.ndarray:
    both = np.isfinite(ours) & np.isfinite(decoded)
    return (np.isfinite(ours) != np.isfinite(decoded)) | (both & (ours != decoded))


def _dropped_records_follow_the_rules(decoded, act) -> None:
    t = decoded.samples.index
    kept = t.isin(act.samples.index)
    if kept.all():
        return
    assert act.meta.warnings, "records were dropped without a warning"
    t_s = t.asi8 / 1e9
    kept_s = t_s[kept]
    n = t.size
    for i in np.flatnonzero(~kept):
        nearest_s = np.min(np.abs(kept_s - t_s[i]))
        at_an_end = i < STRAY_MAX_RECORDS or i >= n - STRAY_MAX_RECORDS
        misplaced = at_an_end and any("does not fit" in w for w in act.meta.warnings)
        assert nearest_s >= STRAY_GAP_S or misplaced, (
            f"record {i} ({t[i]}) dropped {nearest_s:.0f} s from the records kept"
        )


def _aligned(decoded, act):
    """The decoded samples at the Activity's records (a course: in file order, all kept)."""
    if act.meta.is_course:
        assert len(decoded.samples) == len(act.samples)
        return decoded.samples
    return decoded.samples.loc[act.samples.index]


def _masks_follow_the_ranges(decoded, act, columns) -> None:
    raw, ours = _aligned(decoded, act), act.samples
    for column in columns:
        if column not in ours or column not in raw or column == "distance_m":
            continue
        changed = _differs(ours[column].to_numpy(float), raw[column].to_numpy(float))
        if not changed.any():
            continue
        assert column in DOCUMENTED_RANGES, f"{column} changed at {int(changed.sum())} records"
        low, high = DOCUMENTED_RANGES[column]
        values = raw[column].to_numpy(float)[changed]
        assert np.isnan(ours[column].to_numpy(float)[changed]).all(), column
        inside = values[~_outside(values, low, high)]
        assert inside.size == 0, f"{column}: plausible values masked: {np.unique(inside)[:10]}"
    if "lat_deg" in columns and "lat_deg" in ours:
        lat, lon = raw["lat_deg"].to_numpy(float), raw["lon_deg"].to_numpy(float)
        changed = _differs(ours["lat_deg"].to_numpy(float), lat) | _differs(
            ours["lon_deg"].to_numpy(float), lon
        )
        bad = _outside(lat, *LATITUDE_RANGE_DEG) | _outside(lon, *LONGITUDE_RANGE_DEG)
        assert not (changed & ~bad).any(), "positions inside WGS84 changed"
        assert ours["lat_deg"][changed].isna().all() and ours["lon_deg"][changed].isna().all()


def _device_distance_held(decoded, act) -> None:
    raw = _aligned(decoded, act)["distance_m"].to_numpy(float)
    ours = act.samples["distance_m"].to_numpy(float)
    finite = raw[np.isfinite(raw) & (raw >= 0)]
    if finite.size and finite[0] > DISTANCE_START_OFFSET_M:
        raw = raw - finite[0]  # counted from the first record (an odometer, a corrupt start)
    changed = np.flatnonzero(_differs(ours, raw))
    if not changed.size:
        return
    reached = np.fmax.accumulate(np.where(np.isfinite(ours), ours, -np.inf))
    low, high = DOCUMENTED_RANGES["distance_m"]
    for i in changed:
        if np.isnan(ours[i]) and _outside(raw[i : i + 1], low, high)[0]:
            continue  # masked: outside the distance range
        assert i > 0 and raw[i] < ours[i] == reached[i - 1], (
            f"distance at record {i}: {raw[i]} decoded, {ours[i]} after the boundary"
        )


def assert_only_boundary_changes(decoded, act, columns) -> None:
    """``act`` (read through the boundary) equals ``decoded`` (read without it) in ``columns``,
    except where a documented plausibility rule applies (module docstring)."""
    if not act.meta.is_course:  # a course has no times to repair
        assert act.samples.index.isin(decoded.samples.index).all(), (
            f"record times changed at the boundary: {act.meta.warnings}"
        )
        _dropped_records_follow_the_rules(decoded, act)
    _masks_follow_the_ranges(decoded, act, columns)
    if "distance_m" in columns and decoded.meta.distance_source == "device":
        _device_distance_held(decoded, act)
