"""Running power from a developer field, for files whose records carry no native power.

A Stryd pod recorded through its Connect IQ data field, Garmin's Running Power app and other
apps write power as a developer field (``field_description`` names it, e.g. ``"Power"`` in
``"Watts"``), not in the record's ``power`` field. :func:`power_field` picks that field:

1. a field the description declares as the record's native ``power`` (``native_field_num`` 7,
   the FIT SDK's way of saying "this developer field is the native field"), else
2. a field named like instantaneous power (``Power``, ``Running Power``, ``RP_Power``, ...:
   not ``Form Power``, ``Air Power`` or averages),

in watts (or without units), with at least one value. The label names the application where the
file identifies it (its Connect IQ application id, or the developer's manufacturer), e.g.
``"developer: Stryd Power"``.

References
----------
Garmin FIT SDK, "FIT File Protocol", developer data (``developer_data_id``,
``field_description.native_field_num``); Stryd's Connect IQ application ids as stored by its
data fields.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from finishline.io.fit_messages import FitMessages
from finishline.io.fit_profile import manufacturer_name
from finishline.io.fit_tables import MessageColumns, is_missing

#: Developer applications known by their Connect IQ application id.
KNOWN_APPS = {
    "660a581e-5301-460c-8f2f-034c8b6dc90f": "Stryd",  # Stryd's original Connect IQ field
    "18fb2cf0-1a4b-430d-ad66-988c847421f4": "Stryd",  # Stryd Zones
}

#: Names of instantaneous power fields (lower case, words separated by one space).
POWER_NAMES = frozenset(
    {"power", "running power", "rp power", "run power", "instant power", "stryd power", "watts"}
)

_WATTS = frozenset({"w", "watt", "watts"})
_RECORD, _NATIVE_POWER = 20, 7


@dataclass(frozen=True)
class DeveloperField:
    """What a ``field_description`` says about a developer column of the records."""

    column: str
    name: str
    units: str | None
    index: int | None
    native_mesg: Any
    native_field: Any


def _clean(text: object) -> str:
    return re.sub(r"[^0-9a-z]+", " ", str(text).lower()).strip()


def developer_fields(msgs: FitMessages, message: str = "record") -> dict[str, DeveloperField]:
    """The developer columns of ``message`` and their descriptions, for either engine."""
    fast = msgs.developer.get(message)
    if fast:
        return {
            column: DeveloperField(
                column, dev.column, dev.units, dev.index, dev.native_mesg, dev.native_field
            )
            for column, dev in fast.items()
        }
    cols = MessageColumns(msgs.columns("field_description"))
    out: dict[str, DeveloperField] = {}
    if cols.n == 0 or "field_name" not in cols:
        return out
    names = cols.objects("field_name").tolist()
    units = cols.objects("units").tolist()
    index = cols.num("developer_data_index").tolist()
    native_mesg = cols.objects("native_mesg_num").tolist()
    native_field = cols.objects("native_field_num").tolist()
    for i, name in enumerate(names):
        if is_missing(name) or name in out:
            continue
        out[str(name)] = DeveloperField(
            str(name),
            str(name),
            None if is_missing(units[i]) else str(units[i]),
            None if index[i] != index[i] else int(index[i]),
            native_mesg[i],
            native_field[i],
        )
    return out


def _is_native_power(field: DeveloperField) -> bool:
    mesg_ok = is_missing(field.native_mesg) or field.native_mesg in (_RECORD, "record")
    return field.native_field == _NATIVE_POWER and mesg_ok


def _application(msgs: FitMessages, index: int | None) -> str | None:
    """The name of developer application ``index``: a known Connect IQ application, else the
    developer's manufacturer."""
    cols = MessageColumns(msgs.columns("developer_data_id"))
    if cols.n == 0 or index is None:
        return None
    indices = cols.num("developer_data_index")
    app_ids = cols.objects("application_id")
    makers = cols.objects("manufacturer_id")
    for i in np.flatnonzero(indices == index).tolist():
        app = app_ids[i]
        if isinstance(app, tuple | list | bytes) and len(app) == 16:
            try:
                key = str(uuid.UUID(bytes=bytes(int(b) & 0xFF for b in app)))
            except (TypeError, ValueError):
                key = ""
            if key in KNOWN_APPS:
                return KNOWN_APPS[key]
        maker = makers[i]
        if isinstance(maker, str):
            return maker.replace("_", " ").title()
        if not is_missing(maker):
            name = manufacturer_name(int(maker))
            if name:
                return name.replace("_", " ").title()
    return None


def power_field(msgs: FitMessages, values: Mapping[str, np.ndarray]) -> tuple[str, str] | None:
    """The developer column holding running power and its label (``"developer: Stryd
    Power"``), or ``None``. ``values`` are the record columns (float arrays) by name."""
    candidates = []
    for column, field in developer_fields(msgs).items():
        series = values.get(column)
        if series is None or not np.isfinite(series).any():
            continue
        units = (field.units or "").strip().lower()
        if units and units not in _WATTS:
            continue
        if _is_native_power(field):
            rank = 0
        elif _clean(field.name) in POWER_NAMES:
            rank = 1
        else:
            continue
        candidates.append((rank, -int(np.isfinite(series).sum()), column, field))
    if not candidates:
        return None
    _, _, column, field = min(candidates, key=lambda c: c[:2])
    app = _application(msgs, field.index)
    label = f"developer: {app} {field.name}" if app else f"developer: {field.name}"
    return column, label
