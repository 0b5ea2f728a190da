"""One domain core: a file gives the same numbers in a race analysis and in a season.

For every running file of the corpus, the training record a season is built from
(:func:`finishline.training.features.training_record`, via the batch's per-file processing) and
:func:`finishline.analyze` of the same file agree exactly on distance, moving time, heart rate,
Pa:HR decoupling and every best effort: both come from the same clean track and the same
metric functions. ``finishline summary`` of the file gives the same distance and moving time
too (it reads them off the same track). With running power they agree too on Pw:HR
decoupling and the mean-maximal power curve.

A file that holds a warm-up and a wait before the race (``finishline.race_bounds.warm_up``) is
analysed from where the runner set off, and its season record keeps the warm-up: no corpus
file holds one, which the test checks, so that a new one is looked at
(``tests/real/test_race_bounds_real.py`` tests the warm-up itself).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from corpus import corpus_files, corpus_path, manifest

from finishline.analysis import analyze
from finishline.errors import FinishlineError
from finishline.metrics.power import power_curve
from finishline.metrics.zones import moving_heart_rate
from finishline.summary import summarize
from finishline.training.features import CURVE_DURATIONS_S, DECOUPLING_MIN_S, EFFORT_DISTANCES_M
from finishline.training.process import process_file

pytestmark = pytest.mark.real


def running_files() -> list[str]:
    """Corpus files that record a run, or no sport at all (most GPX files): every file both
    the race analysis and a season take as a run."""
    rows = [
        r["file"]
        for r in manifest()
        if r.get("sport", "").lower() in ("", "9") or r["sport"].lower().startswith("run")
    ]
    return rows or corpus_files()


def _same(a: float, b: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == pytest.approx(b, rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("name", running_files())
def test_race_and_season_give_the_same_numbers(name: str) -> None:
    path = corpus_path(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        record = process_file(str(path))
        try:
            race = analyze(path)
        except FinishlineError as exc:
            assert record["status"] == "skipped", f"season analysed what analyze refused: {exc}"
            return
    assert record["status"] == "ok", f"analyze took what a season skips: {record['detail']}"
    assert race.warm_up is None  # else the race starts after it: see the module docstring
    summary = race.summary
    quick = summarize(race.activity)
    assert quick["distance_m"] == pytest.approx(summary.distance_m, rel=0.01)
    assert quick["moving_s"] == pytest.approx(summary.moving_s, abs=1.0)
    assert _same(record["distance_m"], summary.distance_m)
    assert _same(record["moving_s"], summary.moving_s)
    assert _same(record["elapsed_s"], summary.elapsed_s)
    hr = moving_heart_rate(race.track)
    assert _same(record["avg_hr_bpm"], float(hr.mean()) if hr.size else float("nan"))
    assert _same(record["max_hr_bpm"], float(hr.max()) if hr.size else float("nan"))
    if summary.moving_s >= DECOUPLING_MIN_S:
        assert _same(record["decoupling"], race.decoupling.pa_hr)
        assert _same(record["pw_hr_decoupling"], race.decoupling.pw_hr)
    assert record["power_source"] == race.activity.meta.power_source
    curve = power_curve(race.track, np.asarray(CURVE_DURATIONS_S, dtype=float))
    by_s = dict(zip(curve["duration_s"], curve["power_w"], strict=True))
    for duration, value in zip(CURVE_DURATIONS_S, record["curve_power_w"], strict=True):
        assert _same(value, by_s.get(float(duration), float("nan"))), duration
    if race.activity.samples["power_w"].notna().any():  # TCX Watts carry no power_source
        assert not race.power_curve.empty and np.isfinite(record["avg_power_w"])
    efforts = race.efforts.set_index("effort")["time_s"]
    for effort in EFFORT_DISTANCES_M:
        assert _same(record[f"best_{effort}_s"], float(efforts.get(effort, np.nan))), effort
