"""Readers for FIT, GPX and TCX (plain or gzip-compressed), sniffed from content."""

from __future__ import annotations

from os import PathLike

from finishline.activity import Activity
from finishline.errors import FileFormatError
from finishline.io.source import load_source, sniff_format

__all__ = ["read", "read_all", "read_bytes"]


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
    loaded = load_source(path)
    act = read_bytes(loaded.data, source=str(path), engine=engine, salvage=loaded.note is not None)
    _note_source(act, loaded.note)
    return act


def read_all(path: str | PathLike[str], engine: str = "auto") -> list[Activity]:
    """Every activity in a file, each as its own :class:`Activity`.

    A TCX file may hold several activities: :func:`read` joins those that follow one another
    in time as sessions of one activity and keeps the longest where they overlap; this gives
    each one. For GPX it gives each track that has its own times (a file without timed tracks
    gives its route or course); for FIT, ``[read(path)]``.

    Raises
    ------
    FinishlineError
        As :func:`read`.
    """
    loaded = load_source(path)
    data, source = loaded.data, str(path)
    fmt = sniff_format(data)
    salvage = loaded.note is not None
    if fmt == "gpx":
        from finishline.io.gpx import read_gpx_all

        acts = read_gpx_all(data, source, salvage=salvage)
    elif fmt == "tcx":
        from finishline.io.tcx import read_tcx_all

        acts = read_tcx_all(data, source, salvage=salvage)
    else:
        acts = [read_bytes(data, source=source, engine=engine)]
    for act in acts:
        _note_source(act, loaded.note)
    return acts


def _note_source(act: Activity, note: str | None) -> None:
    """Carry a problem found while loading the file (a truncated gzip stream) into ``act``."""
    if note:
        act.meta.warnings.insert(0, note)
        act.meta.truncated = True


def read_bytes(
    data: bytes, source: str | None = None, engine: str = "auto", *, salvage: bool = False
) -> Activity:
    """Read an activity from bytes already in memory (see :func:`read`).

    ``salvage``: the bytes come from a damaged gzip stream; a GPX/TCX document is read up to
    its first XML error, as a truncated file.
    """
    fmt = sniff_format(data)
    if fmt == "fit":
        from finishline.io.fit import read_fit

        return read_fit(data, source, engine=engine)
    if fmt == "gpx":
        from finishline.io.gpx import read_gpx

        return read_gpx(data, source, salvage=salvage)
    if fmt == "tcx":
        from finishline.io.tcx import read_tcx

        return read_tcx(data, source, salvage=salvage)
    if not data:
        raise FileFormatError("the file is empty", source)
    raise FileFormatError("not a FIT, GPX or TCX file (format not recognised)", source)
