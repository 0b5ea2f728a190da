"""GPX reader: synthetic documents with known answers (safety, versions, extensions, courses)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

import finishline
from finishline.errors import (
    EmptyActivityError,
    FileFormatError,
    FinishlineWarning,
    UnsafeFileError,
)
from finishline.geo import haversine_m
from finishline.io.gpx import read_gpx

GPX11 = "http://www.topografix.com/GPX/1/1"
GPX10 = "http://www.topografix.com/GPX/1/0"
TPX_V1 = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"
TPX_V2 = "http://www.garmin.com/xmlschemas/TrackPointExtension/v2"


def trkpt(lat, lon, when=None, ele=None, ext="", extra=""):
    parts = [f'<trkpt lat="{lat}" lon="{lon}">']
    if ele is not None:
        parts.append(f"<ele>{ele}</ele>")
    if when is not None:
        parts.append(f"<time>{when}</time>")
    parts.append(extra)
    if ext:
        parts.append(f"<extensions>{ext}</extensions>")
    parts.append("</trkpt>")
    return "".join(parts)


def gpx(body, ns=GPX11, version="1.1", head="", creator="test-device"):
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{head}'
        f'<gpx version="{version}" creator="{creator}" xmlns="{ns}" '
        f'xmlns:gpxtpx="{TPX_V1}" xmlns:odd="{TPX_V2}">{body}</gpx>'
    ).encode()


def track(points, name="Morning Run", kind=None):
    type_xml = f"<type>{kind}</type>" if kind else ""
    return f"<trk><name>{name}</name>{type_xml}<trkseg>{''.join(points)}</trkseg></trk>"


# ---------------------------------------------------------------- safety


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>&lol9;</name><trkseg>
<trkpt lat="1" lon="1"><time>2020-01-01T00:00:00Z</time></trkpt></trkseg></trk></gpx>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>&xxe;</name><trkseg>
<trkpt lat="1" lon="1"><time>2020-01-01T00:00:00Z</time></trkpt></trkseg></trk></gpx>"""

XXE_PARAMETER = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"></gpx>"""


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, XXE, XXE_PARAMETER])
def test_entity_payloads_are_refused_without_expansion(payload):
    started = time.perf_counter()
    with pytest.raises(UnsafeFileError, match="entities") as info:
        read_gpx(payload, "evil.gpx")
    assert time.perf_counter() - started < 1.0  # refused, not expanded
    assert "evil.gpx" in str(info.value)
    assert "root:" not in str(info.value)  # nothing of /etc/passwd leaked into the message


def test_entity_payload_in_utf16_is_refused_too():
    text = XXE.decode().replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    with pytest.raises(UnsafeFileError):
        read_gpx(text.encode("utf-16"), "evil16.gpx")


def test_public_read_refuses_billion_laughs(tmp_path):
    path = tmp_path / "laughs.gpx"
    path.write_bytes(BILLION_LAUGHS)
    with pytest.raises(UnsafeFileError):
        finishline.read(path)


def test_doctype_without_entities_is_accepted():
    doc = gpx(track([trkpt(1, 1, "2020-01-01T00:00:00Z"), trkpt(1.001, 1, "2020-01-01T00:00:05Z")]))
    doc = doc.replace(b"?>", b"?><!DOCTYPE gpx>", 1)
    assert len(read_gpx(doc).samples) == 2


def test_malformed_xml_names_file_and_line():
    doc = b'<?xml version="1.0"?>\n<gpx version="1.1">\n<trk>\n<trkseg>\n</trk>\n</gpx>'
    with pytest.raises(FileFormatError, match=r"broken\.gpx: malformed XML at line 5"):
        read_gpx(doc, "broken.gpx")


def test_wrong_root_is_a_format_error():
    with pytest.raises(FileFormatError, match="not <gpx>"):
        read_gpx(b"<kml><gpx/></kml>", "x.gpx")


# ---------------------------------------------------------------- content


def test_gpx11_garmin_extensions_hr_cad_atemp_power():
    ext = (
        "<gpxtpx:TrackPointExtension><gpxtpx:atemp>21.5</gpxtpx:atemp>"
        "<gpxtpx:hr>150</gpxtpx:hr><gpxtpx:cad>85</gpxtpx:cad></gpxtpx:TrackPointExtension>"
        "<power>250</power>"
    )
    pts = [
        trkpt(45.0, 7.0, "2021-05-01T08:00:00Z", 200.0, ext),
        trkpt(45.001, 7.0, "2021-05-01T08:00:30Z", 201.0, ext.replace("150", "152")),
    ]
    act = read_gpx(gpx(track(pts, kind="running")), "a.gpx")
    s = act.samples
    assert list(s["heart_rate_bpm"]) == [150.0, 152.0]
    assert list(s["cadence_spm"]) == [170.0, 170.0]  # Garmin cad = strides/min -> 2x steps
    assert list(s["temperature_c"]) == [21.5, 21.5]
    assert list(s["power_w"]) == [250.0, 250.0]
    assert list(s["altitude_m"]) == [200.0, 201.0]
    assert act.meta.sport == "running"
    assert act.meta.device == "test-device"
    assert act.meta.format == "gpx"
    assert act.meta.distance_source == "positions"
    assert s["distance_m"].iloc[-1] == pytest.approx(111.195, rel=1e-3)
    assert s["speed_mps"].iloc[-1] == pytest.approx(111.195 / 30, rel=1e-3)
    assert s["elapsed_s"].iloc[-1] == 30.0


def test_trackpointextension_v2_with_odd_prefix():
    ext = "<odd:TrackPointExtension><odd:hr>140</odd:hr><odd:speed>3.2</odd:speed></odd:TrackPointExtension>"
    pts = [
        trkpt(45, 7, "2021-05-01T08:00:00Z", ext=ext),
        trkpt(45.0001, 7, "2021-05-01T08:00:01Z", ext=ext),
    ]
    s = read_gpx(gpx(track(pts))).samples
    assert list(s["heart_rate_bpm"]) == [140.0, 140.0]
    assert list(s["speed_mps"]) == [3.2, 3.2]  # the file's speed wins over distance/time


def test_gpx10_with_speed_and_foreign_extension_elements():
    extra = '<speed>2.5</speed><hr xmlns="urn:x-heart">133</hr>'
    pts = [
        trkpt(10.0, 20.0, "2013-01-02T02:03:00Z", 75, extra=extra),
        trkpt(10.0, 20.001, "2013-01-02T02:03:10Z", 76, extra=extra),
    ]
    act = read_gpx(gpx(track(pts, name="x"), ns=GPX10, version="1.0"))
    assert list(act.samples["speed_mps"]) == [2.5, 2.5]
    assert list(act.samples["heart_rate_bpm"]) == [133.0, 133.0]
    assert act.samples["distance_m"].iloc[-1] == pytest.approx(
        float(haversine_m(10.0, 20.0, 10.0, 20.001)), rel=1e-9
    )


def test_fields_missing_on_some_points_stay_aligned():
    hr = "<gpxtpx:TrackPointExtension><gpxtpx:hr>{}</gpxtpx:hr></gpxtpx:TrackPointExtension>"
    pts = [
        trkpt(1, 1, "2020-01-01T00:00:00Z", ext=hr.format(100)),
        trkpt(1, 1.0001, "2020-01-01T00:00:01Z"),
        trkpt(1, 1.0002, "2020-01-01T00:00:02Z", 5.0, ext=hr.format(120)),
        trkpt(1, 1.0003, "2020-01-01T00:00:03Z", ext="<gpxtpx:TrackPointExtension/>"),
    ]
    s = read_gpx(gpx(track(pts))).samples
    np.testing.assert_array_equal(s["heart_rate_bpm"], [100.0, np.nan, 120.0, np.nan])
    np.testing.assert_array_equal(s["altitude_m"], [np.nan, np.nan, 5.0, np.nan])


def test_multi_segment_concatenated_in_time_order_gap_kept():
    seg_late = [trkpt(0.0, 1.0, "2020-01-01T01:00:00Z"), trkpt(0.001, 1.0, "2020-01-01T01:00:10Z")]
    seg_early = [trkpt(0.0, 0.0, "2020-01-01T00:00:00Z"), trkpt(0.001, 0.0, "2020-01-01T00:00:10Z")]
    body = (
        "<trk><name>two</name>"
        f"<trkseg>{''.join(seg_late)}</trkseg><trkseg>{''.join(seg_early)}</trkseg></trk>"
    )
    s = read_gpx(gpx(body)).samples
    assert s.index.is_monotonic_increasing
    assert list(s["lon_deg"]) == [0.0, 0.0, 1.0, 1.0]
    # each segment is 111 m; the 111 km jump between them is a gap, not distance
    assert s["distance_m"].iloc[-1] == pytest.approx(2 * 111.195, rel=1e-3)
    assert np.isnan(s["speed_mps"].iloc[2])  # no speed across the gap
    assert s["elapsed_s"].iloc[-1] == 3610.0  # the gap stays a gap: no invented samples
    assert len(s) == 4


def test_several_tracks_are_read():
    t1 = track([trkpt(0, 0, "2020-01-01T00:00:00Z"), trkpt(0.001, 0, "2020-01-01T00:00:10Z")])
    t2 = track([trkpt(0.002, 0, "2020-01-01T00:01:00Z")])
    assert len(read_gpx(gpx(t1 + t2)).samples) == 3


def test_time_formats_and_offsets_to_utc():
    pts = [
        trkpt(0, 0, "2020-06-01T10:00:00+02:00"),
        trkpt(0, 0.0001, "2020-06-01T08:00:01.250Z"),
        trkpt(0, 0.0002, "2020-06-01T08:00:02"),  # no zone: taken as UTC
        trkpt(0, 0.0003, "2020-06-01T03:00:03-05:00"),
    ]
    act = read_gpx(gpx(track(pts)))
    idx = act.samples.index
    assert str(idx.tz) == "UTC"
    expected = pd.to_datetime(
        [
            "2020-06-01 08:00:00",
            "2020-06-01 08:00:01.25",
            "2020-06-01 08:00:02",
            "2020-06-01 08:00:03",
        ],
        format="ISO8601",
    ).tz_localize("UTC")
    assert list(idx) == list(expected)
    assert act.meta.utc_offset_s == 7200  # from the first time written with an offset
    assert act.meta.start_time == expected[0]
    assert act.samples["elapsed_s"].iloc[1] == 1.25


def test_route_without_times_reads_as_course():
    body = (
        "<rte><name>loop</name>"
        '<rtept lat="0" lon="0"><ele>1</ele></rtept><rtept lat="0.001" lon="0"><ele>2</ele></rtept>'
        '<rtept lat="0.002" lon="0"/></rte>'
    )
    act = read_gpx(gpx(body))
    assert act.meta.is_course
    assert act.samples.index.isna().all()
    assert len(act.samples) == 3
    assert act.samples["distance_m"].iloc[-1] == pytest.approx(222.39, rel=1e-3)
    assert act.meta.start_time is None


def test_track_without_times_reads_as_course_in_file_order():
    pts = [trkpt(0.002, 0), trkpt(0.0, 0), trkpt(0.001, 0)]
    act = read_gpx(gpx(track(pts)))
    assert act.meta.is_course
    assert list(act.samples["lat_deg"]) == [0.002, 0.0, 0.001]


@pytest.mark.parametrize(
    "body",
    ['<wpt lat="1" lon="2"><name>summit</name></wpt>', "", "<trk><trkseg/></trk>"],
    ids=["waypoints-only", "empty", "empty-segment"],
)
def test_no_track_points_is_an_empty_activity(body):
    with pytest.raises(EmptyActivityError, match="no track or route points"):
        read_gpx(gpx(body), "w.gpx")


def test_bom_and_utf16_encodings():
    pts = [trkpt(1, 1, "2020-01-01T00:00:00Z"), trkpt(1.001, 1, "2020-01-01T00:00:05Z")]
    plain = gpx(track(pts, name="Läufchen"))
    with_bom = b"\xef\xbb\xbf" + plain
    utf16 = plain.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    for data in (with_bom, utf16):
        assert len(read_gpx(data).samples) == 2
    assert len(finishline.read_bytes(with_bom).samples) == 2


@pytest.mark.parametrize(
    ("kind", "name", "sport"),
    [
        ("running", "x", "running"),
        ("9", "x", "running"),
        (None, "Davidson Running", "running"),
        (None, "Twin Cities Marathon 2014", "running"),
        (None, "Evening Ride", "cycling"),
        (None, "Lunch", None),
    ],
)
def test_sport_from_type_or_name(kind, name, sport):
    pts = [trkpt(1, 1, "2020-01-01T00:00:00Z")]
    assert read_gpx(gpx(track(pts, name=name, kind=kind))).meta.sport == sport


def test_cycling_cadence_is_rpm_not_steps():
    ext = "<gpxtpx:TrackPointExtension><gpxtpx:cad>90</gpxtpx:cad></gpxtpx:TrackPointExtension>"
    pts = [trkpt(1, 1, "2020-01-01T00:00:00Z", ext=ext)]
    act = read_gpx(gpx(track(pts, kind="cycling")))
    assert act.samples["cadence_rpm"].iloc[0] == 90.0
    assert np.isnan(act.samples["cadence_spm"].iloc[0])
    assert act.meta.units["cadence_rpm"] == "rpm"


def test_unparseable_values_become_nan_not_errors():
    pts = [trkpt(1, 1, "2020-01-01T00:00:00Z", "n/a"), trkpt(1, 1.001, "not a time", 3)]
    with pytest.warns(FinishlineWarning) as caught:
        act = read_gpx(gpx(track(pts)))
    assert len(act.samples) == 1  # the point without a valid time is dropped...
    assert any("1 point with an unreadable or impossible time" in w for w in act.meta.warnings)
    assert any("'not a time'" in w for w in act.meta.warnings)  # ...reported with an example
    assert np.isnan(act.samples["altitude_m"].iloc[0])
    assert any("1 value that is not a number" in w for w in act.meta.warnings)
    assert len(caught) == len(act.meta.warnings) == 2  # one warning per kind of problem


# ---------------------------------------------------------------- truncation and unusual XML


def _long_track(n=50):
    ext = "<gpxtpx:TrackPointExtension><gpxtpx:hr>{}</gpxtpx:hr></gpxtpx:TrackPointExtension>"
    pts = [
        trkpt(
            45 + i * 1e-4, 7.0, f"2021-05-01T08:{i // 60:02d}:{i % 60:02d}Z", 100 + i, ext.format(i)
        )
        for i in range(n)
    ]
    return gpx(track(pts, kind="running"))


def test_truncated_gpx_keeps_complete_points_with_a_warning():
    from finishline.errors import TruncatedFileWarning

    doc = _long_track()
    full = read_gpx(doc)
    cut = doc[: doc.index(b"<ele>130</ele>") + 6]  # inside point 30
    with pytest.warns(TruncatedFileWarning, match="ends early"):
        part = read_gpx(cut, "cut.gpx")
    assert len(part.samples) == 30
    pd.testing.assert_frame_equal(part.samples, full.samples.iloc[:30])


def test_malformed_in_the_middle_is_not_taken_for_truncation():
    doc = _long_track().replace(b"</gpxtpx:hr>", b"</gpxtpx:hx>", 1)
    with pytest.raises(FileFormatError, match="malformed XML"):
        read_gpx(doc, "bad.gpx")


@pytest.mark.parametrize(
    "change",
    [
        (b"<trkseg>", b"<trkseg><!-- note -->"),
        (b"<trkseg>", b"<trkseg><name>a &amp; b</name>"),
        (b"<gpxtpx:hr>10<", b"<gpxtpx:hr><![CDATA[10]]><"),
    ],
    ids=["comment", "entity", "cdata"],
)
def test_comments_entities_and_cdata_do_not_change_the_samples(change):
    doc = _long_track()
    changed = doc.replace(*change)
    assert changed != doc
    pd.testing.assert_frame_equal(read_gpx(changed).samples, read_gpx(doc).samples)


def test_sparse_fields_go_to_their_own_points():
    hr = "<gpxtpx:TrackPointExtension><gpxtpx:hr>{}</gpxtpx:hr></gpxtpx:TrackPointExtension>"
    pts = [
        trkpt(1, 1, "2020-01-01T00:00:00Z", ext=hr.format(100)),
        trkpt(1, 1.0001, "2020-01-01T00:00:01Z"),
        trkpt(1, 1.0002, "2020-01-01T00:00:02Z", 5.0, ext=hr.format(120) + "<odd:hr>9</odd:hr>"),
        trkpt(1, 1.0003, "2020-01-01T00:00:03Z", ext="<gpxtpx:TrackPointExtension/>"),
        "<trkpt lon='1.0004' lat='1'><time>2020-01-01T00:00:04Z</time><ele></ele></trkpt>",
    ]
    act = read_gpx(gpx(track(pts)))
    np.testing.assert_array_equal(
        act.samples["heart_rate_bpm"], [100.0, np.nan, 120.0, np.nan, np.nan]
    )
    assert act.samples["lon_deg"].iloc[-1] == 1.0004
