"""An :class:`~finishline.activity.Activity` from sample columns: the reader boundary on arrays.

:func:`~finishline.activity.make_activity` reads a samples DataFrame into numpy columns
(:func:`sample_arrays`) and hands them here; a reader with columns already (the FIT reader)
calls :func:`activity_from_columns` itself. The samples follow
:func:`~finishline.activity.conform`'s rules (declared columns as float64, extra columns after
them, no missing time, sorted, the first of records sharing a time), pass
:func:`finishline.io.plausibility.enforce` as arrays, and become one DataFrame at the end:
the tables are those ``conform`` and the plausibility rules give, without building a frame per
step.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.arrays import NumpyExtensionArray

from finishline.activity import (
    SAMPLE_COLUMNS,
    Activity,
    ActivityMeta,
    column_labels,
    conform,
    empty_frame,
    float_values,
)
from finishline.errors import EmptyActivityError
from finishline.io import plausibility

#: The int64 value of NaT.
_NAT = np.iinfo(np.int64).min


def sample_arrays(frame: pd.DataFrame | None) -> tuple[dict[str, object], np.ndarray]:
    """A samples frame as :func:`conform` reads it: its columns and its times (int64 UTC ns).

    Declared columns come as float64 (those missing are not added here), extra columns as
    numpy arrays, or as the pandas array :func:`conform` would infer for them (text, tz-aware
    times); rows are in the frame's order (see :func:`activity_from_columns`).
    """
    if frame is None:
        frame = empty_frame("samples")
    idx = frame.index
    if not isinstance(idx, pd.DatetimeIndex):
        idx = pd.DatetimeIndex(idx)
    idx = idx.tz_localize("UTC") if idx.tz is None else idx.tz_convert("UTC")
    columns: dict[str, object] = {}
    for col in SAMPLE_COLUMNS:
        if col.name in frame.columns:
            columns[col.name] = float_values(frame[col.name])
    for name in frame.columns:
        if name not in columns and name not in _DECLARED_SAMPLES:
            values = frame[name].to_numpy()
            if values.dtype.kind not in "fiubmM":
                values = pd.Series(values, copy=False).array  # pandas' inferred dtype
            columns[name] = values
    return columns, np.asarray(idx.as_unit("ns").asi8, dtype=np.int64)


_DECLARED_SAMPLES = frozenset(c.name for c in SAMPLE_COLUMNS)


def _time_order(columns: dict[str, object], t_ns: np.ndarray) -> tuple[dict, np.ndarray]:
    """:func:`conform`'s row rules: no NaT time (unless all are: a course, in file order),
    sorted (stable), the first of records sharing a time."""
    if t_ns.size == 0:
        return columns, t_ns
    nat = t_ns == _NAT
    if nat.all():
        return columns, t_ns
    rows = np.flatnonzero(~nat) if nat.any() else None
    t = t_ns if rows is None else t_ns[rows]
    if t.size > 1 and (t[1:] < t[:-1]).any():
        order = np.argsort(t, kind="stable")
        rows = order if rows is None else rows[order]
        t = t[order]
    if t.size > 1:
        new_time = t[1:] != t[:-1]
        if not new_time.all():
            keep = np.concatenate(([True], new_time))
            rows = np.flatnonzero(keep) if rows is None else rows[keep]
            t = t[keep]
    if rows is None:
        return columns, t_ns
    return {name: values[rows] for name, values in columns.items()}, t


def _samples_frame(columns: dict[str, object], t_ns: np.ndarray) -> pd.DataFrame:
    """The samples DataFrame of conformed columns (declared ones first), built once."""
    index = pd.DatetimeIndex(t_ns.view("datetime64[ns]"), name="timestamp").tz_localize("UTC")
    names = list(columns)
    values = list(columns.values())
    if all(isinstance(v, np.ndarray) and v.dtype == np.float64 for v in values):
        block = np.empty((len(values), t_ns.size))
        for row, column in zip(block, values, strict=True):
            row[:] = column
        return pd.DataFrame(block.T, index=index, columns=column_labels(names), copy=False)
    data: dict[str, object] = {}
    for name, column in columns.items():
        if isinstance(column, np.ndarray):
            data[name] = column
        elif isinstance(column, NumpyExtensionArray) and not isinstance(
            column.dtype,
            pd.StringDtype,  # pandas' own text array without pyarrow subclasses it
        ):
            # kept as objects: pandas would infer a dtype again from a subset of them
            data[name] = pd.Series(np.asarray(column), index=index, dtype=object, copy=False)
        else:
            data[name] = pd.Series(column, index=index, copy=False)
    return pd.DataFrame(data, index=index)


def activity_from_columns(
    columns: dict[str, object],
    times_ns: np.ndarray,
    meta: ActivityMeta,
    laps: pd.DataFrame | None = None,
    sessions: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    *,
    require_samples: bool = True,
    in_form: frozenset[str] = frozenset(),
    _depth: int = 4,
) -> Activity:
    """:func:`make_activity` for samples given as columns: arrays of one value per time.

    Parameters
    ----------
    columns
        Sample columns (float64 for the declared ones; missing declared columns become NaN).
    times_ns
        The samples' times, int64 nanoseconds since the Unix epoch (UTC); NaT
        (``numpy.iinfo(numpy.int64).min``) where missing.
    meta, laps, sessions, events, require_samples
        As for :func:`make_activity`; the samples follow :func:`conform`'s rules.
    in_form
        The tables (``"laps"``, ``"sessions"``, ``"events"``) the caller built in the form
        :func:`conform` gives back as it is: taken without checking that again (the FIT
        reader's builders, :func:`finishline.io.fit_tables.tables_in_form`); ``"samples"``:
        ``times_ns`` are already increasing, distinct and never NaT (the FIT reader's).
    """
    t_ns = np.asarray(times_ns, dtype=np.int64)
    n = t_ns.size
    ordered: dict[str, object] = {}
    for col in SAMPLE_COLUMNS:
        values = columns.get(col.name)
        ordered[col.name] = (
            np.full(n, np.nan) if values is None else np.asarray(values, dtype=np.float64)
        )
    ordered.update((k, v) for k, v in columns.items() if k not in _DECLARED_SAMPLES)
    columns, t_ns = (ordered, t_ns) if "samples" in in_form else _time_order(ordered, t_ns)
    if require_samples and t_ns.size == 0:
        raise EmptyActivityError("the activity holds no samples", meta.source_path)
    laps, sessions, events = (
        table if kind in in_form and table is not None else conform(table, kind)
        for table, kind in ((laps, "laps"), (sessions, "sessions"), (events, "events"))
    )
    if t_ns.size:
        # looked up at call time, so the differential tests can read without the boundary
        columns, t_ns, laps, sessions, events = plausibility.enforce(
            columns, t_ns, meta, laps, sessions, events, stacklevel=_depth
        )
    power = columns["power_w"]
    if meta.power_source is None and power.size and not np.isnan(np.fmax.reduce(power)):
        meta.power_source = "native"  # the file's own power field (TCX Watts, GPX power)
    if t_ns.size and not meta.is_course:
        columns["elapsed_s"] = (t_ns - t_ns[0]) / 1e9
    samples = _samples_frame(columns, t_ns)
    if t_ns.size and not meta.is_course and meta.start_time is None:
        meta.start_time = samples.index[0]
    return Activity(samples=samples, laps=laps, sessions=sessions, events=events, meta=meta)


def utc_times(nanoseconds: np.ndarray) -> pd.DatetimeIndex:
    """int64 nanoseconds since the epoch (NaT as the smallest int64) as UTC times."""
    return pd.DatetimeIndex(np.asarray(nanoseconds, dtype=np.int64).view("M8[ns]")).tz_localize(
        "UTC"
    )
