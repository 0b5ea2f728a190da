"""A truncated corpus GPX/TCX yields the complete points before the cut, with a warning.

The points read are the prefix of a full read (:class:`~finishline.errors.TruncatedFileWarning`);
damage in the middle of a file stays malformed XML and is not taken for truncation. A truncated
or damaged ``.gz`` yields what its stream holds, as the same truncation uncompressed does.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from corpus import corpus_path

from finishline.errors import FinishlineError, TruncatedFileWarning
from finishline.io import gpx, read, tcx

pytestmark = pytest.mark.real

LONG_GPX = "gpx/ggps__TwinCitiesMarathon2014__nosport_42.7km.gpx"
LONG_TCX = "tcx/ggps__TwinCitiesMarathon2014__run_42.6km.tcx"
FRACTIONS = (0.1, 0.37, 0.5, 0.81, 0.999)
TRUNCATED = [(name, fraction) for name in (LONG_GPX, LONG_TCX) for fraction in FRACTIONS]


def _reader(name: str):
    return gpx.read_gpx if name.endswith(".gpx") else tcx.read_tcx


@pytest.mark.parametrize(("name", "fraction"), TRUNCATED)
def test_truncated_file_gives_the_prefix_with_a_warning(name, fraction):
    data = corpus_path(name).read_bytes()
    full = _reader(name)(data, name)
    cut = data[: int(len(data) * fraction)]
    with pytest.warns(TruncatedFileWarning, match="ends early"):
        part = _reader(name)(cut, name)
    n = len(part.samples)
    assert 0 < n < len(full.samples)
    columns = [c for c in full.samples.columns if c != "speed_mps" or name.endswith(".tcx")]
    pd.testing.assert_frame_equal(part.samples[columns], full.samples[columns].iloc[:n])
    assert any("ends early" in w for w in part.meta.warnings)
    # every point closed before the cut is read, and nothing of a point the cut went through
    assert n == cut.count(b"</trkpt>") + cut.count(b"</Trackpoint>")


@pytest.mark.parametrize("name", [LONG_GPX, LONG_TCX])
def test_damage_in_the_middle_is_still_malformed(name):
    data = corpus_path(name).read_bytes()
    middle = len(data) // 2
    at = data.index(b"</", middle)
    broken = data[:at] + b"</oops" + data[at + 2 :]  # a closing tag that closes nothing
    with pytest.raises(FinishlineError, match="malformed XML"):
        _reader(name)(broken, name)


GZ_FRACTIONS = (0.05, 0.3, 0.55, 0.8, 0.97)


@pytest.mark.parametrize(
    ("name", "fraction"), [(n, f) for n in (LONG_GPX, LONG_TCX) for f in GZ_FRACTIONS]
)
def test_truncated_gzip_yields_what_it_holds(name, fraction, tmp_path):
    data = corpus_path(name).read_bytes()
    packed = gzip.compress(data, mtime=0)
    cut = packed[: int(len(packed) * fraction)]
    path = tmp_path / (Path(name).name + ".gz")
    path.write_bytes(cut)
    # the same truncation uncompressed: every byte zlib can decode from the cut stream
    prefix = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(cut)
    plain = tmp_path / Path(name).name
    plain.write_bytes(prefix)
    with pytest.warns(TruncatedFileWarning) as caught:
        from_gz = read(path)
    with pytest.warns(TruncatedFileWarning):
        from_plain = read(plain)
    assert any(
        f"gzip stream is truncated after {len(prefix)} bytes" in str(w.message) for w in caught
    )
    assert abs(len(from_gz.samples) - len(from_plain.samples)) <= 1
    n = min(len(from_gz.samples), len(from_plain.samples))
    pd.testing.assert_frame_equal(from_gz.samples.iloc[:n], from_plain.samples.iloc[:n])
    assert from_gz.meta.truncated
    assert from_gz.meta.warnings[0].startswith("the gzip stream is truncated")


@pytest.mark.parametrize("name", [LONG_GPX, LONG_TCX])
def test_gzip_with_a_bad_checksum_reads_everything_with_a_warning(name, tmp_path):
    data = corpus_path(name).read_bytes()
    packed = bytearray(gzip.compress(data, mtime=0))
    packed[-8] ^= 0xFF  # the CRC-32 of the trailer
    path = tmp_path / (Path(name).name + ".gz")
    path.write_bytes(bytes(packed))
    with pytest.warns(TruncatedFileWarning, match="gzip stream is damaged"):
        act = read(path)
    pd.testing.assert_frame_equal(act.samples, read(corpus_path(name)).samples)
    assert act.meta.truncated


@pytest.mark.parametrize("name", [LONG_GPX, LONG_TCX])
def test_garbage_in_the_gzip_stream_gives_the_points_before_it(name, tmp_path):
    data = corpus_path(name).read_bytes()
    packed = bytearray(gzip.compress(data, mtime=0))
    middle = len(packed) // 2
    noise = np.random.default_rng(7).integers(0, 256, len(packed) - middle, np.uint8)
    packed[middle:] = noise.tobytes()
    path = tmp_path / (Path(name).name + ".gz")
    path.write_bytes(bytes(packed))
    full = read(corpus_path(name))
    # zlib decodes some garbage before it sees the damage: the XML is read up to its first
    # error, as a truncated file
    with pytest.warns(TruncatedFileWarning) as caught:
        act = read(path)
    assert any("gzip stream is damaged" in str(w.message) for w in caught)
    assert any("ends early" in str(w.message) for w in caught)
    assert 0.3 * len(full.samples) < len(act.samples) < len(full.samples)
    n = len(act.samples) - 5  # all but the last few points are the file's own
    columns = [c for c in full.samples.columns if c != "speed_mps"]
    pd.testing.assert_frame_equal(act.samples[columns].iloc[:n], full.samples[columns].iloc[:n])


def test_gzip_cut_in_its_header_is_refused(tmp_path):
    path = tmp_path / "head.gpx.gz"
    path.write_bytes(gzip.compress(corpus_path(LONG_GPX).read_bytes())[:6])
    with pytest.raises(FinishlineError, match="broken gzip stream"):
        read(path)
