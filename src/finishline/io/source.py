"""Loading raw bytes safely: size limits, gzip (truncated or damaged too), format sniffing.

A gzip stream that is cut short or damaged still yields every byte that decodes before the
break (``zlib.decompressobj``, fed piece by piece): the format reader then reads that prefix as
it reads any truncated file, and the break is reported as a
:class:`~finishline.errors.TruncatedFileWarning` ("the gzip stream is truncated after N bytes
of content"). Only a stream from which nothing decodes is refused.
"""

from __future__ import annotations

import warnings
import zlib
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from finishline.errors import FileFormatError, TruncatedFileWarning, UnsafeFileError

#: The largest file finishline will load (bytes, after decompression). A 24-hour 1 Hz FIT file
#: is ~3 MB and its GPX ~20 MB; 256 MiB is far beyond any real activity.
MAX_ACTIVITY_BYTES = 256 * 1024 * 1024

FIT_MAGIC = b".FIT"
GZIP_MAGIC = b"\x1f\x8b"

#: Compressed bytes given to zlib at a time (and the most output one call may produce).
_INFLATE_STEP = 1 << 16


@dataclass
class Source:
    """The content of a file, and what went wrong while loading it.

    Attributes
    ----------
    data
        The bytes (decompressed for a gzip file).
    note
        A sentence for ``meta.warnings`` when the gzip stream was truncated or damaged and only
        its first bytes were recovered; ``None`` otherwise.
    """

    data: bytes
    note: str | None = None


def load_source(path: str | PathLike[str], max_bytes: int = MAX_ACTIVITY_BYTES) -> Source:
    """Read a file's bytes, gunzipping when it is gzip, refusing anything over ``max_bytes``.

    Warns
    -----
    TruncatedFileWarning
        The gzip stream is truncated or damaged; the bytes decoded before the break are kept.

    Raises
    ------
    FileFormatError
        The file is missing or unreadable, or a gzip stream from which nothing decodes.
    UnsafeFileError
        The file (or its decompressed content) is larger than ``max_bytes``.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise FileFormatError(f"cannot open file ({exc.strerror or exc})", path) from exc
    if not p.is_file():
        raise FileFormatError("not a regular file", path)
    if size > max_bytes:
        raise UnsafeFileError(
            f"file is {size / 2**20:.0f} MiB, larger than any activity "
            f"(limit {max_bytes / 2**20:.0f} MiB)",
            path,
        )
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise FileFormatError(f"cannot read file ({exc.strerror or exc})", path) from exc
    if not raw.startswith(GZIP_MAGIC):
        return Source(raw)
    data, problem = gunzip(raw, path, max_bytes)
    if problem is None:
        return Source(data)
    note = f"the gzip stream is {problem} after {len(data)} bytes of content"
    warnings.warn(f"{path}: {note}", TruncatedFileWarning, stacklevel=2)
    return Source(data, note)


def load_bytes(path: str | PathLike[str], max_bytes: int = MAX_ACTIVITY_BYTES) -> bytes:
    """The bytes of a file, as :func:`load_source` gives them."""
    return load_source(path, max_bytes).data


def gunzip(raw: bytes, path: str | PathLike[str], max_bytes: int) -> tuple[bytes, str | None]:
    """Every byte that decodes from the gzip member(s) in ``raw``, and what stopped it, if anything.

    Returns
    -------
    data, problem
        The content, and ``None`` for a complete stream, ``"truncated"`` when it ends early or
        ``"damaged (<zlib's reason>)"`` when it holds an error.

    Raises
    ------
    FileFormatError
        Nothing at all decodes.
    UnsafeFileError
        The content exceeds ``max_bytes``.
    """
    pieces: list[bytes] = []
    size = 0
    pos = 0
    problem: str | None = None
    while pos < len(raw):
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            pos, produced = _inflate_member(inflater, raw, pos, pieces, max_bytes - size)
        except zlib.error as exc:
            problem = f"damaged ({' '.join(str(exc).split())})"
            break
        except _TooLarge as exc:
            raise UnsafeFileError(
                f"gzip content exceeds {max_bytes / 2**20:.0f} MiB (refused)", path
            ) from exc
        size += produced
        if not inflater.eof:
            problem = "truncated"
            break
        rest = raw[pos : pos + 2]
        if rest != GZIP_MAGIC:
            if raw[pos:].strip(b"\0"):
                problem = "damaged (data after the end of the stream)"
            break
    data = b"".join(pieces)
    if problem is not None and not data:
        raise FileFormatError(f"broken gzip stream ({problem}; nothing decodes)", path)
    return data, problem


class _TooLarge(Exception):
    """The content grew past the size limit (turned into an UnsafeFileError by the caller)."""


def _inflate_member(
    inflater: zlib._Decompress,
    raw: bytes,
    pos: int,
    pieces: list[bytes],
    room: int,
) -> tuple[int, int]:
    """Inflate one gzip member from ``raw[pos:]`` into ``pieces``; keep what decodes before an error.

    Returns the offset after the member (or the end of ``raw``) and the bytes produced; an
    error is raised after the bytes before it were kept (a failing step is retried byte by
    byte from a copy of the inflater, so that nothing decodable is lost).
    """
    produced = 0

    def keep(chunk: bytes) -> None:
        nonlocal produced
        produced += len(chunk)
        if produced > room:
            raise _TooLarge
        if chunk:
            pieces.append(chunk)

    while pos < len(raw) and not inflater.eof:
        step = raw[pos : pos + _INFLATE_STEP]
        saved, kept_pieces, kept_bytes = inflater.copy(), len(pieces), produced
        try:
            keep(inflater.decompress(step, _INFLATE_STEP))
            while inflater.unconsumed_tail and not inflater.eof:
                keep(inflater.decompress(inflater.unconsumed_tail, _INFLATE_STEP))
        except zlib.error:
            # Replay the step byte by byte from before it: keep every byte before the error.
            del pieces[kept_pieces:]
            produced = kept_bytes
            inflater = saved
            for i in range(len(step)):
                keep(inflater.decompress(step[i : i + 1]))
            raise
        consumed = len(step) - len(inflater.unconsumed_tail)
        if inflater.eof:
            consumed -= len(inflater.unused_data)
        pos += consumed
    if not inflater.eof:
        keep(inflater.flush())
    return pos, produced


def sniff_format(data: bytes) -> str | None:
    """Guess the format from content: ``"fit"``, ``"gpx"``, ``"tcx"`` or ``None``.

    A FIT file starts with a 12- or 14-byte header holding ``.FIT`` at bytes 8-11. XML formats
    are recognised by their root element within the first 4 KiB.
    """
    if len(data) >= 12 and data[0] in (12, 14) and data[8:12] == FIT_MAGIC:
        return "fit"
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="ignore")
    elif head[:2] in (b"<\x00", b"\x00<"):  # UTF-16 without a byte-order mark
        text = head.decode("utf-16-le" if head[0] == 0x3C else "utf-16-be", errors="ignore")
    else:
        text = head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="ignore")
    if "<gpx" in text:
        return "gpx"
    if "<TrainingCenterDatabase" in text or "TrainingCenterDatabase" in text:
        return "tcx"
    return None
