"""The fast FIT engine against the fitparse reference, on every FIT file of the corpus.

For each file: the same table names, columns (in order), dtypes, values (floats to 1e-9
relative; ``None``/NaN/NaT all count as missing), units, warnings and ``n_files``; where the
reference raises, the fast engine raises a :class:`~finishline.errors.FinishlineError`.

A file the fast engine declines (``NotImplementedError``) is a *fallback*: a failure for an
activity file under ``fit/``, an expected failure (counted as xfail in the summary) under
``bad/``. The goal, met today, is zero fallbacks anywhere.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from corpus import corpus_files, corpus_path

from finishline.errors import FinishlineError
from finishline.io import fit_fast, fit_fitparse
from finishline.io.fit_messages import FitMessages

pytestmark = pytest.mark.real  # every test here reads ../shared

FIT_FILES = [f for f in corpus_files(".fit") if not f.startswith(("gpx/", "tcx/"))]


def reference(data: bytes) -> FitMessages | Exception:
    """The fitparse engine's result.

    fitparse keeps developer field descriptions in a module-level dict; the engine clears it
    for each file, so this is what a fresh process gives (and what the fast engine, which keeps
    that state per file, gives) whatever files the tests read before.
    """
    try:
        return fit_fitparse.decode(data, "reference")
    except Exception as exc:
        return exc


def _missing(value: Any) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def assert_same_column(name: str, ref: pd.Series, got: pd.Series) -> None:
    """Values equal, with floats to 1e-9 relative and every kind of missing equal."""
    assert ref.dtype == got.dtype, f"{name}: dtype {ref.dtype} != {got.dtype}"
    if ref.dtype.kind == "f":
        a, b = ref.to_numpy(), got.to_numpy()
        same = (np.isnan(a) & np.isnan(b)) | np.isclose(a, b, rtol=1e-9, atol=0.0)
        bad = np.flatnonzero(~same)
        assert bad.size == 0, f"{name}: {bad.size} values differ, first row {bad[0]}"
        return
    for i, (x, y) in enumerate(zip(ref.tolist(), got.tolist(), strict=True)):
        if _missing(x) or _missing(y):
            assert _missing(x) and _missing(y), f"{name}[{i}]: {x!r} != {y!r}"
        elif isinstance(x, float) or isinstance(y, float):
            assert math.isclose(x, y, rel_tol=1e-9), f"{name}[{i}]: {x!r} != {y!r}"
        else:
            assert x == y, f"{name}[{i}]: {x!r} != {y!r}"


def assert_same_messages(ref: FitMessages, got: FitMessages) -> None:
    """Every observable part of two engines' FitMessages agrees."""
    assert list(got.tables) == list(ref.tables)
    assert got.n_files == ref.n_files
    assert got.warnings == ref.warnings
    assert got.units == ref.units
    for name, ref_frame in ref.tables.items():
        frame = got.tables[name]
        assert list(frame.columns) == list(ref_frame.columns), name
        assert len(frame) == len(ref_frame), name
        for col in ref_frame.columns:
            assert_same_column(f"{name}.{col}", ref_frame[col], frame[col])


@pytest.mark.parametrize("name", FIT_FILES)
def test_fast_engine_matches_fitparse(name: str) -> None:
    data = corpus_path(name).read_bytes()
    ref = reference(data)
    if isinstance(ref, Exception):
        with pytest.raises(FinishlineError):
            fit_fast.decode(data, name)
        return
    try:
        got = fit_fast.decode(data, name)
    except NotImplementedError as exc:
        if name.startswith("bad/"):
            pytest.xfail(f"fallback to fitparse: {exc}")
        pytest.fail(f"fallback to fitparse on an activity file: {exc}")
    assert got.engine == "fast"
    assert_same_messages(ref, got)
