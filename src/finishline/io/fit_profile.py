"""FIT base types and the Garmin FIT SDK profile, in the shape the fast decoder reads.

The profile (message and field names, types, scales, offsets, units, components, subfields and
the names of enum values) is Garmin's own, from the ``garmin-fit-sdk`` package, so a field is
named and scaled exactly as Garmin's SDK names and scales it. It is read once per message
number into small frozen records (:class:`MessageInfo`, :class:`FieldInfo`).

References
----------
Garmin FIT SDK, "FIT File Protocol" (base types, table 4-6) and ``Profile.xlsx`` (as shipped in
the Python SDK's ``garmin_fit_sdk.profile``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from garmin_fit_sdk.profile import Profile

__all__ = [
    "BASE_TYPES",
    "BaseType",
    "Component",
    "FieldInfo",
    "MessageInfo",
    "Rendering",
    "SubField",
    "message_info",
    "message_number",
]


@dataclass(frozen=True)
class BaseType:
    """A FIT base type: its number (bits 0-4 of the definition's type byte), name, size in
    bytes, numpy little-endian code and invalid value (``None`` for floats: NaN is invalid)."""

    number: int
    name: str
    size: int
    code: str
    invalid: int | None

    @property
    def is_string(self) -> bool:
        return self.number == 0x07


#: Base types by number (the type byte masked with 0x1F), as the FIT protocol defines them.
BASE_TYPES: dict[int, BaseType] = {
    b.number: b
    for b in (
        BaseType(0x00, "enum", 1, "u1", 0xFF),
        BaseType(0x01, "sint8", 1, "i1", 0x7F),
        BaseType(0x02, "uint8", 1, "u1", 0xFF),
        BaseType(0x03, "sint16", 2, "i2", 0x7FFF),
        BaseType(0x04, "uint16", 2, "u2", 0xFFFF),
        BaseType(0x05, "sint32", 4, "i4", 0x7FFFFFFF),
        BaseType(0x06, "uint32", 4, "u4", 0xFFFFFFFF),
        BaseType(0x07, "string", 1, "u1", 0x00),
        BaseType(0x08, "float32", 4, "f4", None),
        BaseType(0x09, "float64", 8, "f8", None),
        BaseType(0x0A, "uint8z", 1, "u1", 0x00),
        BaseType(0x0B, "uint16z", 2, "u2", 0x0000),
        BaseType(0x0C, "uint32z", 4, "u4", 0x00000000),
        BaseType(0x0D, "byte", 1, "u1", 0xFF),
        BaseType(0x0E, "sint64", 8, "i8", 0x7FFFFFFFFFFFFFFF),
        BaseType(0x0F, "uint64", 8, "u8", 0xFFFFFFFFFFFFFFFF),
        BaseType(0x10, "uint64z", 8, "u8", 0x0000000000000000),
    )
}
_BASE_BY_NAME = {b.name: b for b in BASE_TYPES.values()}

#: Profile types whose values the SDK scales (the numeric base types).
_NUMERIC_TYPES = frozenset(name for name in _BASE_BY_NAME if name not in ("enum", "string"))


@dataclass(frozen=True)
class Component:
    """One component of a field: ``bits`` bits that become field ``target`` of the same
    message, as ``bits / scale - offset``."""

    target: int
    bits: int
    scale: float
    offset: float


@dataclass(frozen=True)
class Rendering:
    """How a field's raw value becomes its value (shared by fields and subfields)."""

    name: str
    type: str
    scale: float
    offset: float
    scaled: bool  # the SDK scales numeric types with a single scale
    units: str | None
    enum: dict[int, str] | None  # names of the type's values, where the profile has some
    components: tuple[Component, ...]
    elem_bits: int | None  # bits per element when expanding components (None: never)
    invalid: int  # raw value that is invalid in this type (for components and expansion)


@dataclass(frozen=True)
class SubField(Rendering):
    """A field's alternative reading where a reference field holds one of ``refs``
    (``(field name, raw value)`` pairs)."""

    refs: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class FieldInfo(Rendering):
    """A field of a message in the profile."""

    num: int = 0
    accumulated: bool = False
    accumulates: bool = False  # the field sets or feeds an accumulated field
    subfields: tuple[SubField, ...] = ()


@dataclass(frozen=True)
class MessageInfo:
    """A message of the profile, its fields by number, and every name a field or subfield of
    it can take."""

    num: int
    name: str
    fields: dict[int, FieldInfo]
    names: frozenset[str] = frozenset()


def _first(values: Any, default: Any) -> Any:
    if isinstance(values, list):
        return values[0] if values else default
    return default if values in (None, "") else values


def _rendering(entry: dict[str, Any]) -> dict[str, Any]:
    type_name = entry["type"]
    scales = entry.get("scale") or [1]
    offsets = entry.get("offset") or [0]
    n_comp = len(entry.get("components") or [])
    comps = tuple(
        Component(
            int(entry["components"][i]),
            int(entry["bits"][i]),
            float(scales[i] if i < len(scales) else 1),
            float(offsets[i] if i < len(offsets) else 0),
        )
        for i in range(n_comp)
    )
    base = _BASE_BY_NAME.get(type_name)
    enum = Profile["types"].get(type_name) or None
    units = _first(entry.get("units"), None)
    return {
        "name": entry["name"],
        "type": type_name,
        "scale": float(scales[0]),
        "offset": float(offsets[0]),
        "scaled": type_name in _NUMERIC_TYPES and len(scales) <= 1,
        "units": units or None,
        "enum": enum,
        "components": comps,
        "elem_bits": base.size * 8 if base is not None and comps else None,
        "invalid": _component_invalid(type_name),
    }


@cache
def message_info(num: int) -> MessageInfo | None:
    """The profile's message ``num``, or ``None`` for a message the profile does not know."""
    entry = Profile["messages"].get(num)
    if entry is None:
        return None
    fields: dict[int, FieldInfo] = {}
    accumulated = {int(n) for n, f in entry["fields"].items() if f.get("is_accumulated")}
    for fnum, fentry in entry["fields"].items():
        subs = tuple(
            SubField(
                **_rendering(sub),
                refs=tuple((m["name"], int(m["raw_value"])) for m in sub.get("map", [])),
            )
            for sub in fentry.get("sub_fields", [])
        )
        fields[int(fnum)] = FieldInfo(
            **_rendering(fentry),
            num=int(fnum),
            accumulated=int(fnum) in accumulated,
            accumulates=int(fnum) in accumulated
            or any(int(c) in accumulated for c in fentry.get("components") or []),
            subfields=subs,
        )
    names = {f.name for f in fields.values()} | {
        sub.name for f in fields.values() for sub in f.subfields
    }
    return MessageInfo(num, entry["name"], fields, frozenset(names))


@cache
def message_number(name: str) -> int | None:
    """The global number of the profile message named ``name`` (``None`` if unknown)."""
    for num, entry in Profile["messages"].items():
        if entry["name"] == name:
            return int(num)
    if name.startswith("unknown_") and name[8:].isdigit():
        return int(name[8:])
    return None


def _component_invalid(type_name: str) -> int:
    """The raw value that makes a component's value invalid in its target field: the invalid
    value of the target's base type (all ones for floats), 0xFF for a non-base type (as the
    SDK has it)."""
    base = _BASE_BY_NAME.get(type_name)
    if base is None:
        return 0xFF
    if base.invalid is None:
        return (1 << (8 * base.size)) - 1
    return base.invalid


def manufacturer_name(number: int) -> str | None:
    """The profile's name of manufacturer ``number`` (``"stryd"``), or ``None``."""
    return Profile["types"]["manufacturer"].get(number)
