"""A watch started in the start pen: the risk timeline's clock starts when the runner sets off.

The Twin Cities Marathon GPX (sample_runs/) is written again with a wait at the start line
before its first point (every later time shifted by the wait): 20 min and 40 min, recorded
every second or every 30 s. A chip's clock starts at the mat, so the risk at every km, and a race plan's
comparison split by split, must be what the file gives without the wait. Before ``breaks.race_start``, 20 min of waiting doubled
the risk at 30 km (2 % -> 4 %) and 40 min left no timeline at all.
"""

from __future__ import annotations

import re
import warnings
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from corpus import SAMPLE_RUNS

from finishline import plan
from finishline.analysis import analyze

pytestmark = pytest.mark.real

SOURCE = SAMPLE_RUNS / "TwinCitiesMarathon2014.gpx"
STAMP = "%Y-%m-%dT%H:%M:%S.000Z"


def with_a_wait(tmp: Path, wait_s: int, every_s: int) -> Path:
    """The source GPX with ``wait_s`` standing at its first point, recorded every ``every_s``."""
    text = SOURCE.read_text()
    head, body = text.split("<trkseg>", 1)
    first = re.search(r'<trkpt lon="([^"]+)" lat="([^"]+)">', body)
    t0 = datetime.strptime(re.search(r"<time>([^<]+)</time>", body).group(1), STAMP)

    def later(match: re.Match) -> str:
        moved = datetime.strptime(match.group(1), STAMP) + timedelta(seconds=wait_s)
        return f"<time>{moved.strftime(STAMP)}</time>"

    standing = "".join(
        f'<trkpt lon="{first.group(1)}" lat="{first.group(2)}"><ele>259.2</ele>'
        f"<time>{(t0 + timedelta(seconds=s)).strftime(STAMP)}</time></trkpt>"
        for s in range(0, wait_s, every_s)
    )
    path = tmp / f"pen_{wait_s}_{every_s}.gpx"
    path.write_text(f"{head}<trkseg>{standing}{re.sub(r'<time>([^<]+)</time>', later, body)}")
    return path


@cache
def race_plan() -> dict:
    """A 4:10 plan made from the course (the same GPX)."""
    return plan(SOURCE, goal_s=15_000).to_json()


def analyze_quietly(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyze(path, plan=race_plan())


@cache
def without_a_wait():
    return analyze_quietly(SOURCE)


@pytest.mark.parametrize(("wait_s", "every_s"), [(1200, 1), (1200, 30), (2400, 1), (2400, 30)])
def test_a_wait_in_the_pen_leaves_the_risk_and_the_plan_as_without_it(tmp_path, wait_s, every_s):
    plain = without_a_wait()
    waited = analyze_quietly(with_a_wait(tmp_path, wait_s, every_s))
    a, b = plain.risk.table, waited.risk.table
    assert len(a) >= 30 and a["km"].tolist() == b["km"].tolist()
    for column in ("clock_s", "p_splits", "p_fail", "p_hi"):
        np.testing.assert_allclose(b[column], a[column], rtol=1e-9, err_msg=column)
    assert waited.summary.elapsed_s == pytest.approx(plain.summary.elapsed_s + wait_s, abs=1)
    assert b.attrs["set_off_s"] == pytest.approx(wait_s, abs=1)
    assert waited.to_json()["risk_info"]["clock_starts_at_s"] == b.attrs["set_off_s"]
    assert plain.risk.set_off_s == 0.0
    assert any(f"{wait_s // 60} min after the watch started" in n for n in b.attrs["notes"])
    risk_sentence = plain.verdict[plain.verdict.index("At 30 km") :]
    assert risk_sentence in waited.verdict
    pd.testing.assert_frame_equal(waited.plan_vs_actual.table, plain.plan_vs_actual.table)
    assert waited.plan_vs_actual.left_plan_split == plain.plan_vs_actual.left_plan_split
