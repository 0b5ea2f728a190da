"""The fast FIT engine: numpy column decoding that gives the values Garmin's FIT SDK gives.

:func:`decode` returns :class:`~finishline.io.fit_messages.FitMessages` whose values are those of
``garmin_fit_sdk.Decoder`` (Garmin's profile for names, types, scales, subfields and
components), decoded a whole layout at a time:

1. :func:`finishline.io.fit_walk.walk` visits message headers only and records, per definition,
   where each of its data messages starts;
2. each wanted definition's messages are gathered into a (rows x bytes) matrix and every field
   is decoded for all rows at once (:mod:`finishline.io.fit_layout`);
3. the sequential states of the format are unrolled over the whole file with cumulative sums:
   compressed-timestamp headers (which the SDK does not read; here as the protocol says) and
   accumulated components (e.g. ``distance`` from ``compressed_speed_distance``);
4. heart rates of ``hr`` messages (HRM-Swim, HRM-Tri) are merged into the records as the SDK
   merges them (:mod:`finishline.io.fit_hr`).

Only the messages an activity needs are decoded (:data:`ACTIVITY_MESSAGES`); ask for others with
``messages=`` (``None`` for every message).

References
----------
Garmin FIT SDK, "FIT File Protocol" and ``Profile.xlsx`` (through ``garmin_fit_sdk``).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from finishline.errors import CorruptFileError
from finishline.io.fit_columns import Column, Rows, extract
from finishline.io.fit_hr import merge_heart_rates
from finishline.io.fit_layout import accumulate, decode_layout
from finishline.io.fit_messages import FitMessages, FitStop
from finishline.io.fit_walk import Definition, Walk, WalkStop, walk

__all__ = ["ACTIVITY_MESSAGES", "decode"]

#: Messages :func:`finishline.read` needs: the activity's records, laps, sessions, events and
#: identity, developer field descriptions, a course's name and heart rates to merge.
ACTIVITY_MESSAGES = frozenset(
    {
        "file_id",
        "device_info",
        "event",
        "record",
        "lap",
        "session",
        "activity",
        "sport",
        "developer_data_id",
        "field_description",
        "course",
        "hr",
    }
)

FIT_EPOCH_S = 631065600  # 1989-12-31T00:00:00Z in Unix seconds
_TIMESTAMP = 253
_NAT = np.iinfo(np.int64).min


def _rows(buf: np.ndarray, definition: Definition) -> Rows:
    """Where a layout's data messages sit: the file itself when they are evenly spaced (a
    run of records), else a copy of their bytes, one message per ``size`` bytes."""
    offsets = definition.offsets
    n = len(offsets)
    if n == 1:
        return Rows(buf, int(offsets[0]), definition.size, 1)
    steps = np.diff(offsets)
    if steps[0] > 0 and (steps == steps[0]).all():
        return Rows(buf, int(offsets[0]), int(steps[0]), n)
    size = definition.size
    if size == 0:
        return Rows(np.zeros(0, dtype=np.uint8), 0, 0, n)
    # each message's bytes are one item of a sliding window of ``size``-byte items over the
    # file: numpy copies a whole item per message, several times faster than a row of bytes
    window = np.ndarray(shape=(buf.size - size + 1,), dtype=np.dtype(f"V{size}"), buffer=buf,
                        strides=(1,))  # fmt: skip
    return Rows(window[offsets].view(np.uint8), 0, size, n)


def _compressed_timestamps(result: Walk, buf: np.ndarray) -> np.ndarray | None:
    """Times (FIT seconds) of messages with a compressed-timestamp header, ``-1`` elsewhere;
    ``None`` when the file has none.

    A compressed header carries the low 5 bits of the time; the rest comes from the last time
    before it (a message with a ``timestamp`` field, or the previous compressed message),
    rolling over every 32 s. The last time resets at the start of each chained file.
    """
    if not any((d.time_offsets >= 0).any() for d in result.definitions if d.rows.size):
        return None
    n = result.n_messages
    offsets = np.full(n, -1, dtype=np.int64)
    has_set = np.zeros(n, dtype=bool)
    set_value = np.zeros(n, dtype=np.int64)
    for definition in result.definitions:
        if not definition.rows.size:
            continue
        offsets[definition.rows] = definition.time_offsets
        for spec in definition.fields:
            if spec.num != _TIMESTAMP or spec.dev is not None:
                continue
            # the timestamp field alone, of every message (those not otherwise decoded too)
            raw = extract(_rows(buf, definition), spec, definition.big_endian)
            if raw.kind != "num" or raw.values.dtype.kind == "f":
                continue
            ok = ~raw.missing
            has_set[definition.rows[ok]] = True
            set_value[definition.rows[ok]] = raw.values[ok]
    compressed = np.flatnonzero(offsets >= 0)
    starts = np.zeros(n, dtype=bool)
    starts[0] = True
    starts[[s for s in result.segment_starts if s < n]] = True
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
    out = np.full(n, -1, dtype=np.int64)
    out[compressed] = base[group] + csum - before
    return out


def _finished(col: Column, kind: str | None = None) -> np.ndarray:
    """A column as the table holds it (as ``kind`` if given): floats with NaN, times as
    ``datetime64[ns]`` with NaT, objects with ``None`` where missing."""
    kind = kind or col.kind
    if kind == "obj" or col.kind == "obj":
        return col.as_objects()
    if kind == "float":
        if not col.missing.any():
            return col.values
        return np.where(col.missing, np.nan, col.values)
    stamps = col.values + FIT_EPOCH_S
    stamps *= 1_000_000_000  # (in place: one new array, not two)
    if col.missing.any():
        stamps = np.where(col.missing, _NAT, stamps)
    return stamps.view("datetime64[ns]")


_ABSENT = {"float": np.nan, "date": np.datetime64("NaT", "ns"), "obj": None}
_DTYPES = {"float": np.float64, "date": "datetime64[ns]", "obj": object}


def _assemble(
    name: str,
    pieces: list[tuple[np.ndarray, dict[str, Column]]],
    file_of: np.ndarray,
    out: FitMessages,
) -> None:
    """One table per message name from the columns of each of its layouts: each layout's
    values of a column are scattered to their places in file order."""
    if len(pieces) == 1:  # one layout: its columns as they are
        rows, cols = pieces[0]
        columns = {"_file": file_of[rows]}
        columns.update({col_name: _finished(col) for col_name, col in cols.items()})
        out.arrays[name] = columns
        return
    rows = np.concatenate([r for r, _ in pieces])
    order = np.argsort(rows, kind="stable")
    # where each layout's rows go in file order: each column is scattered there once
    position = np.empty(rows.size, dtype=np.int64)
    position[order] = np.arange(rows.size)
    bounds = np.cumsum([0] + [len(r) for r, _ in pieces])
    places: list[np.ndarray] = [
        position[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    largest = int(np.argmax(np.diff(bounds)))
    if (np.diff(places[largest]) > 0).all():  # in file order: a mask places it twice as fast
        mask = np.zeros(rows.size, dtype=bool)
        mask[places[largest]] = True
        places[largest] = mask
    columns = {"_file": file_of[rows[order]]}
    kinds: dict[str, set[str]] = {}
    for _, cols in pieces:
        for col_name, col in cols.items():
            kinds.setdefault(col_name, set()).add(col.kind)
    for col_name, kind_set in kinds.items():
        kind = next(iter(kind_set)) if len(kind_set) == 1 else "obj"
        values = np.empty(rows.size, dtype=_DTYPES[kind])
        for place, (_, cols) in zip(places, pieces, strict=True):
            col = cols.get(col_name)
            values[place] = _ABSENT[kind] if col is None else _finished(col, kind)
        columns[col_name] = values
    out.arrays[name] = columns


def decode(
    data: bytes, source: str | None = None, messages: Iterable[str] | None = ACTIVITY_MESSAGES
) -> FitMessages:
    """Decode FIT bytes into one table per message name, with the SDK's values.

    Parameters
    ----------
    data
        The FIT file's bytes (chained files allowed).
    source
        The file name, for error messages.
    messages
        Names of the messages to decode (default :data:`ACTIVITY_MESSAGES`); ``None`` decodes
        every message, unknown ones as ``unknown_<number>``.

    Returns
    -------
    FitMessages
        With ``engine="fast"``; ``stop`` set when the file could not be read to its end.

    Raises
    ------
    CorruptFileError
        The file header is broken or no message could be read at all.
    """
    data = bytes(data)
    try:
        result = walk(data)
    except WalkStop as exc:
        raise CorruptFileError(f"not a readable FIT file ({exc})", source) from exc
    stop = result.stop
    if stop is not None and result.n_messages == 0:
        raise CorruptFileError(f"not a readable FIT file ({stop})", source)
    out = FitMessages(engine="fast", n_files=max(result.n_files, 1))
    if result.crc_bad:
        out.warnings.append("CRC mismatch: the file may be damaged; read without the check")
    if stop is not None:
        out.stop = FitStop(stop.kind, str(stop), result.n_messages, stop.position)
    wanted = None if messages is None else set(messages)
    buf = np.frombuffer(data, dtype=np.uint8)
    times = _compressed_timestamps(result, buf)
    raws = {}
    for d_id, definition in enumerate(result.definitions):
        if definition.rows.size and (wanted is None or definition.name in wanted):
            rows = _rows(buf, definition)
            raws[d_id] = [extract(rows, s, definition.big_endian) for s in definition.fields]
    accumulated = accumulate(result.definitions, raws)
    by_name: dict[str, list[tuple[np.ndarray, dict[str, Column]]]] = {}
    for d_id in list(raws):
        definition = result.definitions[d_id]
        # each layout's raw values are let go once decoded: less memory held at once, so
        # fewer fresh pages for the allocator to fault in
        cols = decode_layout(definition, raws.pop(d_id), accumulated.pop(d_id, {}), out)
        if times is not None:
            t = times[definition.rows]
            compressed = t >= 0
            if compressed.any():
                native = cols.get("timestamp")
                if native is None or native.kind != "date":
                    native = Column("date", np.zeros(t.size, np.int64), np.ones(t.size, bool))
                values = np.where(compressed, t, native.values)
                cols["timestamp"] = Column("date", values, native.missing & ~compressed)
        by_name.setdefault(definition.name, []).append((definition.rows, cols))
    file_ids = [d.rows for d in result.definitions if d.global_num == 0 and d.rows.size]
    if sum(rows.size for rows in file_ids) <= 1:  # one file (the usual case): all file 0
        file_of = np.zeros(result.n_messages, dtype=np.int64)
    else:
        is_file_id = np.zeros(result.n_messages, dtype=np.int64)
        for rows in file_ids:
            is_file_id[rows] = 1
        file_of = np.maximum(np.cumsum(is_file_id) - 1, 0)
    order = sorted(by_name.items(), key=lambda kv: min(int(rows[0]) for rows, _ in kv[1]))
    by_name.clear()
    for name, pieces in order:
        _assemble(name, pieces, file_of, out)
        pieces.clear()
    if "hr" in out.arrays and "record" in out.arrays:
        merged = merge_heart_rates(out.arrays["hr"], out.arrays["record"])
        if merged is not None:
            out.arrays["record"]["heart_rate"] = merged
    return out
