"""Column access and lap/session/event builders of the FIT reader, with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from finishline.io.fit_tables import (
    NAT,
    MessageColumns,
    as_float,
    as_ns,
    events_table,
    foot_cadence,
    laps_table,
    session_index,
    session_starts_ns,
    sessions_table,
)

T0 = pd.Timestamp("2024-04-21 09:00:00", tz="UTC")


def _nan_equal(got: np.ndarray, want: list[float]) -> bool:
    return bool(np.array_equal(got, np.asarray(want, dtype=float), equal_nan=True))


def test_as_float_keeps_numbers_and_drops_everything_else():
    cases = {
        "empty": ([None, None], [np.nan, np.nan]),
        "ints": ([1, None, 3], [1.0, np.nan, 3.0]),
        "mixed": ([1.5, None, 2], [1.5, np.nan, 2.0]),
        "bools": ([True, None, False], [1.0, np.nan, 0.0]),
        "text": (["12", 3, None], [np.nan, 3.0, np.nan]),  # a numeric string is not a number
        "tuples": [[(1, 2), 4.0, None], [np.nan, 4.0, np.nan]],
    }
    for name, (values, want) in cases.items():
        got = as_float(pd.Series(values, dtype=object))
        assert got.dtype == np.float64 and _nan_equal(got, want), name
    assert _nan_equal(as_float(pd.Series([T0, pd.NaT])), [np.nan, np.nan])
    assert _nan_equal(as_float(pd.Series([1, 2], dtype="Int64")), [1.0, 2.0])


def test_as_ns_reads_aware_naive_and_object_times_as_utc():
    want = [T0.value, NAT, (T0 + pd.Timedelta(seconds=1)).value]
    aware = pd.Series([T0, pd.NaT, T0 + pd.Timedelta(seconds=1)]).dt.as_unit("us")
    naive = aware.dt.tz_localize(None).dt.as_unit("s")
    objects = pd.Series([T0.to_pydatetime(), None, (T0 + pd.Timedelta(seconds=1))], dtype=object)
    for series in (aware, naive, objects):
        assert as_ns(series).tolist() == want
    assert as_ns(pd.Series(["not a time", None])).tolist() == [NAT, NAT]


def test_message_columns_first_labels_and_absent_fields():
    frame = pd.DataFrame(
        {
            "enhanced_speed": [np.nan, 3.0, np.nan],
            "speed": [2.0, 9.0, np.nan],
            "sport": ["Running", None, np.nan],
        }
    )
    cols = MessageColumns(frame)
    assert _nan_equal(cols.first("enhanced_speed", "speed"), [2.0, 3.0, np.nan])
    assert _nan_equal(cols.num("absent"), [np.nan] * 3)
    assert cols.ns("absent").tolist() == [NAT] * 3
    assert cols.labels("sport").tolist() == ["running", None, None]
    assert "speed" in cols and "absent" not in cols


def test_foot_cadence_by_sport_and_hint():
    sport = np.array(["running", "cycling", None, np.nan, "walking"], dtype=object)
    assert foot_cadence(sport, False).tolist() == [True, False, False, False, True]
    assert foot_cadence(sport, True).tolist() == [True, False, True, True, True]


def test_sessions_deduplicated_sorted_and_started_from_their_end():
    second = T0 + pd.Timedelta(hours=1)
    session = pd.DataFrame(
        {
            "start_time": [second, T0, second, pd.NaT],
            "timestamp": [second + pd.Timedelta(seconds=60), T0 + pd.Timedelta(seconds=600),
                          second + pd.Timedelta(seconds=60), T0 + pd.Timedelta(hours=3)],
            "sport": ["cycling", "running", "cycling", "running"],
            "total_elapsed_time": [60.0, 600.0, 60.0, 30.5],
            "total_distance": [np.nan, 2000.0, np.nan, 100.0],
            "avg_running_cadence": [np.nan, 85.0, np.nan, 80.0],
            "avg_fractional_cadence": [np.nan, 0.5, np.nan, np.nan],
            "avg_cadence": [90.0, np.nan, 90.0, np.nan],
        }
    )  # fmt: skip
    out = sessions_table(session)
    assert len(out) == 3  # the repeated cycling session counts once, NaN distance or not
    assert out["sport"].tolist() == ["running", "cycling", "running"]
    assert out["start_time"].is_monotonic_increasing
    filled = T0 + pd.Timedelta(hours=3) - pd.Timedelta(seconds=30.5)
    assert out["start_time"].iloc[2] == filled
    assert _nan_equal(out["avg_cadence_spm"].to_numpy(), [171.0, np.nan, 160.0])
    assert _nan_equal(out["avg_cadence_rpm"].to_numpy(), [np.nan, 90.0, np.nan])
    assert sessions_table(pd.DataFrame()) is None


def test_session_index_and_laps_take_their_session_sport():
    sessions = {  # the columns the reader holds (session_columns)
        "start_time": pd.DatetimeIndex([T0, T0 + pd.Timedelta(hours=1)]),
        "sport": np.array(["running", "cycling"], dtype=object),
    }
    starts = session_starts_ns(sessions)
    times = np.array(
        [T0.value - 1, T0.value, (T0 + pd.Timedelta(hours=2)).value, NAT], dtype=np.int64
    )
    assert session_index(times, starts).tolist() == [0, 0, 1, 1]  # NaT falls in the last
    assert session_index(times, None).tolist() == [0, 0, 0, 0]
    lap = pd.DataFrame(
        {
            "start_time": [T0, pd.NaT],
            "timestamp": [T0 + pd.Timedelta(minutes=5), T0 + pd.Timedelta(hours=1, minutes=10)],
            "total_elapsed_time": [300.0, 600.0],
            "avg_cadence": [80.0, 80.0],
            "lap_trigger": ["Distance", None],
        }
    )
    out = laps_table(lap, sessions)
    assert out["session_index"].tolist() == [0, 1]
    assert out["start_time"].iloc[1] == T0 + pd.Timedelta(hours=1)
    assert _nan_equal(out["avg_cadence_spm"].to_numpy(), [160.0, np.nan])  # run x2, ride not
    assert [None if pd.isna(v) else v for v in out["trigger"]] == ["distance", None]


def test_events_in_time_order_without_untimed_rows():
    event = pd.DataFrame(
        {
            "timestamp": [T0 + pd.Timedelta(seconds=5), pd.NaT, T0, T0],
            "event": ["Timer", "timer", "timer", np.nan],
            "event_type": ["stop_all", "start", "start", "marker"],
            "data": [None, 1, 2, 3],
        }
    )
    out = events_table(event)
    assert out["event_type"].tolist() == ["start", "marker", "stop_all"]
    assert [None if pd.isna(v) else v for v in out["event"]] == ["timer", None, "timer"]
    assert _nan_equal(out["data"].to_numpy(), [2.0, 3.0, np.nan])
    assert str(out["timestamp"].dtype) == "datetime64[ns, UTC]"
