"""FIT record messages to sample columns: units, cadence, developer fields and power.

Rules (both engines share them):

- positions: semicircles x 180 / 2**31 to degrees (outside +-90 / +-180 is missing);
- speed and altitude: the enhanced fields where present, else the plain ones;
- cadence: FIT running cadence counts strides per minute of one leg, so foot sports get
  ``cadence_spm = 2 * (cadence + fractional_cadence)``; other sports keep the raw value in
  ``cadence_rpm`` (revolutions or strokes per minute) and leave ``cadence_spm`` empty;
- distance: the device's where any record has one, else great-circle distance along the
  positions (``meta.distance_source`` says which);
- every other record field (developer fields too) is kept as a float column named in snake case
  with a unit suffix (``stance_time_ms``, ``form_power_w``), its unit in ``meta.units``; a
  developer field whose name is taken gets a ``dev_`` prefix (Stryd's ``Power`` becomes
  ``dev_power_w``);
- power: ``power_w`` is the native ``power`` field; a file without native power takes it from a
  developer power field (:func:`finishline.io.fit_power.power_field`), keeping that column too;
  ``meta.power_source`` says which (``"native"``, ``"developer: Stryd Power"``, ``None``).
"""

from __future__ import annotations

import re

import numpy as np

from finishline.activity import ActivityMeta
from finishline.geo import cumulative_distance_m
from finishline.io.fit_messages import FitMessages
from finishline.io.fit_power import developer_fields, power_field
from finishline.io.fit_tables import MessageColumns, foot_cadence

#: Degrees per semicircle: FIT stores angles as int32 where 2**31 semicircles = 180 degrees.
DEG_PER_SEMICIRCLE = 180.0 / 2**31

#: Record fields that imply running cadence when the sport is unknown (running dynamics).
_RUNNING_DYNAMICS = ("vertical_oscillation", "stance_time", "step_length", "vertical_ratio")

#: Record fields mapped onto declared sample columns (or consumed by that mapping).
MAPPED_RECORD_FIELDS = frozenset(
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


def positions_deg(records: MessageColumns, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude (deg) of the record ``rows`` (sorted and distinct); missing
    outside the globe."""
    if "position_lat" not in records and "position_long" not in records:
        return np.full(rows.size, np.nan), np.full(rows.size, np.nan)
    every = rows.size == records.n  # all records: the product is a new array already
    lat = records.num("position_lat")
    lon = records.num("position_long")
    lat = (lat if every else lat[rows]) * DEG_PER_SEMICIRCLE
    lon = (lon if every else lon[rows]) * DEG_PER_SEMICIRCLE
    bad = ~((np.abs(lat) <= 90) & (np.abs(lon) <= 180))
    lat[bad] = np.nan
    lon[bad] = np.nan
    return lat, lon


def device_or_path_distance(
    distance: np.ndarray, lat: np.ndarray, lon: np.ndarray, meta: ActivityMeta
) -> np.ndarray:
    """The device's distance (m) if it has any, else great-circle distance along the
    positions (none before the first fix); sets ``meta.distance_source``."""
    if np.isfinite(distance).any():
        meta.distance_source = "device"
        return distance
    if not np.isfinite(lat).any():
        return distance
    path = cumulative_distance_m(lat, lon)
    fixes = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
    path[: fixes[0] if fixes.size else len(path)] = np.nan
    meta.distance_source = "positions"
    return path


def sample_columns(
    msgs: FitMessages,
    records: MessageColumns,
    rows: np.ndarray,
    sports: np.ndarray,
    leg: np.ndarray,
    meta: ActivityMeta,
) -> dict[str, np.ndarray]:
    """Sample columns (float arrays) of the record ``rows``, in file order (module rules).

    ``sports`` are the sports of the legs (sessions), ``leg`` the leg of each record.
    """
    units = msgs.units.get("record", {})
    dev_fields = developer_fields(msgs)

    every = rows.size == records.n  # all records, in order (rows are sorted and distinct)

    def take(values: np.ndarray) -> np.ndarray:
        return values if every else values[rows]

    def num(name: str) -> np.ndarray:
        """A native field (a developer field of the same name is not it)."""
        return np.full(rows.size, np.nan) if name in dev_fields else take(records.num(name))

    def first(*names: str) -> np.ndarray:
        """Row-wise first value among native fields ``names``."""
        out = num(names[0])
        for name in names[1:]:
            missing = np.isnan(out)
            if missing.any():  # (usually none is: the enhanced fields are components)
                out = np.where(missing, num(name), out)
        return out

    lat, lon = positions_deg(records, rows)
    if "position_lat" in dev_fields or "position_long" in dev_fields:
        lat, lon = num("position_lat"), num("position_long")
    hint = any(np.isfinite(num(f)).any() for f in _RUNNING_DYNAMICS if f in records)
    foot = foot_cadence(sports, hint)
    every_foot = bool(foot.all())  # (the usual case: one foot sport, no cadence in 1/min)
    foot = foot if every_foot else foot[leg]
    fraction = num("fractional_cadence") if "fractional_cadence" in records else 0.0
    cadence = num("cadence") + np.nan_to_num(fraction)
    columns: dict[str, np.ndarray] = {
        "distance_m": device_or_path_distance(num("distance"), lat, lon, meta),
        "speed_mps": first("enhanced_speed", "speed"),
        "lat_deg": lat,
        "lon_deg": lon,
        "altitude_m": first("enhanced_altitude", "altitude"),
        "heart_rate_bpm": num("heart_rate"),
        "cadence_spm": 2.0 * cadence if every_foot else np.where(foot, 2.0 * cadence, np.nan),
        "power_w": num("power"),
        "temperature_c": num("temperature"),
    }
    rpm = None if every_foot else np.where(foot, np.nan, cadence)
    if rpm is not None and np.isfinite(rpm).any():
        columns["cadence_rpm"] = rpm
        meta.units["cadence_rpm"] = "1/min"

    by_field: dict[str, np.ndarray] = {}
    renamed: dict[str, str] = {}
    for field in records.names:
        if field in MAPPED_RECORD_FIELDS and field not in dev_fields:
            continue
        values = take(records.num(field))
        if not np.isfinite(values).any():
            continue
        name, unit = extra_column_name(field, units.get(field))
        if name in columns and field in dev_fields:
            name = "dev_" + name
        while name in columns:
            name += "_2"
        columns[name] = values
        by_field[field] = values
        renamed[field] = name
        if unit:
            meta.units[name] = unit
    if np.isfinite(columns["power_w"]).any():
        meta.power_source = "native"
    else:
        chosen = power_field(msgs, by_field)
        if chosen is not None:
            field, meta.power_source = chosen
            columns["power_w"] = columns[renamed[field]].copy()
    return columns
