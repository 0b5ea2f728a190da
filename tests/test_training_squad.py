"""Squads: layout rule, one batch split per athlete, the team table, flags, JSON and HTML."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from corpus import CORPUS, require_shared

from finishline.athlete import Athlete, load_athlete
from finishline.cli import main
from finishline.errors import InputDataError
from finishline.training.batch import read_many
from finishline.training.readiness import pre_race_risk
from finishline.training.season import analyze_season
from finishline.training.squad import analyze_squad, read_squad
from finishline.training.team import (
    ACWR_SPIKE,
    MIN_LONG_RUNS,
    SQUAD_COLUMNS,
    STALE_DAYS,
    squad_row,
    squad_table,
)
from finishline.viz.squad_report import squad_report_html

pytestmark = pytest.mark.real  # every test here reads ../shared

BAD_FILE = "bad/runpandas__malformed__nosport_nodist.tcx"
BOB_GOAL_S = 4 * 3600.0


def _sessions() -> list[Path]:
    require_shared(CORPUS)
    return sorted((CORPUS / "gpx").glob("runpandas__session_*.gpx"))


@pytest.fixture(scope="module")
def squad_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """alice: the first half of the sessions; bob: the second half, a corrupt file and a
    config; carol: junk only; a README at the top."""
    sessions = _sessions()
    root = tmp_path_factory.mktemp("squad")
    for name in ("alice", "bob", "carol"):
        (root / name).mkdir()
    for i, path in enumerate(sessions):
        shutil.copy(path, root / ("alice" if i < len(sessions) // 2 else "bob") / path.name)
    shutil.copy(CORPUS / BAD_FILE, root / "bob" / Path(BAD_FILE).name)
    (root / "bob" / "athlete.toml").write_text(
        f'name = "Bob B"\nsex = "female"\nage = 41\ngoal_marathon_s = {BOB_GOAL_S}\n'
    )
    (root / "carol" / "broken.fit").write_bytes(b"\x0e\x10" + b"\x00" * 40)
    (root / "README.txt").write_text("our team")
    return root


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def analysed(squad_dir: Path, cache_dir: Path) -> tuple:
    with pytest.warns(Warning):  # HRmax/HRrest estimates, re-issued with the athlete's name
        squad = read_squad(squad_dir, cache_dir=cache_dir, progress=False, workers=2)
        result = analyze_squad(squad)
    return squad, result, result.table


def test_every_file_accounted(squad_dir: Path, analysed: tuple) -> None:
    squad, result, _ = analysed
    on_disk = sorted(str(p) for p in squad_dir.rglob("*") if p.is_file())
    analysed_files = [f for s in result.seasons.values() for f in s.activities["file"]]
    skipped = squad.all_skipped()
    assert squad.n_files == len(on_disk)
    assert sorted(analysed_files + skipped["file"].tolist()) == on_disk
    reasons = dict(zip(skipped["file"].map(lambda f: Path(f).name), skipped["reason"], strict=True))
    assert reasons[Path(BAD_FILE).name] == "corrupt"
    assert reasons["broken.fit"] == "corrupt"
    assert reasons["athlete.toml"] == reasons["README.txt"] == "not an activity"
    owners = dict(zip(skipped["file"].map(lambda f: Path(f).name), skipped["athlete"], strict=True))
    assert owners[Path(BAD_FILE).name] == "Bob B" and owners["broken.fit"] == "carol"
    assert pd.isna(owners["README.txt"])


def test_names_and_configs(analysed: tuple) -> None:
    squad, result, table = analysed
    assert [m.name for m in squad.members] == ["alice", "Bob B", "carol"]
    assert list(table["name"]) == ["alice", "Bob B", "carol"]
    bob = next(m for m in squad.members if m.name == "Bob B")
    assert (bob.athlete.sex, bob.athlete.age, bob.athlete.goal_marathon_s) == ("F", 41, BOB_GOAL_S)
    assert bob.athlete.source("goal_marathon_s") == "config"
    assert result.seasons["alice"].athlete.goal_marathon_s is None
    assert list(table.columns) == list(SQUAD_COLUMNS)


def test_table_equals_each_athlete_alone(squad_dir: Path, cache_dir: Path, analysed: tuple) -> None:
    _, result, table = analysed
    seasons = result.seasons
    configs = {
        "alice": Athlete.given(name="alice"),
        "Bob B": load_athlete(squad_dir / "bob" / "athlete.toml"),
    }
    for name, folder in (("alice", "alice"), ("Bob B", "bob")):
        batch = read_many(squad_dir / folder, cache_dir=cache_dir, progress=False, workers=1)
        with pytest.warns(Warning):
            alone = analyze_season(batch, configs[name])
        row = table.set_index("name").loc[name]
        pd.testing.assert_frame_equal(
            seasons[name].activities.drop(columns="cached"),
            alone.activities.drop(columns="cached"),
        )
        last = alone.load.iloc[-1]
        assert row["runs"] == len(alone.activities) > 20
        for col in ("ctl", "atl", "tsb", "acwr"):
            assert row[col] == pytest.approx(last[col], rel=1e-12)
        cs = alone.critical_speed
        if cs.valid:
            assert row["critical_speed_mps"] == pytest.approx(cs.critical_speed_mps)
            assert row["d_prime_m"] == pytest.approx(cs.d_prime_m)
        else:  # the table shows no critical speed the fit rejected
            assert pd.isna(row["critical_speed_mps"]) and pd.isna(row["d_prime_m"])
        races = {(p["race"], p["method"]): p for p in alone.predictions.to_dict("records")}
        vdot_m = races[("marathon", "vdot")]
        assert row["predicted_marathon_s"] == pytest.approx(vdot_m["time_s"])
        assert row["predicted_marathon_low_s"] < row["predicted_marathon_s"]
        assert row["predicted_marathon_s"] < row["predicted_marathon_high_s"]
        if cs.valid:
            assert row["predicted_marathon_cs_s"] == pytest.approx(
                races[("marathon", "critical_speed")]["time_s"]
            )
        else:
            assert ("marathon", "critical_speed") not in races
            assert pd.isna(row["predicted_marathon_cs_s"])
        shape = alone.readiness.marathon_shape["shape_pct"]
        assert row["readiness_pct"] == pytest.approx(shape)
        # weekly volume and long runs, recounted from the athlete's own activity entries
        entries = alone.to_json()["activities"]
        starts = pd.to_datetime([a["start_time"] for a in entries], utc=True, format="ISO8601")
        km = np.array([a["distance_m"] for a in entries]) / 1000.0
        age_days = (starts.max() - starts).total_seconds().to_numpy() / 86400.0
        assert row["weekly_km"] == pytest.approx(km[age_days < 28].sum() / 4)
        assert row["long_runs"] == int(((age_days < 70) & (km >= 18.0)).sum())
        assert row["skipped"] == len(seasons[name].skipped)


def test_risk_at_goal_and_at_predicted(analysed: tuple) -> None:
    _, result, table = analysed
    rows = table.set_index("name")
    bob, alice = rows.loc["Bob B"], rows.loc["alice"]
    assert bob["risk_pace"] == "goal" and bob["risk_time_s"] == BOB_GOAL_S
    assert bob["over_ambition"] == pytest.approx(bob["predicted_marathon_s"] / BOB_GOAL_S)
    goal_risk = result.seasons["Bob B"].readiness.pre_race_risk
    assert bob["p_fail"] == pytest.approx(goal_risk["p_fail"])
    at_own_prediction = pre_race_risk(
        bob["predicted_marathon_s"], bob["predicted_marathon_s"], sex="F", age=41
    )
    # a goal well under the prediction must carry more risk than racing at the prediction
    assert bob["over_ambition"] > 1.05
    assert bob["p_fail"] > at_own_prediction["p_fail"]
    assert bob["p_fail_lo"] <= bob["p_fail"] <= bob["p_fail_hi"]
    assert any("faster than predicted" in f for f in bob["flags"])
    assert alice["risk_pace"] == "predicted" and alice["over_ambition"] == 1.0
    # no sex in alice's config: unknown to the risk model (its missing-sex term), not male;
    # her preparation (marathon shape, durability) shifts the risk as in her season
    predicted = alice["predicted_marathon_s"]
    season = result.seasons["alice"].readiness
    prepared = {"marathon_shape": season.marathon_shape, "durability": season.durability}
    expected = pre_race_risk(predicted, predicted, sex=None, readiness=prepared)
    assert alice["p_fail"] == pytest.approx(expected["p_fail"])
    assert not any("faster than predicted" in f for f in alice["flags"])


def test_athlete_without_runs_does_not_stop_the_squad(analysed: tuple) -> None:
    _, result, table = analysed
    carol = table.set_index("name").loc["carol"]
    assert carol["runs"] == 0 and np.isnan(carol["ctl"])
    assert carol["flags"][0].startswith("no season")
    assert "carol" in result.errors and "carol" not in result.seasons


def _with_load(season, **last: float):
    load = season.load.copy()
    for col, value in last.items():
        load.iloc[-1, load.columns.get_loc(col)] = value
    return replace(season, load=load)


def test_flags_follow_their_thresholds(analysed: tuple) -> None:
    _, result, _ = analysed
    alice = result.seasons["alice"]
    calm = squad_row("a", _with_load(alice, acwr=ACWR_SPIKE - 0.01, tsb=-29.0, ctl=20.0))
    spiky = squad_row("a", _with_load(alice, acwr=ACWR_SPIKE + 0.01, tsb=-31.0, ctl=20.0))
    idle = squad_row("a", _with_load(alice, acwr=4.0, ctl=1.0))
    assert not any(f.startswith("load spike") for f in idle["flags"])  # nothing to compare to
    assert not any(f.startswith(("load spike", "deep fatigue")) for f in calm["flags"])
    assert any(f.startswith("load spike") for f in spiky["flags"])
    assert any(f.startswith("deep fatigue") for f in spiky["flags"])
    # the season has no run of 18 km: too few long runs; with a 5 km threshold, enough
    assert calm["long_runs"] < MIN_LONG_RUNS
    assert any(f.startswith("few long runs") for f in calm["flags"])
    short = replace(alice, athlete=replace(alice.athlete, long_run_km=5.0))
    row = squad_row("a", short)
    assert row["long_runs"] >= MIN_LONG_RUNS
    assert not any(f.startswith("few long runs") for f in row["flags"])


def test_stale_athlete_flagged(analysed: tuple) -> None:
    _, result, _ = analysed
    seasons = result.seasons
    acts = seasons["Bob B"].activities.copy()
    latest_alice = seasons["alice"].activities["start_time"].max()
    acts["start_time"] += latest_alice - acts["start_time"].max() - pd.Timedelta(days=40)
    old = replace(seasons["Bob B"], activities=acts)
    table = squad_table(["alice", "old"], {"alice": seasons["alice"], "old": old})
    table = table.set_index("name")
    assert any(f.startswith("stale") for f in table.loc["old", "flags"])
    assert not any(f.startswith("stale") for f in table.loc["alice", "flags"])
    assert STALE_DAYS < 40


def test_same_run_in_two_athletes_is_not_a_duplicate(tmp_path: Path) -> None:
    sessions = _sessions()[:4]
    for name in ("ann", "ben"):
        (tmp_path / name).mkdir()
        for path in sessions:  # a group run: both watches recorded the same sessions
            shutil.copy(path, tmp_path / name / path.name)
    squad = read_squad(tmp_path, progress=False, workers=1)
    assert [len(m.batch.activities) for m in squad.members] == [4, 4]
    assert squad.all_skipped().empty
    assert len(read_many(tmp_path, progress=False, workers=1).activities) == 4


def test_defaults_apply_and_athlete_file_overrides(tmp_path: Path) -> None:
    sessions = _sessions()[:1]
    for name in ("ann", "ben"):
        (tmp_path / name).mkdir()
        shutil.copy(sessions[0], tmp_path / name / sessions[0].name)
    (tmp_path / "ben" / "athlete.json").write_text('{"hr_max_bpm": 201}')
    defaults = Athlete().with_values("config", name="team", max_hr_bpm=188.0, rest_hr_bpm=48.0)
    squad = read_squad(tmp_path, defaults=defaults, progress=False, workers=1)
    ann, ben = squad.members
    assert (ann.name, ann.athlete.max_hr_bpm, ann.athlete.rest_hr_bpm) == ("ann", 188.0, 48.0)
    assert (ben.name, ben.athlete.max_hr_bpm, ben.athlete.rest_hr_bpm) == ("ben", 201, 48.0)


@pytest.mark.parametrize(
    "layout",
    ["stray activity", "no athletes", "same name", "two configs", "not a folder"],
)
def test_layout_errors(tmp_path: Path, layout: str) -> None:
    session = _sessions()[0]
    for name in ("ann", "ben"):
        (tmp_path / name).mkdir()
        shutil.copy(session, tmp_path / name / "run.gpx")
    root = tmp_path
    if layout == "stray activity":
        shutil.copy(session, tmp_path / "loose.gpx")
    elif layout == "no athletes":
        root = tmp_path / "empty"
        root.mkdir()
        (root / "notes.txt").write_text("x")
    elif layout == "same name":
        for name in ("ann", "ben"):
            (tmp_path / name / "athlete.toml").write_text('name = "Sam"\n')
    elif layout == "two configs":
        (tmp_path / "ann" / "athlete.toml").write_text('name = "Ann"\n')
        (tmp_path / "ann" / "athlete.json").write_text('{"name": "Ann"}')
    else:
        root = tmp_path / "ann" / "run.gpx"
    with pytest.raises(InputDataError):
        read_squad(root, progress=False, workers=1)


def test_json_and_html(analysed: tuple) -> None:
    squad, result, table = analysed
    data = json.loads(json.dumps(result.to_json(), allow_nan=False))
    assert [r["name"] for r in data["squad"]] == ["alice", "Bob B", "carol"]
    assert set(data["athletes"]) == {"alice", "Bob B", "carol"}
    assert all("frames" not in s for s in data["athletes"].values())
    n_runs = sum(len(s["activities"]) for s in data["athletes"].values())
    assert n_runs + len(data["skipped"]) == data["n_files"] == squad.n_files
    page = squad_report_html(result)
    for name in ("alice", "Bob B", "carol"):
        assert f">{name}</a>" in page
    anchors = [a.split("'")[0] for a in page.split("<h2 id='")[1:]]
    assert len(anchors) == 3 and all(f"href='#{a}'" in page for a in anchors)
    assert page.count("<tr>") >= 3 + 3  # team table rows and skipped files
    assert "src='http" not in page and 'src="http' not in page
    assert page.count("* plotly.js v") == 1  # the bundle is inlined once (its banner)
    # team figures (2) and 4 season figures for each of the two athletes with a season
    assert page.count('class="fl-fig-data"') == 2 + 4 * 2


def test_cli_squad_end_to_end(squad_dir: Path, cache_dir: Path, tmp_path: Path) -> None:
    out_json, out_html = tmp_path / "squad.json", tmp_path / "squad.html"
    code = main(
        [
            "train",
            str(squad_dir),
            "--squad",
            "--json",
            str(out_json),
            "--html",
            str(out_html),
            "--cache",
            str(cache_dir),
        ]
    )
    assert code == 0
    data = json.loads(out_json.read_text())
    n_disk = sum(1 for p in squad_dir.rglob("*") if p.is_file())
    n_runs = sum(len(s["activities"]) for s in data["athletes"].values())
    assert data["n_files"] == n_disk == n_runs + len(data["skipped"])
    assert {r["name"] for r in data["squad"]} == set(data["athletes"])
    assert '<table id="fl-team" class="fl-sortable">' in out_html.read_text()


def test_cli_squad_layout_error_exits_2(tmp_path: Path) -> None:
    session = _sessions()[0]
    (tmp_path / "ann").mkdir()
    shutil.copy(session, tmp_path / "ann" / "run.gpx")
    shutil.copy(session, tmp_path / "loose.gpx")
    assert main(["train", str(tmp_path), "--squad", "--json", str(tmp_path / "o.json")]) == 2


def test_config_base_keeps_defaults(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text("age = 30\n")
    base = Athlete().with_values("config", name="x", weekly_target_km=70.0)
    config = load_athlete(path, base=base)
    assert (config.name, config.age, config.weekly_target_km) == ("x", 30, 70.0)
    assert load_athlete(None, base=base) is base


def test_dask_squad_matches_local(tmp_path: Path) -> None:
    try:
        from distributed import Client, LocalCluster
    except ModuleNotFoundError:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("dask[distributed] must be installed in CI")
        pytest.skip("dask[distributed] not installed")
    sessions = _sessions()
    for name, part in (("ann", sessions[:3]), ("ben", sessions[3:6])):
        (tmp_path / name).mkdir()
        for path in part:
            shutil.copy(path, tmp_path / name / path.name)
    shutil.copy(CORPUS / BAD_FILE, tmp_path / "ben" / "bad.tcx")
    local = read_squad(tmp_path, progress=False, workers=1)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        remote = read_squad(tmp_path, scheduler=client, progress=False)
    assert [m.name for m in remote.members] == [m.name for m in local.members]
    for a, b in zip(local.members, remote.members, strict=True):
        pd.testing.assert_frame_equal(
            a.batch.activities.drop(columns="cached"), b.batch.activities.drop(columns="cached")
        )
        pd.testing.assert_frame_equal(a.batch.skipped, b.batch.skipped)


def test_zip_export_is_an_athlete(tmp_path: Path) -> None:
    sessions = _sessions()[:3]
    (tmp_path / "ann").mkdir()
    shutil.copy(sessions[0], tmp_path / "ann" / sessions[0].name)
    with zipfile.ZipFile(tmp_path / "cat.zip", "w") as archive:
        for path in sessions:
            archive.write(path, f"activities/{path.name}")
        archive.writestr("profile.csv", "name\ncat\n")
    squad = read_squad(tmp_path, progress=False, workers=1)
    members = {m.name: m for m in squad.members}
    assert set(members) == {"ann", "cat"}
    assert len(members["cat"].batch.activities) == 3
    assert members["cat"].batch.skipped["reason"].tolist() == ["not an activity"]
    assert squad.n_files == 1 + 4  # the zip counts by its members
