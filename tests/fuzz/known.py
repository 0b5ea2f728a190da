"""Failures the fuzz run still finds in modules other engineers own, each with its owner.

The bounded fuzz test fails on any failing run that none of these explains; the ones they
explain are counted and reported. An owner deletes an entry with the fix, and the test then
keeps that failure from coming back. Every entry names the module that owns the fix and a
reproducer under ``tests/fuzz/cases/`` (see ``tests/fuzz/cases/INDEX.tsv``).

A run is explained when every problem found in it matches one entry of its class: a run that
shows a known problem *and* a new one is not explained.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from fuzz.run import Outcome


class Known(NamedTuple):
    """A known failure: its class, a pattern over a problem, the module to fix, and why."""

    cls: str
    pattern: str
    owner: str
    why: str


_PACE = r"pace_s_per_(km|mile) = .* \(faster than"
KNOWN: tuple[Known, ...] = (
    Known(
        "two_line",
        r"malformed XML .*\|",
        "io/xml_safe.py (XML readers)",
        "libxml2's error text carries a newline into the one-line message",
    ),
    Known(
        "internal",
        r"ValueError: hour must be in 0\.\.23",
        "io/fit*.py (FIT decoder)",
        "a corrupt time-of-day field reaches datetime()",
    ),
    Known(
        "internal",
        r"ValueError: zero-size array to reduction operation",
        "viz/theme.py (HTML report)",
        "an axis range taken over an empty series (pool swim, no distance)",
    ),
    Known(
        "internal",
        r"ZeroDivisionError: float division by zero",
        "metrics/final_mile.py",
        "a reference pace of 0 s/km",
    ),
    Known(
        "internal",
        r"ValueError: zone bounds must be at least two increasing values",
        "metrics/zones.py (analysis.athlete_parameters)",
        "an estimated max HR at or below the resting HR (one 50 bpm sample) gives no zones",
    ),
    Known(
        "out_of_range",
        r"^fatigue\.per_km\[\]\.glycogen_used_fraction = ",
        "fatigue/glycogen.py",
        "glycogen used beyond 100 % of the store (the fraction is not capped; real files too)",
    ),
    Known(
        "out_of_range",
        r"^(splits|splits_mile)\[\]\.(moving_|gap_)?" + _PACE,
        "metrics/splits.py (with clean.py gaps)",
        "a split that ends inside a recording gap: distance is held through the gap and jumps "
        "at its end, so the split takes ~0 s (moving time 0 gives a pace of 0)",
    ),
    Known(
        "out_of_range",
        r"^summary\.(moving_|gap_)?" + _PACE,
        "analysis.py (race_summary)",
        "a pace over zero moving time is 0 s/km, not None",
    ),
    Known(
        "out_of_range",
        r"^(efforts|speed_curve)\[\]\.(speed_mps = |pace_s_per_km = )",
        "metrics/efforts.py",
        "a best effort across a recording gap where distance jumps (real files too)",
    ),
    Known(
        "out_of_range",
        r"^fatigue\.per_km\[\]\.speed_mps = ",
        "fatigue/state.py (per-km table)",
        "a kilometre covered in ~0 s of moving time across a recording gap",
    ),
    Known(
        "out_of_range",
        r"^(summary\.final_mile_pace_ratio|final_mile\.(gap_)?pace_ratio) = ",
        "metrics/final_mile.py",
        "a reference window or final mile that holds a long pause or a recording gap",
    ),
    Known(
        "out_of_range",
        r"^final_mile\.reference(_gap)?_pace_s_per_km = ",
        "metrics/final_mile.py",
        "a reference pace of 0 s/km (no moving time in the window)",
    ),
    Known(
        "out_of_range",
        r"^summary\.device_timer_s = ",
        "analysis.py (race_summary)",
        "the device's session timer is copied unchecked (summary.py now checks it)",
    ),
)


def _normalised(problem: str) -> str:
    """A problem with list indices dropped (``splits[3].x`` -> ``splits[].x``)."""
    return re.sub(r"\[\d+\]", "[]", problem)


def explained_by(outcome: Outcome) -> list[Known]:
    """The entries that explain every problem of ``outcome`` (empty if one is unexplained)."""
    entries = [k for k in KNOWN if k.cls == outcome.cls]
    used = []
    for problem in outcome.problems or (outcome.detail,):
        text = _normalised(problem)
        match = next((k for k in entries if re.search(k.pattern, text)), None)
        if match is None:
            return []
        used.append(match)
    return used


def unexplained(outcome: Outcome) -> bool:
    """True for a failing run that no known entry explains."""
    return not explained_by(outcome)
