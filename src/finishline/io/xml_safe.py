"""Safe, namespace-agnostic XML access for the GPX and TCX readers.

Safety (the defusedxml rules, with lxml):

- a document whose DOCTYPE declares any entity is refused with
  :class:`~finishline.errors.UnsafeFileError` before it is parsed (billion laughs, quadratic
  blow-up, XXE); the check is repeated over the whole DOCTYPE when the document is scanned;
- the parser never resolves entities, never loads a DTD, never touches the network and keeps
  libxml2's size limits (``huge_tree=False``).

Well-formedness: :func:`validate_xml` runs libxml2 over the document without building a tree
(a parser target with no callbacks); a document that is well-formed up to a premature end of
data is *truncated*, any other error is malformed XML. The readers call it when their own
structural check is not conclusive (:mod:`finishline.io.xml_document`). Every message is one
line (libxml2's may hold newlines).

Names are local names only (``"hr"``, ``"trk/trkseg"``) and match any namespace or prefix, so
GPX 1.0 and 1.1, Garmin TrackPointExtension v1/v2 and TCX ActivityExtension v2 with any prefix
all read the same way. :func:`find_all` and :func:`find_text` walk child steps of the (small)
skeleton tree directly: XPath with ``local-name()`` predicates costs far more per call.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from lxml import etree

from finishline.errors import FileFormatError, UnsafeFileError
from finishline.io.activity_columns import utc_times
from finishline.io.xml_values import NAT, parse_times

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


def one_line(text: object) -> str:
    """``text`` with every run of whitespace (libxml2 ends lines with newlines) as one space."""
    return " ".join(str(text).split())


def _malformed(exc: etree.XMLSyntaxError, source: str | None) -> FileFormatError:
    line = exc.lineno if exc.lineno else "?"
    return FileFormatError(one_line(f"malformed XML at line {line}: {exc.msg}"), source)


class _NoEvents:
    """A parser target without callbacks: libxml2 checks the document and builds nothing."""

    def close(self) -> None:
        return None


#: Bytes fed to the validating parser at a time (its buffer stays this small).
FEED_BYTES = 1 << 22


@dataclass
class Validation:
    """What :func:`validate_xml` found.

    Attributes
    ----------
    truncated
        The document is well-formed up to a premature end of data.
    error
        The error libxml2 gave at that end (to raise when nothing can be recovered).
    """

    truncated: bool
    error: FileFormatError | None = None
    data: bytes | None = None


def validate_xml(data: bytes, source: str | None = None, salvage: bool = False) -> Validation:
    """Check that ``data`` is well-formed XML, or well-formed up to a premature end.

    libxml2's push parser reports an error in the bytes it has been fed as soon as it sees it;
    an end of data that comes too early is reported only when the parser is closed.
    Namespace prefixes are not checked here (see :func:`parse_xml`).

    With ``salvage`` (the bytes come from a damaged gzip stream, whose last decoded bytes may
    be garbage), a document that is well-formed up to an error is read as if it ended before
    the line of the error: :attr:`Validation.data` is that prefix.

    Raises
    ------
    UnsafeFileError
        The DOCTYPE declares entities.
    FileFormatError
        The bytes are not well-formed XML (and not a truncated well-formed document).
    """
    check_prolog(data, source)
    parser = etree.XMLParser(
        target=_NoEvents(),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    try:
        for start in range(0, len(data), FEED_BYTES):
            parser.feed(data[start : start + FEED_BYTES])
    except etree.XMLSyntaxError as exc:
        error = _malformed(exc, source)
        cut = _line_start(data, exc.lineno) if salvage else 0
        if cut > 0:
            salvaged = validate_xml(data[:cut], source)
            if salvaged.truncated:
                return Validation(truncated=True, error=error, data=data[:cut])
        raise error from exc
    except (ValueError, LookupError) as exc:  # e.g. an unknown encoding name in the declaration
        raise FileFormatError(one_line(f"unreadable XML ({exc})"), source) from exc
    try:
        parser.close()
    except etree.XMLSyntaxError as exc:
        return Validation(truncated=True, error=_malformed(exc, source))
    return Validation(truncated=False)


def _line_start(data: bytes, line: int | None) -> int:
    """Offset of the start of 1-based ``line`` in ASCII-compatible ``data`` (0 if unknown)."""
    if not line or line < 2 or data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4]:
        return 0
    pos = -1
    for _ in range(line - 1):
        pos = data.find(b"\n", pos + 1)
        if pos < 0:
            return 0
    return pos + 1


def parse_xml(data: bytes, source: str | None = None) -> etree._Element:
    """Parse XML bytes safely into a tree and return the root element.

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
        The bytes are not well-formed, namespace-well-formed XML; the message gives the line.
    """
    check_prolog(data, source)
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise _malformed(exc, source) from exc
    except (ValueError, LookupError) as exc:
        raise FileFormatError(one_line(f"unreadable XML ({exc})"), source) from exc
    if root is None:
        raise FileFormatError("XML document has no root element", source)
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise UnsafeFileError("XML declares entities in its DOCTYPE (refused for safety)", source)
    return root


def local_name(element: etree._Element) -> str:
    """The tag of ``element`` without its namespace."""
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    # lxml filters in C: ``{*}name`` is ``name`` in any namespace or none; ``etree.Element``
    # is every element (not comments, processing instructions or entity references)
    return list(element.iterchildren(etree.Element if name == "*" else f"{{*}}{name}"))


def find_all(element: etree._Element, path: str) -> list[etree._Element]:
    """Elements at ``path`` under ``element``, in document order.

    ``path`` is child steps of local names (``"trk/trkseg"``, ``"Activities/*"``), matched
    whatever the namespace; ``*`` is any element.
    """
    nodes = [element]
    for step in path.split("/"):
        nodes = [child for node in nodes for child in _children(node, step)]
    return nodes


def find_text(element: etree._Element, path: str) -> str | None:
    """Stripped text of the first element at ``path`` (see :func:`find_all`), or ``None``.

    A last step ``@name`` gives that attribute of the first element that has it.
    """
    steps = path.split("/")
    if steps[-1].startswith("@"):
        nodes = find_all(element, "/".join(steps[:-1])) if len(steps) > 1 else [element]
        values = (node.get(steps[-1][1:]) for node in nodes)
        text = next((value for value in values if value is not None), None)
    else:
        nodes = find_all(element, path)
        text = nodes[0].text if nodes else None
    if text is None:
        return None
    return text.strip() or None


_SIMPLE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})?"
)


def to_utc(values: Sequence[str | None]) -> pd.DatetimeIndex:
    """ISO 8601 strings (``Z``, offsets, fractional seconds, naive = UTC) to a UTC index (ns).

    Unparseable or empty strings, and times outside what ``datetime64[ns]`` holds, become
    ``NaT`` (see :func:`~finishline.io.xml_values.parse_times`).
    """
    return utc_times(to_utc_ns(values))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_utc_ns(values: Sequence[str | None]) -> np.ndarray:
    """:func:`to_utc` as int64 nanoseconds since the epoch (NaT as the smallest int64).

    A few values (lap starts) in the usual layout go through Python's ISO parser, which costs
    less than a vectorised pass; its microseconds are exact in nanoseconds.
    """
    if len(values) > 64:
        return _parse_many(values)
    out = []
    for value in values:
        text = (value or "").strip()
        moment = _iso_moment(text) if _SIMPLE_TIME.fullmatch(text) else None
        if moment is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if moment is not None and 1678 <= moment.year < 2262:
            out.append((moment - _EPOCH) // _MICROSECOND * 1000)
        else:
            out.append(int(_parse_many([value])[0]) if text else NAT)
    return np.array(out, dtype=np.int64)


def _iso_moment(text: str) -> datetime | None:
    """Python's ISO parser, ``None`` for an impossible date or time (``2020-13-01``)."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _parse_many(values: Sequence[str | None]) -> np.ndarray:
    encoded = [(value or "").encode("utf-8") for value in values]
    lengths = np.array([len(e) for e in encoded], dtype=np.int64)
    ends = np.cumsum(lengths + 1) - 1
    buf = np.frombuffer(b"\n".join(encoded) + b"\n", dtype=np.uint8)
    nanoseconds, _ = parse_times(buf, ends - lengths, ends)
    return nanoseconds


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
