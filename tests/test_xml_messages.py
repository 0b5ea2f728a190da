"""Damaged GPX/TCX documents give an Activity or a FinishlineError whose message is one line.

A command-line tool prints the message as one line of its report; libxml2's messages may
end in a newline, and a message that spans lines broke the fuzz harness's parsing.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finishline import Activity, read_bytes
from finishline.errors import FinishlineError, FinishlineWarning
from finishline.io.gpx import read_gpx

GPX11 = "http://www.topografix.com/GPX/1/1"
TPX = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"

POINTS = "".join(
    f"<trkpt lat='{45 + i * 1e-4:.6f}' lon='7.1'><ele>{300 + i}</ele>"
    f"<time>2021-05-01T08:00:{i:02d}Z</time><extensions><gpxtpx:TrackPointExtension>"
    f"<gpxtpx:hr>{120 + i}</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt>\n"
    for i in range(30)
)
GPX = (
    f'<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="t" xmlns="{GPX11}" '
    f'xmlns:gpxtpx="{TPX}">\n<trk><name>Run</name><trkseg>\n{POINTS}</trkseg></trk>\n</gpx>\n'
).encode()

TCX = (
    b'<?xml version="1.0"?>\n<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/'
    b'TrainingCenterDatabase/v2"><Activities><Activity Sport="Running"><Id>2021-05-01T08:00:00Z'
    b'</Id><Lap StartTime="2021-05-01T08:00:00Z"><TotalTimeSeconds>29</TotalTimeSeconds><Track>\n'
    + b"".join(
        b"<Trackpoint><Time>2021-05-01T08:00:%02dZ</Time><DistanceMeters>%d</DistanceMeters>"
        b"<HeartRateBpm><Value>%d</Value></HeartRateBpm></Trackpoint>\n" % (i, 3 * i, 120 + i)
        for i in range(30)
    )
    + b"</Track></Lap></Activity></Activities></TrainingCenterDatabase>\n"
)


@st.composite
def damaged(draw, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        if len(out) < 2:
            break
        pos = draw(st.integers(0, len(out) - 1))
        op = draw(st.sampled_from(["flip", "delete", "insert", "truncate", "newline"]))
        if op == "flip":
            out[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "delete":
            del out[pos : pos + draw(st.integers(1, 12))]
        elif op == "insert":
            out[pos:pos] = draw(
                st.sampled_from([b"<", b">", b"&", b"</x>", b"<!--", b"]]>", b"\x00"])
            )
        elif op == "newline":
            out[pos:pos] = b"\n"
        else:
            del out[pos:]
    return bytes(out)


def _read(data: bytes) -> Activity | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FinishlineWarning)
        try:
            act = read_bytes(data, "damaged")
        except FinishlineError as exc:
            assert "\n" not in str(exc), str(exc)
            assert exc.path == "damaged"
            return None
    assert act.meta.is_course or act.samples.index.is_monotonic_increasing
    assert all("\n" not in w for w in act.meta.warnings)
    return act


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(damaged(GPX))
def test_damaged_gpx_one_line(data):
    _read(data)


@FUZZ
@given(damaged(TCX))
def test_damaged_tcx_one_line(data):
    _read(data)


def test_impossible_gpx_positions_are_missing_and_reported():
    doc = GPX.replace(b"lat='45.000000'", b"lat='450.0'").replace(b"lat='45.000100'", b"lat='-91'")
    with pytest.warns(FinishlineWarning, match="2 positions outside the range"):
        act = read_gpx(doc, "far.gpx")
    assert np.isnan(act.samples["lat_deg"].iloc[:2]).all()
    assert np.isnan(act.samples["lon_deg"].iloc[:2]).all()
    assert act.samples["lat_deg"].iloc[2:].notna().all()
    assert np.isfinite(act.samples["distance_m"]).all()  # no distance to or from nowhere
