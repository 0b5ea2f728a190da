"""Durations written as ``H:MM:SS``, ``M:SS`` or seconds, parsed by numpy over whole columns.

A chip-results table holds tens of thousands of clock strings per mat; these functions read them
with a few whole-array operations (no Python per cell). The rules: every field must have
digits; fields after the first must be below 60; a decimal point may appear only in the last
field; at most three fields. Blank cells and the tokens of :data:`MISSING_TOKENS` are missing,
anything else that breaks the rules is malformed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

#: Cells (lower case, stripped) that mean "no time", not a malformed one.
MISSING_TOKENS = ("", "-", "\u2013", "\u2014", "nan", "none", "na", "n/a", "dnf", "dns")
_DIGIT_0, _COLON, _DOT = ord("0"), ord(":"), ord(".")


def clock_seconds(text: np.ndarray) -> np.ndarray:
    """Seconds from stripped ``H:MM:SS`` / ``M:SS`` / ``S`` strings, NaN where malformed.

    ``H:MM:SS`` and ``HH:MM:SS`` (what timing companies publish) take a fast path of a few
    whole-column operations; every other cell goes through :func:`general_clock_seconds`.
    """
    n = text.shape[0]
    width = text.dtype.itemsize // 4
    out = np.full(n, np.nan)
    if n == 0 or width == 0:
        return out
    codes = np.ascontiguousarray(text).view(np.uint32).reshape(n, width)
    fast = np.zeros(n, dtype=bool)
    colon = _COLON - _DIGIT_0
    for size in (7, 8):
        if width < size:
            continue
        # Cells of exactly ``size`` characters (a NUL inside one fails the layout below).
        candidate = codes[:, size - 1] != 0
        if width > size:
            candidate &= codes[:, size] == 0
        rows = np.flatnonzero(candidate)
        if not rows.size:
            continue
        whole = 2 * rows.size > n  # most cells: one pass over every row beats a gather
        block = codes[:, :size] if whole else codes[rows, :size]
        # Digits as bytes: a code point above 255 becomes 255, neither a digit nor a colon,
        # and the uint8 subtraction wraps every non-digit below "0" above 9.
        value = np.minimum(block, 255).astype(np.uint8) - np.uint8(_DIGIT_0)
        digits = [j for j in range(size) if j not in (size - 3, size - 6)]
        layout = (value[:, digits] <= 9).all(axis=1)
        layout &= (value[:, size - 3] == colon) & (value[:, size - 6] == colon)
        if whole:
            layout &= candidate
            rows = np.arange(n)
        field = value.astype(np.int32)
        hours = field[:, 0] if size == 7 else 10 * field[:, 0] + field[:, 1]
        minutes = 10 * field[:, size - 5] + field[:, size - 4]
        seconds = 10 * field[:, size - 2] + field[:, size - 1]
        ok = layout & (minutes < 60) & (seconds < 60)
        out[rows[ok]] = (hours * 3600 + minutes * 60 + seconds)[ok].astype(float)
        fast[rows[layout]] = True  # a 7/8-char cell that is not a clock: the general path
    rest = np.flatnonzero(~fast)
    if rest.size:
        out[rest] = general_clock_seconds(text[rest])
    return out


def general_clock_seconds(text: np.ndarray) -> np.ndarray:
    """Seconds from stripped ``H:MM:SS`` / ``M:SS`` / ``S`` strings, NaN where malformed.

    Vectorised over the cells: the loop runs over character positions (a dozen), each step a
    numpy operation on the whole column. Every field must have digits; fields after the first
    must be below 60; a decimal point may appear only in the last field.
    """
    n = text.shape[0]
    width = text.dtype.itemsize // 4
    codes = np.zeros((n, width + 1), dtype=np.uint32)
    if width:
        codes[:, :width] = np.ascontiguousarray(text).view(np.uint32).reshape(n, width)
    total = np.zeros(n)
    field = np.zeros(n)
    scale = np.ones(n)
    digits = np.zeros(n, dtype=int)
    n_fields = np.zeros(n, dtype=int)
    seen_dot = np.zeros(n, dtype=bool)
    ok = np.ones(n, dtype=bool)
    ended = np.zeros(n, dtype=bool)
    for j in range(width + 1):
        c = codes[:, j]
        live = ~ended
        is_digit = live & (c >= _DIGIT_0) & (c <= _DIGIT_0 + 9)
        value = c.astype(float) - _DIGIT_0
        scale = np.where(is_digit & seen_dot, scale / 10.0, scale)
        field = np.where(
            is_digit, np.where(seen_dot, field + value * scale, field * 10 + value), field
        )
        digits += is_digit
        closes = live & ((c == _COLON) | (c == 0))
        ok &= ~closes | ((digits > 0) & ((n_fields == 0) | (field < 60)))
        ok &= ~(live & (c == _COLON) & seen_dot)
        ok &= ~(live & (c == _DOT) & seen_dot)
        ok &= ~(live & ~is_digit & ~closes & (c != _DOT))
        seen_dot |= live & (c == _DOT)
        total = np.where(closes, total * 60.0 + field, total)
        n_fields += closes
        field = np.where(closes, 0.0, field)
        digits = np.where(closes, 0, digits)
        ended |= live & (c == 0)
    ok &= n_fields <= 3
    return np.where(ok, total, np.nan)


def stripped_text(values: npt.ArrayLike) -> np.ndarray:
    """Cells as stripped fixed-width strings (missing cells become "nan")."""
    return np.strings.strip(np.asarray(values, dtype=str))


def parse_durations(values: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(seconds, missing, stripped text) for an array of durations (any shape)."""
    text = stripped_text(values)
    seconds = clock_seconds(text.ravel()).reshape(text.shape)
    # Only cells that did not parse can be a missing token: lower-case just those.
    missing = text == ""
    unparsed = np.isnan(seconds) & ~missing
    missing[unparsed] = np.isin(np.strings.lower(text[unparsed]), MISSING_TOKENS)
    return np.where(missing, np.nan, seconds), missing, text
