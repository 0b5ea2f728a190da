"""Format-blind mutations: truncations, byte flips, zeroed and duplicated chunks.

Every mutation is a pure function ``(data, rng) -> bytes`` of the input and a seeded
:class:`random.Random`, so a mutant is reproduced from its source file, name and seed.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Callable

Mutation = Callable[[bytes, random.Random], bytes]


def truncate(data: bytes, rng: random.Random) -> bytes:
    """Cut the file anywhere; half the time within its last tenth (a download cut short)."""
    if len(data) < 2:
        return data
    low = int(len(data) * 0.9) if rng.random() < 0.5 else 1
    return data[: rng.randrange(low, len(data))]


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    """Flip one bit in each of 1-8 random bytes."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def zero_chunk(data: bytes, rng: random.Random) -> bytes:
    """Zero a run of 1-512 bytes (a bad storage block)."""
    if not data:
        return data
    start = rng.randrange(len(data))
    size = rng.randint(1, 512)
    return data[:start] + bytes(min(size, len(data) - start)) + data[start + size :]


def duplicate_chunk(data: bytes, rng: random.Random) -> bytes:
    """Copy a run of 1-4096 bytes to another place (a write repeated by a flaky sync)."""
    if len(data) < 2:
        return data
    start = rng.randrange(len(data))
    chunk = data[start : start + rng.randint(1, 4096)]
    at = rng.randrange(len(data))
    return data[:at] + chunk + data[at:]


def gzip_bytes(data: bytes) -> bytes:
    """``data`` gzip-compressed, reproducibly (no file name, fixed mtime)."""
    return gzip.compress(data, compresslevel=6, mtime=0)


BYTE_MUTATIONS: dict[str, Mutation] = {
    "truncate": truncate,
    "flip_bytes": flip_bytes,
    "zero_chunk": zero_chunk,
    "duplicate_chunk": duplicate_chunk,
}
