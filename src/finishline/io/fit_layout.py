"""The fields of one FIT layout (definition) as named columns, by the SDK's rules.

For all data messages of a layout at once, :func:`decode_layout` gives what Garmin's SDK gives
per message:

- each field under its profile name (``unknown_<num>`` when the profile does not know it);
- each subfield whose reference field holds one of its values, under the subfield's name, next
  to the field (the SDK keeps both; e.g. ``event.data`` and ``timer_trigger``);
- components, expanded in the SDK's order (a stack: the last field first), into their target
  fields, which they replace where the source field has a value (``speed`` into
  ``enhanced_speed``, ``compressed_speed_distance`` into ``speed`` and ``distance``); several
  components into one target give a tuple;
- developer fields under their ``field_name``, with their raw values (the SDK applies no scale
  to them); ``dev_<name>`` when that name is taken by a native field.

Accumulated components (:func:`accumulate`) carry a running total across the whole file per
message and target field, as the SDK's accumulator: it starts at the first value, adds each new
value's increase modulo ``2**bits``, and is set by a message that carries the target field
itself.

References
----------
``garmin_fit_sdk.decoder`` (``__expand_sub_fields``, ``__expand_components``) and
``garmin_fit_sdk.accumulator``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from finishline.io.fit_columns import Column, Raw, component_bits, name_values, render
from finishline.io.fit_messages import FitMessages
from finishline.io.fit_profile import Component, FieldInfo, Rendering
from finishline.io.fit_walk import Definition, DevField

#: Messages the SDK gives raw (no profile applied): the developer field descriptions.
RAW_MESSAGES = frozenset({206, 207})

#: (layout index) -> (field index, component index) -> accumulated raw values per row.
Accumulated = dict[int, dict[tuple[int, int], np.ndarray]]


@dataclass
class _Expansion:
    """A field waiting on the SDK's stack to have its components expanded."""

    rendering: Rendering  # a field or a subfield
    elements: np.ndarray  # (rows x elements) raw integers, the bit stream
    elem_bits: int
    valid: np.ndarray  # rows where the field has a value to expand
    source: int  # field index in the layout, -1 for an expanded target


def _expandable(raw: Raw, rendering: Rendering, present: np.ndarray) -> _Expansion | None:
    """The field as a bit stream to expand, where it has components (else ``None``)."""
    bits = rendering.elem_bits
    if not bits or raw.kind == "str":
        return None
    elements = raw.elements()
    # the SDK skips a value whose elements are all invalid in the profile's type
    invalid = rendering.invalid
    if elements.shape[1] == 1:
        valid = present & (elements[:, 0] != invalid)
    else:
        valid = present & ~(elements == invalid).all(axis=1)
    return _Expansion(rendering, elements, bits, valid, -1)


def _bit_positions(expansion_bits: int, n_elements: int, rendering: Rendering) -> list[int]:
    """Start bit of each component that fits in the value (the SDK stops at the first that
    does not, or when no bit is left)."""
    available = n_elements * expansion_bits
    starts, pos = [], 0
    for comp in rendering.components:
        if available - pos < comp.bits:
            break
        starts.append(pos)
        pos += comp.bits
        if pos >= available:
            break
    return starts


def accumulate(definitions: list[Definition], raws: dict[int, list[Raw]]) -> Accumulated:
    """Running totals of accumulated components over the whole file (see module docstring).

    Returns, per layout, the accumulated raw value of each (field, component) into an
    accumulated target, for every row of the layout (meaningless where the field is absent).
    """
    events: dict[tuple[int, int], list[tuple[np.ndarray, ...]]] = {}
    sets: list[tuple[tuple[int, int], int, int, Raw]] = []
    slots: list[tuple[int, tuple[int, int], np.ndarray]] = []
    for d_id, layout_raws in raws.items():
        definition = definitions[d_id]
        if definition.info is None:
            continue
        fields = definition.info.fields
        rows = definition.rows
        for i, (spec, raw) in enumerate(zip(definition.fields, layout_raws, strict=True)):
            info = spec.info
            if info is None or not info.accumulates or spec.dev is not None or raw.kind == "str":
                continue
            if info.accumulated and raw.values.dtype.kind != "f":  # the field itself sets it
                sets.append(((definition.global_num, info.num), d_id, i, raw))
            expansion = _expandable(raw, info, ~raw.missing)
            if expansion is None:
                continue
            starts = _bit_positions(expansion.elem_bits, expansion.elements.shape[1], info)
            for k, start in enumerate(starts):
                comp = info.components[k]
                target = fields.get(comp.target)
                if target is None or not target.accumulated:
                    continue
                values = component_bits(expansion.elements, expansion.elem_bits, start, comp.bits)
                ok = expansion.valid
                key = (definition.global_num, target.num)
                slot = len(slots)
                slots.append((d_id, (i, k), values))
                m = int(ok.sum())
                # order within a message: the field's own value first, then components in the
                # SDK's stack order (the last field first, its components in order)
                events.setdefault(key, []).append(
                    (rows[ok], np.ones(m, np.int64), np.full(m, -i), values[ok],
                     np.full(m, (1 << comp.bits) - 1), np.full(m, slot))
                )  # fmt: skip
    for key, d_id, i, raw in sets:  # a total set by the field itself matters if accumulated
        if key in events:
            ok = ~raw.missing
            m = int(ok.sum())
            events[key].append(
                (definitions[d_id].rows[ok], np.zeros(m, np.int64), np.full(m, i),
                 raw.elements()[ok, -1], np.zeros(m, np.int64), np.full(m, -1))
            )  # fmt: skip
    out: Accumulated = {}
    for evs in events.values():
        pos, phase, order, vals, masks, slot = (
            np.concatenate(parts) for parts in zip(*evs, strict=True)
        )
        if not vals.size:  # every value invalid (a corrupt definition): nothing accumulates
            continue
        # the SDK's order: by message, then the fields' own values, then components
        sort = np.lexsort((order, phase, pos))
        pos, phase, vals, masks, slot = pos[sort], phase[sort], vals[sort], masks[sort], slot[sort]
        first = phase == 0  # a value of the target field itself sets the total
        first[0] = True  # the first component value starts it
        prev = np.empty_like(vals)
        prev[1:] = vals[:-1]
        delta = np.where(first, 0, (vals - prev) & masks)
        start = np.maximum.accumulate(np.where(first, np.arange(vals.size), 0))
        csum = np.cumsum(delta)
        totals = vals[start] + csum - csum[start]
        for s in np.unique(slot[slot >= 0]).tolist():
            d_id, field_comp, values = slots[s]
            mine = slot == s
            filled = values.copy()
            filled[np.searchsorted(definitions[d_id].rows, pos[mine])] = totals[mine]
            out.setdefault(d_id, {})[field_comp] = filled
    return out


def _component_column(
    values: np.ndarray, comp: Component, target: FieldInfo, need_raw: bool = True
) -> tuple[Column, np.ndarray | None]:
    """A component's value in its target (the SDK: ``bits / scale - offset``, invalid when the
    target's raw form is the target's invalid value, enum names), and that raw form (``None``
    when not ``need_raw`` and no value can be invalid)."""
    value = values
    if comp.scale != 1 or comp.offset:
        value = values / comp.scale  # a new array: the offset comes off in place
        value -= comp.offset
    if need_raw or not _never_invalid(value, target):
        raw_target = (value + target.offset) * target.scale
        invalid = raw_target == target.invalid
    else:
        raw_target, invalid = None, np.zeros(value.shape, dtype=bool)
    if target.enum and value.dtype.kind != "f":
        named, any_named = name_values(value, target.enum)
        if any_named:
            return Column("obj", named, invalid), raw_target
    return Column("float", value.astype(np.float64, copy=False), invalid), raw_target


def _never_invalid(value: np.ndarray, target: FieldInfo) -> bool:
    """Whether no raw form ``(value + offset) * scale`` can be the target's invalid value: with
    a positive scale the raw form grows with the value (rounding keeps the order), so that of
    the smallest and the largest value bound all others; NaN tells nothing. (A few values:
    their raw forms cost less than the bounds.)"""
    if value.size < 1000 or not target.scale > 0:
        return False
    if value.dtype.kind != "f" and (target.scale != 1 or target.offset):
        return False  # (integer arithmetic could wrap)
    low, high = (np.array([value.min(), value.max()], value.dtype) + target.offset) * target.scale
    return bool(low <= high) and not low <= target.invalid <= high


def _combine(native: Column | None, parts: list[tuple[Column, np.ndarray]], n: int) -> Column:
    """A target field: the components' values where their source had one (a tuple where
    several components fill it), the native field elsewhere."""
    if len(parts) == 1:
        col, valid = parts[0]
        if native is None:
            return Column(col.kind, col.values, col.missing | ~valid)
        if native.kind == col.kind == "float":
            values = np.where(valid, col.values, native.values)
            return Column("float", values, np.where(valid, col.missing, native.missing))
        values = np.where(valid, col.as_objects(), native.as_objects())
        return Column("obj", values, np.where(valid, col.missing, native.missing))
    objs = [(c.as_objects(), valid) for c, valid in parts]
    out = native.as_objects() if native is not None else np.full(n, None, dtype=object)
    missing = native.missing.copy() if native is not None else np.ones(n, dtype=bool)
    for row in range(n):
        cells = [vals[row] for vals, valid in objs if valid[row]]
        if cells:
            out[row] = cells[0] if len(cells) == 1 else tuple(cells)
            missing[row] = False
    return Column("obj", out, missing)


def decode_layout(
    definition: Definition,
    raws: list[Raw],
    accumulated: dict[tuple[int, int], np.ndarray],
    out: FitMessages,
) -> dict[str, Column]:
    """Named columns of a layout's rows (see the module docstring); records units and
    developer fields of the message in ``out``."""
    n = len(definition.rows)
    name = definition.name
    units = out.units.setdefault(name, {})
    fields = definition.info.fields if definition.info else {}
    raw_only = definition.global_num in RAW_MESSAGES
    cols: dict[str, Column] = {}
    refs: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # integer fields: values, missing
    stack: list[_Expansion] = []
    devs: list[tuple[DevField, Raw]] = []
    for i, (spec, raw) in enumerate(zip(definition.fields, raws, strict=True)):
        if spec.dev is not None:
            devs.append((spec.dev, raw))
            continue
        info = spec.info
        field_name = info.name if info else f"unknown_{spec.num}"
        if raw_only:
            cols[field_name] = render(raw, None)
            continue
        cols[field_name] = render(raw, info)
        if info is not None and info.units and field_name not in units:
            units[field_name] = info.units
        if raw.kind == "num" and raw.values.dtype.kind != "f":
            refs[field_name] = (raw.values, raw.missing)
        if info is not None and info.elem_bits:  # (a field with components)
            expansion = _expandable(raw, info, ~raw.missing)
            if expansion is not None:
                expansion.source = i
                stack.append(expansion)
    seen: dict[str, set[int]] = {}
    for spec, raw in zip(definition.fields, raws, strict=True):
        if raw_only or spec.info is None or not spec.info.subfields or spec.dev is not None:
            continue
        for sub in spec.info.subfields:
            # most subfields' reference values occur in no row: those cost a set lookup only
            matched = [
                (ref_name, ref_value)
                for ref_name, ref_value in sub.refs
                if ref_value in _values_present(ref_name, refs, seen)
            ]
            if not matched:
                continue
            hit = np.zeros(n, dtype=bool)
            for ref_name, ref_value in matched:
                values, missing = refs[ref_name]
                hit |= ~missing & (values == ref_value)
            hit &= ~raw.missing
            if not hit.any():
                continue
            col = render(raw, sub)
            cols[sub.name] = Column(col.kind, col.values, col.missing | ~hit)
            if sub.units and sub.name not in units:
                units[sub.name] = sub.units
            expansion = _expandable(raw, sub, hit)
            if expansion is not None:
                stack.append(expansion)
    expanded: dict[str, list[tuple[Column, np.ndarray]]] = {}
    while stack:
        expansion = stack.pop()
        starts = _bit_positions(
            expansion.elem_bits, expansion.elements.shape[1], expansion.rendering
        )
        for k, start in enumerate(starts):
            comp = expansion.rendering.components[k]
            target = fields.get(comp.target)
            if target is None:
                continue
            acc = accumulated.get((expansion.source, k)) if expansion.source >= 0 else None
            if target.accumulated and acc is not None:
                values = acc
            else:
                values = component_bits(expansion.elements, expansion.elem_bits, start, comp.bits)
            nested = bool(target.components and target.elem_bits)
            col, raw_target = _component_column(values, comp, target, need_raw=nested)
            expanded.setdefault(target.name, []).append((col, expansion.valid))
            if target.units and target.name not in units:
                units[target.name] = target.units
            if nested:
                as_int = np.clip(np.nan_to_num(raw_target), -(2**62), 2**62).astype(np.int64)
                as_int = as_int[:, None]
                valid = expansion.valid & ~col.missing
                stack.append(_Expansion(target, as_int, target.elem_bits, valid, -1))
    for target_name, parts in expanded.items():
        cols[target_name] = _combine(cols.get(target_name), parts, n)
    if devs:
        developer = out.developer.setdefault(name, {})
        native_names = definition.info.names if definition.info else frozenset()
        for dev, raw in devs:
            column = developer_column(dev.column, native_names)
            col = render(raw, None)
            if column in cols:  # the same field described twice: first value wins
                col = _first_present(cols[column], col)
            cols[column] = col
            developer[column] = dev
            if dev.units and column not in units:
                units[column] = dev.units
    return cols


def _values_present(
    name: str, refs: dict[str, tuple[np.ndarray, np.ndarray]], seen: dict[str, set[int]]
) -> set[int]:
    """The distinct values reference field ``name`` holds where present (empty when the layout
    has no such integer field), read once per layout."""
    if name not in seen:
        if name in refs:
            values, missing = refs[name]
            seen[name] = set(np.unique(values[~missing]).tolist())
        else:
            seen[name] = set()
    return seen[name]


def developer_column(field_name: str, native_names: frozenset[str] | set[str]) -> str:
    """The column of a developer field: its name, or ``dev_<name>`` when a field of the
    message's profile has that name (developer fields never mix with native ones)."""
    return f"dev_{field_name}" if field_name in native_names else field_name


def _first_present(first: Column, second: Column) -> Column:
    if first.kind == second.kind == "float":
        values = np.where(first.missing, second.values, first.values)
        return Column("float", values, first.missing & second.missing)
    values = np.where(first.missing, second.as_objects(), first.as_objects())
    return Column("obj", values, first.missing & second.missing)
