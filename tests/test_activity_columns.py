"""The reader boundary's shortcuts give exactly what building every table again gives.

``conform`` hands back a lap, session or event table that already has the schema's form, and
``make_activity`` reads samples as numpy columns (:mod:`finishline.io.activity_columns`): both
are checked here against :func:`finishline.activity.rebuild` (the table built again column by
column) on tables that take the shortcut and on the awkward ones that must not.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from corpus import corpus_files, corpus_path

from finishline import read
from finishline.activity import (
    SCHEMA,
    ActivityMeta,
    column_labels,
    conform,
    make_activity,
    rebuild,
    table_frame,
)
from finishline.io.activity_columns import _samples_frame, _time_order, sample_arrays

T0 = pd.Timestamp("2024-04-15T13:00:00Z")


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True, check_column_type=True, check_freq=True)
    assert list(a.columns) == list(b.columns)
    assert [str(d) for d in a.dtypes] == [str(d) for d in b.dtypes]
    assert a.index.dtype == b.index.dtype and a.index.name == b.index.name


def _laps(n: int = 3, **over: object) -> pd.DataFrame:
    columns = {
        c.name: (
            pd.DatetimeIndex(T0 + pd.to_timedelta(np.arange(n) * 600, unit="s"))
            if c.dtype.startswith("datetime")
            else np.arange(n, dtype=np.int64)
            if c.dtype == "int64"
            else np.array(["distance", None, "manual"][:n], dtype=object)
            if c.dtype == "object"
            else np.linspace(1.0, 2.0, n)
        )
        for c in SCHEMA["laps"]
    }
    columns.update(over)
    return pd.DataFrame(columns)


TABLES = {
    "as built by a reader": _laps(),
    "an extra float and time column": _laps(
        avg_cadence_rpm=np.r_[np.nan, 80.0, 90.0],
        end_time=pd.DatetimeIndex(T0 + pd.to_timedelta([1, 2, 3], unit="s")),
    ),
    "an extra time column without a time": _laps(
        end_time=pd.DatetimeIndex([pd.NaT] * 3).tz_localize("UTC").as_unit("ns")
    ),
    "a text column without text": _laps().astype({"trigger": "str"}).iloc[[1]],
    "text kept as objects": _laps().astype({"trigger": object}),
    "no text at all": _laps(trigger=np.array([None] * 3, dtype=object)),
    "numbers in a text column": _laps(trigger=np.array([1.0, 2.0, np.nan])),
    "a missing column": _laps().drop(columns="ascent_m"),
    "columns out of order": _laps()[[c.name for c in reversed(SCHEMA["laps"])]],
    "an int column as floats": _laps(session_index=np.zeros(3)),
    "times in microseconds": _laps().astype({"start_time": "datetime64[us, UTC]"}),
    "no rows": _laps().iloc[:0],
    "an index of its own": _laps().set_axis([5, 7, 9]),
}


@pytest.mark.parametrize("case", sorted(TABLES))
def test_conform_gives_what_a_rebuild_gives(case):
    frame = TABLES[case]
    out = conform(frame, "laps")
    _same(out, rebuild(frame, "laps"))
    assert out is not frame


def test_a_conformed_table_is_not_shared_with_the_caller():
    frame = _laps()
    out = conform(frame, "laps")
    out["distance_m"] = 0.0
    out["extra"] = 1.0
    assert (frame["distance_m"] > 0).all() and "extra" not in frame


def _samples(times: list[object], **extra: object) -> pd.DataFrame:
    n = len(times)
    columns = {
        "distance_m": np.arange(n) * 3.0,
        "heart_rate_bpm": 120.0 + np.arange(n) % 5,
        "lat_deg": np.linspace(48.0, 48.01, n),
        "lon_deg": np.linspace(11.0, 11.01, n),
        **extra,
    }
    return pd.DataFrame(columns, index=pd.DatetimeIndex(times))


STEP = pd.Timedelta(seconds=1)
SAMPLES = {
    "in order": _samples([T0 + k * STEP for k in range(6)]),
    "unsorted, a shared time, a missing time": _samples(
        [T0 + 2 * STEP, T0, pd.NaT, T0 + STEP, T0, T0 + 5 * STEP]
    ),
    "naive times": _samples([(T0 + k * STEP).tz_localize(None) for k in range(4)]),
    "another time zone": _samples([(T0 + k * STEP).tz_convert("Europe/Paris") for k in range(4)]),
    "no times (a route)": _samples([pd.NaT] * 4),
    "no samples": _samples([]),
    "extra columns of every kind": _samples(
        [T0 + 3 * STEP, T0, T0 + STEP, T0, T0 + 2 * STEP],
        laps_done=np.array([3, 0, 1, 0, 2]),
        note=np.array(["c", "a", None, "x", "b"], dtype=object),
        mixed=np.array(["a", 1, "b", 2.5, None], dtype=object),
        only_text_where_kept=np.array(["a", 1, "b", "c", None], dtype=object),
        stamp=pd.DatetimeIndex([T0 + k * STEP for k in range(5)]),
        flag=np.array([True, False, True, True, False]),
        speed_mps=np.array([1, 2, 3, 4, 5], dtype=np.int32),
    ),
}


@pytest.mark.parametrize("case", sorted(SAMPLES))
def test_sample_columns_give_what_conform_gives(case):
    frame = SAMPLES[case]
    columns, t_ns = sample_arrays(frame)
    n = t_ns.size
    declared = {c.name: columns.get(c.name, np.full(n, np.nan)) for c in SCHEMA["samples"]}
    columns = declared | {k: v for k, v in columns.items() if k not in declared}
    columns, t_ns = _time_order(columns, t_ns)
    _same(_samples_frame(columns, t_ns), conform(frame, "samples"))


def test_make_activity_leaves_the_callers_frame_alone():
    frame = SAMPLES["unsorted, a shared time, a missing time"]
    before = frame.copy(deep=True)
    act = make_activity(frame, ActivityMeta(format="gpx"))
    pd.testing.assert_frame_equal(frame, before)
    assert act.samples.index.is_monotonic_increasing and not act.samples.index.has_duplicates
    assert act.samples["elapsed_s"].iloc[0] == 0.0 and act.meta.start_time == T0


@pytest.mark.real
@pytest.mark.parametrize(
    "name", corpus_files(".fit") + corpus_files(".tcx")[:8] + corpus_files(".gpx")[:8]
)
def test_real_tables_take_the_shortcut_only_when_it_changes_nothing(name):
    """Every table of real files: ``conform`` (shortcut or not) equals a rebuild of it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            act = read(corpus_path(name))
        except Exception:  # unreadable files are the readers' tests' business
            return
    for kind in ("laps", "sessions", "events"):
        table = getattr(act, kind)
        _same(conform(table, kind), rebuild(table, kind))


def test_the_same_without_pyarrow():
    """A core install has no pyarrow: pandas then keeps text in its own (python) string
    array, a subclass of the numpy-backed one; the columns must still come out as conform
    gives them. This file's tests, run in an interpreter where pyarrow cannot be imported."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys; sys.modules['pyarrow'] = None; import pandas, pytest; "
        "assert not pandas.compat.HAS_PYARROW; "
        "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', '-k', 'not without_pyarrow', "
        "sys.argv[1]]))"
    )
    here = Path(__file__).resolve()
    done = subprocess.run(
        [sys.executable, "-c", code, str(here)],
        capture_output=True,
        text=True,
        cwd=here.parents[1],
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_table_frame_is_the_frame_pandas_builds_from_the_dict():
    times = pd.DatetimeIndex([T0, pd.NaT, T0 + pd.Timedelta(seconds=5)])
    cases = {
        "mixed": {
            "start_time": times,
            "elapsed_s": np.array([1.0, np.nan, 3.0]),
            "trigger": np.array(["manual", None, "distance"], dtype=object),
            "sub_sport": np.array([None, None, None], dtype=object),
            "session_index": np.array([0, 0, 1], dtype=np.int64),
        },
        "empty rows": {"timestamp": times[:0], "event": np.array([], dtype=object)},
    }
    for name, columns in cases.items():
        built = table_frame(columns)
        _same(built, pd.DataFrame(columns))
        assert built.columns.dtype == pd.DataFrame(columns).columns.dtype, name


def test_frames_do_not_share_their_column_labels():
    columns = {"elapsed_s": np.array([1.0, 2.0]), "event": np.array(["timer", None], object)}
    first, second = table_frame(columns), table_frame(columns)
    first.columns.name = "renamed"
    assert second.columns.name is None and table_frame(columns).columns.name is None
    assert column_labels(["a", "b"]) is not column_labels(["a", "b"])


def test_table_frames_of_the_same_short_text_are_independent():
    """Short text columns are built once and copied: writing one frame changes no other."""
    columns = {"event": np.array(["timer", "timer"], object), "data": np.array([1.0, 2.0])}
    first, second = table_frame(columns), table_frame(columns)
    _same(first, pd.DataFrame(columns))
    first.loc[0, "event"] = "lap"
    first.loc[1, "data"] = 5.0
    assert second["event"].tolist() == ["timer", "timer"] and second["data"].tolist() == [1.0, 2.0]
    assert table_frame(columns)["event"].tolist() == ["timer", "timer"]
    assert columns["data"].tolist() == [1.0, 2.0]  # the float block is a copy


def test_table_frame_without_block_placement_builds_the_same_frame(monkeypatch):
    """The constructor route (pandas < 3, or a column kind pandas must infer) gives the frame
    the block route gives."""
    import finishline.activity as activity

    times = pd.DatetimeIndex([T0, pd.NaT, T0 + pd.Timedelta(seconds=5)])
    columns = {
        "start_time": times,
        "elapsed_s": np.array([1.0, np.nan, 3.0]),
        "sport": np.array(["running", None, "running"], dtype=object),
        "sub_sport": np.array([None, None, None], dtype=object),
        "session_index": np.array([0, 0, 1], dtype=np.int64),
        "ascent_m": np.array([4.0, 5.0, 6.0]),
    }
    by_blocks = table_frame(columns)
    monkeypatch.setattr(activity, "_from_blocks", None)
    _same(table_frame(columns), by_blocks)
    # a column pandas must infer (numbers as objects) sends the whole table through it
    mixed = dict(columns, extra=np.array([1, None, 2.5], dtype=object))
    monkeypatch.undo()
    _same(table_frame(mixed), pd.DataFrame({k: getattr(v, "array", v) for k, v in mixed.items()}))
