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


#: Empty: every failure the fuzz runs found so far is fixed (issue 16) and kept from coming
#: back by the bounded run, the saved cases and the regression tests.
KNOWN: tuple[Known, ...] = ()


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
