"""The message tables every FIT decoding engine produces.

Two engines decode FIT bytes into the same :class:`FitMessages`: the fast numpy decoder
(:mod:`finishline.io.fit_fast`, which follows Garmin's FIT SDK) and fitparse
(:mod:`finishline.io.fit_fitparse`, kept as a second engine). :func:`finishline.io.fit.read_fit`
turns either into an :class:`~finishline.activity.Activity`, so both share one conversion to
units.

Conventions of the table of a message name (``msgs.get(name)`` as a DataFrame,
``msgs.columns(name)`` as columns without building one):

- one row per data message of that name, in file order (chained files concatenated);
- columns are the profile's field names (``unknown_<num>`` for fields the profile does not
  know; developer fields under their declared ``field_name``); values are the field's value
  (scale, offset and components applied; enums as their names where the profile names them;
  invalid values missing);
- ``date_time`` and ``local_date_time`` columns (``timestamp``, ``start_time``,
  ``time_created``, ``local_timestamp``, ...) are UTC datetimes, ``NaT`` where invalid; local
  times are stored "as if UTC"; date columns record no unit;
- every ``date_time`` value is FIT-epoch based: 1989-12-31T00:00:00Z + value seconds. That
  includes values below ``0x10000000`` (:data:`RELATIVE_LIMIT_S`), which the FIT protocol
  defines as seconds since device power-on rather than a date: they become times in 1990-1998
  whose differences are right but whose date is unknown;
  :func:`finishline.io.fit.activity_from_messages` reads such a file with a warning (see
  :func:`is_relative_time`);
- a ``_file`` column gives the index of the chained FIT file the message came from.

``units[message_name][field]`` gives the profile's unit string (e.g. ``"m/s"``,
``"semicircles"``, ``"bpm"``) where the profile or the developer field declares one.
``stop`` says where decoding stopped early (damage, truncation), ``None`` when the whole file
was read.

References
----------
Garmin FIT SDK, "FIT File Protocol", date_time type: "if the value is less than 0x10000000, it
represents a system time (seconds since device power on) rather than a date".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

#: FIT ``date_time`` values below this (seconds) count from device power-on, not the FIT epoch.
RELATIVE_LIMIT_S = 0x10000000

#: 1989-12-31T00:00:00Z, the zero of FIT ``date_time``.
FIT_EPOCH = pd.Timestamp("1989-12-31", tz="UTC")

#: The first absolute FIT time: anything earlier is a relative (power-on based) time.
FIRST_ABSOLUTE_TIME = FIT_EPOCH + pd.Timedelta(seconds=RELATIVE_LIMIT_S)


def is_relative_time(times: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """True where a decoded FIT time is relative to device power-on (before 1998-07-03T21:24:16Z).

    ``NaT`` is not relative. ``times`` are tz-aware UTC times as the engines produce them.
    """
    index = pd.DatetimeIndex(times)
    return np.asarray(index.notna() & (index < FIRST_ABSOLUTE_TIME), dtype=bool)


@dataclass
class FitStop:
    """Where decoding stopped before the end of the file.

    ``kind`` is ``"eof"`` (the file ends early), ``"header"`` (a chained file's header is
    broken) or ``"corrupt"`` (a message cannot be read); ``n_messages`` complete data messages
    were read before ``position`` (bytes from the start; ``None`` when unknown).
    """

    kind: str
    reason: str
    n_messages: int
    position: int | None = None


@dataclass
class FitMessages:
    """Decoded FIT messages, one table per message name.

    ``arrays`` holds the fast engine's columns (numpy arrays: float64, object, or
    ``datetime64[ns]`` meaning UTC); ``tables`` holds DataFrames (the fitparse engine's, and
    those built from ``arrays`` on request by :meth:`get`). ``developer`` maps a message name to
    its developer columns and their descriptions.
    """

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    arrays: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    units: dict[str, dict[str, str]] = field(default_factory=dict)
    developer: dict[str, dict[str, Any]] = field(default_factory=dict)
    n_files: int = 0
    warnings: list[str] = field(default_factory=list)
    engine: str = ""
    stop: FitStop | None = None

    def names(self) -> list[str]:
        """Names of the messages decoded, in order of first appearance."""
        return list(dict.fromkeys([*self.arrays, *self.tables]))

    def columns(self, name: str) -> Mapping[str, Any]:
        """The columns of message ``name`` (arrays, or a DataFrame; empty when absent)."""
        if name in self.arrays:
            return self.arrays[name]
        if name in self.tables:
            return self.tables[name]
        return {}

    def get(self, name: str) -> pd.DataFrame:
        """The table for message ``name`` as a DataFrame (empty when absent)."""
        if name not in self.tables and name in self.arrays:
            self.tables[name] = frame_of(self.arrays[name])
        return self.tables.get(name, pd.DataFrame())


def frame_of(columns: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """A DataFrame of fast-engine columns (times become tz-aware UTC)."""
    data: dict[str, Any] = {}
    for name, values in columns.items():
        if values.dtype.kind == "M":
            data[name] = pd.DatetimeIndex(values).tz_localize("UTC")
        else:
            data[name] = values
    return pd.DataFrame(data)
