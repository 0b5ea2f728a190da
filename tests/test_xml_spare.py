"""Spare scanner buffers (:mod:`finishline.io.xml_spare`): reused only where it is safe.

The compiled scanner writes a document's tag and name arrays into those of the previous
document of the thread. These tests check that the arrays are the same as fresh ones, that
nothing a read returns shares memory with the spare buffers (an earlier document's tables never
change), that a spare too small or of the wrong kind is not written, that large buffers are not
kept, and that threads reading at once each keep their own.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from xml_paths import assert_same_arrays, require_compiled

from finishline.io import xml_spare
from finishline.io.gpx import POINT_FIELDS, read_gpx
from finishline.io.xml_document import open_document
from finishline.io.xml_names import local_names
from finishline.io.xml_scan import prepare, tokenize
from finishline.io.xml_spare import Spare

GPX11 = "http://www.topografix.com/GPX/1/1"
WANTED = ["trkpt", "ele", "time", "hr"]


def gpx(n_points: int, shift: int = 0) -> bytes:
    """A GPX of ``n_points`` one second apart, heart rate in a prefixed extension."""
    points = "".join(
        f'<trkpt lat="{45 + i * 1e-4:.6f}" lon="{7 + shift * 1e-3:.6f}"><ele>{100 + i}</ele>'
        f"<time>2020-05-01T08:{(i + shift) // 60 % 60:02d}:{(i + shift) % 60:02d}Z</time>"
        f"<extensions><x:hr>{120 + i % 40}</x:hr></extensions></trkpt>"
        for i in range(n_points)
    )
    return (
        f'<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="{GPX11}" '
        f'xmlns:x="urn:x"><trk><trkseg>{points}</trkseg></trk></gpx>'
    ).encode()


def _views(spare: Spare) -> list[np.ndarray]:
    return [np.frombuffer(b, dtype=np.uint8) for b in (*(spare.tags or ()), *(spare.names or ()))]


def test_spare_buffers_are_written_again_and_give_the_arrays_fresh_ones_give():
    require_compiled()
    spare = Spare()
    first = prepare(gpx(50), None)
    tokenize(first, spare)
    kept = spare.tags
    assert kept is not None and all(isinstance(b, bytearray) for b in kept)
    second = prepare(gpx(20, shift=7), None)
    tags = tokenize(second, spare)
    assert all(a is b for a, b in zip(spare.tags, kept, strict=True))  # written again
    assert np.shares_memory(tags.lt, np.frombuffer(kept[0], dtype=np.uint8))
    assert_same_arrays(tags, tokenize(second))
    local_names(tokenize(first), WANTED, spare)
    names = local_names(tags, WANTED, spare)
    assert np.shares_memory(names.ids, np.frombuffer(spare.names[0], dtype=np.uint8))
    assert_same_arrays(names, local_names(tokenize(second), WANTED))


def test_a_spare_too_small_or_of_another_kind_is_not_written():
    scanner = require_compiled()
    spare = Spare()
    tokenize(prepare(gpx(3), None), spare)
    small = spare.tags
    big = prepare(gpx(40), None)
    tags = tokenize(big, spare)
    assert spare.tags is not small and len(tags.lt) > len(small[0]) // 4
    assert not any(
        np.shares_memory(tags.lt, np.frombuffer(b, dtype=np.uint8)) for b in small if len(b)
    )
    assert_same_arrays(tags, tokenize(big))
    fresh = scanner.tags(big.text, big.body)
    one = bytearray(1 << 16)
    for wrong in ((bytes(1 << 16),) * 6, (one,) * 6, tuple(bytearray(1 << 16) for _ in "ab"), 7):
        got = scanner.tags(big.text, big.body, wrong)
        assert got[-1] == fresh[-1] and all(
            bytes(a) == bytes(b) for a, b in zip(got[:6], fresh[:6], strict=True)
        )
        assert not any(a is b for a in got[:6] for b in (wrong if isinstance(wrong, tuple) else ()))


def test_large_buffers_are_not_kept(monkeypatch):
    require_compiled()
    monkeypatch.setattr(xml_spare, "KEEP_BYTES", 1000)
    spare = Spare()
    tokenize(prepare(gpx(200), None), spare)
    local_names(tokenize(prepare(gpx(200), None)), WANTED, spare)
    assert spare.tags is None and spare.names is None
    tokenize(prepare(gpx(2), None), spare)
    assert spare.tags is not None


def test_nothing_a_document_holds_shares_the_spare_buffers():
    require_compiled()
    opened = open_document(gpx(60), "a.gpx", ("trkpt",), POINT_FIELDS, ("time",))
    snapshot = {name: values.copy() for name, values in opened.values.items()}
    ranges = {name: (s.copy(), e.copy()) for name, (s, e) in opened.ranges.items()}
    open_document(gpx(30, shift=11), "b.gpx", ("trkpt",), POINT_FIELDS, ("time",))
    spare = xml_spare.thread_spare()
    assert spare.tags is not None and spare.names is not None
    held = [
        *opened.values.values(),
        *opened.bad.values(),
        *(a for pair in opened.ranges.values() for a in pair),
        opened.points_found.opening,
        opened.points_found.closing,
        opened.points_found.kind,
        opened.points_found.run,
        opened.points_found.run_start,
    ]
    for array in held:
        assert not any(np.shares_memory(array, view) for view in _views(spare))
    for name, values in opened.values.items():
        assert np.array_equal(values, snapshot[name], equal_nan=values.dtype.kind == "f")
        assert np.array_equal(opened.ranges[name][0], ranges[name][0])


@pytest.mark.parametrize("n_threads", [4])
def test_threads_reading_at_once_keep_their_own_buffers(n_threads):
    require_compiled()
    documents = [gpx(20 + 15 * k, shift=k) for k in range(n_threads)]
    expected = [read_gpx(data, f"{k}.gpx").samples for k, data in enumerate(documents)]
    failures: list[str] = []

    def reader(k: int) -> None:
        for _ in range(30):
            got = read_gpx(documents[k], f"{k}.gpx").samples
            if not got.equals(expected[k]):
                failures.append(f"thread {k}")

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures


def test_a_spare_buffer_that_something_still_views_is_not_written():
    """The scanner checks that no array views a spare before writing it (not only the caller):
    an earlier document's array kept alive keeps its values, and the scan gets fresh memory."""
    require_compiled()
    spare = Spare()
    tokenize(prepare(gpx(50), None), spare)
    held = np.frombuffer(spare.tags[0], dtype=np.int32)  # an earlier document's lt, still read
    before = held.copy()
    second = prepare(gpx(20, shift=7), None)
    tags = tokenize(second, spare)
    np.testing.assert_array_equal(held, before)
    assert not np.shares_memory(tags.lt, held)
    assert_same_arrays(tags, tokenize(second))
    kept = spare.tags  # the second document's own arrays, viewed by its tags
    busy = tokenize(prepare(gpx(10, shift=3), None), spare)
    assert not np.shares_memory(busy.lt, np.frombuffer(kept[0], dtype=np.uint8))
    del held, tags, busy
    kept = spare.tags
    third = tokenize(prepare(gpx(10, shift=5), None), spare)  # no view left: written again
    assert np.shares_memory(third.lt, np.frombuffer(kept[0], dtype=np.uint8))
