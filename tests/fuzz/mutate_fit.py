"""FIT-aware mutations: definitions, local message types, field values and timestamps.

A small walker (:func:`walk`) finds the definition and data messages of the first FIT file in
a buffer (FIT protocol: a 12/14-byte header, then records, then a CRC-16). The mutations edit
the bytes in place and, nine times in ten, write a fresh file CRC so that the decoder reaches
the damage instead of stopping at the checksum.

References
----------
Garmin FIT SDK, "FIT File Protocol" (record headers, definition messages, CRC).
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass, field

#: FIT ``record`` (per-sample) global message number, and the timestamp field number.
RECORD = 20
TIMESTAMP_FIELD = 253
#: Record fields worth corrupting: number -> (name, size) as the profile declares them.
RECORD_FIELDS = {
    0: "position_lat",
    1: "position_long",
    2: "altitude",
    3: "heart_rate",
    4: "cadence",
    5: "distance",
    6: "speed",
    7: "power",
    13: "temperature",
    73: "enhanced_speed",
    78: "enhanced_altitude",
}
#: Clock jumps (s): an hour, a day, a year, 30 years.
JUMPS_S = (3600, 86_400, 365 * 86_400, int(30 * 365.25 * 86_400))
#: FIT base types (the byte in a field definition).
BASE_TYPES = (0x00, 0x01, 0x02, 0x07, 0x0A, 0x0D, 0x83, 0x84, 0x85, 0x86, 0x88, 0x89, 0x8B, 0x8C)


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _crc_table()


def fit_crc(data: bytes) -> int:
    """CRC-16 of ``data`` as FIT computes it (CRC-16/ARC: reflected polynomial 0xA001)."""
    crc = 0
    table = _TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


@dataclass
class Definition:
    offset: int
    local: int
    global_num: int
    big_endian: bool
    fields: list[tuple[int, int, int]]  # (number, size, base type)
    dev_size: int

    @property
    def size(self) -> int:
        return sum(f[1] for f in self.fields) + self.dev_size

    def field_offset(self, number: int) -> tuple[int, int] | None:
        """(offset inside the data content, size) of field ``number``, if defined."""
        at = 0
        for num, size, _ in self.fields:
            if num == number:
                return at, size
            at += size
        return None


@dataclass
class Walk:
    header_size: int
    data_end: int
    definitions: list[Definition] = field(default_factory=list)
    data: list[tuple[int, Definition]] = field(default_factory=list)  # (offset, definition)


def walk(data: bytes) -> Walk | None:
    """The messages of the first FIT file in ``data``; ``None`` if it is not FIT."""
    if len(data) < 12 or data[8:12] != b".FIT":
        return None
    header_size = data[0]
    data_end = min(header_size + struct.unpack_from("<I", data, 4)[0], len(data))
    out = Walk(header_size, data_end)
    local: dict[int, Definition] = {}
    pos = header_size
    while pos < data_end:
        head = data[pos]
        if head & 0x80:  # compressed-timestamp data message
            definition = local.get((head >> 5) & 0x3)
        elif head & 0x40:  # definition message
            if pos + 6 > data_end:
                break
            big = data[pos + 2] == 1
            global_num = struct.unpack_from(">H" if big else "<H", data, pos + 3)[0]
            n = data[pos + 5]
            fields = [tuple(data[pos + 6 + 3 * i : pos + 9 + 3 * i]) for i in range(n)]
            end = pos + 6 + 3 * n
            dev_size = 0
            if head & 0x20 and end < data_end:
                n_dev = data[end]
                dev_size = sum(
                    data[end + 2 + 3 * i] for i in range(n_dev) if end + 2 + 3 * i < len(data)
                )
                end += 1 + 3 * n_dev
            definition = Definition(pos, head & 0xF, global_num, big, fields, dev_size)  # type: ignore[arg-type]
            local[head & 0xF] = definition
            out.definitions.append(definition)
            pos = end
            continue
        else:
            definition = local.get(head & 0xF)
        if definition is None:
            break
        out.data.append((pos, definition))
        pos += 1 + definition.size
    return out


def _finish(out: bytearray, w: Walk, rng: random.Random) -> bytes:
    """Write a fresh file CRC (nine times in ten) so the damage, not the checksum, is read."""
    if rng.random() < 0.9 and w.data_end + 2 <= len(out):
        struct.pack_into("<H", out, w.data_end, fit_crc(bytes(out[: w.data_end])))
    return bytes(out)


def _timestamps(data: bytes, w: Walk, records_only: bool) -> list[tuple[int, str]]:
    """(byte offset, struct format) of every uint32 timestamp in data messages."""
    where = []
    for pos, definition in w.data:
        if records_only and definition.global_num != RECORD:
            continue
        if data[pos] & 0x80:
            continue
        found = definition.field_offset(TIMESTAMP_FIELD)
        if found and found[1] == 4:
            where.append((pos + 1 + found[0], ">I" if definition.big_endian else "<I"))
    return where


def _rewrite_times(data: bytes, rng: random.Random, how: str) -> bytes:
    w = walk(data)
    if w is None:
        return data
    out = bytearray(data)
    where = _timestamps(data, w, records_only=rng.random() < 0.7)
    if len(where) < 2:
        return data
    values = [struct.unpack_from(fmt, out, at)[0] for at, fmt in where]
    if how in ("jump", "back"):
        cut = rng.randrange(len(values) // 5, max(len(values) * 4 // 5, len(values) // 5 + 1))
        delta = rng.choice(JUMPS_S) * (1 if how == "jump" else -1)
        values = values[:cut] + [max(v + delta, 0) % 2**32 for v in values[cut:]]
    elif how == "reversed":
        values = values[::-1]
    elif how == "shuffled":
        rng.shuffle(values)
    elif how == "stray":
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(values))
            values[i] = max(values[i] + rng.choice(JUMPS_S) * rng.choice((1, -1)), 0) % 2**32
    for (at, fmt), value in zip(where, values, strict=True):
        struct.pack_into(fmt, out, at, value)
    return _finish(out, w, rng)


def ts_jump(data: bytes, rng: random.Random) -> bytes:
    """From a record on, every timestamp jumps forward an hour, a day, a year or 30 years."""
    return _rewrite_times(data, rng, "jump")


def ts_back(data: bytes, rng: random.Random) -> bytes:
    """From a record on, every timestamp jumps back (a clock reset)."""
    return _rewrite_times(data, rng, "back")


def ts_reversed(data: bytes, rng: random.Random) -> bytes:
    """Timestamps in reverse order (the last record gets the first time)."""
    return _rewrite_times(data, rng, "reversed")


def ts_shuffled(data: bytes, rng: random.Random) -> bytes:
    """Timestamps shuffled among the records."""
    return _rewrite_times(data, rng, "shuffled")


def ts_stray(data: bytes, rng: random.Random) -> bytes:
    """One to three records get a time far from the rest."""
    return _rewrite_times(data, rng, "stray")


def def_size(data: bytes, rng: random.Random) -> bytes:
    """A field definition declares a wrong size: every following message of that type shifts."""
    w = walk(data)
    if w is None or not w.definitions:
        return data
    out = bytearray(data)
    d = rng.choice(w.definitions)
    if d.fields:
        i = rng.randrange(len(d.fields))
        out[d.offset + 6 + 3 * i + 1] = rng.choice((0, 1, 2, 3, 4, 7, 8, 16, 255))
    return _finish(out, w, rng)


def base_type(data: bytes, rng: random.Random) -> bytes:
    """A field definition declares another base type (string, float, signed...)."""
    w = walk(data)
    if w is None or not w.definitions:
        return data
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        d = rng.choice(w.definitions)
        if d.fields:
            i = rng.randrange(len(d.fields))
            out[d.offset + 6 + 3 * i + 2] = rng.choice(BASE_TYPES + (rng.randrange(256),))
    return _finish(out, w, rng)


def local_type(data: bytes, rng: random.Random) -> bytes:
    """Data messages name another local message type (read with the wrong definition)."""
    w = walk(data)
    if w is None or not w.data:
        return data
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        pos, _ = rng.choice(w.data)
        if not out[pos] & 0x80:
            out[pos] = (out[pos] & 0xF0) | rng.randrange(16)
    return _finish(out, w, rng)


def definition_header(data: bytes, rng: random.Random) -> bytes:
    """A definition's field count, global message number or architecture byte is wrong."""
    w = walk(data)
    if w is None or not w.definitions:
        return data
    out = bytearray(data)
    d = rng.choice(w.definitions)
    what = rng.choice(("count", "global", "arch"))
    if what == "count":
        out[d.offset + 5] = rng.choice((0, 1, 255, max(len(d.fields) - 1, 0), len(d.fields) + 1))
    elif what == "global":
        fmt = ">H" if d.big_endian else "<H"
        struct.pack_into(fmt, out, d.offset + 3, rng.choice((0, 18, 19, 20, 21, 34, 0xFFFF)))
    else:
        out[d.offset + 2] ^= 1
    return _finish(out, w, rng)


def header_size_field(data: bytes, rng: random.Random) -> bytes:
    """The header's data size or header length is wrong (the CRC is left as it was)."""
    if len(data) < 12:
        return data
    out = bytearray(data)
    if rng.random() < 0.5:
        size = struct.unpack_from("<I", out, 4)[0]
        struct.pack_into("<I", out, 4, rng.choice((0, size // 2, size + 1, size * 4, 2**32 - 1)))
    else:
        out[0] = rng.choice((0, 1, 11, 13, 15, 255))
    return bytes(out)


def record_value(data: bytes, rng: random.Random) -> bytes:
    """A record field (position, HR, distance, speed...) gets extreme or invalid raw values."""
    w = walk(data)
    if w is None:
        return data
    records = [(pos, d) for pos, d in w.data if d.global_num == RECORD and not data[pos] & 0x80]
    candidates = sorted({n for _, d in records for n, _, _ in d.fields if n in RECORD_FIELDS})
    if not candidates:
        return data
    number = rng.choice(candidates)
    out = bytearray(data)
    chosen = (
        records if rng.random() < 0.3 else rng.sample(records, min(len(records), rng.randint(1, 5)))
    )
    for pos, d in chosen:
        found = d.field_offset(number)
        if found is None:
            continue
        at, size = found
        if size == 0:
            continue
        pattern = rng.choice(("max", "max-1", "zero", "random", "high-bit"))
        if pattern == "max":
            raw = b"\xff" * size
        elif pattern == "max-1":
            raw = (
                b"\xfe" + b"\xff" * (size - 1)
                if not d.big_endian
                else b"\xff" * (size - 1) + b"\xfe"
            )
        elif pattern == "zero":
            raw = bytes(size)
        elif pattern == "high-bit":
            raw = bytes(size - 1) + b"\x7f" if not d.big_endian else b"\x7f" + bytes(size - 1)
        else:
            raw = rng.randbytes(size)
        out[pos + 1 + at : pos + 1 + at + size] = raw
    return _finish(out, w, rng)


FIT_MUTATIONS = {
    "fit_ts_jump": ts_jump,
    "fit_ts_back": ts_back,
    "fit_ts_reversed": ts_reversed,
    "fit_ts_shuffled": ts_shuffled,
    "fit_ts_stray": ts_stray,
    "fit_def_size": def_size,
    "fit_base_type": base_type,
    "fit_local_type": local_type,
    "fit_definition_header": definition_header,
    "fit_header_size": header_size_field,
    "fit_record_value": record_value,
}
