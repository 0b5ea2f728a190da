"""Course profiles: synthetic routes with a known shape, and real courses in several formats."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from corpus import SAMPLE_RUNS, corpus_path, inventory, require_shared
from garmin_fit_sdk import Decoder, Stream

import finishline
from finishline.activity import ActivityMeta, make_activity
from finishline.errors import AnalysisError, FinishlineWarning
from finishline.geo import EARTH_RADIUS_M
from finishline.plan import (
    PROFILE_COLUMNS,
    CourseDistanceWarning,
    FlatCourseWarning,
    course_profile,
)

HILL_M = 20.0  # amplitude of the synthetic sine hill
WAVE_M = 2000.0  # its wavelength
GRADE_TOL = 0.1 * HILL_M * 2 * np.pi / WAVE_M  # a tenth of the hill's steepest grade


def _route(length_m: float = 5000.0, step_m: float = 25.0, altitude: bool = True, **meta):
    """A route due north from 45 N with a sine hill; no distance, no times (a GPX ``rte``)."""
    x = np.arange(0.0, length_m + step_m / 2, step_m)
    samples = pd.DataFrame(
        {
            "lat_deg": 45.0 + np.degrees(x / EARTH_RADIUS_M),
            "lon_deg": np.full(x.size, 7.0),
            "altitude_m": 100 + HILL_M * np.sin(2 * np.pi * x / WAVE_M) if altitude else np.nan,
        },
        index=pd.DatetimeIndex([pd.NaT] * x.size, tz="UTC"),
    )
    info = {"source_path": "route.gpx", "format": "gpx", "is_course": True}
    info.update(meta)
    return make_activity(samples, ActivityMeta(**info)), x


def test_route_profile_has_the_known_length_grid_and_hill() -> None:
    activity, _ = _route()
    profile = course_profile(activity)
    assert tuple(profile.columns) == PROFILE_COLUMNS
    d = profile["distance_m"].to_numpy()
    assert d[0] == 0.0 and d[-1] == pytest.approx(5000.0, abs=0.5)
    assert np.allclose(np.diff(d)[:-1], 10.0) and 0 < d[-1] - d[-2] <= 10.0
    assert profile.attrs["distance_source"] == "positions"
    assert profile.attrs["kind"] == "course"
    # away from the ends the smoothed profile keeps the hill and its slope
    inner = (d > 300) & (d < 4700)
    expected_alt = 100 + HILL_M * np.sin(2 * np.pi * d / WAVE_M)
    expected_grade = HILL_M * 2 * np.pi / WAVE_M * np.cos(2 * np.pi * d / WAVE_M)
    assert np.abs(profile["altitude_m"].to_numpy() - expected_alt)[inner].max() < 0.3
    # binning on the 10 m grid can move a route point by up to 5 m: a tenth of the steepest grade
    assert np.abs(profile["grade"].to_numpy() - expected_grade)[inner].max() < GRADE_TOL
    # positions run along the route
    assert np.all(np.diff(profile["lat_deg"].to_numpy()) > 0)
    assert profile.attrs["elevation_gain_m"] == pytest.approx(
        profile.attrs["elevation_loss_m"], abs=2
    )


def test_race_distance_scales_the_axis_and_keeps_hills_in_proportion() -> None:
    activity, _ = _route()
    scale = 4900.0 / 5000.0
    profile = course_profile(activity, race_distance_m=4900.0)
    d = profile["distance_m"].to_numpy()
    assert d[-1] == 4900.0
    assert profile.attrs["distance_scale"] == pytest.approx(scale, rel=1e-4)
    assert profile.attrs["course_length_m"] == pytest.approx(5000.0, abs=0.5)
    inner = (d > 300) & (d < 4600)
    measured = d / scale
    expected_alt = 100 + HILL_M * np.sin(2 * np.pi * measured / WAVE_M)
    assert np.abs(profile["altitude_m"].to_numpy() - expected_alt)[inner].max() < 0.3
    # the same rise over 2 % less distance: grades are 2 % steeper
    expected_grade = HILL_M * 2 * np.pi / WAVE_M * np.cos(2 * np.pi * measured / WAVE_M) / scale
    assert np.abs(profile["grade"].to_numpy() - expected_grade)[inner].max() < GRADE_TOL
    assert profile.attrs["warnings"] == []


def test_a_course_far_from_the_race_distance_is_warned_then_refused() -> None:
    activity, _ = _route()
    with pytest.warns(CourseDistanceWarning, match="scaled"):
        profile = course_profile(activity, race_distance_m=5500.0)
    assert profile["distance_m"].iloc[-1] == 5500.0
    assert any("scaled" in w for w in activity.meta.warnings)
    assert profile.attrs["warnings"] == activity.meta.warnings
    with pytest.raises(AnalysisError, match="route.gpx.*wrong course"):
        course_profile(activity, race_distance_m=42195.0)


def test_a_route_without_altitude_is_flat_and_says_so() -> None:
    activity, _ = _route(altitude=False)
    with pytest.warns(FlatCourseWarning):
        profile = course_profile(activity)
    assert (profile["grade"] == 0).all()
    assert profile["altitude_m"].isna().all()
    assert activity.meta.warnings == ["the course has no altitude: planned as flat"]
    assert profile.attrs["altitude_source"] == "none"


def test_without_distance_or_positions_the_error_names_the_file() -> None:
    samples = pd.DataFrame(
        {"altitude_m": np.linspace(100, 120, 50)},
        index=pd.DatetimeIndex([pd.NaT] * 50, tz="UTC"),
    )
    activity = make_activity(samples, ActivityMeta(source_path="alt_only.gpx", is_course=True))
    with pytest.raises(AnalysisError, match="alt_only.gpx.*distance"):
        course_profile(activity)


def test_a_course_too_short_to_plan_is_refused() -> None:
    activity, _ = _route(length_m=50.0, step_m=5.0)
    with pytest.raises(AnalysisError, match="too short"):
        course_profile(activity)


def test_a_recorded_track_loses_its_gps_spike() -> None:
    """A 3 m/s run whose GPX distance (from positions) holds a 400 m spike out and back."""
    n = 1200
    x = np.arange(n) * 3.0
    lat = 45.0 + np.degrees(x / EARTH_RADIUS_M)
    lon = np.full(n, 7.0)
    lon[600] += np.degrees(400.0 / (EARTH_RADIUS_M * np.cos(np.radians(45.0))))
    times = pd.date_range("2024-05-01 08:00", periods=n, freq="1s", tz="UTC")
    samples = pd.DataFrame({"lat_deg": lat, "lon_deg": lon}, index=times)
    samples["distance_m"] = finishline.geo.cumulative_distance_m(lat, lon)
    assert samples["distance_m"].iloc[-1] > x[-1] + 700  # the reader's distance has the spike
    meta = ActivityMeta(source_path="spike.gpx", format="gpx", distance_source="positions")
    with pytest.warns(FlatCourseWarning):
        profile = course_profile(make_activity(samples, meta))
    assert profile.attrs["course_length_m"] == pytest.approx(x[-1], abs=1.0)


def test_twin_cities_tcx_and_gpx_give_the_same_course() -> None:
    """Device odometer (TCX) and great-circle distance (GPX) of one race agree."""
    tcx = course_profile(finishline.read(SAMPLE_RUNS / "TwinCitiesMarathon2014.tcx"), 42195)
    gpx = course_profile(finishline.read(SAMPLE_RUNS / "TwinCitiesMarathon2014.gpx"), 42195)
    assert tcx.attrs["distance_source"] == "device"
    assert gpx.attrs["distance_source"] == "positions"
    lengths = tcx.attrs["course_length_m"], gpx.attrs["course_length_m"]
    assert abs(lengths[0] - lengths[1]) / lengths[0] < 0.005
    assert 1.0 < lengths[0] / 42195 < 1.015  # a GPS track measures a little long
    per_km = [p.groupby(p["distance_m"] // 1000)["altitude_m"].mean() for p in (tcx, gpx)]
    assert np.corrcoef(*per_km)[0, 1] > 0.98
    gains = tcx.attrs["elevation_gain_m"], gpx.attrs["elevation_gain_m"]
    assert abs(gains[0] - gains[1]) / gains[0] < 0.10


def test_twin_cities_climbs_to_summit_avenue_after_20_miles() -> None:
    """The course's long climb (from the river up to Summit Avenue, miles 20-23) is found."""
    profile = course_profile(finishline.read(SAMPLE_RUNS / "TwinCitiesMarathon2014.tcx"), 42195)
    alt = profile["altitude_m"].to_numpy()
    rise_3km = alt[300:] - alt[:-300]  # 300 steps of 10 m
    start_km = profile["distance_m"].to_numpy()[int(np.argmax(rise_3km))] / 1000
    assert 31.0 <= start_km <= 36.0
    assert rise_3km.max() > 40


@pytest.mark.real
def test_a_course_in_tcx_and_gpx_gives_one_profile() -> None:
    """heartandsole's test course: TCX course distance points vs GPX great-circle distance."""
    tcx = course_profile(
        finishline.read(corpus_path("bad/heartandsole__testcourse__nosport_25.3km.tcx"))
    )
    gpx = course_profile(
        finishline.read(corpus_path("bad/heartandsole__testcourse__nosport_nodist.gpx"))
    )
    assert tcx.attrs["kind"] == gpx.attrs["kind"] == "course"
    assert tcx.attrs["course_length_m"] == pytest.approx(gpx.attrs["course_length_m"], rel=1e-3)
    n = min(len(tcx), len(gpx))
    diff = tcx["altitude_m"].to_numpy()[:n] - gpx["altitude_m"].to_numpy()[:n]
    assert np.sqrt(np.mean(diff**2)) < 1.0


def _sdk_course_activity(path) -> finishline.Activity:
    """The FIT course decoded by Garmin's SDK, as a course Activity (independent of our reader)."""
    messages, errors = Decoder(Stream.from_file(str(path))).read()
    assert not errors and messages["file_id_mesgs"][0]["type"] == "course"
    records = pd.DataFrame(messages["record_mesgs"])
    samples = pd.DataFrame(
        {
            "lat_deg": records["position_lat"].to_numpy() * 180 / 2**31,
            "lon_deg": records["position_long"].to_numpy() * 180 / 2**31,
            "altitude_m": records["enhanced_altitude"].to_numpy(dtype=float),
            "distance_m": records["distance"].to_numpy(dtype=float),
        },
        index=pd.DatetimeIndex([pd.NaT] * len(records), tz="UTC"),
    )
    meta = ActivityMeta(
        source_path=str(path), format="fit", is_course=True, distance_source="device"
    )
    return make_activity(samples, meta)


@pytest.mark.real
def test_a_fit_course_decoded_by_the_sdk_matches_its_tcx() -> None:
    fit = course_profile(
        _sdk_course_activity(corpus_path("bad/heartandsole__testcourse__nosport_25.3km.fit"))
    )
    tcx = course_profile(
        finishline.read(corpus_path("bad/heartandsole__testcourse__nosport_25.3km.tcx"))
    )
    assert fit.attrs["course_length_m"] == pytest.approx(tcx.attrs["course_length_m"], rel=1e-4)
    n = min(len(fit), len(tcx))
    assert np.abs(fit["altitude_m"].to_numpy()[:n] - tcx["altitude_m"].to_numpy()[:n]).max() < 1.0
    assert np.abs(fit["lat_deg"].to_numpy()[:n] - tcx["lat_deg"].to_numpy()[:n]).max() < 1e-4


@pytest.mark.real
def test_a_fit_course_read_by_finishline_plans_like_its_tcx() -> None:
    fit = course_profile(
        finishline.read(corpus_path("bad/heartandsole__testcourse__nosport_25.3km.fit"))
    )
    tcx = course_profile(
        finishline.read(corpus_path("bad/heartandsole__testcourse__nosport_25.3km.tcx"))
    )
    assert fit.attrs["kind"] == "course"
    assert fit.attrs["course_length_m"] == pytest.approx(tcx.attrs["course_length_m"], rel=1e-3)


@pytest.mark.real
def test_a_real_route_without_altitude_plans_flat() -> None:
    activity = finishline.read(corpus_path("bad/gpxpy__route__nosport_nodist.gpx"))
    with pytest.warns(FlatCourseWarning):
        profile = course_profile(activity)
    assert activity.kind == "course"
    assert (profile["grade"] == 0).all()
    assert profile["lat_deg"].notna().all()


def _fit_runs() -> list[str]:
    """Single-session FIT runs over 1 km with altitude, from the corpus inventory."""
    return sorted(
        name
        for name, row in inventory().items()
        if row["format"] == "fit"
        and "run" in row["sport"]
        and row["has_altitude"] == "yes"
        and row["sessions_or_legs"] == "1"
        and float(row["distance_m"] or 0) >= 1000
    )


@pytest.mark.real
def test_earlier_fit_runs_give_the_device_distance_and_ascent() -> None:
    """A FIT run as the course: its length is the device's session distance (within 0.5 %), and
    its elevation gain the device's total ascent (median error <= 15 %, worst <= 25 %, as for
    the elevation model itself in tests/real/test_elevation_gap_real.py)."""
    require_shared()
    names = _fit_runs()
    assert len(names) >= 4
    errors = {}
    for name in names:
        activity = finishline.read(corpus_path(name))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FinishlineWarning)
            profile = course_profile(activity)
        session = activity.sessions
        assert profile.attrs["course_length_m"] == pytest.approx(
            session["distance_m"].sum(), rel=0.005
        ), name
        device = session["ascent_m"].sum()
        if device >= 20:
            errors[name] = profile.attrs["elevation_gain_m"] / device - 1
    assert len(errors) >= 3
    magnitude = np.abs(list(errors.values()))
    assert np.median(magnitude) <= 0.15 and magnitude.max() <= 0.25, errors
