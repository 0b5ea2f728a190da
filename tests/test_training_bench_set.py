"""The benchmark's large set is made of faithful copies: every timestamp moved by whole weeks,
nothing else changed (bench/train.py builds it from the corpus runs)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from corpus import CORPUS, REPO_ROOT, require_shared

from finishline.io import read
from finishline.io.fit_crc import crc16

pytestmark = pytest.mark.real

SOURCES = [
    "fit/polarri__outdoor_halfmarathon_Polar__run_21.5km.fit",
    "fit/fitparse__activity-small-fenix2-run__run_9.0km.fit",
    "gpx/runpandas__session_00978fad__nosport_8.3km.gpx",
    "tcx/runpandas__2020-12-02T06_08_29-300_Running__run_7.0km.tcx",
]


def bench() -> ModuleType:
    """bench/train.py as a module (its sibling ``wait`` importable, as when run as a script)."""
    folder = str(REPO_ROOT / "bench")
    spec = importlib.util.spec_from_file_location("bench_train", REPO_ROOT / "bench" / "train.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(folder)
    return module


@pytest.mark.parametrize("name", SOURCES)
def test_a_shifted_copy_is_the_same_run_weeks_later(name: str, tmp_path: Path) -> None:
    require_shared(CORPUS)
    source, copy = CORPUS / name, tmp_path / Path(name).name
    bench().shifted_copy(source, copy, 5)
    assert copy.read_bytes() != source.read_bytes()
    original, shifted = read(source), read(copy)
    week5 = pd.Timedelta(weeks=5)
    assert shifted.meta.start_time == original.meta.start_time + week5
    pd.testing.assert_index_equal(shifted.samples.index, original.samples.index + week5)
    for column in ("distance_m", "heart_rate_bpm", "latitude_deg"):
        if column in original.samples:
            assert np.array_equal(
                shifted.samples[column].to_numpy(float),
                original.samples[column].to_numpy(float),
                equal_nan=True,
            ), column
    assert shifted.meta.warnings == original.meta.warnings
    if name.endswith(".fit"):  # the file CRC was recomputed: CRC over data + CRC is zero
        assert crc16(copy.read_bytes()) == 0


def test_fit_shift_keeps_compressed_timestamps_valid() -> None:
    with pytest.raises(ValueError, match="multiple of 32"):
        bench().shift_fit(b"", 60)
