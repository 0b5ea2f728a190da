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


@pytest.mark.parametrize("start", ["2021-13-01T10:00:20Z", "2021-02-30T10:00:20Z"])
def test_an_impossible_lap_start_is_missing_not_an_error(start):
    """A lap start in the usual layout but naming no date reads as NaT (it raised before)."""
    act = read_tcx(
        run_two_laps().replace(b'StartTime="2021-03-01T10:00:20Z"', f'StartTime="{start}"'.encode())
    )
    laps = act.laps
    assert laps["start_time"].isna().tolist() == [False, True]
    assert np.isnan(laps["elapsed_s"]).tolist() == [True, True]  # no start to run to or from
    assert len(act.samples) == 4


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


# ---------------------------------------------------------------- several activities in one file


def _run(start: pd.Timestamp, minutes: int, sport: str = "Running", lat0: float = 45.0) -> str:
    """One activity: a point a minute, 200 m a minute, one lap, distance restarting at 0."""
    pts = [
        point(
            (start + pd.Timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            lat0 + i * 0.0018,
            7.0,
            200.0 * i,
            hr=120 + i,
        )
        for i in range(minutes + 1)
    ]
    stamp = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    return activity(sport, [lap(stamp, pts, 60 * minutes, 200 * minutes)], ident=stamp)


def _three(overlapping: bool) -> bytes:
    t0 = pd.Timestamp("2021-03-01T08:00:00Z")
    second = t0 + pd.Timedelta(minutes=5 if overlapping else 60)
    acts = [
        _run(t0, 20),
        _run(second, 30, "Biking", lat0=46.0),
        _run(t0 + pd.Timedelta(hours=3), 10, "Walking", lat0=47.0),
    ]
    return tcx(f"<Activities>{''.join(acts)}</Activities>")


def test_three_activities_apart_in_time_are_three_sessions(tmp_path):
    act = read_tcx(_three(overlapping=False), "three.tcx")
    assert act.sessions["sport"].tolist() == ["running", "cycling", "walking"]
    assert act.laps["session_index"].tolist() == [0, 1, 2]
    assert len(act.samples) == 21 + 31 + 11
    distance = act.samples["distance_m"].to_numpy()
    assert (np.diff(distance) >= 0).all()  # continues across sessions, as FIT legs do
    assert distance[-1] == pytest.approx(200 * (20 + 30 + 10))
    assert act.samples.index.is_monotonic_increasing
    assert act.meta.sport == "multisport"
    assert not act.meta.warnings
    path = tmp_path / "three.tcx"
    path.write_bytes(_three(overlapping=False))
    every = finishline.io.read_all(path)
    assert [len(a.samples) for a in every] == [21, 31, 11]
    assert [a.meta.sport for a in every] == ["running", "cycling", "walking"]
    assert all(len(a.sessions) == 1 and a.laps["session_index"].eq(0).all() for a in every)
    assert every[1].samples["distance_m"].iloc[-1] == 6000.0  # each its own distance


def test_overlapping_activities_read_the_longest_with_a_warning(tmp_path):
    from finishline.errors import FinishlineWarning

    with pytest.warns(FinishlineWarning, match="overlap in time"):
        act = read_tcx(_three(overlapping=True), "mixed.tcx")
    # activity 2 (30 min, starting 5 min into activity 1) overlaps activity 1: the longer
    # is kept; activity 3 starts later and stays, as a second session
    assert act.sessions["sport"].tolist() == ["cycling", "walking"]
    assert len(act.samples) == 31 + 11
    assert act.samples.index.is_monotonic_increasing
    assert (np.diff(act.samples["distance_m"].to_numpy()) >= 0).all()
    assert any("set aside activity 1 (running" in w for w in act.meta.warnings)
    assert any("read_all" in w for w in act.meta.warnings)
    path = tmp_path / "mixed.tcx"
    path.write_bytes(_three(overlapping=True))
    assert [len(a.samples) for a in finishline.io.read_all(path)] == [21, 31, 11]


def test_the_same_recording_twice_is_read_once():
    one = _run(pd.Timestamp("2021-03-01T08:00:00Z"), 15)
    with pytest.warns(UserWarning, match="overlap"):
        act = read_tcx(tcx(f"<Activities>{one}{one}</Activities>"))
    assert len(act.samples) == 16
    assert len(act.sessions) == 1
    assert act.samples["distance_m"].iloc[-1] == 3000.0


def test_legs_of_a_multisport_session_are_sessions():
    t0 = pd.Timestamp("2021-03-01T08:00:00Z")
    legs = (
        f"<FirstSport>{_run(t0, 5, 'Biking')}</FirstSport>"
        f"<NextSport>{_run(t0 + pd.Timedelta(minutes=5), 5)}</NextSport>"
    )
    act = read_tcx(tcx(f"<Activities><MultiSportSession>{legs}</MultiSportSession></Activities>"))
    assert act.sessions["sport"].tolist() == ["cycling", "running"]
    assert not act.meta.warnings  # the second leg starts on the first one's last second


def test_impossible_positions_and_times_are_reported_once():
    from finishline.errors import FinishlineWarning

    pts = [
        point("2021-03-01T10:00:00Z", 45.0, 7.0, 0.0, hr=100),
        point("2021-03-01T10:00:01Z", 95.0, 7.0, 3.0, hr=101),  # latitude out of range
        point("2021-03-01T10:00:02Z", 45.0, 700.0, 6.0, hr="fast"),  # longitude; hr not a number
        point("9999-03-01T10:00:03Z", 45.0, 7.0, 9.0, hr=103),  # impossible year
        point("0001-01-01T00:00:00Z", 45.0, 7.0, 9.0, hr=104),
    ]
    body = (
        f"<Activities>{activity('Running', [lap('2021-03-01T10:00:00Z', pts, 3, 9)])}</Activities>"
    )
    with pytest.warns(FinishlineWarning) as caught:
        act = read_tcx(tcx(body), "odd.tcx")
    s = act.samples
    assert len(s) == 3
    assert s["lat_deg"].isna().tolist() == [False, True, True]
    assert s["heart_rate_bpm"].isna().tolist() == [False, False, True]
    notes = act.meta.warnings
    assert any(w.startswith("2 positions outside the range") for w in notes)
    assert any(w.startswith("1 value that is not a number") and "heart rate 1" in w for w in notes)
    assert any(w.startswith("2 trackpoints with an unreadable or impossible time") for w in notes)
    assert len(caught) == len(notes) == 3
