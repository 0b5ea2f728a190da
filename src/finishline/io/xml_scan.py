"""The tags of a well-formed XML document, found with numpy over its bytes (no tree, no objects).

A GPX or TCX file is mostly points: tens of thousands of small elements. Building an lxml tree
of them and walking it costs more than everything else a reader does, so the readers locate the
points and their values directly in the bytes, as arrays:

1. :func:`prepare` makes the bytes easy to scan: UTF-16/32 is transcoded to UTF-8; in the
   document element, comments and processing instructions are removed and CDATA sections
   become escaped text (what libxml2 gives with ``remove_comments``/``remove_pis``); the DOCTYPE
   is checked for entity declarations over its whole length.
2. :func:`tokenize` finds every tag (``<`` and its ``>``), whether it opens, closes or is empty,
   its nesting level, and the closing tag of each element.

In a well-formed document, ``<`` only ever starts markup once comments, CDATA and processing
instructions are gone, and the elements of each nesting level alternate open, close, open,
close. :attr:`Tags.nested` says whether that held; the caller decides what to do when it did
not (:func:`finishline.io.xml_document.open_document` asks libxml2).
"""

from __future__ import annotations

import codecs
import re
import threading
from dataclasses import dataclass

import numpy as np

from finishline.errors import UnsafeFileError
from finishline.io.xml_compiled import compiled
from finishline.io.xml_spare import Spare

#: Bytes scanned per numpy pass when locating ``<`` and ``>`` (bounds temporary memory).
CHUNK_BYTES = 1 << 22

_DECLARATION = re.compile(rb"<\?xml[^>]*\?>")
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_DOCTYPE = re.compile(rb"<!DOCTYPE(?:[^\[>]*)(?:\[.*?\]\s*)?>", re.DOTALL)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_TAG = re.compile(rb"""<[^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*>""")
_ESCAPES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;"}


@dataclass
class Prepared:
    """A document ready to scan.

    Attributes
    ----------
    text
        The document in an ASCII-compatible encoding.
    body
        Offset of the document element's start tag in ``text`` (-1 when there is none).
    """

    text: bytes
    body: int


def _transcode(data: bytes) -> bytes | None:
    """UTF-8 bytes of a UTF-16/32 document (its XML declaration dropped), or ``None``."""
    codec = None
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        codec = "utf-32"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codec = "utf-16"
    elif data[:4] == b"<\x00\x00\x00":
        codec = "utf-32-le"
    elif data[:4] == b"\x00\x00\x00<":
        codec = "utf-32-be"
    elif data[:2] == b"<\x00":
        codec = "utf-16-le"
    elif data[:2] == b"\x00<":
        codec = "utf-16-be"
    else:
        head = _DECLARATION.match(data.removeprefix(codecs.BOM_UTF8))
        declared = _ENCODING.search(head.group()) if head else None
        if declared is None:
            return None
        try:
            info = codecs.lookup(declared.group(1).decode("ascii"))
        except LookupError:
            return None  # libxml2 accepted a name Python does not know: scan the bytes as they are
        if "<?xml".encode(info.name, errors="replace") == b"<?xml":
            return None  # ASCII-compatible: markup bytes are ASCII, values are scanned as bytes
        codec = info.name
    text = data.decode(codec, errors="replace").removeprefix("\ufeff")
    declaration = re.match(r"<\?xml[^>]*\?>", text)
    if declaration:
        text = text[declaration.end() :]
    return text.encode("utf-8")


def prepare(data: bytes, source: str | None) -> Prepared:
    """Bytes to scan: transcoded to an ASCII-compatible encoding, the prolog skipped.

    Raises
    ------
    UnsafeFileError
        The DOCTYPE declares entities (anywhere in its internal subset).
    """
    text = _transcode(data)
    if text is None:
        text = data
    pos = 3 if text.startswith(codecs.BOM_UTF8) else 0
    while True:
        pos = text.find(b"<", pos)
        if pos < 0 or pos + 1 >= len(text):
            return Prepared(text, -1)
        marker = text[pos + 1 : pos + 2]
        if marker == b"?":
            end = text.find(b"?>", pos)
            pos = len(text) if end < 0 else end + 2
        elif text.startswith(b"<!--", pos):
            end = text.find(b"-->", pos)
            pos = len(text) if end < 0 else end + 3
        elif text.startswith(b"<!DOCTYPE", pos):
            match = _DOCTYPE.match(text, pos)
            end = match.end() if match else len(text)
            if _ENTITY.search(text, pos, end):
                raise UnsafeFileError(
                    "XML declares entities in its DOCTYPE (refused for safety)", source
                )
            pos = end
        elif marker == b"!":
            pos += 2
        else:
            break
    return Prepared(text, pos)


def _resolve_body(text: bytes, body: int) -> bytes:
    """``text`` with the comments, PIs and CDATA sections after ``body`` resolved."""
    first = min((i for i in (text.find(b"<!", body), text.find(b"<?", body)) if i >= 0), default=-1)
    if first < 0:
        return text
    pieces = [text[:first]]
    pos = first
    while pos < len(text):
        special = [i for i in (text.find(b"<!", pos), text.find(b"<?", pos)) if i >= 0]
        if not special:
            pieces.append(text[pos:])
            break
        at = min(special)
        pieces.append(text[pos:at])
        if text.startswith(b"<![CDATA[", at):
            end = text.find(b"]]>", at)
            if end < 0:
                break  # cut inside: the document is truncated there
            content = text[at + 9 : end].decode("latin-1").translate(_ESCAPES)
            pieces.append(content.encode("latin-1"))
            pos = end + 3
        elif text.startswith(b"<!--", at):
            end = text.find(b"-->", at)
            if end < 0:
                break
            pos = end + 3
        elif text.startswith(b"<?", at):
            end = text.find(b"?>", at)
            if end < 0:
                break
            pos = end + 2
        else:  # "<!" of nothing known: leave it to the scan (libxml2 refused such documents)
            pieces.append(text[at : at + 2])
            pos = at + 2
    return b"".join(pieces)


def byte_positions(
    buf: np.ndarray, byte: int, start: int = 0, stop: int | None = None
) -> np.ndarray:
    """Offsets (int64, in order) of every ``byte`` in ``buf[start:stop]``, scanned in chunks."""
    stop = len(buf) if stop is None else stop
    found = [
        np.flatnonzero(buf[i : min(i + CHUNK_BYTES, stop)] == byte) + i
        for i in range(start, stop, CHUNK_BYTES)
    ]
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def markup_positions(buf: np.ndarray, start: int) -> np.ndarray:
    """Offsets of every ``<`` and ``>`` in ``buf[start:]``, in order, scanned in chunks (int32).

    ``<`` (0x3C) and ``>`` (0x3E) differ only in bit 1, so one comparison finds both. Offsets
    fit int32: documents are at most 256 MiB (:data:`finishline.io.source.MAX_ACTIVITY_BYTES`).
    """
    if len(buf) >= 2**31:
        raise ValueError("documents over 2 GiB are not scanned")
    bits, hits = _scratch(min(CHUNK_BYTES, max(len(buf) - start, 0)))
    found = []
    for i in range(start, len(buf), CHUNK_BYTES):
        chunk = buf[i : i + CHUNK_BYTES]
        n = len(chunk)
        np.bitwise_or(chunk, 2, out=bits[:n])
        np.equal(bits[:n], 62, out=hits[:n])
        found.append((np.flatnonzero(hits[:n]) + i).astype(np.int32))
    return np.concatenate(found) if found else np.empty(0, dtype=np.int32)


_SCRATCH = threading.local()


def _scratch(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Two work arrays of ``size`` bytes, kept per thread between documents.

    Fresh arrays of a document's size cost more to map and fault in than the pass over them;
    at most :data:`CHUNK_BYTES` of each are kept.
    """
    bits = getattr(_SCRATCH, "bits", None)
    if bits is None or len(bits) < size:
        _SCRATCH.bits = bits = np.empty(size, dtype=np.uint8)
        _SCRATCH.hits = np.empty(size, dtype=bool)
    return bits, _SCRATCH.hits


@dataclass
class Tags:
    """Every complete tag of a document body, in document order.

    Attributes
    ----------
    text, buf
        The prepared document and a uint8 view of it.
    lt, gt
        Offsets of each tag's ``<`` and ``>``.
    closing, empty
        The tag closes an element (``</x>``) / is an empty element (``<x/>``).
    level
        Nesting level of the element the tag belongs to (the document element is 1).
    close
        For an opening tag, the index of its closing tag (itself for an empty element, -1
        when the document ends before it closes); -1 for closing tags.
    nested
        Every closing tag closes an element opened at its level (names not compared: see
        :attr:`finishline.io.xml_names.Names.pairs_match`).
    """

    text: bytes
    buf: np.ndarray
    lt: np.ndarray
    gt: np.ndarray
    closing: np.ndarray
    empty: np.ndarray
    level: np.ndarray
    close: np.ndarray
    nested: bool

    @property
    def opening(self) -> np.ndarray:
        """Tags that open an element (including empty elements)."""
        return ~self.closing


def tokenize(prepared: Prepared, spare: Spare | None = None) -> Tags:
    """Locate every complete tag of the document element and pair opening with closing tags.

    Comments, processing instructions and CDATA sections in the document element are resolved
    first (removed; CDATA becomes escaped text), as libxml2 does with ``remove_comments`` and
    ``remove_pis``: after that, every ``<`` starts a tag.

    The compiled scanner (:mod:`~finishline.io.xml_compiled`) takes the usual case (no
    comment, processing instruction or ``>`` in the body's text) in one pass; anything else
    is done here with numpy, to the same arrays. With a ``spare``, the compiled scanner writes
    the arrays into those of the previous document (:mod:`~finishline.io.xml_spare`).
    """
    text, body = prepared.text, prepared.body
    buf = np.frombuffer(text, dtype=np.uint8)
    scanner = compiled()
    found = None
    if scanner is not None:
        found = scanner.tags(text, body, None if spare is None else spare.tags)
    if found is not None:  # the compiled scanner took the usual case
        *arrays, nested, n = found
        if spare is not None:
            spare.keep_tags(tuple(arrays))
        dtypes = (np.int32, np.int32, bool, bool, np.int16, np.int32)
        lt, gt, closing, empty, level, close = (
            np.frombuffer(array, dtype=dtype, count=n)
            for array, dtype in zip(arrays, dtypes, strict=True)
        )
        return Tags(text, buf, lt, gt, closing, empty, level, close, nested)
    marks = markup_positions(buf, body)
    is_lt = buf[marks] == 60
    after_lt = buf[np.minimum(marks + 1, len(buf) - 1)]  # the byte after each mark
    if (is_lt & ((after_lt == 33) | (after_lt == 63))).any():  # "<!" or "<?" after the prolog
        text = _resolve_body(text, body)
        buf = np.frombuffer(text, dtype=np.uint8)
        marks = markup_positions(buf, body)
        is_lt = buf[marks] == 60
        after_lt = buf[np.minimum(marks + 1, len(buf) - 1)]
    n = len(marks)
    alternate = bool(is_lt[0::2].all()) and not is_lt[1::2].any()
    if alternate:  # the usual case: no '>' outside tags (or cut inside the last tag)
        lt, gt = marks[0 : n - n % 2 : 2].copy(), marks[1::2].copy()
        closing = after_lt[0 : n - n % 2 : 2] == 47
    else:
        lt, gt = _tag_ends(text, marks[is_lt], marks[~is_lt])
        closing = buf[lt + 1] == 47
    empty = (buf[gt - 1] == 47) & ~closing
    step = closing.astype(np.int16)
    step *= -2
    step += 1
    step[empty] = 0
    level = np.cumsum(step, dtype=np.int16)
    level += closing | empty
    close, nested = _pair(level, closing, empty)
    return Tags(text, buf, lt, gt, closing, empty, level, close, nested)


def _tag_ends(text: bytes, lt: np.ndarray, gt_all: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The complete tags and their ``>`` when some text or attribute value holds a ``>`` too.

    A tag followed by a single ``>`` before the next ``<`` ends there; otherwise the tag is
    matched with quotes honoured (an attribute value may hold ``>``).
    """
    after = np.searchsorted(gt_all, lt)  # first '>' at or after each '<'
    complete = after < len(gt_all)
    lt, after = lt[complete], after[complete]
    gt = gt_all[after]
    following = np.r_[after[1:], len(gt_all)]
    for i in np.flatnonzero(following - after > 1):
        match = _TAG.match(text, int(lt[i]))
        gt[i] = match.end() - 1 if match else -1
    keep = gt >= 0
    return lt[keep], gt[keep]


def _pair(level: np.ndarray, closing: np.ndarray, empty: np.ndarray) -> tuple[np.ndarray, bool]:
    """Index of the closing tag of each opening tag (see :attr:`Tags.close`), and whether
    every closing tag has an opening tag.

    A start tag followed directly by an end tag is a leaf (``<ele>259.2</ele>``), most of the
    elements of a GPX/TCX file: they pair with their neighbour. For the others, within one
    nesting level the opening and closing tags of a well-formed document alternate (taking the
    leaves out of a level leaves it alternating); a stable sort by level lines each opening tag
    up with its closing tag.
    """
    n = len(level)
    close = np.full(n, -1, dtype=np.int32)
    close[empty] = np.flatnonzero(empty)
    leaf = np.zeros(n, dtype=bool)
    if n > 1:
        leaf[:-1] = ~closing[:-1] & ~empty[:-1] & closing[1:]
    leaves = np.flatnonzero(leaf).astype(np.int32)
    close[leaves] = leaves + 1
    rest = ~empty & ~leaf
    rest[leaves + 1] = False
    paired = np.flatnonzero(rest).astype(np.int32)
    # a stable sort of small integers is a radix sort in numpy
    order = paired[np.argsort(level[paired], kind="stable")]
    n_closing = int(closing.sum())
    if len(order) < 2:
        return close, n_closing == len(leaves)
    opens = ~closing[order]
    pair = opens[:-1] & ~opens[1:] & (level[order[:-1]] == level[order[1:]])
    close[order[:-1][pair]] = order[1:][pair]
    return close, n_closing == len(leaves) + int(pair.sum())
