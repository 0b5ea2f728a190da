"""The JSON converter: a DataFrame, built column by column, gives what its records give."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from finishline.jsonable import jsonable

SAMPLES = Path(__file__).resolve().parents[1] / "sample_runs"


def by_rows(frame: pd.DataFrame) -> list:
    """The reference: pandas' records, each converted value by value."""
    frame = frame.reset_index() if frame.index.name is not None else frame
    return [jsonable(row) for row in frame.to_dict(orient="records")]


def strict(value) -> str:
    return json.dumps(value, allow_nan=False)


def test_every_kind_of_column_matches_the_records():
    frame = pd.DataFrame(
        {
            "speed_mps": [3.1, np.nan, np.inf, -0.0],
            "pace_f32": np.array([1.1, np.nan, 2.5, -np.inf], np.float32),
            "km": np.arange(4, dtype=np.int64),
            "lap": np.arange(4, dtype=np.uint8),
            "moving": [True, False, True, True],
            "time": pd.to_datetime(
                ["2024-10-06 08:00", None, "2024-10-06 08:02", "2024-10-06 08:03"], utc=True
            ),
            "label": ["a", None, "c", "d"],
            "mixed": [np.float64(1.5), np.int64(2), "x", None],
            1: [0.5, 1.5, 2.5, np.nan],
        }
    )
    frame.index.name = "split"
    assert strict(jsonable(frame)) == strict(by_rows(frame))
    got = jsonable(frame)
    assert got[1]["speed_mps"] is None and got[2]["speed_mps"] is None  # NaN and inf
    assert got[0]["km"] == 0 and type(got[0]["km"]) is int and type(got[0]["moving"]) is bool
    assert got[0]["split"] == 0 and "1" in got[0]


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"a": pd.Series([], dtype=float)}),
        pd.DataFrame(index=range(3)),
        pd.DataFrame([[1.0, 2.0]], columns=["x", "x"]),
    ],
    ids=["no rows", "no columns", "duplicate names"],
)
def test_edge_frames_match_the_records(frame):
    assert strict(jsonable(frame)) == strict(by_rows(frame))


@pytest.mark.parametrize("name", ["TwinCitiesMarathon2014.tcx", "PolarMarathon.fit", "Slow10k.gpx"])
def test_every_table_of_a_real_analysis_matches_the_records(name):
    from finishline.analysis import analyze

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = analyze(SAMPLES / name)
    tables = {k: v for k, v in vars(result).items() if isinstance(v, pd.DataFrame)}
    assert len(tables) >= 5
    for key, table in tables.items():
        assert strict(jsonable(table)) == strict(by_rows(table)), key
