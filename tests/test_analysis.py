"""analyze(): composition, athlete flags, JSON safety, the CLI commands."""

from __future__ import annotations

import json

import numpy as np
import pytest
from metrics.synthetic import make_run

import finishline
from finishline.analysis import RaceAnalysis, analyze


@pytest.fixture(scope="module")
def result() -> RaceAnalysis:
    rng = np.random.default_rng(7)
    n = 9000  # 27 km
    hr = 150 + np.linspace(0, 10, n) + rng.normal(0, 1, n)
    return analyze(make_run(np.full(n, 3.0), heart_rate_bpm=hr))


def test_all_stages_ran_and_are_timed(result):
    assert set(result.stage_times) >= {"clean", "splits", "efforts", "zones", "decoupling"}
    assert len(result.splits_km) == 27 and len(result.splits_mile) == 17
    assert result.final_mile["reference"] == "5-20km"
    assert result.summary["moving_s"] == pytest.approx(n_moving(result))


def n_moving(result: RaceAnalysis) -> float:
    return float(result.track["moving"].sum())


def test_athlete_parameters_are_flagged(result):
    assert result.athlete["max_hr_bpm"]["source"] == "estimated"
    assert result.athlete["rest_hr_bpm"]["source"] == "default"
    given = analyze(result.activity, max_hr_bpm=185, rest_hr_bpm=48, sex="F", age=41)
    assert given.athlete["max_hr_bpm"] == {"value": 185.0, "source": "given"}
    assert given.athlete["sex"]["value"] == "F"
    assert given.zones["high_bpm"].iloc[-1] == pytest.approx(185.0)


def test_to_json_is_strict_json(result):
    doc = result.to_json()
    text = json.dumps(doc, allow_nan=False)
    back = json.loads(text)
    assert back["splits"][0]["split"] == 1
    assert {"pace_ratio", "gap_pace_ratio", "walked", "stopped", "failed"} <= set(
        back["final_mile"]
    )
    assert back["summary"]["start_time"].endswith("+00:00")


def test_analyze_is_exported():
    assert finishline.analyze is analyze


def test_cli_analyze_and_splits(tmp_path, capsys):
    from finishline.cli import main

    # a tiny GPX written here so the CLI path is exercised end to end
    times = [f"2024-10-06T08:{m:02d}:{s:02d}Z" for m in range(0, 20) for s in range(0, 60, 5)]
    points = "".join(
        f'<trkpt lat="{45 + i * 15 / 111195:.7f}" lon="7.0"><time>{t}</time></trkpt>'
        for i, t in enumerate(times)
    )
    gpx = tmp_path / "run.gpx"
    gpx.write_text(
        '<?xml version="1.0"?><gpx version="1.1" creator="t" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
        f"{points}</trkseg></trk></gpx>"
    )
    out = tmp_path / "a.json"
    assert main(["analyze", str(gpx), "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["summary"]["distance_m"] == pytest.approx(3.0 * 1195, rel=0.01)
    assert main(["splits", str(gpx), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sum(r["distance_m"] for r in rows) == pytest.approx(doc["summary"]["distance_m"])
    assert main(["splits", str(gpx), "--unit", "mile"]) == 0
    assert "split" in capsys.readouterr().out
