"""The FIT reader's lap, session and event tables are built in the form conform keeps as it is.

:func:`finishline.io.fit.activity_from_messages` hands them to ``activity_from_columns`` as
``in_form`` (see :func:`finishline.io.fit_tables.tables_in_form`), which then skips conform's
check: every table of every FIT file in the corpus, by both engines, must pass that check. It
also marks its samples ``in_form`` (their times increasing, distinct and present, so conform's
row rules are skipped): every FIT file's times must be so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from corpus import corpus_files, corpus_path

from finishline.activity import _conformed, conform, table_frame
from finishline.errors import FinishlineError
from finishline.io.activity_columns import activity_from_columns
from finishline.io.fit import decode_fit
from finishline.io.fit_tables import (
    events_table,
    laps_table,
    session_columns,
    tables_in_form,
)
from finishline.io.source import load_bytes

FIT_FILES = [n for n in corpus_files() if ".fit" in n.lower()] or corpus_files()


@pytest.mark.real
@pytest.mark.parametrize("engine", ["fast", "fitparse"])
@pytest.mark.parametrize("name", FIT_FILES)
def test_tables_marked_in_form_pass_conforms_check(name: str, engine: str) -> None:
    path = corpus_path(name)
    try:
        msgs = decode_fit(load_bytes(path), str(path), engine)
    except FinishlineError:
        pytest.skip("the file is refused before any table is built (tested in test_corpus_read)")
    sessions = session_columns(msgs.columns("session"))
    tables = {
        "laps": laps_table(msgs.columns("lap"), sessions),
        "sessions": None if sessions is None else table_frame(sessions),
        "events": events_table(msgs.columns("event")),
    }
    for kind in tables_in_form(sessions):
        if tables[kind] is not None:
            assert _conformed(tables[kind], kind), (name, kind)


@pytest.mark.real
@pytest.mark.parametrize("engine", ["fast", "fitparse"])
@pytest.mark.parametrize("name", FIT_FILES)
def test_samples_marked_in_form_have_increasing_distinct_times(name, engine, monkeypatch):
    import finishline.io.fit as fit
    from finishline.io import read

    handed = []

    def spy(columns, times_ns, meta, **kwargs):
        handed.append((np.asarray(times_ns, dtype=np.int64).copy(), kwargs.get("in_form", ())))
        return activity_from_columns(columns, times_ns, meta, **kwargs)

    monkeypatch.setattr(fit, "activity_from_columns", spy)
    try:
        act = read(corpus_path(name), engine=engine)
    except FinishlineError:
        act = None  # refused files are tested in test_corpus_read; what was handed on is checked
    if act is not None and not act.meta.is_course:  # (a course is read by fit_course)
        assert any("samples" in in_form for _, in_form in handed), name
    for times, in_form in handed:
        if "samples" in in_form:
            assert times.min(initial=0) > np.iinfo(np.int64).min, (name, "a missing time")
            assert (np.diff(times) > 0).all(), (name, "times not increasing and distinct")


def test_sessions_without_an_end_are_left_to_conform() -> None:
    session = {
        "timestamp": np.array(["NaT"], dtype="datetime64[ns]"),
        "start_time": np.array(["2024-04-21T09:00:00"], dtype="datetime64[ns]"),
        "sport": np.array(["running"], dtype=object),
        "total_elapsed_time": np.array([3600.0]),
    }
    columns = session_columns(session)
    assert columns is not None
    frame = table_frame(columns)
    assert "sessions" not in tables_in_form(columns)
    assert not _conformed(frame, "sessions")  # conform rebuilds it: the end becomes naive
    assert not isinstance(conform(frame, "sessions")["end_time"].dtype, pd.DatetimeTZDtype)
    columns["end_time"] = columns["end_time"].fillna(pd.Timestamp("2024-04-21 10:00", tz="UTC"))
    assert "sessions" in tables_in_form(columns) and _conformed(table_frame(columns), "sessions")
