"""The fast GPX/TCX scanner and the full lxml parse give the same Activity on every corpus file.

Also: a truncated GPX/TCX yields the complete points before the cut with a
:class:`~finishline.errors.TruncatedFileWarning`, and those points are the prefix of a full read.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from corpus import corpus_files, corpus_path

from finishline.errors import FinishlineError, TruncatedFileWarning
from finishline.io import gpx, tcx
from finishline.io.xml_scan import scan_document

pytestmark = pytest.mark.real

XML_FILES = [n for n in corpus_files() if n.endswith((".gpx", ".tcx"))] or ["<corpus missing>"]
LONG_FILES = [
    "gpx/ggps__TwinCitiesMarathon2014__nosport_42.7km.gpx",
    "tcx/ggps__TwinCitiesMarathon2014__run_42.6km.tcx",
    "gpx/ggps__NewRiver50k2015__nosport_50.4km.gpx",
    "tcx/ggps__NewRiver50k2015__run_50.1km.tcx",
    "gpx/ggps__activity_17191864852-slow-10k__run_10.0km.gpx",
    "tcx/ggps__activity_17191864852-slow-10k__run_10.0km.tcx",
    "gpx/ggps__longrun23k__run_23.8km.gpx",
    "tcx/ggps__longrun23k__run_23.4km.tcx",
]


def _reader(name: str):
    return gpx.read_gpx if name.endswith(".gpx") else tcx.read_tcx


def _outcome(name: str, data: bytes, engine: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return _reader(name)(data, name, engine=engine)
        except FinishlineError as exc:
            return f"{type(exc).__name__}: {exc}"


@pytest.mark.parametrize("name", XML_FILES)
def test_scanner_and_lxml_agree(name):
    data = corpus_path(name).read_bytes()
    fast, full = _outcome(name, data, "scan"), _outcome(name, data, "lxml")
    if isinstance(full, str) or isinstance(fast, str):
        assert fast == full  # the same error, with the same message
        return
    pd.testing.assert_frame_equal(fast.samples, full.samples)
    pd.testing.assert_frame_equal(fast.laps, full.laps)
    pd.testing.assert_frame_equal(fast.sessions, full.sessions)
    pd.testing.assert_frame_equal(fast.events, full.events)
    assert fast.meta == full.meta


@pytest.mark.parametrize("name", LONG_FILES)
def test_long_files_take_the_fast_path(name):
    data = corpus_path(name).read_bytes()
    module = gpx if name.endswith(".gpx") else tcx
    container, point = ("trkseg", "trkpt") if name.endswith(".gpx") else ("Track", "Trackpoint")
    assert scan_document(data, name, container, point, module.POINT_FIELDS) is not None


TRUNCATED = [
    ("gpx/ggps__TwinCitiesMarathon2014__nosport_42.7km.gpx", fraction)
    for fraction in (0.1, 0.37, 0.5, 0.81, 0.999)
] + [
    ("tcx/ggps__TwinCitiesMarathon2014__run_42.6km.tcx", fraction)
    for fraction in (0.1, 0.37, 0.5, 0.81, 0.999)
]


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


@pytest.mark.parametrize("name", LONG_FILES[:2])
def test_damage_in_the_middle_is_still_malformed(name):
    data = corpus_path(name).read_bytes()
    middle = len(data) // 2
    at = data.index(b"</", middle)
    broken = data[:at] + b"</oops" + data[at + 2 :]  # a closing tag that closes nothing
    for engine in ("scan", "lxml"):
        with pytest.raises(FinishlineError, match="malformed XML"):
            _reader(name)(broken, name, engine=engine)
