"""A CSV file read into columns of text by numpy and the standard library (no pandas).

``risk-splits`` on a big-city marathon (48,000 runners) must answer in under half a second, and
importing pandas alone takes longer than that. This module reads a results table the way the
chip reader always has (``pandas.read_csv(dtype=object, keep_default_na=False,
skipinitialspace=True, usecols=...)``): the same header names (``Unnamed: i`` for an empty one,
``name.1`` for a repeated one), the same rows (blank lines skipped; a first data row longer
than the header makes its leading fields an index, so the names move right, unless every
column is read), the same cells
and the same messages for a file that is not a table. Only the columns a caller chooses are
ever turned into text, and only their cells must be UTF-8.

Two readers, one result:

- the common file (no quote character, every line as many fields as the header, no blank line,
  ``\\n`` or ``\\r\\n`` line ends) is cut by numpy: the offsets of every comma and line end,
  one fixed-width byte matrix per chosen column;
- anything else (quoted fields, ragged or blank lines, bytes that are not UTF-8) goes through the
  standard library's :mod:`csv` module.

A missing field (a short line) is ``""``, which every reader of these columns treats as the
missing cell it is.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Collection, Sequence
from os import PathLike
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from finishline.errors import InputDataError

_COMMA, _NEWLINE, _SPACE = ord(","), ord("\n"), ord(" ")


class CsvColumns(NamedTuple):
    """What :func:`read_csv_columns` returns."""

    names: list[str]
    """Every column name, as ``pandas.read_csv`` names them."""
    columns: dict[str, np.ndarray]
    """The chosen columns: cell text (str array, unstripped), ``""`` for a missing field."""
    n_rows: int
    """Data rows (blank lines not counted); 0 when no column is chosen."""


def header_names(fields: Sequence[str]) -> list[str]:
    """Column names from header fields: leading spaces dropped, ``Unnamed: i`` for an empty
    one, and a repeated name numbered ``name.1``, ``name.2`` (skipping names the header has)."""
    names = [field.lstrip(" ") or f"Unnamed: {i}" for i, field in enumerate(fields)]
    given = set(names)
    counts: dict[str, int] = {}
    for i, name in enumerate(names):
        count = counts.get(name, 0)
        new = name
        while count > 0:
            counts[name] = count + 1
            new = f"{name}.{count}"
            count = count + 1 if new in given else counts.get(new, 0)
        names[i] = new
        counts[new] = count + 1
    return names


def _unreadable(reason: object, path: Path) -> InputDataError:
    return InputDataError(f"not a readable CSV table ({reason})", path)


def read_csv_columns(
    path: str | PathLike[str], choose: Callable[[list[str]], Collection[str]]
) -> CsvColumns:
    """Read the columns ``choose(names)`` of a UTF-8 CSV file (comma-separated).

    Parameters
    ----------
    path
        The file (a UTF-8 byte-order mark is skipped).
    choose
        Given every column name, the names to read; may raise (e.g. on duplicate names).

    Returns
    -------
    CsvColumns
        Names, the chosen columns as text, the number of data rows.

    Raises
    ------
    InputDataError
        The file is missing, empty, not UTF-8 in its header or a chosen column, or has a
        quoted field that never ends.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputDataError("file not found", path) from exc
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        table = _numpy_columns(data, choose)
    except UnicodeDecodeError:
        table = None  # the general reader names the cell, as pandas does
    return table if table is not None else _csv_module_columns(data, choose, path)


def _is_utf8(data: bytes) -> bool:
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _numpy_columns(
    data: bytes, choose: Callable[[list[str]], Collection[str]]
) -> CsvColumns | None:
    """The numpy reader; None when the file needs the general one.

    Raises
    ------
    UnicodeDecodeError
        The header or a chosen cell is not UTF-8.
    """
    if b'"' in data:
        return None
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
        if b"\r" in data:
            return None
    if not data.endswith(b"\n"):
        data += b"\n"
    head_end = data.index(b"\n")
    head = data[:head_end]
    fields = head.decode("utf-8").split(",")
    if len(fields) < 2 or not head.strip(b" \t") or b"\n\n" in data:
        return None  # a one-column file may hold whitespace-only (blank) lines
    names = header_names(fields)
    width = len(names)
    buf = np.frombuffer(data, dtype=np.uint8, offset=head_end + 1)
    line_ends = buf == _NEWLINE
    ends = np.flatnonzero(line_ends | (buf == _COMMA))
    if ends.size % width:
        return None
    ends = ends.reshape(-1, width)
    # Every line has as many fields as the header when each group of ``width`` separators
    # ends a line and no other separator does.
    n_lines = np.count_nonzero(line_ends)
    if n_lines != len(ends) or not (buf[ends[:, -1]] == _NEWLINE).all():
        return None
    chosen = set(choose(names))
    columns = {}
    for j, name in enumerate(names):
        if name in chosen:
            before = ends[:, j - 1] if j else np.concatenate([[-1], ends[:-1, -1]])[: len(ends)]
            columns[name] = _cells(buf, before + 1, ends[:, j])
    return CsvColumns(names, columns, len(ends) if columns else 0)


def _cells(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The fields ``buf[starts[i]:ends[i]]`` as a str array (one gather, no Python per cell),
    leading spaces dropped (``skipinitialspace``)."""
    while (spaced := (buf[starts] == _SPACE) & (starts < ends)).any():
        starts[spaced] += 1
    lengths = ends - starts
    width = int(lengths.max()) if lengths.size else 0
    if width == 0:
        return np.full(lengths.size, "", dtype="<U1")
    # Every field is followed by a separator, so a window of ``width`` bytes from any start
    # stays inside the buffer unless it is the last field of the file.
    padded = buf if starts.max() + width <= buf.size else np.append(buf, np.zeros(width, np.uint8))
    codes = sliding_window_view(padded, width)[starts]
    codes *= np.arange(width) < lengths[:, None]
    # ASCII cells are their own code points; the few others (an en dash for "no time", an
    # accented name) are decoded one by one (never wider in characters than in bytes).
    wide = np.unique(np.flatnonzero(codes.reshape(-1) >= 0x80) // width)
    text = codes.astype(np.uint32)
    text[wide] = 0
    text = text.view(f"<U{width}").ravel()
    text[wide] = [codes[i, : lengths[i]].tobytes().decode("utf-8") for i in wide]
    return text


def _rows(text: str, strict: bool, rows: list[list[str]]) -> None:
    """Append the records of ``text`` to ``rows``, skipping blank lines (empty or spaces and
    tabs only; a quoted empty field is a record)."""
    consumed: list[str] = []

    def lines():
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line

    for row in csv.reader(lines(), skipinitialspace=True, strict=strict):
        raw = "".join(consumed)
        consumed.clear()
        if row and (len(row) > 1 or row[0].strip(" \t") or '"' in raw):
            rows.append(row)


def _decoded(cells: Sequence[str], path: Path) -> None:
    """Raise the decoder's own message for the first cell that was not UTF-8."""
    for cell in cells:
        try:
            cell.encode("utf-8", "surrogateescape").decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _unreadable(exc, path) from exc


def _csv_module_columns(
    data: bytes, choose: Callable[[list[str]], Collection[str]], path: Path
) -> CsvColumns:
    """The general reader: the :mod:`csv` module over the whole text."""
    utf8 = _is_utf8(data)
    text = data.decode("utf-8", errors="surrogateescape")
    rows: list[list[str]] = []
    try:
        _rows(text, True, rows)
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            reason = (
                f"Error tokenizing data. C error: EOF inside string starting at row {len(rows)}"
            )
            raise _unreadable(reason, path) from exc
        rows = []
        _rows(text, False, rows)
    if not rows:
        raise _unreadable("No columns to parse from file", path)
    if not utf8:
        _decoded(rows[0], path)
    names = header_names(rows[0])
    chosen = set(choose(names))
    # A first data row longer than the header: its extra leading fields are an index, unless
    # every column is read (then the extra trailing fields are dropped), as pandas does.
    shift = max(len(rows[1]) - len(names), 0) if len(rows) > 1 and chosen != set(names) else 0
    columns = {}
    for j, name in enumerate(names):
        if name in chosen:
            k = j + shift
            cells = [row[k] if k < len(row) else "" for row in rows[1:]]
            if not utf8:
                _decoded(cells, path)
            columns[name] = np.array(cells, dtype=str)
    # pandas keeps no rows when no column is read, unless the rows carry an index.
    return CsvColumns(names, columns, len(rows) - 1 if columns or shift else 0)
