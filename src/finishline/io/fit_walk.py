"""The first pass of the fast FIT decoder: walk message headers and definitions.

One tight Python loop over the messages (not the fields) finds where every data message starts
and which definition it uses, following fitparse's reading rules exactly (the header, chained
files, the bytes-left rule, CRC, where reading stops on damaged input). Developer-data
messages are decoded on the spot because later definitions depend on them.

References
----------
Garmin FIT SDK, "FIT File Protocol" (file header, record headers, definition messages,
compressed timestamp headers, developer data).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from fitparse.profile import MESSAGE_TYPES
from fitparse.records import BASE_TYPE_BYTE, BASE_TYPES, DevField, parse_string

from finishline.io.fit_crc import crc16

# Record header bytes that start a data message of each local type: normal headers carry it in
# bits 0-3 (bits 4-5 ignored, as fitparse does), compressed-timestamp headers in bits 5-6.
_HEADERS_OF_LOCAL = [
    [b for b in range(0x40) if b & 0xF == local]
    + [b for b in range(0x80, 0x100) if local < 4 and (b >> 5) & 0x3 == local]
    for local in range(16)
]


class WalkStop(Exception):
    """Reading stopped here; ``kind`` is fitparse's problem name (eof, header, crc, corrupt)."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(message)


@dataclass
class FieldSpec:
    """One field of a definition message, with where it sits in each data message."""

    def_num: int
    base: Any  # fitparse BaseType
    count: int
    offset: int
    field: Any  # fitparse Field, DevField or None
    is_dev: bool

    @property
    def nbytes(self) -> int:
        return self.count * self.base.size


@dataclass
class Definition:
    """A definition message and the data messages that used it."""

    global_num: int
    mesg_type: Any
    big_endian: bool
    fields: list[FieldSpec]
    size: int
    zero_field: bool = False
    accumulator_targets: list[int] = field(default_factory=list)
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    offsets: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    time_offsets: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def name(self) -> str:
        return self.mesg_type.name if self.mesg_type else f"unknown_{self.global_num}"


@dataclass
class Walk:
    """Everything the first pass found."""

    definitions: list[Definition] = field(default_factory=list)
    segment_starts: list[int] = field(default_factory=list)  # first message of chained files
    # (message position, global message number, component target def_num)
    accumulator_resets: list[tuple[int, int, int]] = field(default_factory=list)
    n_messages: int = 0
    crc_bad: bool = False
    stop: WalkStop | None = None


def _raw_value(data: bytes, offset: int, spec: FieldSpec, big_endian: bool) -> Any:
    """fitparse's parsed raw value of one field of one message (for the rare eager decode)."""
    base = spec.base
    chunk = data[offset + spec.offset : offset + spec.offset + spec.nbytes]
    if base.name == "string":
        return parse_string(chunk)
    fmt = (">" if big_endian else "<") + f"{spec.count}{base.fmt}"
    values = struct.unpack(fmt, chunk)
    if base.name == "byte":
        return base.parse(values)
    if len(values) > 1:
        return tuple(base.parse(v) for v in values)
    return base.parse(values[0])


def _named_raw(data: bytes, offset: int, definition: Definition, name: str) -> Any:
    for spec in definition.fields:
        if spec.field is not None and spec.field.name == name:
            return _raw_value(data, offset, spec, definition.big_endian)
    return None


def _register_developer(
    data: bytes, offset: int, definition: Definition, dev_types: dict[Any, dict[int, DevField]]
) -> None:
    """Apply a developer_data_id / field_description message (fitparse's rules)."""
    if definition.name == "developer_data_id":
        index = _named_raw(data, offset, definition, "developer_data_index")
        dev_types[index] = {}
        return
    index = _named_raw(data, offset, definition, "developer_data_index")
    def_num = _named_raw(data, offset, definition, "field_definition_number")
    base_id = _named_raw(data, offset, definition, "fit_base_type_id")
    name = _named_raw(data, offset, definition, "field_name") or f"unnamed_dev_field_{def_num}"
    units = _named_raw(data, offset, definition, "units")
    native = _named_raw(data, offset, definition, "native_field_num")
    if index not in dev_types:
        raise WalkStop("corrupt", f"No such dev_data_index={index} found")
    try:
        fields = dev_types[int(index)]
        base = BASE_TYPES[base_id]
    except (KeyError, TypeError) as exc:
        raise WalkStop("corrupt", str(exc)) from exc
    fields[def_num] = DevField(
        dev_data_index=index, def_num=def_num, type=base, name=name, units=units,
        native_field_num=native,
    )  # fmt: skip


def _file_header(data: bytes, pos: int, check: bool) -> tuple[int, int]:
    """Parse a file header at ``pos``; return (first message byte, end of data)."""
    n = len(data)
    if n - pos < 12:
        raise WalkStop("eof", f"Tried to read 12 bytes from .FIT file but got {n - pos}")
    if data[pos + 8 : pos + 12] != b".FIT":
        raise WalkStop("header", "Invalid .FIT File Header")
    header_size = data[pos]
    data_size = int.from_bytes(data[pos + 4 : pos + 8], "little")
    extra = header_size - 12
    if extra > 0:
        if extra < 2:
            raise WalkStop("header", "Irregular File Header Size")
        if n - pos < 14:
            raise WalkStop("eof", f"Tried to read 2 bytes from .FIT file but got {n - pos - 12}")
        read = int.from_bytes(data[pos + 12 : pos + 14], "little")
        if check and read != 0 and read != crc16(data[pos : pos + 12]):
            raise WalkStop("crc", "CRC Mismatch (file header)")
        if extra > 2 and n - pos < header_size:
            raise WalkStop("eof", f"Tried to read {extra - 2} bytes from .FIT file")
    start = pos + max(header_size, 12)
    return start, start + data_size


def walk(data: bytes) -> Walk:
    """Walk all messages of (possibly chained) FIT ``data``.

    Definitions with an identical layout (a device re-sending the same definition) share one
    :class:`Definition`, so their data messages are decoded as one block.

    Raises
    ------
    WalkStop
        When the very first file header is unreadable (fitparse raises in its constructor).
    """
    out = Walk()
    n = len(data)
    start, end = _file_header(data, 0, check=True)
    segment_start = 0
    dev_types: dict[Any, dict[int, DevField]] = {}
    layouts: dict[Any, int] = {}
    msg_def: list[int] = []
    msg_offset: list[int] = []
    buf = np.frombuffer(data, dtype=np.uint8)
    try:
        while True:
            # record header byte -> (definition index, size, special) of the data message it
            # starts; definition headers (0x40-0x7F) and unset local types stay None
            by_header: list[tuple[int, int, int] | None] = [None] * 256
            p = start
            last = None
            ids_append, offsets_append = msg_def.append, msg_offset.append
            while p < end:
                if p >= n:
                    raise WalkStop("eof", "Tried to read 1 bytes from .FIT file but got 0")
                entry = by_header[data[p]]
                p += 1
                if entry is None:
                    header = data[p - 1]
                    if header & 0xC0 == 0x40:
                        position = len(msg_def)
                        p = _definition(
                            data, p, header, by_header, dev_types, out, layouts, position
                        )
                        continue
                    local_num = (header >> 5) & 0x3 if header & 0x80 else header & 0xF
                    raise WalkStop(
                        "corrupt", f"Got data message with invalid local message type {local_num}"
                    )
                d_id, size, special = entry
                if entry is last and not special:
                    # a run of messages of the same layout: find its length with numpy
                    run = _run_length(buf, p - 1, size + 1, min(end, n - size))
                    if run > 1:
                        msg_def.extend([d_id] * run)
                        msg_offset.extend(range(p, p + run * (size + 1), size + 1))
                        p += run * (size + 1) - 1
                        continue
                last = entry
                if special:
                    if special == 2:
                        raise WalkStop("corrupt", "Invalid struct format: zero-length field")
                    if p + size <= n:
                        _register_developer(data, p, out.definitions[d_id], dev_types)
                if p + size > n:
                    raise WalkStop("eof", "Tried to read past the end of the .FIT file")
                ids_append(d_id)
                offsets_append(p)
                p += size
            if p + 2 > n:
                raise WalkStop("eof", "Tried to read 2 bytes from .FIT file but got fewer")
            if not out.crc_bad and int.from_bytes(data[p : p + 2], "little") != crc16(
                data[segment_start:p]
            ):
                out.crc_bad = True
            p += 2
            if p >= n:
                break
            try:
                start, end = _file_header(data, p, check=not out.crc_bad)
            except WalkStop as exc:
                if exc.kind != "crc":
                    raise
                out.crc_bad = True
                start, end = _file_header(data, p, check=False)
            segment_start = p
            out.segment_starts.append(len(msg_def))
    except WalkStop as exc:
        out.stop = exc
    _group(out, data, msg_def, msg_offset)
    return out


def _run_length(buf: np.ndarray, start: int, stride: int, stop: int) -> int:
    """How many messages from ``start`` on, ``stride`` bytes apart and starting before
    ``stop``, carry the same record header (the same local type, for compressed headers)."""
    count = (stop - start + stride - 1) // stride
    if count <= 1:
        return max(count, 0)
    count = min(count, 65536)
    heads = buf[start : start + (count - 1) * stride + 1 : stride]
    first = int(heads[0])
    same = (heads & 0xE0) == (first & 0xE0) if first & 0x80 else heads == first
    if same.all():
        return count
    return int(np.argmin(same))


def _group(out: Walk, data: bytes, msg_def: list[int], msg_offset: list[int]) -> None:
    """Give each definition the positions, byte offsets and time offsets of its messages."""
    out.n_messages = len(msg_def)
    ids = np.asarray(msg_def, dtype=np.int64)
    offsets = np.asarray(msg_offset, dtype=np.int64)
    headers = np.frombuffer(data, dtype=np.uint8)[offsets - 1].astype(np.int64)
    times = np.where(headers & 0x80, headers & 0x1F, -1)
    order = np.argsort(ids, kind="stable")
    bounds = np.searchsorted(ids[order], np.arange(len(out.definitions) + 1))
    for d_id, definition in enumerate(out.definitions):
        rows = order[bounds[d_id] : bounds[d_id + 1]]
        definition.rows = rows
        definition.offsets = offsets[rows]
        definition.time_offsets = times[rows]


def _definition(
    data: bytes,
    p: int,
    header: int,
    by_header: list[tuple[int, int, int] | None],
    dev_types: dict[Any, dict[int, DevField]],
    out: Walk,
    layouts: dict[Any, int],
    position: int,
) -> int:
    """Parse a definition message starting after its header byte; return the next position."""
    n = len(data)
    if p + 5 > n:
        raise WalkStop("eof", "Tried to read past the end of the .FIT file")
    num_fields = data[p + 4]
    body_end = p + 5 + 3 * num_fields
    if body_end > n:
        raise WalkStop("eof", "Tried to read past the end of the .FIT file")
    dev_specs: tuple[tuple[int, int, int], ...] = ()
    next_p = body_end
    if header & 0x20:
        if body_end + 1 > n:
            raise WalkStop("eof", "Tried to read past the end of the .FIT file")
        num_dev = data[body_end]
        next_p = body_end + 1 + 3 * num_dev
        if next_p > n:
            raise WalkStop("eof", "Tried to read past the end of the .FIT file")
        raw = data[body_end + 1 : next_p]
        dev_specs = tuple((raw[3 * i], raw[3 * i + 1], raw[3 * i + 2]) for i in range(num_dev))
    devs = []
    for def_num, size, index in dev_specs:
        if index not in dev_types:
            raise WalkStop(
                "corrupt", f"No such dev_data_index={index} found when looking up field {def_num}"
            )
        if def_num not in dev_types[index]:
            raise WalkStop("corrupt", f"No such field {def_num} for dev_data_index {index}")
        devs.append((dev_types[index][def_num], size))
    key = (data[p:body_end], tuple((id(dev), size) for dev, size in devs))
    d_id = layouts.get(key)
    if d_id is None:
        d_id = _new_layout(data, p, num_fields, devs, out)
        layouts[key] = d_id
    definition = out.definitions[d_id]
    for target in definition.accumulator_targets:
        out.accumulator_resets.append((position, definition.global_num, target))
    special = 2 if definition.zero_field else int(definition.global_num in (206, 207))
    entry = (d_id, definition.size, special)
    for byte in _HEADERS_OF_LOCAL[header & 0xF]:
        by_header[byte] = entry
    return next_p


def _new_layout(data: bytes, p: int, num_fields: int, devs: list[Any], out: Walk) -> int:
    big = data[p + 1] != 0
    global_num = struct.unpack(">H" if big else "<H", data[p + 2 : p + 4])[0]
    mesg_type = MESSAGE_TYPES.get(global_num)
    known = mesg_type.fields if mesg_type else {}
    specs: list[FieldSpec] = []
    targets: list[int] = []
    offset = 0
    p += 5
    for i in range(num_fields):
        def_num, size, base_num = data[p + 3 * i], data[p + 3 * i + 1], data[p + 3 * i + 2]
        base = BASE_TYPES.get(base_num, BASE_TYPE_BYTE)
        if size % base.size:
            raise WalkStop(
                "corrupt",
                f"Invalid field size {size} for type '{base.name}' "
                f"(expected a multiple of {base.size})",
            )
        fld = known.get(def_num)
        if fld is not None and fld.components:
            targets.extend(c.def_num for c in fld.components if c.accumulate)
        specs.append(FieldSpec(def_num, base, size // base.size, offset, fld, False))
        offset += size
    for dev, size in devs:
        # fitparse reads int(size / base size) values, ignoring any remainder byte
        count = int(size / dev.type.size)
        specs.append(FieldSpec(dev.def_num, dev.type, count, offset, dev, True))
        offset += count * dev.type.size
    definition = Definition(global_num, mesg_type, big, specs, offset)
    # fitparse refuses a zero-length struct read when the first data message arrives
    definition.zero_field = any(spec.count == 0 for spec in specs)
    definition.accumulator_targets = targets
    out.definitions.append(definition)
    return len(out.definitions) - 1
