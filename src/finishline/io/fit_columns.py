"""Column kernels of the fast FIT decoder: raw field values for all rows of a definition at once.

A :class:`Column` holds the values of one field (or component) for a set of rows, with a
``missing`` mask that means exactly "fitparse's value is ``None``". Kinds:

- ``int`` / ``float``: numeric numpy arrays;
- ``date``: int64 seconds since the FIT epoch (1989-12-31 UTC), to become datetimes (values
  below ``0x10000000``, seconds since device power-on, included);
- ``obj``: Python objects (strings, tuples, enum names mixed with numbers, times, booleans).

References
----------
Garmin FIT SDK, "FIT File Protocol", base types and invalid values (table 4-6).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from finishline.io.fit_walk import FieldSpec

_NUMPY_CODE = {
    "enum": "u1", "sint8": "i1", "uint8": "u1", "sint16": "i2", "uint16": "u2", "sint32": "i4",
    "uint32": "u4", "float32": "f4", "float64": "f8", "uint8z": "u1", "uint16z": "u2",
    "uint32z": "u4", "sint64": "i8", "uint64": "u8", "uint64z": "u8",
}  # fmt: skip
_INVALID = {
    "enum": 0xFF, "sint8": 0x7F, "uint8": 0xFF, "sint16": 0x7FFF, "uint16": 0xFFFF,
    "sint32": 0x7FFFFFFF, "uint32": 0xFFFFFFFF, "uint8z": 0, "uint16z": 0, "uint32z": 0,
    "sint64": 0x7FFFFFFFFFFFFFFF, "uint64": 0xFFFFFFFFFFFFFFFF, "uint64z": 0,
}  # fmt: skip


class Unsupported(NotImplementedError):
    """A FIT construct the fast decoder does not reproduce; the caller falls back."""


@dataclass
class Raw:
    """fitparse's parsed raw values of one field for all rows of a definition.

    ``kind`` is ``num`` (scalar, ``values`` 1-D), ``arr`` (``values`` 2-D, ``elem_missing``),
    ``bytes`` (``values`` 2-D uint8; the tuple is ``None`` when every byte is 0xFF) or ``str``
    (``values`` an object array of ``str | None``).
    """

    kind: str
    values: np.ndarray
    missing: np.ndarray
    elem_missing: np.ndarray | None = None

    def take(self, rows: np.ndarray) -> Raw:
        em = None if self.elem_missing is None else self.elem_missing[rows]
        return Raw(self.kind, self.values[rows], self.missing[rows], em)


@dataclass
class Column:
    """Values of one field for some rows, with fitparse's ``None`` as ``missing``."""

    kind: str  # int, float, date, obj
    values: np.ndarray
    missing: np.ndarray
    units_only_when_missing: bool = False  # localtime_into_day keeps units only where None

    def take(self, rows: np.ndarray) -> Column:
        return Column(
            self.kind, self.values[rows], self.missing[rows], self.units_only_when_missing
        )

    def as_objects(self) -> np.ndarray:
        """Python objects with ``None`` where missing (as fitparse's values)."""
        if self.kind == "obj":
            out = self.values.copy()
        elif self.kind == "date":
            raise Unsupported("date values mixed with other values under one name")
        else:
            out = self.values.astype(object)
        out[self.missing] = None
        return out


def _invalid_mask(values: np.ndarray, base_name: str) -> np.ndarray:
    if base_name in ("float32", "float64"):
        return np.isnan(values)
    return values == _INVALID[base_name]


def extract(matrix: np.ndarray, spec: FieldSpec, big_endian: bool) -> Raw:
    """Parsed raw values of field ``spec`` from the (rows x message bytes) ``matrix``."""
    n = matrix.shape[0]
    width = spec.nbytes
    block = matrix[:, spec.offset : spec.offset + width]
    name = spec.base.name
    if name == "string":
        values = np.empty(n, dtype=object)
        for i, row in enumerate(block):
            raw = row.tobytes()
            cut = raw.find(b"\x00")
            values[i] = (raw if cut < 0 else raw[:cut]).decode("utf-8", errors="replace") or None
        return Raw("str", values, np.equal(values, None))
    if name == "byte" or name not in _NUMPY_CODE:
        block = np.ascontiguousarray(block)
        return Raw("bytes", block, (block == 0xFF).all(axis=1))
    dtype = np.dtype((">" if big_endian else "<") + _NUMPY_CODE[name])
    flat = np.ascontiguousarray(block).view(dtype)
    if (
        name in ("uint64", "uint64z")
        and (flat[~_invalid_mask(flat, name)] > np.iinfo(np.int64).max).any()
    ):
        raise Unsupported("uint64 value beyond the int64 range")
    if spec.count == 1:
        values = flat.reshape(n)
        values = values.astype(np.float64 if values.dtype.kind == "f" else np.int64)
        return Raw("num", values, _invalid_mask(flat.reshape(n), name))
    values = flat.reshape(n, spec.count)
    em = _invalid_mask(values, name)
    values = values.astype(np.float64 if values.dtype.kind == "f" else np.int64)
    return Raw("arr", values, np.zeros(n, dtype=bool), em)


def equals_int(raw: Raw, value: int) -> np.ndarray:
    """Rows whose raw value equals the int ``value`` (fitparse's reference-field test)."""
    if raw.kind != "num":
        return np.zeros(raw.values.shape[0], dtype=bool)
    return ~raw.missing & (raw.values == value)


def component_bits(raw: Raw, bit_offset: int, bits: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """A component's raw value: (values, missing, present) where ``present`` is False when
    fitparse skips the component for every row that has a value (offset past the bytes)."""
    mask = (1 << bits) - 1
    if raw.kind == "num":
        if raw.values.dtype.kind == "f":
            raise Unsupported("component of a floating-point field")
        return (raw.values >> bit_offset) & mask, raw.missing.copy(), True
    if raw.kind != "bytes":
        raise Unsupported(f"component of a {raw.kind} field")
    nbytes = raw.values.shape[1]
    if bit_offset and bit_offset >= nbytes * 8:
        return np.zeros(len(raw.missing), dtype=np.int64), raw.missing.copy(), False
    first = bit_offset // 8
    last = min(nbytes, (bit_offset + bits + 7) // 8)
    if last - first > 7:
        raise Unsupported("component wider than 56 bits")
    acc = np.zeros(len(raw.missing), dtype=np.int64)
    for k in range(first, last):
        acc |= raw.values[:, k].astype(np.int64) << (8 * (k - first))
    return (acc >> (bit_offset - 8 * first)) & mask, raw.missing.copy(), True


def _scale_offset(values: np.ndarray, scale: Any, offset: Any) -> np.ndarray:
    if scale:
        values = values.astype(np.float64) / scale
    if offset:
        values = values - offset
    return values


def _tuples(raw: Raw, field: Any) -> np.ndarray:
    out = np.empty(len(raw.missing), dtype=object)
    if raw.kind == "bytes":
        for i, row in enumerate(raw.values.tolist()):
            out[i] = tuple(row)
        out[raw.missing] = None
        return out
    scale = field.scale if field is not None else None
    offset = field.offset if field is not None else None
    values = raw.values.tolist()
    em = raw.elem_missing.tolist()
    for i, (row, miss) in enumerate(zip(values, em, strict=True)):
        cells = []
        for v, m in zip(row, miss, strict=True):
            if m:
                cells.append(None)
                continue
            if scale:
                v = float(v) / scale
            if offset:
                v = v - offset
            cells.append(v)
        out[i] = tuple(cells)
    return out


def render(raw: Raw, field: Any, type_name: str | None, scale: Any, offset: Any) -> Column:
    """fitparse's value: enum names, then scale/offset, then the type processors."""
    n = len(raw.missing)
    if raw.kind == "str":
        return Column("obj", raw.values, raw.missing)
    if raw.kind in ("bytes", "arr"):
        if type_name in ("bool", "date_time", "local_date_time", "localtime_into_day"):
            raise Unsupported(f"{type_name} array")
        if raw.kind == "bytes" and field is not None and (scale or offset):
            raise Unsupported("scaled byte field")
        return Column("obj", _tuples(raw, field if raw.kind == "arr" else None), raw.missing)
    values, missing = raw.values, raw.missing
    enum = getattr(getattr(field, "type", None), "values", None) if field is not None else None
    if enum:
        if values.dtype.kind == "f":
            raise Unsupported("floating-point enum")
        known = np.isin(values, np.fromiter(enum.keys(), dtype=np.int64)) & ~missing
        if known.any():
            out = np.empty(n, dtype=object)
            numeric = _scale_offset(values, scale, offset)
            out[:] = numeric.tolist()
            out[known] = [enum[v] for v in values[known].tolist()]
            out[missing] = None
            return Column("obj", out, missing)
    values = _scale_offset(values, scale, offset)
    if type_name == "bool":
        out = np.empty(n, dtype=object)
        out[:] = (values != 0).tolist()
        out[missing] = None
        return Column("obj", out, missing)
    if type_name == "date_time":
        if values.dtype.kind == "f":
            raise Unsupported("scaled date_time")
        # Values below 0x10000000 (seconds since device power-on) stay FIT-epoch based too.
        return Column("date", values, missing)
    if type_name == "local_date_time":
        if values.dtype.kind == "f":
            raise Unsupported("scaled local_date_time")
        return Column("date", values, missing)
    if type_name == "localtime_into_day":
        if values.dtype.kind == "f":
            raise Unsupported("scaled localtime_into_day")
        out = np.empty(n, dtype=object)
        for i, v in enumerate(values.tolist()):
            if not missing[i]:
                m, s = divmod(v, 60)
                h, m = divmod(m, 60)
                out[i] = dt.time(h, m, s)
        return Column("obj", out, missing, units_only_when_missing=True)
    return Column("float" if values.dtype.kind == "f" else "int", values, missing)
