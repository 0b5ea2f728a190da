"""Running a read on the compiled XML scanner and on the numpy path, and comparing them."""

from __future__ import annotations

import dataclasses
import os
import warnings

import numpy as np
import pandas as pd
import pytest

from finishline.errors import FinishlineError
from finishline.io import xml_compiled

PURE = xml_compiled.PURE_PYTHON_ENV


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_compiled():
    """The compiled module; skip (fail under CI) when it is not built or not used."""
    module = xml_compiled.compiled()
    if module is None:
        reason = f"the compiled XML scanner is not in use: {xml_compiled.scanner_status()}"
        if _in_ci() and xml_compiled._MODULE is None:  # not built: CI tests what users get
            pytest.fail(reason)
        pytest.skip(reason)  # not built here, or the numpy path asked for
    return module


def both(fn, *args, **kwargs):
    """``fn(*args)`` on the compiled path, then on the numpy path (environment restored)."""
    before = os.environ.pop(PURE, None)
    try:
        compiled = _outcome(fn, *args, **kwargs)
        os.environ[PURE] = "1"
        pure = _outcome(fn, *args, **kwargs)
    finally:
        os.environ.pop(PURE, None)
        if before is not None:
            os.environ[PURE] = before
    return compiled, pure


def _outcome(fn, *args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn(*args, **kwargs)
        except FinishlineError as exc:
            result = (type(exc).__name__, str(exc))
    return result, [(w.category.__name__, str(w.message)) for w in caught]


def assert_same_arrays(a: object, b: object) -> None:
    """Dataclasses of arrays equal field by field, dtypes included (NaN equal to NaN)."""
    assert type(a) is type(b)
    for field in dataclasses.fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype, field.name
            assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), field.name
        else:
            assert x == y, field.name


def assert_same_activities(compiled, pure) -> None:
    """Two outcomes of a read: the same activities (tables, meta) or error, same warnings."""
    (got, got_warnings), (want, want_warnings) = compiled, pure
    assert got_warnings == want_warnings
    if isinstance(want, tuple):
        assert got == want
        return
    got, want = (x if isinstance(x, list) else [x] for x in (got, want))
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        for table in ("samples", "laps", "sessions", "events"):
            pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table), check_exact=True)
        assert a.meta == b.meta
