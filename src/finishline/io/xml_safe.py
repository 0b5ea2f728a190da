"""Safe, namespace-agnostic, columnar XML access for the GPX and TCX readers.

Safety (the defusedxml rules, with lxml):

- a document whose DOCTYPE declares any entity is refused with
  :class:`~finishline.errors.UnsafeFileError` before it is parsed (billion laughs, quadratic
  blow-up, XXE); the check is repeated on the parsed DTD;
- the parser never resolves entities, never loads a DTD, never touches the network and keeps
  libxml2's size limits (``huge_tree=False``).

Columns: :func:`point_columns` returns one list of strings per field, aligned with the points
(``""`` where a point lacks the field), from a single pass of lxml's C-level tag iterator; the
callers convert the lists to arrays in bulk (:func:`to_float`, :func:`to_utc`).

Paths are written with local names only (``"extensions//hr"``) and match any namespace or
prefix, so GPX 1.0 and 1.1, Garmin TrackPointExtension v1/v2 and TCX ActivityExtension v2 with
any prefix all read the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd
from lxml import etree

from finishline.errors import FileFormatError, UnsafeFileError

#: How much of the document is scanned for a DOCTYPE with entity declarations before parsing.
PROLOG_SCAN_BYTES = 1 << 16

_ENTITY_DECL = re.compile(r"<!ENTITY", re.IGNORECASE)
_DOCTYPE = re.compile(r"<!DOCTYPE", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
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
    prolog = _prolog_text(data)
    doctype = _DOCTYPE.search(prolog)
    if doctype and _ENTITY_DECL.search(prolog, doctype.start()):
        raise UnsafeFileError("XML declares entities in its DOCTYPE (refused for safety)", source)
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else "?"
        raise FileFormatError(f"malformed XML at line {line}: {exc.msg}", source) from exc
    except ValueError as exc:  # e.g. an unknown encoding name in the declaration
        raise FileFormatError(f"unreadable XML ({exc})", source) from exc
    if root is None:
        raise FileFormatError("XML document has no root element", source)
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise UnsafeFileError("XML declares entities in its DOCTYPE (refused for safety)", source)
    return root


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


def point_columns(
    container: etree._Element, point_path: str, fields: Mapping[str, str]
) -> tuple[int, dict[str, list[str]]]:
    """Text of each field for every point under ``container``, as aligned lists of strings.

    Parameters
    ----------
    container
        Element holding the points (a GPX ``trkseg``, a TCX ``Activity``...).
    point_path
        Local-name path from ``container`` to the points (``"trkpt"``,
        ``"Lap/Track/Trackpoint"``); points are found by its last step.
    fields
        Column name -> local-name path from a point to the field: an attribute (``"@lat"``),
        an element (``"ele"``, ``"HeartRateBpm/Value"``), a descendant (``"extensions//hr"``),
        or alternatives joined by ``|`` (the first one present on a point wins).

    Returns
    -------
    (n_points, columns)
        Each column has ``n_points`` strings, ``""`` where the point lacks the field.

    Notes
    -----
    One pass of lxml's C iterator over the point and field tags, in document order: a field
    element belongs to the latest point when its ancestry leads back to that point along the
    field's path. XPath is not used here: libxml2 sorts the results of ``//`` steps by walking
    sibling lists, which is quadratic over the thousands of points of a track.
    """
    point_tag = point_path.rstrip("/").split("/")[-1]
    attributes: dict[str, list[tuple[int, str]]] = {}
    by_leaf: dict[str, list[tuple[str, int, re.Pattern[str]]]] = {}
    for name, rel in fields.items():
        for rank, alt in enumerate(part.strip() for part in rel.split("|")):
            if alt.startswith("@"):
                attributes.setdefault(name, []).append((rank, alt[1:]))
            else:
                leaf = alt.split("/")[-1]
                by_leaf.setdefault(leaf, []).append((name, rank, _path_pattern(alt)))
    columns: dict[str, list[str]] = {name: [] for name in fields}
    ranks: dict[str, list[int]] = {name: [] for name in fields}
    field_names = [n for n in fields if n not in attributes]
    local: dict[str, str] = {}
    tags = [f"{{*}}{point_tag}", *(f"{{*}}{leaf}" for leaf in by_leaf)]
    current: etree._Element | None = None
    n_points = 0
    for element in container.iter(*tags):
        tag = element.tag
        name = local.get(tag)
        if name is None:
            name = local[tag] = tag.rpartition("}")[2]
        if name == point_tag:
            current = element
            n_points += 1
            for field in field_names:
                columns[field].append("")
                ranks[field].append(1 << 30)
            for field, alts in attributes.items():
                value = ""
                for _, attr in alts:
                    value = element.get(attr) or ""
                    if value:
                        break
                columns[field].append(value)
            if name not in by_leaf:
                continue
        if current is None:
            continue
        relative = _relative_path(element, current, local)
        if relative is None:
            continue
        for field, rank, pattern in by_leaf[name]:
            if rank < ranks[field][-1] and pattern.fullmatch(relative):
                text = element.text
                if text is not None and text.strip():
                    columns[field][-1] = text
                    ranks[field][-1] = rank
    return n_points, columns


def _relative_path(
    element: etree._Element, point: etree._Element, local: dict[str, str]
) -> str | None:
    """Local-name path from ``point`` down to ``element``, or ``None`` if outside the point."""
    steps = []
    node: etree._Element | None = element
    for _ in range(8):
        if node is None:
            return None
        if node is point:
            return "/".join(reversed(steps))
        tag = node.tag
        name = local.get(tag) if isinstance(tag, str) else None
        if name is None:
            name = tag.rpartition("}")[2] if isinstance(tag, str) else ""
        steps.append(name)
        node = node.getparent()
    return None


@lru_cache(maxsize=256)
def _path_pattern(path: str) -> re.Pattern[str]:
    """A regex matching the relative local-name path of a field (``//`` = any depth)."""
    parts = path.split("//")
    body = "/(?:[^/]+/)*".join(
        "/".join(re.escape(step) for step in part.split("/")) for part in parts
    )
    return re.compile(body)


def to_float(values: Sequence[str]) -> np.ndarray:
    """Strings to float64 in bulk; empty or unparseable strings become NaN."""
    if not len(values):
        return np.empty(0, dtype=float)
    try:
        return np.array(values, dtype=float)
    except ValueError:
        return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)


def to_utc(values: Sequence[str]) -> pd.DatetimeIndex:
    """ISO 8601 strings (``Z``, offsets, fractional seconds, naive = UTC) to a UTC index (ns).

    Unparseable or empty strings become ``NaT``.
    """
    if not len(values):
        return pd.DatetimeIndex([], tz="UTC").as_unit("ns")
    parsed = pd.DatetimeIndex(
        pd.to_datetime(
            pd.Series(values, dtype=object).str.strip(), utc=True, format="ISO8601", errors="coerce"
        )
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
