"""``finishline risk-splits``: output columns, only-up-to-``--at``, malformed rows, errors."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from corpus import SPLITS, require_shared
from hypothesis import given, settings
from hypothesis import strategies as st

from finishline.cli import main

SRC = Path(__file__).resolve().parents[1] / "src"

HEADER = "id,5K,10K,15K,20K,Half,25K,30K,35K,40K,sex,age"
ROWS = [
    "a,25:00,50:00,1:15:00,1:40:00,1:45:30,2:05:00,2:31:00,2:59:00,3:29:00,M,41",
    "b,1500,3000,4500,6000,6330,7500,9000,10500,12000,F,",
    "c,25:00,oops,1:15:00,1:40:00,,2:05:00,2:40:00,3:20:00,3:59:00,F,30-34",
    "d,25:00,50:00,,,,,,,,M,50",
    "e,,,,,,,,,,,",
]


def _run(tmp_path, rows, at):
    src = tmp_path / "results.csv"
    src.write_text("\n".join([HEADER, *rows]) + "\n")
    out = tmp_path / "out.csv"
    code = main(["risk-splits", str(src), "--at", str(at), "--out", str(out)])
    return code, pd.read_csv(out, keep_default_na=False, na_values=[""])


def test_scores_rows_and_explains_unscorable_ones(tmp_path, capsys):
    code, out = _run(tmp_path, ROWS, 35)
    assert code == 0 and "scored 3 of 5" in capsys.readouterr().out
    assert list(out.columns[:5]) == ["id", "checkpoint_km", "p_fail", "p_lo", "p_hi"]
    assert out["p_fail"].notna().tolist() == [True, True, True, False, False]
    assert out.loc[out["p_fail"].notna(), "p_fail"].between(0, 1).all()
    assert out.loc[1, "p_fail"] < out.loc[0, "p_fail"] < out.loc[2, "p_fail"]
    assert "10K" in out.loc[2, "reason"] and out.loc[3, "reason"] and out.loc[4, "reason"]


@settings(max_examples=15, deadline=None)
@given(
    at=st.sampled_from([20, 25, 30, 35]),
    junk=st.sampled_from(["x", "", "-1", "99:99:99", "1:00", "0"]),
)
def test_columns_after_at_change_nothing(tmp_path_factory, at, junk):
    tmp_path = tmp_path_factory.mktemp("cli")
    _, clean = _run(tmp_path, ROWS, at)
    later = [i for i, c in enumerate(HEADER.split(",")) if c.endswith("K") and int(c[:-1]) > at]
    corrupted = []
    for row in ROWS:
        cells = row.split(",")
        for i in later:
            cells[i] = junk
        corrupted.append(",".join(cells))
    _, dirty = _run(tmp_path, corrupted, at)
    pd.testing.assert_frame_equal(clean, dirty)


def test_at_between_mats_uses_the_last_mat(tmp_path):
    _, at_32 = _run(tmp_path, ROWS, 32.5)
    _, at_30 = _run(tmp_path, ROWS, 30)
    assert (at_32["checkpoint_km"] == 30).all()
    np.testing.assert_allclose(at_32["p_fail"], at_30["p_fail"])


@pytest.mark.parametrize(
    ("text", "at", "needle"),
    [
        (HEADER + "\n" + ROWS[0] + "\n", 2, "--at"),
        ("id,40K\na,3:00:00\n", 20, "no split times"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, text, at, needle):
    src = tmp_path / "r.csv"
    src.write_text(text)
    code = main(["risk-splits", str(src), "--at", str(at)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and needle in err


def test_ids_come_from_a_named_column_or_the_row_number(tmp_path, capsys):
    named = tmp_path / "named.csv"
    named.write_text("Bib Number,5K,10K\n77,25:00,50:00\n")
    assert main(["risk-splits", str(named), "--at", "10", "--out", str(tmp_path / "a.csv")]) == 0
    assert "ids from column 'Bib Number'" in capsys.readouterr().out
    assert pd.read_csv(tmp_path / "a.csv")["id"].tolist() == [77]
    bare = tmp_path / "bare.csv"
    bare.write_text("5K,10K\n25:00,50:00\n26:00,52:00\n")
    assert main(["risk-splits", str(bare), "--at", "10"]) == 0
    out = capsys.readouterr()
    assert "ids are row numbers" in out.err
    assert pd.read_csv(io.StringIO(out.out))["id"].tolist() == [1, 2]


def test_csv_writer_matches_pandas_formatting():
    from finishline.risk.csv_out import csv_bytes

    frame = pd.DataFrame(
        {
            "id": ["a", "b,c", 'q"d', None],
            "n": np.array([1, 2, 3, 4], dtype=np.int64),
            "k": pd.array([7, None, -3, 40], dtype="Int64"),
            "on": [True, False, True, True],
            "p": [0.12344, np.nan, -1.5, 123456.78907],
            "reason": ["", "x; y", "line\nbreak", "ok"],
        }
    )
    ours = csv_bytes(frame).decode()
    theirs = frame.to_csv(index=False, float_format="%.4f", lineterminator="\n")
    assert ours == theirs
    back = pd.read_csv(io.StringIO(ours), keep_default_na=False, na_values=[""])
    assert back["id"].tolist()[:3] == ["a", "b,c", 'q"d'] and np.isnan(back["p"][1])


def test_quoting_line_ends_and_bom_do_not_change_the_scores(tmp_path):
    plain = "\n".join([HEADER, *ROWS]) + "\n"
    quoted = "\n".join(",".join(f'"{cell}"' for cell in line.split(",")) for line in plain.split())
    variants = {
        "plain": plain.encode(),
        "crlf": plain.replace("\n", "\r\n").encode(),
        "bom": b"\xef\xbb\xbf" + plain.encode(),
        "quoted": (quoted + "\n").encode(),
        "spaces": plain.replace(",", ", ").encode(),
    }
    outputs = {}
    for name, data in variants.items():
        src = tmp_path / f"{name}.csv"
        src.write_bytes(data)
        out = tmp_path / f"{name}.out.csv"
        assert main(["risk-splits", str(src), "--at", "30", "--out", str(out)]) == 0
        outputs[name] = out.read_bytes()
    assert len(set(outputs.values())) == 1


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"", "not a readable CSV table (No columns to parse from file)"),
        ("id,5K\nJos\xe9,25:00\n".encode("latin-1"), "'utf-8' codec can't decode byte 0xe9"),
        (b'id,5K\n"a,25:00\n', "EOF inside string starting at row 1"),
        (b"id,ID,5K\na,b,25:00\n", "duplicate columns (ignoring case): id"),
    ],
    ids=["empty", "latin-1", "unterminated quote", "duplicate"],
)
def test_unreadable_tables_are_one_line_naming_the_file(tmp_path, capsys, data, needle):
    src = tmp_path / "r.csv"
    src.write_bytes(data)
    assert main(["risk-splits", str(src), "--at", "30"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err and "r.csv" in err


@pytest.mark.real
def test_command_imports_neither_pandas_nor_scipy(tmp_path):
    require_shared(SPLITS)
    lines = (SPLITS / "chicago_2023.csv").read_text(encoding="utf-8").splitlines()[:300]
    src = tmp_path / "chicago_head.csv"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "scored.csv"
    code = (
        "import sys\n"
        "from finishline.cli import main\n"
        f"code = main(['risk-splits', {str(src)!r}, '--at', '30', '--out', {str(out)!r}])\n"
        "heavy = sorted(m for m in ('pandas', 'scipy', 'pyarrow') if m in sys.modules)\n"
        "print('heavy:', heavy)\n"
        "sys.exit(code)\n"
    )
    env = os.environ | {"PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "heavy: []" in done.stdout and "scored 299 of 299" in done.stdout
    assert len(pd.read_csv(out)) == 299


@pytest.mark.real
@pytest.mark.parametrize("race", ["boston_2014", "chicago_2023"])
def test_command_writes_what_the_dataframe_functions_compute(tmp_path, race):
    """One implementation: the numpy-column command and the DataFrame API agree to the byte."""
    from finishline.risk import LandmarkRiskModel, read_results_csv
    from finishline.risk.csv_out import csv_bytes

    require_shared(SPLITS)
    src = SPLITS / f"{race}.csv"
    model = LandmarkRiskModel.load()
    for at in (10, 21.1, 35, 40):
        out = tmp_path / f"{at}.csv"
        assert main(["risk-splits", str(src), "--at", str(at), "--out", str(out)]) == 0
        frame = model.predict_results(read_results_csv(src, up_to_km=at), at_km=at)
        assert out.read_bytes() == csv_bytes(frame)
        assert frame["p_fail"].notna().mean() > 0.9
