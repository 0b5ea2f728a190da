"""Numbers in words: durations, paces and distances as a runner reads them.

One place for the text forms every output uses (command line, reports, plans):
``h:mm:ss`` durations, ``m:ss`` paces, and parsing ``H:MM:SS`` back to seconds.
"""

from __future__ import annotations

import math

from finishline.errors import InputDataError


def format_duration(seconds: float | None) -> str:
    """Duration as ``h:mm:ss`` (``m:ss`` under an hour); ``"-"`` when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    s = int(round(float(seconds)))
    if s >= 3600:
        return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


def format_hms(seconds: float | None) -> str:
    """Duration always as ``h:mm:ss`` (a finish time: ``0:52:10``); ``"-"`` when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    s = int(round(float(seconds)))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def format_h_min(seconds: float) -> str:
    """A long duration in words, to the minute: ``2 h 05 min``, ``40 min``."""
    hours, minutes = divmod(round(float(seconds) / 60.0), 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def parse_duration_s(text: str) -> float:
    """Seconds in ``"H:MM:SS"``, ``"M:SS"`` or plain seconds (``"3:30:00"`` -> 12600).

    Raises
    ------
    InputDataError
        Not a positive duration (minutes or seconds fields of 60 or more, negative, zero,
        not numbers).
    """
    parts = str(text).strip().split(":")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise InputDataError(f"not a duration: {text!r} (use H:MM:SS)") from None
    if not 1 <= len(numbers) <= 3 or any(n < 0 or not math.isfinite(n) for n in numbers):
        raise InputDataError(f"not a duration: {text!r} (use H:MM:SS)")
    if any(n >= 60 for n in numbers[1:]):
        raise InputDataError(f"not a duration: {text!r} (minutes and seconds below 60)")
    seconds = 0.0
    for n in numbers:
        seconds = seconds * 60.0 + n
    if seconds <= 0:
        raise InputDataError(f"the duration {text!r} is not positive")
    return seconds
