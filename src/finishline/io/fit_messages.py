"""The column table every FIT decoding engine produces.

Two engines decode FIT bytes into the same :class:`FitMessages`: the reference
(:mod:`finishline.io.fit_fitparse`, built on fitparse) and the fast numpy decoder
(:mod:`finishline.io.fit_fast`). :func:`finishline.io.fit.read_fit` turns either into an
:class:`~finishline.activity.Activity`, so both engines share one conversion to units.

Conventions of ``tables[message_name]``:

- one row per data message of that name, in file order (chained files concatenated);
- columns are fitparse's field names (``unknown_<num>`` for fields the profile does not know;
  developer fields under their declared ``field_name``); values are fitparse's ``value``
  (scale, offset and components applied; enums as strings where the profile names them;
  invalid sentinel values as missing);
- ``date_time`` and ``local_date_time`` columns (``timestamp``, ``start_time``,
  ``time_created``, ``local_timestamp``, ...) are ``datetime64[us, UTC]`` (microseconds, the
  unit pandas gives Python datetimes; :func:`finishline.activity.conform` turns the sample index
  into nanoseconds), ``NaT`` where invalid; local times are stored "as if UTC"; date columns
  record no unit;
- every ``date_time`` value is FIT-epoch based: 1989-12-31T00:00:00Z + value seconds. That
  includes values below ``0x10000000`` (:data:`RELATIVE_LIMIT_S`), which the FIT protocol
  defines as seconds since device power-on rather than a date (fitparse leaves them as
  integers): they become times in 1990-1998 whose differences are right but whose date is
  unknown; :func:`finishline.io.fit.activity_from_messages` reads such a file with a warning
  (see :func:`is_relative_time`);
- a ``_file`` column gives the index of the chained FIT file the message came from.

``units[message_name][field]`` gives the profile's unit string (e.g. ``"m/s"``,
``"semicircles"``, ``"bpm"``) where the profile or the developer field declares one.

References
----------
Garmin FIT SDK, "FIT File Protocol", date_time type: "if the value is less than 0x10000000, it
represents a system time (seconds since device power on) rather than a date".
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
class FitMessages:
    """Decoded FIT messages as one DataFrame per message name."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    units: dict[str, dict[str, str]] = field(default_factory=dict)
    n_files: int = 0
    warnings: list[str] = field(default_factory=list)
    engine: str = ""

    def get(self, name: str) -> pd.DataFrame:
        """The table for message ``name`` (an empty DataFrame when absent)."""
        return self.tables.get(name, pd.DataFrame())
