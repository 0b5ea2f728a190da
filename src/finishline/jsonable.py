"""The one JSON converter: every result, table and value finishline writes goes through it.

Rules: a DataFrame becomes a list of records (its index dropped unless it is named, then it is
a column); a Series a list; a dataclass a dict of its fields (or what its ``to_json()``
returns); numpy and pandas scalars plain Python values; timestamps ISO 8601 strings; NaN, NaT
and infinities ``None`` (strict JSON has no NaN). Keys become strings.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd


def jsonable(value: Any) -> Any:
    """``value`` as plain, strict-JSON-safe Python (see the module docstring)."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, pd.DataFrame):
        return _records(value.reset_index() if value.index.name is not None else value)
    if isinstance(value, pd.Series):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        to_json = getattr(value, "to_json", None)
        if callable(to_json):
            return to_json()
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, pd.Timedelta):
        return value.total_seconds()
    if isinstance(value, np.generic):
        return jsonable(value.item())
    return value


def _column(column: pd.Series) -> list[Any]:
    """One column as JSON-safe values: numeric columns in one pass (non-finite floats None)."""
    kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else "O"
    if kind in "biu":
        return column.to_numpy().tolist()
    if kind == "f":
        values = column.to_numpy()
        boxed = values.astype(object)
        boxed[~np.isfinite(values)] = None
        return boxed.tolist()
    return [jsonable(v) for v in column.tolist()]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as a list of records, built column by column: what ``to_dict(orient=
    "records")`` and :func:`jsonable` of each row give, without a Python call per number."""
    if not frame.columns.is_unique or frame.shape[1] == 0:
        return [jsonable(row) for row in frame.to_dict(orient="records")]
    names = [str(name) for name in frame.columns]
    columns = [_column(column) for _, column in frame.items()]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
