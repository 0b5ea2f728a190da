"""A small FIT encoder for structured workouts: one step per km or mile of a race plan.

:func:`workout_fit` writes a FIT *workout* file that a Garmin watch (or Garmin Connect) can
load: a ``file_id`` (type workout), a ``workout`` (name, sport, number of steps) and one
``workout_step`` per row of ``steps``, each ending after a distance and holding a custom speed
range.

Encoding, as the FIT protocol and profile define it (checked against the profile shipped in
``garmin-fit-sdk`` 21.x):

- a 14-byte header: size, protocol version 2.0, profile version, data size, ``.FIT`` and the
  CRC of the first 12 bytes; then the records; then the CRC of header and records;
- one definition message per message type (little-endian), then its data messages;
- ``file_id`` (global 0): ``type`` (0, enum, workout = 5), ``manufacturer`` (1, uint16,
  development = 255), ``product`` (2, uint16), ``time_created`` (4, uint32, s since
  1989-12-31 00:00 UTC);
- ``workout`` (26): ``sport`` (4, enum), ``num_valid_steps`` (6, uint16), ``wkt_name``
  (8, string);
- ``workout_step`` (27): ``message_index`` (254, uint16), ``wkt_step_name`` (0, string),
  ``duration_type`` (1, enum, distance = 1), ``duration_value`` (2, uint32; with duration
  type distance it is ``duration_distance`` with scale 100: centimetres), ``target_type``
  (3, enum, speed = 0), ``target_value`` (4, uint32; 0 = custom range, not a zone),
  ``custom_target_value_low``/``_high`` (5/6, uint32; with target type speed they are
  ``custom_target_speed_low``/``_high`` with scale 1000: mm/s), ``intensity`` (7, enum,
  active = 0).

Strings are UTF-8 and null-terminated; every step name is padded to the longest so one
definition serves all steps.

References
----------
Garmin FIT SDK, "FIT File Protocol" (file header, record headers, definition and data
messages, CRC) and the FIT profile (Profile.xlsx; ``garmin_fit_sdk/profile.py``).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np
import pandas as pd

from finishline.errors import InputDataError
from finishline.io.fit_crc import crc16

#: FIT epoch (1989-12-31 00:00:00 UTC) in Unix seconds.
FIT_EPOCH_S = 631065600

#: Protocol version byte (2.0) and profile version (21.18) written in the header.
PROTOCOL_VERSION = 0x20
PROFILE_VERSION = 2118

#: FIT base types used here: name -> (base type byte, struct format, size in bytes).
BASE_TYPES: dict[str, tuple[int, str, int]] = {
    "enum": (0x00, "B", 1),
    "uint16": (0x84, "H", 2),
    "uint32": (0x86, "I", 4),
    "string": (0x07, "s", 1),
}

#: Global message numbers.
MESG_FILE_ID, MESG_WORKOUT, MESG_WORKOUT_STEP = 0, 26, 27

#: Enum values from the FIT profile.
FILE_TYPE_WORKOUT = 5
MANUFACTURER_DEVELOPMENT = 255
DURATION_DISTANCE = 1
TARGET_SPEED = 0
TARGET_VALUE_CUSTOM = 0
INTENSITY_ACTIVE = 0
SPORTS = {"generic": 0, "running": 1, "cycling": 2, "walking": 11, "hiking": 17}

#: Scales of the workout step's sub-fields: distance in cm, speed in mm/s.
DISTANCE_SCALE = 100
SPEED_SCALE = 1000

#: Longest string (bytes, with its terminator) a FIT field can hold.
MAX_STRING_BYTES = 255

#: Most steps a workout's uint16 message_index can number.
MAX_STEPS = 0xFFFE

#: Fields written per message: (field number, profile name, base type name).
FILE_ID_FIELDS = (
    (0, "type", "enum"),
    (1, "manufacturer", "uint16"),
    (2, "product", "uint16"),
    (4, "time_created", "uint32"),
)
WORKOUT_FIELDS = ((4, "sport", "enum"), (6, "num_valid_steps", "uint16"), (8, "wkt_name", "string"))
WORKOUT_STEP_FIELDS = (
    (254, "message_index", "uint16"),
    (0, "wkt_step_name", "string"),
    (1, "duration_type", "enum"),
    (2, "duration_value", "uint32"),
    (3, "target_type", "enum"),
    (4, "target_value", "uint32"),
    (5, "custom_target_value_low", "uint32"),
    (6, "custom_target_value_high", "uint32"),
    (7, "intensity", "enum"),
)

Layout = Sequence[tuple[int, str, int]]  # (field number, base type name, size in bytes)


def _layout(fields: Sequence[tuple[int, str, str]], string_size: int = 0) -> Layout:
    """Field number, base type and size of each field; strings take ``string_size`` bytes."""
    return tuple(
        (number, base, string_size if base == "string" else BASE_TYPES[base][2])
        for number, _, base in fields
    )


def _definition(local: int, global_num: int, layout: Layout) -> bytes:
    """A definition message: little-endian, ``layout`` field by field."""
    out = bytearray(struct.pack("<BBBHB", 0x40 | local, 0, 0, global_num, len(layout)))
    for number, type_name, size in layout:
        out += struct.pack("<BBB", number, size, BASE_TYPES[type_name][0])
    return bytes(out)


def _data(local: int, layout: Layout, values: Sequence[object]) -> bytes:
    """A data message of ``values`` in the order of ``layout``."""
    out = bytearray([local & 0x0F])
    for (_, type_name, size), value in zip(layout, values, strict=True):
        if type_name == "string":
            raw = value if isinstance(value, bytes) else str(value).encode("utf-8")
            out += raw[: size - 1].ljust(size, b"\0")
        else:
            out += struct.pack("<" + BASE_TYPES[type_name][1], value)
    return bytes(out)


def _fit_string(text: str) -> bytes:
    """UTF-8 bytes of ``text`` that fit a FIT string field (cut on a character boundary)."""
    raw = text.encode("utf-8")
    if len(raw) < MAX_STRING_BYTES:
        return raw
    return raw[: MAX_STRING_BYTES - 1].decode("utf-8", errors="ignore").encode("utf-8")


def _fit_time(when: pd.Timestamp | None) -> int:
    """Seconds since the FIT epoch (now when ``when`` is None)."""
    stamp = pd.Timestamp.now(tz="UTC") if when is None else pd.Timestamp(when)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    seconds = int(stamp.timestamp()) - FIT_EPOCH_S
    if not 0 <= seconds < 2**32 - 1:
        raise InputDataError(f"time_created {stamp} cannot be written in a FIT file")
    return seconds


def _checked_steps(steps: pd.DataFrame) -> pd.DataFrame:
    """The step table with its columns validated (raises InputDataError)."""
    required = ("distance_m", "speed_low_mps", "speed_high_mps")
    missing = [c for c in required if c not in steps.columns]
    if missing:
        raise InputDataError(f"workout steps need columns {missing}")
    if not 1 <= len(steps) <= MAX_STEPS:
        raise InputDataError(f"a workout holds 1 to {MAX_STEPS} steps, got {len(steps)}")
    distance = steps["distance_m"].to_numpy(dtype=float)
    low = steps["speed_low_mps"].to_numpy(dtype=float)
    high = steps["speed_high_mps"].to_numpy(dtype=float)
    finite = np.isfinite(distance) & np.isfinite(low) & np.isfinite(high)
    if not finite.all() or (distance <= 0).any() or (low <= 0).any() or (high < low).any():
        raise InputDataError(
            "every workout step needs a positive distance and 0 < speed_low <= speed_high"
        )
    if (distance * DISTANCE_SCALE >= 2**32 - 1).any() or (high * SPEED_SCALE >= 2**32 - 1).any():
        raise InputDataError("a workout step's distance or speed is too large for FIT")
    return steps


def workout_fit(
    steps: pd.DataFrame,
    name: str = "Race plan",
    sport: str = "running",
    *,
    time_created: pd.Timestamp | None = None,
) -> bytes:
    """Encode a distance-by-distance workout with speed targets as FIT bytes.

    Parameters
    ----------
    steps
        One row per step: ``distance_m`` (m, > 0), ``speed_low_mps`` and ``speed_high_mps``
        (m/s, the target range), and optionally ``name`` (e.g. ``"km 7 5:02-5:10"``; default
        ``"step N"``). :func:`finishline.plan.workout_steps` builds it from pacing targets.
    name
        The workout's name as the watch shows it.
    sport
        One of :data:`SPORTS`.
    time_created
        Written in ``file_id.time_created`` (default: now).

    Returns
    -------
    bytes
        A complete FIT file (header, messages, CRC). Distances are written to the centimetre
        and speeds to the mm/s (the profile's resolution).

    Raises
    ------
    InputDataError
        Missing columns, a non-positive distance or speed, a low speed above the high one, an
        unknown sport, or more steps than FIT can number.
    """
    steps = _checked_steps(steps)
    if sport not in SPORTS:
        raise InputDataError(f"unknown sport {sport!r}: use one of {sorted(SPORTS)}")
    n = len(steps)
    names = (
        [_fit_string(str(s)) for s in steps["name"]]
        if "name" in steps.columns
        else [f"step {i + 1}".encode() for i in range(n)]
    )
    wkt_name = _fit_string(name)

    file_id = _layout(FILE_ID_FIELDS)
    workout = _layout(WORKOUT_FIELDS, len(wkt_name) + 1)
    step_layout = _layout(WORKOUT_STEP_FIELDS, max(len(s) for s in names) + 1)
    records = bytearray()
    records += _definition(0, MESG_FILE_ID, file_id)
    created = _fit_time(time_created)
    records += _data(0, file_id, (FILE_TYPE_WORKOUT, MANUFACTURER_DEVELOPMENT, 0, created))
    records += _definition(1, MESG_WORKOUT, workout)
    records += _data(1, workout, (SPORTS[sport], n, wkt_name))
    records += _definition(2, MESG_WORKOUT_STEP, step_layout)
    distance_cm = np.rint(steps["distance_m"].to_numpy(dtype=float) * DISTANCE_SCALE)
    low = np.rint(steps["speed_low_mps"].to_numpy(dtype=float) * SPEED_SCALE)
    high = np.rint(steps["speed_high_mps"].to_numpy(dtype=float) * SPEED_SCALE)
    for i in range(n):  # one message per step: tens of steps, not a hot path
        values = (
            i,
            names[i],
            DURATION_DISTANCE,
            int(distance_cm[i]),
            TARGET_SPEED,
            TARGET_VALUE_CUSTOM,
            int(low[i]),
            int(high[i]),
            INTENSITY_ACTIVE,
        )
        records += _data(2, step_layout, values)

    header = bytearray(
        struct.pack("<BBHI4s", 14, PROTOCOL_VERSION, PROFILE_VERSION, len(records), b".FIT")
    )
    header += struct.pack("<H", crc16(bytes(header)))
    body = bytes(header) + bytes(records)
    return body + struct.pack("<H", crc16(body))
