"""Corrupt FIT files are read boundedly: a FinishlineError or a (partial) Activity, in seconds.

Real files from the corpus are mutated where a FIT decoder is most exposed: the definition
messages (field sizes, base types, number of fields, local and global message numbers,
architecture, developer field definitions) and the timestamps of data messages. Whatever the
bytes, :func:`finishline.read_bytes` must return an Activity (possibly partial, then saying so
in its warnings) or raise a :class:`~finishline.errors.FinishlineError`: no other exception, no
foreign warning, no value that cannot be represented (a corrupt time-of-day is a number, not
"hour must be in 0..23"), and no hang.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from functools import cache

import pytest
from corpus import corpus_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fit_sdk_reference import message_differences, sdk_decode

from finishline import Activity, read_bytes
from finishline.errors import FinishlineError, FinishlineWarning
from finishline.io import fit_fast

pytestmark = pytest.mark.real

FILES = [
    "fit/heartandsole__testdata__run_0.2km.fit",
    "fit/fitparse__garmin-fenix-5-run__run_0.2km.fit",
    "fit/fitparse__2013-02-06-12-11-14__run_4.8km.fit",
    "bad/tormoder__unterminated-strings__ride_0.1km.fit",
    "bad/fitparse__elemnt-bolt-no-application-id-inside-developer-data-id__ride_1.0km.fit",
    "bad/fitparse__compressed-speed-distance__run_10.2km.fit",
]
#: Seconds one read of a mutated file may take (a real file of this size reads in ~10 ms).
TIME_LIMIT_S = 3.0


@dataclass
class Layout:
    """Byte positions in a FIT file, found by a scan independent of the decoder."""

    definitions: list[int]  # position of each definition message's header byte
    field_defs: list[int]  # position of each field definition (number, size, base type)
    dev_defs: list[int]  # position of each developer field definition
    timestamps: list[int]  # position of the timestamp field of each data message


@cache
def layout(name: str) -> Layout:
    data = corpus_path(name).read_bytes()
    out = Layout([], [], [], [])
    sizes: dict[int, tuple[int, int | None]] = {}  # local type -> (size, timestamp offset)
    p, end = data[0], data[0] + int.from_bytes(data[4:8], "little")
    while p < end:
        header = data[p]
        if header & 0xC0 == 0x40:
            out.definitions.append(p)
            n = data[p + 5]
            fields = [p + 6 + 3 * i for i in range(n)]
            out.field_defs += fields
            q = p + 6 + 3 * n
            size, ts, offset = 0, None, 0
            for f in fields:
                if data[f] == 253:
                    ts = offset
                offset += data[f + 1]
            size = offset
            if header & 0x20:
                devs = [q + 1 + 3 * i for i in range(data[q])]
                out.dev_defs += devs
                size += sum(data[d + 1] for d in devs)
                q += 1 + 3 * len(devs)
            sizes[header & 0xF] = (size, ts)
            p = q
        else:
            local = (header >> 5) & 3 if header & 0x80 else header & 0xF
            size, ts = sizes[local]
            if ts is not None:
                out.timestamps.append(p + 1 + ts)
            p += 1 + size
    return out


@st.composite
def mutated(draw) -> tuple[str, bytes]:
    """A corpus file with 1-4 mutations of its definitions or timestamps."""
    name = draw(st.sampled_from(FILES))
    data = bytearray(corpus_path(name).read_bytes())
    where = layout(name)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["size", "base", "count", "local", "global", "arch",
                                     "dev", "timestamp"]))  # fmt: skip
        if kind in ("size", "base"):
            pos = draw(st.sampled_from(where.field_defs)) + (1 if kind == "size" else 2)
            data[pos] = draw(st.integers(0, 255))
        elif kind == "dev" and where.dev_defs:
            pos = draw(st.sampled_from(where.dev_defs)) + draw(st.integers(0, 2))
            data[pos] = draw(st.integers(0, 255))
        elif kind in ("count", "local", "global", "arch"):
            start = draw(st.sampled_from(where.definitions))
            if kind == "count":
                data[start + 5] = draw(st.integers(0, 255))
            elif kind == "local":
                data[start] = 0x40 | (data[start] & 0x20) | draw(st.integers(0, 15))
            elif kind == "global":
                data[start + 3 + draw(st.integers(0, 1))] = draw(st.integers(0, 255))
            else:
                data[start + 2] = draw(st.integers(0, 1))
        elif where.timestamps:
            pos = draw(st.sampled_from(where.timestamps))
            value = draw(
                st.sampled_from([0, 1, 0x0FFFFFFF, 0xFFFFFFFE, 0xFFFFFFFF])
                | st.integers(0, 2**32 - 1)
            )
            data[pos : pos + 4] = value.to_bytes(4, "little")
    return name, bytes(data)


def check(data: bytes) -> Activity | None:
    """Read mutated bytes: an Activity (possibly with finishline warnings) or a FinishlineError,
    nothing else, within the time limit."""
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            act = read_bytes(data, "mutated.fit")
        except FinishlineError as exc:
            assert exc.path == "mutated.fit"
            assert "\n" not in str(exc), "an error is one line"
            act = None
    elapsed = time.perf_counter() - start
    assert elapsed < TIME_LIMIT_S, f"read took {elapsed:.1f} s"
    foreign = [w for w in caught if not issubclass(w.category, FinishlineWarning)]
    assert not foreign, [f"{w.category.__name__}: {w.message}" for w in foreign]
    if act is not None:
        idx = act.samples.index
        assert str(idx.tz) == "UTC"
        assert act.meta.is_course or idx.is_monotonic_increasing
        if act.meta.truncated:
            assert any("later records were not read" in w for w in act.meta.warnings)
    return act


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=mutated())
def test_mutated_definitions_and_timestamps(case):
    name, data = case
    act = check(data)
    if act is not None and len(act.samples) < original_samples(name):
        assert act.meta.warnings, "samples were lost without a warning"


def test_a_message_renumbered_as_records_without_accumulated_values():
    """The Fenix 5's device-info definition (global 23) renumbered 20 (record): its messages
    read as records whose accumulated components have no valid value anywhere (found by the
    test above: an IndexError escaped the running totals). The messages stay the SDK's."""
    name = FILES[1]
    data = bytearray(corpus_path(name).read_bytes())
    at = next(p for p in layout(name).definitions if data[p + 2] == 0 and data[p + 3] == 23)
    data[at + 3] = 20
    act = check(bytes(data))
    assert act is not None and len(act.samples) > 0
    sdk, errors = sdk_decode(bytes(data))
    ours = fit_fast.decode(bytes(data), name, messages=None)
    assert message_differences(sdk, ours, prefix_only=bool(errors)) == []


@cache
def original_samples(name: str) -> int:
    act = check(corpus_path(name).read_bytes())
    return 0 if act is None else len(act.samples)


@pytest.mark.parametrize("name", FILES[:4])
@pytest.mark.parametrize("size", [0, 1, 3, 255])
def test_every_field_of_a_definition_resized(name, size):
    """Each field of the first definitions in turn given an odd size."""
    data = corpus_path(name).read_bytes()
    where = layout(name)
    for pos in where.field_defs[:30]:
        mutated_data = bytearray(data)
        mutated_data[pos + 1] = size
        check(bytes(mutated_data))


@pytest.mark.parametrize("name", FILES[:4])
@pytest.mark.parametrize("base", [0x01, 0x07, 0x88, 0x89, 0x8E, 0x1F])
def test_every_field_of_a_definition_retyped(name, base):
    """Each field in turn given another base type (sint8, string, float32, float64, sint64,
    an unknown type): floats, negatives and huge numbers reach every converter."""
    data = corpus_path(name).read_bytes()
    for pos in layout(name).field_defs[:30]:
        mutated_data = bytearray(data)
        mutated_data[pos + 2] = base
        check(bytes(mutated_data))
