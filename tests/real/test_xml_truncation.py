"""A truncated corpus GPX/TCX yields the complete points before the cut, with a warning.

The points read are the prefix of a full read (:class:`~finishline.errors.TruncatedFileWarning`);
damage in the middle of a file stays malformed XML and is not taken for truncation.
"""

from __future__ import annotations

import pandas as pd
import pytest
from corpus import corpus_path

from finishline.errors import FinishlineError, TruncatedFileWarning
from finishline.io import gpx, tcx

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
