"""Column kernels of the fast FIT decoder: the values of one field for all rows of a layout.

A :class:`Raw` holds a field's raw values as read from the bytes; a :class:`Column` holds its
values as Garmin's SDK gives them, for a set of rows, with a ``missing`` mask that means "the
SDK has no value" (an invalid value: the field is absent from the SDK's message). Column kinds:

- ``float``: numbers as float64 (scale and offset applied where the profile scales the type);
- ``date``: int64 seconds since the FIT epoch (1989-12-31 UTC), to become datetimes (values
  below ``0x10000000``, seconds since device power-on, included);
- ``obj``: Python objects: text, enum value names mixed with numbers, tuples for arrays.

Every value the bytes can hold becomes a number, a name or missing: a float that is not finite
is missing, an integer is never out of range (time-of-day fields stay seconds), so a corrupt
field cannot raise.

References
----------
Garmin FIT SDK, "FIT File Protocol", base types and invalid values (table 4-6);
``garmin_fit_sdk.decoder`` (field values, strings, arrays, component bit streams).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from finishline.io.fit_profile import BaseType, Rendering
from finishline.io.fit_walk import FieldSpec

_DATE_TYPES = ("date_time", "local_date_time")


@dataclass
class Raw:
    """A field's raw values for all rows of a layout.

    ``kind`` is ``num`` (one value per row: ``values`` 1-D int64, or float64 for float base
    types), ``arr`` (``values`` 2-D, ``elem_missing`` marks invalid elements) or ``str``
    (``values`` an object array of ``str``, ``tuple[str, ...]`` or ``None``). ``missing`` is
    true where the SDK drops the field: an invalid scalar, an array of invalid elements only.
    """

    kind: str
    values: np.ndarray
    missing: np.ndarray
    base: BaseType
    elem_missing: np.ndarray | None = None

    def take(self, rows: np.ndarray) -> Raw:
        em = None if self.elem_missing is None else self.elem_missing[rows]
        return Raw(self.kind, self.values[rows], self.missing[rows], self.base, em)

    def elements(self) -> np.ndarray:
        """Integer values as a (rows x elements) array (the SDK's bit stream input)."""
        values = self.values if self.kind == "arr" else self.values[:, None]
        if values.dtype.kind == "f":
            return np.zeros(values.shape, dtype=np.int64)
        return values.astype(np.int64, copy=False)


@dataclass
class Column:
    """Values of one field for some rows, with the SDK's "no value" as ``missing``."""

    kind: str  # float, date, obj
    values: np.ndarray
    missing: np.ndarray

    def as_objects(self) -> np.ndarray:
        """Python objects with ``None`` where missing."""
        out = self.values.astype(object) if self.kind != "obj" else self.values.copy()
        out[self.missing] = None
        return out


def _decode_text(raw: bytes) -> str | tuple[str, ...] | None:
    """A FIT string as the SDK reads it: UTF-8 (bad bytes dropped), trailing NULs removed,
    inner NULs separating several strings."""
    text = raw.decode("utf-8", errors="ignore").rstrip("\x00")
    if not text:
        return None
    parts = text.split("\x00")
    return parts[0] if len(parts) == 1 else tuple(parts)


@dataclass
class Rows:
    """Where the data messages of a layout sit: message ``i`` starts at byte
    ``start + i * stride`` of ``buffer`` (the file itself when the messages follow each other
    at a fixed distance, else a gathered copy), so a field is a strided view, not a copy."""

    buffer: np.ndarray
    start: int
    stride: int
    n: int

    def view(self, dtype: np.dtype, offset: int, count: int) -> np.ndarray:
        """Field values at byte ``offset`` of each message: a (rows x count) view."""
        return np.ndarray(
            shape=(self.n, count),
            dtype=dtype,
            buffer=self.buffer,
            offset=self.start + offset,
            strides=(self.stride, dtype.itemsize),
        )


def extract(rows: Rows, spec: FieldSpec, big_endian: bool) -> Raw:
    """Raw values of field ``spec`` of the messages at ``rows``."""
    n = rows.n
    base = spec.base
    if base.is_string:
        block = rows.view(np.dtype(np.uint8), spec.offset, spec.nbytes)
        values = np.empty(n, dtype=object)
        values[:] = [_decode_text(row) for row in map(bytes, block)]
        return Raw("str", values, np.equal(values, None), base)
    if n == 1 and spec.count == 1 and base.invalid is not None and base.size <= 4:
        # one message (a session, an activity): one integer read in Python, not a numpy view
        at = rows.start + spec.offset
        value = int.from_bytes(
            rows.buffer[at : at + base.size].tobytes(),
            "big" if big_endian else "little",
            signed=base.code.startswith("i"),
        )
        missing = np.array([value == base.invalid])
        return Raw("num", np.array([value], dtype=np.int64), missing, base)
    dtype = np.dtype((">" if big_endian else "<") + base.code)
    flat = rows.view(dtype, spec.offset, spec.count)
    if base.invalid is None:
        values = flat.astype(np.float64)
        elem_missing = ~np.isfinite(values)
    else:
        elem_missing = flat == base.invalid
        values = flat.astype(np.int64)  # uint64 above 2**63 wraps: no profile field reaches it
    if spec.count == 1:
        return Raw("num", values[:, 0], elem_missing[:, 0], base)
    if base.name == "byte":  # a byte array is one value: absent only when every byte is 0xFF
        return Raw("arr", values, elem_missing.all(axis=1), base, np.zeros_like(elem_missing))
    return Raw("arr", values, elem_missing.all(axis=1), base, elem_missing)


def component_bits(elements: np.ndarray, elem_bits: int, start: int, bits: int) -> np.ndarray:
    """Bits ``start`` to ``start + bits`` of each row's little-endian bit stream, where each of
    the row's ``elements`` contributes ``elem_bits`` bits (the SDK's ``BitStream``)."""
    out = np.zeros(elements.shape[0], dtype=np.int64)
    if elem_bits >= 64:
        return out
    elem_mask = (1 << elem_bits) - 1
    if start == 0 and bits >= elem_bits and elements.shape[1] == 1:  # the whole value
        return elements[:, 0] & elem_mask
    for j in range(elements.shape[1]):
        lo, hi = j * elem_bits, (j + 1) * elem_bits
        a, b = max(start, lo), min(start + bits, hi)
        if a >= b:
            continue
        part = ((elements[:, j] & elem_mask) >> (a - lo)) & ((1 << (b - a)) - 1)
        out |= part << (a - start)
    return out


#: Up to this many values, enum names are looked up value by value rather than by
#: :func:`numpy.unique` (whose sort costs more than a few dictionary lookups).
_FEW = 64


def name_values(values: np.ndarray, names: dict[int, str]) -> tuple[np.ndarray, bool]:
    """Enum value names where the profile names the value, the numbers elsewhere (as the SDK
    converts types to strings); also whether any value was named. The lookup runs on the
    distinct values only."""
    if values.dtype.kind == "f":
        return values.astype(object), False
    inverse = None
    if values.size <= _FEW:  # a lap's or session's few values: no sort needed
        distinct = values.tolist()
    else:
        uniq, inverse = np.unique(values, return_inverse=True)
        distinct = uniq.tolist()
    named = [names.get(u) for u in distinct]
    if all(name is None for name in named):
        return values.astype(object), False
    lookup = np.empty(len(distinct), dtype=object)
    lookup[:] = [u if name is None else name for u, name in zip(distinct, named, strict=True)]
    return (lookup if inverse is None else lookup[inverse.reshape(-1)]), True


def _scaled(values: np.ndarray, scale: float, offset: float) -> np.ndarray:
    # a new float64 array (the division converts as it goes): the offset comes off in place
    out = np.true_divide(values, scale) if scale != 1.0 else values.astype(np.float64)
    if offset:
        out -= offset
    return out


def _tuples(values: np.ndarray, elem_missing: np.ndarray, missing: np.ndarray) -> np.ndarray:
    out = np.empty(len(missing), dtype=object)
    rows = values.tolist()
    for i, (row, miss) in enumerate(zip(rows, elem_missing.tolist(), strict=True)):
        if not missing[i]:
            out[i] = tuple(None if m else v for v, m in zip(row, miss, strict=True))
    return out


def _dates(raw: Raw) -> Column:
    """A time field: whole seconds since the FIT epoch within the ``uint32`` range a FIT time
    has; anything else (text, arrays, floats out of range: a corrupt type) is missing."""
    n = len(raw.missing)
    if raw.kind != "num":
        return Column("date", np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    values = raw.values
    if values.dtype.kind == "i":  # integers: no NaN to compare
        ok = ~raw.missing & (values >= 0) & (values <= 0xFFFFFFFF)
        if ok.all():
            return Column("date", values, ~ok)
    else:
        with np.errstate(invalid="ignore"):
            ok = ~raw.missing & (values >= 0) & (values <= 0xFFFFFFFF)
    seconds = np.where(ok, values, 0)
    return Column("date", np.floor(seconds).astype(np.int64), ~ok)


def render(raw: Raw, rendering: Rendering | None) -> Column:
    """A field's values as the SDK gives them (see the module docstring).

    ``rendering`` is the profile's field or subfield (``None`` for a field the profile does not
    know and for developer fields: their raw values).
    """
    if rendering is not None and rendering.type in _DATE_TYPES:
        return _dates(raw)
    if raw.kind == "str":
        return Column("obj", raw.values, raw.missing)
    enum = rendering.enum if rendering is not None else None
    scaled = rendering is not None and rendering.scaled
    if raw.kind == "num":
        values = raw.values
        if enum:
            named, any_named = name_values(values, enum)
            if any_named:
                return Column("obj", named, raw.missing)
        if scaled:
            values = _scaled(values, rendering.scale, rendering.offset)
        return Column("float", values.astype(np.float64, copy=False), raw.missing)
    values = raw.values
    elem_missing = raw.elem_missing if raw.elem_missing is not None else raw.values != raw.values
    if enum:
        named, any_named = name_values(values.reshape(-1), enum)
        if any_named:
            values = named.reshape(values.shape)
    if scaled and values.dtype != object:
        values = _scaled(values, rendering.scale, rendering.offset)
    return Column("obj", _tuples(values, elem_missing, raw.missing), raw.missing)
