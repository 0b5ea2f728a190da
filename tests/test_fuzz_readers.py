"""Fuzzing the readers: random bytes and mutated real files give an Activity or a FinishlineError.

Nothing else may escape :func:`finishline.read_bytes`: no ``KeyError`` from a decoder, no numpy
warning, no hang. A mutated file may read as a partial activity with a
:class:`~finishline.errors.FinishlineWarning`.
"""

from __future__ import annotations

import warnings
from functools import cache

import pytest
from corpus import corpus_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finishline import Activity, read_bytes
from finishline.errors import FinishlineError, FinishlineWarning

SMALL_FILES = {
    "fit": "fit/heartandsole__testdata__run_0.2km.fit",
    "gpx": "gpx/runpandas__garmin_connect__run_0.0km.gpx",
    "tcx": "tcx/heartandsole__testdata__run_0.2km.tcx",
}

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@cache
def _original(kind: str) -> bytes:
    return corpus_path(SMALL_FILES[kind]).read_bytes()


def _check(data: bytes, engine: str = "auto") -> None:
    """Read ``data``: an Activity (possibly with finishline warnings) or a FinishlineError."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            act = read_bytes(data, "fuzzed", engine=engine)
        except FinishlineError as exc:
            assert exc.path == "fuzzed"
            act = None
    foreign = [
        w
        for w in caught
        if not issubclass(w.category, FinishlineWarning | DeprecationWarning | ResourceWarning)
    ]
    assert not foreign, [f"{w.category.__name__}: {w.message}" for w in foreign]
    if act is not None:
        assert isinstance(act, Activity)
        idx = act.samples.index
        assert str(idx.tz) == "UTC"
        assert act.meta.is_course or idx.is_monotonic_increasing


@st.composite
def mutations(draw, data: bytes, keep_head: int = 0) -> bytes:
    """``data`` with 1-8 byte flips, deletions, insertions or a truncation after ``keep_head``."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        if len(out) <= keep_head + 1:
            break
        pos = draw(st.integers(keep_head, len(out) - 1))
        op = draw(st.sampled_from(["flip", "delete", "insert", "overwrite", "truncate"]))
        if op == "flip":
            out[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "delete":
            del out[pos : pos + draw(st.integers(1, 16))]
        elif op == "insert":
            out[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=8))
            out[pos : pos + len(chunk)] = chunk
        else:
            del out[pos:]
    return bytes(out)


@st.composite
def mutated_fit(draw) -> bytes:
    # Keep the 14-byte header most of the time so the mutation reaches the decoder.
    return draw(mutations(_original("fit"), keep_head=draw(st.sampled_from([0, 14, 14, 14]))))


@pytest.mark.real
@pytest.mark.parametrize("engine", ["auto", "fitparse"])
@FUZZ
@given(data=mutated_fit())
def test_mutated_fit(engine, data):
    _check(data, engine)


@pytest.mark.real
@FUZZ
@given(data=st.deferred(lambda: mutations(_original("gpx"))))
def test_mutated_gpx(data):
    _check(data)


@pytest.mark.real
@FUZZ
@given(data=st.deferred(lambda: mutations(_original("tcx"))))
def test_mutated_tcx(data):
    _check(data)


FIT_HEADER = bytes([14, 0x20, 0x5C, 0x08, 0, 1, 0, 0]) + b".FIT" + b"\x00\x00"


@FUZZ
@given(
    prefix=st.sampled_from(
        [b"", FIT_HEADER, b"<?xml version='1.0'?><gpx>", b"<TrainingCenterDatabase>"]
    ),
    body=st.binary(max_size=2048),
)
def test_random_bytes(prefix, body):
    _check(prefix + body)
