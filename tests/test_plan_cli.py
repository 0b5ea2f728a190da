"""``finishline plan``: outputs a runner can carry, one-line errors, a goal from a season."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from corpus import CORPUS, SAMPLE_RUNS, require_shared
from garmin_fit_sdk import Decoder, Stream

from finishline.cli import main
from finishline.formatting import format_duration

COURSE = str(SAMPLE_RUNS / "TwinCitiesMarathon2014.gpx")


def test_plan_writes_html_csv_fit_and_json(tmp_path: Path, capsys) -> None:
    out = {ext: tmp_path / f"plan.{ext}" for ext in ("html", "csv", "fit", "json")}
    args = ["plan", COURSE, "--goal", "3:30:00", "--temperature-c", "12"]
    for ext, path in out.items():
        args += [f"--{ext}", str(path)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "final-mile risk" in printed and "3:30:00" in printed and "km 43" in printed
    plan = json.loads(out["json"].read_text())
    targets = plan["targets_km"]
    assert abs(sum(t["target_time_s"] for t in targets) - plan["planned_finish_s"]) <= 1.0
    assert plan["conditions"]["temperature_c"] == 12.0
    messages, errors = Decoder(Stream.from_byte_array(bytearray(out["fit"].read_bytes()))).read()
    assert errors == []
    steps = messages["workout_step_mesgs"]
    assert len(steps) == len(targets) == 43
    for step, target in zip(steps, targets, strict=True):
        assert step["duration_distance"] == pytest.approx(target["distance_m"], abs=0.005)
        low, high = step["custom_target_speed_low"], step["custom_target_speed_high"]
        assert low == pytest.approx(target["speed_low_mps"], abs=5e-4)
        assert high == pytest.approx(target["speed_high_mps"], abs=5e-4)
    assert out["csv"].read_text().count("\n") == 44
    page = out["html"].read_text()
    assert 'id="fl-pace-band"' in page and format_duration(targets[-1]["cumulative_time_s"]) in page


def test_plan_in_miles_has_one_fit_step_per_mile(tmp_path: Path) -> None:
    fit, js = tmp_path / "plan.fit", tmp_path / "plan.json"
    args = ["plan", COURSE, "--goal", "3:30:00", "--unit", "mile", "--fit", str(fit)]
    assert main([*args, "--json", str(js)]) == 0
    messages, _ = Decoder(Stream.from_byte_array(bytearray(fit.read_bytes()))).read()
    assert len(messages["workout_step_mesgs"]) == len(json.loads(js.read_text())["targets_mile"])
    assert len(messages["workout_step_mesgs"]) == 27


def test_json_to_stdout_is_json_only(capsys) -> None:
    assert main(["plan", COURSE, "--goal", "3:30:00", "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["goal_s"] == 12600


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--risk-limit", "0.2"], "--risk-limit needs a predicted ability"),
        (["--goal", "3:75:00"], "not a duration"),
        ([], "give a goal time"),
        (["--goal", "3:30:00", "--risk-limit", "0.1"], "not allowed with argument"),
        (["--risk-limit", "2"], "outside"),
        (["--goal", "3:30:00", "--dew-point-c", "30", "--temperature-c", "20"], "dew point"),
        (["--goal", "3:30:00", "--dew-point-c", "10"], "needs the air temperature"),
    ],
)
def test_bad_requests_are_one_line_and_exit_2(args: list[str], message: str, capsys) -> None:
    assert main(["plan", COURSE, *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err


@pytest.mark.real
def test_season_gives_the_goal_and_the_readiness(tmp_path: Path, capsys) -> None:
    """The goal is what ``finishline train`` predicts for the same folder (VDOT)."""
    require_shared(CORPUS)
    season = tmp_path / "season"
    season.mkdir()
    for path in sorted((CORPUS / "gpx").glob("runpandas__session_*.gpx")):
        shutil.copy(path, season / path.name)
    assert main(["train", str(season), "--json", str(tmp_path / "season.json")]) == 0
    trained = json.loads((tmp_path / "season.json").read_text())
    marathon = next(
        p
        for p in trained["predictions"]["races"]
        if p["race"] == "marathon" and p["method"] == "vdot"
    )
    assert main(["plan", COURSE, "--season", str(season), "--json", str(tmp_path / "p.json")]) == 0
    plan = json.loads((tmp_path / "p.json").read_text())
    assert plan["goal_source"] == "season"
    assert any(w.startswith("goal: the season's predicted time") for w in plan["warnings"])
    assert plan["goal_s"] == pytest.approx(marathon["time_s"])
    risk = plan["risk"]
    assert risk["ability_source"] == "season" and risk["over_ambition"] == pytest.approx(1.0)
    shape = trained["readiness"]["marathon_shape"]
    assert risk["inputs"]["long_run_pct"] == pytest.approx(shape["long_run_pct"])
    assert risk["inputs"]["volume_pct"] == pytest.approx(shape["volume_pct"])
    # with the season's prediction, a risk limit finds a goal at or under it
    limit = round(risk["p_fail"] + 0.05, 2)
    args = ["plan", COURSE, "--season", str(season), "--risk-limit", str(limit)]
    assert main([*args, "--json", str(tmp_path / "r.json")]) == 0
    limited = json.loads((tmp_path / "r.json").read_text())
    assert limited["risk"]["p_fail"] <= limit and limited["goal_s"] < plan["goal_s"]
