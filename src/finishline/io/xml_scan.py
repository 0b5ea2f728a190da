"""A fast, checked scanner for the track points of well-formed GPX and TCX documents.

Parsing a whole track into an lxml tree costs more than everything else a reader does (about
10 ms for a 1.7 MB TCX). The track points, though, are a flat, regular structure. This module
reads them from a table of the document's tags, built with numpy from the positions of ``<``
and ``>`` in the bytes:

1. every tag's kind (open, close, self-closing) and name (prefix and local name) is read from a
   fixed-width window after its ``<``; tags are matched open-to-close by depth (a stable sort on
   the depth), which checks that the document is balanced and that every closing tag names the
   element it closes;
2. the *containers* of points (GPX ``trkseg``, TCX ``Track``) are cut out of the document; the
   rest (the *skeleton*: metadata, laps, names, a few kB) is parsed by the safe lxml parser of
   :mod:`finishline.io.xml_safe`, so everything outside the points reads exactly as before;
3. each field of each point is the text after the field's opening tag, mapped to its point and
   container with ``np.searchsorted``; the column rules are those of
   :func:`~finishline.io.xml_safe.point_table` (a field present once on every point of a
   container is taken in order; otherwise each element goes to the point it follows, the first
   and best-ranked alternative winning), so both paths give the same table.

The scanner is used only when cheap checks pass, and returns ``None`` otherwise (the caller then
parses the whole document with lxml): the bytes are ASCII or valid UTF-8 with no control
characters; there are no comments, CDATA sections, DOCTYPE or processing instructions (bar the
XML declaration); no ``&`` (entities) and no stray ``>`` anywhere; the tags balance and nest; the
root element closes at the end (a truncated file goes to lxml, which recovers it); every
namespace prefix used in a container is declared; containers and points do not nest. What it
does not check inside containers is the syntax of attributes other than a GPX point's
``lat``/``lon``, and the characters allowed in names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lxml import etree

from finishline.errors import FileFormatError
from finishline.io.xml_safe import (
    PointTable,
    check_prolog,
    parse_xml,
    parse_xml_prefix,
    point_table,
    to_float,
    to_utc,
)

#: Bytes of a tag read to find its name (prefix, colon and local name).
NAME_WINDOW = 32
#: Longest local name the scanner can match (``LongitudeDegrees``).
MAX_LOCAL_NAME = 16

_LT, _GT, _SLASH, _COLON, _BANG, _QUESTION, _AMP = (ord(c) for c in "<>/:!?&")
_OPEN, _CLOSE, _EMPTY = 0, 1, 2
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_ASCII_COMPATIBLE = {"utf-8", "utf8", "us-ascii", "ascii"}
#: Row ``k``: 0xFF in the first ``k`` bytes, 0 after (keeps the first ``k`` bytes of a name).
_PREFIX_MASKS = np.tril(np.full((NAME_WINDOW + 1, NAME_WINDOW), 0xFF, dtype=np.uint8), k=-1)
_POINT_ATTRIBUTE = re.compile(rb"""l(at|on)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


#: The engines of :func:`open_document`.
ENGINES = ("lxml", "scan")


@dataclass
class XmlDocument:
    """A GPX/TCX document opened for reading, by either engine.

    Attributes
    ----------
    root
        The root element (for the scanner, of the skeleton: containers are empty).
    truncated
        The document ended early; only its complete points were read.
    scanned
        Whether the fast scanner read the points.
    """

    root: etree._Element
    truncated: bool
    scanned: bool
    _points: Callable[[Sequence[etree._Element], str], PointTable | ScannedTable]

    def points(
        self, containers: Sequence[etree._Element], point_tag: str
    ) -> PointTable | ScannedTable:
        """The table of the points named ``point_tag`` under ``containers``, in order."""
        return self._points(containers, point_tag)


def open_document(
    data: bytes,
    source: str | None,
    container: str,
    point_tag: str,
    fields: Mapping[str, str],
    engine: str = "lxml",
) -> XmlDocument:
    """Open a GPX/TCX document with lxml, or with the scanner where it can read it exactly.

    Parameters
    ----------
    data, source
        The document and its file name (for messages).
    container, point_tag, fields
        As for :func:`scan_document`.
    engine
        ``"lxml"`` (the full parse, the default and the reference) or ``"scan"`` (the scanner,
        falling back to the full parse). The scanner gives the same Activity but was measured no
        faster than lxml on a loaded 2-core machine, so it is opt-in.

    Raises
    ------
    UnsafeFileError
        The DOCTYPE declares entities (checked before either engine reads anything).
    FileFormatError
        Malformed XML that is not a truncated document.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    check_prolog(data, source)
    if engine == "scan":
        scanned = scan_document(data, source, container, point_tag, fields)
        if scanned is not None:
            doc = scanned

            def from_scan(
                containers: Sequence[etree._Element], tag: str
            ) -> PointTable | ScannedTable:
                if tag == point_tag and all(doc.holds(c) for c in containers):
                    return doc.table(containers)
                return point_table(containers, tag, fields)

            return XmlDocument(scanned.root, truncated=False, scanned=True, _points=from_scan)
    root, truncated = parse_xml_prefix(data, source, record_tag=point_tag)

    def from_tree(containers: Sequence[etree._Element], tag: str) -> PointTable:
        return point_table(containers, tag, fields)

    return XmlDocument(root, truncated=truncated, scanned=False, _points=from_tree)


@dataclass
class ScannedDocument:
    """The result of a successful scan: the skeleton's root and the points of every container.

    Attributes
    ----------
    root
        The document without the contents of its containers, parsed by the safe lxml parser.
    containers
        The container elements of ``root``, in document order; container ``k`` of the skeleton is
        span ``k`` of the scan.
    """

    root: etree._Element
    containers: list[etree._Element]
    _scan: _TagTable
    _point_tag: str
    _fields: dict[str, list[str]]

    def holds(self, element: etree._Element) -> bool:
        """Whether ``element`` is one of the scanned containers."""
        return id(element) in self._index

    def table(self, containers: Sequence[etree._Element]) -> ScannedTable:
        """The points under ``containers`` (elements of :attr:`containers`), in that order."""
        chosen = np.array([self._index[id(e)] for e in containers], dtype=np.int64)
        return self._scan.points(chosen, self._point_tag, self._fields)

    @property
    def _index(self) -> dict[int, int]:
        return {id(element): k for k, element in enumerate(self.containers)}


@dataclass
class ScannedTable:
    """Points of some containers, as byte ranges into the document; same API as ``PointTable``.

    Attributes
    ----------
    n
        Number of points.
    group
        Index (among the requested containers) of the container of each point.
    spans
        Field -> (start, end) byte offsets of each point's text; start ``-1`` where the point has
        no text for the field (lxml's ``None``).
    """

    n: int
    group: np.ndarray
    spans: dict[str, tuple[np.ndarray, np.ndarray]]
    _data: bytes
    _padded: np.ndarray

    def _texts(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Fixed-width bytes of each point's text (``S`` array) and where a text is present."""
        start, end = self.spans[name]
        present = start >= 0
        length = np.where(present, end - start, 0)
        width = int(length.max()) if len(length) else 0
        if width == 0:
            return np.zeros(len(start), dtype="S1"), present
        window = np.lib.stride_tricks.sliding_window_view(self._padded, width)
        rows = window[np.where(present, start, 0)]
        rows = np.where(np.arange(width) < length[:, None], rows, 0).astype(np.uint8)
        return rows.view(f"S{width}").ravel(), present

    def _strings(self, name: str) -> list[str | None]:
        """Each point's text as ``str`` (``None`` where absent), as lxml gives it."""
        start, end = self.spans[name]
        return [
            self._data[a:b].decode("utf-8") if a >= 0 else None
            for a, b in zip(start.tolist(), end.tolist(), strict=True)
        ]

    def floats(self, name: str) -> np.ndarray:
        """Field ``name`` as float64, NaN where a point lacks it or it does not parse."""
        texts, present = self._texts(name)
        out = np.full(len(texts), np.nan)
        if not present.any():
            return out
        try:
            out[present] = texts[present].astype(np.float64)
        except ValueError:  # something unusual: the reference conversion, value by value
            return to_float(self._strings(name))
        return out

    def times(self, name: str) -> pd.DatetimeIndex:
        """Field ``name`` as UTC timestamps (ns), NaT where a point lacks it."""
        texts, present = self._texts(name)
        values = texts.astype("U").astype(object)
        values[~present] = None
        return to_utc(values)

    def first(self, name: str) -> str | None:
        """The first non-empty text of field ``name``, or ``None``."""
        start, end = self.spans[name]
        for a, b in zip(start.tolist(), end.tolist(), strict=True):
            if a >= 0:
                text = self._data[a:b].decode("utf-8").strip()
                if text:
                    return text
        return None


def scan_document(
    data: bytes,
    source: str | None,
    container: str,
    point_tag: str,
    fields: Mapping[str, str],
) -> ScannedDocument | None:
    """Scan a GPX/TCX document; ``None`` when it is not one the scanner reads exactly.

    Parameters
    ----------
    data
        The document.
    source
        File name for error messages (the skeleton is parsed with it).
    container, point_tag
        Local names of the elements holding points (``"Track"``) and of a point
        (``"Trackpoint"``).
    fields
        As for :func:`~finishline.io.xml_safe.point_table`.

    Raises
    ------
    UnsafeFileError, FileFormatError
        From parsing the skeleton (the same checks as a full parse).
    """
    specs = {name: [part.strip() for part in spec.split("|")] for name, spec in fields.items()}
    for alternatives in specs.values():
        attributes = [alt.startswith("@") for alt in alternatives]
        if any(attributes) and (len(alternatives) > 1):
            raise ValueError("an attribute field must have a single alternative")
    names = {container, point_tag} | {
        alt for alts in specs.values() for alt in alts if not alt.startswith("@")
    }
    if max(len(n) for n in names) > MAX_LOCAL_NAME:
        raise ValueError(f"local names longer than {MAX_LOCAL_NAME} bytes cannot be scanned")
    table = _TagTable.build(data, names)
    if table is None:
        return None
    spans = table.spans_of(container)
    if spans is None:
        return None
    for o, c in zip(spans[0].tolist(), spans[1].tolist(), strict=True):
        if data.find(b"&", int(table.gt[o]), int(table.lt[c])) >= 0:
            return None  # entity or character references: lxml decodes them
    if not table.prefixes_declared(spans):
        return None
    try:
        root = parse_xml(table.skeleton(spans), source)
    except FileFormatError:
        return None  # the full parse reports it, with the line in the real document
    elements = [e for e in root.iter(f"{{*}}{container}")]
    if len(elements) != len(spans[0]):
        return None  # e.g. a container element in a namespace lxml sees differently
    if not table.index_points(spans, point_tag, specs):
        return None
    return ScannedDocument(root, elements, table, point_tag, specs)


class _TagTable:
    """Every tag of a document: position, kind, name, depth and matching tag."""

    def __init__(self, data: bytes, padded: np.ndarray, lt: np.ndarray, gt: np.ndarray) -> None:
        self.data = data
        self.padded = padded
        self.lt = lt
        self.gt = gt
        self.kind = np.empty(0, dtype=np.int8)
        self.local: dict[str, np.ndarray] = {}
        self.mate = np.empty(0, dtype=np.int64)
        self.prefix_rows = np.empty(0, dtype=np.int64)
        self.prefix_len = np.empty(0, dtype=np.int64)
        self.window = np.lib.stride_tricks.sliding_window_view(padded, NAME_WINDOW)
        self.point_open = np.empty(0, dtype=np.int64)
        self.point_container = np.empty(0, dtype=np.int64)
        self.attributes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.elements: list[tuple[int, np.ndarray]] = []  # (alternative rank, tag indices)
        self.span_first_point = np.empty(0, dtype=np.int64)
        self.span_points = np.empty(0, dtype=np.int64)
        self.field_columns: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    # -- building and checking ---------------------------------------------------------------

    @classmethod
    def build(cls, data: bytes, names: set[str]) -> _TagTable | None:
        """The tag table of ``data``, or ``None`` when a cheap check fails."""
        if not _plain_encoding(data):
            return None
        arr = np.frombuffer(data, dtype=np.uint8)
        low = arr[np.flatnonzero(arr < 32)]
        if ((low != 10) & (low != 13) & (low != 9)).any():
            return None  # control characters: not XML
        lt = np.flatnonzero(arr == _LT)
        gt = np.flatnonzero(arr == _GT)
        if not len(lt) or len(lt) != len(gt):
            return None
        if not (lt < gt).all() or not (gt[:-1] < lt[1:]).all():
            return None
        if data[gt[-1] + 1 :].strip():
            return None  # text after the last tag (a truncated file ends inside a tag or text)
        padded = np.concatenate([arr, np.zeros(NAME_WINDOW + 1, dtype=np.uint8)])
        table = cls(data, padded, lt, gt)
        return table if table._classify(names) else None

    def _classify(self, names: set[str]) -> bool:
        lt, gt, arr = self.lt, self.gt, self.padded
        after = arr[lt + 1]
        special = (after == _BANG) | (after == _QUESTION)
        if special[1:].any() or (special[0] and after[0] != _QUESTION):
            return False  # comments, CDATA, DOCTYPE, processing instructions
        start = 1 if special[0] else 0
        kind = np.full(len(lt), _OPEN, dtype=np.int8)
        kind[arr[gt - 1] == _SLASH] = _EMPTY
        kind[after == _SLASH] = _CLOSE
        if special[0]:
            kind[0] = _EMPTY  # the XML declaration takes no part in nesting
        self.kind = kind
        name_at = lt + 1 + (kind == _CLOSE)
        rows = self.window[name_at]
        delimiter = (rows <= 32) | (rows == _SLASH) | (rows == _GT)
        name_len = delimiter.argmax(axis=1)
        has_end = delimiter[np.arange(len(rows)), name_len]
        name_len = np.where(has_end, name_len, NAME_WINDOW)
        colon_at = (rows == _COLON).argmax(axis=1)
        has_colon = (rows[np.arange(len(rows)), colon_at] == _COLON) & (colon_at < name_len)
        local_start = np.where(has_colon, colon_at + 1, 0)
        # A name longer than the window: unambiguous only when its visible local part is
        # already too long to be one of ``names``.
        if (~has_end[start:] & (NAME_WINDOW - local_start[start:] <= MAX_LOCAL_NAME)).any():
            return False
        named = (rows & _PREFIX_MASKS[name_len]).view("<u8")
        full_len = np.where(has_end, name_len, NAME_WINDOW + MAX_LOCAL_NAME + 1)
        if not self._match_pairs(named, full_len, start):
            return False
        local_len = np.minimum(full_len - local_start, MAX_LOCAL_NAME + 1)
        local_rows = self.window[name_at + local_start][:, :MAX_LOCAL_NAME]
        mask = _PREFIX_MASKS[np.minimum(local_len, MAX_LOCAL_NAME)][:, :MAX_LOCAL_NAME]
        words = np.ascontiguousarray(local_rows & mask).view("<u8")
        for name in names:
            target = np.frombuffer(name.encode().ljust(MAX_LOCAL_NAME, b"\0"), dtype="<u8")
            hit = (local_len == len(name)) & (words[:, 0] == target[0]) & (words[:, 1] == target[1])
            hit[:start] = False
            self.local[name] = hit
        self.prefix_rows = np.flatnonzero(has_colon)
        self.prefix_len = colon_at[self.prefix_rows]
        return True

    def _match_pairs(self, words: np.ndarray, name_len: np.ndarray, start: int) -> bool:
        """Pair each opening tag with its closing tag; ``mate`` is ``None`` if they do not nest.

        At any one depth the tags alternate open, close in document order, so a stable sort by
        depth lines every opening tag up with its closing tag; the two must have the same name.
        """
        kind = self.kind[start:]
        step = np.where(kind == _OPEN, 1, np.where(kind == _CLOSE, -1, 0))
        depth_after = np.cumsum(step)
        single_empty_root = len(kind) == 1 and kind[0] == _EMPTY
        one_root = len(kind) > 1 and kind[0] == _OPEN and (depth_after[:-1] > 0).all()
        if not (single_empty_root or (one_root and depth_after[-1] == 0)):
            return False  # unbalanced, or more than one root element
        paired = np.flatnonzero(kind != _EMPTY)
        # An opening tag's level is the depth after it, a closing tag's the depth before it.
        level = np.where(kind == _OPEN, depth_after, depth_after + 1)[paired]
        if level.max(initial=0) > np.iinfo(np.int16).max:
            return False
        order = paired[np.argsort(level.astype(np.int16), kind="stable")] + start
        opens, closes = order[0::2], order[1::2]
        same = name_len[opens] == name_len[closes]
        for column in range(words.shape[1]):
            same &= words[opens, column] == words[closes, column]
        if not same.all():
            return False  # a closing tag names another element
        mate = np.arange(len(self.kind), dtype=np.int64)  # an empty tag is its own mate
        mate[opens] = closes
        mate[closes] = opens
        self.mate = mate
        return True

    def spans_of(self, container: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(opening, closing) tag indices of the containers; ``None`` if containers nest."""
        is_container = self.local[container] & (self.kind != _CLOSE)
        opening = np.flatnonzero(is_container)
        closing = self.mate[opening]
        if len(opening) > 1 and (opening[1:] < closing[:-1]).any():
            return None
        return opening, closing

    def prefixes_declared(self, spans: tuple[np.ndarray, np.ndarray]) -> bool:
        """Whether every namespace prefix used inside the containers is declared somewhere."""
        opening, closing = spans
        inside = _inside(self.prefix_rows, opening, closing)
        rows = self.prefix_rows[inside]
        lengths = self.prefix_len[inside]
        name_at = self.lt[rows] + 1 + (self.kind[rows] == _CLOSE)
        seen: set[bytes] = set()
        while len(rows):
            a = int(name_at[0])
            prefix = self.data[a : a + int(lengths[0])]
            seen.add(prefix)
            same = (lengths == len(prefix)) & (
                self.window[name_at][:, : len(prefix)]
                == np.frombuffer(prefix, dtype=np.uint8)[None, :]
            ).all(axis=1)
            rows, lengths, name_at = rows[~same], lengths[~same], name_at[~same]
        return all(re.search(rb"xmlns:" + re.escape(p) + rb"\s*=", self.data) for p in seen)

    def skeleton(self, spans: tuple[np.ndarray, np.ndarray]) -> bytes:
        """The document with the contents of every container removed."""
        opening, closing = spans
        pieces = []
        at = 0
        for o, c in zip(opening.tolist(), closing.tolist(), strict=True):
            if o == c:
                continue  # an empty container: nothing to remove
            pieces.append(self.data[at : int(self.gt[o]) + 1])
            at = int(self.lt[c])
        pieces.append(self.data[at:])
        return b"".join(pieces)

    # -- points and fields -------------------------------------------------------------------

    def index_points(
        self, spans: tuple[np.ndarray, np.ndarray], point_tag: str, specs: dict[str, list[str]]
    ) -> bool:
        """Find the points and the field elements of every container; ``False`` if irregular."""
        opening, closing = spans
        is_point = self.local[point_tag] & (self.kind != _CLOSE)
        points = np.flatnonzero(is_point)
        inside = _inside(points, opening, closing)
        points = points[inside]
        if len(points) > 1 and (points[1:] < self.mate[points[:-1]]).any():
            return False  # points inside points
        self.point_open = points
        self.point_container = np.searchsorted(opening, points, side="right") - 1
        counts = np.bincount(self.point_container, minlength=len(opening))
        self.span_points = counts
        self.span_first_point = np.concatenate(([0], np.cumsum(counts)[:-1]))
        self.spans = spans
        for alternatives in specs.values():
            if alternatives[0].startswith("@"):
                attribute = alternatives[0][1:]
                if attribute not in ("lat", "lon"):
                    raise ValueError("the scanner reads only the lat/lon attributes of points")
                continue
            for alt in alternatives:
                if alt not in self.field_columns:
                    tags = np.flatnonzero(self.local[alt] & (self.kind != _CLOSE))
                    tags = tags[_inside(tags, opening, closing)]
                    self.field_columns[alt] = (tags, self._text_range(tags))
        if any(a[0].startswith("@") for a in specs.values()):
            return self._point_attributes()
        return True

    def _text_range(self, tags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(start, end) bytes of each element's text (lxml's ``.text``); start -1 when None."""
        start = self.gt[tags] + 1
        end = self.lt[np.minimum(tags + 1, len(self.lt) - 1)]
        empty = (self.kind[tags] == _EMPTY) | (end <= start)
        return np.where(empty, -1, start), end

    def _point_attributes(self) -> bool:
        """``lat``/``lon`` of every point's opening tag; ``False`` when unusual."""
        tags = self.point_open
        if not len(tags):
            self.attributes = {
                "lat": (np.empty(0, np.int64),) * 2,
                "lon": (np.empty(0, np.int64),) * 2,
            }
            return True
        first, last = int(self.lt[tags[0]]), int(self.gt[tags[-1]])
        found: dict[bytes, list[tuple[int, int, int]]] = {b"at": [], b"on": []}
        for match in _POINT_ATTRIBUTE.finditer(self.data, first, last):
            group = 2 if match.start(2) >= 0 else 3
            found[match.group(1)].append((match.start(), match.start(group), match.end(group)))
        for key, name in ((b"at", "lat"), (b"on", "lon")):
            hits = np.array(found[key], dtype=np.int64).reshape(-1, 3)
            tag = np.searchsorted(self.lt, hits[:, 0], side="right") - 1
            before = self.padded[hits[:, 0] - 1]
            spaced = (before == 32) | (before == 9) | (before == 10) | (before == 13)
            in_tag = spaced & (hits[:, 0] < self.gt[tag]) & (self.kind[tag] != _CLOSE)
            hits, tag = hits[in_tag], tag[in_tag]
            where = np.searchsorted(tags, tag)
            where = np.minimum(where, len(tags) - 1)
            ok = tags[where] == tag
            hits, where = hits[ok], where[ok]
            if len(np.unique(where)) != len(where):
                return False  # a repeated attribute: not well-formed, lxml says so
            start = np.full(len(tags), -1, dtype=np.int64)
            end = np.full(len(tags), -1, dtype=np.int64)
            start[where], end[where] = hits[:, 1], hits[:, 2]
            self.attributes[name] = (start, end)
        return True

    def points(
        self, chosen: np.ndarray, point_tag: str, specs: dict[str, list[str]]
    ) -> ScannedTable:
        """The table of the points of containers ``chosen`` (indices into the spans)."""
        counts = self.span_points[chosen]
        point_rows = _ranges(self.span_first_point[chosen], counts)
        group = np.repeat(np.arange(len(chosen)), counts)
        columns: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        element_specs = {n: a for n, a in specs.items() if not a[0].startswith("@")}
        whole, walk = self._decide(chosen, element_specs)
        for name, alternatives in specs.items():
            if alternatives[0].startswith("@"):
                start, end = self.attributes[alternatives[0][1:]]
                columns[name] = (start[point_rows], end[point_rows])
                continue
            columns[name] = self._column(chosen, alternatives, whole[name], walk)
        return ScannedTable(
            n=int(counts.sum()), group=group, spans=columns, _data=self.data, _padded=self.padded
        )

    def _counts(self, alt: str) -> np.ndarray:
        """Elements of ``alt`` in each container."""
        tags, _ = self.field_columns[alt]
        where = np.searchsorted(self.spans[0], tags, side="right") - 1
        return np.bincount(where, minlength=len(self.spans[0]))

    def _decide(
        self, chosen: np.ndarray, specs: dict[str, list[str]]
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Per field, which alternative is a whole column in each container (-1: none, all
        ``None``; -2: irregular); and which containers are walked point by point."""
        n_points = self.span_points[chosen]
        whole: dict[str, np.ndarray] = {}
        walk = np.zeros(len(chosen), dtype=bool)
        for name, alternatives in specs.items():
            decision = np.full(len(chosen), -1, dtype=np.int64)
            undecided = np.ones(len(chosen), dtype=bool)
            for rank, alt in enumerate(alternatives):
                count = self._counts(alt)[chosen]
                decision[undecided & (count == n_points)] = rank
                decision[undecided & (count != n_points) & (count > 0)] = -2
                undecided &= count == 0
            decision[n_points == 0] = -1  # a container without points is skipped
            whole[name] = decision
            walk |= decision == -2
        return whole, walk

    def _column(
        self, chosen: np.ndarray, alternatives: list[str], decision: np.ndarray, walk: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """One field's (start, end) per point of the containers ``chosen``."""
        counts = self.span_points[chosen]
        offset = np.concatenate(([0], np.cumsum(counts)[:-1]))
        n = int(counts.sum())
        start = np.full(n, -1, dtype=np.int64)
        end = np.full(n, -1, dtype=np.int64)
        rank_of = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        position = np.full(len(self.spans[0]), -1, dtype=np.int64)
        position[chosen] = np.arange(len(chosen))
        for rank, alt in enumerate(alternatives):
            tags, (text_start, text_end) = self.field_columns[alt]
            span = np.searchsorted(self.spans[0], tags, side="right") - 1
            at = position[span]
            keep = at >= 0
            tags, text_start, text_end, span, at = (
                tags[keep],
                text_start[keep],
                text_end[keep],
                span[keep],
                at[keep],
            )
            # Whole columns: the k-th element of the container is the k-th point's.
            in_order = ~walk[at] & (decision[at] == rank)
            if in_order.any():
                rows = np.flatnonzero(in_order)
                block = np.r_[True, at[rows][1:] != at[rows][:-1]]
                first = np.maximum.accumulate(np.where(block, np.arange(len(rows)), 0))
                k = np.arange(len(rows)) - first
                target = offset[at[rows]] + k
                start[target], end[target] = text_start[rows], text_end[rows]
            # Walked containers: an element belongs to the last point before it.
            walked = walk[at] & (text_start >= 0)
            if walked.any():
                rows = np.flatnonzero(walked)
                point = np.searchsorted(self.point_open, tags[rows], side="right") - 1
                local = point - self.span_first_point[span[rows]]
                valid = (point >= 0) & (local >= 0)
                rows, local = rows[valid], local[valid]
                target = offset[at[rows]] + local
                better = rank < rank_of[target]
                rows, target = rows[better], target[better]
                target, first = np.unique(target, return_index=True)
                rows = rows[first]
                start[target], end[target] = text_start[rows], text_end[rows]
                rank_of[target] = rank
        return start, end


def _inside(tags: np.ndarray, opening: np.ndarray, closing: np.ndarray) -> np.ndarray:
    """Which ``tags`` lie strictly inside one of the spans (``opening[k]``, ``closing[k]``)."""
    if not len(opening):
        return np.zeros(len(tags), dtype=bool)
    span = np.searchsorted(opening, tags, side="right") - 1
    ok = span >= 0
    span = np.maximum(span, 0)
    return ok & (tags > opening[span]) & (tags < closing[span])


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(start, start + count)`` for each pair, vectorised."""
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
    return np.repeat(starts - offsets, counts) + np.arange(total)


def _plain_encoding(data: bytes) -> bool:
    """Whether the bytes are ASCII, or UTF-8 declared (or implied) and valid."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:1] == b"\x00" or data[1:2] == b"\x00":
        return False
    declared = _DECLARED_ENCODING.match(data.removeprefix(b"\xef\xbb\xbf")[:200])
    if declared and declared.group(1).decode().lower() not in _ASCII_COMPATIBLE:
        return False
    if data.startswith(b"\xef\xbb\xbf"):
        return False  # keep the byte offsets simple: lxml reads files with a BOM
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
