"""Vectorised FIT CRC-16 (the SDK's nibble-table CRC) over whole byte buffers.

The FIT CRC is linear over GF(2) with a zero initial value, so the CRC of ``A + B`` is the CRC
of ``A`` advanced over ``len(B)`` zero bytes, XOR the CRC of ``B``. Pairing blocks level by
level turns the byte-serial loop into ~log2(n) numpy gathers.

References
----------
Garmin FIT SDK, "FIT File Protocol", section 3.3.2 (CRC computation).
"""

from __future__ import annotations

from functools import cache, lru_cache

import numpy as np

_NIBBLE = np.array(
    [0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
     0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400],
    dtype=np.uint16,
)  # fmt: skip


def _step(crc: np.ndarray, byte: np.ndarray) -> np.ndarray:
    """Advance CRC states ``crc`` over one byte each (the SDK algorithm, vectorised)."""
    tmp = _NIBBLE[crc & 0xF]
    crc = (crc >> 4) & 0x0FFF
    crc = crc ^ tmp ^ _NIBBLE[byte & 0xF]
    tmp = _NIBBLE[crc & 0xF]
    crc = (crc >> 4) & 0x0FFF
    return crc ^ tmp ^ _NIBBLE[(byte >> 4) & 0xF]


@lru_cache(maxsize=1)
def _byte_table() -> np.ndarray:
    return _step(np.zeros(256, dtype=np.uint16), np.arange(256, dtype=np.uint16))


@cache
def _zero_advance(level: int) -> np.ndarray:
    """Table mapping a CRC state to the state after ``2**level`` zero bytes."""
    if level == 0:
        return _step(np.arange(65536, dtype=np.uint16), np.zeros(65536, dtype=np.uint16))
    half = _zero_advance(level - 1)
    return half[half]


def crc16(data: bytes | memoryview | np.ndarray) -> int:
    """FIT CRC-16 of ``data`` (initial value 0), as the SDK computes it byte by byte."""
    buf = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) else data
    n = buf.size
    if n == 0:
        return 0
    size = 1 << (n - 1).bit_length()
    crcs = np.zeros(size, dtype=np.uint16)
    # Leading zero bytes leave a zero CRC unchanged, so left-padding is free.
    crcs[size - n :] = _byte_table()[buf]
    level = 0
    while crcs.size > 1:
        crcs = _zero_advance(level)[crcs[0::2]] ^ crcs[1::2]
        level += 1
    return int(crcs[0])
