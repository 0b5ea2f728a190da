"""After the race: plan vs actual per split, and where the runner left the plan."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from corpus import SAMPLE_RUNS

import finishline
from finishline.cli import main
from finishline.errors import InputDataError
from finishline.plan.compare import (
    COMPARISON_COLUMNS,
    first_behind_run,
    load_plan,
    plan_vs_actual,
)

COURSE = SAMPLE_RUNS / "TwinCitiesMarathon2014.gpx"
RACE = SAMPLE_RUNS / "TwinCitiesMarathon2014.tcx"


@pytest.fixture(scope="module")
def race() -> finishline.RaceAnalysis:
    return finishline.analyze(RACE)


def _plan_json(tmp_path: Path, goal_s: float, unit: str = "km") -> Path:
    path = tmp_path / f"plan_{goal_s:.0f}_{unit}.json"
    return finishline.plan(COURSE, goal_s=goal_s, unit=unit).write_json(path)


def test_a_plan_made_from_the_course_against_its_own_race(race, tmp_path: Path) -> None:
    """Twin Cities 2014: the TCX of the race against a 3:30 plan from the GPX of its course."""
    result = finishline.analyze(RACE, plan=_plan_json(tmp_path, 12600))
    comparison = result.plan_vs_actual
    table = comparison.table
    assert tuple(table.columns) == COMPARISON_COLUMNS and len(table) == 43
    # the race took its elapsed time: the plan's finish is read at the end of the track
    elapsed = race.summary.elapsed_s
    assert table["actual_cumulative_s"].iloc[-1] == pytest.approx(elapsed, abs=1.0)
    assert comparison.finish_banked_s == pytest.approx(12600 - elapsed, abs=1.0)
    # per split and in total add up
    assert table["banked_s"].sum() == pytest.approx(comparison.finish_banked_s, abs=1e-6)
    assert np.allclose(table["banked_s"].cumsum(), table["banked_cumulative_s"])
    assert np.allclose(table["actual_time_s"].cumsum(), table["actual_cumulative_s"])
    # 4:14 against 3:30: behind from the first km on
    assert comparison.left_plan_split == 1 and comparison.left_plan_start_m == 0.0
    # the track (42.64 km) is placed on the race distance
    assert comparison.distance_scale == pytest.approx(42195.0 / race.race.measured_m)
    data = result.to_json()["plan_vs_actual"]
    assert data["left_plan_label"] == "km 1" and len(data["splits"]) == 43
    assert json.dumps(data, allow_nan=False)
    assert result.to_frame("plan_vs_actual").shape == (43, len(COMPARISON_COLUMNS))


def test_a_plan_at_the_runners_own_time_is_held_to_the_second(race, tmp_path: Path) -> None:
    elapsed = round(race.summary.elapsed_s)
    comparison = finishline.analyze(RACE, plan=_plan_json(tmp_path, elapsed)).plan_vs_actual
    assert abs(comparison.finish_banked_s) <= 1.0
    # a plan 5 % slower than the race: the runner banks time and never leaves it
    easy = finishline.analyze(RACE, plan=_plan_json(tmp_path, elapsed * 1.05)).plan_vs_actual
    assert easy.left_plan_split is None
    assert easy.finish_banked_s == pytest.approx(0.05 * elapsed, abs=1.0)
    assert "never left the plan" in easy.sentence()


def test_a_mile_plan_is_compared_per_mile(tmp_path: Path) -> None:
    comparison = finishline.analyze(RACE, plan=_plan_json(tmp_path, 12600, "mile")).plan_vs_actual
    assert comparison.unit == "mile" and len(comparison.table) == 27
    assert comparison.table["label"].iloc[0] == "mi 1"


def _steady_run(pace_s_per_km: np.ndarray, length_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Distance (m) and clock (s) of a run at a given pace in each km, sampled every second."""
    edges = np.arange(pace_s_per_km.size + 1) * 1000.0
    edge_times = np.r_[0.0, np.cumsum(pace_s_per_km)]
    clock = np.arange(0.0, edge_times[-1] + 1)
    return np.minimum(np.interp(clock, edge_times, edges), length_m), clock


def test_where_the_runner_left_the_plan_on_a_known_run() -> None:
    """A 10 km plan at 5:00/km; the runner holds it to 6 km, then runs every km 5 % slower."""
    plan = {
        "unit": "km",
        "goal_s": 3000.0,
        "targets_km": [
            {
                "split": i + 1,
                "label": f"km {i + 1}",
                "end_m": 1000.0 * (i + 1),
                "target_time_s": 300.0,
                "cumulative_time_s": 300.0 * (i + 1),
            }
            for i in range(10)
        ],
    }
    pace = np.r_[np.full(6, 300.0), np.full(4, 315.0)]
    distance, clock = _steady_run(pace, 10000.0)
    comparison = plan_vs_actual(plan, distance, clock, race_distance_m=10000.0)
    table = comparison.table
    assert np.allclose(table["actual_time_s"], pace, atol=1e-6)
    assert np.allclose(table["banked_s"], 300.0 - pace, atol=1e-6)
    assert comparison.left_plan_split == 7 and comparison.left_plan_start_m == 6000.0
    assert comparison.finish_banked_s == pytest.approx(-60.0)
    # one slow km (a water station) is not leaving the plan
    pace = np.r_[np.full(4, 300.0), 330.0, np.full(5, 300.0)]
    distance, clock = _steady_run(pace, 10000.0)
    assert plan_vs_actual(plan, distance, clock, race_distance_m=10000.0).left_plan_split is None
    # a run that stops at 8 km has no time at 9 and 10 km
    distance, clock = _steady_run(np.full(8, 300.0), 8000.0)
    short = plan_vs_actual(plan, distance, clock, race_distance_m=10000.0)
    assert short.table["actual_cumulative_s"].iloc[-2:].isna().all()
    assert short.finish_banked_s is None and "ended before" in short.sentence()


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ([0, 1, 1, 0, 1, 1, 1, 0], 4),
        ([0, 0, 0, 0, 0, 1, 1], 5),  # to the finish
        ([1, 1, 0, 1, 0], None),
        ([], None),
    ],
)
def test_first_behind_run(flags: list[int], expected: int | None) -> None:
    assert first_behind_run(np.array(flags, dtype=bool), 3) == expected


def test_bad_plans_are_refused_naming_the_file(tmp_path: Path, race) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text('{"format": "something else"}')
    with pytest.raises(InputDataError, match="not a finishline plan") as info:
        load_plan(junk)
    assert info.value.path is not None and "junk.json" in str(info.value.path)
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(InputDataError, match="cannot read the plan"):
        load_plan(tmp_path / "broken.json")
    half = finishline.plan(COURSE, goal_s=12600)
    data = half.to_json() | {"targets_km": half.to_json()["targets_km"][:21]}
    with pytest.raises(InputDataError, match="race-distance"):
        finishline.analyze(RACE, plan=data)


def test_analyze_cli_with_a_plan(tmp_path: Path, capsys) -> None:
    plan = _plan_json(tmp_path, 15000)
    out, page = tmp_path / "race.json", tmp_path / "race.html"
    args = ["analyze", str(RACE), "--plan", str(plan), "--json", str(out), "--html", str(page)]
    assert main(args) == 0
    assert "the plan" in capsys.readouterr().out
    data = json.loads(out.read_text())["plan_vs_actual"]
    assert data["unit"] == "km" and data["rule"] == {"behind_margin": 0.02, "behind_run": 3}
    assert 'data-figure="plan_vs_actual"' in page.read_text()
    assert main(["analyze", str(RACE), "--plan", str(tmp_path / "none.json")]) == 2
    assert "none.json" in capsys.readouterr().err
    # without a plan: no section, null in the JSON, an empty table
    result = finishline.analyze(RACE)
    assert result.to_json()["plan_vs_actual"] is None
    assert isinstance(result.to_frame("plan_vs_actual"), pd.DataFrame)
    assert result.to_frame("plan_vs_actual").empty
