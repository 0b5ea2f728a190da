"""FIT message tables read as numpy columns, and the lap, session and event tables built on them.

:class:`MessageColumns` reads each column of a decoded message table once, as a numpy array;
every builder here works on those arrays and makes one DataFrame at the end. Reading a pandas
column costs microseconds of overhead however short the table, and an activity reads about a
hundred of them, so this keeps the builder's cost in proportion to the data.

Times are int64 nanoseconds since the Unix epoch (UTC) with :data:`NAT` where missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from finishline.activity import normalize_sport, table_frame
from finishline.io.activity_columns import utc_times

#: A message table: a DataFrame, or the fast engine's columns.
Table = pd.DataFrame | Mapping[str, np.ndarray]

#: The int64 value numpy and pandas use for NaT.
NAT = np.iinfo(np.int64).min

#: FIT sports whose cadence is counted in strides of one leg.
FOOT_SPORTS = frozenset({"running", "walking", "hiking", "mountaineering", "snowshoeing"})

#: What :func:`pandas.api.types.infer_dtype` calls an object column without any number (an
#: enum column of names: ``activity_type`` in every record of a COROS file).
_NO_NUMBERS = frozenset({"empty", "string", "bytes"})

#: What :func:`pandas.api.types.infer_dtype` calls an object column of numbers and ``None``.
_NUMERIC_OBJECTS = frozenset({"empty", "integer", "floating", "mixed-integer-float", "boolean"})


def as_float(col: pd.Series | np.ndarray) -> np.ndarray:
    """A column as float64 (NaN where missing or not a number: text, tuples, times)."""
    if isinstance(col, np.ndarray):
        if col.dtype.kind == "f":
            return col.astype(np.float64, copy=False)
        if col.dtype.kind in "iub":
            return col.astype(np.float64)
        col = pd.Series(col)
    dtype = col.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return col.astype(float).to_numpy()
    if pd.api.types.is_numeric_dtype(dtype):
        return col.to_numpy(dtype=float, na_value=np.nan)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return np.full(len(col), np.nan)
    values = col.to_numpy(dtype=object)
    # Fields never valid in a file come as all-None object columns: one C-level type scan
    # decides that no value needs the per-value filter below.
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in _NO_NUMBERS:
        return np.full(len(values), np.nan)
    if kind in _NUMERIC_OBJECTS:
        return values.astype(np.float64)
    scalar = col.map(lambda v: v if isinstance(v, (int, float, np.number)) else None)
    return pd.to_numeric(scalar, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def as_ns(col: pd.Series | np.ndarray) -> np.ndarray:
    """A column of times as int64 UTC nanoseconds (:data:`NAT` where missing or not a time)."""
    if isinstance(col, np.ndarray):
        if col.dtype.kind == "M":  # (a view of nanosecond times: the callers only read them)
            return col.astype("datetime64[ns]", copy=False).view(np.int64)
        col = pd.Series(col)
    if isinstance(col.dtype, pd.DatetimeTZDtype) or col.dtype.kind == "M":
        times = col.array  # naive datetimes count as UTC, as pd.to_datetime(utc=True) has it
    elif pd.api.types.infer_dtype(col, skipna=True) in ("datetime", "datetime64", "date", "empty"):
        times = pd.to_datetime(col, utc=True, errors="coerce").array
    else:  # numbers or text are not times (a corrupt field), whatever they look like
        return np.full(len(col), NAT, dtype=np.int64)
    return np.asarray(times.as_unit("ns").asi8, dtype=np.int64)


def text(value: object) -> str | None:
    """A FIT enum value as lower-case text (unknown enum numbers become ``None``)."""
    if isinstance(value, str) and value.strip():
        return value.strip().lower()
    return None


class MessageColumns:
    """The columns of one message table as numpy arrays, each read once.

    Parameters
    ----------
    frame
        A table of :class:`~finishline.io.fit_messages.FitMessages`: a DataFrame, or the
        fast engine's mapping of column names to numpy arrays.
    """

    def __init__(self, frame: Table) -> None:
        self.frame = frame
        if isinstance(frame, pd.DataFrame):
            self.names = list(frame.columns)
            self.n = len(frame)
        else:
            self.names = list(frame)
            self.n = len(next(iter(frame.values()))) if self.names else 0
        self._present = set(self.names)
        self._cache: dict[tuple[str, str], np.ndarray] = {}

    def __contains__(self, name: str) -> bool:
        return name in self._present

    def _get(self, kind: str, name: str) -> np.ndarray:
        key = (kind, name)
        if key not in self._cache:
            col = self.frame[name]
            if kind == "num":
                self._cache[key] = as_float(col)
            elif kind == "ns":
                self._cache[key] = as_ns(col)
            elif isinstance(col, np.ndarray):
                self._cache[key] = col.astype(object, copy=False)
            else:
                self._cache[key] = col.to_numpy(dtype=object)
        return self._cache[key]

    def num(self, name: str) -> np.ndarray:
        """Column ``name`` as float (NaN where missing or not a number)."""
        if name not in self._present:
            return np.full(self.n, np.nan)
        return self._get("num", name)

    def first(self, *names: str) -> np.ndarray:
        """Row-wise first non-NaN value among ``names`` (e.g. enhanced_speed, speed)."""
        out = self.num(names[0])
        for name in names[1:]:
            missing = np.isnan(out)
            if not missing.any():
                break
            if name in self._present:
                out = np.where(missing, self.num(name), out)
        return out

    def ns(self, name: str) -> np.ndarray:
        """Column ``name`` as int64 UTC nanoseconds (:data:`NAT` where missing)."""
        if name not in self._present:
            return np.full(self.n, NAT, dtype=np.int64)
        return self._get("ns", name)

    def objects(self, name: str) -> np.ndarray:
        """Column ``name`` as Python objects (``None`` everywhere when absent)."""
        if name not in self._present:
            return np.full(self.n, None, dtype=object)
        return self._get("obj", name)

    def labels(self, name: str, *, sport: bool = False) -> np.ndarray:
        """Enum column ``name`` as lower-case text (``None`` where missing); ``sport=True``
        also normalises sport names (``generic`` -> ``None``). One value per lap or session,
        not per sample."""
        out = np.array([text(v) for v in self.objects(name).tolist()], dtype=object)
        if sport:
            out = np.array([normalize_sport(v) if v is not None else None for v in out], object)
        return out.reshape(self.n)

    def cadence(self, whole: str, fraction: str, *alt: str) -> np.ndarray:
        """Cadence plus its fractional part (the fraction counts as 0 where missing)."""
        frac = self.num(fraction)
        return self.first(whole, *alt) + np.where(np.isnan(frac), 0.0, frac)


def is_missing(value: object) -> bool:
    """``None``, ``NaN`` or ``pd.NA`` (pandas may store a missing text value as any of them)."""
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def unknown(values: np.ndarray) -> np.ndarray:
    """True where a text array has no value."""
    return np.array([is_missing(v) for v in values.tolist()], dtype=bool).reshape(len(values))


def foot_cadence(sport: np.ndarray, running_cadence_hint: bool) -> np.ndarray:
    """True where cadence is counted in strides of one leg (foot sports, or unknown sport
    with running-style data). ``sport`` holds one value per sample: the sports of a few
    sessions, so the membership test runs on the distinct values only."""
    values = np.asarray(sport, dtype=object).reshape(-1).tolist()
    foot_of = {v: v in FOOT_SPORTS or (running_cadence_hint and is_missing(v)) for v in set(values)}
    if len(foot_of) <= 1:
        return np.full(len(values), bool(foot_of and next(iter(foot_of.values()))))
    return np.fromiter((foot_of[v] for v in values), dtype=bool, count=len(values))


def _fill_start(start: np.ndarray, end: np.ndarray, elapsed_s: np.ndarray) -> np.ndarray:
    """Start times, missing ones taken as end minus elapsed time (NaT when either is)."""
    gap = (start == NAT) & (end != NAT) & np.isfinite(elapsed_s)
    if not gap.any():
        return start
    out = start.copy()
    out[gap] = end[gap] - np.round(elapsed_s[gap] * 1e9).astype(np.int64)
    return out


#: Session rows as the columns the sessions table is built from (:func:`session_columns`),
#: which the reader reads without going through pandas.
Sessions = dict[str, Any] | None


def n_sessions(sessions: Sessions) -> int:
    """How many session rows ``sessions`` holds."""
    return 0 if sessions is None else len(sessions["sport"])


def session_sports(sessions: Sessions) -> np.ndarray:
    """The sessions' sports as objects (missing ones ``None`` or NaN)."""
    if n_sessions(sessions) == 0:
        return np.zeros(0, dtype=object)
    return np.asarray(sessions["sport"], dtype=object)  # type: ignore[index]


def sessions_table(session: Table) -> pd.DataFrame | None:
    """Session rows per the schema, sorted by start time (one per leg of a multisport file).

    A chained file that repeats a session (the same activity written twice) counts it once,
    as the samples keep one record per timestamp.
    """
    columns = session_columns(session)
    return None if columns is None else table_frame(columns)


def session_columns(session: Table) -> dict[str, Any] | None:
    """The columns of :func:`sessions_table` (``None`` when there is no session)."""
    cols = MessageColumns(session)
    if cols.n == 0:
        return None
    end = cols.ns("timestamp")
    elapsed = cols.num("total_elapsed_time")
    start = _fill_start(cols.ns("start_time"), end, elapsed)
    sport = cols.labels("sport", sport=True)
    sub_sport = cols.labels("sub_sport")
    sub_sport[sub_sport == "generic"] = None
    foot = foot_cadence(sport, bool(np.isfinite(cols.num("avg_running_cadence")).any()))
    cadence = cols.cadence("avg_running_cadence", "avg_fractional_cadence", "avg_cadence")
    distance = cols.num("total_distance")
    keys = zip(start.tolist(), sport.tolist(), elapsed.tolist(), distance.tolist(), strict=True)
    keep, seen = [], set()
    for i, key in enumerate(keys):  # one per session, not per sample
        # NaN != NaN: a NaN-free stand-in makes equal rows equal, as in drop_duplicates
        key = tuple("nan" if isinstance(v, float) and v != v else v for v in key)
        if key not in seen:
            seen.add(key)
            keep.append(i)
    rows = np.asarray(keep, dtype=np.int64)
    order = rows[np.argsort(np.where(start[rows] == NAT, np.iinfo(np.int64).max, start[rows]),
                            kind="stable")]  # fmt: skip
    return {
        "start_time": utc_times(start[order]),
        "sport": sport[order],
        "sub_sport": sub_sport[order],
        "elapsed_s": elapsed[order],
        "timer_s": cols.num("total_timer_time")[order],
        "distance_m": distance[order],
        "avg_speed_mps": cols.first("enhanced_avg_speed", "avg_speed")[order],
        "avg_hr_bpm": cols.num("avg_heart_rate")[order],
        "max_hr_bpm": cols.num("max_heart_rate")[order],
        "avg_cadence_spm": np.where(foot, 2.0 * cadence, np.nan)[order],
        "ascent_m": cols.num("total_ascent")[order],
        "descent_m": cols.num("total_descent")[order],
        # the schema's columns first, as make_activity keeps them (no reordering there)
        "avg_cadence_rpm": np.where(foot, np.nan, cadence)[order],
        "end_time": utc_times(end[order]),
    }


def tables_in_form(sessions: dict[str, Any] | None) -> frozenset[str]:
    """The tables these builders made in the form :func:`finishline.activity.conform` keeps as
    it is, given the sessions' columns (:func:`session_columns`).

    Laps and events always are: the declared columns in order with their dtypes, text as
    ``str`` (or all missing, as objects) and extra columns of numbers. The sessions' extra
    ``end_time`` column is kept only when it holds a time (conform reads a column of ``NaT``
    only back as naive times), so the sessions are in form when one of them has an end.
    """
    if sessions is None or not n_sessions(sessions) or not sessions["end_time"].isna().all():
        return frozenset({"laps", "sessions", "events"})
    return frozenset({"laps", "events"})


def session_starts_ns(sessions: Sessions) -> np.ndarray | None:
    """Session start times (ns) with gaps filled from their neighbours, ``None`` when there
    are no sessions or no start time at all."""
    if n_sessions(sessions) == 0:
        return None
    starts = as_ns(sessions["start_time"])  # type: ignore[index]
    known = np.flatnonzero(starts != NAT)
    if known.size == 0:
        return None
    if known.size == starts.size:
        return starts
    # each gap takes the previous known start (the next one before the first)
    previous = np.maximum.accumulate(np.where(starts != NAT, np.arange(starts.size), -1))
    return starts[np.where(previous >= 0, previous, known[0])]


def session_index(times_ns: np.ndarray, starts_ns: np.ndarray | None) -> np.ndarray:
    """Index of the session each time falls in (the last session started at or before it;
    a missing time falls in the last session)."""
    if starts_ns is None or len(starts_ns) == 1:  # one session holds every time
        return np.zeros(len(times_ns), dtype=np.int64)
    t = np.where(times_ns == NAT, np.iinfo(np.int64).max, times_ns)
    idx = np.searchsorted(starts_ns, t, side="right") - 1
    return np.clip(idx, 0, len(starts_ns) - 1).astype(np.int64)


def laps_table(lap: Table, sessions: Sessions) -> pd.DataFrame | None:
    """Lap rows per the schema, in file order, each with the index of its session."""
    cols = MessageColumns(lap)
    if cols.n == 0:
        return None
    end = cols.ns("timestamp")
    start = _fill_start(cols.ns("start_time"), end, cols.num("total_elapsed_time"))
    session_idx = session_index(np.where(start == NAT, end, start), session_starts_ns(sessions))
    lap_sport = cols.labels("sport", sport=True)
    if n_sessions(sessions):
        from_session = session_sports(sessions)[session_idx]
        missing = unknown(lap_sport)
        lap_sport[missing] = from_session[missing]
    foot = foot_cadence(lap_sport, bool(np.isfinite(cols.num("avg_running_cadence")).any()))
    cadence = cols.cadence("avg_running_cadence", "avg_fractional_cadence", "avg_cadence")
    return table_frame(
        {
            "start_time": utc_times(start),
            "elapsed_s": cols.num("total_elapsed_time"),
            "timer_s": cols.num("total_timer_time"),
            "distance_m": cols.num("total_distance"),
            "avg_speed_mps": cols.first("enhanced_avg_speed", "avg_speed"),
            "max_speed_mps": cols.first("enhanced_max_speed", "max_speed"),
            "avg_hr_bpm": cols.num("avg_heart_rate"),
            "max_hr_bpm": cols.num("max_heart_rate"),
            "avg_cadence_spm": np.where(foot, 2.0 * cadence, np.nan),
            "ascent_m": cols.num("total_ascent"),
            "descent_m": cols.num("total_descent"),
            "trigger": cols.labels("lap_trigger"),
            "session_index": session_idx,
        }
    )


def events_table(event: Table) -> pd.DataFrame | None:
    """Event rows with a timestamp, in time order (file order among equal times)."""
    cols = MessageColumns(event)
    if cols.n == 0 or "timestamp" not in cols:
        return None

    def label(name: str) -> np.ndarray:
        values = cols.objects(name).tolist()
        out = [None if is_missing(v) else str(v).lower() for v in values]
        return np.array(out, dtype=object).reshape(cols.n)

    t = cols.ns("timestamp")
    rows = np.flatnonzero(t != NAT)
    rows = rows[np.argsort(t[rows], kind="stable")]
    return table_frame(
        {
            "timestamp": utc_times(t[rows]),
            "event": label("event")[rows],
            "event_type": label("event_type")[rows],
            "data": cols.num("data")[rows],
        }
    )
