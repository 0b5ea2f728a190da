"""GPX/TCX-aware mutations: numbers, positions, timestamps, several activities, entity attacks.

The mutations edit the document text with regular expressions so the result stays well formed
(a reader then meets the bad value, not a parse error): point times (``<time>`` in GPX,
``<Time>`` in TCX) are rewritten in the same ISO form, numbers in leaf elements and ``lat``/
``lon`` attributes are replaced. Entity attacks insert a DOCTYPE after the XML declaration.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

from fuzz.mutate_fit import JUMPS_S

_TIME = re.compile(rb"<((?:\w+:)?(?:time|Time))>\s*([^<]+?)\s*</\1>")
_NUMBER = re.compile(rb"<((?:\w+:)?(\w+))>\s*(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*</\1>")
_LATLON = re.compile(rb"\b(lat|lon)=\"([^\"]*)\"")
_DECL = re.compile(rb"^\s*<\?xml[^>]*\?>")
#: Leaf elements whose numbers matter most (distance, HR, position, altitude...).
_IMPORTANT = (
    b"DistanceMeters",
    b"Value",
    b"hr",
    b"ele",
    b"AltitudeMeters",
    b"LatitudeDegrees",
    b"LongitudeDegrees",
    b"Speed",
    b"speed",
    b"cad",
    b"Cadence",
    b"RunCadence",
    b"Watts",
    b"power",
    b"atemp",
)
GARBAGE = (b"abc", b"", b"1,5", b"--3", b"0x1F", b"1e", b"\xd9\xa1\xd9\xa2", b"12:30", b"+-0")
HUGE = (b"1e308", b"-1e308", b"1e999", b"9" * 400, b"1.7976931348623157e308", b"4294967295")
NONFINITE = (b"NaN", b"nan", b"inf", b"-inf", b"Infinity", b"-Infinity")


def _is_xml(data: bytes) -> bool:
    head = data[:2048].lower()
    return b"<gpx" in head or b"<trainingcenterdatabase" in head


def _parse_time(text: bytes) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.decode("ascii").replace("Z", "+00:00"))
    except (ValueError, UnicodeDecodeError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _format_time(value: datetime) -> bytes:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3].encode() + b"Z"


def _point_times(data: bytes) -> list[re.Match[bytes]]:
    """Time elements of track points (skips GPX ``metadata/time``: the first before any point)."""
    matches = list(_TIME.finditer(data))
    first_point = min(
        (i for i in (data.find(b"<trkpt"), data.find(b"<Trackpoint")) if i >= 0), default=0
    )
    return [m for m in matches if m.start() > first_point]


def _replace_spans(data: bytes, spans: list[tuple[int, int, bytes]]) -> bytes:
    out = []
    last = 0
    for start, end, text in sorted(spans):
        out += [data[last:start], text]
        last = end
    out.append(data[last:])
    return b"".join(out)


def _retime(data: bytes, rng: random.Random, how: str) -> bytes:
    matches = _point_times(data)
    times = [_parse_time(m.group(2)) for m in matches]
    keep = [(m, t) for m, t in zip(matches, times, strict=True) if t is not None]
    if len(keep) < 2:
        return data
    values = [t for _, t in keep]
    if how in ("jump", "back"):
        cut = rng.randrange(len(values) // 5, max(len(values) * 4 // 5, len(values) // 5 + 1))
        delta = timedelta(seconds=rng.choice(JUMPS_S) * (1 if how == "jump" else -1))
        values = values[:cut] + [v + delta for v in values[cut:]]
    elif how == "reversed":
        values = values[::-1]
    elif how == "shuffled":
        rng.shuffle(values)
    elif how == "point_off":
        for _ in range(rng.randint(1, 2)):
            i = rng.randrange(len(values))
            values[i] = values[i] + timedelta(seconds=rng.choice(JUMPS_S) * rng.choice((1, -1)))
    elif how == "frozen":
        values = [values[0]] * len(values)
    spans = [
        (m.start(2), m.end(2), _format_time(v)) for (m, _), v in zip(keep, values, strict=True)
    ]
    return _replace_spans(data, spans)


def ts_jump(data: bytes, rng: random.Random) -> bytes:
    """From a point on, times jump forward an hour, a day, a year or 30 years."""
    return _retime(data, rng, "jump")


def ts_back(data: bytes, rng: random.Random) -> bytes:
    """From a point on, times jump back (a clock reset)."""
    return _retime(data, rng, "back")


def ts_reversed(data: bytes, rng: random.Random) -> bytes:
    """Point times in reverse order."""
    return _retime(data, rng, "reversed")


def ts_shuffled(data: bytes, rng: random.Random) -> bytes:
    """Point times shuffled among the points."""
    return _retime(data, rng, "shuffled")


def ts_point_off(data: bytes, rng: random.Random) -> bytes:
    """One or two points 1 hour to 30 years away from the rest."""
    return _retime(data, rng, "point_off")


def ts_frozen(data: bytes, rng: random.Random) -> bytes:
    """Every point has the same time (a stuck clock)."""
    return _retime(data, rng, "frozen")


def _numbers(data: bytes, rng: random.Random) -> list[tuple[int, int]]:
    """Value spans of one kind of leaf number, chosen with a bias to the ones that matter."""
    by_tag: dict[bytes, list[tuple[int, int]]] = {}
    for m in _NUMBER.finditer(data):
        by_tag.setdefault(m.group(2), []).append((m.start(3), m.end(3)))
    for m in _LATLON.finditer(data):
        by_tag.setdefault(m.group(1), []).append((m.start(2), m.end(2)))
    if not by_tag:
        return []
    important = [t for t in by_tag if t in _IMPORTANT or t in (b"lat", b"lon")]
    tag = rng.choice(important if important and rng.random() < 0.8 else sorted(by_tag))
    spans = by_tag[tag]
    how_many = rng.choice(("one", "few", "all"))
    if how_many == "one":
        return [rng.choice(spans)]
    if how_many == "few":
        return rng.sample(spans, min(len(spans), rng.randint(2, 10)))
    return spans


def _renumber(data: bytes, rng: random.Random, choices: tuple[bytes, ...]) -> bytes:
    spans = _numbers(data, rng)
    return _replace_spans(data, [(a, b, rng.choice(choices)) for a, b in spans])


def num_garbage(data: bytes, rng: random.Random) -> bytes:
    """Numbers that do not parse ("abc", "1,5", empty)."""
    return _renumber(data, rng, GARBAGE)


def num_huge(data: bytes, rng: random.Random) -> bytes:
    """Numbers at the edge of float64 (1e308, 1e999, 400 digits)."""
    return _renumber(data, rng, HUGE)


def num_nonfinite(data: bytes, rng: random.Random) -> bytes:
    """NaN and infinities written out."""
    return _renumber(data, rng, NONFINITE)


def num_scaled(data: bytes, rng: random.Random) -> bytes:
    """Numbers multiplied by 10..1e6 or negated (a unit or sign error)."""
    spans = _numbers(data, rng)
    factor = rng.choice((10.0, 1000.0, 1e6, -1.0, -1000.0))
    out = []
    for a, b in spans:
        try:
            out.append((a, b, repr(float(data[a:b]) * factor).encode()))
        except ValueError:
            continue
    return _replace_spans(data, out)


def latlon_range(data: bytes, rng: random.Random) -> bytes:
    """Latitudes beyond +-90 or longitudes beyond +-180 (one, a few or all points)."""
    spans = []
    for m in _LATLON.finditer(data):
        spans.append((m.group(1), m.start(2), m.end(2)))
    tcx = [
        (b"lat" if b"Lat" in m.group(2) else b"lon", m.start(3), m.end(3))
        for m in _NUMBER.finditer(data)
        if m.group(2) in (b"LatitudeDegrees", b"LongitudeDegrees")
    ]
    spans += tcx
    if not spans:
        return data
    count = rng.choice((1, rng.randint(2, 20), len(spans)))
    chosen = rng.sample(spans, min(count, len(spans)))
    out = []
    for kind, a, b in chosen:
        limit = 90.0 if kind == b"lat" else 180.0
        value = rng.choice((limit + rng.uniform(1e-6, 900.0), 1e9, 1e308)) * rng.choice((1, -1))
        out.append((a, b, repr(value).encode()))
    return _replace_spans(data, out)


def several_activities(data: bytes, rng: random.Random) -> bytes:
    """The activity (TCX ``Activity``) or track (GPX ``trk``) repeated 2-3 times, the copies at
    the same times or shifted by an hour, a day or a year."""
    tcx = re.search(rb"<Activity\b.*?</Activity>", data, re.S)
    gpx = re.search(rb"<trk>.*?</trk>", data, re.S)
    found = tcx or gpx
    if found is None:
        return data
    block = found.group(0)
    copies = [block]
    shift = rng.choice((0, 3600, 86_400, 365 * 86_400))
    for k in range(1, rng.randint(2, 3)):
        delta = timedelta(seconds=shift * k)
        spans = []
        for m in _TIME.finditer(block):
            t = _parse_time(m.group(2))
            if t is not None:
                spans.append((m.start(2), m.end(2), _format_time(t + delta)))
        copies.append(_replace_spans(block, spans))
    return data[: found.start()] + b"\n".join(copies) + data[found.end() :]


def _with_doctype(data: bytes, doctype: bytes, reference: bytes) -> bytes:
    decl = _DECL.match(data)
    at = decl.end() if decl else 0
    out = data[:at] + b"\n" + doctype + b"\n" + data[at:]
    name = re.search(rb"<(?:\w+:)?(?:name|Notes|Id|ele|AltitudeMeters)>", out[at + len(doctype) :])
    if name:
        pos = at + len(doctype) + name.end()
        out = out[:pos] + reference + out[pos:]
    return out


def billion_laughs(data: bytes, rng: random.Random) -> bytes:
    """Nested entity expansion (the "billion laughs" attack)."""
    levels = [b'<!ENTITY lol0 "lol">']
    for i in range(1, rng.randint(5, 10)):
        refs = (b"&lol%d;" % (i - 1)) * 10
        levels.append(b'<!ENTITY lol%d "%s">' % (i, refs))
    top = len(levels) - 1
    doctype = b"<!DOCTYPE root [" + b"".join(levels) + b"]>"
    return _with_doctype(data, doctype, b"&lol%d;" % top)


def xxe(data: bytes, rng: random.Random) -> bytes:
    """An external entity that would read a local file (XXE)."""
    target = rng.choice((b"file:///etc/passwd", b"file:///dev/random", b"http://127.0.0.1:9/x"))
    doctype = b'<!DOCTYPE root [<!ENTITY xxe SYSTEM "' + target + b'">]>'
    return _with_doctype(data, doctype, b"&xxe;")


def parameter_entity(data: bytes, rng: random.Random) -> bytes:
    """Parameter entities and an external DTD."""
    doctype = rng.choice(
        (
            b'<!DOCTYPE root [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>',
            b'<!DOCTYPE root SYSTEM "http://127.0.0.1:9/evil.dtd">',
            b"<!DOCTYPE root [<!ENTITY % a \"<!ENTITY b 'bbbb'>\"> %a;]>",
        )
    )
    return _with_doctype(data, doctype, b"&b;" if b"ENTITY b" in doctype else b"")


def utf16(data: bytes, rng: random.Random) -> bytes:
    """The document re-encoded as UTF-16 (little or big endian, with a BOM), as declared."""
    text = data.decode("utf-8", errors="replace")
    text = re.sub(r"encoding=[\"'][^\"']*[\"']", 'encoding="UTF-16"', text, count=1)
    return text.encode(rng.choice(("utf-16", "utf-16-le", "utf-16-be")))


def truncate_at_tag(data: bytes, rng: random.Random) -> bytes:
    """Cut right after a random ``>`` (a document that ends between elements)."""
    ends = [m.end() for m in re.finditer(rb">", data)]
    return data[: rng.choice(ends)] if ends else data


XML_MUTATIONS = {
    "xml_ts_jump": ts_jump,
    "xml_ts_back": ts_back,
    "xml_ts_reversed": ts_reversed,
    "xml_ts_shuffled": ts_shuffled,
    "xml_ts_point_off": ts_point_off,
    "xml_ts_frozen": ts_frozen,
    "xml_num_garbage": num_garbage,
    "xml_num_huge": num_huge,
    "xml_num_nonfinite": num_nonfinite,
    "xml_num_scaled": num_scaled,
    "xml_latlon_range": latlon_range,
    "xml_several_activities": several_activities,
    "xml_billion_laughs": billion_laughs,
    "xml_xxe": xxe,
    "xml_parameter_entity": parameter_entity,
    "xml_utf16": utf16,
    "xml_truncate_at_tag": truncate_at_tag,
}
