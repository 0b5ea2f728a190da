"""A GPX/TCX document opened for reading: a small tree of everything but the points, and the
points as columns.

Opening a document (:func:`open_document`):

1. the tags are located with numpy (:mod:`~finishline.io.xml_scan`) and named
   (:mod:`~finishline.io.xml_names`); the points and the byte ranges of their fields are found
   (:mod:`~finishline.io.xml_points`) and converted in bulk (:mod:`~finishline.io.xml_values`);
   where the optional compiled scanner is built, it does each of these steps in one C loop, to
   the same arrays (:mod:`~finishline.io.xml_compiled`);
2. the *skeleton* — the document with each run of consecutive points replaced by one marker
   element — is parsed by lxml. It holds the metadata (tracks, laps, activities, names) and
   says which container (``trk/trkseg``, ``Lap/Track``) each run of points belongs to: the
   readers query it with the same local-name paths as a full tree.

Well-formedness. Everything outside the points is parsed by libxml2 in the skeleton (syntax,
namespaces, encoding, entities). Inside the points the scan checks that every closing tag
closes, by name, the element opened before it at its level, and namespace prefixes are
declared; a value that is not proper text there (an undefined entity, a control character)
reads as a missing value with a warning instead of refusing the file. Whenever that check is
not conclusive — tags that do not pair, a document that ends early, content after the
document element — libxml2 checks the whole document
(:func:`~finishline.io.xml_safe.validate_xml`): malformed XML is refused with its line, and a
document cut short is *truncated* and keeps its complete points. A skeleton error is reported
with the file's line (its markers are then followed by the newlines of the points they
replace).

Peak memory is the document plus a few arrays per tag and per point, the passes over tags and
values going in chunks: no tree of the points is ever built (lxml's tree of a GPX takes about
five times the file). The arrays per tag are needed only while a document is opened: the
compiled scanner writes them into those of the thread's previous document
(:mod:`~finishline.io.xml_spare`).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lxml import etree

from finishline.errors import FileFormatError
from finishline.io.activity_columns import utc_times
from finishline.io.xml_names import Names, local_names, prefixes
from finishline.io.xml_points import Points, field_ranges, find_points
from finishline.io.xml_safe import _malformed, _parser, check_prolog, validate_xml
from finishline.io.xml_scan import Tags, prepare, tokenize
from finishline.io.xml_spare import thread_spare
from finishline.io.xml_values import NAT, parse_decimals, parse_times

#: Namespace of the run markers of a skeleton: unique per process, so a file cannot forge one.
MARKER_NAMESPACE = f"urn:finishline:points:{uuid.uuid4().hex}"
MARKER = f"{{{MARKER_NAMESPACE}}}run"


@dataclass
class PointTable:
    """The points found under some containers, in document order, with their fields.

    Attributes
    ----------
    n
        Number of points.
    group
        Index of the container each point came from (segment, track), one per point.
    index
        Index of each point among all the points of the document.
    """

    n: int
    group: np.ndarray
    index: np.ndarray
    document: XmlDocument

    def floats(self, name: str) -> np.ndarray:
        """Field ``name`` as float64, NaN where a point lacks it or it is not a number."""
        return self.document.values[name][self.index]

    def times(self, name: str) -> pd.DatetimeIndex:
        """Field ``name`` as UTC timestamps (ns), NaT where a point lacks it or it is unreadable."""
        return utc_times(self.nanoseconds(name))

    def nanoseconds(self, name: str) -> np.ndarray:
        """Time field ``name`` as int64 ns since the epoch (NaT as the smallest int64)."""
        return self.document.values[name][self.index]

    def first(self, name: str) -> str | None:
        """The text of the first point that has field ``name``, or ``None``."""
        starts, ends = self.document.ranges[name]
        present = np.flatnonzero(ends[self.index] > starts[self.index])
        if not len(present):
            return None
        return self.document.text_of(name, int(self.index[present[0]]))

    def bad(self, name: str) -> np.ndarray:
        """Mask of the points whose field ``name`` is present but not a number / a valid time."""
        return self.document.bad[name][self.index]


@dataclass
class XmlDocument:
    """A GPX/TCX document opened for reading.

    Attributes
    ----------
    root
        The root element of the skeleton (the document without its points).
    truncated
        The document ended early; only its complete points were read.
    text
        The (prepared) document bytes.
    points_found
        The points of the document (:class:`~finishline.io.xml_points.Points`).
    point_tags
        The local names of points, as given to :func:`open_document`.
    ranges, values, bad
        Per field: byte ranges of its text, its values (float64, or int64 ns for times) and
        the mask of present values that did not convert, one per point of the document.
    """

    root: etree._Element
    truncated: bool
    text: bytes
    points_found: Points
    point_tags: tuple[str, ...]
    ranges: dict[str, tuple[np.ndarray, np.ndarray]]
    values: dict[str, np.ndarray]
    bad: dict[str, np.ndarray]

    def text_of(self, field: str, point: int) -> str:
        """The text of ``field`` on point ``point`` of the document (stripped, not unescaped)."""
        starts, ends = self.ranges[field]
        raw = self.text[int(starts[point]) : int(ends[point])]
        return raw.decode("utf-8", errors="replace").strip()

    def points(self, containers: Sequence[etree._Element], point_tag: str) -> PointTable:
        """The table of the points named ``point_tag`` under ``containers``, in order."""
        found = self.points_found
        kind = self.point_tags.index(point_tag)
        pieces: list[np.ndarray] = []
        groups: list[int] = []
        used: set[int] = set()
        for group, container in enumerate(containers):
            for marker in container.iter(MARKER):
                run = _run_number(marker, found.n_runs)
                if run is None or run in used:
                    continue
                used.add(run)
                first, stop = int(found.run_start[run]), int(found.run_start[run + 1])
                if stop > first and found.kind[first] == kind:
                    pieces.append(np.arange(first, stop))
                    groups.append(group)
        if not pieces:
            empty = np.empty(0, dtype=np.int64)
            return PointTable(0, empty, empty, self)
        counts = [len(p) for p in pieces]
        group = np.repeat(np.array(groups), counts)
        index = np.concatenate(pieces)
        return PointTable(len(index), group, index, self)


def _run_number(marker: etree._Element, n_runs: int) -> int | None:
    text = marker.get("i", "")
    if not text.isdigit():
        return None
    run = int(text)
    return run if run < n_runs else None


def open_document(
    data: bytes,
    source: str | None,
    point_tags: Sequence[str],
    fields: Mapping[str, str],
    time_fields: Sequence[str] = (),
    salvage: bool = False,
) -> XmlDocument:
    """Open a GPX/TCX document: its skeleton tree and its points as columns.

    Parameters
    ----------
    data, source
        The document and its file name (for messages).
    point_tags
        Local names of points (``"trkpt"``, ``"rtept"``, ``"Trackpoint"``).
    fields
        Column name -> local name(s) of the element holding it anywhere inside a point, or
        ``@name`` for an attribute of the point; alternatives joined by ``|``, the first one
        present on a point wins.
    time_fields
        The fields that are ISO 8601 times; the others are numbers.
    salvage
        The bytes come from a damaged gzip stream: malformed XML is read up to the line of
        the error, as a truncated document (:func:`~finishline.io.xml_safe.validate_xml`).

    Raises
    ------
    UnsafeFileError
        The DOCTYPE declares entities.
    FileFormatError
        Malformed XML that is not a truncated document; a namespace prefix not declared.
    """
    leaves = {
        alt.strip()
        for spec in fields.values()
        for alt in spec.split("|")
        if not alt.strip().startswith("@")
    }
    wanted = [*point_tags, *sorted(leaves - set(point_tags))]
    check_prolog(data, source)
    tags, names, complete = _scan(data, source, wanted)
    truncated = False
    if not complete:
        # Not certainly well-formed and complete: libxml2 decides (and names the error).
        validation = validate_xml(data, source, salvage=salvage)
        truncated = validation.truncated
        if validation.data is not None:
            data = validation.data
            tags, names, _ = _scan(data, source, wanted)
        if tags is None or names is None:
            raise validation.error or FileFormatError("XML document has no root element", source)
    found = find_points(tags, names, point_tags)
    root = _parse_skeleton(tags, found, truncated, source)
    _check_prefixes(data, source, tags, names, found, root, point_tags)

    ranges = field_ranges(tags, names, found, fields)
    values, bad = _convert(tags.buf, ranges, time_fields, found.n)
    return XmlDocument(
        root=root,
        truncated=truncated,
        text=tags.text,
        points_found=found,
        point_tags=tuple(point_tags),
        ranges=ranges,
        values=values,
        bad=bad,
    )


def _convert(
    buf: np.ndarray,
    ranges: dict[str, tuple[np.ndarray, np.ndarray]],
    time_fields: Sequence[str],
    n: int,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Values and bad-value masks of every field; the numbers of all fields in one pass."""
    values: dict[str, np.ndarray] = {}
    bad: dict[str, np.ndarray] = {}
    numeric = []
    for name, (starts, ends) in ranges.items():
        present = bool((ends > starts).any())
        if name in time_fields:
            if present:
                values[name], bad[name] = parse_times(buf, starts, ends)
            else:
                values[name], bad[name] = np.full(n, NAT, dtype=np.int64), np.zeros(n, bool)
        elif present:
            numeric.append(name)
        else:
            values[name], bad[name] = np.full(n, np.nan), np.zeros(n, bool)
    if numeric:
        starts = np.concatenate([ranges[name][0] for name in numeric])
        ends = np.concatenate([ranges[name][1] for name in numeric])
        all_values, all_bad = parse_decimals(buf, starts, ends, rows=n)
        for k, name in enumerate(numeric):
            values[name] = all_values[k * n : (k + 1) * n]
            bad[name] = all_bad[k * n : (k + 1) * n]
    return values, bad


def _scan(
    data: bytes, source: str | None, wanted: list[str]
) -> tuple[Tags | None, Names | None, bool]:
    """Tags and names of the document, and whether it is certainly complete and well-formed.

    Certain: every closing tag closes, by name, the element opened before it at its level, the
    document element closes last and only whitespace follows it. Inside points that is all
    that is checked here; everything else is parsed by libxml2 in the skeleton.
    """
    prepared = prepare(data, source)
    if prepared.body < 0:
        return None, None, False
    # the tags and names are read only while the document is opened: this thread's spare
    # buffers hold them (xml_spare)
    spare = thread_spare()
    tags = tokenize(prepared, spare)
    if not len(tags.lt):
        return None, None, False
    names = local_names(tags, wanted, spare)
    complete = (
        tags.nested
        and bool(tags.opening[0])
        and int(tags.close[0]) == len(tags.lt) - 1
        and not tags.text[int(tags.gt[-1]) + 1 :].strip()
        and names.pairs_match
    )
    return tags, names, complete


def _parse_skeleton(
    tags: Tags, found: Points, truncated: bool, source: str | None
) -> etree._Element:
    """Parse the document with each run of points replaced by a marker (see module notes)."""
    text = tags.text
    end = len(text)
    closers: list[bytes] = []
    if truncated:
        # Keep what precedes the end of the last complete point (of the last complete tag when
        # there is no point), and close the elements still open there.
        last = int(found.closing[-1]) if found.n else len(tags.lt) - 1
        end = int(tags.gt[last]) + 1
        started = np.flatnonzero((tags.lt < end) & tags.opening & ~tags.empty)
        close = tags.close[started]
        still_open = started[(close < 0) | (tags.lt[np.maximum(close, 0)] >= end)]
        for row in still_open[::-1]:
            start = int(tags.lt[row]) + 1
            stop = start
            while stop < len(text) and text[stop] not in b" \t\r\n/>":
                stop += 1
            closers.append(b"</" + text[start:stop] + b">")
    try:
        root = etree.fromstring(_skeleton(tags, found, end, closers, False), parser=_parser())
    except etree.XMLSyntaxError:
        # Again with the lines of the points kept, for an error message with the file's line.
        try:
            root = etree.fromstring(_skeleton(tags, found, end, closers, True), parser=_parser())
        except etree.XMLSyntaxError as exc:
            raise _malformed(exc, source) from exc
    if root is None:
        raise FileFormatError("XML document has no root element", source)
    return root


def _skeleton(tags: Tags, found: Points, end: int, closers: list[bytes], lines: bool) -> bytes:
    """The document up to ``end`` with a marker per run of points, then ``closers``.

    With ``lines``, each marker is followed by the newlines of the points it replaces, so that
    line numbers are the file's.
    """
    text = tags.text
    pieces: list[bytes] = []
    pos = 0
    if found.n:
        first = found.opening[found.run_start[:-1]]
        last_points = found.closing[found.run_start[1:] - 1]
        begins, stops = tags.lt[first], tags.gt[last_points] + 1
        namespace = MARKER_NAMESPACE.encode()
        for run, (begin, stop) in enumerate(zip(begins.tolist(), stops.tolist(), strict=True)):
            pieces.append(text[pos:begin])
            pieces.append(b'<run xmlns="%s" i="%d"/>' % (namespace, run))
            if lines:
                pieces.append(b"\n" * text.count(b"\n", begin, stop))
            pos = stop
    pieces.append(text[pos:end])
    pieces.extend(closers)
    return b"".join(pieces)


def _parse_streaming(data: bytes, source: str | None, point_tags: Sequence[str]) -> None:
    """Parse the whole document with libxml2, namespaces checked, freeing each point once read.

    Memory stays bounded however many points there are (a tree of them is never kept).

    Raises
    ------
    FileFormatError
        The document is not namespace-well-formed XML.
    """
    events = etree.iterparse(
        io.BytesIO(data),
        events=("end",),
        tag=[f"{{*}}{tag}" for tag in point_tags],
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    try:
        for _, element in events:
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
    except etree.XMLSyntaxError as exc:
        raise _malformed(exc, source) from exc


def _check_prefixes(
    data: bytes,
    source: str | None,
    tags: Tags,
    names: Names,
    found: Points,
    root: etree._Element,
    point_tags: Sequence[str],
) -> None:
    """Namespace prefixes of elements inside points must be declared, as a full parse demands.

    The usual case — prefixes declared on the root — is settled from the markers' in-scope
    namespaces; otherwise libxml2 parses the whole document once to decide, streaming
    (:func:`_parse_streaming`).
    """
    if not found.n or not names.prefixed.any():
        return
    # points do not nest: each opening (closing) tag index occurs once, so plain fancy
    # assignment counts them (np.add.at is an order of magnitude slower)
    depth = np.zeros(len(tags.lt) + 1, dtype=np.int32)
    depth[found.opening] += 1
    depth[found.closing + 1] -= 1
    in_points = np.cumsum(depth[:-1]) > 0
    used = prefixes(tags, names, in_points)
    if not used:
        return
    declared: set[str] | None = None
    for marker in root.iter(MARKER):
        scope = {prefix for prefix in marker.nsmap if prefix}
        declared = scope if declared is None else declared & scope
    if used - (declared or set()) - {"xml"}:
        _parse_streaming(data, source, point_tags)
