"""The numpy/csv-module CSV reader behind ``risk-splits``: the table pandas reads, its messages."""

from __future__ import annotations

import codecs

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finishline.errors import InputDataError
from finishline.risk.csv_in import (
    _csv_module_columns,
    _numpy_columns,
    header_names,
    read_csv_columns,
)

PANDAS_OPTIONS = {"dtype": object, "keep_default_na": False, "skipinitialspace": True}

plain_cell = st.text(alphabet="abc019:.- \u00e9\u2013", max_size=6)
quoted_cell = st.text(alphabet='ab1:, "\n', max_size=6).map(
    lambda text: '"' + text.replace('"', '""') + '"'
)


@st.composite
def csv_files(draw) -> tuple[bytes, int]:
    """A well-formed CSV file (header + rows, some short) and its column count."""
    width = draw(st.integers(2, 5))
    names = draw(
        st.lists(
            st.sampled_from(["id", "5K", "10K", "sex", "", "a"]), min_size=width, max_size=width
        )
    )
    cell = st.one_of(plain_cell, quoted_cell) if draw(st.booleans()) else plain_cell
    rows = draw(
        st.lists(
            st.lists(cell, min_size=1, max_size=width + 2).filter(lambda r: "".join(r).strip()),
            max_size=8,
        )
    )
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [",".join(names), *(",".join(row) for row in rows)]
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    bom = codecs.BOM_UTF8 if draw(st.booleans()) else b""
    return bom + text.encode("utf-8"), width


def _pandas_columns(path, choose) -> dict[str, list[str]]:
    names = list(pd.read_csv(path, nrows=0, **PANDAS_OPTIONS).columns)
    wanted = [name for name in names if name in set(choose(names))]
    frame = pd.read_csv(path, usecols=wanted, **PANDAS_OPTIONS)
    return {name: frame[name].fillna("").tolist() for name in frame.columns}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_files(), st.booleans())
def test_reads_the_table_pandas_reads(tmp_path_factory, case, every_column):
    data, width = case
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    path.write_bytes(data)

    def choose(names):
        return names if every_column else names[1:]

    ours = read_csv_columns(path, choose)
    theirs = _pandas_columns(path, choose)
    assert list(ours.columns) == list(theirs)
    for name, cells in theirs.items():
        # pandas keeps the leading spaces skipinitialspace leaves; both keep trailing ones.
        assert ours.columns[name].tolist() == cells
        assert ours.n_rows == len(cells)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.lists(st.text(alphabet="ab19:. \u00e9", max_size=5), min_size=3, max_size=3),
        max_size=6,
    ),
    st.sampled_from(["\n", "\r\n"]),
)
def test_numpy_reader_and_csv_module_agree(rows, newline):
    text = newline.join(["id,5K,sex", *(",".join(row) for row in rows)]) + newline
    data = text.encode("utf-8")
    fast = _numpy_columns(data, lambda names: names)
    assert fast is not None  # no quote, no ragged or blank line: the numpy reader takes it
    general = _csv_module_columns(data, lambda names: names, path=None)
    assert fast.names == general.names and fast.n_rows == general.n_rows
    for name in fast.names:
        assert fast.columns[name].tolist() == general.columns[name].tolist()


def test_header_names_follow_pandas():
    fields = ["5K", "5K", "5K.1", "", " id", "a", "a"]
    assert header_names(fields) == ["5K", "5K.2", "5K.1", "Unnamed: 3", "id", "a", "a.1"]
    assert list(pd.read_csv(pd.io.common.StringIO(",".join(fields) + "\n"), **PANDAS_OPTIONS)) == (
        header_names(fields)
    )


def _pandas_message(path) -> str:
    try:
        pd.read_csv(path, **PANDAS_OPTIONS)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        return f"not a readable CSV table ({exc})"
    raise AssertionError("pandas read it")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n\n",
        b"\xef\xbb\xbf",
        "id,5K\nJos\xe9,25:00\n".encode("latin-1"),
        "id,5K\nJos\xe9,25:00\n".encode("utf-16"),
        b'id,5K\n"a,25:00\n',
    ],
    ids=["empty", "blank lines", "bom only", "latin-1", "utf-16", "unterminated quote"],
)
def test_unreadable_files_get_pandas_message_and_name_the_file(tmp_path, data):
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    with pytest.raises(InputDataError, match="bad.csv") as caught:
        read_csv_columns(path, lambda names: names)
    assert " ".join(_pandas_message(path).split()) in " ".join(str(caught.value).split())


def test_bytes_that_are_not_utf8_only_matter_in_columns_read(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes("id,5K,note\na,25:00,caf\xe9\n".encode("latin-1"))
    table = read_csv_columns(path, lambda names: ["id", "5K"])
    assert table.columns["5K"].tolist() == ["25:00"]
    with pytest.raises(InputDataError, match="can't decode byte 0xe9"):
        read_csv_columns(path, lambda names: names)


def test_missing_fields_are_blank_and_cells_keep_utf8(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("id,5K,10K\na,25:00\n\u00e9\u00e8,\u2013,50:00\n", encoding="utf-8")
    table = read_csv_columns(path, lambda names: names)
    assert table.columns["10K"].tolist() == ["", "50:00"]
    assert table.columns["id"].tolist() == ["a", "\u00e9\u00e8"]
    assert np.asarray(table.columns["5K"]).tolist() == ["25:00", "\u2013"]
