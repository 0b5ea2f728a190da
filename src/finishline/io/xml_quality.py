"""What the GPX and TCX readers report about the values they read, and how they treat
recordings that overlap in time.

Values are reported faithfully: a number that does not parse is NaN, a time that does not parse
or cannot be an activity's (years 1 or 9999) drops its point, a latitude/longitude outside
[-90, 90] x [-180, 180] is NaN. Each kind of problem is one sentence in ``meta.warnings`` and
one :class:`~finishline.errors.FinishlineWarning`, with counts and an example.

Several activities in one file (TCX ``Activity`` elements, GPX ``trk``) are kept together when
they follow one another in time, as the legs of a multisport file are; when some overlap (two
recordings of one run, or unrelated activities mixed), only the longest of each overlapping
group is kept (:func:`keep_apart`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from finishline.activity import ActivityMeta
from finishline.errors import FinishlineWarning
from finishline.io.xml_document import PointTable
from finishline.io.xml_values import NAT

#: Two recordings overlap when one starts more than this before the other ends (ns): a leg that
#: starts on the last second of the previous one (a multisport transition) does not.
OVERLAP_TOLERANCE_NS = 1_000_000_000


def report(
    meta: ActivityMeta,
    sentence: str,
    category: type[Warning] = FinishlineWarning,
    stacklevel: int = 3,
) -> None:
    """Record a recoverable oddity: one sentence in ``meta.warnings`` and one warning."""
    meta.warnings.append(sentence)
    source = meta.source_path
    warnings.warn(f"{source}: {sentence}" if source else sentence, category, stacklevel=stacklevel)


def report_bad_numbers(table: PointTable, fields: Mapping[str, str], meta: ActivityMeta) -> None:
    """One sentence for the values of ``fields`` (field -> what it is) that are not numbers."""
    if not any(table.document.bad[field].any() for field in fields):
        return  # (none in the whole document: the usual case, without indexing each field)
    counts = {label: int(table.bad(field).sum()) for field, label in fields.items()}
    counts = {label: n for label, n in counts.items() if n}
    if not counts:
        return
    total = sum(counts.values())
    detail = ", ".join(f"{label} {n}" for label, n in counts.items())
    plural = "values that are not numbers were" if total > 1 else "value that is not a number was"
    report(meta, f"{total} {plural} read as missing ({detail})")


def valid_times(table: PointTable, field: str, meta: ActivityMeta, what: str) -> pd.DatetimeIndex:
    """The times of ``field``, reporting those that are unreadable or impossible (NaT)."""
    times = table.times(field)
    report_bad_times(table, field, meta, what, stacklevel=4)
    return times


def report_bad_times(
    table: PointTable, field: str, meta: ActivityMeta, what: str, stacklevel: int = 3
) -> None:
    """One sentence for the times of ``field`` that are unreadable or impossible (dropped)."""
    bad = table.bad(field)
    if bad.any():
        example = table.document.text_of(field, int(table.index[np.argmax(bad)]))
        n = int(bad.sum())
        report(
            meta,
            f"{n} {what}{'s' if n > 1 else ''} with an unreadable or impossible time "
            f"(e.g. {example!r}) {'were' if n > 1 else 'was'} dropped",
            stacklevel=stacklevel,
        )


def impossible_positions(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Mask of positions outside [-90, 90] x [-180, 180] (NaN is not impossible, just missing)."""
    return (np.abs(lat) > 90) | (np.abs(lon) > 180)


def report_positions(meta: ActivityMeta, n: int) -> None:
    """One sentence for ``n`` impossible positions read as missing."""
    if n:
        report(
            meta,
            f"{n} position{'s' if n > 1 else ''} outside the range of latitude [-90, 90] and "
            "longitude [-180, 180] read as missing",
        )


@dataclass
class Span:
    """When one recording (activity, track) ran: first and last valid time (ns), points."""

    start: int | None
    end: int | None
    n_points: int

    @classmethod
    def of(cls, times: pd.DatetimeIndex) -> Span:
        return cls.of_ns(times.asi8)

    @classmethod
    def of_ns(cls, nanoseconds: np.ndarray) -> Span:
        """The span of times given as int64 ns (NaT, the smallest int64, left out)."""
        valid = nanoseconds[nanoseconds != NAT]
        if not len(valid):
            return cls(None, None, 0)
        return cls(int(valid.min()), int(valid.max()), len(valid))

    @property
    def duration_ns(self) -> int:
        return 0 if self.start is None or self.end is None else self.end - self.start


def keep_apart(spans: Sequence[Span]) -> tuple[list[int], list[list[int]]]:
    """Which recordings to keep together, in time order, and the overlapping groups found.

    Recordings are grouped when they overlap in time (transitively); each group of two or
    more keeps its longest (duration, then number of points, then the first in the file).
    Recordings without any time are kept, after the others.

    Returns
    -------
    kept, groups
        Indices of the recordings kept, in time order; each group of overlapping recordings.
    """
    timed = sorted(
        (i for i, s in enumerate(spans) if s.start is not None), key=lambda i: spans[i].start
    )
    groups: list[list[int]] = []
    reach = None
    for i in timed:
        span = spans[i]
        if groups and reach is not None and span.start < reach - OVERLAP_TOLERANCE_NS:
            groups[-1].append(i)
            reach = max(reach, span.end)
        else:
            groups.append([i])
            reach = span.end
    kept = [
        max(group, key=lambda i: (spans[i].duration_ns, spans[i].n_points, -i)) for group in groups
    ]
    kept += [i for i, s in enumerate(spans) if s.start is None]
    return kept, [group for group in groups if len(group) > 1]


def describe_overlaps(
    groups: list[list[int]], spans: Sequence[Span], labels: Sequence[str], plural: str
) -> str:
    """A sentence saying which overlapping recordings were set aside for which."""
    parts = []
    for group in groups:
        best = max(group, key=lambda i: (spans[i].duration_ns, spans[i].n_points, -i))
        others = ", ".join(labels[i] for i in group if i != best)
        parts.append(f"kept {labels[best]}, set aside {others}")
    n = sum(len(g) for g in groups)
    return (
        f"the file holds {n} {plural} that overlap in time (two recordings of one session, or "
        f"unrelated ones mixed): read the longest of each overlapping group ({'; '.join(parts)}); "
        "finishline.io.read_all returns each one"
    )


def label(span: Span, sport: str | None, number: int, kind: str) -> str:
    """A short description of one recording: ``activity 2 (running, 2014-10-05 13:07 UTC, 3:05:21)``."""
    sport_text = f"{sport}, " if sport else ""
    if span.start is None:
        return f"{kind} {number} ({sport_text}no time)"
    start = pd.Timestamp(span.start, unit="ns", tz="UTC").strftime("%Y-%m-%d %H:%M UTC")
    seconds = span.duration_ns // 1_000_000_000
    hours, rest = divmod(seconds, 3600)
    return f"{kind} {number} ({sport_text}{start}, {hours}:{rest // 60:02d}:{rest % 60:02d})"
