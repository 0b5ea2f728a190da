"""The one activity model every reader produces, and its column schema.

The schema is data, declared once here and used by the readers, by :func:`validate` and by the
README. Every timestamp is timezone-aware UTC; the local offset, where the file gives one, is
kept in :attr:`ActivityMeta.utc_offset_s`. Column names carry their units.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd


class Column(NamedTuple):
    """One declared column: its name, pandas dtype, unit and meaning."""

    name: str
    dtype: str
    unit: str
    meaning: str


#: Sample (per-record) columns. The index is ``timestamp`` (datetime64, UTC).
SAMPLE_COLUMNS: tuple[Column, ...] = (
    Column("elapsed_s", "float64", "s", "seconds since the first sample of the activity"),
    Column("distance_m", "float64", "m", "cumulative distance as recorded by the device"),
    Column("speed_mps", "float64", "m/s", "instantaneous speed (enhanced speed preferred)"),
    Column("lat_deg", "float64", "deg", "WGS84 latitude"),
    Column("lon_deg", "float64", "deg", "WGS84 longitude"),
    Column("altitude_m", "float64", "m", "altitude (enhanced altitude preferred)"),
    Column("heart_rate_bpm", "float64", "1/min", "heart rate"),
    Column("cadence_spm", "float64", "steps/min", "cadence in steps per minute (both legs)"),
    Column("power_w", "float64", "W", "running power"),
    Column("temperature_c", "float64", "degC", "ambient/device temperature"),
)

#: Lap columns, one row per lap in file order.
LAP_COLUMNS: tuple[Column, ...] = (
    Column("start_time", "datetime64[ns, UTC]", "UTC", "lap start"),
    Column("elapsed_s", "float64", "s", "total elapsed time of the lap"),
    Column("timer_s", "float64", "s", "timer (moving) time of the lap, pauses excluded"),
    Column("distance_m", "float64", "m", "lap distance"),
    Column("avg_speed_mps", "float64", "m/s", "device's average speed"),
    Column("max_speed_mps", "float64", "m/s", "device's maximum speed"),
    Column("avg_hr_bpm", "float64", "1/min", "average heart rate"),
    Column("max_hr_bpm", "float64", "1/min", "maximum heart rate"),
    Column("avg_cadence_spm", "float64", "steps/min", "average cadence"),
    Column("ascent_m", "float64", "m", "total ascent"),
    Column("descent_m", "float64", "m", "total descent"),
    Column("trigger", "object", "", "what closed the lap: manual, distance, time, session_end..."),
    Column("session_index", "int64", "", "index of the session (leg) the lap belongs to"),
)

#: Session columns: one row per session (one per leg in a multisport file).
SESSION_COLUMNS: tuple[Column, ...] = (
    Column("start_time", "datetime64[ns, UTC]", "UTC", "session start"),
    Column("sport", "object", "", "sport, lower-case (running, cycling, ...)"),
    Column("sub_sport", "object", "", "sub-sport (road, trail, treadmill, ...)"),
    Column("elapsed_s", "float64", "s", "device total elapsed time"),
    Column("timer_s", "float64", "s", "device total timer time (pauses excluded)"),
    Column("distance_m", "float64", "m", "device total distance"),
    Column("avg_speed_mps", "float64", "m/s", "device average speed"),
    Column("avg_hr_bpm", "float64", "1/min", "average heart rate"),
    Column("max_hr_bpm", "float64", "1/min", "maximum heart rate"),
    Column("avg_cadence_spm", "float64", "steps/min", "average cadence"),
    Column("ascent_m", "float64", "m", "total ascent"),
    Column("descent_m", "float64", "m", "total descent"),
)

#: Event columns: timer start/stop and other events, in time order.
EVENT_COLUMNS: tuple[Column, ...] = (
    Column("timestamp", "datetime64[ns, UTC]", "UTC", "when the event happened"),
    Column("event", "object", "", "what: timer, lap, session, ..."),
    Column("event_type", "object", "", "start, stop, stop_all, marker, ..."),
)

SCHEMA: dict[str, tuple[Column, ...]] = {
    "samples": SAMPLE_COLUMNS,
    "laps": LAP_COLUMNS,
    "sessions": SESSION_COLUMNS,
    "events": EVENT_COLUMNS,
}


@dataclass
class ActivityMeta:
    """What the file says about the activity as a whole.

    Attributes
    ----------
    source_path
        Path of the file read (``None`` for an in-memory source).
    format
        ``"fit"``, ``"gpx"`` or ``"tcx"``.
    sport, sub_sport
        Lower-case names (``"running"``, ``"treadmill"``); ``None`` where the file is silent.
    device
        Manufacturer/product or creator string.
    start_time
        First sample time (tz-aware UTC).
    utc_offset_s
        Local time minus UTC in seconds, where the file gives it (FIT ``activity.local_timestamp``);
        ``None`` otherwise.
    is_course
        True for a route/course with no times (a GPX ``rte``).
    n_files
        Number of FIT files chained in the source (1 for a plain file).
    distance_source
        ``"device"`` when ``distance_m`` comes from the file, ``"positions"`` when the reader
        computed it from GPS positions (great-circle), ``None`` when there is no distance.
    warnings
        Recoverable oddities found while reading (truncation, CRC, dropped records, repaired
        clocks), each a sentence a runner can read; analyses carry them into their JSON and
        HTML.
    truncated
        True when decoding stopped before the end of the file (damage, truncation): the
        samples are the records before the break.
    power_source
        Where ``samples.power_w`` comes from: ``"native"`` (the file's own power field), the
        developer field it was taken from (e.g. ``"developer: Stryd Power"``), or ``None``
        when the file has no power.
    units
        Units of extra sample columns that are not in :data:`SAMPLE_COLUMNS`.
    """

    source_path: str | None = None
    format: str = ""
    sport: str | None = None
    sub_sport: str | None = None
    device: str | None = None
    start_time: pd.Timestamp | None = None
    utc_offset_s: int | None = None
    is_course: bool = False
    n_files: int = 1
    distance_source: str | None = None
    warnings: list[str] = field(default_factory=list)
    truncated: bool = False
    power_source: str | None = None
    units: dict[str, str] = field(default_factory=dict)

    @property
    def start_time_local(self) -> pd.Timestamp | None:
        """Start time in the recorded local time zone (a fixed offset), if known."""
        if self.start_time is None or self.utc_offset_s is None:
            return None
        from datetime import timedelta, timezone

        return self.start_time.tz_convert(timezone(timedelta(seconds=self.utc_offset_s)))


@dataclass
class Activity:
    """One recorded activity: samples, laps, sessions, events and meta.

    Build it with :func:`make_activity`, which enforces the schema.
    """

    samples: pd.DataFrame
    laps: pd.DataFrame
    sessions: pd.DataFrame
    events: pd.DataFrame
    meta: ActivityMeta

    @property
    def kind(self) -> str:
        """``"course"`` for a planned route (no times), else ``"activity"``."""
        return "course" if self.meta.is_course else "activity"

    def __repr__(self) -> str:
        m = self.meta
        return (
            f"Activity(format={m.format!r}, sport={m.sport!r}, start={m.start_time}, "
            f"n_samples={len(self.samples)}, laps={len(self.laps)}, sessions={len(self.sessions)})"
        )


def column_labels(names: Iterable[str]) -> pd.Index:
    """Column labels for a table of ``names``, as a frame built from a dict of them has.

    pandas infers a text dtype for a list of names each time; the labels of a set of names
    are built once, each frame gets a shallow copy (its ``name`` may be set on one only)."""
    return _labels_of(tuple(names)).copy()


@lru_cache(maxsize=256)
def _labels_of(names: tuple[str, ...]) -> pd.Index:
    return pd.Index(list(names))


def table_frame(columns: dict[str, object]) -> pd.DataFrame:
    """``pandas.DataFrame(columns)`` for a dict of equal-length arrays, with the labels of
    :func:`column_labels`: the same frame, without inferring the labels' dtype again. Columns
    of the kinds the readers build (numbers, tz-aware times, text as ``str`` or ``None``) are
    placed in blocks without the constructor's per-column inference; others go through it."""
    blocks = _column_blocks(columns) if _from_blocks is not None else None
    if blocks is None:
        values = (v.array if isinstance(v, pd.Index) else v for v in columns.values())  # (no copy)
        frame = pd.DataFrame(dict(enumerate(values)), copy=False)  # (consolidated: new blocks)
        frame.columns = column_labels(columns)
        return frame
    n = blocks[0][0].shape[-1] if blocks else 0
    return _from_blocks(blocks, index=pd.RangeIndex(n), columns=column_labels(columns))


#: ``pandas.api.internals.create_dataframe_from_blocks`` (pandas >= 3.0), else ``None``.
_from_blocks = getattr(getattr(pd.api, "internals", None), "create_dataframe_from_blocks", None)

_PLAIN_NUMBERS = frozenset({np.dtype(np.float64), np.dtype(np.int64), np.dtype(np.bool_)})


def _column_blocks(columns: dict[str, object]) -> list[tuple[object, np.ndarray]] | None:
    """One (values, placement) block per column as ``pandas.DataFrame(columns)`` makes it, or
    ``None`` when a column is of a kind left to pandas' inference."""
    blocks: list[tuple[object, np.ndarray]] = []
    floats: dict[int, np.ndarray] = {}  # one block of them all (a copy), as pandas < 3 has it
    n = None
    for i, values in enumerate(columns.values()):
        values = values.array if isinstance(values, pd.DatetimeIndex) else values
        block = None
        if isinstance(values, np.ndarray) and values.ndim == 1:
            if values.dtype in _PLAIN_NUMBERS:
                block = values.reshape(1, -1)
            elif values.dtype == object:
                block = _object_block(values)
        elif isinstance(values, pd.arrays.DatetimeArray) and values.tz is not None:
            block = values
        if block is None or block.shape[-1] != (n := block.shape[-1] if n is None else n):
            return None  # (pandas infers it, or says what is wrong)
        if block.dtype == np.float64:
            floats[i] = block
        else:
            blocks.append((block, np.array([i], dtype=np.intp)))
    if floats:
        blocks.append((np.concatenate(list(floats.values())), np.array(list(floats), np.intp)))
    return blocks


def _object_block(values: np.ndarray) -> object | None:
    """An object column of text (``str`` or ``None``, one text at least) as pandas infers it,
    one of ``None`` only as it is; ``None`` for other contents."""
    items = values.tolist()
    if not any(type(v) is str for v in items):
        return values.reshape(1, -1) if items and all(v is None for v in items) else None
    if not all(v is None or type(v) is str for v in items):
        return None
    if len(items) > 16:
        return pd.array(values, dtype=_TEXT)
    return _few_texts(tuple(items)).copy()  # (a new array on the same immutable data)


@lru_cache(maxsize=1024)
def _few_texts(items: tuple[str | None, ...]) -> object:
    """A short text column (a session's sport, timer events) as pandas infers it, built once."""
    return pd.array(np.array(items, dtype=object), dtype=_TEXT)


def empty_frame(kind: str) -> pd.DataFrame:
    """An empty DataFrame with the declared columns and dtypes of ``kind``."""
    # Built once per kind (a DataFrame of a dozen typed Series costs ~1 ms), copied per call.
    return _empty_template(kind).copy(deep=True)


@cache
def _empty_template(kind: str) -> pd.DataFrame:
    cols = SCHEMA[kind]
    frame = pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in cols})
    if kind == "samples":
        frame.index = pd.DatetimeIndex([], tz="UTC", name="timestamp")
    return frame


def float_values(values: pd.Series) -> np.ndarray:
    """A float64 array; non-numeric entries become NaN."""
    try:
        return values.to_numpy(dtype="float64", na_value=np.nan)
    except (TypeError, ValueError):
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


#: The dtype pandas gives text inferred from Python strings (``str``, NaN for missing).
_TEXT = pd.StringDtype(na_value=np.nan)
#: The dtype of the column labels of a frame built from a dict of named columns.
_LABELS = pd.Index(["name"]).dtype
_UTC_NS = pd.DatetimeTZDtype("ns", "UTC")


def _rebuilt_as_is(dtype: object, declared: str | None, frame: pd.DataFrame, name: str) -> bool:
    """Whether a table's column comes out of :func:`conform`'s rebuild unchanged.

    The rebuild reads the column back as numpy (``to_numpy``) and pandas infers a dtype
    again: numbers keep theirs, text keeps ``str`` (when any value is there), tz-aware UTC
    times keep their nanoseconds (when any time is there; all-NaT becomes naive).
    """
    if declared == "float64":
        return dtype == np.float64
    if declared == "int64":
        return dtype == np.int64
    if declared is not None and declared.startswith("datetime"):
        return dtype == _UTC_NS
    if isinstance(dtype, np.dtype):  # (numpy dtypes first: comparing them to pandas' is slow)
        if dtype.kind in "fiub":
            return declared is None
        # an object column of missing values only stays as it is; text would become ``str``
        return dtype.kind == "O" and pd.api.types.infer_dtype(frame[name], skipna=True) == "empty"
    if dtype == _TEXT or dtype == _UTC_NS:
        return not frame[name].array.isna().all()
    return False


def _conformed(frame: pd.DataFrame, kind: str) -> bool:
    """A lap, session or event table :func:`conform` would give back as it is."""
    declared = SCHEMA[kind]
    names = list(frame.columns)
    if (
        frame.attrs
        or frame.columns.dtype != _LABELS
        or names[: len(declared)] != [c.name for c in declared]
        or len(set(names)) != len(names)
    ):
        return False
    kinds = [c.dtype for c in declared] + [None] * (len(names) - len(declared))
    dtypes = frame.dtypes.tolist()
    return all(
        _rebuilt_as_is(dtype, kind_of, frame, name)
        for name, dtype, kind_of in zip(names, dtypes, kinds, strict=True)
    )


def conform(frame: pd.DataFrame | None, kind: str) -> pd.DataFrame:
    """Return ``frame`` with every declared column of ``kind`` present and cast.

    Missing declared columns are added as all-NaN (or empty) columns; extra columns are kept
    after the declared ones. For samples, the index must be tz-aware timestamps: it is converted
    to UTC, sorted, and duplicate timestamps keep their first row. A lap, session or event
    table that already has that form is returned as a shallow copy.
    """
    if frame is None:
        return empty_frame(kind)
    if kind != "samples" and _conformed(frame, kind):
        return frame.copy(deep=False)
    return rebuild(frame, kind)


def rebuild(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """:func:`conform` by building the table again, column by column (no shortcut)."""
    declared = SCHEMA[kind]
    n = len(frame)
    columns: dict[str, object] = {}
    for col in declared:
        present = col.name in frame.columns
        if col.dtype == "float64":
            columns[col.name] = float_values(frame[col.name]) if present else np.full(n, np.nan)
        elif col.dtype.startswith("datetime"):
            values = frame[col.name] if present else pd.Series(pd.NaT, index=frame.index)
            # ``.array`` keeps the tz-aware values (``to_numpy`` would box them as objects).
            columns[col.name] = pd.to_datetime(values, utc=True).astype(col.dtype).array
        elif col.dtype == "int64":
            columns[col.name] = frame[col.name].to_numpy() if present else np.zeros(n, "int64")
        else:
            columns[col.name] = frame[col.name].to_numpy() if present else np.full(n, None, object)
    for name in frame.columns:  # extra columns keep their order, after the declared ones
        if name not in columns:
            columns[name] = frame[name].to_numpy()
    out = pd.DataFrame(columns, index=frame.index)
    if kind == "samples":
        idx = out.index
        if not isinstance(idx, pd.DatetimeIndex):
            idx = pd.DatetimeIndex(idx)
        idx = idx.tz_localize("UTC") if idx.tz is None else idx.tz_convert("UTC")
        # One resolution everywhere: pandas 3 may infer s/ms/us units, and code downstream
        # reads ``asi8`` as nanoseconds.
        out.index = idx.as_unit("ns").rename("timestamp")
        if len(idx) and idx.isna().all():
            return out  # a course (route with no times): order is the file's order
        if idx.isna().any():
            out = out[~idx.isna()]
        if not out.index.is_monotonic_increasing:
            out = out.sort_index(kind="stable")
        if out.index.has_duplicates:
            out = out[~out.index.duplicated(keep="first")]
    return out


def make_activity(
    samples: pd.DataFrame | None,
    meta: ActivityMeta,
    laps: pd.DataFrame | None = None,
    sessions: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    *,
    require_samples: bool = True,
) -> Activity:
    """Build an :class:`Activity`, enforcing the schema on every table.

    Every sample passes the physical plausibility checks of :mod:`finishline.io.plausibility`
    (out-of-range values masked, broken clocks repaired, distance made monotone, each with a
    warning). ``elapsed_s`` is (re)computed from the sample index so that it always means
    seconds since the first sample. Raises :class:`EmptyActivityError` when there are no
    samples and ``require_samples`` is true.
    """
    from finishline.io.activity_columns import activity_from_columns, sample_arrays

    columns, t_ns = sample_arrays(samples)
    return activity_from_columns(
        columns, t_ns, meta, laps, sessions, events, require_samples=require_samples, _depth=5
    )


_SPORT_ALIASES = {
    "run": "running",
    "running": "running",
    "trail_running": "running",
    "treadmill_running": "running",
    "virtualrun": "running",
    "trailrun": "running",
    "biking": "cycling",
    "bike": "cycling",
    "ride": "cycling",
    "cycling": "cycling",
    "virtualride": "cycling",
    "walk": "walking",
    "walking": "walking",
    "hike": "hiking",
    "hiking": "hiking",
    "swim": "swimming",
    "swimming": "swimming",
}


def normalize_sport(name: object) -> str | None:
    """Lower-case sport name in FIT's vocabulary (``running``, ``cycling``, ...), or ``None``.

    Accepts FIT enum strings, TCX ``Sport`` attributes (``Running``, ``Biking``, ``Other``) and
    GPX ``<type>`` text (Strava writes ``running``/``9``; Garmin writes ``running``).
    """
    if name is None:
        return None
    text = str(name).strip().lower().replace(" ", "_").replace("-", "_")
    if not text or text in ("other", "generic", "none", "unknown", "all"):
        return None
    if text.isdigit():  # Strava's numeric activity types: 9 = run, 1 = ride, 10 = walk
        return {"9": "running", "1": "cycling", "10": "walking", "11": "hiking"}.get(text)
    return _SPORT_ALIASES.get(text, text)


def schema_markdown() -> str:
    """The schema as Markdown tables (used to write the README section)."""
    lines: list[str] = []
    for kind, cols in SCHEMA.items():
        lines += [f"**{kind}**", "", "| column | dtype | unit | meaning |", "|---|---|---|---|"]
        lines += [f"| `{c.name}` | {c.dtype} | {c.unit} | {c.meaning} |" for c in cols]
        lines.append("")
    return "\n".join(lines)
