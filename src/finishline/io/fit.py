"""FIT bytes to an :class:`~finishline.activity.Activity`.

Two engines decode FIT bytes into the same :class:`~finishline.io.fit_messages.FitMessages`
table (the fast numpy decoder and the fitparse reference); :func:`activity_from_messages` turns
either into an Activity with column operations only, so both engines share one conversion to
units and one set of rules:

- positions: semicircles x 180 / 2**31 to degrees;
- cadence: FIT running cadence counts strides per minute of one leg, so foot sports get
  ``cadence_spm = 2 * (cadence + fractional_cadence)``; other sports keep the raw value in
  ``cadence_rpm`` (revolutions or strokes per minute) and leave ``cadence_spm`` empty;
- times: every FIT time is FIT-epoch based (see :mod:`finishline.io.fit_messages`); a file whose
  record times all count from device power-on is read on that time line with a
  :class:`~finishline.errors.FinishlineWarning` saying the date is unknown;
- every other record field (developer fields too) is kept as a float column named in snake case
  with a unit suffix (``stance_time_ms``, ``form_power_w``), its unit in ``meta.units``.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from finishline.activity import Activity, ActivityMeta, make_activity, normalize_sport
from finishline.errors import (
    EmptyActivityError,
    FinishlineWarning,
    NotAnActivityError,
    TruncatedFileWarning,
)
from finishline.geo import cumulative_distance_m
from finishline.io.fit_messages import FIRST_ABSOLUTE_TIME, FitMessages, is_relative_time
from finishline.io.fit_tables import (
    NAT,
    MessageColumns,
    events_table,
    foot_cadence,
    is_missing,
    laps_table,
    session_index,
    session_starts_ns,
    sessions_table,
    text,
    utc_times,
)

__all__ = ["ENGINES", "activity_from_messages", "decode_fit", "read_fit"]

ENGINES = ("auto", "fast", "fitparse")

#: Degrees per semicircle: FIT stores angles as int32 where 2**31 semicircles = 180 degrees.
DEG_PER_SEMICIRCLE = 180.0 / 2**31

#: Mean Earth radius (m), IUGG R1.

#: Record fields that imply running cadence when the sport is unknown (running dynamics).
_RUNNING_DYNAMICS = ("vertical_oscillation", "stance_time", "step_length", "vertical_ratio")

#: Record fields mapped onto declared sample columns (or consumed by that mapping).
_MAPPED_RECORD_FIELDS = frozenset(
    {
        "_file",
        "timestamp",
        "position_lat",
        "position_long",
        "enhanced_speed",
        "speed",
        "enhanced_altitude",
        "altitude",
        "distance",
        "heart_rate",
        "cadence",
        "fractional_cadence",
        "power",
        "temperature",
    }
)

#: FIT (and common developer) unit strings -> (column suffix, unit recorded in meta.units).
_UNITS = {
    "m": ("m", "m"),
    "meters": ("m", "m"),
    "mm": ("mm", "mm"),
    "cm": ("cm", "cm"),
    "km": ("km", "km"),
    "s": ("s", "s"),
    "ms": ("ms", "ms"),
    "m/s": ("mps", "m/s"),
    "watts": ("w", "W"),
    "w": ("w", "W"),
    "bpm": ("bpm", "1/min"),
    "rpm": ("rpm", "1/min"),
    "percent": ("pct", "%"),
    "%": ("pct", "%"),
    "c": ("c", "degC"),
    "kn/m": ("kn_per_m", "kN/m"),
    "degrees": ("deg", "deg"),
    "kcal": ("kcal", "kcal"),
    "j": ("j", "J"),
}


def read_fit(data: bytes, source: str | None = None, engine: str = "auto") -> Activity:
    """Read FIT bytes into an :class:`Activity`.

    Parameters
    ----------
    data
        The FIT file's bytes (already gunzipped).
    source
        The file name, used in messages.
    engine
        ``"fast"`` (numpy decoder), ``"fitparse"`` (reference) or ``"auto"`` (fast, falling back
        to fitparse when the fast decoder is missing or cannot handle the file).

    Raises
    ------
    ValueError
        ``engine`` is not one of :data:`ENGINES`.
    FinishlineError
        The bytes are not a readable activity (see :func:`activity_from_messages`).
    """
    return activity_from_messages(decode_fit(data, source, engine), source)


def decode_fit(data: bytes, source: str | None = None, engine: str = "auto") -> FitMessages:
    """Decode FIT bytes into :class:`FitMessages` with the chosen engine (see :func:`read_fit`)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown FIT engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "fitparse":
        from finishline.io import fit_fitparse

        return fit_fitparse.decode(data, source)
    if engine == "fast":
        from finishline.io import fit_fast

        return fit_fast.decode(data, source)
    try:
        from finishline.io import fit_fast
    except ModuleNotFoundError as exc:
        if exc.name != "finishline.io.fit_fast":
            raise
    else:
        try:
            return fit_fast.decode(data, source)
        except NotImplementedError:
            pass
    from finishline.io import fit_fitparse

    return fit_fitparse.decode(data, source)


def activity_from_messages(msgs: FitMessages, source: str | None = None) -> Activity:
    """Build an :class:`Activity` from decoded FIT message tables.

    Every table is read column by column into numpy (:class:`MessageColumns`) and each output
    table is made as one DataFrame, so the cost follows the number of samples rather than
    pandas' per-operation overhead.

    Raises
    ------
    NotAnActivityError
        ``file_id.type`` says the file is not an activity (settings, workout, course, ...).
    EmptyActivityError
        The activity holds no record with a timestamp.
    """
    file_type = _file_type(msgs)
    if file_type is not None and file_type != "activity":
        what = "a course (planned route)" if file_type == "course" else f"a {file_type!r} file"
        raise NotAnActivityError(f"FIT file is {what}, not a recorded activity", source)

    meta = ActivityMeta(source_path=source, format="fit", n_files=max(msgs.n_files, 1))
    meta.warnings.extend(msgs.warnings)
    sessions = sessions_table(msgs.get("session"))
    meta.sport, meta.sub_sport = _activity_sport(sessions, msgs.get("sport"))
    meta.device = _device(msgs.get("file_id"), msgs.get("device_info"))
    meta.utc_offset_s = _utc_offset_s(msgs.get("activity"))

    records = MessageColumns(msgs.get("record"))
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
    stray = stray_times(utc_times(t_ns[rows]))
    if stray.any():
        meta.warnings.append(
            f"dropped {int(stray.sum())} records whose timestamps lie days away from the rest"
        )
        rows = rows[~stray]

    starts = session_starts_ns(sessions)
    if sessions is None or sessions.empty:
        sample_sport = np.full(rows.size, meta.sport, dtype=object)
    else:
        sports = sessions["sport"].to_numpy(dtype=object)
        sample_sport = sports[session_index(t_ns[rows], starts)]
    dev_fields = _developer_field_names(msgs.get("field_description"))
    units = msgs.units.get("record", {})
    columns = _sample_columns(records, rows, sample_sport, units, dev_fields, meta)
    columns["_file"] = records.num("_file")[rows]
    t, columns = _merge_same_time(t_ns[rows], columns)
    file_of = columns.pop("_file")
    if meta.distance_source == "device":
        segment = session_index(t, starts)
        if "_file" in records:
            segment = segment + 1000 * np.nan_to_num(file_of).astype(np.int64)
        columns["distance_m"] = continue_distance_m(columns["distance_m"], segment)
    # nanosecond unit: make_activity derives elapsed_s from the index's integer value.
    samples = pd.DataFrame(columns, index=utc_times(t).rename("timestamp"))
    laps = laps_table(msgs.get("lap"), sessions)
    events = events_table(msgs.get("event"))
    _emit(meta.warnings, source)
    return make_activity(samples, meta, laps=laps, sessions=sessions, events=events)


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


def stray_times(times: pd.DatetimeIndex, gap_s: float = 86_400.0) -> np.ndarray:
    """True for a few records (fewer than 3 in a row) separated by more than ``gap_s`` seconds
    from all the others: corrupt timestamps, such as the last record before a decoding error."""
    if len(times) < 4:
        return np.zeros(len(times), dtype=bool)
    order = np.argsort(times.asi8, kind="stable")
    t = times.asi8[order]
    block = np.concatenate(([0], np.cumsum(np.diff(t) > gap_s * 1e9)))
    size = np.bincount(block)
    if size.size == 1:
        return np.zeros(len(times), dtype=bool)
    stray_sorted = size[block] < 3
    out = np.zeros(len(times), dtype=bool)
    out[order] = stray_sorted
    return out


def continue_distance_m(distance_m: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """Make device distance continuous across legs that restart it from zero.

    Multisport devices restart ``distance`` at each leg and a chained file restarts it at each
    file; a leg (``segment`` value, contiguous runs in time order) whose first distance is below
    the last distance of the previous leg is shifted up by that last distance.
    """
    out = np.asarray(distance_m, dtype=float).copy()
    if out.size == 0:
        return out
    starts = np.flatnonzero(np.concatenate(([True], segment[1:] != segment[:-1])))
    if starts.size < 2:
        return out
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
        truncated = any(k in message for k in ("ends early", "truncat", "stopped", "end of file"))
        category = TruncatedFileWarning if truncated else FinishlineWarning
        warnings.warn(f"{source}: {message}" if source else message, category, stacklevel=4)


def _file_type(msgs: FitMessages) -> str | None:
    file_id = msgs.get("file_id")
    if "type" not in file_id.columns or file_id.empty:
        return None
    value = file_id["type"].iloc[0]
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return text(value) or f"type {value}"


def _utc_offset_s(activity: pd.DataFrame) -> int | None:
    """Local minus UTC time (s) from the activity message, rounded to 15 min."""
    if activity.empty or not {"timestamp", "local_timestamp"} <= set(activity.columns):
        return None
    utc = pd.to_datetime(activity["timestamp"], utc=True, errors="coerce")
    utc = utc.where(~is_relative_time(utc))  # power-on time: no offset to a local clock
    local = pd.to_datetime(activity["local_timestamp"], utc=True, errors="coerce")
    offset = ((local - utc).dt.total_seconds()).dropna()
    if offset.empty:
        return None
    seconds = round(float(offset.iloc[0]) / 900.0) * 900
    return int(seconds) if abs(seconds) <= 14 * 3600 else None


def _device(file_id: pd.DataFrame, device_info: pd.DataFrame) -> str | None:
    for frame in (file_id, device_info):
        if frame.empty or "manufacturer" not in frame.columns:
            continue
        if frame is device_info and "device_index" in frame.columns:
            creator = frame[frame["device_index"].astype(str) == "creator"]
            frame = creator if not creator.empty else frame
        row = frame.iloc[0]
        parts = [row.get("manufacturer")]
        for key in ("garmin_product", "product_name", "product"):
            value = row.get(key)
            if value is not None and not (isinstance(value, float) and np.isnan(value)):
                parts.append(value)
                break
        words = [str(p) for p in parts if p is not None and not pd.isna(p)]
        if words:
            return " ".join(words)
    return None


def _activity_sport(
    sessions: pd.DataFrame | None, sport_msg: pd.DataFrame
) -> tuple[str | None, str | None]:
    """Sport and sub-sport of the whole activity: one sport, ``multisport`` or ``None``."""
    if sessions is not None and not sessions.empty:
        sports = sessions["sport"].tolist()
        distinct = [s for s in dict.fromkeys(sports) if not is_missing(s) and s != "transition"]
        if len(distinct) > 1:
            return "multisport", None
        if distinct:
            subs = [
                sub
                for sport, sub in zip(sports, sessions["sub_sport"].tolist(), strict=True)
                if sport == distinct[0] and not is_missing(sub)
            ]
            return distinct[0], (subs[0] if subs else None)
    if not sport_msg.empty and "sport" in sport_msg.columns:
        sport = normalize_sport(text(sport_msg["sport"].iloc[0]))
        sub = text(sport_msg["sub_sport"].iloc[0]) if "sub_sport" in sport_msg.columns else None
        return sport, (None if sub == "generic" else sub)
    return None, None


def _developer_field_names(field_description: pd.DataFrame) -> set[str]:
    if field_description.empty or "field_name" not in field_description.columns:
        return set()
    return {str(v) for v in field_description["field_name"].dropna()}


def _snake(name: str) -> str:
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(name).strip())
    return re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()


def extra_column_name(field: str, unit: str | None) -> tuple[str, str | None]:
    """Snake-case column name with a unit suffix, and the unit to record, for a FIT field.

    ``("stance_time", "ms") -> ("stance_time_ms", "ms")``;
    ``("Leg Spring Stiffness", "KN/m") -> ("leg_spring_stiffness_kn_per_m", "kN/m")``.
    """
    name = _snake(field) or "field"
    if not unit or not str(unit).strip():
        return name, None
    key = str(unit).strip().lower()
    suffix, recorded = _UNITS.get(key, (None, str(unit).strip()))
    if suffix is None:
        suffix = _snake(key.replace("/", " per "))
    if not suffix:
        return name, recorded
    unit_word = _snake(key.replace("/", " per "))
    tokens = name.split("_")
    if name.endswith("_" + suffix) or name == suffix or unit_word in tokens:
        return name, recorded  # the name already says its unit (stance_time_percent)
    return f"{name}_{suffix}", recorded


def _sample_columns(
    records: MessageColumns,
    rows: np.ndarray,
    sport: np.ndarray,
    units: dict[str, str],
    dev_fields: set[str],
    meta: ActivityMeta,
) -> dict[str, np.ndarray]:
    """Sample columns (float arrays) of the record ``rows``, in file order."""

    def num(name: str) -> np.ndarray:
        return records.num(name)[rows]

    lat = num("position_lat") * DEG_PER_SEMICIRCLE
    lon = num("position_long") * DEG_PER_SEMICIRCLE
    bad = ~((np.abs(lat) <= 90) & (np.abs(lon) <= 180))
    lat[bad] = np.nan
    lon[bad] = np.nan
    hint = any(np.isfinite(num(f)).any() for f in _RUNNING_DYNAMICS if f in records)
    foot = foot_cadence(sport, hint)
    cadence = records.cadence("cadence", "fractional_cadence")[rows]
    columns: dict[str, np.ndarray] = {
        "distance_m": num("distance"),
        "speed_mps": records.first("enhanced_speed", "speed")[rows],
        "lat_deg": lat,
        "lon_deg": lon,
        "altitude_m": records.first("enhanced_altitude", "altitude")[rows],
        "heart_rate_bpm": num("heart_rate"),
        "cadence_spm": np.where(foot, 2.0 * cadence, np.nan),
        "power_w": num("power"),
        "temperature_c": num("temperature"),
    }
    if np.isfinite(columns["distance_m"]).any():
        meta.distance_source = "device"
    elif np.isfinite(lat).any():
        distance = cumulative_distance_m(lat, lon)
        fixes = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
        distance[: fixes[0] if fixes.size else len(distance)] = np.nan  # none before a fix
        columns["distance_m"] = distance
        meta.distance_source = "positions"
    rpm = np.where(foot, np.nan, cadence)
    if np.isfinite(rpm).any():
        columns["cadence_rpm"] = rpm
        meta.units["cadence_rpm"] = "1/min"

    for field in records.names:
        if field in _MAPPED_RECORD_FIELDS:
            continue
        values = num(field)
        if not np.isfinite(values).any():
            continue
        name, unit = extra_column_name(field, units.get(field))
        if name in columns and field in dev_fields:
            name = "dev_" + name
        while name in columns:
            name += "_2"
        columns[name] = values
        if unit:
            meta.units[name] = unit
    return columns


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
