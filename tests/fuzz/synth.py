"""Small generated activity files (FIT, GPX, TCX) for regression tests of broken inputs.

:func:`run_track` draws a plausible run (positions along a line, distance, heart rate,
altitude at a steady pace); the writers turn any track -- including one whose times, values or
order were broken on purpose -- into file bytes, so a test can say exactly what is wrong.

References
----------
Garmin FIT SDK, "FIT File Protocol" (header, definition and data messages, CRC-16); GPX 1.1
schema (topografix.com); Garmin TrainingCenterDatabase v2 schema.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np

from fuzz.mutate_fit import fit_crc

#: FIT time zero (1989-12-31T00:00:00Z) in Unix seconds.
FIT_EPOCH_S = 631_065_600
#: 2^31 semicircles = 180 degrees.
SEMICIRCLES_PER_DEG = 2**31 / 180.0
START = datetime(2024, 10, 6, 8, 0, tzinfo=UTC).timestamp()


@dataclass(frozen=True)
class Track:
    """Per-point arrays: Unix time (s), lat/lon (deg), distance (m), HR (bpm), altitude (m)."""

    t_s: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    distance_m: np.ndarray
    hr: np.ndarray
    altitude_m: np.ndarray

    def with_(self, **changes: np.ndarray) -> Track:
        return replace(self, **{k: np.asarray(v, dtype=float) for k, v in changes.items()})

    def taken(self, order: np.ndarray) -> Track:
        """The points in ``order`` (times, values and all)."""
        return Track(*(np.asarray(getattr(self, f))[order] for f in self.__dataclass_fields__))


def run_track(n: int = 600, interval_s: float = 3.0, speed_mps: float = 3.0) -> Track:
    """A steady run: ``n`` points ``interval_s`` apart, heading north-east at ``speed_mps``."""
    t = START + np.arange(n) * interval_s
    d = np.arange(n) * interval_s * speed_mps
    deg_per_m = 1.0 / 111_195.0
    lat = 45.0 + d * deg_per_m * 0.6
    lon = 7.0 + d * deg_per_m * 0.8 / np.cos(np.radians(45.0))
    hr = 140.0 + 20.0 * np.arange(n) / n
    alt = 200.0 + 10.0 * np.sin(np.arange(n) / 50.0)
    return Track(t, lat, lon, d, hr, alt)


def _iso(t_s: float) -> str:
    return datetime.fromtimestamp(float(t_s), UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _num(x: float) -> str:
    return repr(float(x))


def gpx_bytes(track: Track) -> bytes:
    """A GPX 1.1 track of ``track`` (HR in Garmin's TrackPointExtension)."""
    points = []
    for t, la, lo, hr, alt in zip(
        track.t_s, track.lat, track.lon, track.hr, track.altitude_m, strict=True
    ):
        points.append(
            f'<trkpt lat="{_num(la)}" lon="{_num(lo)}"><ele>{_num(alt)}</ele>'
            f"<time>{_iso(t)}</time><extensions><gpxtpx:TrackPointExtension>"
            f"<gpxtpx:hr>{_num(hr)}</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="finishline tests" xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
        "<trk><type>running</type><trkseg>" + "\n".join(points) + "</trkseg></trk></gpx>\n"
    ).encode()


def tcx_bytes(track: Track) -> bytes:
    """A one-lap TCX activity of ``track`` (device distance in ``DistanceMeters``)."""
    points = []
    for t, la, lo, d, hr, alt in zip(
        track.t_s, track.lat, track.lon, track.distance_m, track.hr, track.altitude_m, strict=True
    ):
        points.append(
            f"<Trackpoint><Time>{_iso(t)}</Time><Position><LatitudeDegrees>{_num(la)}"
            f"</LatitudeDegrees><LongitudeDegrees>{_num(lo)}</LongitudeDegrees></Position>"
            f"<AltitudeMeters>{_num(alt)}</AltitudeMeters><DistanceMeters>{_num(d)}"
            f"</DistanceMeters><HeartRateBpm><Value>{_num(hr)}</Value></HeartRateBpm></Trackpoint>"
        )
    first = _iso(track.t_s[0])
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<TrainingCenterDatabase '
        'xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"><Activities>'
        f'<Activity Sport="Running"><Id>{first}</Id><Lap StartTime="{first}"><Track>'
        + "\n".join(points)
        + "</Track></Lap></Activity></Activities></TrainingCenterDatabase>\n"
    ).encode()


def definition(local: int, global_num: int, fields: list[tuple[int, int, int]]) -> bytes:
    """A FIT definition message: local type, global message number, (num, size, base type)."""
    out = struct.pack("<BBBHB", 0x40 | local, 0, 0, global_num, len(fields))
    return out + b"".join(struct.pack("<BBB", *f) for f in fields)


def fit_bytes(
    track: Track, timer_s: float | None = None, timer_events: tuple[tuple[float, str], ...] = ()
) -> bytes:
    """A FIT activity of ``track``: file_id, one record per point, a running session.

    Values that FIT cannot hold (NaN, out of the field's range) are written as the field's
    invalid value, as a device does. ``timer_s`` is the session's total timer time (s),
    written when given; ``timer_events`` are timer events (Unix time, ``"start"`` or
    ``"stop_all"``) written before the records.
    """
    body = bytearray()
    created = int(track.t_s[0]) - FIT_EPOCH_S
    body += definition(0, 0, [(0, 1, 0x00), (1, 2, 0x84), (4, 4, 0x86)])
    body += struct.pack("<BBHI", 0, 4, 1, created & 0xFFFFFFFF)  # type=activity, garmin
    if timer_events:  # event message: timestamp, event (0 = timer), event_type
        body += definition(3, 21, [(253, 4, 0x86), (0, 1, 0x00), (1, 1, 0x00)])
        kinds = {"start": 0, "stop_all": 4}
        for t, kind in timer_events:
            body += struct.pack("<BIBB", 3, (int(t) - FIT_EPOCH_S) & 0xFFFFFFFF, 0, kinds[kind])
    fields = [(253, 4, 0x86), (0, 4, 0x85), (1, 4, 0x85), (5, 4, 0x86), (3, 1, 0x02), (2, 2, 0x84)]
    body += definition(1, 20, fields)

    def u(value: float, scale: float, offset: float, bits: int, signed: bool = False) -> int:
        raw = (value + offset) * scale
        low, high = (-(2 ** (bits - 1)) + 1, 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 2)
        if not np.isfinite(raw) or not low <= raw <= high:
            return 2 ** (bits - 1) - 1 if signed else 2**bits - 1  # invalid
        return int(round(raw))

    for t, la, lo, d, hr, alt in zip(
        track.t_s, track.lat, track.lon, track.distance_m, track.hr, track.altitude_m, strict=True
    ):
        body += struct.pack(
            "<BIiiIBH",
            1,
            (int(t) - FIT_EPOCH_S) & 0xFFFFFFFF,
            u(la, SEMICIRCLES_PER_DEG, 0, 32, True),
            u(lo, SEMICIRCLES_PER_DEG, 0, 32, True),
            u(d, 100.0, 0, 32),
            u(hr, 1.0, 0, 8),
            u(alt, 5.0, 500.0, 16),
        )
    session = [(253, 4, 0x86), (2, 4, 0x86), (5, 1, 0x00)]
    timer = b""
    if timer_s is not None:
        session.append((8, 4, 0x86))  # total_timer_time, ms
        timer = struct.pack("<I", u(timer_s, 1000.0, 0, 32))
    body += definition(2, 18, session)
    end = (int(track.t_s[-1]) - FIT_EPOCH_S) & 0xFFFFFFFF
    body += struct.pack("<BIIB", 2, end, created, 1) + timer
    return fit_file(bytes(body))


def fit_file(body: bytes) -> bytes:
    """A FIT file around the messages ``body``: 14-byte header and both CRCs."""
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(body), b".FIT")
    header += struct.pack("<H", fit_crc(header))
    data = header + body
    return data + struct.pack("<H", fit_crc(data))


WRITERS = {"fit": fit_bytes, "gpx": gpx_bytes, "tcx": tcx_bytes}
