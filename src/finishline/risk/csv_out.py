"""CSV text of a results table, formatted by numpy over whole columns (no Python per cell).

``pandas.DataFrame.to_csv(float_format=...)`` formats every float through Python; for the
48,000 runners of a big-city marathon that is most of ``risk-splits``' time. Here a float
column becomes fixed-point text by integer arithmetic on the whole column, text columns are
encoded at once, and only cells that need CSV quoting (a comma, quote or line break) are
quoted one by one.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

_NEEDS_QUOTING = (",", '"', "\n", "\r")


def _fixed(values: np.ndarray, decimals: int) -> np.ndarray:
    """Floats as fixed-point ASCII bytes with ``decimals`` places; NaN and inf become b"".

    Rounding is half-to-even on ``value x 10**decimals``: where that product is an exact tie
    the last digit may differ by one from ``printf``'s rounding of the binary value.
    """
    finite = np.isfinite(values)
    scale = 10**decimals
    scaled = np.rint(np.abs(np.where(finite, values, 0.0)) * scale).astype(np.int64)
    whole = (scaled // scale).astype("S")
    text = whole
    if decimals:
        frac = np.strings.zfill((scaled % scale).astype("S"), decimals)
        text = np.strings.add(np.strings.add(whole, b"."), frac)
    negative = (values < 0) & (scaled > 0)
    text = np.where(negative, np.strings.add(b"-", text), text)
    return np.where(finite, text, b"")


def _text(values: pd.Series) -> np.ndarray:
    """A text column as UTF-8 bytes, CSV-quoted where needed (NaN/None become b"")."""
    strings = np.asarray(values.astype(object).where(values.notna(), ""), dtype=str)
    quote = np.zeros(len(strings), dtype=bool)
    for char in _NEEDS_QUOTING:
        quote |= np.strings.find(strings, char) >= 0
    if quote.any():
        strings = strings.astype(object)
        strings[quote] = ['"' + s.replace('"', '""') + '"' for s in strings[quote]]
        strings = strings.astype(str)
    return np.strings.encode(strings, "utf-8")


def csv_bytes(frame: pd.DataFrame, decimals: int = 4) -> bytes:
    """The CSV text (header, one line per row, no index) of ``frame`` as bytes.

    Float columns get ``decimals`` places (``%.4f`` by default, NaN as an empty cell),
    integer columns their digits, anything else its text.
    """
    columns = []
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_float_dtype(values.dtype):
            columns.append(_fixed(values.to_numpy(dtype=float), decimals))
        elif pd.api.types.is_integer_dtype(values.dtype):
            columns.append(values.to_numpy().astype("S"))
        else:
            columns.append(_text(values))
    header = ",".join(str(c) for c in frame.columns).encode("utf-8") + b"\n"
    if not columns or len(frame) == 0:
        return header
    # One byte matrix, a row per line: each cell NUL-padded to its column's width, then its
    # separator; dropping the NUL padding leaves the CSV text.
    widths = [column.dtype.itemsize for column in columns]
    cells = np.zeros((len(frame), sum(widths) + len(widths)), dtype=np.uint8)
    start = 0
    for j, (column, size) in enumerate(zip(columns, widths, strict=True)):
        if size:
            block = np.frombuffer(column.tobytes(), np.uint8).reshape(-1, size)
            cells[:, start : start + size] = block
        cells[:, start + size] = ord(",") if j < len(columns) - 1 else ord("\n")
        start += size + 1
    flat = cells.reshape(-1)
    return header + flat[flat != 0].tobytes()


def write_csv(frame: pd.DataFrame, target: str | PathLike[str] | IO[bytes], decimals: int = 4):
    """Write :func:`csv_bytes` of ``frame`` to a path or a binary stream."""
    data = csv_bytes(frame, decimals)
    if hasattr(target, "write"):
        target.write(data)
    else:
        Path(target).write_bytes(data)
