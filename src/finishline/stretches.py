"""Stretches of True in a boolean series: where they start and end, and which last long enough.

Stops, walks, pauses, frozen GPS, heart-rate dropouts and locks are all stretches of seconds
that meet a condition for long enough; every module finds them with these two functions.
"""

from __future__ import annotations

import numpy as np


def bounds(mask: np.ndarray, min_len: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of the runs of True in ``mask`` of length >= min_len."""
    padded = np.r_[False, np.asarray(mask, bool), False].astype(np.int8)
    change = np.diff(padded)
    starts = np.flatnonzero(change == 1)
    ends = np.flatnonzero(change == -1)
    keep = (ends - starts) >= min_len
    return starts[keep], ends[keep]


def at_least(mask: np.ndarray, min_len: int) -> np.ndarray:
    """``mask`` with only the runs of True that are at least ``min_len`` long."""
    mask = np.asarray(mask, bool)
    if min_len <= 1 or not mask.any():
        return mask.copy()
    starts, ends = bounds(mask, min_len)
    out = np.zeros(mask.size + 1, np.int32)
    np.add.at(out, starts, 1)
    np.add.at(out, ends, -1)
    return np.cumsum(out)[:-1] > 0
