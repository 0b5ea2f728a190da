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

from fitparse.profile import MESSAGE_TYPES
from fitparse.records import BASE_TYPE_BYTE, BASE_TYPES, DevField, parse_string

from finishline.io.fit_crc import crc16


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
    rows: list[int] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    time_offsets: list[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.mesg_type.name if self.mesg_type else f"unknown_{self.global_num}"


@dataclass
class Walk:
    """Everything the first pass found."""

    definitions: list[Definition] = field(default_factory=list)
    msg_segment: list[int] = field(default_factory=list)
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

    Raises
    ------
    WalkStop
        When the very first file header is unreadable (fitparse raises in its constructor).
    """
    out = Walk()
    n = len(data)
    start, end = _file_header(data, 0, check=True)
    segment = 0
    segment_start = 0
    dev_types: dict[Any, dict[int, DevField]] = {}
    n_messages = 0
    msg_segment = out.msg_segment
    try:
        while True:
            local: dict[int, Definition] = {}
            p = start
            while p < end:
                if p >= n:
                    raise WalkStop("eof", "Tried to read 1 bytes from .FIT file but got 0")
                header = data[p]
                p += 1
                if header & 0x80:
                    definition = local.get((header >> 5) & 0x3)
                    time_offset = header & 0x1F
                elif header & 0x40:
                    p = _definition(data, p, header, local, dev_types, out, n_messages)
                    continue
                else:
                    definition = local.get(header & 0xF)
                    time_offset = -1
                if definition is None:
                    local_num = (header >> 5) & 0x3 if header & 0x80 else header & 0xF
                    raise WalkStop(
                        "corrupt", f"Got data message with invalid local message type {local_num}"
                    )
                if definition.zero_field:
                    raise WalkStop("corrupt", "Invalid struct format: zero-length field")
                if p + definition.size > n:
                    raise WalkStop("eof", "Tried to read past the end of the .FIT file")
                if definition.global_num in (206, 207):  # field_description, developer_data_id
                    _register_developer(data, p, definition, dev_types)
                definition.rows.append(n_messages)
                definition.offsets.append(p)
                definition.time_offsets.append(time_offset)
                msg_segment.append(segment)
                n_messages += 1
                out.n_messages = n_messages
                p += definition.size
            if p + 2 > n:
                raise WalkStop("eof", "Tried to read 2 bytes from .FIT file but got fewer")
            if not out.crc_bad and int.from_bytes(data[p : p + 2], "little") != crc16(
                data[segment_start:p]
            ):
                out.crc_bad = True
            p += 2
            if p >= n:
                return out
            try:
                start, end = _file_header(data, p, check=not out.crc_bad)
            except WalkStop as exc:
                if exc.kind != "crc":
                    raise
                out.crc_bad = True
                start, end = _file_header(data, p, check=False)
            segment_start = p
            segment += 1
    except WalkStop as exc:
        out.stop = exc
    return out


def _definition(
    data: bytes,
    p: int,
    header: int,
    local: dict[int, Definition],
    dev_types: dict[Any, dict[int, DevField]],
    out: Walk,
    position: int,
) -> int:
    """Parse a definition message starting after its header byte; return the next position."""
    n = len(data)
    if p + 5 > n:
        raise WalkStop("eof", "Tried to read past the end of the .FIT file")
    big = data[p + 1] != 0
    global_num, num_fields = struct.unpack(">HB" if big else "<HB", data[p + 2 : p + 5])
    p += 5
    mesg_type = MESSAGE_TYPES.get(global_num)
    known = mesg_type.fields if mesg_type else {}
    specs: list[FieldSpec] = []
    offset = 0
    if p + 3 * num_fields > n:
        raise WalkStop("eof", "Tried to read past the end of the .FIT file")
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
            for component in fld.components:
                if component.accumulate:
                    out.accumulator_resets.append((position, global_num, component.def_num))
        specs.append(FieldSpec(def_num, base, size // base.size, offset, fld, False))
        offset += size
    p += 3 * num_fields
    if header & 0x20:
        if p + 1 > n:
            raise WalkStop("eof", "Tried to read past the end of the .FIT file")
        num_dev = data[p]
        p += 1
        if p + 3 * num_dev > n:
            raise WalkStop("eof", "Tried to read past the end of the .FIT file")
        for i in range(num_dev):
            def_num, size, index = data[p + 3 * i], data[p + 3 * i + 1], data[p + 3 * i + 2]
            if index not in dev_types:
                raise WalkStop(
                    "corrupt",
                    f"No such dev_data_index={index} found when looking up field {def_num}",
                )
            if def_num not in dev_types[index]:
                raise WalkStop("corrupt", f"No such field {def_num} for dev_data_index {index}")
            dev = dev_types[index][def_num]
            # fitparse reads int(size / base size) values, ignoring any remainder byte
            count = int(size / dev.type.size)
            specs.append(FieldSpec(def_num, dev.type, count, offset, dev, True))
            offset += count * dev.type.size
        p += 3 * num_dev
    definition = Definition(global_num, mesg_type, big, specs, offset)
    # fitparse refuses a zero-length struct read when the first data message arrives
    definition.zero_field = any(spec.count == 0 for spec in specs)
    local[header & 0xF] = definition
    out.definitions.append(definition)
    return p
