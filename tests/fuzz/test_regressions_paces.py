"""Regression tests for the analysis failures the fuzz run found, on small generated files.

Each broken file runs through ``finishline analyze`` in a forked child (as the fuzz harness
runs it, capped at 2 GiB and 30 s) and must give strict JSON within physical ranges or a
one-line error; then the figures that used to be impossible are checked for what they should
say instead: a pace over no running time is None (not 0 s/km), a final-mile ratio without a
reference pace is None with the reason, the device timer is range-checked, the glycogen store
is used up to 100 % and no more, and a file of low heart rate gets no zones (not an internal
error).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import finishline.analysis  # imported once here, not in every forked child
import finishline.cli  # noqa: F401
from finishline.fatigue.pace_fade import reference_speed_mps
from finishline.viz.theme import pace_strings
from fuzz.classify import classify, strict_json
from fuzz.runner import run_cli
from fuzz.synth import WRITERS, Track, fit_bytes, run_track

DEG_PER_M = 1.0 / 111_195.0
PACE_S_PER_KM = 1000.0 / 3.0  # run_track's steady 3 m/s


def _along(track: Track, distance_m: np.ndarray) -> Track:
    """``track`` at ``distance_m``, its positions moved along run_track's line to match."""
    lat = 45.0 + distance_m * DEG_PER_M * 0.6
    lon = 7.0 + distance_m * DEG_PER_M * 0.8 / np.cos(np.radians(45.0))
    return track.with_(distance_m=distance_m, lat=lat, lon=lon)


def _moved(track: Track, at: int, gap_s: float, jump_m: float) -> Track:
    """``track`` with a recording gap of ``gap_s`` before point ``at``, across which the
    distance (and the position, along the same line) jumps by ``jump_m``."""
    t = track.t_s.copy()
    t[at:] += gap_s
    d = track.distance_m.copy()
    d[at:] += jump_m
    return _along(track.with_(t_s=t), d)


def _run(tmp_path: Path, data: bytes, suffix: str, command: str = "analyze") -> dict:
    """``analyze --json`` (or ``--html``) on the file: strict JSON in physical ranges."""
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(data)
    argv = {
        "analyze": ["analyze", str(path), "--json", "-"],
        "summary": ["summary", str(path), "--json"],
        "html": ["analyze", str(path), "--html", str(tmp_path / "report.html")],
    }[command]
    result = run_cli(argv, workdir=str(tmp_path))
    verdict = classify(result, command)
    assert verdict.cls == "ok", (verdict.cls, verdict.problems, result.stderr[-2000:])
    assert result.seconds < 30 and result.peak_rss_mb < 1500
    return {} if command == "html" else strict_json(result.stdout)


@pytest.mark.parametrize("fmt", ["fit", "tcx"])
def test_a_jump_across_a_gap_leaves_its_splits_and_the_reference_without_pace(tmp_path, fmt):
    # 10.8 km at 3 m/s; at 4.5 km the watch loses 60 s and the distance jumps 2.5 km (42 m/s,
    # no runner): km 5-7 came mostly in the jump, and the jump is most of the 13.3 km race's
    # 2.7-6.6 km reference window.
    broken = _moved(run_track(n=1200), at=500, gap_s=60.0, jump_m=2500.0)
    out = _run(tmp_path, WRITERS[fmt](broken), f".{fmt}")
    jumped = [s["split"] for s in out["splits"] if s["pace_s_per_km"] is None]
    assert jumped == [5, 6, 7]
    for split in out["splits"]:
        if split["split"] in jumped:
            assert split["moving_pace_s_per_km"] is None and split["gap_pace_s_per_km"] is None
        elif not split["partial"]:
            assert split["moving_pace_s_per_km"] == pytest.approx(PACE_S_PER_KM, rel=0.01)
    per_km = out["fatigue"]["per_km"]
    assert [k["speed_mps"] is None for k in per_km] == [k in jumped for k in range(1, 15)]
    fm = out["final_mile"]
    assert fm["pace_ratio"] is None and out["summary"]["final_mile_pace_ratio"] is None
    assert fm["note"].startswith("the 2.7-6.6 km reference window has no pace")
    assert fm["note"] in out["verdict"]
    _run(tmp_path, WRITERS[fmt](broken), f".{fmt}", "html")


def test_a_jump_in_the_final_mile_gives_no_ratio_and_says_why(tmp_path):
    broken = _moved(run_track(n=1200), at=1150, gap_s=30.0, jump_m=1200.0)
    fm = _run(tmp_path, fit_bytes(broken), ".fit")["final_mile"]
    assert fm["pace_ratio"] is None and fm["pace_s_per_km"] is None
    assert fm["note"].startswith("the final mile has no pace")


def test_distance_covered_only_across_a_pause_has_no_pace(tmp_path):
    # Standing for 10 min, then 30 min later one record 540 m on (0.3 m/s across: a pause
    # whose distance arrives at its end). No second of running: no pace, not 0 s/km.
    still = run_track(n=200, speed_mps=0.0)
    end = still.taken(np.r_[np.arange(200), 199])
    t = end.t_s.copy()
    t[-1] += 1800.0
    broken = _moved(end.with_(t_s=t), at=200, gap_s=0.0, jump_m=540.0)
    out = _run(tmp_path, fit_bytes(broken), ".fit")
    summary = out["summary"]
    assert summary["moving_s"] == 0
    assert summary["moving_pace_s_per_km"] is None and summary["gap_pace_s_per_km"] is None
    assert all(s["moving_pace_s_per_km"] is None for s in out["splits"])


@pytest.mark.parametrize("timer_s", [3.58412e6, 0.0])
def test_an_impossible_device_timer_is_not_reported(tmp_path, timer_s):
    track = run_track()  # 29:57
    out = _run(tmp_path, fit_bytes(track, timer_s=timer_s), ".fit")
    assert out["summary"]["device_timer_s"] is None
    good = _run(tmp_path, fit_bytes(track, timer_s=1790.0), ".fit")
    assert good["summary"]["device_timer_s"] == pytest.approx(1790.0)


def test_the_glycogen_store_is_used_up_to_all_of_it_and_no_more(tmp_path):
    # A marathon at 3 m/s near max HR: Rapoport's model empties the 1,520 kcal store at
    # about 23 km; past it the fraction used stays 1 and the fuel distance goes negative.
    track = run_track(n=2820, interval_s=5.0)
    hot = track.with_(hr=np.full(2820, 180.0))
    path = tmp_path / "hot.fit"
    path.write_bytes(fit_bytes(hot))
    result = run_cli(
        ["analyze", str(path), "--json", "-", "--max-hr", "185", "--rest-hr", "50"],
        workdir=str(tmp_path),
    )
    verdict = classify(result, "analyze")
    assert verdict.cls == "ok", (verdict.cls, verdict.problems, result.stderr[-2000:])
    per_km = strict_json(result.stdout)["fatigue"]["per_km"]
    used = np.array([k["glycogen_used_fraction"] for k in per_km])
    fuel = np.array([k["fuel_distance_km"] for k in per_km])
    assert (used >= 0).all() and (used <= 1).all()
    assert (np.diff(used) >= 0).all()
    empty = used == 1.0
    assert 15 < np.argmax(empty) < 30 and empty[np.argmax(empty) :].all()
    assert (fuel[empty] <= 0).all() and (fuel[~empty] > 0).all()


def test_heart_rate_below_the_resting_default_gives_no_zones(tmp_path):
    # every beat 45 bpm: the estimated max HR is below the 50 bpm resting default
    low = run_track().with_(hr=np.full(600, 45.0))
    out = _run(tmp_path, fit_bytes(low), ".fit")
    assert out["zones"] in ([], {}, None)


def test_pace_strings_of_no_finite_pace():
    # a pool swim's splits have no pace: the HTML report's hover texts are all "-"
    assert list(pace_strings(np.array([np.nan, np.inf]))) == ["-", "-"]
    assert pace_strings(np.array([])).size == 0


def test_a_reference_window_mostly_stopped_gives_no_ratio(tmp_path):
    # 10.8 km; at 3.6 km (inside the 2.2-5.4 km reference window of the race) the runner
    # stands for an hour with the watch recording: the window's clock pace is no running pace
    track = run_track(n=1200)
    place = np.r_[np.arange(400), np.full(1200, 399), np.arange(400, 1200)]
    stood = track.taken(place).with_(t_s=track.t_s[0] + np.arange(place.size) * 3.0)
    fm = _run(tmp_path, fit_bytes(stood), ".fit")["final_mile"]
    assert fm["pace_ratio"] is None
    assert (
        fm["note"] == "the 2.2-5.4 km reference window was mostly stopped: moving 18 of its 78 min"
    )


def test_kilometres_at_a_vehicles_speed_have_no_pace_ratio(tmp_path):
    # a mislabelled file: 3 km run, then 10 km at 12 m/s (a ride), then 3 km run again
    speed = np.r_[np.full(333, 3.0), np.full(278, 12.0), np.full(333, 3.0)]
    d = np.r_[0.0, np.cumsum(speed[:-1] * 3.0)]
    mixed = _along(run_track(n=speed.size), d)
    out = _run(tmp_path, WRITERS["tcx"](mixed), ".tcx")
    per_km = out["fatigue"]["per_km"]
    fast = [k["speed_mps"] > 6.5 for k in per_km]
    assert sum(fast) >= 8
    assert all((k["pace_ratio"] is None) == f for k, f in zip(per_km, fast, strict=True))


def test_a_recording_of_seconds_has_no_reference_speed(tmp_path):
    # 30 s, 60 m: no minute of moving time to take a reference pace from (a reference of a
    # few seconds once made a kilometre "10 times faster" than it)
    tiny = run_track(n=31, interval_s=1.0, speed_mps=2.0)
    out = _run(tmp_path, fit_bytes(tiny), ".fit")
    assert all(k["pace_ratio"] is None for k in out["fatigue"]["per_km"])


def test_a_reference_window_of_zero_speed_gives_no_reference():
    # garbage speed values (all 0) under a distance that goes on: a reference speed of 0
    # once gave every kilometre a pace ratio of 0
    n = 600
    index = pd.date_range("2024-10-06 08:00", periods=n, freq="s", tz="UTC")
    track = pd.DataFrame(
        {
            "elapsed_s": np.arange(n, dtype=float),
            "distance_m": np.arange(n) * 3.0,
            "moving": np.ones(n, dtype=bool),
            "speed_mps": np.zeros(n),
        },
        index=index,
    )
    assert np.isnan(reference_speed_mps(track, 0.0, 1500.0))
    moving = track.assign(speed_mps=3.0)
    assert reference_speed_mps(moving, 0.0, 1500.0) == pytest.approx(3.0)
