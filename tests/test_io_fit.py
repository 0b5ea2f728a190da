"""FIT reader: message tables -> Activity, with known answers (synthetic) and real files."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from corpus import corpus_path

from finishline import read_bytes
from finishline.errors import (
    EmptyActivityError,
    FinishlineError,
    FinishlineWarning,
    NotAnActivityError,
    TruncatedFileWarning,
)
from finishline.geo import EARTH_RADIUS_M
from finishline.io.fit import (
    DEG_PER_SEMICIRCLE,
    RELATIVE_TIME_WARNING,
    activity_from_messages,
    continue_distance_m,
    extra_column_name,
    read_fit,
    stray_times,
)
from finishline.io.fit_messages import (
    FIRST_ABSOLUTE_TIME,
    FIT_EPOCH,
    FitMessages,
    is_relative_time,
)
from finishline.summary import timer_from_events

T0 = pd.Timestamp("2024-04-21 09:00:00", tz="UTC")


def _times(n: int, start: pd.Timestamp = T0, step_s: float = 1.0) -> pd.Series:
    return pd.Series(start + pd.to_timedelta(np.arange(n) * step_s, unit="s"))


def _msgs(
    record: pd.DataFrame,
    sport: str | None = "running",
    *,
    file_type: str = "activity",
    units: dict[str, str] | None = None,
    **tables: pd.DataFrame,
) -> FitMessages:
    out = FitMessages(engine="test", n_files=1)
    out.tables["file_id"] = pd.DataFrame(
        {"type": [file_type], "manufacturer": ["garmin"], "garmin_product": ["fr965"], "_file": 0}
    )
    out.tables["record"] = record
    out.units["record"] = units or {}
    if sport is not None:
        out.tables["session"] = pd.DataFrame(
            {
                "start_time": [T0],
                "timestamp": [T0 + pd.Timedelta(seconds=len(record))],
                "sport": [sport],
                "sub_sport": ["generic"],
                "total_elapsed_time": [float(len(record))],
                "total_timer_time": [float(len(record))],
                "total_distance": [100.0],
                "avg_running_cadence": [85],
                "avg_fractional_cadence": [0.5],
                "_file": 0,
            }
        )
    out.tables.update(tables)
    return out


def _read(msgs: FitMessages):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FinishlineWarning)
        return activity_from_messages(msgs, "synthetic.fit")


# -- known answers on synthetic message tables --------------------------------------------------


def test_semicircles_become_degrees():
    record = pd.DataFrame(
        {
            "timestamp": _times(3),
            "position_lat": [2**30, -(2**29), None],
            "position_long": [-(2**30), 2**31 - 1, None],
        }
    )
    act = _read(_msgs(record))
    lat = act.samples["lat_deg"].to_numpy()
    lon = act.samples["lon_deg"].to_numpy()
    assert lat[0] == pytest.approx(90.0) and lat[1] == pytest.approx(-45.0)
    assert lon[0] == pytest.approx(-90.0) and lon[1] == pytest.approx(180.0, abs=1e-6)
    assert np.isnan(lat[2]) and np.isnan(lon[2])
    assert DEG_PER_SEMICIRCLE == 180.0 / 2**31
    assert "position_lat" not in act.samples.columns


@pytest.mark.parametrize("sport", ["running", "walking", "hiking"])
def test_foot_sport_cadence_is_doubled_strides(sport):
    record = pd.DataFrame(
        {"timestamp": _times(2), "cadence": [85, 90], "fractional_cadence": [0.5, None]}
    )
    act = _read(_msgs(record, sport))
    assert act.samples["cadence_spm"].tolist() == [171.0, 180.0]
    assert "cadence_rpm" not in act.samples.columns
    assert act.sessions["avg_cadence_spm"].iloc[0] == 171.0


def test_cycling_cadence_stays_rpm():
    record = pd.DataFrame({"timestamp": _times(2), "cadence": [85, 90]})
    act = _read(_msgs(record, "cycling"))
    assert act.samples["cadence_spm"].isna().all()
    assert act.samples["cadence_rpm"].tolist() == [85.0, 90.0]
    assert act.meta.units["cadence_rpm"] == "1/min"


def test_unknown_sport_with_running_dynamics_doubles_cadence():
    base = {"timestamp": _times(2), "cadence": [80, 81]}
    plain = _read(_msgs(pd.DataFrame(base), sport=None))
    assert plain.samples["cadence_spm"].isna().all()
    assert plain.samples["cadence_rpm"].tolist() == [80.0, 81.0]
    dyn = _read(_msgs(pd.DataFrame(base | {"stance_time": [240.0, 238.0]}), sport=None))
    assert dyn.samples["cadence_spm"].tolist() == [160.0, 162.0]


def test_enhanced_channels_preferred_and_duplicates_dropped():
    record = pd.DataFrame(
        {
            "timestamp": _times(2),
            "speed": [3.0, 3.1],
            "enhanced_speed": [3.5, None],
            "altitude": [10.0, 11.0],
            "enhanced_altitude": [None, 12.0],
            "heart_rate": [150, 151],
            "power": [250, 260],
            "temperature": [18, 19],
            "distance": [0.0, 3.5],
        }
    )
    act = _read(_msgs(record))
    s = act.samples
    assert s["speed_mps"].tolist() == [3.5, 3.1]
    assert s["altitude_m"].tolist() == [10.0, 12.0]
    assert s["heart_rate_bpm"].tolist() == [150.0, 151.0]
    assert s["power_w"].tolist() == [250.0, 260.0]
    assert s["temperature_c"].tolist() == [18.0, 19.0]
    for raw in ("speed", "enhanced_speed", "altitude", "enhanced_altitude", "heart_rate"):
        assert raw not in s.columns
    assert act.meta.distance_source == "device"


def test_extra_fields_named_with_units():
    record = pd.DataFrame(
        {
            "timestamp": _times(2),
            "vertical_oscillation": [85.0, 86.0],
            "stance_time": [240.0, 241.0],
            "Form Power": [60, 61],
            "Leg Spring Stiffness": [9.5, 9.6],
            "stance_time_percent": [33.0, 34.0],
            "unknown_61": [1, 2],
        }
    )
    units = {
        "vertical_oscillation": "mm",
        "stance_time": "ms",
        "Form Power": "Watts",
        "Leg Spring Stiffness": "KN/m",
        "stance_time_percent": "percent",
    }
    act = _read(_msgs(record, units=units))
    s, u = act.samples, act.meta.units
    assert s["vertical_oscillation_mm"].tolist() == [85.0, 86.0]
    assert s["stance_time_ms"].tolist() == [240.0, 241.0]
    assert s["form_power_w"].tolist() == [60.0, 61.0]
    assert s["leg_spring_stiffness_kn_per_m"].tolist() == [9.5, 9.6]
    assert s["stance_time_percent"].tolist() == [33.0, 34.0]
    assert s["unknown_61"].dtype == np.float64
    assert u["vertical_oscillation_mm"] == "mm" and u["form_power_w"] == "W"
    assert u["leg_spring_stiffness_kn_per_m"] == "kN/m" and "unknown_61" not in u


def test_extra_column_name_rules():
    assert extra_column_name("Heart Rate", "bpm") == ("heart_rate_bpm", "1/min")
    assert extra_column_name("step_length", "mm") == ("step_length_mm", "mm")
    assert extra_column_name("Distance", "Meters") == ("distance_m", "m")
    assert extra_column_name("grit", None) == ("grit", None)
    assert extra_column_name("Doughnuts Earned", "doughnuts") == (
        "doughnuts_earned",
        "doughnuts",
    )


def test_developer_field_colliding_with_a_core_column_gets_prefix():
    record = pd.DataFrame({"timestamp": _times(2), "heart_rate": [140, 141], "Heart Rate": [1, 2]})
    fd = pd.DataFrame({"field_name": ["Heart Rate"], "units": ["bpm"], "_file": 0})
    act = _read(_msgs(record, units={"Heart Rate": "bpm"}, field_description=fd))
    assert act.samples["heart_rate_bpm"].tolist() == [140.0, 141.0]
    assert act.samples["dev_heart_rate_bpm"].tolist() == [1.0, 2.0]


def test_records_without_timestamp_dropped_with_warning():
    record = pd.DataFrame(
        {"timestamp": [T0, pd.NaT, T0 + pd.Timedelta(seconds=2)], "heart_rate": [101, 102, 103]}
    )
    with pytest.warns(FinishlineWarning, match="dropped 1 records without a timestamp"):
        act = activity_from_messages(_msgs(record), "x.fit")
    assert act.samples["heart_rate_bpm"].tolist() == [101.0, 103.0]
    assert act.samples["elapsed_s"].tolist() == [0.0, 2.0]


POWER_ON = FIT_EPOCH + pd.Timedelta(seconds=16_441_241)  # a relative time as the engines give it


def test_relative_times_read_on_the_fit_epoch_line_with_a_warning():
    record = pd.DataFrame(
        {"timestamp": _times(4, POWER_ON, 2.0), "heart_rate": [101, 102, 103, 104]}
    )
    activity = pd.DataFrame(
        {"timestamp": [POWER_ON + pd.Timedelta(seconds=8)], "local_timestamp": [T0]}
    )
    with pytest.warns(FinishlineWarning, match="device power-on.*absolute date is unknown"):
        act = activity_from_messages(_msgs(record, activity=activity), "fr70.fit")
    assert act.meta.start_time == POWER_ON
    assert act.samples["elapsed_s"].tolist() == [0.0, 2.0, 4.0, 6.0]
    assert act.samples["heart_rate_bpm"].tolist() == [101.0, 102.0, 103.0, 104.0]
    assert act.meta.warnings == [RELATIVE_TIME_WARNING]
    assert act.meta.utc_offset_s is None  # a power-on time has no offset to a local clock


def test_relative_records_among_dated_ones_are_dropped():
    times = pd.concat([_times(2, POWER_ON), _times(5)], ignore_index=True)
    record = pd.DataFrame({"timestamp": times, "heart_rate": [99, 99, 101, 102, 103, 104, 105]})
    with pytest.warns(FinishlineWarning, match="dropped 2 records timed from device power-on"):
        act = activity_from_messages(_msgs(record), "x.fit")
    assert act.meta.start_time == T0
    assert act.samples["heart_rate_bpm"].tolist() == [101.0, 102.0, 103.0, 104.0, 105.0]
    assert RELATIVE_TIME_WARNING not in act.meta.warnings


def test_dated_records_raise_no_relative_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", FinishlineWarning)
        act = activity_from_messages(_msgs(pd.DataFrame({"timestamp": _times(3)})), "x.fit")
    assert act.meta.warnings == []


def test_is_relative_time_boundary_and_nat():
    times = pd.Series(
        [FIT_EPOCH, FIRST_ABSOLUTE_TIME - pd.Timedelta(seconds=1), FIRST_ABSOLUTE_TIME, pd.NaT, T0],
        dtype="datetime64[us, UTC]",
    )
    assert is_relative_time(times).tolist() == [True, True, False, False, False]
    assert FIRST_ABSOLUTE_TIME == FIT_EPOCH + pd.Timedelta(seconds=0x10000000)


def test_same_timestamp_records_merge_channels():
    ts = [T0, T0, T0 + pd.Timedelta(seconds=1), T0 + pd.Timedelta(seconds=1)]
    record = pd.DataFrame(
        {"timestamp": ts, "speed": [3.0, None, 3.2, None], "distance": [None, 0.0, None, 3.1]}
    )
    act = _read(_msgs(record))
    assert act.samples["speed_mps"].tolist() == [3.0, 3.2]
    assert act.samples["distance_m"].tolist() == [0.0, 3.1]


def test_utc_offset_from_activity_message_rounded_to_quarter_hour():
    record = pd.DataFrame({"timestamp": _times(2)})
    activity = pd.DataFrame(
        {
            "timestamp": [T0 + pd.Timedelta(hours=1)],
            "local_timestamp": [T0 + pd.Timedelta(hours=6, minutes=30, seconds=7)],
        }
    )
    act = _read(_msgs(record, activity=activity))
    assert act.meta.utc_offset_s == 5 * 3600 + 1800
    assert act.meta.start_time_local.utcoffset() == pd.Timedelta(hours=5, minutes=30)
    west = activity.assign(local_timestamp=[T0 - pd.Timedelta(hours=3, seconds=-2)])
    assert _read(_msgs(record, activity=west)).meta.utc_offset_s == -4 * 3600
    assert _read(_msgs(record)).meta.utc_offset_s is None


def test_timer_events_in_time_order():
    record = pd.DataFrame({"timestamp": _times(600)})
    event = pd.DataFrame(
        {
            "timestamp": [T0 + pd.Timedelta(seconds=s) for s in (300, 0, 200, 599)],
            "event": ["timer", "timer", "timer", "timer"],
            "event_type": ["start", "start", "stop_all", "stop_all"],
            "event_group": [0, 0, 0, 0],
        }
    )
    act = _read(_msgs(record, event=event))
    ev = act.events
    assert ev["timestamp"].is_monotonic_increasing
    assert ev["event_type"].tolist() == ["start", "stop_all", "start", "stop_all"]
    assert timer_from_events(ev) == pytest.approx(200 + 299)


def test_meta_fields():
    record = pd.DataFrame({"timestamp": _times(3), "distance": [0.0, 1.0, 2.0]})
    act = _read(_msgs(record, "running"))
    m = act.meta
    assert (m.format, m.sport, m.sub_sport, m.n_files) == ("fit", "running", None, 1)
    assert m.device == "garmin fr965"
    assert m.start_time == T0
    assert act.sessions["sport"].tolist() == ["running"]


def test_distance_from_positions_when_records_carry_none():
    # 1e-4 deg (11 m) a second: a step of a degree a second would be no runner's, and the
    # plausibility boundary (finishline.io.plausibility) would count no distance for it.
    lat = np.array([0.0, 0.0, np.nan, 0.0])
    lon = np.array([0.0, 1e-4, np.nan, 2e-4])
    record = pd.DataFrame(
        {
            "timestamp": _times(4),
            "position_lat": lat / DEG_PER_SEMICIRCLE,
            "position_long": lon / DEG_PER_SEMICIRCLE,
        }
    )
    act = _read(_msgs(record))
    step = 1e-4 * EARTH_RADIUS_M * np.pi / 180
    np.testing.assert_allclose(act.samples["distance_m"], [0.0, step, step, 2 * step], rtol=1e-6)
    assert act.meta.distance_source == "positions"
    no_pos = _read(_msgs(pd.DataFrame({"timestamp": _times(3), "heart_rate": [1, 2, 3]})))
    assert no_pos.meta.distance_source is None and no_pos.samples["distance_m"].isna().all()


def test_multisport_legs_laps_and_continuous_distance():
    n = 10
    record = pd.DataFrame(
        {
            "timestamp": _times(n),
            "distance": [0.0, 10, 20, 30, 40, 0.0, 5, 10, 15, 20],
            "cadence": [80] * n,
        }
    )
    session = pd.DataFrame(
        {
            "start_time": [T0 + pd.Timedelta(seconds=5), T0],
            "sport": ["cycling", "running"],
            "total_elapsed_time": [5.0, 5.0],
            "total_distance": [20.0, 40.0],
        }
    )
    lap = pd.DataFrame(
        {
            "start_time": [T0, T0 + pd.Timedelta(seconds=5)],
            "total_distance": [40.0, 20.0],
            "avg_cadence": [80, 80],
            "lap_trigger": ["session_end", "session_end"],
        }
    )
    msgs = _msgs(record, None, session=session, lap=lap)
    act = _read(msgs)
    assert act.sessions["sport"].tolist() == ["running", "cycling"]
    assert act.meta.sport == "multisport"
    assert act.laps["session_index"].tolist() == [0, 1]
    assert act.laps["avg_cadence_spm"].iloc[0] == 160.0 and np.isnan(act.laps["avg_cadence_spm"][1])
    s = act.samples
    assert s["cadence_spm"].iloc[:5].eq(160.0).all() and s["cadence_spm"].iloc[5:].isna().all()
    assert s["cadence_rpm"].iloc[5:].eq(80.0).all()
    assert s["distance_m"].tolist() == [0, 10, 20, 30, 40, 40, 45, 50, 55, 60]


def test_continue_distance_keeps_a_monotonic_leg_untouched():
    d = np.array([0.0, 5.0, 7.0, 9.0])
    np.testing.assert_array_equal(continue_distance_m(d, np.array([0, 0, 1, 1])), d)


def test_stray_timestamps_flagged():
    times = pd.DatetimeIndex(list(_times(10)) + [T0 + pd.Timedelta(days=365 * 60)])
    assert stray_times(times).tolist() == [False] * 10 + [True]
    two_days = pd.DatetimeIndex(list(_times(5)) + list(_times(5, T0 + pd.Timedelta(days=3))))
    assert not stray_times(two_days).any()


@pytest.mark.parametrize("file_type", ["settings", "workout", "monitoring_b"])
def test_non_activity_types_refused(file_type):
    record = pd.DataFrame({"timestamp": _times(2)})
    with pytest.raises(NotAnActivityError, match=file_type):
        activity_from_messages(_msgs(record, file_type=file_type), "x.fit")


def test_course_messages_read_as_a_course_with_virtual_times():
    lat = np.array([45.0, 45.001, 45.002])
    record = pd.DataFrame(
        {
            "timestamp": _times(3, step_s=10.0),
            "position_lat": lat / DEG_PER_SEMICIRCLE,
            "position_long": np.full(3, 7.0) / DEG_PER_SEMICIRCLE,
            "altitude": [300.0, 301.0, 303.0],
            "distance": [0.0, 111.2, 222.4],
        }
    )
    course = pd.DataFrame({"name": ["Loop"], "sport": ["running"]})
    act = _read(_msgs(record, None, file_type="course", course=course))
    assert act.kind == "course" and act.meta.is_course and act.meta.sport == "running"
    s = act.samples
    assert s.index.isna().all() and len(s) == 3
    np.testing.assert_allclose(s["lat_deg"], lat)
    assert s["distance_m"].tolist() == [0.0, 111.2, 222.4]
    assert s["altitude_m"].tolist() == [300.0, 301.0, 303.0]
    assert s["course_elapsed_s"].tolist() == [0.0, 10.0, 20.0]
    assert act.meta.units["course_elapsed_s"] == "s"


def test_no_timestamped_records_is_empty():
    with pytest.raises(EmptyActivityError, match="no timestamped records"):
        activity_from_messages(_msgs(pd.DataFrame()), "x.fit")
    with pytest.raises(EmptyActivityError, match="2 records without a timestamp"):
        activity_from_messages(_msgs(pd.DataFrame({"timestamp": [pd.NaT, pd.NaT]})), "x.fit")


def test_unknown_engine_is_value_error():
    with pytest.raises(ValueError, match="unknown FIT engine"):
        read_fit(b"", None, engine="turbo")


# -- real files ---------------------------------------------------------------------------------

SMALL_RUN = "fit/fitparse__activity-small-fenix2-run__run_9.0km.fit"
ENGINES = ["fitparse", "auto"]


def _bytes(name: str) -> bytes:
    return corpus_path(name).read_bytes()


def _quiet(data: bytes, engine: str = "fitparse", source: str = "x.fit"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_bytes(data, source, engine=engine)


@pytest.mark.real
@pytest.mark.parametrize("engine", ENGINES)
def test_truncated_real_file_keeps_the_first_half(engine):
    data = _bytes(SMALL_RUN)
    whole = _quiet(data, engine)
    with pytest.warns(TruncatedFileWarning):
        half = read_bytes(data[: len(data) // 2], "half.fit", engine=engine)
    assert 0 < len(half.samples) < len(whole.samples)
    assert half.meta.truncated and not whole.meta.truncated
    (said,) = [w for w in half.meta.warnings if "later records were not read" in w]
    assert said.startswith("the file ends early (truncated) after record ")
    last_km = half.samples["distance_m"].dropna().iloc[-1] / 1000
    assert f"({last_km:.1f} km)" in said
    head = whole.samples.iloc[: len(half.samples)]
    np.testing.assert_array_equal(head.index, half.samples.index)
    np.testing.assert_array_equal(head["distance_m"], half.samples["distance_m"])


@pytest.mark.real
@pytest.mark.parametrize("engine", ENGINES)
def test_bad_crc_warns_and_reads_everything(engine):
    data = bytearray(_bytes(SMALL_RUN))
    data[-1] ^= 0xFF
    with pytest.warns(FinishlineWarning, match="CRC"):
        act = read_bytes(bytes(data), "crc.fit", engine=engine)
    assert len(act.samples) == len(_quiet(bytes(_bytes(SMALL_RUN)), engine).samples)


@pytest.mark.real
def test_damaged_real_file_says_after_which_record_it_stopped():
    """A Strava export with a data message of an undefined local type after 473 records."""
    name = "bad/fitparse__strava-android-app-201.10-b1218918__nosport_nodist.fit"
    with pytest.warns(TruncatedFileWarning, match="damaged after record 473"):
        act = read_bytes(_bytes(name), name)
    assert act.meta.truncated
    (said,) = [w for w in act.meta.warnings if "later records were not read" in w]
    assert said.startswith("the file is damaged after record 473 (0.9 km)")
    assert "undefined local type 11" in said


def test_damaged_synthetic_file_keeps_the_records_before_the_break():
    from test_fit_fast import FILE_ID, RECORD_FIELDS, T0, definition, fit_file, message, record

    body = FILE_ID + definition(1, 20, RECORD_FIELDS)
    body += b"".join(record(T0 + i, 140, 3000, 250_000 * i, 2600) for i in range(8))
    body += message(9, "I", 0) + record(T0 + 9, 140, 3000, 2_500_000, 2600)
    with pytest.warns(TruncatedFileWarning):
        act = read_bytes(fit_file(body), "broken.fit")
    assert len(act.samples) == 8 and act.meta.truncated
    assert any(
        w.startswith("the file is damaged after record 8 (17.5 km)") for w in act.meta.warnings
    )


RELATIVE_TIME_RUNS = [
    "bad/fitparse__antfs-dump.63__run_nodist.fit",
    "bad/fitparse__compressed-speed-distance__run_10.2km.fit",
]


@pytest.mark.real
@pytest.mark.parametrize("name", RELATIVE_TIME_RUNS)
@pytest.mark.parametrize("engine", ["fast", "fitparse"])
def test_relative_time_runs_read_whole_with_a_warning(name, engine):
    """Garmin FR70 runs timed from power-on: the whole run, timed like the device's session."""
    with pytest.warns(FinishlineWarning, match="device power-on"):
        act = read_bytes(_bytes(name), name, engine=engine)
    assert act.meta.sport == "running" and RELATIVE_TIME_WARNING in act.meta.warnings
    assert act.meta.start_time < FIRST_ABSOLUTE_TIME
    session = act.sessions.iloc[0]
    # the session's start (relative too) sits on the same time line as the samples
    assert abs((act.meta.start_time - session["start_time"]).total_seconds()) <= 1.0
    elapsed = act.samples["elapsed_s"].iloc[-1]
    assert abs(elapsed - session["elapsed_s"]) <= 0.01 * session["elapsed_s"]
    assert len(act.samples) > 600 and act.samples["heart_rate_bpm"].notna().mean() > 0.9
    if np.isfinite(session["distance_m"]):
        assert act.samples["distance_m"].iloc[-1] == pytest.approx(session["distance_m"], rel=0.02)


@pytest.mark.real
def test_chained_files_read_both():
    a = _bytes("fit/fitparse__garmin-fenix-5-run__run_0.2km.fit")
    b = _bytes("fit/fitparse__garmin-fenix-5-walk__walk_0.1km.fit")
    first, second, both = _quiet(a), _quiet(b), _quiet(a + b)
    assert both.meta.n_files == 2
    assert len(both.samples) == len(first.samples) + len(second.samples)
    assert both.samples.index.is_monotonic_increasing
    assert set(both.sessions["sport"]) == {"running", "walking"}
    assert both.meta.sport == "multisport"


@pytest.mark.real
@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("bad/fitparse__Settings__nosport_nodist.fit", "settings"),
        ("bad/fitparse__WorkoutCustomTargetValues__nosport_nodist.fit", "workout"),
        ("bad/fitparse__MonitoringFile__nosport_nodist.fit", "monitoring"),
        ("bad/fitparse__WeightScaleSingleUser__nosport_nodist.fit", "weight"),
    ],
)
def test_non_activity_real_files(name, kind):
    with pytest.raises(NotAnActivityError, match=kind) as info:
        read_bytes(_bytes(name), name)
    assert info.value.path == name


@pytest.mark.real
def test_stryd_developer_fields_kept_with_units():
    name = "bad/fitparse__developer-types-sample__run_6.8km.fit"
    act = _quiet(_bytes(name))
    s, u = act.samples, act.meta.units
    for col, unit in [
        ("form_power_w", "W"),
        ("leg_spring_stiffness_kn_per_m", "kN/m"),
        ("vertical_oscillation_mm", "mm"),
        ("stance_time_ms", "ms"),
    ]:
        assert s[col].dtype == np.float64 and s[col].notna().any(), col
        assert u[col] == unit
    # Stryd's own Distance/Speed developer fields do not overwrite the device's channels.
    assert "dev_distance_m" in s.columns and "dev_speed_mps" in s.columns
    assert s["distance_m"].max() == pytest.approx(act.sessions["distance_m"].sum(), rel=0.01)
    assert act.meta.device == "stryd"
    assert s["cadence_spm"].median() == pytest.approx(2 * 74, rel=0.1)


@pytest.mark.real
def test_sdk_developer_data_example():
    name = "bad/muktihari__activity_developerdata__ride_3.6km.fit"
    act = _quiet(_bytes(name))
    s = act.samples
    # The SDK example's heart rate runs 0-254 bpm: the boundary removes what is no heart rate
    # from the core column; the developer copy keeps the raw values.
    kept = s["heart_rate_bpm"].notna()
    np.testing.assert_array_equal(s.loc[kept, "dev_heart_rate_bpm"], s.loc[kept, "heart_rate_bpm"])
    assert not s.loc[~kept, "dev_heart_rate_bpm"].between(25, 250).any()
    assert act.meta.units["dev_heart_rate_bpm"] == "1/min"
    assert act.meta.sport == "cycling" and act.meta.sub_sport == "gravel_cycling"
    assert act.meta.utc_offset_s == -7 * 3600


@pytest.mark.real
def test_polar_marathon_cadence_doubled():
    act = _quiet(_bytes("fit/polarri__outdoor_marathon_Polar__run_43.1km.fit"))
    spm = act.samples["cadence_spm"]
    assert 150 < spm[spm > 0].median() < 200
    assert act.sessions["avg_cadence_spm"].iloc[0] == 160.0
    assert act.samples["lat_deg"].isna().all() and act.meta.distance_source == "device"


@pytest.mark.real
def test_multisport_file_sessions_and_distance():
    name = "bad/fitparse__activity-large-fenxi2-multisport__multisport_69.8km.fit"
    act = _quiet(_bytes(name), "auto")
    assert len(act.sessions) == 7 and act.meta.sport == "multisport"
    assert act.sessions["start_time"].is_monotonic_increasing
    assert set(act.sessions["sport"].dropna()) == {"transition", "running", "cycling"}
    d = act.samples["distance_m"].dropna().to_numpy()
    assert np.diff(d).min() > -1.0  # legs continue; only centimetre jitter from the device
    assert d[-1] == pytest.approx(act.sessions["distance_m"].sum(), rel=0.01)
    assert act.laps["session_index"].is_monotonic_increasing
    # Recorded in south-west Norway (about 58.9 N, 6-7 E): a wrong semicircle scale would not be.
    assert act.samples["lat_deg"].dropna().between(58.5, 59.5).all()
    assert act.samples["lon_deg"].dropna().between(5.5, 7.5).all()


@pytest.mark.real
def test_real_utc_offset_and_device():
    act = _quiet(_bytes("fit/runpandas__run__run_5.8km.fit"))
    assert act.meta.utc_offset_s == 7200
    assert act.meta.device.startswith("garmin")
    assert act.events["event"].eq("timer").any()


def test_garbage_is_a_finishline_error():
    header = bytes([14, 0x10, 0, 0, 100, 0, 0, 0]) + b".FIT" + b"\x00\x00"
    with pytest.raises(FinishlineError):
        _quiet(header + b"\xff" * 50)


@pytest.mark.real
def test_decode_fit_decodes_more_messages_on_request():
    from finishline.io.fit import decode_fit

    data = _bytes("fit/runpandas__run__run_5.8km.fit")
    default = decode_fit(data, "run.fit")
    everything = decode_fit(data, "run.fit", messages="all")
    chosen = decode_fit(data, "run.fit", messages=["battery"])
    assert "battery" not in default.names() and "record" in default.names()
    assert {"battery", "record", "time_in_zone"} <= set(everything.names())
    assert chosen.names() == ["battery"]
    assert len(chosen.get("battery")) == len(everything.get("battery")) > 0
