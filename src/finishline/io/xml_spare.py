"""Spare result buffers of the compiled scanner, kept per thread from one document to the next.

The tag arrays of a document (:func:`~finishline.io.xml_scan.tokenize`,
:func:`~finishline.io.xml_names.local_names`: about 25 bytes per tag, a megabyte and a half for
a marathon's TCX) are needed only while it is opened. Allocated afresh for every document,
they are memory the allocator maps, and after the read hands back to the system, again and
again: the page faults cost more than the scan itself. :func:`~finishline.io.xml_document.
open_document` lends its thread's :class:`Spare` to the scan, which writes the arrays of the
next document into those of the previous one where they are large enough.

Safety: only :func:`~finishline.io.xml_document.open_document` passes a spare, and nothing it
returns refers to the tag arrays (the points, field ranges and values are arrays of their
own), so a document's arrays are only rewritten once it is no longer read. Buffers above
:data:`KEEP_BYTES` are not kept (a very large file keeps no memory after its read).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

#: Most bytes of spare buffers kept per thread and kind (tags, names): 8 MiB, the arrays of
#: documents up to about half a million tags (a 15 MB TCX); at most 16 MiB per thread.
KEEP_BYTES = 8 << 20

_LOCAL = threading.local()


@dataclass
class Spare:
    """The buffers of the last document's tags and names (``None`` before the first)."""

    tags: tuple[bytearray, ...] | None = None
    names: tuple[bytearray, ...] | None = None

    def keep_tags(self, arrays: tuple[bytearray, ...]) -> None:
        """Keep ``arrays`` (as :func:`finishline.io._xmlscan.tags` gave them) for the next scan."""
        self.tags = arrays if _size(arrays) <= KEEP_BYTES else None

    def keep_names(self, arrays: tuple[bytearray, ...]) -> None:
        """Keep ``arrays`` (as :func:`finishline.io._xmlscan.names` gave them) for the next scan."""
        self.names = arrays if _size(arrays) <= KEEP_BYTES else None


def _size(arrays: tuple[bytearray, ...]) -> int:
    return sum(len(array) for array in arrays)


def thread_spare() -> Spare:
    """This thread's spare buffers."""
    spare = getattr(_LOCAL, "spare", None)
    if spare is None:
        spare = _LOCAL.spare = Spare()
    return spare
