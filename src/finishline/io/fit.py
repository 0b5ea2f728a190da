"""FIT bytes to an :class:`~finishline.activity.Activity`.

Two engines decode FIT bytes into the same :class:`~finishline.io.fit_messages.FitMessages`
table: the fast numpy decoder, which gives the values Garmin's FIT SDK gives, and fitparse;
:func:`activity_from_messages` turns either into an Activity with column operations only, so
both engines share one conversion to units and one set of rules:

- samples: units, cadence, developer fields and power as :mod:`finishline.io.fit_samples` says;
- times: every FIT time is FIT-epoch based (see :mod:`finishline.io.fit_messages`); a file whose
  record times all count from device power-on is read on that time line with a
  :class:`~finishline.errors.FinishlineWarning` saying the date is unknown; records sharing a
  timestamp are merged (first value of each channel), a few records days away from all others
  are dropped;
- a course file (a planned route) reads as a course (:mod:`finishline.io.fit_course`);
- a file that cannot be read to its end keeps the records before the break, with
  ``meta.truncated = True``, a :class:`~finishline.errors.TruncatedFileWarning` and a sentence
  in ``meta.warnings`` saying where it stopped.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd

from finishline.activity import Activity, ActivityMeta, normalize_sport, table_frame
from finishline.errors import (
    EmptyActivityError,
    FinishlineWarning,
    NotAnActivityError,
    TruncatedFileWarning,
)
from finishline.io.activity_columns import activity_from_columns
from finishline.io.fit_messages import FIRST_ABSOLUTE_TIME, FitMessages, FitStop
from finishline.io.fit_samples import DEG_PER_SEMICIRCLE, extra_column_name, sample_columns
from finishline.io.fit_tables import (
    NAT,
    MessageColumns,
    Sessions,
    Table,
    events_table,
    is_missing,
    laps_table,
    n_sessions,
    session_columns,
    session_index,
    session_sports,
    session_starts_ns,
    tables_in_form,
    text,
)

__all__ = [
    "DEG_PER_SEMICIRCLE",
    "ENGINES",
    "activity_from_messages",
    "decode_fit",
    "extra_column_name",
    "read_fit",
]

ENGINES = ("auto", "fast", "fitparse")


def read_fit(data: bytes, source: str | None = None, engine: str = "auto") -> Activity:
    """Read FIT bytes into an :class:`Activity`.

    Parameters
    ----------
    data
        The FIT file's bytes (already gunzipped).
    source
        The file name, used in messages.
    engine
        ``"fast"`` (the numpy decoder, Garmin's SDK rules), ``"fitparse"`` or ``"auto"`` (the
        fast decoder).

    Raises
    ------
    ValueError
        ``engine`` is not one of :data:`ENGINES`.
    FinishlineError
        The bytes are not a readable activity (see :func:`activity_from_messages`).
    """
    return activity_from_messages(decode_fit(data, source, engine), source)


def decode_fit(
    data: bytes,
    source: str | None = None,
    engine: str = "auto",
    messages: Iterable[str] | None = None,
) -> FitMessages:
    """Decode FIT bytes into :class:`FitMessages` with the chosen engine (see :func:`read_fit`).

    ``messages`` (fast engine) names the messages to decode: by default those an activity
    needs (:data:`finishline.io.fit_fast.ACTIVITY_MESSAGES`); ``"all"`` or a list for more.
    The fitparse engine always decodes every message.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown FIT engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "fitparse":
        from finishline.io import fit_fitparse

        return fit_fitparse.decode(data, source)
    from finishline.io import fit_fast

    if messages is None:
        return fit_fast.decode(data, source)
    return fit_fast.decode(data, source, None if messages == "all" else messages)


def activity_from_messages(msgs: FitMessages, source: str | None = None) -> Activity:
    """Build an :class:`Activity` from decoded FIT message tables.

    Every table is read column by column into numpy (:class:`MessageColumns`) and each output
    table is made as one DataFrame, so the cost follows the number of samples rather than
    pandas' per-operation overhead.

    Raises
    ------
    NotAnActivityError
        ``file_id.type`` says the file is neither an activity nor a course (settings,
        workout, ...).
    EmptyActivityError
        The activity holds no record with a timestamp.
    """
    file_type = _file_type(msgs)
    if file_type is not None and file_type not in ("activity", "course"):
        raise NotAnActivityError(
            f"FIT file is a {file_type!r} file, not a recorded activity", source
        )

    meta = ActivityMeta(source_path=source, format="fit", n_files=max(msgs.n_files, 1))
    meta.warnings.extend(msgs.warnings)
    records = MessageColumns(msgs.columns("record"))
    if msgs.stop is not None:
        meta.truncated = True
        meta.warnings.append(stop_sentence(msgs.stop, records))
    # the sessions' columns are read here as arrays; their table is built once, at the end
    sessions = session_columns(msgs.columns("session"))
    meta.sport, meta.sub_sport = _activity_sport(sessions, msgs.columns("sport"))
    meta.device = _device(msgs.columns("file_id"), msgs.columns("device_info"))
    if file_type == "course":
        from finishline.io.fit_course import course_from_messages

        _emit(meta.warnings, source)
        return course_from_messages(msgs, meta, source)
    meta.utc_offset_s = _utc_offset_s(msgs.columns("activity"))

    t_ns = records.ns("timestamp")
    has_time = t_ns != NAT
    n_untimed = int((~has_time).sum())
    if n_untimed and has_time.any():
        meta.warnings.append(f"dropped {n_untimed} records without a timestamp")
    has_time = _place_relative_times(t_ns, has_time, meta)
    if not has_time.any():
        detail = f" ({n_untimed} records without a timestamp)" if n_untimed else ""
        _emit(meta.warnings, source)
        raise EmptyActivityError(f"the FIT activity holds no timestamped records{detail}", source)
    rows = np.flatnonzero(has_time)
    t_rows = t_ns[rows]  # (a copy: the samples' times must not share the decoded array)
    stray = stray_times(t_rows)
    if stray.any():
        meta.warnings.append(
            f"dropped {int(stray.sum())} records whose timestamps lie days away from the rest"
        )
        rows, t_rows = rows[~stray], t_rows[~stray]

    starts = session_starts_ns(sessions)
    if not n_sessions(sessions):
        sports = np.array([meta.sport], dtype=object)
        leg = np.zeros(rows.size, dtype=np.int64)
    else:
        sports = session_sports(sessions)
        leg = session_index(t_rows, starts)
    columns = sample_columns(msgs, records, rows, sports, leg, meta)
    columns["_file"] = records.num("_file")[rows]
    t, columns = _merge_same_time(t_rows, columns)
    file_of = columns.pop("_file")
    if meta.distance_source == "device":
        segment = session_index(t, starts)
        if "_file" in records and file_of.size and (file_of != file_of[0]).any():
            # (one file: adding its number moves no boundary between legs)
            segment = segment + 1000 * np.nan_to_num(file_of).astype(np.int64)
        columns["distance_m"] = continue_distance_m(columns["distance_m"], segment)
    laps = laps_table(msgs.columns("lap"), sessions)
    events = events_table(msgs.columns("event"))
    _emit(meta.warnings, source)
    table = None if sessions is None else table_frame(sessions)
    # the samples' times are sorted, distinct and all there (above): "samples" in form too
    in_form = tables_in_form(sessions) | {"samples"}
    return activity_from_columns(
        columns, t, meta, laps=laps, sessions=table, events=events, in_form=in_form
    )


def stop_sentence(stop: FitStop, records: MessageColumns) -> str:
    """Where decoding stopped, for a runner: after which record, at what distance."""
    distance = records.num("distance")
    finite = distance[np.isfinite(distance)]
    where = f"record {records.n:,}" if records.n else f"message {stop.n_messages:,}"
    if finite.size:
        where += f" ({finite[-1] / 1000:.1f} km)"
    if stop.kind == "eof":
        return f"the file ends early (truncated) after {where}: later records were not read"
    return (
        f"the file is damaged after {where}: later records were not read "
        f"({stop.kind}: {stop.reason})"
    )


#: Warning for a file timed from device power-on (its record times are all relative).
RELATIVE_TIME_WARNING = (
    "record times count seconds since device power-on (FIT relative time), not dates: the "
    "absolute date is unknown, so times are placed after the FIT epoch 1989-12-31T00:00:00Z "
    "(durations, pace and elapsed time are right; the start date is not)"
)


def _place_relative_times(t_ns: np.ndarray, has_time: np.ndarray, meta: ActivityMeta) -> np.ndarray:
    """Records to keep, given which record times (int64 UTC ns) count from device power-on.

    All relative (an old Garmin FR70 without a clock): kept on the FIT-epoch time line with
    :data:`RELATIVE_TIME_WARNING`. No FIT field anchors them: in the corpus files
    ``file_id.time_created`` and ``session.start_time`` are relative too, and
    ``activity.local_timestamp`` is the same instant in two runs nine days of device time apart,
    so it is not the run's end. Mixed with absolute times (a clock set mid-file): the relative
    records cannot be placed among the others and are dropped with a warning.
    """
    relative = has_time & (t_ns < FIRST_ABSOLUTE_TIME.value)
    if not relative.any():
        return has_time
    n_relative = int(relative.sum())
    if n_relative == int(has_time.sum()):
        meta.warnings.append(RELATIVE_TIME_WARNING)
        return has_time
    meta.warnings.append(
        f"dropped {n_relative} records timed from device power-on (not dates) among records "
        "with dates"
    )
    return has_time & ~relative


def stray_times(times: pd.DatetimeIndex | np.ndarray, gap_s: float = 86_400.0) -> np.ndarray:
    """True for a few records (fewer than 3 in a row) separated by more than ``gap_s`` seconds
    from all the others: corrupt timestamps, such as the last record before a decoding error.
    ``times``: an index, or int64 UTC nanoseconds."""
    if len(times) < 4:
        return np.zeros(len(times), dtype=bool)
    t = times.asi8 if isinstance(times, pd.DatetimeIndex) else np.asarray(times, dtype=np.int64)
    steps = np.diff(t)
    order = None if (steps >= 0).all() else np.argsort(t, kind="stable")  # (usually in order)
    if order is not None:
        t = t[order]
        steps = np.diff(t)
    gaps = steps > gap_s * 1e9
    if not gaps.any():  # the usual case: one block of records
        return np.zeros(len(times), dtype=bool)
    block = np.concatenate(([0], np.cumsum(gaps)))
    size = np.bincount(block)
    if size.size == 1:
        return np.zeros(len(times), dtype=bool)
    stray_sorted = size[block] < 3
    if order is None:
        return stray_sorted
    out = np.zeros(len(times), dtype=bool)
    out[order] = stray_sorted
    return out


def continue_distance_m(distance_m: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """Make device distance continuous across legs that restart it from zero.

    Multisport devices restart ``distance`` at each leg and a chained file restarts it at each
    file; a leg (``segment`` value, contiguous runs in time order) whose first distance is below
    the last distance of the previous leg is shifted up by that last distance (a copy; the
    column itself when there is one leg).
    """
    out = np.asarray(distance_m, dtype=float)
    starts = np.flatnonzero(np.concatenate(([True], segment[1:] != segment[:-1])))
    if out.size == 0 or starts.size < 2:
        return out  # one leg (the usual case): nothing moves
    out = out.copy()
    ends = np.append(starts[1:], out.size)
    offset = 0.0
    last = np.nan
    for lo, hi in zip(starts, ends, strict=True):  # one iteration per leg, not per sample
        leg = out[lo:hi]
        valid = leg[np.isfinite(leg)]
        if valid.size == 0:
            continue
        if np.isfinite(last) and valid[0] + offset < last:
            offset = last
        leg += offset
        last = float(np.nanmax(leg))
    return out


# -- helpers over message tables ---------------------------------------------------------------


def _emit(messages: list[str], source: str | None) -> None:
    for message in messages:
        truncated = any(k in message for k in ("ends early", "truncat", "damaged after"))
        category = TruncatedFileWarning if truncated else FinishlineWarning
        warnings.warn(f"{source}: {message}" if source else message, category, stacklevel=4)


def _file_type(msgs: FitMessages) -> str | None:
    file_id = MessageColumns(msgs.columns("file_id"))
    if "type" not in file_id or file_id.n == 0:
        return None
    value = file_id.objects("type")[0]
    if is_missing(value):
        return None
    return text(value) or f"type {value}"


def _utc_offset_s(activity: Table) -> int | None:
    """Local minus UTC time (s) from the activity message, rounded to 15 min."""
    cols = MessageColumns(activity)
    if cols.n == 0 or "timestamp" not in cols or "local_timestamp" not in cols:
        return None
    utc = cols.ns("timestamp")
    local = cols.ns("local_timestamp")
    # a power-on time has no offset to a local clock
    ok = (utc != NAT) & (local != NAT) & (utc >= FIRST_ABSOLUTE_TIME.value)
    if not ok.any():
        return None
    offset_s = (int(local[ok][0]) - int(utc[ok][0])) / 1e9
    seconds = round(offset_s / 900.0) * 900
    return int(seconds) if abs(seconds) <= 14 * 3600 else None


def _device(file_id: Table, device_info: Table) -> str | None:
    """Manufacturer and product of the file's creator."""
    for table in (file_id, device_info):
        cols = MessageColumns(table)
        if cols.n == 0 or "manufacturer" not in cols:
            continue
        row = 0
        if table is device_info and "device_index" in cols:
            creator = np.flatnonzero(
                np.array([str(v) == "creator" for v in cols.objects("device_index").tolist()])
            )
            row = int(creator[0]) if creator.size else 0
        parts = [cols.objects("manufacturer")[row]]
        for key in ("garmin_product", "product_name", "product"):
            value = cols.objects(key)[row]
            if not is_missing(value):
                parts.append(value)
                break
        words = [str(p) for p in parts if not is_missing(p)]
        if words:
            return " ".join(words)
    return None


def _activity_sport(sessions: Sessions, sport_msg: Table) -> tuple[str | None, str | None]:
    """Sport and sub-sport of the whole activity: one sport, ``multisport`` or ``None``."""
    if n_sessions(sessions):
        sports = session_sports(sessions).tolist()
        distinct = [s for s in dict.fromkeys(sports) if not is_missing(s) and s != "transition"]
        if len(distinct) > 1:
            return "multisport", None
        if distinct:
            subs = [
                sub
                for sport, sub in zip(sports, list(sessions["sub_sport"]), strict=True)
                if sport == distinct[0] and not is_missing(sub)
            ]
            return distinct[0], (subs[0] if subs else None)
    cols = MessageColumns(sport_msg)
    if cols.n and "sport" in cols:
        sport = normalize_sport(text(cols.objects("sport")[0]))
        sub = text(cols.objects("sub_sport")[0]) if "sub_sport" in cols else None
        return sport, (None if sub == "generic" else sub)
    return None, None


def _merge_same_time(
    t_ns: np.ndarray, columns: dict[str, np.ndarray]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Sort by time and merge records sharing a timestamp (first non-missing value per column).

    Some apps write two records per second (one with speed, one with distance); keeping only
    the first would lose a channel.
    """
    if t_ns.size > 1 and (t_ns[1:] < t_ns[:-1]).any():
        order = np.argsort(t_ns, kind="stable")
        t_ns = t_ns[order]
        columns = {name: values[order] for name, values in columns.items()}
    if t_ns.size < 2:
        return t_ns, columns
    new_time = np.concatenate(([True], t_ns[1:] != t_ns[:-1]))
    if new_time.all():
        return t_ns, columns
    starts = np.flatnonzero(new_time)
    n = t_ns.size
    position = np.arange(n)
    merged = {}
    for name, values in columns.items():
        # the first row of each time that has a value (n where none has)
        first = np.minimum.reduceat(np.where(np.isnan(values), n, position), starts)
        out = np.full(starts.size, np.nan)
        found = first < n
        out[found] = values[first[found]]
        merged[name] = out
    return t_ns[starts], merged
