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
  ``race_bounds.race_end``, 5 min standing turned "held, 13 % faster" into "failed, 39 % slower",
  and 10 min walking into "failed, 49 % slower, with 600 s walking".
- with a cool-down after the finish: standing 5 min or walking 10 min in the finish area, then
  jogging 2-3 km at 2.0-2.2 m/s (the race ran at 2.77 m/s), recorded every 7 s as the device
  recorded the race (or 4 s): 30 min of 1 s points would change the file's sampling interval,
  which clean's gap interpolation and elevation source are judged on. Before
  ``race_bounds.cool_down``, the file was a "45 km ultra (measured)" whose final mile was the jog.
- with a warm-up before the start: 3 km jogged at 2.2 m/s, out and back, then 15 min standing
  at the start (and the cool-down above after it). Every race number, and every split, must be
  the plain file's, counted from the start. Before ``race_bounds.warm_up``, the file was a "46 km
  ultra (measured)" with cardiac drift "at 5 km", and the wait in its third km's split.
- with the last 800 m walked (the runner hit the wall with the line in sight), the watch
  stopped on the line or left running 5 min more. The walk to 42.195 km is the race's end:
  the final mile fails on walking. Before ``race_bounds.finish`` took it in, the walk was "after
  the finish" and the final mile "held, 5 % faster". The watch measured this course 0.8 %
  long, so the walk's last 335 m, past 42.195 km, are left out.
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

from finishline import plan, read
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


def with_a_cool_down(
    tmp: Path,
    stop_s: int,
    stop_mps: float,
    jog_m: float,
    jog_mps: float,
    every_s: int,
    source: Path = SOURCE,
) -> Path:
    """The ``source`` GPX going on after its last point: ``stop_s`` standing or walking at
    ``stop_mps``, then ``jog_m`` jogged at ``jog_mps``, recorded every ``every_s``."""
    jog_s = int(round(jog_m / jog_mps))
    text = source.read_text()
    last = re.findall(r'<trkpt lon="([^"]+)" lat="([^"]+)">.*?<time>([^<]+)</time>', text, re.S)[-1]
    lon, lat, t_end = float(last[0]), float(last[1]), datetime.strptime(last[2], STAMP)

    def north_m(s: int) -> float:
        return stop_mps * min(s, stop_s) + jog_mps * max(s - stop_s, 0)

    points = "".join(
        f'<trkpt lon="{lon}" lat="{lat + north_m(s) / 111_195.0}"><ele>259.2</ele>'
        f"<time>{(t_end + timedelta(seconds=s)).strftime(STAMP)}</time></trkpt>"
        for s in range(every_s, stop_s + jog_s + 1, every_s)
    )
    end = text.rindex("</trkseg>")
    path = tmp / f"cool_{stop_s}_{stop_mps}_{jog_m}_{jog_mps}.gpx"
    path.write_text(text[:end] + points + text[end:])
    return path


def with_a_warm_up(tmp: Path, warm_m: float, warm_mps: float, wait_s: int, every_s: int) -> Path:
    """The source GPX with ``warm_m`` jogged at ``warm_mps`` (north and back to the start),
    then ``wait_s`` standing at the start, before its first point, recorded every ``every_s``
    (every later time shifted)."""
    text = SOURCE.read_text()
    head, body = text.split("<trkseg>", 1)
    first = re.search(r'<trkpt lon="([^"]+)" lat="([^"]+)">', body)
    lon, lat = first.group(1), float(first.group(2))
    t0 = datetime.strptime(re.search(r"<time>([^<]+)</time>", body).group(1), STAMP)
    warm_s = int(warm_m / warm_mps)

    def north_m(s: int) -> float:
        out = warm_mps * min(s, warm_s)
        return out if out < warm_m / 2 else max(warm_m - out, 0.0)

    def later(match: re.Match) -> str:
        moved = datetime.strptime(match.group(1), STAMP) + timedelta(seconds=warm_s + wait_s)
        return f"<time>{moved.strftime(STAMP)}</time>"

    before = "".join(
        f'<trkpt lon="{lon}" lat="{lat + north_m(s) / 111_195.0}"><ele>259.2</ele>'
        f"<time>{(t0 + timedelta(seconds=s)).strftime(STAMP)}</time></trkpt>"
        for s in range(0, warm_s + wait_s, every_s)
    )
    path = tmp / f"warm_{warm_m}_{warm_mps}_{wait_s}.gpx"
    path.write_text(f"{head}<trkseg>{before}{re.sub(r'<time>([^<]+)</time>', later, body)}")
    return path


def with_a_walk_in(tmp: Path, walk_m: float, walk_mps: float, after_s: int) -> Path:
    """The source GPX with its last ``walk_m`` walked at ``walk_mps`` (north from where the
    running stopped), then ``after_s`` more standing at the end, recorded every 7 s."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        samples = read(SOURCE).samples
    dist = samples["distance_m"].to_numpy(float)
    stop_at = samples.index[int(np.searchsorted(dist, dist[-1] - walk_m))].tz_localize(None)
    text = SOURCE.read_text()
    head, body = text.split("<trkseg>", 1)
    points = re.findall(r"<trkpt .*?</trkpt>", body, re.S)
    kept = [p for p in points if datetime.strptime(_time(p), STAMP) <= stop_at]
    last = re.search(r'<trkpt lon="([^"]+)" lat="([^"]+)">', kept[-1])
    lon, lat, t_end = last.group(1), float(last.group(2)), datetime.strptime(_time(kept[-1]), STAMP)
    walk_s = int(walk_m / walk_mps)
    walked = "".join(
        f'<trkpt lon="{lon}" lat="{lat + walk_mps * min(s, walk_s) / 111_195.0}">'
        f"<ele>259.2</ele><time>{(t_end + timedelta(seconds=s)).strftime(STAMP)}</time></trkpt>"
        for s in range(7, walk_s + after_s + 1, 7)
    )
    path = tmp / f"walk_in_{walk_m}_{after_s}.gpx"
    path.write_text(f"{head}<trkseg>{''.join(kept)}{walked}</trkseg></trk></gpx>")
    return path


def _time(point: str) -> str:
    return re.search(r"<time>([^<]+)</time>", point).group(1)


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


def _same_models(other, plain, *, risk_rtol: float = 0.0, risk_atol: float = 1e-3) -> None:
    """``other`` (the plain file with more before or after the race) gets the plain file's
    fatigue, Pa:HR, risk (clock within 1 s, risk within the tolerances, the same sentence) and
    plan comparison (within 2 s a split)."""
    np.testing.assert_equal(other.fatigue.onset_km, plain.fatigue.onset_km)
    assert other.fatigue.signal_onsets_km == plain.fatigue.signal_onsets_km
    assert other.decoupling.pa_hr == pytest.approx(plain.decoupling.pa_hr, abs=2e-3)
    a_risk, b_risk = plain.risk.table, other.risk.table
    assert b_risk["km"].tolist() == a_risk["km"].tolist()
    np.testing.assert_allclose(b_risk["clock_s"], a_risk["clock_s"], atol=1.0)
    np.testing.assert_allclose(b_risk["p_fail"], a_risk["p_fail"], rtol=risk_rtol, atol=risk_atol)
    risk_sentence = plain.verdict[plain.verdict.index("At 30 km") :]
    assert other.verdict[other.verdict.index("At 30 km") :] == risk_sentence
    pd.testing.assert_frame_equal(
        other.plan_vs_actual.table, plain.plan_vs_actual.table, check_exact=False, atol=2.0
    )


@pytest.mark.parametrize(
    ("stop_s", "stop_mps", "jog_m", "jog_mps", "every_s"),
    [(300, 0.0, 3000.0, 2.2, 7), (600, 1.2, 2000.0, 2.1, 7), (600, 1.2, 2000.0, 2.0, 4)],
)
def test_a_cool_down_after_the_finish_changes_no_race_number(
    tmp_path, stop_s, stop_mps, jog_m, jog_mps, every_s
):
    plain = without_a_wait()
    cooled = analyze_quietly(with_a_cool_down(tmp_path, stop_s, stop_mps, jog_m, jog_mps, every_s))
    assert cooled.summary.distance_m > plain.summary.distance_m + jog_m * 0.95
    assert cooled.race.key == plain.race.key == "marathon"
    a, b = plain.final_mile, cooled.final_mile
    assert (b.failed, b.walk_s, b.stop_s) == (a.failed, a.walk_s, a.stop_s) == (False, 0.0, 0.0)
    assert b.time_s == pytest.approx(a.time_s, abs=5)
    assert b.finish_m == pytest.approx(a.finish_m, abs=5 * 1.5)
    cool = b.cool_down
    assert a.cool_down is None and cool is not None and cool.race_m == 42_195.0
    assert cool.stop_s == pytest.approx(stop_s, abs=every_s + 5)
    assert cool.distance_m == pytest.approx(jog_m, rel=0.03)
    assert cool.speed_share == pytest.approx(jog_mps / 2.77, rel=0.05)
    # the plan's splits: the race's distance is where the last second going ends, which
    # clean's 5 s speed window at the file's edge may move by a second
    _same_models(cooled, plain, risk_rtol=1e-3, risk_atol=0.0)
    sentence = (
        f"The race is taken to end at {b.finish_m / 1000:.2f} km, where you stopped for "
        f"{round(cool.stop_s / 60)} min once past the race distance (42.195 km): the "
        f"{cool.distance_m / 1000:.1f} km run after that stop"
    )
    assert sentence in cooled.verdict
    assert cooled.verdict.startswith(plain.verdict[: plain.verdict.index(".") + 1])


def test_a_jog_at_the_race_pace_after_the_finish_is_cut_only_when_the_distance_is_given(tmp_path):
    """2 km at the race's own speed after 5 min standing: from distance and speed alone that
    could be the rest of a longer race (an aid station), so it is kept; given "marathon", it
    is past the race."""
    path = with_a_cool_down(tmp_path, 300, 0.0, 2000.0, 2.8, 7)
    plain = without_a_wait()
    kept = analyze_quietly(path)
    assert kept.final_mile.cool_down is None
    assert kept.final_mile.finish_m > plain.final_mile.finish_m + 1900
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        given = analyze(path, race_distance_m=42_195.0)
    assert given.race.key == "marathon" and given.final_mile.cool_down is not None
    assert given.final_mile.finish_m == pytest.approx(plain.final_mile.finish_m, abs=5 * 1.5)
    assert given.final_mile.pace_ratio == pytest.approx(plain.final_mile.pace_ratio, rel=2e-3)


@pytest.mark.parametrize("cool", [False, True])
def test_a_warm_up_before_the_start_changes_no_race_number(tmp_path, cool):
    plain = without_a_wait()
    path = with_a_warm_up(tmp_path, 3000.0, 2.2, 900, 7)
    if cool:  # and a cool-down after the finish
        path = with_a_cool_down(tmp_path, 600, 1.2, 2000.0, 2.1, 7, source=path)
    warm = analyze_quietly(path)
    assert warm.warm_up is not None and warm.warm_up.race_m == 42_195.0
    assert warm.warm_up.distance_m == pytest.approx(3000.0, rel=0.03)
    assert warm.warm_up.wait_s == pytest.approx(900, abs=8)
    assert warm.race.key == plain.race.key == "marathon"
    if not cool:  # the summary and splits run from the start to the end of the file
        assert warm.summary.distance_m == pytest.approx(plain.summary.distance_m, abs=3.0)
        assert warm.summary.elapsed_s == pytest.approx(plain.summary.elapsed_s, abs=2.0)
    whole_km = len(plain.splits_km) - 1
    np.testing.assert_allclose(
        warm.splits_km["time_s"][:whole_km],
        plain.splits_km["time_s"][:whole_km],
        atol=2.0,
        err_msg="splits",
    )
    a, b = plain.final_mile, warm.final_mile
    assert (b.failed, b.walk_s, b.stop_s) == (a.failed, a.walk_s, a.stop_s)
    assert b.pace_ratio == pytest.approx(a.pace_ratio, rel=2e-3)
    assert b.finish_m == pytest.approx(a.finish_m, abs=5 * 1.5)
    assert (b.cool_down is not None) == cool
    # the clock starts at the wait's last second, the plain file's at its first point: the
    # clock at each km moves by under a second, the risk by under 0.1 point (shown to 1 point)
    _same_models(warm, plain)
    sentence = (
        f"The race is taken to start {round(warm.warm_up.set_off_s / 60)} min into the file, "
        f"{warm.warm_up.set_off_m / 1000:.1f} km in, where you set off after a 15 min wait: the "
        f"{warm.warm_up.distance_m / 1000:.1f} km run before it"
    )
    assert sentence in warm.verdict and "taken to start" not in plain.verdict
    assert warm.to_json()["warm_up"]["set_off_row"] == warm.warm_up.set_off_row


def test_a_warm_up_at_the_race_pace_is_cut_only_when_the_distance_is_given(tmp_path):
    path = with_a_warm_up(tmp_path, 3000.0, 2.8, 900, 7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert analyze(path).warm_up is None
        given = analyze(path, race_distance_m=42_195.0)
    assert given.warm_up is not None and given.race.key == "marathon"
    plain = without_a_wait()
    assert given.final_mile.pace_ratio == pytest.approx(plain.final_mile.pace_ratio, rel=2e-3)


def test_the_command_says_how_far_the_race_ran(tmp_path, capsys):
    """``finishline analyze`` gives the distance from the start to the end of the file and,
    when a cool-down or walk-off follows the race, the distance raced."""
    from finishline.cli import main

    path = with_a_cool_down(tmp_path, 600, 1.2, 2000.0, 2.1, 7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = analyze(path)
        assert main(["analyze", str(path)]) == 0
        out = capsys.readouterr().out
        assert main(["analyze", str(SOURCE)]) == 0
        plain = capsys.readouterr().out
    raced, whole = result.race.measured_m / 1000, result.summary.distance_m / 1000
    assert whole > raced + 2.0
    assert f"distance              {whole:.2f} km ({raced:.2f} km raced)\n" in out
    assert "km raced" not in plain


@pytest.mark.parametrize("after_s", [0, 300])
def test_a_walk_to_the_line_is_the_end_of_the_race(tmp_path, after_s):
    plain = without_a_wait()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        walked = analyze(with_a_walk_in(tmp_path, 800.0, 1.2, after_s))
    fm = walked.final_mile
    assert walked.race.key == "marathon" and fm.walked_in and fm.cool_down is None
    assert fm.finish_m == pytest.approx(42_195.0, abs=2.0)
    # walked from 42.53 - 0.80 = 41.73 km to 42.195 km at 1.2 m/s: 385 s
    assert fm.failed and fm.walked and fm.walk_s == pytest.approx(385.0, abs=15.0)
    assert fm.after_finish_s == pytest.approx(after_s + (42_527.0 - 42_195.0) / 1.2, abs=15)
    assert walked.verdict.startswith("Final mile failed")
    assert not plain.final_mile.failed and not plain.final_mile.walked_in
    said = "km, the race distance, which you reached walking: the"
    assert said in walked.verdict


def test_a_plan_made_from_a_run_file_takes_only_its_race_as_the_course(tmp_path):
    """Last year's race file with a warm-up, a wait and a cool-down plans as the plain file
    does: its course is the race (``plan.course.race_part``), and the plan says what it left
    out of the file."""
    path = with_a_warm_up(tmp_path, 3000.0, 2.2, 900, 7)
    path = with_a_cool_down(tmp_path, 600, 1.2, 2000.0, 2.1, 7, source=path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        made = plan(path, goal_s=15_000).to_json()
    plain = race_plan()
    for key in ("race", "targets_km", "targets_mile", "risk", "planned_finish_s"):
        assert made[key] == plain[key], key
    for key in ("course_length_m", "distance_scale", "elevation_gain_m", "elevation_loss_m"):
        assert made["course"][key] == plain["course"][key], key
    said = [
        str(w.message) for w in caught if "the course is the race in this run" in str(w.message)
    ]
    assert (
        len(said) == 1
        and "the warm-up and the wait before it and what follows its finish" in said[0]
    )
