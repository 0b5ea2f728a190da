"""Several real activities in one TCX: sessions when apart in time, the longest when they overlap.

The multi-activity files are built from real corpus TCX files (their ``Activity`` elements
moved into one document with lxml); the truth is each file read on its own.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pandas as pd
import pytest
from corpus import corpus_path
from lxml import etree

import finishline
from finishline.errors import FinishlineWarning
from finishline.io import read_all

pytestmark = pytest.mark.real

RUNS = [
    "tcx/runpandas__2020-12-02T06_08_29-300_Running__run_7.0km.tcx",
    "tcx/runpandas__2020-12-04T19_09_21-300_Running__run_9.6km.tcx",
    "tcx/runpandas__2020-12-08T06_36_12-300_Running__run_6.2km.tcx",
]
MARATHON = "tcx/ggps__TwinCitiesMarathon2014__run_42.6km.tcx"
POINT_COLUMNS = ["lat_deg", "lon_deg", "altitude_m", "heart_rate_bpm", "cadence_spm", "speed_mps"]


def _combine(documents: list[etree._Element], tmp_path, name: str):
    """One TCX holding the Activity elements of ``documents``, in that order."""
    base = copy.deepcopy(documents[0])
    holder = base.find("{*}Activities")
    for child in list(holder):
        holder.remove(child)
    for doc in documents:
        for act in doc.find("{*}Activities"):
            holder.append(copy.deepcopy(act))
    path = tmp_path / name
    path.write_bytes(etree.tostring(base, xml_declaration=True, encoding="UTF-8"))
    return path


def _parse(name: str) -> etree._Element:
    return etree.parse(str(corpus_path(name))).getroot()


def test_three_real_runs_are_three_sessions_of_one_activity(tmp_path):
    singles = [finishline.read(corpus_path(name)) for name in RUNS]
    path = _combine([_parse(name) for name in RUNS], tmp_path, "three-runs.tcx")
    with warnings.catch_warnings():
        warnings.simplefilter("error", FinishlineWarning)
        act = finishline.read(path)
    assert len(act.sessions) == 3
    assert act.sessions["sport"].tolist() == ["running"] * 3
    assert len(act.samples) == sum(len(s.samples) for s in singles)
    assert act.laps["session_index"].tolist() == [
        i for i, single in enumerate(singles) for _ in range(len(single.laps))
    ]
    offset = 0.0
    for single in singles:
        part = act.samples.loc[single.samples.index[0] : single.samples.index[-1]]
        pd.testing.assert_frame_equal(part[POINT_COLUMNS], single.samples[POINT_COLUMNS])
        np.testing.assert_allclose(
            part["distance_m"].to_numpy(), single.samples["distance_m"].to_numpy() + offset
        )
        offset = part["distance_m"].max()
    assert (np.diff(act.samples["distance_m"].to_numpy()) >= 0).all()


def test_read_all_gives_each_real_run_as_read_alone(tmp_path):
    path = _combine([_parse(name) for name in RUNS], tmp_path, "three-runs.tcx")
    every = read_all(path)
    assert len(every) == 3
    for got, name in zip(every, RUNS, strict=True):
        alone = finishline.read(corpus_path(name))
        pd.testing.assert_frame_equal(got.samples, alone.samples)
        pd.testing.assert_frame_equal(got.laps, alone.laps)
        pd.testing.assert_frame_equal(got.sessions, alone.sessions)


def test_two_recordings_of_the_marathon_read_the_longer_one(tmp_path):
    full = _parse(MARATHON)
    shorter = copy.deepcopy(full)
    laps = shorter.findall(".//{*}Lap")
    for lap in laps[len(laps) // 2 :]:  # a second watch stopped half way
        lap.getparent().remove(lap)
    path = _combine([shorter, full], tmp_path, "twice.tcx")
    alone = finishline.read(corpus_path(MARATHON))
    with pytest.warns(FinishlineWarning, match="overlap in time"):
        act = finishline.read(path)
    pd.testing.assert_frame_equal(act.samples, alone.samples)
    assert len(act.sessions) == 1
    assert any("kept activity 2" in w and "set aside activity 1" in w for w in act.meta.warnings)
    every = read_all(path)
    assert [len(a.samples) for a in every][1] == len(alone.samples)
    assert len(every[0].samples) < len(alone.samples)
