"""Which tags are which: local names and attribute values of tags, vectorised with numpy.

A tag's name is read as 64-bit words (8 bytes at a time) and compared with the wanted local
names in bulk; the end of the name and the namespace prefix are found with the classic SWAR
("SIMD within a register") byte tests, so there is no Python object per tag. Matching is by
local name, whatever the prefix (``gpxtpx:hr``, ``ns3:Speed`` and ``hr`` are all ``hr``).

References
----------
S. E. Anderson, "Bit Twiddling Hacks" (determine if a word has a zero byte / a byte less
than n), Stanford, 1997-2005.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from finishline.io.xml_compiled import compiled
from finishline.io.xml_scan import Tags
from finishline.io.xml_spare import Spare
from finishline.io.xml_values import byte_rows

#: Wanted local names may be at most this long (bytes): two words.
MAX_LOCAL_NAME = 16

#: Prefix and name are looked for in the first four words after ``<``.
_NAME_WORDS = 4

_ONE = np.uint64(1)
_ONES = np.uint64(0x0101010101010101)
_HIGH = np.uint64(0x8080808080808080)
_LOW_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
_NAME = re.compile(rb"[^\s/>]+")


def _has_zero_byte(words: np.ndarray) -> np.ndarray:
    """High bit set in each byte of ``words`` that is zero (exact for the lowest such byte)."""
    return (words - _ONES) & ~words & _HIGH


def _has_byte(words: np.ndarray, byte: int) -> np.ndarray:
    return _has_zero_byte(words ^ (_ONES * np.uint64(byte)))


def _has_byte_below(words: np.ndarray, limit: int) -> np.ndarray:
    """High bit set in bytes below ``limit`` (``limit`` <= 128; exact for the lowest one)."""
    return (words - _ONES * np.uint64(limit)) & ~words & _HIGH


def _first_flag(flags: np.ndarray) -> np.ndarray:
    """Index (0-7) of the lowest flagged byte of each word; 8 where none is flagged.

    The bits below the lowest set bit, counted, are 8 per byte before it (64 for no flag).
    """
    lowest = flags & (~flags + _ONE)
    return (np.bitwise_count(lowest - _ONE) >> 3).astype(np.int64)


def _name_end(words: np.ndarray, offset: int, limit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the name ends and its first colon is, within ``words`` (offsets from ``offset``).

    The name ends at the first byte below 0x21 (whitespace before an attribute) or at
    ``limit`` (the tag's ``>``, or its ``/>``); -1 for no colon.
    """
    n_words, n = words.shape
    end = np.full(n, offset + 8 * n_words, dtype=np.int64)
    colon = np.full(n, -1, dtype=np.int64)
    for k in range(n_words - 1, -1, -1):
        space_at = _first_flag(_has_byte_below(words[k], 33))
        end = np.where(space_at < 8, offset + 8 * k + space_at, end)
        colon_at = _first_flag(_has_byte(words[k], 58))
        colon = np.where(colon_at < 8, offset + 8 * k + colon_at, colon)
    end = np.minimum(end, limit)
    return end, np.where(colon < end, colon, -1)


_MIX0 = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xC2B2AE3D27D4EB4F)


def _match(
    encoded: Sequence[bytes], key0: np.ndarray, key1: np.ndarray, length: np.ndarray
) -> np.ndarray:
    """Index of the wanted name equal to each (key0, key1, length), -1 for none.

    The three parts are mixed into one 64-bit code looked up in the sorted codes of the wanted
    names; each hit is then checked part by part, so a code collision cannot mismatch.
    """
    keys = []
    for name in encoded:
        padded = name.ljust(16, b"\0")
        keys.append((int.from_bytes(padded[:8], "little"), int.from_bytes(padded[8:], "little")))
    want0 = np.array([k[0] for k in keys], dtype=np.uint64)
    want1 = np.array([k[1] for k in keys], dtype=np.uint64)
    want_len = np.array([len(name) for name in encoded], dtype=np.uint64)
    with np.errstate(over="ignore"):
        wanted_codes = want0 ^ (want1 * _MIX0) ^ (want_len * _MIX1)
        codes = key0 ^ (key1 * _MIX0) ^ (length.astype(np.uint64) * _MIX1)
    order = np.argsort(wanted_codes)
    sorted_codes = wanted_codes[order]
    at = np.minimum(np.searchsorted(sorted_codes, codes), len(order) - 1)
    index = order[at]
    hit = (sorted_codes[at] == codes) & (length > 0)
    hit &= (want0[index] == key0) & (want1[index] == key1)
    hit &= want_len[index] == length.astype(np.uint64)
    return np.where(hit, index, -1)


def _words(buf: np.ndarray, offsets: np.ndarray, count: int) -> np.ndarray:
    """``count`` little-endian 64-bit words from each offset, as a ``(count, n)`` array.

    Read through an unaligned 64-bit view of the buffer (one gather per word); bytes past the
    end of the buffer read as zero.
    """
    size = len(buf)
    n = len(offsets)
    out = np.empty((count, n), dtype=np.uint64)
    if size < 8:
        rows = byte_rows(buf, offsets, 8 * count)
        return np.ascontiguousarray(rows.view("<u8").T)
    view = np.ndarray(shape=(size - 7,), dtype="<u8", buffer=buf, strides=(1,))
    last = size - 8
    if not len(offsets) or int(offsets.max()) + 8 * (count - 1) <= last:
        for k in range(count):  # the usual case: every word lies inside the buffer
            out[k] = view[offsets + 8 * k if k else offsets]
        return out
    for k in range(count):
        at = offsets + 8 * k
        out[k] = view[np.minimum(at, last)]
        beyond = np.flatnonzero(at > last)
        if len(beyond):  # the last words of the buffer, zero-padded
            out[k, beyond] = byte_rows(buf, at[beyond], 8).view("<u8").ravel()
    return out


@dataclass
class Names:
    """The local name of each opening tag, as an index into the wanted names.

    Attributes
    ----------
    ids
        For each tag: index into ``wanted`` of its local name, -1 for any other name (and for
        closing tags).
    prefixed
        For each tag: it is an opening tag whose name has a namespace prefix.
    prefix_length
        Length of that prefix (0 where there is none).
    length
        Length of each opening tag's qualified name (prefix, colon and local name); 0 for
        closing tags.
    pairs_match
        Every closing tag names exactly the element it closes (``</a>`` for ``<a ...>``).
        Conservative: a closing tag with space before its ``>`` counts as a mismatch (libxml2
        then decides, see :func:`finishline.io.xml_document.open_document`).
    """

    wanted: tuple[str, ...]
    ids: np.ndarray
    prefixed: np.ndarray
    prefix_length: np.ndarray
    length: np.ndarray
    pairs_match: bool

    def of(self, *names: str) -> np.ndarray:
        """Mask of the tags with one of ``names``."""
        mask = np.zeros(len(self.ids), dtype=bool)
        for name in names:
            mask |= self.ids == self.wanted.index(name)
        return mask


#: Tags handled per numpy pass (bounds the temporary arrays of a large document).
CHUNK_TAGS = 1 << 18


def local_names(tags: Tags, wanted: Sequence[str], spare: Spare | None = None) -> Names:
    """Identify the opening tags whose local name is one of ``wanted``.

    An element's name is read from its closing tag, whose length is known (``</name>``), and
    checked byte for byte against its opening tag at the same time
    (:attr:`Names.pairs_match`); only empty elements, elements left open by a truncation and
    closing tags with space before their ``>`` have their name delimited in the opening tag
    (first whitespace, ``/`` or ``>``).

    Parameters
    ----------
    tags
        The tags of a document (:func:`~finishline.io.xml_scan.tokenize`).
    wanted
        Local names (ASCII, at most :data:`MAX_LOCAL_NAME` bytes).
    spare
        Buffers the compiled scanner may write the arrays into
        (:mod:`~finishline.io.xml_spare`).
    """
    encoded = [name.encode("ascii") for name in wanted]
    if any(len(name) > MAX_LOCAL_NAME or not name for name in encoded):
        raise ValueError(f"wanted names must be 1-{MAX_LOCAL_NAME} ASCII bytes: {wanted}")
    scanner = compiled()
    if scanner is not None and len(encoded) < 127:
        found = scanner.names(
            tags.text,
            tags.lt,
            tags.gt,
            tags.closing,
            tags.empty,
            tags.close,
            tuple(encoded),
            None if spare is None else spare.names,
        )
        if found is not None:  # None: a long unpaired name, read below
            ids, prefix, length, pairs_match = found
            if spare is not None:
                spare.keep_names((ids, prefix, length))
            n = len(tags.lt)
            prefix_length = np.frombuffer(prefix, dtype=np.int32, count=n)
            return Names(
                tuple(wanted),
                np.frombuffer(ids, dtype=np.int8, count=n),
                prefix_length > 0,
                prefix_length,
                np.frombuffer(length, dtype=np.int32, count=n),
                pairs_match,
            )
    n = len(tags.lt)
    ids = np.full(n, -1, dtype=np.int8 if len(encoded) < 127 else np.int64)
    prefix_length = np.zeros(n, dtype=np.int32)
    length = np.zeros(n, dtype=np.int32)
    paired = tags.opening & ~tags.empty & (tags.close >= 0)
    # a closing tag with space before its '>' ("</a >") does not give the name's length
    spaced = np.zeros(n, dtype=bool)
    spaced[paired] = tags.buf[tags.gt[tags.close[paired]] - 1] <= 32
    paired &= ~spaced
    pairs_match = not spaced.any()
    groups = ((True, np.flatnonzero(paired)), (False, np.flatnonzero(tags.opening & ~paired)))
    for by_closing_tag, rows in groups:
        for start in range(0, len(rows), CHUNK_TAGS):
            chunk = rows[start : start + CHUNK_TAGS]
            if by_closing_tag:
                found, colon, end, match = _paired_names(tags, chunk, encoded)
                pairs_match &= match
            else:
                found, colon, end = _names(tags, chunk, encoded)
            ids[chunk] = found
            prefix_length[chunk] = np.maximum(colon, 0)
            length[chunk] = end
    return Names(tuple(wanted), ids, prefix_length > 0, prefix_length, length, pairs_match)


def _paired_names(
    tags: Tags, rows: np.ndarray, encoded: list[bytes]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """:func:`_names` for elements with a closing tag, and whether every pair names alike."""
    closing = tags.close[rows]
    opening_at = tags.lt[rows].astype(np.int64) + 1
    closing_at = tags.lt[closing].astype(np.int64) + 2
    end = tags.gt[closing].astype(np.int64) - closing_at  # the name's length
    match = bool((end >= 1).all())
    after = tags.buf[np.minimum(opening_at + end, len(tags.buf) - 1)]
    match &= bool(((after <= 32) | (after == 47) | (after == 62)).all())
    # The first two words (16 bytes) of every name, the bytes past the name masked out; the
    # rest only for the few longer names.
    words = _words(tags.buf, closing_at, 2)
    mask0, mask1 = _LOW_MASKS[np.clip(end, 0, 8)], _LOW_MASKS[np.clip(end - 8, 0, 8)]
    words[0] &= mask0
    words[1] &= mask1
    if match:
        mine = _words(tags.buf, opening_at, 2)
        mine[0] &= mask0
        mine[1] &= mask1
        match = bool((words == mine).all())
    colon = np.full(len(rows), -1, dtype=np.int64)
    # a masked-out byte is zero, never a colon: only names with a colon are located
    with_colon = np.flatnonzero(_has_byte(words[0], 58) | _has_byte(words[1], 58))
    if len(with_colon):
        for k in (1, 0):
            at = _first_flag(_has_byte(words[k, with_colon], 58))
            colon[with_colon] = np.where(at < 8, 8 * k + at, colon[with_colon])
    long = np.flatnonzero(end > 16)
    if len(long):
        match &= _long_names(tags, opening_at[long], closing_at[long], end[long], colon, long)
        colon = np.where(colon < end, colon, -1)
    local_start = colon + 1
    local_length = end - local_start
    candidate = (local_length >= 1) & (local_length <= MAX_LOCAL_NAME)
    moved = np.flatnonzero(candidate & (local_start > 0))
    if len(moved):
        local = _words(tags.buf, closing_at[moved] + local_start[moved], 2)
        local[0] &= _LOW_MASKS[np.clip(local_length[moved], 0, 8)]
        local[1] &= _LOW_MASKS[np.clip(local_length[moved] - 8, 0, 8)]
        words[:, moved] = local
    found = _match(encoded, words[0], words[1], np.where(candidate, local_length, 0))
    return found, colon, end, match


def _long_names(
    tags: Tags,
    opening_at: np.ndarray,
    closing_at: np.ndarray,
    end: np.ndarray,
    colon: np.ndarray,
    rows: np.ndarray,
) -> bool:
    """Names longer than 16 bytes: compare their other bytes, find a colon there (in place)."""
    n_words = min((int(end.max()) - 16 + 7) // 8, 4)
    words = _words(tags.buf, closing_at + 16, n_words)
    mine = _words(tags.buf, opening_at + 16, n_words)
    match = True
    for k in range(n_words):
        if ((words[k] ^ mine[k]) & _LOW_MASKS[np.clip(end - 16 - 8 * k, 0, 8)]).any():
            match = False
    later = np.full(len(rows), -1, dtype=np.int64)
    for k in range(n_words - 1, -1, -1):
        at = _first_flag(_has_byte(words[k], 58))
        later = np.where(at < 8, 16 + 8 * k + at, later)
    colon[rows] = np.where(colon[rows] >= 0, colon[rows], later)
    for i in np.flatnonzero(end > 16 + 8 * n_words):  # names longer than 48 bytes
        size = int(end[i])
        a, b = int(opening_at[i]), int(closing_at[i])
        match &= tags.text[a : a + size] == tags.text[b : b + size]
        found = tags.text[b : b + size].find(b":")
        colon[rows[i]] = found
    return match


def _names(
    tags: Tags, rows: np.ndarray, encoded: list[bytes]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Wanted-name index, colon position and name length of the opening tags ``rows``."""
    starts = tags.lt[rows].astype(np.int64) + 1
    limit = tags.gt[rows] - tags.empty[rows] - starts  # the name cannot run past '>' or '/>'
    words = _words(tags.buf, starts, 2)
    end, colon = _name_end(words, 0, limit)
    longer = np.flatnonzero((end >= 16) & (limit > 16))  # prefix and name beyond two words
    if len(longer):
        more = _words(tags.buf, starts[longer] + 16, _NAME_WORDS - 2)
        more_end, more_colon = _name_end(more, 16, limit[longer])
        end[longer] = more_end
        colon[longer] = np.where(colon[longer] >= 0, colon[longer], more_colon)
    local_start = colon + 1
    local_length = end - local_start
    long_names = end >= 8 * _NAME_WORDS
    candidate = ~long_names & (local_length >= 1) & (local_length <= MAX_LOCAL_NAME)
    local = words
    moved = np.flatnonzero(candidate & (local_start > 0))
    if len(moved):
        local[:, moved] = _words(tags.buf, starts[moved] + local_start[moved], 2)
    key0 = local[0] & _LOW_MASKS[np.clip(local_length, 0, 8)]
    key1 = local[1] & _LOW_MASKS[np.clip(local_length - 8, 0, 8)]
    found = _match(encoded, key0, key1, np.where(candidate, local_length, 0))
    for row in np.flatnonzero(long_names):  # a name (with prefix) of 32 bytes or more
        match = _NAME.match(tags.text, int(starts[row]))
        qualified = match.group() if match else b""
        prefix, _, name = qualified.rpartition(b":")
        if name in encoded:
            found[row] = encoded.index(name)
        colon[row] = len(prefix) if prefix else -1
        end[row] = len(qualified)
    return found, colon, end


def prefixes(tags: Tags, names: Names, mask: np.ndarray) -> set[str]:
    """The distinct namespace prefixes of the tags in ``mask`` (decoded)."""
    rows = np.flatnonzero(mask & names.prefixed)
    if not len(rows):
        return set()
    lengths = names.prefix_length[rows]
    found: set[str] = set()
    while len(rows):
        start, length = int(tags.lt[rows[0]]) + 1, int(lengths[0])
        prefix = tags.text[start : start + length]
        found.add(prefix.decode("utf-8", errors="replace"))
        same = lengths == length
        if same.any():
            window = byte_rows(tags.buf, tags.lt[rows[same]] + 1, length)
            same[same] = (window == np.frombuffer(prefix, dtype=np.uint8)).all(axis=1)
        rows, lengths = rows[~same], lengths[~same]
    return found
