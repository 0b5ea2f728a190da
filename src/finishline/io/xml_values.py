"""Text of XML values to numbers and UTC times, vectorised over byte ranges of a document.

The GPX and TCX readers locate each value of a field as a byte range ``[start, end)`` of the
document (:mod:`finishline.io.xml_points`); this module converts all of them at once, without a
Python object per value:

- :func:`parse_decimals`: XML Schema decimals (``-93.2631``, ``+5``, ``.5``, ``259.``) are read
  by integer arithmetic on a matrix of their bytes; anything else (exponents, ``NaN``, entity
  references, very long strings) goes to Python's ``float`` one by one. A value that is not a
  finite number becomes NaN and is counted as *bad*.
- :func:`parse_times`: ISO 8601 date-times in the layout devices write
  (``2014-10-05T13:07:53.000Z``, ``...+02:00``, naive = UTC) are read by arithmetic on their
  digits; any other layout goes to :func:`pandas.to_datetime` (``format="ISO8601"``) one by one.
  A time that does not parse, or lies outside what ``datetime64[ns]`` holds (years 1, 9999),
  becomes NaT and is counted as *bad*.

Accuracy: a decimal whose digits form an integer below 2**53 (15-16 significant digits) is
correctly rounded, as Python's ``float`` does (one division by an exact power of ten, Clinger's
fast path); longer mantissas may differ from ``float`` by one unit in the last place (a relative
1e-16, far below any sensor's resolution).

References
----------
W. D. Clinger, "How to read floating point numbers accurately", PLDI 1990.
H. Hinnant, "chrono-Compatible Low-Level Date Algorithms" (``days_from_civil``), 2013.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import as_strided

from finishline.io.xml_compiled import compiled

#: Values longer than this (bytes) are converted one by one.
MAX_VALUE_BYTES = 40

#: Times as int64 nanoseconds since the epoch; NaT is the smallest int64, as in numpy/pandas.
NAT = np.iinfo(np.int64).min

#: The range of times kept (seconds since the epoch): what ``datetime64[ns]`` holds, to whole
#: years (1678-01-01 to 2262-01-01 exclusive). Outside it a time cannot be an activity's.
_MIN_S = int(pd.Timestamp("1678-01-01").value // 10**9)
_MAX_S = int(pd.Timestamp("2262-01-01").value // 10**9)

_P10_FLOAT = 10.0 ** np.arange(23)
_MAX_EXACT = 2**53
_WS = (32, 9, 10, 13)


def byte_rows(buf: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """The ``width`` bytes of ``buf`` from each of ``starts``, one row each (zeros past the end).

    Parameters
    ----------
    buf
        The document as a uint8 array.
    starts
        Offsets into ``buf`` (int array).
    width
        Bytes per row.
    """
    n = len(starts)
    out = np.zeros((n, width), dtype=np.uint8)
    if not n or width <= 0:
        return out
    size = len(buf)
    if size >= width:
        windows = as_strided(buf, shape=(size - width + 1, width), strides=(1, 1), writeable=False)
        inside = starts <= size - width
        if inside.all():
            return windows[starts]
        out[inside] = windows[starts[inside]]
    for row in np.flatnonzero(starts > size - width):
        tail = buf[int(starts[row]) : size]
        out[row, : len(tail)] = tail
    return out


def trim(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Byte ranges without their leading and trailing whitespace (empty ranges stay empty).

    In well-formed XML the only bytes below 0x21 in text are space, tab, CR and LF.
    """
    starts = starts.astype(np.int64)
    ends = ends.astype(np.int64)
    last = max(len(buf) - 1, 0)
    while len(buf):
        step = (starts < ends) & (buf.take(np.minimum(starts, last)) <= 32)
        if not step.any():
            break
        starts += step
    while len(buf):
        step = (starts < ends) & (buf.take(np.maximum(ends - 1, 0)) <= 32)
        if not step.any():
            break
        ends -= step
    return starts, ends


def byte_columns(buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The values as a ``(width, n)`` array: ``out[j, i]`` is byte ``j`` of value ``i`` (0 past its end).

    One row per byte position, so that reductions over positions read contiguous memory.
    """
    width = int(lengths.max()) if len(lengths) else 0
    columns = np.ascontiguousarray(byte_rows(buf, starts, width).T)
    columns *= np.arange(width, dtype=np.int32)[:, None] < lengths
    return columns


def _decode(buf: np.ndarray, start: int, end: int) -> str:
    """One value as text, with XML character and entity references replaced."""
    text = buf[start:end].tobytes().decode("utf-8", errors="replace")
    return html.unescape(text) if "&" in text else text


def _fast_decimals(columns: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Magnitudes of unsigned decimals given as byte columns, and which ones were plain decimals.

    A plain decimal is digits with at most one dot and at most 18 digits before it; the others
    are left to the caller. Digits beyond the 18th significant one (the exact decimal expansion
    of a binary float, ``35.50809354521334171295166015625``) change the value by less than
    1e-17 of it and are dropped, so the significant digits form an exact int64.
    """
    width, n = columns.shape
    columns -= np.uint8(48)  # digits become 0-9; '.' wraps to 254, padding to 208
    is_digit = columns < 10
    is_dot = columns == 254
    n_digits = np.count_nonzero(is_digit, axis=0)
    n_dots = np.count_nonzero(is_dot, axis=0)
    # every byte of the value a digit or a dot (the padding past its end is neither)
    well_formed = n_digits + n_dots == lengths
    dot_at = np.where(n_dots == 1, np.argmax(is_dot, axis=0), lengths)
    fraction_digits = lengths - np.minimum(dot_at + 1, lengths)
    fast = well_formed & (n_dots <= 1) & (n_digits >= 1) & (n_digits - fraction_digits <= 18)
    if (n_digits > 18).any():
        significant = np.logical_or.accumulate(is_digit & (columns > 0), axis=0)
        rank = np.cumsum(is_digit & significant, axis=0, dtype=np.uint8)
        is_digit &= ~significant | (rank <= 18)
        after_dot = np.arange(width, dtype=np.int32)[:, None] > dot_at
        fraction_digits = (is_digit & after_dot).sum(axis=0)
    fast &= fraction_digits < len(_P10_FLOAT)
    # Horner's rule over byte positions; a dot, padding or dropped digit multiplies by 1, adds 0.
    steps = np.where(is_digit, np.uint8(10), np.uint8(1))
    columns *= is_digit
    mantissa = np.zeros(n, dtype=np.int64)
    for j in range(width):
        mantissa *= steps[j]
        mantissa += columns[j]
    return mantissa / _P10_FLOAT[np.where(fast, fraction_digits, 0)], fast


#: Length bins (bytes) of the values parsed together.
_WIDTH_BINS = ((0, 4), (4, 10), (10, MAX_VALUE_BYTES))

#: Values converted per numpy pass (bounds the byte matrices of a large document).
CHUNK_VALUES = 1 << 18


def _chunked(convert, buf: np.ndarray, starts: np.ndarray, ends: np.ndarray):
    """``convert`` applied to consecutive chunks of the ranges, results concatenated."""
    if len(starts) <= CHUNK_VALUES:
        return convert(buf, starts, ends)
    parts = [
        convert(buf, starts[i : i + CHUNK_VALUES], ends[i : i + CHUNK_VALUES])
        for i in range(0, len(starts), CHUNK_VALUES)
    ]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def parse_decimals(
    buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, rows: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Decimal numbers written in ``buf[starts[i]:ends[i]]`` as float64.

    Parameters
    ----------
    buf
        The document as a uint8 array.
    starts, ends
        Byte range of each value; an empty (or blank) range means absent.
    rows
        When the ranges are several fields of ``rows`` values each (the fields of the points,
        one after the other): the compiled scanner reads them point by point, near one
        another in the document. The result is the same.

    Returns
    -------
    values, bad
        float64 array (NaN where absent or not a finite number) and a boolean array marking
        the values that were present but not a finite number.
    """
    scanner = compiled()
    if scanner is None:
        return _chunked(_decimals, buf, starts, ends)
    # The compiled scanner converts the plain decimals; the rest as below, one by one.
    converted, status = scanner.decimals(buf, _int64(starts), _int64(ends), rows)
    values = np.frombuffer(converted, dtype=np.float64)
    bad = np.zeros(len(values), dtype=bool)
    slow = np.flatnonzero(np.frombuffer(status, dtype=np.int8) == _SLOW)
    if len(slow):
        _slow_decimals(buf, *trim(buf, starts[slow], ends[slow]), slow, values, bad)
    return values, bad


#: Status of a value given by the compiled scanner: left to the caller.
_SLOW = 2


def _int64(positions: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(positions, dtype=np.int64)


def _slow_decimals(
    buf: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    rows: np.ndarray,
    values: np.ndarray,
    bad: np.ndarray,
) -> None:
    """Python's ``float`` for the values ``rows`` (trimmed ranges), into ``values``/``bad``."""
    for row, start, end in zip(rows.tolist(), starts.tolist(), ends.tolist(), strict=True):
        try:
            number = float(_decode(buf, start, end))
        except ValueError:
            number = np.nan
        if np.isfinite(number):
            values[row] = number
        else:
            values[row] = np.nan
            bad[row] = True


def _decimals(
    buf: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    n = len(starts)
    values = np.full(n, np.nan)
    bad = np.zeros(n, dtype=bool)
    if not n:
        return values, bad
    starts, ends = trim(buf, starts, ends)
    present = starts < ends
    first = buf.take(np.minimum(starts, len(buf) - 1))
    negative = present & (first == 45)
    signed = negative | (present & (first == 43))
    lengths = (ends - starts - signed).astype(np.int32)
    short = present & (lengths <= MAX_VALUE_BYTES)
    lengths *= short
    fast = np.zeros(n, dtype=bool)
    # Short values (heart rate, cadence) in their own narrow matrix: the work is per byte.
    for low, high in _WIDTH_BINS:
        rows = np.flatnonzero((lengths > low) & (lengths <= high))
        if not len(rows):
            continue
        width = lengths[rows]
        magnitude, ok = _fast_decimals(byte_columns(buf, starts[rows] + signed[rows], width), width)
        values[rows] = np.where(negative[rows], -magnitude, magnitude)
        fast[rows] = ok
    values[~fast] = np.nan
    slow = np.flatnonzero(present & ~fast)
    _slow_decimals(buf, starts[slow], ends[slow], slow, values, bad)
    return values, bad


_TIME_DIGITS = (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18)
_TIME_SEPARATORS = ((4, 45), (7, 45), (10, 84), (13, 58), (16, 58))
_DAYS_IN_MONTH = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (Hinnant's ``days_from_civil``)."""
    year = year - (month <= 2)
    era = np.floor_divide(year, 400)
    year_of_era = year - era * 400
    day_of_year = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _number(columns: np.ndarray, positions: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(columns.shape[1], dtype=np.int64)
    for j in positions:
        out *= 10
        out += columns[j]
    return out


def parse_times(
    buf: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """ISO 8601 date-times written in ``buf[starts[i]:ends[i]]`` as UTC nanoseconds.

    ``Z`` and numeric offsets (``+02:00``, ``+0200``, ``+02``) are applied; a time without
    offset is taken as UTC.

    Returns
    -------
    nanoseconds, bad
        int64 nanoseconds since the epoch (:data:`NAT` where absent or unreadable) and a
        boolean array marking the times that were present but unreadable or out of range.
    """
    scanner = compiled()
    if scanner is None:
        return _chunked(_times, buf, starts, ends)
    # The compiled scanner reads the layout devices write; pandas the others, as below.
    converted, status = scanner.times(buf, _int64(starts), _int64(ends), _MIN_S, _MAX_S)
    out = np.frombuffer(converted, dtype=np.int64)
    status = np.frombuffer(status, dtype=np.int8)
    bad = (status == 1) & (out == NAT)
    slow = np.flatnonzero(status == _SLOW)
    if len(slow):
        _slow_times(buf, *trim(buf, starts[slow], ends[slow]), slow, out, bad)
    return out, bad


def _times(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(starts)
    out = np.full(n, NAT, dtype=np.int64)
    bad = np.zeros(n, dtype=bool)
    if not n:
        return out, bad
    starts, ends = trim(buf, starts, ends)
    present = starts < ends
    lengths = (ends - starts).astype(np.int32)
    fast = present & (lengths >= 19) & (lengths <= MAX_VALUE_BYTES)
    if fast.any():
        fast &= _fast_times(buf, starts, np.where(fast, lengths, 0), out)
        bad |= fast & (out == NAT)
    slow = np.flatnonzero(present & ~fast)
    if len(slow):
        _slow_times(buf, starts[slow], ends[slow], slow, out, bad)
    return out, bad


def _slow_times(
    buf: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    rows: np.ndarray,
    out: np.ndarray,
    bad: np.ndarray,
) -> None:
    """pandas for the times ``rows`` (trimmed ranges) in other layouts, into ``out``/``bad``."""
    texts = [
        _decode(buf, start, end).strip()
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True)
    ]
    parsed = _pandas_times(texts)
    out[rows] = parsed
    bad[rows] = parsed == NAT


def _fast_times(
    buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray, out: np.ndarray
) -> np.ndarray:
    """Times in the layout ``YYYY-MM-DDTHH:MM:SS[.f{1,9}][Z|+HH:MM|+HHMM|+HH]`` into ``out``.

    Returns the mask of the values in that layout (written to ``out``, NAT when the time is
    out of range); the others are left to pandas.
    """
    n = len(starts)
    columns = byte_columns(buf, starts, lengths)
    columns = np.concatenate([columns, np.zeros((8, n), np.uint8)])
    width = columns.shape[0]
    digits = columns - np.uint8(48)
    is_digit = digits < 10
    ok = lengths >= 19
    ok &= is_digit[list(_TIME_DIGITS)].all(axis=0)
    for j, byte in _TIME_SEPARATORS:
        ok &= columns[j] == byte
    # Fraction: '.' at 19, then digits; the zone designator starts at the first non-digit.
    has_fraction = columns[19] == 46
    after = ~is_digit[20:]
    fraction_end = 20 + np.argmax(after, axis=0)
    zone_at = np.where(has_fraction, fraction_end, 19)
    n_fraction = np.where(has_fraction, fraction_end - 20, 0)
    ok &= n_fraction <= 9
    ok &= ~has_fraction | (n_fraction >= 1)
    fraction = np.zeros(n, dtype=np.int64)
    for k in range(9):
        fraction *= 10
        fraction += np.where(k < n_fraction, digits[min(20 + k, width - 1)], 0)

    zone_len = lengths - zone_at
    pick = np.arange(n)
    zone = [columns[np.minimum(zone_at + k, width - 1), pick] for k in range(6)]
    zone_digit = [(z - np.uint8(48)) < 10 for z in zone]
    utc = (zone_len == 0) | ((zone_len == 1) & ((zone[0] == 90) | (zone[0] == 122)))
    signed = (zone[0] == 43) | (zone[0] == 45)
    hours = (zone[1].astype(np.int64) - 48) * 10 + zone[2] - 48
    colon = zone[3] == 58
    minute_hi = np.where(colon, zone[4], zone[3]).astype(np.int64) - 48
    minute_lo = np.where(colon, zone[5], zone[4]).astype(np.int64) - 48
    minutes = np.where(zone_len == 3, 0, minute_hi * 10 + minute_lo)
    offset_ok = signed & zone_digit[1] & zone_digit[2]
    offset_ok &= (
        (zone_len == 3)
        | ((zone_len == 5) & zone_digit[3] & zone_digit[4])
        | ((zone_len == 6) & colon & zone_digit[4] & zone_digit[5])
    )
    offset_ok &= (hours <= 23) & (minutes <= 59)
    ok &= utc | offset_ok
    offset_s = np.where(
        offset_ok, np.where(zone[0] == 45, -1, 1) * (hours * 3600 + minutes * 60), 0
    )

    year = _number(digits, (0, 1, 2, 3))
    month = _number(digits, (5, 6))
    day = _number(digits, (8, 9))
    hour = _number(digits, (11, 12))
    minute = _number(digits, (14, 15))
    second = _number(digits, (17, 18))
    month_ok = (month >= 1) & (month <= 12)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] - ((month == 2) & ~leap)
    ok &= month_ok & (day >= 1) & (day <= month_days)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59)
    seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    seconds -= offset_s
    keep = ok & (seconds >= _MIN_S) & (seconds < _MAX_S)
    out[keep] = seconds[keep] * 1_000_000_000 + fraction[keep]
    return ok


def _pandas_times(texts: list[str]) -> np.ndarray:
    """pandas' ISO 8601 parser for the layouts the fast path does not take; NAT if unreadable."""
    parsed = pd.to_datetime(
        pd.Series(texts, dtype=object), utc=True, format="ISO8601", errors="coerce"
    )
    index = pd.DatetimeIndex(parsed)
    low = pd.Timestamp(_MIN_S, unit="s", tz="UTC")
    high = pd.Timestamp(_MAX_S, unit="s", tz="UTC")
    valid = ~index.isna() & (index >= low) & (index < high)
    out = np.full(len(texts), NAT, dtype=np.int64)
    if valid.any():
        out[valid] = index[valid].as_unit("ns").asi8
    return out
