"""Heart-rate artefacts on real races: optical start-up and dropouts masked, the rest kept."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from corpus import corpus_path

from finishline.clean import clean
from finishline.io import read

pytestmark = pytest.mark.real


def _track(name: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return clean(read(corpus_path(name)))


def test_twin_cities_start_up_masked_and_little_else():
    track = _track("tcx/ggps__TwinCitiesMarathon2014__run_42.6km.tcx")
    raw = track["heart_rate_raw_bpm"].to_numpy(float)
    masked = track["hr_artefact"].to_numpy(bool)
    # the first minute reads 85-100 bpm at 3 m/s, 50 bpm under the HR the same pace gives later
    assert masked[:60].all()
    assert np.nanmedian(raw[:60]) < np.nanmedian(raw[600:3600]) - 40
    # a marathon's real heart rate is kept: under 2 % masked
    assert masked.sum() < 0.02 * np.isfinite(raw).sum()
    assert any("masked as sensor artefacts" in w for w in track.attrs["warnings"])


def test_steady_polar_marathon_loses_nothing():
    track = _track("fit/polarri__outdoor_marathon_Polar__run_43.1km.fit")
    assert track["hr_artefact"].sum() < 60
