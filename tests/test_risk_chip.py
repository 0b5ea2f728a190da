"""Parsing chip-results CSVs: time formats, column names, malformed cells, the shared races."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from corpus import SPLITS, require_shared
from hypothesis import given, settings
from hypothesis import strategies as st

from finishline.errors import InputDataError
from finishline.risk.chip import (
    load_boston_2014,
    load_chicago_2023,
    parse_duration_s,
    read_results_csv,
)


def test_time_formats():
    raw = pd.Series(["1:02:03", "2:03", "123.5", "7", "", "-", "\u2013", "x", "1:60:00", "-5"])
    got = parse_duration_s(raw).tolist()
    assert got[:4] == [3723.0, 123.0, 123.5, 7.0]
    assert all(np.isnan(v) for v in got[4:])


@settings(deadline=None)  # timings on a shared machine vary 10x
@given(st.integers(0, 9), st.integers(0, 59), st.integers(0, 59))
def test_clock_strings_round_trip(h, m, s):
    text = f"{h}:{m:02d}:{s:02d}"
    short = f"{h * 60 + m}:{s:02d}"
    got = parse_duration_s(pd.Series([text, short, str(h * 3600 + m * 60 + s)]))
    assert got.tolist() == [h * 3600 + m * 60 + s] * 3


def test_case_insensitive_columns_and_sex_age(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("ID,5k,10K,20k,HALF,gender,AGE\nx1,25:00,50:00,1:40:00,6330,female,35-39\n")
    frame = read_results_csv(path)
    row = frame.iloc[0]
    assert (row["id"], row["5K"], row["10K"], row["20K"], row["Half"]) == (
        "x1",
        1500.0,
        3000.0,
        6000.0,
        6330.0,
    )
    assert row["sex"] == "F" and row["age"] == 37.0
    assert np.isnan(row["25K"]) and row["issue"] == ""


def test_malformed_cells_become_nan_with_reason(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("id,5K,10K,15K\na,25:00,oops,1:15:00\nb,25:00,20:00,1:15:00\n")
    frame = read_results_csv(path)
    assert np.isnan(frame.loc[0, "10K"]) and "10K" in frame.loc[0, "issue"]
    # 10K before 5K is impossible: dropped and named
    assert np.isnan(frame.loc[1, "10K"]) and "10K" in frame.loc[1, "issue"]
    assert frame.loc[1, "15K"] == 4500.0


def test_up_to_km_ignores_later_columns(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("id,5K,10K,30K\na,25:00,50:00,garbage\n")
    frame = read_results_csv(path, up_to_km=10)
    assert frame.loc[0, "issue"] == "" and np.isnan(frame.loc[0, "30K"])


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ID", "ID"),
        ("Bib Number", "Bib Number"),
        ("bib_number", "bib_number"),
        ("BIB", "BIB"),
        ("Runner ID", "Runner ID"),
        ("name", "name"),
    ],
)
def test_id_column_is_found_case_insensitively(tmp_path, header, expected):
    path = tmp_path / "r.csv"
    path.write_text(f"{header},5K,10K\nx7,25:00,50:00\n")
    frame = read_results_csv(path)
    assert frame.attrs["id_column"] == expected and frame.loc[0, "id"] == "x7"


def test_id_preference_and_row_number_fallback(tmp_path):
    both = tmp_path / "both.csv"
    both.write_text("name,Bib,5K\nAnn,12,25:00\n")
    assert read_results_csv(both).loc[0, "id"] == "12"  # bib wins over name
    none = tmp_path / "none.csv"
    none.write_text("5K,10K\n25:00,50:00\n26:00,52:00\n")
    frame = read_results_csv(none)
    assert frame.attrs["id_column"] == "row number" and frame["id"].tolist() == ["1", "2"]


def test_parse_edge_cases_match_the_clock_rules():
    raw = pd.Series([" 1:02:03 ", "1:02:03.5", "59:59", "1:59", "1:", ":30", "1::2", "1.5:30"])
    raw = pd.concat([raw, pd.Series(["1:2:3:4", "12a", "123.", ".", "DNF", "n/a", None, 7.5])])
    got = parse_duration_s(raw.reset_index(drop=True)).tolist()
    assert got[:4] == [3723.0, 3723.5, 3599.0, 119.0]
    assert all(np.isnan(v) for v in got[4:10])
    assert got[10] == 123.0 and np.isnan(got[11])
    assert all(np.isnan(v) for v in got[12:15]) and got[15] == 7.5


@pytest.mark.parametrize("text", ["id,5K,5k\na,1,2\n", ""], ids=["dupe", "empty"])
def test_bad_tables_raise_input_data_error_naming_file(tmp_path, text):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InputDataError, match="bad.csv"):
        read_results_csv(path)


@pytest.mark.real
def test_shared_races_load():
    require_shared(SPLITS)
    boston = load_boston_2014(SPLITS / "boston_2014.csv")
    chicago = load_chicago_2023(SPLITS / "chicago_2023.csv")
    assert not boston["id"].str.upper().str.startswith("W").any()
    assert len(boston) == 31984 - 53 and len(chicago) == 48000
    assert boston["15K"].isna().all() and chicago["15K"].notna().mean() > 0.99
    for frame in (boston, chicago):
        times = frame[["5K", "10K", "20K", "25K", "30K", "35K", "40K", "Finish"]].to_numpy()
        assert np.all(np.diff(times, axis=1)[np.isfinite(np.diff(times, axis=1))] > 0)
        assert set(frame["sex"].dropna()) == {"M", "F"}
        assert frame["age"].between(10, 90).mean() > 0.99


@settings(deadline=None)  # timings on a shared machine vary 10x
@given(st.lists(st.text(alphabet="0123456789:. x", max_size=9), min_size=1, max_size=30))
def test_fast_clock_path_agrees_with_the_general_parser(cells):
    from finishline.risk.clock import clock_seconds, general_clock_seconds

    text = np.strings.strip(np.asarray(cells, dtype=str))
    np.testing.assert_array_equal(clock_seconds(text), general_clock_seconds(text))


clock_like = st.builds(
    lambda h, m, s, wide: f"{h:02d}:{m:02d}:{s:02d}" if wide else f"{h % 10}:{m:02d}:{s:02d}",
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 99),
    st.booleans(),
)


@settings(deadline=None)
@given(
    st.lists(
        st.one_of(
            clock_like, clock_like, st.text(alphabet="0123456789:. x\u2013\u0130", max_size=10)
        ),
        min_size=1,
        max_size=40,
    )
)
def test_fast_clock_path_agrees_when_most_cells_are_clocks(cells):
    """Mostly H:MM:SS / HH:MM:SS cells (some minutes or seconds >= 60): the one-pass branch."""
    from finishline.risk.clock import clock_seconds, general_clock_seconds

    text = np.strings.strip(np.asarray(cells, dtype=str))
    np.testing.assert_array_equal(clock_seconds(text), general_clock_seconds(text))
