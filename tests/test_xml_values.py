"""Vectorised number and time parsing agree with Python's float and pandas' ISO 8601 parser."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finishline.io.xml_values import NAT, parse_decimals, parse_times


def _buffer(values: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The values between tags, as a document would hold them, and their byte ranges."""
    pieces, starts, ends, pos = [], [], [], 0
    for value in values:
        pieces.append(b"<v>" + value + b"</v>")
        starts.append(pos + 3)
        ends.append(pos + 3 + len(value))
        pos += len(value) + 7
    buf = np.frombuffer(b"".join(pieces), dtype=np.uint8)
    return buf, np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64)


def _python_float(text: bytes) -> float:
    try:
        value = float(text)
    except ValueError:
        return math.nan
    return value if math.isfinite(value) else math.nan


def _close(a: float, b: float) -> bool:
    """Equal, both NaN, or one unit in the last place apart."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= math.ulp(max(abs(a), abs(b)))


decimals = st.builds(
    lambda sign, whole, frac, pad: (
        pad[0] + sign + whole + (("." + frac) if frac is not None else "") + pad[1]
    ).encode(),
    st.sampled_from(["", "-", "+"]),
    st.text("0123456789", min_size=0, max_size=10),
    st.one_of(st.none(), st.text("0123456789", min_size=0, max_size=12)),
    st.tuples(st.sampled_from(["", " ", "\n  "]), st.sampled_from(["", " ", "\t\n"])),
)
oddities = st.sampled_from(
    [b"", b"  ", b"abc", b"1e3", b"-2.5E-2", b"nan", b"inf", b"1.2.3", b"--1", b".", b"-", b"0x1A"]
    + [b"&#52;2", b"4&#x32;.5", b"12345678901234567890123", b"0." + b"1" * 45]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(decimals, oddities), max_size=40))
def test_decimals_agree_with_python_float(values):
    buf, starts, ends = _buffer(values)
    got, bad = parse_decimals(buf, starts, ends)
    for text, value, flagged in zip(values, got, bad, strict=True):
        unescaped = text.replace(b"&#52;", b"4").replace(b"&#x32;", b"2")
        expected = _python_float(unescaped)
        assert _close(value, expected), (text, value, expected)
        # present (non-blank) but not a finite number <=> flagged bad
        assert flagged == (bool(unescaped.strip()) and math.isnan(expected)), text


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=50))
def test_decimals_with_short_mantissas_are_exact(numbers):
    texts = [f"{x:.6f}".encode() for x in numbers]  # at most 13 digits: below 2**53
    buf, starts, ends = _buffer(texts)
    got, bad = parse_decimals(buf, starts, ends)
    assert not bad.any()
    assert got.tolist() == [float(t) for t in texts]


def test_decimal_corner_cases():
    values = [b"-0", b"+5", b".5", b"5.", b"007", b"259.20001220703125", b"-93.26310088858008"]
    buf, starts, ends = _buffer(values)
    got, bad = parse_decimals(buf, starts, ends)
    assert not bad.any()
    assert all(_close(v, float(t)) for v, t in zip(got, values, strict=True))
    assert math.copysign(1, got[0]) == -1  # -0 keeps its sign, as float() does


def _pandas_ns(text: str) -> int:
    try:
        stamp = pd.to_datetime(text.strip(), utc=True, format="ISO8601")
    except (ValueError, OverflowError):
        return NAT
    if pd.isna(stamp) or not (pd.Timestamp("1678-01-01", tz="UTC") <= stamp):
        return NAT
    if stamp >= pd.Timestamp("2262-01-01", tz="UTC"):
        return NAT
    return stamp.as_unit("ns").value


def _layout(moment: datetime, digits: int, zone: str) -> str:
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{moment.microsecond:06d}{'0' * 3}"[:digits]
    return text + zone


moments = st.datetimes(datetime(1700, 1, 1), datetime(2200, 12, 31))
zones = st.sampled_from(["Z", "", "+02:00", "-05:30", "+0100", "-03", "+14:00"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(moments, st.integers(0, 9), zones), min_size=1, max_size=30))
def test_times_agree_with_pandas(specs):
    texts = [_layout(m, d, z) for m, d, z in specs]
    buf, starts, ends = _buffer([t.encode() for t in texts])
    got, bad = parse_times(buf, starts, ends)
    assert not bad.any()
    assert got.tolist() == [_pandas_ns(t) for t in texts]


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00Z",  # year 1: no activity was recorded then
        "9999-12-31T23:59:59Z",
        "not a time",
        "2014-02-30T10:00:00Z",
        "2014-10-05T25:00:00Z",
        "2016-12-31T23:59:60Z",
    ],
)
def test_impossible_or_garbage_times_are_nat_and_flagged(text):
    buf, starts, ends = _buffer([text.encode(), b"2014-10-05T13:07:53Z", b""])
    got, bad = parse_times(buf, starts, ends)
    assert got[0] == NAT and bad[0]
    assert got[1] == pd.Timestamp("2014-10-05T13:07:53Z").value and not bad[1]
    assert got[2] == NAT and not bad[2]  # absent is not bad


def test_other_iso_layouts_go_through_pandas():
    texts = ["2014-10-05 13:07:53Z", " 2014-10-05T13:07:53Z\n", "2014-10-05T13:07:53.1234567891Z"]
    buf, starts, ends = _buffer([t.encode() for t in texts])
    got, bad = parse_times(buf, starts, ends)
    assert not bad.any()
    base = datetime(2014, 10, 5, 13, 7, 53, tzinfo=UTC)
    assert got[0] == got[1] == pd.Timestamp(base).value
    assert got[2] == pd.Timestamp(base).value + 123456789


def test_offsets_are_applied():
    # RFC 3339 allows a lower-case "z" (pandas refuses it; a device writing it meant UTC)
    texts = ["2014-10-05T15:07:53+02:00", "2014-10-05T08:07:53-05:00", "2014-10-05T13:07:53z"]
    buf, starts, ends = _buffer([t.encode() for t in texts])
    got, _ = parse_times(buf, starts, ends)
    expected = datetime(2014, 10, 5, 13, 7, 53, tzinfo=timezone(timedelta(0)))
    assert set(got.tolist()) == {pd.Timestamp(expected).value}


@given(st.lists(st.floats(-1e5, 1e5, allow_nan=False, allow_subnormal=False), min_size=1))
def test_exact_binary_expansions_read_within_one_ulp(numbers):
    # Garmin Connect writes the exact decimal expansion of the binary value (30+ digits)
    from decimal import Decimal

    texts = [format(Decimal(x), "f").encode() for x in numbers]
    buf, starts, ends = _buffer(texts)
    got, bad = parse_decimals(buf, starts, ends)
    assert not bad.any()
    assert all(_close(v, x) for v, x in zip(got, numbers, strict=True))


@settings(max_examples=300)
@given(
    st.datetimes(datetime(1678, 1, 2), datetime(2261, 12, 30)),
    st.integers(-14 * 60, 14 * 60),
    st.sampled_from(["", ".5", ".123", ".123456", "Z"]),
)
def test_few_iso_times_are_the_nanoseconds_pandas_gives(moment, offset_min, suffix):
    """xml_safe.to_utc_ns (Python's ISO parser for lap starts) against pandas, to the ns."""
    from finishline.io.xml_safe import to_utc, to_utc_ns

    sign = "+" if offset_min >= 0 else "-"
    zone = "" if suffix == "Z" else f"{sign}{abs(offset_min) // 60:02d}:{abs(offset_min) % 60:02d}"
    text = moment.strftime("%Y-%m-%dT%H:%M:%S") + suffix + zone
    expected = pd.Timestamp(text)
    expected = expected.tz_localize("UTC") if expected.tzinfo is None else expected
    got = to_utc_ns([text, None, "not a time"])
    assert got.tolist() == [expected.value, NAT, NAT]
    assert to_utc([text]).asi8.tolist() == [expected.value]
