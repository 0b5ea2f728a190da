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
- ``timestamp``-typed columns are ``datetime64[ns, UTC]``;
- a ``_file`` column gives the index of the chained FIT file the message came from.

``units[message_name][field]`` gives the profile's unit string (e.g. ``"m/s"``,
``"semicircles"``, ``"bpm"``) where the profile or the developer field declares one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


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
