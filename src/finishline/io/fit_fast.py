"""The fast FIT engine: numpy column decoding that reproduces the fitparse reference exactly.

:func:`decode` returns the same :class:`~finishline.io.fit_messages.FitMessages` as
:func:`finishline.io.fit_fitparse.decode` (same tables, columns, values, units and warnings),
using fitparse's own profile for names, types, scales, components and subfields. It works in
three passes:

1. :func:`finishline.io.fit_walk.walk` visits message headers only and records, per definition,
   where each of its data messages starts;
2. each definition's messages are gathered into a (rows x bytes) matrix and every field is
   decoded for all rows at once (invalid sentinels, endianness, subfields, components);
3. the two sequential states of the format, the compressed-timestamp accumulator and the
   accumulated components (e.g. ``distance`` from ``compressed_speed_distance``), are unrolled
   with cumulative sums over the whole file.

Anything it does not reproduce raises :class:`NotImplementedError` (the caller falls back to
fitparse for the whole file); nothing is dropped silently.

References
----------
Garmin FIT SDK, "FIT File Protocol" and Profile.xlsx (as exported in ``fitparse.profile``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from fitparse.profile import FIELD_TYPE_TIMESTAMP

from finishline.errors import CorruptFileError
from finishline.io.fit_columns import (
    Column,
    Raw,
    Unsupported,
    component_bits,
    equals_int,
    extract,
    render,
)
from finishline.io.fit_messages import FitMessages
from finishline.io.fit_walk import Definition, Walk, WalkStop, walk

FIT_EPOCH_S = 631065600  # 1989-12-31T00:00:00Z in Unix seconds
_TIMESTAMP = FIELD_TYPE_TIMESTAMP.def_num
_DATE_TYPES = ("date_time", "local_date_time")


@dataclass
class _Item:
    """One of fitparse's FieldData entries of a message, for a block of rows."""

    name: str
    column: Column
    units: str | None
    type_name: str | None


@dataclass
class _Block:
    """Rows of one message name that share the same field names in the same order."""

    rows: np.ndarray  # global data-message positions
    items: list[_Item] = field(default_factory=list)


def _subfield_choice(fld: Any, definition: Definition, raws: list[Raw], n: int) -> np.ndarray:
    """Index of the subfield fitparse resolves for each row (-1: the field itself)."""
    choice = np.full(n, -1, dtype=np.int64)
    if not fld.subfields:
        return choice
    undecided = np.ones(n, dtype=bool)
    for k, sub in enumerate(fld.subfields):
        hit = np.zeros(n, dtype=bool)
        for ref in sub.ref_fields:
            for spec, raw in zip(definition.fields, raws, strict=True):
                if not spec.is_dev and spec.def_num == ref.def_num:
                    hit |= equals_int(raw, ref.raw_value)
        hit &= undecided
        choice[hit] = k
        undecided &= ~hit
    return choice


def _resolved(fld: Any, choice: int) -> Any:
    return fld if choice < 0 else fld.subfields[choice]


class _Decoder:
    def __init__(self, data: bytes, result: Walk) -> None:
        self.buf = np.frombuffer(data, dtype=np.uint8)
        self.walk = result
        self.raws: dict[int, list[Raw]] = {}
        self.accumulated: dict[tuple[int, int, int], np.ndarray] = {}
        self.timestamps = np.zeros(result.n_messages, dtype=np.int64)

    def extract_all(self) -> None:
        for d_id, definition in enumerate(self.walk.definitions):
            if not definition.rows.size:
                continue
            offsets = np.asarray(definition.offsets, dtype=np.int64)
            matrix = self.buf[offsets[:, None] + np.arange(definition.size, dtype=np.int64)]
            self.raws[d_id] = [extract(matrix, s, definition.big_endian) for s in definition.fields]

    def compressed_timestamps(self) -> None:
        """Unroll fitparse's compressed-timestamp accumulator over the whole file."""
        n = self.walk.n_messages
        has_set = np.zeros(n, dtype=bool)
        set_value = np.zeros(n, dtype=np.int64)
        offsets = np.full(n, -1, dtype=np.int64)
        for d_id, raws in self.raws.items():
            definition = self.walk.definitions[d_id]
            rows = np.asarray(definition.rows, dtype=np.int64)
            offsets[rows] = definition.time_offsets
            for spec, raw in zip(definition.fields, raws, strict=True):
                if spec.def_num != _TIMESTAMP:
                    continue
                if raw.kind != "num" or raw.values.dtype.kind == "f":
                    if not raw.missing.all():
                        raise Unsupported("timestamp field that is not a scalar integer")
                    continue
                ok = ~raw.missing
                has_set[rows[ok]] = True
                set_value[rows[ok]] = raw.values[ok]
        compressed = np.flatnonzero(offsets >= 0)
        if compressed.size == 0:
            return
        starts = np.zeros(n, dtype=bool)
        starts[0] = True
        starts[[s for s in self.walk.segment_starts if s < n]] = True
        resets = np.flatnonzero(has_set | starts)
        base = np.where(has_set[resets], set_value[resets], 0)
        group = np.searchsorted(resets, compressed, side="right") - 1
        o = offsets[compressed]
        first = np.ones(compressed.size, dtype=bool)
        first[1:] = group[1:] != group[:-1]
        prev_low = np.empty_like(o)
        prev_low[1:] = o[:-1]
        prev_low[first] = base[group[first]] & 0x1F
        delta = (o - prev_low) % 32
        csum = np.cumsum(delta)
        start_sum = np.maximum.accumulate(np.where(first, np.arange(o.size), 0))
        before = csum[start_sum] - delta[start_sum]
        self.timestamps[compressed] = base[group] + csum - before

    def accumulate_components(self) -> None:
        """Unroll fitparse's accumulated components (shared per message number and target)."""
        events: dict[tuple[int, int], list[tuple[Any, ...]]] = {}
        for d_id, raws in self.raws.items():
            definition = self.walk.definitions[d_id]
            rows = np.asarray(definition.rows, dtype=np.int64)
            for i, (spec, raw) in enumerate(zip(definition.fields, raws, strict=True)):
                fld = spec.field
                if spec.is_dev or fld is None:
                    continue
                subs = [fld, *(fld.subfields or [])]
                if not any(c.accumulate for s in subs for c in (s.components or [])):
                    continue
                if fld.subfields:
                    raise Unsupported("accumulated component under a subfield")
                for k, comp in enumerate(fld.components):
                    if not comp.accumulate:
                        continue
                    values, missing, present = component_bits(raw, comp.bit_offset, comp.bits)
                    ok = ~missing & present
                    order = i * 256 + k
                    key = (definition.global_num, comp.def_num)
                    events.setdefault(key, []).append(
                        (rows[ok], order, values[ok], comp.bits, (d_id, i, k), ok)
                    )
                    self.accumulated[(d_id, i, k)] = values.copy()
        if not events:
            return
        resets: dict[tuple[int, int], list[int]] = {}
        for position, num, target in self.walk.accumulator_resets:
            resets.setdefault((num, target), []).append(position)
        for key, evs in events.items():
            pos = np.concatenate([e[0] for e in evs])
            order = np.concatenate([np.full(len(e[0]), e[1]) for e in evs])
            vals = np.concatenate([e[2] for e in evs])
            bits = np.concatenate([np.full(len(e[0]), e[3]) for e in evs])
            src = np.concatenate([np.full(len(e[0]), j) for j, e in enumerate(evs)])
            idx = np.concatenate([np.flatnonzero(e[5]) for e in evs])
            sort = np.lexsort((order, pos))
            pos, vals, bits, src, idx = pos[sort], vals[sort], bits[sort], src[sort], idx[sort]
            reset_at = np.asarray(sorted(resets.get(key, [])), dtype=np.int64)
            if reset_at.size == 0 or (pos.size and pos[0] < reset_at[0]):
                raise Unsupported("accumulated component without a reset")
            group = np.searchsorted(reset_at, pos, side="right")
            if np.unique(bits).size > 1:
                raise Unsupported("accumulated components of different widths")
            modulus = 1 << int(bits[0]) if bits.size else 1
            first = np.ones(pos.size, dtype=bool)
            first[1:] = group[1:] != group[:-1]
            prev = np.empty_like(vals)
            prev[1:] = vals[:-1]
            prev[first] = 0
            delta = (vals - prev) % modulus
            csum = np.cumsum(delta)
            start = np.maximum.accumulate(np.where(first, np.arange(pos.size), 0))
            acc = csum - (csum[start] - delta[start])
            for j, e in enumerate(evs):
                mine = src == j
                self.accumulated[e[4]][idx[mine]] = acc[mine]

    def blocks(self, d_id: int) -> list[_Block]:
        """Split a definition's rows by the field names fitparse gives them (subfields that
        resolve differently, components skipped, compressed timestamps) and decode each."""
        definition = self.walk.definitions[d_id]
        raws = self.raws[d_id]
        n = len(definition.rows)
        rows = np.asarray(definition.rows, dtype=np.int64)
        time_offsets = np.asarray(definition.time_offsets, dtype=np.int64)
        choices: dict[int, np.ndarray] = {}
        keys: list[np.ndarray] = [time_offsets >= 0]
        mesg_fields = definition.mesg_type.fields if definition.mesg_type else {}

        def choice_of(fld: Any) -> np.ndarray:
            if fld.def_num not in choices:
                choices[fld.def_num] = _subfield_choice(fld, definition, raws, n)
                keys.append(choices[fld.def_num])
            return choices[fld.def_num]

        for spec, raw in zip(definition.fields, raws, strict=True):
            if spec.is_dev or spec.field is None:
                continue
            ch = choice_of(spec.field)
            for c in [ch[0]] if (ch == ch[0]).all() else np.unique(ch):
                for comp in _resolved(spec.field, int(c)).components or []:
                    if comp.def_num not in mesg_fields:
                        raise Unsupported("component targets an unknown field")
                    choice_of(mesg_fields[comp.def_num])
                    _, _, present = component_bits(raw, comp.bit_offset, comp.bits)
                    if not present:
                        keys.append(raw.missing.astype(np.int64))
        varying = [k.astype(np.int64) for k in keys if (k != k[0]).any()]
        if not varying:
            sel = np.arange(n)
            return [self._block(d_id, definition, raws, rows, sel, choices, mesg_fields)]
        uniq, inverse = np.unique(np.stack(varying, axis=1), axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        out = []
        for v in range(len(uniq)):
            sel = np.flatnonzero(inverse == v)
            out.append(self._block(d_id, definition, raws, rows, sel, choices, mesg_fields))
        return out

    def _block(
        self,
        d_id: int,
        definition: Definition,
        raws: list[Raw],
        rows: np.ndarray,
        sel: np.ndarray,
        choices: dict[int, np.ndarray],
        mesg_fields: dict[int, Any],
    ) -> _Block:
        block = _Block(rows=rows[sel])
        items = block.items
        for i, (spec, raw_all) in enumerate(zip(definition.fields, raws, strict=True)):
            raw = raw_all.take(sel) if len(sel) != len(rows) else raw_all
            fld = spec.field
            if fld is None:
                name = f"unknown_{spec.def_num}"
                items.append(_Item(name, render(raw, None, None, None, None), None, spec.base.name))
                continue
            if spec.is_dev:
                col = render(raw, fld, fld.type.name, None, None)
                items.append(_Item(fld.name, col, fld.units, fld.type.name))
                continue
            rf = _resolved(fld, int(choices[fld.def_num][sel[0]]))
            for k, comp in enumerate(rf.components or []):
                values, missing, present = component_bits(raw, comp.bit_offset, comp.bits)
                if not present and not missing.all():
                    continue
                if comp.accumulate:
                    values = self.accumulated[(d_id, i, k)][sel]
                target = mesg_fields[comp.def_num]
                target = _resolved(target, int(choices[comp.def_num][sel[0]]))
                cmp_raw = Raw("num", values, missing)
                col = render(cmp_raw, None, None, comp.scale, comp.offset)
                col = _render_again(col, target)
                items.append(_Item(target.name, col, target.units, target.type.name))
            col = render(raw, rf, rf.type.name, rf.scale, rf.offset)
            items.append(_Item(rf.name, col, rf.units, rf.type.name))
        if definition.time_offsets[sel[0]] >= 0:
            secs = self.timestamps[block.rows]
            col = render(Raw("num", secs, np.zeros(len(sel), dtype=bool)), None, "date_time", 0, 0)
            items.append(_Item("timestamp", col, FIELD_TYPE_TIMESTAMP.units, "date_time"))
        return block


def _render_again(col: Column, target: Any) -> Column:
    """A component's scaled value rendered by its target field (enum names, type processors)."""
    type_name = target.type.name
    if col.kind == "float":
        if getattr(target.type, "values", None) or type_name in (
            "bool", "date_time", "local_date_time", "localtime_into_day",
        ):  # fmt: skip
            raise Unsupported("scaled component into an enum or time field")
        return col
    raw = Raw("num", col.values, col.missing)
    return render(raw, target, type_name, None, None)


def _merge(items: list[_Item]) -> Column:
    """fitparse's rule for a repeated name: the first value that is not None."""
    cols = [it.column for it in items]
    if len(cols) == 1:
        return cols[0]
    kinds = {c.kind for c in cols}
    if kinds <= {"int", "float"} or kinds == {"date"}:
        kind = "float" if "float" in kinds else next(iter(kinds))
        dtype = np.float64 if kind == "float" else np.int64
        values = cols[0].values.astype(dtype, copy=True)
        missing = cols[0].missing.copy()
        for c in cols[1:]:
            fill = missing & ~c.missing
            values[fill] = c.values[fill]
            missing &= c.missing
        return Column(kind, values, missing)
    if "date" in kinds:
        raise Unsupported("date values mixed with other values under one name")
    values = cols[0].as_objects()
    missing = cols[0].missing.copy()
    for c in cols[1:]:
        fill = missing & ~c.missing
        values[fill] = c.as_objects()[fill]
        missing &= c.missing
    return Column("obj", values, missing)


def _units_candidates(items: list[_Item], rows: np.ndarray) -> tuple[int, int, str] | None:
    """(first message position, order, unit) of the unit fitparse's reference records."""
    best = None
    processed = np.ones(len(rows), dtype=bool)
    for k, it in enumerate(items):
        if it.units:
            where = processed & (it.column.missing if it.column.units_only_when_missing else True)
            hits = np.flatnonzero(where)
            if hits.size and (best is None or (rows[hits[0]], k) < best[:2]):
                best = (int(rows[hits[0]]), k, it.units)
        processed = processed & it.column.missing
    return best


def _assemble(name: str, blocks: list[_Block], file_of: np.ndarray, out: FitMessages) -> None:
    blocks = sorted(blocks, key=lambda b: int(b.rows[0]))
    all_rows = np.sort(np.concatenate([b.rows for b in blocks]))
    total = all_rows.size
    order: list[str] = []
    pieces: dict[str, list[tuple[np.ndarray, Column]]] = {}
    unit_pick: dict[str, tuple[int, int, str]] = {}
    date_cols: set[str] = set()
    for block in blocks:
        pos = np.searchsorted(all_rows, block.rows)
        grouped: dict[str, list[_Item]] = {}
        for it in block.items:
            grouped.setdefault(it.name, []).append(it)
        for col_name, its in grouped.items():
            if col_name not in pieces:
                order.append(col_name)
                pieces[col_name] = []
            if any(it.type_name in _DATE_TYPES for it in its):
                if not all(it.type_name in _DATE_TYPES for it in its):
                    raise Unsupported("date and non-date fields under one name")
                date_cols.add(col_name)
            pieces[col_name].append((pos, _merge(its)))
            if col_name in date_cols:
                continue  # date columns record no unit (see fit_messages)
            pick = _units_candidates(its, block.rows)
            if pick and (col_name not in unit_pick or pick[:2] < unit_pick[col_name][:2]):
                unit_pick[col_name] = pick
    columns: dict[str, Any] = {"_file": file_of[all_rows]}
    for col_name in order:
        columns[col_name] = _column(pieces[col_name], total, col_name in date_cols)
    frame = pd.DataFrame(columns)
    out.tables[name] = frame
    out.units[name] = {c: u for c, (_, _, u) in unit_pick.items()}


def _column(pieces: list[tuple[np.ndarray, Column]], total: int, is_date: bool) -> Any:
    """One table column from its blocks, typed as pandas types fitparse's row dicts."""
    kinds = {c.kind for _, c in pieces}
    if is_date:
        if kinds != {"date"}:
            raise Unsupported("date column with non-date values")
        secs = np.zeros(total, dtype=np.int64)
        missing = np.ones(total, dtype=bool)
        for pos, c in pieces:
            secs[pos] = c.values
            missing[pos] = c.missing
        stamps = (secs + FIT_EPOCH_S).astype("datetime64[s]").astype("datetime64[us]")
        stamps[missing] = np.datetime64("NaT")
        return pd.Series(pd.DatetimeIndex(stamps).tz_localize("UTC"))
    if kinds <= {"int", "float"} and not all(c.missing.all() for _, c in pieces):
        covered = sum(len(p) for p, _ in pieces) == total
        if kinds == {"int"} and covered and not any(c.missing.any() for _, c in pieces):
            values = np.zeros(total, dtype=np.int64)
            for pos, c in pieces:
                values[pos] = c.values
            return values
        values = np.full(total, np.nan)
        for pos, c in pieces:
            values[pos] = np.where(c.missing, np.nan, c.values)
        return values
    # absent from a row -> NaN, present but None -> None, as in a DataFrame of row dicts
    obj = np.empty(total, dtype=object)
    obj[:] = np.nan
    for pos, c in pieces:
        obj[pos] = c.as_objects()
    return pd.Series(obj.tolist())


def decode(data: bytes, source: str | None = None) -> FitMessages:
    """Decode FIT bytes into one DataFrame per message name, identical to the fitparse engine.

    Parameters
    ----------
    data
        The FIT file's bytes (chained files allowed).
    source
        The file name, for error messages.

    Returns
    -------
    FitMessages
        As :func:`finishline.io.fit_fitparse.decode` returns, with ``engine="fast"``.

    Raises
    ------
    CorruptFileError
        The file header is broken or no message could be read at all.
    NotImplementedError
        The file uses a construct this engine does not reproduce; decode it with fitparse.
    """
    try:
        result = walk(bytes(data))
    except WalkStop as exc:
        raise CorruptFileError(f"not a readable FIT file ({exc.kind}: {exc})", source) from exc
    out = FitMessages(engine="fast")
    stop = result.stop
    if result.crc_bad:
        out.warnings.append("CRC mismatch: the file may be damaged; read without the check")
    if stop is not None and result.n_messages == 0:
        raise CorruptFileError(f"not a readable FIT file ({stop.kind}: {stop})", source)
    if stop is not None and stop.kind == "eof":
        out.warnings.append(f"file ends early (truncated after {result.n_messages} messages)")
    elif stop is not None:
        out.warnings.append(
            f"decoding stopped after {result.n_messages} messages ({stop.kind}: {stop})"
        )
    decoder = _Decoder(bytes(data), result)
    decoder.extract_all()
    decoder.compressed_timestamps()
    decoder.accumulate_components()
    by_name: dict[str, list[_Block]] = {}
    is_file_id = np.zeros(result.n_messages, dtype=np.int64)
    for d_id in decoder.raws:
        definition = result.definitions[d_id]
        if definition.name == "file_id":
            is_file_id[np.asarray(definition.rows)] = 1
        by_name.setdefault(definition.name, []).extend(decoder.blocks(d_id))
    counts = np.cumsum(is_file_id)
    file_of = np.maximum(counts - 1, 0)
    for name, blocks in sorted(by_name.items(), key=lambda kv: min(int(b.rows[0]) for b in kv[1])):
        _assemble(name, blocks, file_of, out)
    out.n_files = max(int(counts[-1]) if counts.size else 0, 1)
    return out
