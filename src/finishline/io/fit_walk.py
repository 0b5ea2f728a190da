"""First pass of the fast FIT decoder: walk the message headers, find every data message.

The walk reads file headers, record headers and definition messages, and records for each
definition (a message layout) where its data messages start. It reads no field value, except
in the developer messages (``developer_data_id``, ``field_description``) whose content later
definitions depend on.

Definitions follow the FIT protocol as Garmin's SDK decodes it:

- the base type is the type byte's bits 0-4 (the endian-ability bit 7 is ignored);
- a field whose size is not a multiple of its base type's size is read as ``uint8`` values,
  as the SDK does (a COROS file declares a ``uint32`` event field of one byte);
- a field of an unknown base type (the SDK stops there) and a zero-size field are skipped by
  their declared size, so decoding goes on;
- a developer field with no ``field_description`` (or one whose ``developer_data_id`` was never
  sent) is skipped by its declared size, as the SDK does; descriptions are resolved when the
  definition is read;
- a data message whose local type has no definition cannot be sized: reading stops there.

References
----------
Garmin FIT SDK, "FIT File Protocol" (file header, record headers, definition messages,
compressed timestamp headers, developer data); ``garmin_fit_sdk.decoder`` (21.x) for the rules
on odd field sizes and undescribed developer fields.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from finishline.io.fit_crc import crc16
from finishline.io.fit_profile import BASE_TYPES, BaseType, FieldInfo, MessageInfo, message_info

_UINT8 = BASE_TYPES[0x02]
_FIELD_DESCRIPTION, _DEVELOPER_DATA_ID = 206, 207

# Record header bytes that start a data message of each local type: normal headers carry it in
# bits 0-3 (bits 4-5 ignored, as the SDK does), compressed-timestamp headers in bits 5-6.
_HEADERS_OF_LOCAL = [
    [b for b in range(0x40) if b & 0xF == local]
    + [b for b in range(0x80, 0x100) if local < 4 and (b >> 5) & 0x3 == local]
    for local in range(16)
]


class WalkStop(Exception):
    """Reading stopped at byte ``position``; ``kind`` is ``eof``, ``header`` or ``corrupt``."""

    def __init__(self, kind: str, message: str, position: int = 0) -> None:
        self.kind = kind
        self.position = position
        super().__init__(message)


@dataclass
class DevField:
    """A developer field described by a ``field_description`` message."""

    index: int  # developer_data_index
    num: int  # field_definition_number
    base: BaseType
    name: str | None
    units: str | None
    native_mesg: int | None
    native_field: int | None
    key: int  # the description's position among field_description messages

    @property
    def column(self) -> str:
        return self.name or f"developer_{self.index}_{self.num}"


@dataclass
class DevApp:
    """A ``developer_data_id`` message: the application and the fields it describes."""

    index: int
    manufacturer_id: int | None
    application_id: bytes | None
    fields: list[DevField] = field(default_factory=list)


@dataclass
class FieldSpec:
    """One field of a definition message, with where it sits in each data message."""

    num: int
    base: BaseType
    count: int
    offset: int
    info: FieldInfo | None  # the profile's field (native fields)
    dev: DevField | None = None

    @property
    def nbytes(self) -> int:
        return self.count * self.base.size


@dataclass
class Definition:
    """A definition message (a layout) and the data messages that used it."""

    global_num: int
    info: MessageInfo | None
    big_endian: bool
    fields: list[FieldSpec]
    size: int
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    offsets: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    time_offsets: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def name(self) -> str:
        return self.info.name if self.info else f"unknown_{self.global_num}"


@dataclass
class Walk:
    """Everything the first pass found."""

    definitions: list[Definition] = field(default_factory=list)
    segment_starts: list[int] = field(default_factory=list)  # first message of chained files
    developers: dict[int, DevApp] = field(default_factory=dict)
    n_descriptions: int = 0
    n_messages: int = 0
    n_files: int = 0
    crc_bad: bool = False
    stop: WalkStop | None = None


def _value(data: bytes, offset: int, definition: Definition, num: int) -> int | None:
    """The first raw integer of field ``num`` of the data message at ``offset`` (``None`` when
    absent or invalid)."""
    for spec in definition.fields:
        if spec.num != num or spec.dev is not None or spec.base.invalid is None:
            continue
        start = offset + spec.offset
        raw = data[start : start + spec.base.size]
        signed = spec.base.name.startswith("sint")
        value = int.from_bytes(raw, "big" if definition.big_endian else "little", signed=signed)
        return None if value == spec.base.invalid else value
    return None


def _text(data: bytes, offset: int, definition: Definition, num: int) -> str | None:
    for spec in definition.fields:
        if spec.num == num and spec.dev is None and spec.base.is_string:
            raw = data[offset + spec.offset : offset + spec.offset + spec.nbytes]
            text = raw.split(b"\x00", 1)[0].decode("utf-8", errors="ignore").strip()
            return text or None
    return None


def _bytes(data: bytes, offset: int, definition: Definition, num: int) -> bytes | None:
    for spec in definition.fields:
        if spec.num == num and spec.dev is None:
            raw = data[offset + spec.offset : offset + spec.offset + spec.nbytes]
            return None if all(b == 0xFF for b in raw) else bytes(raw)
    return None


def _register_developer(data: bytes, offset: int, definition: Definition, out: Walk) -> None:
    """Apply a ``developer_data_id`` or ``field_description`` message (the SDK's rules: an id
    message resets its index's fields; a description of an unknown index is ignored)."""
    if definition.global_num == _DEVELOPER_DATA_ID:
        index = _value(data, offset, definition, 3)
        if index is not None:
            out.developers[index] = DevApp(
                index, _value(data, offset, definition, 2), _bytes(data, offset, definition, 1)
            )
        return
    key = out.n_descriptions
    out.n_descriptions += 1
    index = _value(data, offset, definition, 0)
    num = _value(data, offset, definition, 1)
    base_id = _value(data, offset, definition, 2)
    app = out.developers.get(index) if index is not None else None
    if app is None or num is None or base_id is None or (base_id & 0x1F) not in BASE_TYPES:
        return
    app.fields.append(
        DevField(
            index=index,
            num=num,
            base=BASE_TYPES[base_id & 0x1F],
            name=_text(data, offset, definition, 3),
            units=_text(data, offset, definition, 8),
            native_mesg=_value(data, offset, definition, 14),
            native_field=_value(data, offset, definition, 15),
            key=key,
        )
    )


def _file_header(data: bytes, pos: int, check: bool) -> tuple[int, int]:
    """Parse a file header at ``pos``; return (first message byte, end of data)."""
    n = len(data)
    if n - pos < 12:
        raise WalkStop("eof", f"a file header needs 12 bytes, {n - pos} left", pos)
    if data[pos + 8 : pos + 12] != b".FIT":
        raise WalkStop("header", "no '.FIT' file header", pos)
    header_size = data[pos]
    data_size = int.from_bytes(data[pos + 4 : pos + 8], "little")
    extra = header_size - 12
    if extra > 0:
        if extra < 2:
            raise WalkStop("header", f"irregular file header size {header_size}", pos)
        if n - pos < max(header_size, 14):
            raise WalkStop("eof", "the file header is cut short", pos)
        read = int.from_bytes(data[pos + 12 : pos + 14], "little")
        if check and read != 0 and read != crc16(data[pos : pos + 12]):
            raise WalkStop("crc", "file header CRC mismatch", pos)
    start = pos + max(header_size, 12)
    return start, start + data_size


def walk(data: bytes) -> Walk:
    """Walk all messages of (possibly chained) FIT ``data``.

    Definitions with an identical layout (a device re-sending the same definition) share one
    :class:`Definition`, so their data messages are decoded as one block.

    Raises
    ------
    WalkStop
        When the very first file header is unreadable.
    """
    out = Walk()
    n = len(data)
    try:
        start, end = _file_header(data, 0, check=True)
    except WalkStop as exc:
        if exc.kind != "crc":
            raise
        out.crc_bad = True
        start, end = _file_header(data, 0, check=False)
    out.n_files = 1
    segment_start = 0
    layouts: dict[object, int] = {}
    msg_def: list[int] = []
    msg_offset: list[int] = []
    buf = np.frombuffer(data, dtype=np.uint8)
    p = start
    # record header byte -> (definition index, size, developer message) of the data message it
    # starts; definition headers (0x40-0x7F) and unset local types: None. Like the SDK, a
    # chained file may use the local types the previous file defined.
    by_header: list[tuple[int, int, bool] | None] = [None] * 256
    try:
        while True:
            last = None
            ids_append, offsets_append = msg_def.append, msg_offset.append
            while p < end:
                if p >= n:
                    raise WalkStop("eof", "the file ends inside its data", p)
                entry = by_header[data[p]]
                p += 1
                if entry is None:
                    header = data[p - 1]
                    if header & 0xC0 == 0x40:
                        p = _definition(data, p, header, by_header, out, layouts)
                        continue
                    local_num = (header >> 5) & 0x3 if header & 0x80 else header & 0xF
                    raise WalkStop(
                        "corrupt", f"a data message of undefined local type {local_num}", p - 1
                    )
                d_id, size, developer = entry
                if entry is last and not developer:
                    # a run of messages of the same layout: find its length with numpy
                    run = _run_length(buf, p - 1, size + 1, min(end, n - size))
                    if run > 1:
                        msg_def.extend([d_id] * run)
                        msg_offset.extend(range(p, p + run * (size + 1), size + 1))
                        p += run * (size + 1) - 1
                        continue
                last = entry
                if p + size > n:
                    raise WalkStop("eof", "the file ends inside a data message", p - 1)
                if developer:
                    _register_developer(data, p, out.definitions[d_id], out)
                ids_append(d_id)
                offsets_append(p)
                p += size
            if p + 2 > n:
                raise WalkStop("eof", "the file ends before its CRC", p)
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
            out.n_files += 1
            p = start
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


def _find_developer_field(out: Walk, index: int, num: int) -> DevField | None:
    """The first description of developer field ``num`` of application ``index`` (the SDK's
    lookup), or ``None``."""
    app = out.developers.get(index)
    if app is None:
        return None
    return next((f for f in app.fields if f.num == num), None)


def _definition(
    data: bytes,
    p: int,
    header: int,
    by_header: list[tuple[int, int, bool] | None],
    out: Walk,
    layouts: dict[object, int],
) -> int:
    """Parse a definition message starting after its header byte; return the next position."""
    n = len(data)
    if p + 5 > n:
        raise WalkStop("eof", "the file ends inside a definition message", p - 1)
    num_fields = data[p + 4]
    body_end = p + 5 + 3 * num_fields
    if body_end > n:
        raise WalkStop("eof", "the file ends inside a definition message", p - 1)
    next_p = body_end
    devs: tuple[tuple[DevField | None, int], ...] = ()
    if header & 0x20:
        if body_end + 1 > n:
            raise WalkStop("eof", "the file ends inside a definition message", p - 1)
        num_dev = data[body_end]
        next_p = body_end + 1 + 3 * num_dev
        if next_p > n:
            raise WalkStop("eof", "the file ends inside a definition message", p - 1)
        raw = data[body_end + 1 : next_p]
        devs = tuple(
            (_find_developer_field(out, raw[3 * i + 2], raw[3 * i]), raw[3 * i + 1])
            for i in range(num_dev)
        )
    key = (data[p:body_end], tuple((id(dev), size) for dev, size in devs))
    d_id = layouts.get(key)
    if d_id is None:
        d_id = _new_layout(data, p, num_fields, devs, out)
        layouts[key] = d_id
    definition = out.definitions[d_id]
    entry = (
        d_id,
        definition.size,
        definition.global_num in (_FIELD_DESCRIPTION, _DEVELOPER_DATA_ID),
    )
    for byte in _HEADERS_OF_LOCAL[header & 0xF]:
        by_header[byte] = entry
    return next_p


def _new_layout(
    data: bytes, p: int, num_fields: int, devs: tuple[tuple[DevField | None, int], ...], out: Walk
) -> int:
    big = data[p + 1] != 0
    global_num = struct.unpack(">H" if big else "<H", data[p + 2 : p + 4])[0]
    info = message_info(global_num)
    known = info.fields if info else {}
    specs: list[FieldSpec] = []
    offset = 0
    p += 5
    for i in range(num_fields):
        num, size, type_byte = data[p + 3 * i], data[p + 3 * i + 1], data[p + 3 * i + 2]
        base = BASE_TYPES.get(type_byte & 0x1F)
        if base is not None and size:
            if size % base.size:
                base = _UINT8  # the SDK reads a misaligned field as bytes (uint8 values)
            specs.append(FieldSpec(num, base, size // base.size, offset, known.get(num)))
        offset += size  # unknown base types and empty fields are skipped by their size
    for dev, size in devs:
        count = size // dev.base.size if dev is not None else 0
        if dev is not None and count:
            specs.append(FieldSpec(dev.num, dev.base, count, offset, None, dev))
        offset += size
    out.definitions.append(Definition(global_num, info, big, specs, offset))
    return len(out.definitions) - 1
