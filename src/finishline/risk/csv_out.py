"""CSV text of a results table, formatted by numpy over whole columns (no Python per cell).

:func:`columns_csv_bytes` writes a dict of numpy columns (what ``risk-splits`` holds, no pandas
imported); :func:`csv_bytes` writes a DataFrame through the same byte layout.

``pandas.DataFrame.to_csv(float_format=...)`` formats every float through Python; for the
48,000 runners of a big-city marathon that is most of ``risk-splits``' time. Here every column
becomes a byte matrix (one row per line, NUL where a cell is shorter than the column): numbers
by integer arithmetic on the whole column, ASCII text by a view of its code points. The
matrices are laid side by side with the separators and the NUL padding is dropped. Only cells
that need CSV quoting (a comma, quote or line break) or are not ASCII go through Python.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

_ZERO, _DOT, _MINUS = ord("0"), ord("."), ord("-")
_QUOTED = (ord(","), ord('"'), ord("\n"), ord("\r"))


def _number_bytes(values: np.ndarray, decimals: int) -> np.ndarray:
    """Numbers as right-aligned fixed-point ASCII, shape (n, width); NaN/inf give no bytes.

    Rounding is half-to-even on ``value x 10**decimals``: where that product is an exact tie
    the last digit may differ by one from ``printf``'s rounding of the binary value.
    """
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    scale = 10**decimals
    scaled = np.rint(np.abs(np.where(finite, values, 0.0)) * scale).astype(np.int64)
    whole, rest = np.divmod(scaled, scale)
    n_digits = len(str(int(whole.max()))) if len(whole) else 1
    width = 1 + n_digits + (decimals + 1 if decimals else 0)
    out = np.zeros((len(values), width), dtype=np.uint8)
    position = width - 1
    for _ in range(decimals):
        rest, digit = np.divmod(rest, 10)
        out[:, position] = _ZERO + digit
        position -= 1
    if decimals:
        out[:, position] = _DOT
        position -= 1
    shown = np.zeros(len(values), dtype=np.int64)
    for i in range(n_digits):
        show = (whole > 0) | (i == 0)
        whole, digit = np.divmod(whole, 10)
        out[:, position] = np.where(show, _ZERO + digit, 0)
        shown += show
        position -= 1
    negative = (values < 0) & (scaled > 0)
    sign_at = width - (decimals + 1 if decimals else 0) - shown - 1
    rows = np.flatnonzero(negative)
    out[rows, sign_at[rows]] = _MINUS
    out[~finite] = 0
    return out


def _text_bytes(strings: np.ndarray) -> np.ndarray:
    """A str array as UTF-8 bytes, CSV-quoted where needed, shape (n, width).

    The block is as wide as 99 % of the cells; the longest few (a long ``reason`` among
    48,000 empty ones), and cells that need quoting or are not ASCII, are encoded one by one.
    """
    n = len(strings)
    width = strings.dtype.itemsize // 4
    if width == 0 or n == 0:
        return np.zeros((n, 0), dtype=np.uint8)
    codes = np.ascontiguousarray(strings).view(np.uint32).reshape(n, width)
    lengths = np.strings.str_len(strings)
    common = int(np.sort(lengths)[(99 * (n - 1)) // 100])
    short = codes[:, :common]
    odd = (short > 127) | (short == _QUOTED[0]) | (short == _QUOTED[1])
    odd |= (short == _QUOTED[2]) | (short == _QUOTED[3])
    special = (lengths > common) | odd.any(axis=1)
    out = np.where(special[:, None], 0, short).astype(np.uint8)
    if not special.any():
        return out
    encoded = {
        i: (
            '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text
        ).encode("utf-8")
        for i in np.flatnonzero(special).tolist()
        for text in (str(strings[i]),)
    }
    wide = max(common, *(len(b) for b in encoded.values()))
    if wide > common:
        out = np.concatenate([out, np.zeros((n, wide - common), dtype=np.uint8)], axis=1)
    for i, data in encoded.items():
        out[i, : len(data)] = np.frombuffer(data, dtype=np.uint8)
    return out


def _lines(names: Sequence[object], blocks: list[np.ndarray], n_rows: int) -> bytes:
    """The header and the byte matrices of the columns laid side by side, NUL padding dropped."""
    header = ",".join(str(c) for c in names).encode("utf-8") + b"\n"
    if not blocks or n_rows == 0:
        return header
    separators = [np.full((n_rows, 1), ord(","), dtype=np.uint8)] * (len(blocks) - 1)
    parts = [part for pair in zip(blocks, [*separators, None], strict=True) for part in pair]
    parts[-1] = np.full((n_rows, 1), ord("\n"), dtype=np.uint8)
    cells = np.concatenate(parts, axis=1).reshape(-1)
    return header + cells[cells != 0].tobytes()


def _block(values: np.ndarray, decimals: int) -> np.ndarray:
    """One column's cells as a byte matrix: floats with ``decimals`` places (NaN empty),
    integers their digits, anything else its text."""
    if values.dtype.kind == "f":
        return _number_bytes(values, decimals)
    if values.dtype.kind in "iu":
        return _number_bytes(values.astype(float), 0)
    return _text_bytes(np.asarray(values, dtype=str))


def columns_csv_bytes(columns: Mapping[str, np.ndarray], decimals: int = 4) -> bytes:
    """The CSV text (header, one line per row) of equal-length numpy columns, as bytes.

    Float columns get ``decimals`` places (``%.4f`` by default, NaN as an empty cell),
    integer columns their digits, anything else (text, no missing cells) its text.
    """
    blocks = [_block(values, decimals) for values in columns.values()]
    n_rows = len(next(iter(columns.values()))) if columns else 0
    return _lines(list(columns), blocks, n_rows)


def csv_bytes(frame: pd.DataFrame, decimals: int = 4) -> bytes:
    """The CSV text (header, one line per row, no index) of ``frame`` as bytes: the layout of
    :func:`columns_csv_bytes`, with pandas' nullable integers (missing cells empty) and
    missing text cells empty.
    """
    import pandas as pd

    blocks = []
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_integer_dtype(values.dtype):  # nullable ones carry NaN as floats
            blocks.append(_block(values.to_numpy(dtype=float), 0))
        elif pd.api.types.is_float_dtype(values.dtype):
            blocks.append(_block(values.to_numpy(dtype=float), decimals))
        else:
            blocks.append(_block(values.astype(object).where(values.notna(), "").to_numpy(), 0))
    return _lines(frame.columns, blocks, len(frame))


def _write(data: bytes, target: str | PathLike[str] | IO[bytes]) -> None:
    if hasattr(target, "write"):
        target.write(data)
    else:
        Path(target).write_bytes(data)


def write_csv(
    frame: pd.DataFrame, target: str | PathLike[str] | IO[bytes], decimals: int = 4
) -> None:
    """Write :func:`csv_bytes` of ``frame`` to a path or a binary stream."""
    _write(csv_bytes(frame, decimals), target)


def write_columns_csv(
    columns: Mapping[str, np.ndarray], target: str | PathLike[str] | IO[bytes], decimals: int = 4
) -> None:
    """Write :func:`columns_csv_bytes` of ``columns`` to a path or a binary stream."""
    _write(columns_csv_bytes(columns, decimals), target)
