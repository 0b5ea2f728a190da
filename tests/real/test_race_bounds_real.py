"""The race inside the file: from when the runner sets off to the last running.

The Twin Cities Marathon GPX (sample_runs/) is written again:

- with a wait at the start line before its first point (every later time shifted by the
  wait): 20 min and 40 min, recorded every second or every 30 s. A chip's clock starts at the
  mat, so the risk at every km, and a race plan's comparison split by split, must be what the
  file gives without the wait. Before ``breaks.race_start``, 20 min of waiting doubled the
  risk at 30 km (2 % -> 4 %) and 40 min left no timeline at all.
- with the watch left running after its last point: standing 5 or 20 min, or walking on at
  1.0-1.2 m/s for 10 or 15 min. The final mile, the fatigue state, Pa:HR and the risk must be
  the plain file's, and the verdict must say where the race was taken to end. Before
  ``breaks.race_end``, 5 min standing turned "held, 13 % faster" into "failed, 39 % slower",
  and 10 min walking into "failed, 49 % slower, with 600 s walking".
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


def with_a_tail(tmp: Path, tail_s: int, speed_mps: float, every_s: int) -> Path:
    """The source GPX going on for ``tail_s`` after its last point: standing, or walking north
    at ``speed_mps``, recorded every ``every_s`` (heart rate 120)."""
    text = SOURCE.read_text()
    last = re.findall(r'<trkpt lon="([^"]+)" lat="([^"]+)">.*?<time>([^<]+)</time>', text, re.S)[-1]
    lon, lat, t_end = float(last[0]), float(last[1]), datetime.strptime(last[2], STAMP)
    points = "".join(
        f'<trkpt lon="{lon}" lat="{lat + speed_mps * s / 111_195.0}"><ele>259.2</ele>'
        f"<time>{(t_end + timedelta(seconds=s)).strftime(STAMP)}</time><extensions>"
        "<gpxtpx:TrackPointExtension><gpxtpx:hr>120</gpxtpx:hr></gpxtpx:TrackPointExtension>"
        "</extensions></trkpt>"
        for s in range(every_s, tail_s + 1, every_s)
    )
    end = text.rindex("</trkseg>")
    path = tmp / f"tail_{tail_s}_{speed_mps}.gpx"
    path.write_text(text[:end] + points + text[end:])
    return path


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


@pytest.mark.parametrize(
    ("tail_s", "speed_mps", "every_s"),
    [(300, 0.0, 1), (1200, 0.0, 10), (600, 1.2, 1), (900, 1.0, 5)],
)
def test_the_watch_left_running_past_the_finish_changes_no_race_number(
    tmp_path, tail_s, speed_mps, every_s
):
    plain = without_a_wait()
    tailed = analyze_quietly(with_a_tail(tmp_path, tail_s, speed_mps, every_s))
    assert tailed.summary.elapsed_s == pytest.approx(plain.summary.elapsed_s + tail_s, abs=1)
    assert tailed.race.key == plain.race.key == "marathon"
    a, b = plain.final_mile, tailed.final_mile
    assert (b.failed, b.walk_s, b.stop_s) == (a.failed, a.walk_s, a.stop_s) == (False, 0.0, 0.0)
    # the cut falls within the clean speed's 5 s window of the file's last point
    assert b.time_s == pytest.approx(a.time_s, abs=5)
    assert b.pace_ratio == pytest.approx(a.pace_ratio, rel=5 / a.time_s)
    assert b.finish_m == pytest.approx(a.finish_m, abs=5 * 1.5)
    assert b.after_finish_s == pytest.approx(tail_s, abs=3) and a.after_finish_s < 10
    np.testing.assert_equal(tailed.fatigue.onset_km, plain.fatigue.onset_km)  # NaN: none
    assert tailed.fatigue.signal_onsets_km == plain.fatigue.signal_onsets_km
    assert tailed.decoupling.pa_hr == pytest.approx(plain.decoupling.pa_hr, abs=2e-3)
    np.testing.assert_allclose(tailed.risk.table["p_fail"], plain.risk.table["p_fail"], rtol=1e-3)
    sentence = f"The race is taken to end at {b.finish_m / 1000:.2f} km, where the running stopped"
    assert sentence in tailed.verdict and "The race is taken to end" not in plain.verdict
    assert tailed.verdict.startswith(plain.verdict[: plain.verdict.index(".") + 1])
