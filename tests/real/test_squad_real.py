"""Real data: the whole corpus arranged as a squad (one athlete per corpus folder), via the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from corpus import CORPUS, require_shared

from finishline.cli import main
from finishline.training.batch import SKIP_REASONS, read_many

ATHLETES = ("fit", "gpx", "tcx", "bad")
GOAL_S = 3.75 * 3600.0


@pytest.fixture(scope="module")
def squad_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    require_shared(CORPUS)
    root = tmp_path_factory.mktemp("corpus_squad")
    for name in ATHLETES:
        shutil.copytree(CORPUS / name, root / name)
    for path in CORPUS.glob("*.tsv"):  # manifest files: top-level, nobody's activity
        shutil.copy(path, root / path.name)
    (root / "gpx" / "athlete.toml").write_text(
        f'name = "GPX runner"\nhr_rest_bpm = 50\ngoal_marathon_s = {GOAL_S}\n'
    )
    out = tmp_path_factory.mktemp("out")
    cache = out / "cache"
    code = main(
        [
            "train",
            str(root),
            "--squad",
            "--json",
            str(out / "squad.json"),
            "--html",
            str(out / "squad.html"),
            "--cache",
            str(cache),
        ]
    )
    assert code == 0
    return root, out, json.loads((out / "squad.json").read_text())


def test_every_corpus_file_accounted(squad_run: tuple[Path, Path, dict]) -> None:
    root, _, data = squad_run
    n_corpus = sum(1 for p in CORPUS.rglob("*") if p.is_file())
    n_disk = sum(1 for p in root.rglob("*") if p.is_file())
    assert n_disk == n_corpus + 1  # plus the athlete config
    n_runs = sum(len(s["activities"]) for s in data["athletes"].values())
    assert data["n_files"] == n_disk == n_runs + len(data["skipped"])
    assert {s["reason"] for s in data["skipped"]} <= set(SKIP_REASONS)
    assert all(s["detail"] for s in data["skipped"])
    files = [a["file"] for s in data["athletes"].values() for a in s["activities"]]
    files += [s["file"] for s in data["skipped"]]
    assert len(files) == len(set(files)) == n_disk


def test_each_athlete_as_if_alone(squad_run: tuple[Path, Path, dict]) -> None:
    root, out, data = squad_run
    rows = {r["name"]: r for r in data["squad"]}
    assert set(rows) == {"fit", "GPX runner", "tcx", "bad"}
    for name, folder in (("tcx", "tcx"), ("bad", "bad"), ("GPX runner", "gpx")):
        batch = read_many(root / folder, cache_dir=out / "cache", progress=False, workers=1)
        assert rows[name]["runs"] == len(batch.activities)
        squad_files = sorted(a["file"] for a in data["athletes"][name]["activities"])
        assert squad_files == sorted(batch.activities["file"])


def test_same_race_in_two_athletes_kept_twice(squad_run: tuple[Path, Path, dict]) -> None:
    _, _, data = squad_run

    def names(athlete: str) -> set[str]:
        return {Path(a["file"]).name for a in data["athletes"][athlete]["activities"]}

    # Twin Cities 2014 was exported as GPX and TCX: one athlete would keep one of them, two
    # athletes who ran it together keep one each
    assert "ggps__TwinCitiesMarathon2014__nosport_42.7km.gpx" in names("GPX runner")
    assert "ggps__TwinCitiesMarathon2014__run_42.6km.tcx" in names("tcx")


def test_gpx_runner_row(squad_run: tuple[Path, Path, dict]) -> None:
    _, out, data = squad_run
    row = next(r for r in data["squad"] if r["name"] == "GPX runner")
    season = data["athletes"]["GPX runner"]
    assert row["runs"] >= 60
    assert 2.0 <= row["critical_speed_mps"] <= 7.0 and 50 <= row["d_prime_m"] <= 500
    assert row["critical_speed_mps"] == season["critical_speed"]["critical_speed_mps"]
    low, mid, high = (row[f"predicted_marathon{s}_s"] for s in ("_low", "", "_high"))
    assert 2 * 3600 < low < mid < high < 7 * 3600
    assert row["risk_pace"] == "goal" and row["risk_time_s"] == GOAL_S
    assert 0.0 <= row["p_fail_lo"] <= row["p_fail"] <= row["p_fail_hi"] <= 1.0
    assert row["over_ambition"] == pytest.approx(mid / GOAL_S)
    assert season["athlete"]["rest_hr_bpm"] == {"value": 50, "source": "config"}
    last_load = season["load"][-1]
    assert row["ctl"] == pytest.approx(last_load["ctl"])
    assert row["tsb"] == pytest.approx(last_load["tsb"])
    page = (out / "squad.html").read_text()
    assert page.count("<h2 id='athlete-") == len(ATHLETES)
    assert "GPX runner" in page and "src='http" not in page
