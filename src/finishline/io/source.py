"""Loading raw bytes safely: size limits, gzip, and format sniffing from content."""

from __future__ import annotations

import gzip
import io
import zlib
from os import PathLike
from pathlib import Path

from finishline.errors import FileFormatError, UnsafeFileError

#: The largest file finishline will load (bytes, after decompression). A 24-hour 1 Hz FIT file
#: is ~3 MB and its GPX ~20 MB; 256 MiB is far beyond any real activity.
MAX_ACTIVITY_BYTES = 256 * 1024 * 1024

FIT_MAGIC = b".FIT"
GZIP_MAGIC = b"\x1f\x8b"


def load_bytes(path: str | PathLike[str], max_bytes: int = MAX_ACTIVITY_BYTES) -> bytes:
    """Read a file's bytes, gunzipping when it is gzip, refusing anything over ``max_bytes``.

    Raises
    ------
    FileFormatError
        The file is missing, unreadable, or a broken gzip stream.
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
    with p.open("rb") as fh:
        head = fh.read(2)
        if head != GZIP_MAGIC:
            return head + fh.read()
    return _gunzip(p, max_bytes)


def _gunzip(path: Path, max_bytes: int) -> bytes:
    out = io.BytesIO()
    try:
        with gzip.open(path, "rb") as gz:
            while chunk := gz.read(1 << 20):
                out.write(chunk)
                if out.tell() > max_bytes:
                    raise UnsafeFileError(
                        f"gzip content exceeds {max_bytes / 2**20:.0f} MiB (refused)", path
                    )
    except (OSError, EOFError, zlib.error) as exc:
        if out.tell() == 0:
            raise FileFormatError(f"broken gzip stream ({exc})", path) from exc
        # A truncated gzip: keep what decompressed; the format reader will warn on truncation.
    return out.getvalue()


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
