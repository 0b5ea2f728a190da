"""The columnar XML path against a plain lxml tree walk, on generated awkward documents.

The reference parses the whole document with lxml and, for each point under its container,
takes the text of the first element of each field's local name that has text, and the point's
attributes: the obvious, slow reading. The documents vary what a byte scanner could get wrong:
namespace prefixes, attribute order and quoting, ``>`` in attribute values and text, comments,
processing instructions and CDATA inside points, character references, empty elements, missing
fields, waypoints that are not points, and whitespace everywhere.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from finishline.errors import FileFormatError
from finishline.io.gpx import POINT_FIELDS, read_gpx
from finishline.io.xml_document import open_document
from finishline.io.xml_safe import find_all, local_name

GPX11 = "http://www.topografix.com/GPX/1/1"
TPX = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"

space = st.sampled_from(["", " ", "\n  ", "\t"])
prefixes = st.sampled_from(["gpxtpx", "ns3", "x", "averyveryveryverylongprefixname"])
numbers = st.one_of(
    st.floats(-89, 89, allow_nan=False).map(lambda x: f"{x:.9f}"),
    st.sampled_from(["12", "-0.5", " 7 ", "&#52;2", "n/a", "", "1e2"]),
)
times = st.one_of(
    st.datetimes(min_value=pd.Timestamp("2000-01-01"), max_value=pd.Timestamp("2030-01-01")).map(
        lambda t: t.strftime("%Y-%m-%dT%H:%M:%S") + "Z"
    ),
    st.sampled_from(["garbage", "2020-01-01T00:00:00.5+02:00", "0001-01-01T00:00:00Z"]),
)


@st.composite
def point(draw) -> str:
    quote = draw(st.sampled_from(['"', "'"]))
    attrs = [
        f"lat={quote}{draw(numbers)}{quote}",
        f"lon{draw(space)}={quote}{draw(numbers)}{quote}",
    ]
    if draw(st.booleans()):
        attrs.append(f'note="a>b {quote}lat=1{quote}"' if quote == "'" else "note='x>y'")
    attrs = draw(st.permutations(attrs))
    children = []
    if draw(st.booleans()):
        children.append(f"<ele>{draw(space)}{draw(numbers)}{draw(space)}</ele>")
    if draw(st.booleans()):
        value = draw(times)
        if draw(st.booleans()):
            value = f"<![CDATA[{value}]]>"
        children.append(f"<time>{value}</time>")
    if draw(st.booleans()):
        children.append("<ele/>")
    if draw(st.booleans()):
        children.append("<desc>a &gt; b > c</desc><!-- <trkpt lat='9'> --><?pi <hr>5</hr>?>")
    if draw(st.booleans()):
        prefix = draw(prefixes)
        hr = draw(numbers)
        children.append(
            f"<extensions><{prefix}:TrackPointExtension xmlns:{prefix}='{TPX}'>"
            f"<{prefix}:hr>{hr}</{prefix}:hr><{prefix}:cad>{draw(numbers)}</{prefix}:cad>"
            f"</{prefix}:TrackPointExtension></extensions>"
        )
    children = draw(st.permutations(children))
    gap = draw(space)
    if not children and draw(st.booleans()):
        return f"<trkpt {' '.join(attrs)}{gap}/>"
    return f"<trkpt {' '.join(attrs)}{gap}>{gap.join(children)}</trkpt>"


@st.composite
def document(draw) -> bytes:
    tracks = []
    for _ in range(draw(st.integers(1, 3))):
        segments = []
        for _ in range(draw(st.integers(0, 3))):
            points = draw(st.lists(point(), max_size=5))
            segments.append(f"<trkseg>{draw(space).join(points)}</trkseg>")
        tracks.append(f"<trk><name>run</name>{''.join(segments)}</trk>")
    waypoint = "<wpt lat='1' lon='2'><time>2020-01-01T00:00:00Z</time><ele>5</ele></wpt>"
    body = (waypoint if draw(st.booleans()) else "") + draw(space).join(tracks)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<!-- a comment before the root -->\n'
        f'<gpx version="1.1" creator="t" xmlns="{GPX11}">{body}</gpx>'
    ).encode()


def _reference(data: bytes) -> list[dict[str, str | None]]:
    parser = etree.XMLParser(remove_comments=True, remove_pis=True, resolve_entities=False)
    root = etree.fromstring(data, parser)
    rows = []
    for segment in find_all(root, "trk/trkseg"):
        for trkpt in segment.iter("{*}trkpt"):
            row: dict[str, str | None] = {"lat": trkpt.get("lat"), "lon": trkpt.get("lon")}
            for field, spec in POINT_FIELDS.items():
                if spec.startswith("@"):
                    continue
                row[field] = None
                for alternative in (a.strip() for a in spec.split("|")):
                    hit = next(
                        (e.text for e in trkpt.iter(f"{{*}}{alternative}") if e.text is not None),
                        None,
                    )
                    if hit is not None:
                        row[field] = hit
                        break
            rows.append(row)
    return rows


def _float(text: str | None) -> float:
    try:
        value = float(text) if text is not None else math.nan
    except ValueError:
        return math.nan
    return value if math.isfinite(value) else math.nan


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= math.ulp(max(abs(a), abs(b)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document())
def test_points_and_fields_match_a_tree_walk(data):
    expected = _reference(data)
    doc = open_document(data, "gen.gpx", ("trkpt", "rtept"), POINT_FIELDS, time_fields=("time",))
    table = doc.points(find_all(doc.root, "trk/trkseg"), "trkpt")
    assert table.n == len(expected)
    for field in ("lat", "lon", "ele", "hr", "cad"):
        got = table.floats(field)
        for i, row in enumerate(expected):
            assert _same(got[i], _float(row[field])), (field, i, row[field], got[i])
    got_times = table.times("time")
    for i, row in enumerate(expected):
        text = row["time"]
        want = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce") if text else pd.NaT
        if pd.notna(want) and want.year < 1678:
            want = pd.NaT
        assert (pd.isna(got_times[i]) and pd.isna(want)) or got_times[i] == want, (i, text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document(), st.floats(0.05, 0.999))
def test_a_cut_document_gives_the_points_closed_before_the_cut(data, fraction):
    expected = _reference(data)
    cut = data[: int(len(data) * fraction)]
    try:
        doc = open_document(cut, "cut.gpx", ("trkpt", "rtept"), POINT_FIELDS, ("time",))
    except FileFormatError:
        return  # cut before the root element was complete
    table = doc.points(find_all(doc.root, "trk/trkseg"), "trkpt")
    assert table.n <= len(expected)
    lat = table.floats("lat")
    assert all(_same(lat[i], _float(expected[i]["lat"])) for i in range(table.n))


def test_utf16_document_reads_like_utf8():
    text = (
        f'<?xml version="1.0" encoding="UTF-16"?><gpx version="1.1" xmlns="{GPX11}"><trk><trkseg>'
        "<trkpt lat='45.5' lon='7.25'><ele>301.5</ele><time>2021-01-01T10:00:00Z</time></trkpt>"
        "<trkpt lat='45.6' lon='7.25'><time>2021-01-01T10:00:05Z</time></trkpt>"
        "</trkseg></trk></gpx>"
    )
    act16 = read_gpx(text.encode("utf-16"), "x16.gpx")
    act8 = read_gpx(text.replace("UTF-16", "UTF-8").encode(), "x8.gpx")
    pd.testing.assert_frame_equal(act16.samples, act8.samples)
    assert act16.samples["lat_deg"].tolist() == [45.5, 45.6]


def test_error_after_many_points_names_its_line():
    points = "\n".join(
        f"<trkpt lat='1' lon='{i}'><time>2021-01-01T10:00:{i:02d}Z</time></trkpt>"
        for i in range(50)
    )
    doc = f'<gpx xmlns="{GPX11}">\n<trk><trkseg>\n{points}\n</trkseg></trk>\n<zz:oops/>\n</gpx>'
    with pytest.raises(etree.XMLSyntaxError) as tree_error:
        etree.fromstring(doc.encode())  # the line a full tree parse reports
    assert tree_error.value.lineno == doc.splitlines().index("<zz:oops/>") + 1
    with pytest.raises(FileFormatError, match=f"line {tree_error.value.lineno}:") as info:
        read_gpx(doc.encode(), "late.gpx")
    assert "\n" not in str(info.value)


def test_undeclared_prefix_inside_a_point_is_malformed_but_a_local_declaration_is_fine():
    ok = (
        f"<gpx xmlns='{GPX11}'><trk><trkseg><trkpt lat='1' lon='2'><time>2021-01-01T10:00:00Z"
        f"</time><extensions><q:hr xmlns:q='{TPX}'>150</q:hr></extensions></trkpt>"
        "</trkseg></trk></gpx>"
    )
    assert read_gpx(ok.encode()).samples["heart_rate_bpm"].tolist() == [150.0]
    bad = ok.replace(f" xmlns:q='{TPX}'", "")
    with pytest.raises(FileFormatError, match="malformed XML"):
        read_gpx(bad.encode(), "bad.gpx")


def test_skeleton_markers_cannot_be_forged():
    forged = (
        f"<gpx xmlns='{GPX11}'><trk><trkseg><run xmlns='urn:finishline:points:0' i='0'/>"
        "<trkpt lat='1' lon='2'><time>2021-01-01T10:00:00Z</time></trkpt></trkseg></trk></gpx>"
    )
    act = read_gpx(forged.encode())
    assert len(act.samples) == 1
    assert local_name(etree.fromstring(forged.encode())) == "gpx"


def test_inside_points_tags_must_pair_by_name():
    doc = (
        f"<gpx xmlns='{GPX11}'>\n<trk><trkseg>\n"
        "<trkpt lat='1' lon='2'><ele>5</ele><time>2021-01-01T10:00:00Z</time></trkpt>\n"
        "<trkpt lat='1' lon='3'><ele>6</elf><time>2021-01-01T10:00:05Z</time></trkpt>\n"
        "</trkseg></trk></gpx>"
    )
    with pytest.raises(FileFormatError, match=r"malformed XML at line 4:.*mismatch"):
        read_gpx(doc.encode(), "damaged.gpx")


def test_inside_points_a_value_that_is_not_text_reads_as_missing():
    # libxml2 refuses the undefined entity; the points are still well-paired elements, so the
    # reader keeps the file and reports the value it cannot read (deliberately lenient)
    doc = (
        f"<gpx xmlns='{GPX11}'><trk><trkseg>"
        "<trkpt lat='1' lon='2'><ele>5&bogus;</ele><time>2021-01-01T10:00:00Z</time></trkpt>"
        "<trkpt lat='1' lon='3'><ele>6</ele><time>2021-01-01T10:00:05Z</time></trkpt>"
        "</trkseg></trk></gpx>"
    ).encode()
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(doc)
    with pytest.warns(UserWarning, match="1 value that is not a number"):
        act = read_gpx(doc, "odd.gpx")
    assert act.samples["altitude_m"].isna().tolist() == [True, False]


def test_outside_points_libxml2_checks_everything():
    doc = (
        f"<gpx xmlns='{GPX11}'><trk><name>a &bogus; b</name><trkseg>"
        "<trkpt lat='1' lon='2'><time>2021-01-01T10:00:00Z</time></trkpt>"
        "</trkseg></trk></gpx>"
    ).encode()
    with pytest.raises(FileFormatError, match="malformed XML.*bogus"):
        read_gpx(doc, "bad-name.gpx")


def test_space_before_the_end_of_a_closing_tag_is_fine():
    doc = (
        f"<gpx xmlns='{GPX11}'><trk ><trkseg>"
        "<trkpt lat='1' lon='2'><ele >5</ele ><time>2021-01-01T10:00:00Z</time\n></trkpt >"
        "</trkseg></trk></gpx >"
    ).encode()
    act = read_gpx(doc)
    assert act.samples["altitude_m"].tolist() == [5.0]
    assert act.samples.index[0] == pd.Timestamp("2021-01-01T10:00:00Z")
