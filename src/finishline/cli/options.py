"""Validated command-line options: every number checked against a plausible range.

An option out of range is a one-line error (exit 2) naming the option and the range, not an
internal error deep in the analysis (``--max-hr -5`` used to end in "zone bounds...").
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from finishline.definitions import METRE_PER_MILE, STANDARD_RACES


def bounded(lo: float, hi: float, unit: str) -> Callable[[str], float]:
    """An argparse type: a finite number in ``[lo, hi]`` (``unit`` for the message)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not math.isfinite(value) or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{text} is outside {lo:g}-{hi:g} {unit}".rstrip())
        return value

    parse.__name__ = f"number in {lo:g}-{hi:g} {unit}"
    return parse


MAX_HR = bounded(100, 250, "bpm")
REST_HR = bounded(25, 120, "bpm")
AGE = bounded(5, 110, "years")
BODY_MASS = bounded(25, 250, "kg")
CARBS = bounded(0, 200, "g/h")
CRITICAL_SPEED = bounded(1.0, 8.0, "m/s")
CHECKPOINT_KM = bounded(5.0, 42.195, "km")

RACE_NAMES_M = {key: metres for key, _, metres, *_ in STANDARD_RACES}


def race_distance(text: str) -> float:
    """``--race-distance``: a race name (5k, 10k, half, marathon), km (``42.195``, ``50km``) or
    miles (``26.2mi``), in metres."""
    key = text.strip().lower().replace(" ", "")
    if key in RACE_NAMES_M:
        return RACE_NAMES_M[key]
    scale = 1000.0
    for suffix, factor in (("km", 1000.0), ("mi", METRE_PER_MILE), ("k", 1000.0)):
        if key.endswith(suffix):
            key, scale = key.removesuffix(suffix), factor
            break
    try:
        value = float(key)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a race distance: {text!r}") from None
    if not math.isfinite(value) or not 0.4 <= value * scale / 1000.0 <= 1000.0:
        raise argparse.ArgumentTypeError(f"race distance out of range: {text!r}")
    return value * scale


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"finishline: error: {message} (see {self.prog} --help)\n")
