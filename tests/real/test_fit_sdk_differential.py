"""finishline against Garmin's FIT SDK on every FIT file of the corpus (``fit/`` and ``bad/``).

Two levels, both against ``garmin_fit_sdk.Decoder`` (the reference; fitparse is no longer one):

1. messages: the fast engine's tables of every message equal the SDK's messages, row by row and
   field by field (see ``tests/test_fit_sdk_reference.py`` for the normalisations);
2. the reader: record count, time span, distance and every mapped record field of
   ``finishline.read`` *before the plausibility boundary* (``reader_boundary.read_decoded``)
   equal the SDK's records after the transformations the FIT reader makes on purpose, applied
   here explicitly to the SDK's records:

   - records without a timestamp are dropped (a sample needs a time); records sharing a
     timestamp are merged, each channel taking its first value (some apps write speed and
     distance in two records of the same second); records in time order;
   - a few records days away from all others are dropped (``stray_times``: corrupt times);
   - positions in degrees (semicircles x 180 / 2**31); enhanced speed and altitude preferred;
   - running cadence x 2 plus the fractional part (steps of both legs) in foot sports;
   - device distance made continuous across legs that restart it (multisport, chained files):
     within a leg the increments are the SDK's;
   - power from a developer power field where the records have no native power.

3. the Activity (``finishline.read``) equals what the reader decoded except where a documented
   plausibility rule applies (``reader_boundary.assert_only_boundary_changes``): the SDK
   decodes raw values (heart rate 0 or 255 included), the boundary masks impossible ones, each
   outside its documented range, and changes nothing else.

Where the SDK itself stops early the comparison is of the SDK's messages with our first ones,
and the files where we read more are an exact list (:data:`SDK_STOPS_EARLY`): a listed file
that starts agreeing fails, so the list cannot go stale.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from corpus import corpus_files, corpus_path
from reader_boundary import assert_only_boundary_changes, read_decoded
from test_fit_sdk_reference import DEV_INVALID, message_differences, sdk_decode

import finishline
from finishline.errors import FinishlineError
from finishline.io import fit_fast
from finishline.io.fit import stray_times
from finishline.io.fit_tables import FOOT_SPORTS, utc_times

pytestmark = pytest.mark.real

FIT_FILES = [f for f in corpus_files(".fit") if f.startswith(("fit/", "bad/"))]

#: Files the SDK stops reading before their end while finishline reads on, and why.
SDK_STOPS_EARLY = {
    "bad/fitparse__antfs-dump.63__run_nodist.fit": (
        "compressed-timestamp record headers (a Garmin FR70): the SDK raises 'Compressed "
        "timestamp messages are not currently supported' at the first; we read the 686 records "
        "as the FIT protocol defines them"
    ),
    "bad/fitparse__compressed-speed-distance__run_10.2km.fit": (
        "compressed-timestamp record headers (a Garmin FR70), as above: 755 records here"
    ),
}

DEG = 180.0 / 2**31


def _data(name: str) -> bytes:
    return corpus_path(name).read_bytes()


def _read(name: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return finishline.read(corpus_path(name))


@pytest.mark.parametrize("name", FIT_FILES)
def test_every_message_equals_the_sdk(name):
    data = _data(name)
    sdk, errors = sdk_decode(data)
    ours = fit_fast.decode(data, name, messages=None)
    n_sdk = sum(len(rows) for rows in sdk.values())
    n_ours = sum(len(table["_file"]) for table in ours.arrays.values())
    assert message_differences(sdk, ours, prefix_only=bool(errors)) == []
    if name in SDK_STOPS_EARLY:
        assert errors and n_ours > n_sdk, f"{name} now agrees with the SDK: drop it from the list"
    else:
        assert n_ours == n_sdk, f"{n_ours} messages here, {n_sdk} in the SDK ({errors})"


def _column(rows: list[dict], *names: str) -> np.ndarray:
    """The first present of ``names`` per SDK record, as floats (NaN where absent)."""
    out = np.full(len(rows), np.nan)
    for i, row in enumerate(rows):
        for key in names:
            value = row.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                out[i] = float(value)
                break
    return out


def _developer(rows: list[dict], keys: list[int], invalid: int | None) -> np.ndarray:
    """A developer field's values (under any of its description ``keys``), NaN where absent
    or invalid (the SDK keeps a developer field's invalid value as a number)."""
    out = np.full(len(rows), np.nan)
    for i, row in enumerate(rows):
        fields = row.get("developer_fields", {})
        value = next((fields[k] for k in keys if k in fields), None)
        if isinstance(value, int | float) and value != invalid:
            out[i] = float(value)
    return out


def _expected_samples(name: str, act) -> dict[str, np.ndarray] | None:
    """The SDK's records with finishline's deliberate transformations (module docstring)."""
    sdk, _ = sdk_decode(_data(name))
    rows = [r for r in sdk.get("record", []) if r.get("timestamp") is not None]
    if not rows:
        return None
    t = np.array([r["timestamp"].timestamp() for r in rows], dtype=float)
    label = act.meta.power_source or ""
    power_keys: list[int] = []
    power_invalid = None
    if label.startswith("developer:"):  # the descriptions (a file may re-send them) of the field
        descriptions = sdk.get("field_description", [])
        power_keys = [
            key
            for key, desc in enumerate(descriptions)
            if desc.get("field_name") and label.endswith(" " + desc["field_name"])
        ]
        power_invalid = DEV_INVALID.get(descriptions[power_keys[0]]["fit_base_type_id"] & 0x1F)
    columns = {
        "distance_m": _column(rows, "distance"),
        "speed_mps": _column(rows, "enhanced_speed", "speed"),
        "altitude_m": _column(rows, "enhanced_altitude", "altitude"),
        "heart_rate_bpm": _column(rows, "heart_rate"),
        "lat_deg": _column(rows, "position_lat") * DEG,
        "lon_deg": _column(rows, "position_long") * DEG,
        "temperature_c": _column(rows, "temperature"),
        "cadence": _column(rows, "cadence") + np.nan_to_num(_column(rows, "fractional_cadence")),
        "power_w": _column(rows, "power")
        if not power_keys
        else _developer(rows, power_keys, power_invalid),
    }
    bad = ~((np.abs(columns["lat_deg"]) <= 90) & (np.abs(columns["lon_deg"]) <= 180))
    columns["lat_deg"][bad] = columns["lon_deg"][bad] = np.nan
    keep = ~stray_times(utc_times((t * 1e9).astype(np.int64)))
    t = t[keep]
    columns = {k: v[keep] for k, v in columns.items()}
    order = np.argsort(t, kind="stable")
    t = t[order]
    columns = {k: v[order] for k, v in columns.items()}
    starts = np.flatnonzero(np.concatenate(([True], np.diff(t) != 0)))
    merged = {}
    for key, values in columns.items():  # first value per timestamp
        out = np.full(starts.size, np.nan)
        for j, (lo, hi) in enumerate(zip(starts, [*starts[1:], t.size], strict=True)):
            found = values[lo:hi][np.isfinite(values[lo:hi])]
            out[j] = found[0] if found.size else np.nan
        merged[key] = out
    merged["t"] = t[starts]
    return merged


def _same(ours: np.ndarray, expected: np.ndarray) -> bool:
    both = np.isfinite(ours) & np.isfinite(expected)
    return bool(
        (np.isfinite(ours) == np.isfinite(expected)).all()
        and np.allclose(ours[both], expected[both], rtol=1e-9, atol=1e-9)
    )


#: The record channels compared with the SDK's, and between the reader and the Activity.
RECORD_COLUMNS = ("speed_mps", "altitude_m", "heart_rate_bpm", "lat_deg", "lon_deg", "power_w",
                  "temperature_c", "distance_m", "cadence_spm", "cadence_rpm")  # fmt: skip


@pytest.mark.parametrize("name", [f for f in FIT_FILES if f not in SDK_STOPS_EARLY])
def test_activity_records_equal_the_sdk_records(name):
    try:
        decoded = read_decoded(corpus_path(name))
    except FinishlineError as exc:
        sdk, _ = sdk_decode(_data(name))
        timed = [r for r in sdk.get("record", []) if r.get("timestamp") is not None]
        kind = sdk.get("file_id", [{}])[0].get("type")
        assert not timed or kind not in ("activity", "course"), f"{name}: {exc}"
        return
    s = decoded.samples
    if decoded.meta.is_course:  # no merging: every point of the route, in file order
        sdk, _ = sdk_decode(_data(name))
        rows = sdk["record"]
        assert len(s) == len(rows)
        assert _same(s["lat_deg"].to_numpy(), _column(rows, "position_lat") * DEG)
        assert _same(s["lon_deg"].to_numpy(), _column(rows, "position_long") * DEG)
        assert _same(s["distance_m"].to_numpy(), _column(rows, "distance"))
        assert _same(s["altitude_m"].to_numpy(), _column(rows, "enhanced_altitude", "altitude"))
        assert_only_boundary_changes(decoded, _read(name), RECORD_COLUMNS)
        return
    expected = _expected_samples(name, decoded)
    assert expected is not None
    t = s.index.asi8 / 1e9
    assert len(s) == len(expected["t"]), (len(s), len(expected["t"]))
    np.testing.assert_allclose(t, expected["t"], rtol=0, atol=1e-6)
    for col in ("speed_mps", "altitude_m", "heart_rate_bpm", "lat_deg", "lon_deg", "power_w",
                "temperature_c"):  # fmt: skip
        assert _same(s[col].to_numpy(), expected[col]), col
    distance, sdk_distance = s["distance_m"].to_numpy(), expected["distance_m"]
    if decoded.meta.distance_source == "device":
        offset = distance - sdk_distance
        finite = np.isfinite(offset)
        assert (np.isfinite(distance) == np.isfinite(sdk_distance)).all()
        steps = np.diff(offset[finite])
        # legs that restart the distance are shifted up; otherwise the SDK's values
        assert np.all((np.abs(steps) < 1e-6) | (steps > 0)), "distance differs within a leg"
        assert abs(offset[finite][0]) < 1e-6 if finite.any() else True
    sport = decoded.meta.sport
    if sport in FOOT_SPORTS:
        assert _same(s["cadence_spm"].to_numpy(), 2 * expected["cadence"])
    elif sport is not None and sport != "multisport" and "cadence_rpm" in s:
        assert _same(s["cadence_rpm"].to_numpy(), expected["cadence"])
    assert_only_boundary_changes(decoded, _read(name), RECORD_COLUMNS)


def test_coros_misaligned_file_reads_the_whole_ride():
    """The COROS file that declares a one-byte uint32 event field: all 11,272 records and the
    32.1 km the session reports, as the SDK reads it (fitparse stopped at 4.3 km)."""
    name = "bad/fitparse__coros-pace-2-cycling-misaligned-fields__ride_32.1km.fit"
    act = _read(name)
    sdk, errors = sdk_decode(_data(name))
    assert not errors and len(sdk["record"]) == 11_272
    assert len(act.samples) == len(sdk["record"]) and not act.meta.truncated
    assert act.samples["distance_m"].max() == max(r.get("distance", 0) for r in sdk["record"])
    session_m = sdk["session"][0]["total_distance"]
    assert act.samples["distance_m"].max() == pytest.approx(session_m, rel=1e-3)
    assert session_m > 32_000
    assert act.meta.warnings == []


def test_hr_messages_merged_into_swim_records_as_the_sdk():
    """HRM-Swim heart rates (hr messages) fill the pool-swim records' heart rate."""
    name = "fit/tormoder__activity_poolswim_with_hr__swim_1.7km.fit"
    sdk, _ = sdk_decode(_data(name))
    act = _read(name)
    merged = np.array([r.get("heart_rate", np.nan) for r in sdk["record"]], dtype=float)
    assert np.isfinite(merged).mean() > 0.5
    assert act.samples["heart_rate_bpm"].notna().mean() > 0.5
    assert act.samples["heart_rate_bpm"].between(40, 220).all()


def _text(value) -> str | None:
    """An event label as the events table holds it: the name, or the number as text where the
    profile has no name (event 38)."""
    return None if value is None else str(value).lower()


@pytest.mark.parametrize("name", [f for f in FIT_FILES if f not in SDK_STOPS_EARLY])
def test_laps_sessions_and_events_equal_the_sdk(name):
    """Laps (file order), sessions (each once, by start) and timed events (time order) are
    the SDK's messages in finishline's units."""
    try:
        act = _read(name)
    except FinishlineError:
        return
    if act.meta.is_course:
        return
    sdk, _ = sdk_decode(_data(name))
    laps = sdk.get("lap", [])
    assert len(act.laps) == len(laps)
    assert _same(act.laps["distance_m"].to_numpy(), _column(laps, "total_distance"))
    assert _same(act.laps["elapsed_s"].to_numpy(), _column(laps, "total_elapsed_time"))
    assert _same(act.laps["avg_hr_bpm"].to_numpy(), _column(laps, "avg_heart_rate"))
    unique = {
        (r.get("start_time"), r.get("total_distance"), r.get("total_elapsed_time"))
        for r in sdk.get("session", [])
    }
    assert len(act.sessions) == len(unique)
    distances = sorted(float(d) for _, d, _ in unique if d is not None)
    assert sorted(act.sessions["distance_m"].dropna().tolist()) == pytest.approx(distances)
    timed = [e for e in sdk.get("event", []) if e.get("timestamp") is not None]
    timed.sort(key=lambda e: e["timestamp"])  # stable: file order among equal times
    assert len(act.events) == len(timed)
    seconds = act.events["timestamp"].astype("int64").to_numpy() // 1_000_000_000
    assert seconds.tolist() == [int(e["timestamp"].timestamp()) for e in timed]
    assert act.events["event"].tolist() == [_text(e.get("event")) for e in timed]
    assert act.events["event_type"].tolist() == [_text(e.get("event_type")) for e in timed]
