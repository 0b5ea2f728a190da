"""A GPX/TCX document opened for reading: its root, whether it ended early, and its points.

The GPX and TCX readers open a document the same way: a safe lxml parse that keeps the complete
points of a truncated file (:func:`~finishline.io.xml_safe.parse_xml_prefix`), then tables of
the points under chosen containers (:func:`~finishline.io.xml_safe.point_table`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lxml import etree

from finishline.io.xml_safe import PointTable, parse_xml_prefix, point_table


@dataclass
class XmlDocument:
    """A GPX/TCX document opened for reading.

    Attributes
    ----------
    root
        The root element.
    truncated
        The document ended early; only its complete points were read.
    fields
        Column name -> local name(s) of each field of a point, as for
        :func:`~finishline.io.xml_safe.point_table`.
    """

    root: etree._Element
    truncated: bool
    fields: Mapping[str, str]

    def points(self, containers: Sequence[etree._Element], point_tag: str) -> PointTable:
        """The table of the points named ``point_tag`` under ``containers``, in order."""
        return point_table(containers, point_tag, self.fields)


def open_document(
    data: bytes, source: str | None, point_tag: str, fields: Mapping[str, str]
) -> XmlDocument:
    """Parse a GPX/TCX document safely; a truncated document keeps its complete points.

    Parameters
    ----------
    data, source
        The document and its file name (for messages).
    point_tag
        Local name of a point (``"trkpt"``, ``"Trackpoint"``): a truncated document is cut after
        the last complete one.
    fields
        As for :func:`~finishline.io.xml_safe.point_table`.

    Raises
    ------
    UnsafeFileError
        The DOCTYPE declares entities (checked before anything is parsed).
    FileFormatError
        Malformed XML that is not a truncated document.
    """
    root, truncated = parse_xml_prefix(data, source, record_tag=point_tag)
    return XmlDocument(root, truncated=truncated, fields=fields)
