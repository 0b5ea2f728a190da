"""finishline's GPX/TCX points against gpxpy's and tcxreader's, on every corpus file they read.

The references are independent parsers (gpxpy: ElementTree/lxml object model; tcxreader:
ElementTree) read the plain way a user of those libraries would. Compared per point: count,
time, latitude, longitude, elevation, heart rate and cadence, of finishline's reader *before
the plausibility boundary* (``reader_boundary.read_decoded``: what the file holds). The
Activity (``finishline.read``) then equals what the reader decoded except where a documented
plausibility rule applies (``reader_boundary.assert_only_boundary_changes``: values outside
their ranges masked, stray records an hour or more from all others dropped).

Deliberate differences, applied to the reference before comparing:

- finishline's samples are a time series: points without a valid time are left out (a course
  without any time keeps file order), points are in time order, and a repeated timestamp keeps
  its first point (as for FIT);
- values are read by finishline's vectorised parser, within one unit in the last place of
  Python's ``float`` (:mod:`finishline.io.xml_values`), hence ``rtol=4.5e-16``;
- tcxreader leaves out trackpoints without a position; finishline keeps them (they carry
  time, distance, heart rate: a GPS gap, a treadmill), so only positioned points are compared;
- a GPX route is a course for finishline (file order, no time), whatever times it holds;
- times: gpxpy and tcxreader hold Python datetimes (microseconds); finishline keeps the
  nanoseconds written (``.2073437``), so times are compared to the microsecond;
- cadence: finishline stores steps per minute (``2 * cad`` / ``2 * RunCadence``); for cycling
  the pedal rpm is in ``cadence_rpm``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from corpus import corpus_files, corpus_path
from reader_boundary import assert_only_boundary_changes, read_decoded

import finishline

pytestmark = pytest.mark.real

ULP = 4.5e-16
#: The channels compared with the references, and between the reader and the Activity.
POINT_COLUMNS = ("lat_deg", "lon_deg", "altitude_m", "heart_rate_bpm", "cadence_spm",
                 "cadence_rpm", "speed_mps")  # fmt: skip


def _series_like_finishline(frame: pd.DataFrame, course: bool) -> pd.DataFrame:
    """The reference points as a finishline time series (see module notes)."""
    timed = frame[frame["time"].notna()]
    if course or timed.empty:
        return frame.reset_index(drop=True)
    ordered = timed.sort_values("time", kind="stable")
    return ordered[~ordered["time"].duplicated(keep="first")].reset_index(drop=True)


def _compare(act, ref: pd.DataFrame, cadence_factor: float, positioned: bool = False) -> None:
    s = act.samples
    ref = _series_like_finishline(ref, act.meta.is_course)
    if positioned:  # the reference leaves out points without a position
        s = s[s["lat_deg"].notna()]
    assert len(s) == len(ref)
    if not act.meta.is_course:
        expected = pd.DatetimeIndex(ref["time"]).as_unit("ns")
        np.testing.assert_array_equal(s.index.floor("us").asi8, expected.asi8)
    for column, field in (("lat_deg", "lat"), ("lon_deg", "lon"), ("altitude_m", "ele")):
        np.testing.assert_allclose(s[column], ref[field].astype(float), rtol=ULP, atol=0)
    np.testing.assert_array_equal(s["heart_rate_bpm"], ref["hr"].astype(float))
    if act.meta.sport == "cycling" and "cadence_rpm" in s:
        np.testing.assert_array_equal(s["cadence_rpm"], ref["cad"].astype(float))
    else:
        np.testing.assert_array_equal(s["cadence_spm"], cadence_factor * ref["cad"].astype(float))


def _utc(moment) -> pd.Timestamp:
    """A reference's datetime as a UTC timestamp (a naive one is UTC, as in finishline)."""
    if moment is None:
        return pd.NaT
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _number(text) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return np.nan


def _gpxpy_points(path) -> pd.DataFrame:
    gpxpy = pytest.importorskip("gpxpy")
    with path.open(encoding="utf-8-sig") as fh:
        try:
            doc = gpxpy.parse(fh)
        except Exception as exc:  # the reference cannot read it: nothing to compare
            pytest.skip(f"gpxpy cannot read the file: {exc}")
    rows = []
    sources = [seg.points for trk in doc.tracks for seg in trk.segments]
    if not any(sources):
        sources = [rte.points for rte in doc.routes]
    for points in sources:
        for p in points:
            ext = {}
            for element in getattr(p, "extensions", []) or []:
                for child in element.iter():
                    ext.setdefault(child.tag.rpartition("}")[2], child.text)
            rows.append(
                {
                    "time": _utc(p.time),
                    "lat": p.latitude,
                    "lon": p.longitude,
                    "ele": np.nan if p.elevation is None else p.elevation,
                    "hr": _number(ext.get("hr", ext.get("heartrate"))),
                    "cad": _number(ext.get("cad", ext.get("cadence"))),
                }
            )
    return pd.DataFrame(rows, columns=["time", "lat", "lon", "ele", "hr", "cad"])


GPX_FILES = [f for f in corpus_files(".gpx")]
TCX_FILES = [f for f in corpus_files(".tcx")]


@pytest.mark.parametrize("name", GPX_FILES)
def test_gpx_points_equal_gpxpy(name):
    path = corpus_path(name)
    try:
        decoded = read_decoded(path)
    except finishline.FinishlineError:
        pytest.skip("finishline refuses the file (tested in test_corpus_read)")
    ref = _gpxpy_points(path)
    if ref.empty:
        pytest.skip("gpxpy finds no points")
    _compare(decoded, ref, cadence_factor=2.0)
    assert_only_boundary_changes(decoded, finishline.read(path), POINT_COLUMNS)


def _tcxreader_points(path) -> pd.DataFrame:
    reader = pytest.importorskip("tcxreader.tcxreader")
    try:
        exercise = reader.TCXReader().read(str(path))
    except Exception as exc:  # the reference cannot read it: nothing to compare
        pytest.skip(f"tcxreader cannot read the file: {exc}")
    rows = []
    for t in exercise.trackpoints:
        tpx = t.tpx_ext or {}
        run_cadence = _number(tpx.get("RunCadence"))
        rows.append(
            {
                "time": _utc(t.time),
                "lat": np.nan if t.latitude is None else t.latitude,
                "lon": np.nan if t.longitude is None else t.longitude,
                "ele": np.nan if t.elevation is None else t.elevation,
                "hr": np.nan if t.hr_value is None else t.hr_value,
                "cad": run_cadence if np.isfinite(run_cadence) else _number(t.cadence),
            }
        )
    return pd.DataFrame(rows, columns=["time", "lat", "lon", "ele", "hr", "cad"])


@pytest.mark.parametrize("name", TCX_FILES)
def test_tcx_points_equal_tcxreader(name):
    path = corpus_path(name)
    try:
        decoded = read_decoded(path)
    except finishline.FinishlineError:
        pytest.skip("finishline refuses the file (tested in test_corpus_read)")
    if decoded.meta.is_course:
        pytest.skip("tcxreader reads activities, not courses")
    ref = _tcxreader_points(path)
    if ref.empty:
        pytest.skip("tcxreader finds no trackpoints")
    _compare(decoded, ref, cadence_factor=2.0, positioned=True)
    assert_only_boundary_changes(decoded, finishline.read(path), POINT_COLUMNS)
