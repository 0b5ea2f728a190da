"""Readers for FIT, GPX and TCX (plain or gzip-compressed), sniffed from content."""

from __future__ import annotations

from os import PathLike

from finishline.activity import Activity
from finishline.errors import FileFormatError
from finishline.io.source import load_bytes, sniff_format

__all__ = ["read", "read_bytes"]


def read(path: str | PathLike[str], engine: str = "auto") -> Activity:
    """Read one activity file (FIT, GPX or TCX, optionally ``.gz``) into an :class:`Activity`.

    Parameters
    ----------
    path
        The file. The format is sniffed from the content, not the extension.
    engine
        FIT decoder: ``"auto"`` or ``"fast"`` (the numpy decoder, which reads a file as Garmin's
        FIT SDK does) or ``"fitparse"``. Ignored for GPX/TCX.

    Raises
    ------
    FinishlineError
        For any file that cannot be read as an activity; the message names the file.
    """
    data = load_bytes(path)
    return read_bytes(data, source=str(path), engine=engine)


def read_bytes(data: bytes, source: str | None = None, engine: str = "auto") -> Activity:
    """Read an activity from bytes already in memory (see :func:`read`)."""
    fmt = sniff_format(data)
    if fmt == "fit":
        from finishline.io.fit import read_fit

        return read_fit(data, source, engine=engine)
    if fmt == "gpx":
        from finishline.io.gpx import read_gpx

        return read_gpx(data, source)
    if fmt == "tcx":
        from finishline.io.tcx import read_tcx

        return read_tcx(data, source)
    if not data:
        raise FileFormatError("the file is empty", source)
    raise FileFormatError("not a FIT, GPX or TCX file (format not recognised)", source)
