"""The points of a GPX/TCX document and the byte ranges of their fields, as arrays.

A *point* is an element named by one of the point tags (``trkpt``, ``rtept``, ``Trackpoint``)
that is not inside another point; points that end before the document does are *complete*.
Consecutive sibling points form a *run* (the points of one ``trkseg`` or ``Track``, in the
usual case): the document skeleton keeps one marker per run in their place
(:mod:`finishline.io.xml_document`), so the tree of the skeleton says which container each run
belongs to.

A field of a point is an element with a given local name anywhere inside the point (its text)
or an attribute of the point itself (``@lat``); with alternatives (``hr | heartrate``) the first
alternative present on a point wins, and within one alternative the first occurrence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from finishline.io.xml_attributes import attribute_ranges
from finishline.io.xml_compiled import compiled
from finishline.io.xml_names import Names
from finishline.io.xml_scan import Tags


@dataclass
class Points:
    """The complete top-level points of a document, in document order.

    Attributes
    ----------
    opening, closing
        Index (into the tags) of each point's opening and closing tag (equal for ``<x/>``).
    kind
        Index of each point's tag in the point tags asked for.
    run
        Run of each point; runs are numbered in document order.
    run_start
        Index of the first point of each run, followed by the number of points (so that run
        ``r`` is ``run_start[r]:run_start[r + 1]``).
    """

    opening: np.ndarray
    closing: np.ndarray
    kind: np.ndarray
    run: np.ndarray
    run_start: np.ndarray

    @property
    def n(self) -> int:
        """Number of points."""
        return len(self.opening)

    @property
    def n_runs(self) -> int:
        """Number of runs."""
        return len(self.run_start) - 1


def find_points(tags: Tags, names: Names, point_tags: Sequence[str]) -> Points:
    """The complete points that are not inside another point, grouped in runs."""
    scanner = compiled()
    if scanner is not None and names.ids.dtype == np.int8:
        kinds = tuple((names.wanted.index(tag), kind) for kind, tag in enumerate(point_tags))
        found = scanner.points(tags.lt, tags.gt, tags.close, names.ids, kinds, len(tags.buf))
        opening, closing, kind, run, run_start = (
            np.frombuffer(array, dtype=dtype)
            for array, dtype in zip(
                found, (np.int64, np.int32, np.int64, np.int64, np.int64), strict=True
            )
        )
        return Points(opening, closing, kind, run, run_start)
    is_point = names.of(*point_tags)
    rows = np.flatnonzero(is_point)
    kind = np.zeros(len(rows), dtype=np.int64)
    for index, tag in enumerate(point_tags):
        kind[names.ids[rows] == names.wanted.index(tag)] = index
    close = tags.close[rows]
    extent_end = np.where(close >= 0, tags.gt[np.maximum(close, 0)], len(tags.buf))
    inside_previous = np.zeros(len(rows), dtype=bool)
    if len(rows) > 1:
        reach = np.maximum.accumulate(extent_end)
        inside_previous[1:] = tags.lt[rows[1:]] < reach[:-1]
    keep = (close >= 0) & ~inside_previous
    rows, close, kind = rows[keep], close[keep], kind[keep]
    new_run = np.ones(len(rows), dtype=bool)
    if len(rows) > 1:
        new_run[1:] = (rows[1:] != close[:-1] + 1) | (kind[1:] != kind[:-1])
    run = np.cumsum(new_run) - 1
    run_start = np.r_[np.flatnonzero(new_run), len(rows)]
    return Points(rows, close, kind, run, run_start)


def field_ranges(
    tags: Tags, names: Names, points: Points, fields: Mapping[str, str]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Byte range of each field's value on each point (``start == end`` where absent).

    Parameters
    ----------
    fields
        Field -> local name(s) of the element holding it anywhere inside the point, or
        ``@name`` for an attribute of the point; alternatives joined by ``|``.
    """
    n = points.n
    specs = {name: [part.strip() for part in spec.split("|")] for name, spec in fields.items()}
    leaves = sorted({alt for alts in specs.values() for alt in alts if not alt.startswith("@")})
    found = _leaf_ranges(tags, names, points, leaves)
    attribute_names = sorted({a[1:] for alts in specs.values() for a in alts if a.startswith("@")})
    if attribute_names:
        attributes = attribute_ranges(tags, points.opening, attribute_names)
        found.update((f"@{name}", ranges) for name, ranges in attributes.items())
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, alternatives in specs.items():
        if len(alternatives) == 1 and not alternatives[0].startswith("@"):
            out[name] = found[alternatives[0]]  # (0, 0) where absent, as combined below
            continue
        starts = np.zeros(n, dtype=np.int64)
        ends = np.zeros(n, dtype=np.int64)
        filled = np.zeros(n, dtype=bool)
        for alt in alternatives:
            alt_starts, alt_ends = found[alt]
            take = ~filled & (alt_ends > alt_starts)
            starts[take], ends[take] = alt_starts[take], alt_ends[take]
            filled |= take
        out[name] = (starts, ends)
    return out


def _leaf_ranges(
    tags: Tags, names: Names, points: Points, leaves: Sequence[str]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per local name: the byte range of the text of the first element of that name with text
    inside each point (0, 0 where there is none)."""
    n = points.n
    scanner = compiled()
    if scanner is not None and leaves and names.ids.dtype == np.int8:
        slots = tuple(names.wanted.index(leaf) for leaf in leaves)
        found = scanner.fields(
            tags.lt,
            tags.gt,
            tags.closing,
            tags.empty,
            names.ids,
            np.ascontiguousarray(points.opening, dtype=np.int64),
            np.ascontiguousarray(points.closing, dtype=np.int64),
            slots,
        )
        if found is not None:  # None: overlapping tags of a malformed document, read below
            starts = np.frombuffer(found[0], dtype=np.int64).reshape(len(slots), n)
            ends = np.frombuffer(found[1], dtype=np.int64).reshape(len(slots), n)
            return {leaf: (starts[k], ends[k]) for k, leaf in enumerate(leaves)}
    candidates = np.flatnonzero(names.of(*leaves) & tags.opening) if leaves else np.empty(0, int)
    point_lt = tags.lt[points.opening]
    owner = np.searchsorted(point_lt, tags.lt[candidates], side="right") - 1
    within = owner >= 0
    within[within] &= candidates[within] < points.closing[owner[within]]
    candidates, owner = candidates[within], owner[within]
    value_start = tags.gt[candidates] + 1
    following = np.minimum(candidates + 1, len(tags.lt) - 1)
    value_end = np.where(tags.empty[candidates], value_start, tags.lt[following])
    has_text = value_end > value_start
    candidate_ids = names.ids[candidates]
    out = {}
    for leaf in leaves:
        starts = np.zeros(n, dtype=np.int64)
        ends = np.zeros(n, dtype=np.int64)
        hits = np.flatnonzero((candidate_ids == names.wanted.index(leaf)) & has_text)
        if len(hits):
            who = owner[hits]
            first = np.r_[True, who[1:] != who[:-1]]
            hits, who = hits[first], who[first]
            starts[who] = value_start[hits]
            ends[who] = value_end[hits]
        out[leaf] = (starts, ends)
    return out
