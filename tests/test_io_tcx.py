"""TCX reader: synthetic documents with known answers (laps, sessions, extensions, courses)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import finishline
from finishline.errors import (
    EmptyActivityError,
    FileFormatError,
    NotAnActivityError,
    UnsafeFileError,
)
from finishline.io.tcx import read_tcx

TCD = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
AX = "http://www.garmin.com/xmlschemas/ActivityExtension/v2"


def point(
    when,
    lat=None,
    lon=None,
    dist=None,
    hr=None,
    run_cad=None,
    speed=None,
    watts=None,
    cad=None,
    alt=None,
):
    parts = [f"<Trackpoint><Time>{when}</Time>"]
    if lat is not None:
        parts.append(
            f"<Position><LatitudeDegrees>{lat}</LatitudeDegrees>"
            f"<LongitudeDegrees>{lon}</LongitudeDegrees></Position>"
        )
    if alt is not None:
        parts.append(f"<AltitudeMeters>{alt}</AltitudeMeters>")
    if dist is not None:
        parts.append(f"<DistanceMeters>{dist}</DistanceMeters>")
    if hr is not None:
        parts.append(f"<HeartRateBpm><Value>{hr}</Value></HeartRateBpm>")
    if cad is not None:
        parts.append(f"<Cadence>{cad}</Cadence>")
    ext = ""
    if speed is not None:
        ext += f"<ns3:Speed>{speed}</ns3:Speed>"
    if run_cad is not None:
        ext += f"<ns3:RunCadence>{run_cad}</ns3:RunCadence>"
    if watts is not None:
        ext += f"<ns3:Watts>{watts}</ns3:Watts>"
    if ext:
        parts.append(f"<Extensions><ns3:TPX>{ext}</ns3:TPX></Extensions>")
    parts.append("</Trackpoint>")
    return "".join(parts)


def lap(start, points, total_s, dist_m, avg_hr=None, max_hr=None, trigger="Manual", extra=""):
    hr = ""
    if avg_hr is not None:
        hr = (
            f"<AverageHeartRateBpm><Value>{avg_hr}</Value></AverageHeartRateBpm>"
            f"<MaximumHeartRateBpm><Value>{max_hr}</Value></MaximumHeartRateBpm>"
        )
    return (
        f'<Lap StartTime="{start}"><TotalTimeSeconds>{total_s}</TotalTimeSeconds>'
        f"<DistanceMeters>{dist_m}</DistanceMeters>{hr}<Intensity>Active</Intensity>"
        f"<TriggerMethod>{trigger}</TriggerMethod>{extra}"
        f"<Track>{''.join(points)}</Track></Lap>"
    )


def activity(sport, laps, ident="2021-03-01T10:00:00Z", device="Forerunner 965"):
    return (
        f'<Activity Sport="{sport}"><Id>{ident}</Id>{"".join(laps)}'
        f'<Creator xsi:type="Device_t"><Name>{device}</Name></Creator></Activity>'
    )


def tcx(body):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<TrainingCenterDatabase xmlns="{TCD}" xmlns:ns3="{AX}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"{body}</TrainingCenterDatabase>"
    ).encode()


def run_two_laps():
    lap1 = lap(
        "2021-03-01T10:00:00Z",
        [
            point("2021-03-01T10:00:00Z", 45.0, 7.0, 0.0, 120, 80, 0.0, 200, alt=300),
            point("2021-03-01T10:00:10Z", 45.0002, 7.0, 25.0, 130, 85, 2.5, 210, alt=301),
        ],
        10.0,
        25.0,
        125,
        130,
        extra=f'<Extensions><LX xmlns="{AX}"><AvgSpeed>2.5</AvgSpeed>'
        "<AvgRunCadence>82</AvgRunCadence></LX></Extensions>",
    )
    lap2 = lap(
        "2021-03-01T10:00:20Z",
        [
            point("2021-03-01T10:00:20Z", 45.0004, 7.0, 50.0, 140, 90, 2.5, 220, alt=302),
            point("2021-03-01T10:00:30Z", 45.0006, 7.0, 80.0, 150, 91, 3.0, 230, alt=303),
        ],
        10.0,
        30.0,
        145,
        150,
        trigger="Distance",
    )
    return tcx(f"<Activities>{activity('Running', [lap1, lap2])}</Activities>")


def test_trackpoints_with_tpx_extensions():
    act = read_tcx(run_two_laps(), "run.tcx")
    s = act.samples
    assert len(s) == 4
    assert list(s["distance_m"]) == [0.0, 25.0, 50.0, 80.0]
    assert list(s["heart_rate_bpm"]) == [120.0, 130.0, 140.0, 150.0]
    assert list(s["cadence_spm"]) == [160.0, 170.0, 180.0, 182.0]  # RunCadence x 2
    assert list(s["speed_mps"]) == [0.0, 2.5, 2.5, 3.0]
    assert list(s["power_w"]) == [200.0, 210.0, 220.0, 230.0]
    assert list(s["altitude_m"]) == [300.0, 301.0, 302.0, 303.0]
    assert s["elapsed_s"].iloc[-1] == 30.0
    m = act.meta
    assert (m.format, m.sport, m.device, m.distance_source) == (
        "tcx",
        "running",
        "Forerunner 965",
        "device",
    )


def test_laps_and_session():
    act = read_tcx(run_two_laps())
    laps = act.laps
    assert len(laps) == 2
    assert list(laps["timer_s"]) == [10.0, 10.0]
    assert list(laps["elapsed_s"]) == [20.0, 10.0]  # to the next lap start / the last sample
    assert list(laps["distance_m"]) == [25.0, 30.0]
    assert list(laps["avg_hr_bpm"]) == [125.0, 145.0]
    assert list(laps["max_hr_bpm"]) == [130.0, 150.0]
    assert laps["avg_speed_mps"].tolist() == [2.5, 3.0]  # LX AvgSpeed, else distance / timer
    assert laps["avg_cadence_spm"].iloc[0] == 164.0
    assert list(laps["trigger"]) == ["manual", "distance"]
    assert laps["start_time"].iloc[1] == pd.Timestamp("2021-03-01T10:00:20Z")
    sessions = act.sessions
    assert len(sessions) == 1
    row = sessions.iloc[0]
    assert row["sport"] == "running"
    assert row["timer_s"] == 20.0
    assert row["distance_m"] == 55.0
    assert row["avg_hr_bpm"] == 135.0  # timer-weighted mean of lap averages
    assert row["max_hr_bpm"] == 150.0
    assert finishline.summarize(act)["timer_s"] == 20.0


def test_multisport_one_session_per_activity_and_distance_keeps_growing():
    bike = activity(
        "Biking",
        [
            lap(
                "2021-03-01T09:00:00Z",
                [
                    point("2021-03-01T09:00:00Z", 45, 7, 0.0, cad=88),
                    point("2021-03-01T09:00:10Z", 45.001, 7, 100.0, cad=90),
                ],
                10,
                100,
            )
        ],
        ident="2021-03-01T09:00:00Z",
    )
    run = activity(
        "Running",
        [
            lap(
                "2021-03-01T09:01:00Z",
                [
                    point("2021-03-01T09:01:00Z", 45.001, 7, 0.0, run_cad=85),
                    point("2021-03-01T09:01:10Z", 45.0012, 7, 30.0, run_cad=86),
                ],
                10,
                30,
            )
        ],
        ident="2021-03-01T09:01:00Z",
    )
    act = read_tcx(tcx(f"<Activities>{bike}{run}</Activities>"))
    assert list(act.sessions["sport"]) == ["cycling", "running"]
    assert list(act.laps["session_index"]) == [0, 1]
    assert list(act.samples["distance_m"]) == [0.0, 100.0, 100.0, 130.0]
    np.testing.assert_array_equal(act.samples["cadence_rpm"], [88.0, 90.0, np.nan, np.nan])
    np.testing.assert_array_equal(act.samples["cadence_spm"], [np.nan, np.nan, 170.0, 172.0])
    assert act.meta.sport == "multisport"


def test_distance_from_positions_when_the_file_has_none():
    pts = [
        point("2021-03-01T10:00:00Z", 0.0, 0.0),
        point("2021-03-01T10:00:10Z", 0.001, 0.0),
        point("2021-03-01T10:00:20Z", 0.002, 0.0),
    ]
    act = read_tcx(
        tcx(
            f"<Activities>{activity('Running', [lap('2021-03-01T10:00:00Z', pts, 20, 0)])}</Activities>"
        )
    )
    assert act.meta.distance_source == "positions"
    assert act.samples["distance_m"].iloc[-1] == pytest.approx(222.39, rel=1e-3)
    assert act.samples["speed_mps"].iloc[-1] == pytest.approx(11.12, rel=1e-3)


def test_trackpoint_without_position_or_time():
    pts = [
        point("2021-03-01T10:00:00Z", 0.0, 0.0, 0.0, hr=100),
        point("2021-03-01T10:00:05Z", hr=110),  # pause marker: time only
        "<Trackpoint><HeartRateBpm><Value>99</Value></HeartRateBpm></Trackpoint>",  # no time
        point("2021-03-01T10:00:10Z", 0.001, 0.0, 111.0, hr=120),
    ]
    act = read_tcx(
        tcx(
            f"<Activities>{activity('Running', [lap('2021-03-01T10:00:00Z', pts, 10, 111)])}</Activities>"
        )
    )
    s = act.samples
    assert len(s) == 3
    assert list(s["heart_rate_bpm"]) == [100.0, 110.0, 120.0]
    assert np.isnan(s["lat_deg"].iloc[1])


def test_course_only_tcx_reads_as_course():
    course = (
        "<Courses><Course><Name>Loop</Name><Track>"
        + point("2010-01-01T00:00:00Z", 0.0, 0.0, 0.0, alt=10)
        + point("2010-01-01T00:00:10Z", 0.001, 0.0, 111.0, alt=11)
        + "</Track></Course></Courses>"
    )
    act = read_tcx(tcx(course))
    assert act.meta.is_course
    assert act.samples.index.isna().all()
    assert list(act.samples["distance_m"]) == [0.0, 111.0]
    assert list(act.samples["altitude_m"]) == [10.0, 11.0]


def test_workouts_only_is_not_an_activity():
    body = "<Workouts><Workout Sport='Running'><Name>Intervals</Name></Workout></Workouts>"
    with pytest.raises(NotAnActivityError, match="Workouts"):
        read_tcx(tcx(body), "plan.tcx")


def test_activities_without_trackpoints_are_empty():
    body = (
        f"<Activities>{activity('Running', [lap('2021-03-01T10:00:00Z', [], 10, 0)])}</Activities>"
    )
    with pytest.raises(EmptyActivityError):
        read_tcx(tcx(body))


def test_entity_payload_is_refused():
    doc = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<TrainingCenterDatabase xmlns="'
        + TCD.encode()
        + b'"><Activities/></TrainingCenterDatabase>'
    )
    with pytest.raises(UnsafeFileError):
        read_tcx(doc, "evil.tcx")


def test_unbound_prefix_is_a_format_error_with_line():
    doc = b'<?xml version="1.0"?>\n<TrainingCenterDatabase>\n<ns9:Activities/>\n</TrainingCenterDatabase>'
    with pytest.raises(FileFormatError, match="line 3"):
        read_tcx(doc, "bad.tcx")


def test_default_namespace_tpx_as_garmin_writes_it():
    tpx = f'<Extensions><TPX xmlns="{AX}"><Speed>3.5</Speed><RunCadence>88</RunCadence></TPX></Extensions>'
    pts = [f"<Trackpoint><Time>2021-03-01T10:00:00Z</Time>{tpx}</Trackpoint>"]
    act = read_tcx(
        tcx(
            f"<Activities>{activity('Running', [lap('2021-03-01T10:00:00Z', pts, 1, 0)])}</Activities>"
        )
    )
    assert act.samples["speed_mps"].iloc[0] == 3.5
    assert act.samples["cadence_spm"].iloc[0] == 176.0


def test_public_read_sniffs_tcx(tmp_path):
    path = tmp_path / "run.tcx"
    path.write_bytes(run_two_laps())
    act = finishline.read(path)
    assert act.meta.format == "tcx"
    assert act.meta.source_path == str(path)


def test_truncated_tcx_keeps_complete_trackpoints_with_a_warning():
    from finishline.errors import TruncatedFileWarning

    doc = run_two_laps()
    full = read_tcx(doc)
    cut = doc[: doc.index(b"<Time>2021-03-01T10:00:30Z</Time>") + 10]  # inside the last point
    with pytest.warns(TruncatedFileWarning, match="ends early"):
        part = read_tcx(cut, "cut.tcx")
    assert len(part.samples) == 3
    pd.testing.assert_frame_equal(part.samples, full.samples.iloc[:3])
    assert len(part.laps) == 2  # the second lap's header was complete


def test_unbound_prefix_inside_a_track_is_malformed():
    doc = run_two_laps().replace(b"<Time>2021-03-01T10:00:10Z</Time>", b"<zz:Time>x</zz:Time>")
    with pytest.raises(FileFormatError, match="malformed XML"):
        read_tcx(doc, "bad.tcx")
