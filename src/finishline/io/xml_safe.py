"""Safe, namespace-agnostic, columnar XML access for the GPX and TCX readers.

Safety (the defusedxml rules, with lxml):

- a document whose DOCTYPE declares any entity is refused with
  :class:`~finishline.errors.UnsafeFileError` before it is parsed (billion laughs, quadratic
  blow-up, XXE); the check is repeated on the parsed DTD;
- the parser never resolves entities, never loads a DTD, never touches the network and keeps
  libxml2's size limits (``huge_tree=False``).

Columns: :func:`point_table` collects the text of each field of every point in a single pass of
lxml's C-level tag iterator, and :class:`PointTable` converts each field to an array in bulk
(:func:`to_float`, :func:`to_utc`).

Names are local names only (``"hr"``, ``"trk/trkseg"``) and match any namespace or prefix, so
GPX 1.0 and 1.1, Garmin TrackPointExtension v1/v2 and TCX ActivityExtension v2 with any prefix
all read the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from lxml import etree

from finishline.errors import FileFormatError, UnsafeFileError

#: How much of the document is scanned for a DOCTYPE with entity declarations before parsing.
PROLOG_SCAN_BYTES = 1 << 16

_ENTITY_DECL = re.compile(r"<!ENTITY", re.IGNORECASE)
_DOCTYPE = re.compile(r"<!DOCTYPE", re.IGNORECASE)


def _parser(recover: bool = False) -> etree.XMLParser:
    return etree.XMLParser(
        recover=recover,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def _prolog_text(data: bytes) -> str:
    """The start of the document as text, whatever its encoding (for the DOCTYPE scan)."""
    head = data[:PROLOG_SCAN_BYTES]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec = "utf-16"
    elif head[:4] in (b"<\x00?\x00", b"<\x00!\x00"):
        codec = "utf-16-le"
    elif head[:4] in (b"\x00<\x00?", b"\x00<\x00!"):
        codec = "utf-16-be"
    else:
        codec = "utf-8"
    return head.decode(codec, errors="ignore")


def check_prolog(data: bytes, source: str | None = None) -> None:
    """Refuse a document whose DOCTYPE declares entities, before anything parses it.

    Raises
    ------
    UnsafeFileError
        The DOCTYPE declares entities (entity expansion or external entities).
    """
    prolog = _prolog_text(data)
    doctype = _DOCTYPE.search(prolog)
    if doctype and _ENTITY_DECL.search(prolog, doctype.start()):
        raise UnsafeFileError("XML declares entities in its DOCTYPE (refused for safety)", source)


def parse_xml(data: bytes, source: str | None = None) -> etree._Element:
    """Parse XML bytes safely and return the root element.

    Parameters
    ----------
    data
        The document (any encoding libxml2 knows; a BOM or the XML declaration says which).
    source
        File name for error messages.

    Raises
    ------
    UnsafeFileError
        The DOCTYPE declares entities (entity expansion or external entities).
    FileFormatError
        The bytes are not well-formed XML; the message gives the line.
    """
    root, _ = parse_xml_prefix(data, source, record_tag=None)
    return root


def parse_xml_prefix(
    data: bytes, source: str | None, record_tag: str | None
) -> tuple[etree._Element, bool]:
    """Parse XML bytes safely; a truncated document gives its complete records.

    Parameters
    ----------
    data, source
        As for :func:`parse_xml`.
    record_tag
        Local name of the repeated record (``"trkpt"``, ``"Trackpoint"``). When the document is
        well-formed up to a premature end of data, it is cut after the last closing tag of this
        name and the rest is parsed with libxml2's recovery, which closes the open elements;
        ``None`` makes a truncated document an error like any other.

    Returns
    -------
    root, truncated
        The root element, and whether the document ended early.

    Raises
    ------
    UnsafeFileError
        The DOCTYPE declares entities.
    FileFormatError
        The bytes are not well-formed XML (and not a truncated well-formed document).
    """
    check_prolog(data, source)
    truncated = False
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else "?"
        error = FileFormatError(f"malformed XML at line {line}: {exc.msg}", source)
        if record_tag is None or not _ends_early(data):
            raise error from exc
        root = _recover(data, record_tag)
        if root is None:
            raise error from exc
        truncated = True
    except ValueError as exc:  # e.g. an unknown encoding name in the declaration
        raise FileFormatError(f"unreadable XML ({exc})", source) from exc
    if root is None:
        raise FileFormatError("XML document has no root element", source)
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise UnsafeFileError("XML declares entities in its DOCTYPE (refused for safety)", source)
    return root, truncated


def _ends_early(data: bytes) -> bool:
    """Whether ``data`` is a well-formed document cut short (premature end of data).

    libxml2's push parser reports an error in the bytes it has been fed as soon as it sees it;
    an end of data that comes too early is reported only when the parser is closed. Namespace
    errors (an undeclared prefix) are also reported late, and are not truncation.
    """
    parser = _parser()
    try:
        parser.feed(data)
    except etree.XMLSyntaxError:
        return False
    try:
        parser.close()
    except etree.XMLSyntaxError as exc:
        return exc.code not in _NAMESPACE_ERRORS
    return False


#: libxml2's namespace error codes (an undeclared prefix): errors, but not a truncation.
_NAMESPACE_ERRORS = frozenset(
    code for name, code in vars(etree.ErrorTypes).items() if name.startswith("NS_ERR")
)


def _recover(data: bytes, record_tag: str) -> etree._Element | None:
    """Parse the complete records of a truncated document (up to its last record's end)."""
    closing = re.compile(rb"</(?:[^\s<>/:]+:)?" + record_tag.encode() + rb"\s*>")
    end = None
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00" not in data[:4]:
        ends = [m.end() for m in closing.finditer(data, max(0, len(data) - (1 << 16)))]
        if not ends:  # the last record is far back: search the whole document
            ends = [m.end() for m in closing.finditer(data)]
        end = ends[-1] if ends else None
    try:
        return etree.fromstring(data[:end], parser=_parser(recover=True))
    except etree.XMLSyntaxError:
        return None


def local_name(element: etree._Element) -> str:
    """The tag of ``element`` without its namespace."""
    return etree.QName(element).localname


def local_path(path: str) -> str:
    """Turn a path of local names into a namespace-agnostic XPath 1.0 expression.

    ``"extensions//hr"`` becomes ``"*[local-name()='extensions']//*[local-name()='hr']"``.
    Steps that are attributes (``@lat``), functions (``text()``), ``*``, ``.`` or ``..`` are kept.
    Alternatives may be given with ``|`` between whole paths.
    """
    if "|" in path:
        return " | ".join(local_path(part.strip()) for part in path.split("|"))
    steps = []
    for step in path.split("/"):
        if not step or step in (".", "..", "*") or step.startswith("@") or step.endswith(")"):
            steps.append(step)
        else:
            steps.append(f"*[local-name()='{step}']")
    return "/".join(steps)


@lru_cache(maxsize=256)
def compiled(path: str) -> etree.XPath:
    """A compiled XPath for a local-name path (see :func:`local_path`), cached."""
    return etree.XPath(local_path(path), smart_strings=False)


def find_text(element: etree._Element, path: str) -> str | None:
    """Stripped text of the first node at local-name ``path`` under ``element``, or ``None``."""
    hits = compiled(path)(element)
    if not hits:
        return None
    hit = hits[0]
    text = hit if isinstance(hit, str) else hit.text
    if text is None:
        return None
    text = text.strip()
    return text or None


def find_all(element: etree._Element, path: str) -> list[etree._Element]:
    """Elements at local-name ``path`` under ``element``, in document order."""
    return list(compiled(path)(element))


@dataclass
class PointTable:
    """The points found under some containers: one aligned list of text per field.

    Attributes
    ----------
    n
        Number of points.
    group
        Index of the container each point came from (segment, track), one per point.
    columns
        Field -> one text per point (``None`` where the point lacks the field).
    """

    n: int
    group: np.ndarray
    columns: dict[str, list[str | None]]

    def floats(self, name: str) -> np.ndarray:
        """Field ``name`` as float64, NaN where a point lacks it or it does not parse."""
        return to_float(self.columns[name])

    def times(self, name: str) -> pd.DatetimeIndex:
        """Field ``name`` as UTC timestamps (ns), NaT where a point lacks it."""
        return to_utc(self.columns[name])

    def first(self, name: str) -> str | None:
        """The first non-empty text of field ``name``, or ``None``."""
        return next((t.strip() for t in self.columns[name] if t and t.strip()), None)


def point_table(
    containers: Sequence[etree._Element], point_tag: str, fields: Mapping[str, str]
) -> PointTable:
    """Collect the fields of every point under ``containers``, column by column.

    Parameters
    ----------
    containers
        Elements holding the points directly (GPX ``trkseg``/``rte``, TCX ``Track``), in order;
        a point's ``group`` is the index of its container.
    point_tag
        Local name of a point (``"trkpt"``, ``"Trackpoint"``).
    fields
        Column name -> local name of the element holding it anywhere inside the point
        (``"time"``, ``"hr"``), or of an attribute of the point (``"@lat"``); alternatives are
        joined by ``|`` and the first one present on a point wins.

    Returns
    -------
    PointTable

    Notes
    -----
    Fields are matched by local name inside the point, whatever their namespace, prefix or
    depth (``gpxtpx:TrackPointExtension/gpxtpx:hr``, ``ns3:TPX/ns3:Speed``); the GPX and TCX
    names used are unique within a point. For each container and field, lxml's C iterator
    collects the texts of that tag in one list; when there is exactly one per point the list
    is the column. Only a container where a field is on some points but not others is walked
    point by point (:func:`_walk_points`). XPath is not used: libxml2 orders the results of
    ``//`` steps by walking sibling lists, which is quadratic over a long track.
    """
    specs = {name: [part.strip() for part in spec.split("|")] for name, spec in fields.items()}
    columns: dict[str, list[str | None]] = {name: [] for name in fields}
    counts: list[int] = []
    for container in containers:
        points = list(container.iter(f"{{*}}{point_tag}"))
        n_points = len(points)
        counts.append(n_points)
        if not n_points:
            continue
        part: dict[str, list[str | None]] = {}
        for name, alternatives in specs.items():
            column = _whole_column(container, points, alternatives)
            if column is None:
                part = _walk_points(container, point_tag, points, specs)
                break
            part[name] = column
        for name in fields:
            columns[name].extend(part[name])
    group = np.repeat(np.arange(len(counts)), counts)
    return PointTable(n=int(sum(counts)), group=group, columns=columns)


def _whole_column(
    container: etree._Element, points: list[etree._Element], alternatives: list[str]
) -> list[str | None] | None:
    """The column of one field if it is on every point or on none; ``None`` if on some only."""
    n_points = len(points)
    for alt in alternatives:
        if alt.startswith("@"):
            values = [point.get(alt[1:]) for point in points]
            if any(v is not None for v in values):
                if len(alternatives) == 1 or all(v is not None for v in values):
                    return values
                return None
            continue
        values = [element.text for element in container.iter(f"{{*}}{alt}")]
        if len(values) == n_points:
            return values
        if values:
            return None
    return [None] * n_points


def _walk_points(
    container: etree._Element,
    point_tag: str,
    points: list[etree._Element],
    specs: Mapping[str, list[str]],
) -> dict[str, list[str | None]]:
    """All fields of the points of one container, element by element (sparse fields)."""
    n_points = len(points)
    columns: dict[str, list[str | None]] = {name: [None] * n_points for name in specs}
    ranks: dict[str, list[int]] = {name: [1 << 30] * n_points for name in specs}
    by_leaf: dict[str, list[tuple[str, int]]] = {}
    for name, alternatives in specs.items():
        for rank, alt in enumerate(alternatives):
            if alt.startswith("@"):
                values = [point.get(alt[1:]) for point in points]
                for i, value in enumerate(values):
                    if value is not None and rank < ranks[name][i]:
                        columns[name][i] = value
                        ranks[name][i] = rank
            else:
                by_leaf.setdefault(alt, []).append((name, rank))
    local: dict[str, str] = {}
    tags = [f"{{*}}{point_tag}", *(f"{{*}}{leaf}" for leaf in by_leaf)]
    i = -1
    for element in container.iter(*tags):
        tag = element.tag
        name = local.get(tag)
        if name is None:
            name = local[tag] = tag.rpartition("}")[2]
        if name == point_tag:
            i += 1
            continue
        text = element.text
        if i < 0 or not text:
            continue  # before the first point, or empty
        for field, rank in by_leaf[name]:
            if rank < ranks[field][i]:
                columns[field][i] = text
                ranks[field][i] = rank
    return columns


def to_float(values: Sequence[str | None]) -> np.ndarray:
    """Strings to float64 in bulk; ``None``, empty or unparseable strings become NaN."""
    if not len(values):
        return np.empty(0, dtype=float)
    try:
        return np.array(values, dtype=float)
    except (ValueError, TypeError):
        return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)


def to_utc(values: Sequence[str | None]) -> pd.DatetimeIndex:
    """ISO 8601 strings (``Z``, offsets, fractional seconds, naive = UTC) to a UTC index (ns).

    Unparseable or empty strings become ``NaT``.
    """
    if not len(values):
        return pd.DatetimeIndex([], tz="UTC").as_unit("ns")
    parsed = pd.DatetimeIndex(
        pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601", errors="coerce")
    )
    # Dates outside what datetime64[ns] holds (years before 1678 or after 2261) are not real
    # activity times; they become NaT rather than overflow.
    in_range = (parsed >= _NS_MIN) & (parsed <= _NS_MAX)
    if not in_range[~parsed.isna()].all():
        parsed = parsed.where(in_range)
    return parsed.as_unit("ns")


_NS_MIN = pd.Timestamp("1678-01-01", tz="UTC")
_NS_MAX = pd.Timestamp("2261-12-31", tz="UTC")


_OFFSET = re.compile(r"(?:[Zz]|([+-])(\d{2}):?(\d{2}))\s*$")


def utc_offset_s(timestamp: str | None) -> int | None:
    """Offset (s) written in an ISO 8601 time string (``+02:00`` -> 7200), or ``None``.

    ``Z`` and naive strings give ``None``: they say nothing about the local time zone.
    """
    if not timestamp:
        return None
    match = _OFFSET.search(timestamp.strip())
    if match is None or match.group(1) is None:
        return None
    sign = 1 if match.group(1) == "+" else -1
    return sign * (int(match.group(2)) * 3600 + int(match.group(3)) * 60)
