"""FIT course files (planned routes) read as courses: a file built here, and the corpus course."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from corpus import corpus_path
from test_fit_fast import ENUM, STRING, T0, UINT16, UINT32, definition, fit_file, message

import finishline
from finishline import read_bytes
from finishline.clean import clean
from finishline.errors import AnalysisError, EmptyActivityError, FinishlineWarning

SINT32 = 0x85
DEG = 180.0 / 2**31
LAT = [45.0, 45.0009, 45.0018, 45.0027]
LON = [7.0, 7.0, 7.0005, 7.001]


def _course(times: bool = True, positions: bool = True) -> bytes:
    """A course file: file_id.type = course (6), a course message, four route points."""
    body = definition(0, 0, [(0, 1, ENUM), (1, 2, UINT16)]) + message(0, "BH", 6, 1)
    body += definition(2, 31, [(4, 1, ENUM), (5, 12, STRING)])  # course: sport, name
    body += message(2, "B12s", 1, b"Lakeside 10k")
    fields = [(5, 4, UINT32), (2, 2, UINT16)]
    fields += [(0, 4, SINT32), (1, 4, SINT32)] if positions else []
    fields += [(253, 4, UINT32)] if times else []
    body += definition(1, 20, fields)
    for i in range(4):
        values = [i * 10_000, 2600 + 5 * i]
        values += [round(LAT[i] / DEG), round(LON[i] / DEG)] if positions else []
        values += [T0 + 30 * i] if times else []
        fmt = "IH" + ("ii" if positions else "") + ("I" if times else "")
        body += message(1, fmt, *values)
    return fit_file(body)


def _read(data: bytes, name: str = "course.fit"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FinishlineWarning)
        return read_bytes(data, name)


def test_course_file_reads_as_a_course_like_a_gpx_route():
    act = _read(_course())
    assert act.kind == "course" and act.meta.is_course
    assert act.meta.sport == "running" and act.meta.format == "fit"
    s = act.samples
    assert s.index.isna().all() and str(s.index.tz) == "UTC"
    np.testing.assert_allclose(s["lat_deg"], LAT, atol=1e-6)
    np.testing.assert_allclose(s["lon_deg"], LON, atol=1e-6)
    assert s["distance_m"].tolist() == [0.0, 100.0, 200.0, 300.0]
    assert s["altitude_m"].tolist() == [20.0, 21.0, 22.0, 23.0]  # raw / 5 - 500
    assert s["course_elapsed_s"].tolist() == [0.0, 30.0, 60.0, 90.0]  # the virtual partner
    assert act.meta.distance_source == "device"


def test_course_without_times_has_no_virtual_time_column():
    act = _read(_course(times=False))
    assert act.meta.is_course and "course_elapsed_s" not in act.samples.columns
    assert len(act.samples) == 4


def test_course_is_refused_for_run_analysis():
    with pytest.raises(AnalysisError, match="course"):
        clean(_read(_course()))


def test_course_without_positions_or_distance_is_empty():
    body = definition(0, 0, [(0, 1, ENUM), (1, 2, UINT16)]) + message(0, "BH", 6, 1)
    body += definition(1, 20, [(253, 4, UINT32)]) + message(1, "I", T0)
    with pytest.raises(EmptyActivityError, match="course"):
        _read(fit_file(body))


@pytest.mark.real
def test_real_course_file_matches_its_tcx_twin():
    """The corpus course exists as FIT and TCX: the same route point for point."""
    fit = _read(corpus_path("bad/heartandsole__testcourse__nosport_25.3km.fit").read_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tcx = finishline.read(corpus_path("bad/heartandsole__testcourse__nosport_25.3km.tcx"))
    assert fit.kind == tcx.kind == "course"
    assert len(fit.samples) == len(tcx.samples) == 4990
    # to the FIT resolution: 1 cm of distance, 0.2 m of altitude, ~1e-7 deg of position
    for col, atol in (("lat_deg", 1e-6), ("lon_deg", 1e-6), ("distance_m", 0.01),
                      ("altitude_m", 0.2)):  # fmt: skip
        np.testing.assert_allclose(fit.samples[col], tcx.samples[col], atol=atol, err_msg=col)
    elapsed = fit.samples["course_elapsed_s"]
    assert elapsed.iloc[0] == 0.0 and elapsed.is_monotonic_increasing
    assert elapsed.iloc[-1] == pytest.approx(9091.0)  # the course's lap: 2:31:31
