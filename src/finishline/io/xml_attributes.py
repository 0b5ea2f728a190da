"""Attribute values of start tags (``<trkpt lat="45.1" lon="7.2">``), vectorised with numpy.

The usual layout — every value double-quoted, ``name="value"`` — is read from the positions
of the quotes: in a tag without single quotes they pair up, one pair per value, and the bytes
just before an opening quote name the attribute (:func:`_quoted_attributes`). Any other layout
(single quotes, spaces around ``=``, a ``>`` inside a value) is read from a byte table of the
whole tag, with quotes honoured (:func:`_attributes`); tags longer than
:data:`MAX_TAG_BYTES` one by one with a regular expression.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from finishline.io.xml_scan import Tags, byte_positions
from finishline.io.xml_values import byte_rows

_ATTRIBUTE = re.compile(rb"""\s([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")

#: Start tags longer than this (bytes) have their attributes read one by one.
MAX_TAG_BYTES = 512

#: Size of one byte table of start tags (bytes): a dozen of them are alive at once.
_TABLE_BYTES = 1 << 22


def attribute_ranges(
    tags: Tags, rows: np.ndarray, attributes: Sequence[str]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Byte range of the value of each of ``attributes`` (unprefixed) in the opening tags ``rows``.

    Returns attribute -> ``(starts, ends)``; both are 0 where a tag has no such attribute.
    """
    n = len(rows)
    out = {a: (np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)) for a in attributes}
    if not n:
        return out
    span = int(tags.lt[rows].min()), int(tags.gt[rows].max()) + 1
    # single quotes are rare: a C search over the span says when there are none at all
    has_single = tags.text.find(b"'", *span) >= 0
    singles = byte_positions(tags.buf, 39, *span) if has_single else np.empty(0, dtype=np.int64)
    quotes = byte_positions(tags.buf, 34, *span), singles
    for start in range(0, n, 1 << 18):
        part = _quoted_attributes(tags, rows[start : start + (1 << 18)], attributes, quotes)
        for attribute, (starts, ends) in part.items():
            out[attribute][0][start : start + len(starts)] = starts
            out[attribute][1][start : start + len(ends)] = ends
    missing = np.zeros(n, dtype=bool)
    for starts, ends in out.values():
        missing |= ends <= starts
    rest = np.flatnonzero(missing)  # any other layout: a byte table of the whole tag
    if not len(rest):
        return out
    widest = int((tags.gt[rows[rest]] - tags.lt[rows[rest]]).max()) + 1
    step = max(1024, _TABLE_BYTES // min(widest, MAX_TAG_BYTES))  # a few MB per byte table
    for start in range(0, len(rest), step):
        where = rest[start : start + step]
        for attribute, (starts, ends) in _attributes(tags, rows[where], attributes).items():
            out[attribute][0][where] = starts
            out[attribute][1][where] = ends
    return out


#: Double-quoted attributes per tag looked at by :func:`_quoted_attributes`.
_MAX_QUOTED = 6


def _quoted_attributes(
    tags: Tags,
    rows: np.ndarray,
    attributes: Sequence[str],
    quotes: tuple[np.ndarray, np.ndarray],
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Attributes written ``name="value"`` in tags without single quotes (the usual layout).

    In such a tag the double quotes pair up, one pair per value, and the bytes just before an
    opening quote are ``<space>name=``. Values not found this way are left empty (0, 0).
    ``quotes``: the offsets of ``"`` and of ``'`` over the span of the tags.
    """
    n = len(rows)
    out = {a: (np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)) for a in attributes}
    buf = tags.buf
    lt, gt = tags.lt[rows], tags.gt[rows]
    quotes, singles = quotes  # offsets of '"' and of "'" over the tags' span
    first, stop = np.searchsorted(quotes, lt), np.searchsorted(quotes, gt)
    count = stop - first
    plain = (count % 2 == 0) & (np.searchsorted(singles, gt) == np.searchsorted(singles, lt))
    if len(buf) < 16 or not plain.any():
        return out
    view = np.ndarray(shape=(len(buf) - 7,), dtype="<u8", buffer=buf, strides=(1,))
    patterns = []
    for attribute in attributes:
        name = attribute.encode("ascii") + b"="
        if len(name) > 7:
            continue
        shift = np.uint64(8 * (8 - len(name)))
        patterns.append((attribute, int.from_bytes(name, "little"), shift, len(name)))
    for pair in range(_MAX_QUOTED):
        at = np.flatnonzero(plain & (count > 2 * pair))
        if not len(at):
            break
        opening = quotes[first[at] + 2 * pair].astype(np.int64)
        closing = quotes[first[at] + 2 * pair + 1].astype(np.int64)
        before = view[np.maximum(opening - 8, 0)]  # the 8 bytes before the opening quote
        for attribute, pattern, shift, size in patterns:
            hit = (before >> shift) == np.uint64(pattern)
            hit &= buf[np.maximum(opening - size - 1, 0)] <= 32
            hit &= opening >= 8
            starts, ends = out[attribute]
            take = at[hit]
            starts[take] = opening[hit] + 1
            ends[take] = closing[hit]
    return out


def _attributes(
    tags: Tags, rows: np.ndarray, attributes: Sequence[str]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    n = len(rows)
    lt, gt = tags.lt[rows].astype(np.int64), tags.gt[rows].astype(np.int64)
    lengths = gt - lt + 1
    small = lengths <= MAX_TAG_BYTES
    width = int(lengths[small].max()) if small.any() else 0
    # One row per byte position (width x n): reductions run along contiguous rows.
    table = np.ascontiguousarray(byte_rows(tags.buf, np.where(small, lt, 0), width).T)
    column = np.arange(width, dtype=np.int32)[:, None]
    inside = column < np.where(small, lengths, 0)
    double = (table == 34) & inside
    single = (table == 39) & inside
    quotes = double | single
    mixed = double.any(axis=0) & single.any(axis=0)
    quoted = (np.cumsum(quotes, axis=0, dtype=np.uint8) & 1).astype(bool)  # inside a value
    before = (table <= 32) & ~quoted  # whitespace outside values: where a name may start
    out = {}
    for attribute in attributes:
        name = attribute.encode("ascii")
        starts = np.zeros(n, dtype=np.int64)
        ends = np.zeros(n, dtype=np.int64)
        m = len(name)
        span = width - m - 1
        if span > 0:
            hit = before[:span].copy()
            for k, byte in enumerate(name):
                hit &= table[1 + k : 1 + k + span] == byte
            after = table[1 + m : 1 + m + span]
            hit &= (after <= 32) | (after == 61)
            found = hit.any(axis=0) & small & ~mixed
            at = np.argmax(hit, axis=0) + 1 + m
            opening = quotes & (column >= at)
            quote_at = np.argmax(opening, axis=0)
            quote = table[quote_at, np.arange(n)]
            closing = (table == quote) & (column > quote_at) & inside
            close_at = np.argmax(closing, axis=0)
            found &= opening.any(axis=0) & closing.any(axis=0)
            starts[found] = lt[found] + quote_at[found] + 1
            ends[found] = lt[found] + close_at[found]
        for i in np.flatnonzero(~small | mixed):
            tag = tags.text[int(lt[i]) : int(gt[i]) + 1]
            for match in _ATTRIBUTE.finditer(tag):
                if match.group(1) == name:
                    group = 2 if match.group(2) is not None else 3
                    starts[i] = lt[i] + match.start(group)
                    ends[i] = lt[i] + match.end(group)
                    break
        out[attribute] = (starts, ends)
    return out
