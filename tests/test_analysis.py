"""analyze(): composition, athlete flags, JSON safety, the CLI commands."""

from __future__ import annotations

import json

import numpy as np
import pytest
from metrics.synthetic import make_run

import finishline
from finishline.analysis import RaceAnalysis, analyze
from finishline.errors import EstimateWarning


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
    assert "Final mile" in capsys.readouterr().out  # the verdict is printed beside the JSON
    doc = json.loads(out.read_text())
    assert doc["summary"]["distance_m"] == pytest.approx(3.0 * 1195, rel=0.01)
    assert main(["splits", str(gpx), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sum(r["distance_m"] for r in rows) == pytest.approx(doc["summary"]["distance_m"])
    assert main(["splits", str(gpx), "--unit", "mile"]) == 0
    assert "split" in capsys.readouterr().out


def test_fatigue_risk_and_verdict_are_attached(result):
    assert result.fatigue["fatigue_index"].between(0, 1).all()
    assert result.fatigue_per_second.index.equals(result.track.index)
    risk = result.risk
    assert risk["km"].tolist() == list(range(5, 26))  # 5 km to the final mile's start (25.4)
    cols = {"p_fail", "p_lo", "p_hi", "p_splits", "logit_adjustment", "top_signals"}
    assert cols <= set(risk.columns)
    assert np.isfinite(risk[["p_fail", "p_lo", "p_hi", "p_splits"]].to_numpy()).all()
    assert result.verdict.startswith("Final mile")
    assert {"fatigue", "risk", "verdict"} <= set(result.stage_times)


def test_json_carries_risk_fatigue_final_mile_grade_and_verdict(result):
    doc = json.loads(json.dumps(result.to_json(), allow_nan=False))
    first = doc["risk"][0]
    assert first["km"] == 5
    assert {"p_fail", "p_lo", "p_hi", "p_splits", "signals"} <= set(first)
    assert set(first["signals"]) == {"glycogen", "decoupling", "gait", "first_half_cs", "d_prime"}
    # CS was estimated: its terms are None with the reason given in risk_info
    assert first["signals"]["first_half_cs"]["value"] is None
    assert "circular" in doc["risk_info"]["unavailable_signals"]["first_half_cs"]
    assert len(doc["fatigue"]["per_km"]) == len(result.fatigue)
    assert "onset_km" in doc["fatigue"]
    fm = doc["final_mile"]
    assert fm["grade"] in {"none", "moderate", "failure", "severe"}
    assert fm["grade"] == fm["severity"]
    assert doc["verdict"] == result.verdict


def test_max_hr_rules_and_one_warning_per_estimate(result):
    hr = result.track["heart_rate_bpm"].to_numpy(float)
    moving = result.track["moving"].to_numpy(bool)
    expected = max(np.percentile(hr[np.isfinite(hr)], 99.5), hr[moving].mean() / 0.88)
    assert result.athlete["max_hr_bpm"]["value"] == pytest.approx(expected)
    assert "0.88" in result.athlete["max_hr_bpm"]["rule"]
    with pytest.warns(EstimateWarning) as caught:
        aged = analyze(result.activity, age=50)
    assert aged.athlete["max_hr_bpm"]["value"] == pytest.approx(
        max(208 - 0.7 * 50, hr.max()), abs=2
    )
    assert "Tanaka" in aged.athlete["max_hr_bpm"]["rule"]
    texts = [str(w.message) for w in caught if w.category is EstimateWarning]
    assert len(texts) == 3  # max HR, rest HR, critical speed: once each
    assert sum("max heart rate" in t for t in texts) == 1


def test_zones_and_fatigue_use_the_same_athlete_values(result):
    hr_max = result.athlete["max_hr_bpm"]["value"]
    hr_rest = result.athlete["rest_hr_bpm"]["value"]
    assert hr_rest == 50.0
    assert result.zones["high_bpm"].iloc[-1] == pytest.approx(hr_max)
    assert result.fatigue.attrs["hr_max_bpm"] == pytest.approx(hr_max)
    assert result.fatigue.attrs["hr_rest_bpm"] == pytest.approx(hr_rest)
    cs = result.athlete["critical_speed_mps"]["value"]
    assert result.fatigue.attrs["critical_speed_mps"] == pytest.approx(cs)


def test_given_critical_speed_enables_the_cs_terms(result):
    given = analyze(result.activity, max_hr_bpm=185, rest_hr_bpm=48, critical_speed_mps=3.1)
    assert given.athlete["critical_speed_mps"] == {"value": 3.1, "source": "given"}
    risk = given.risk.set_index("km")
    # 3.0 m/s against CS 3.1 m/s is ~97 % of CS: above Smyth & Muniz-Pumares' 94 %
    assert risk.loc[21, "signal_first_half_cs"] == pytest.approx(3.0 / 3.1, rel=0.02)
    assert risk.loc[21, "shift_first_half_cs"] > 0
    assert (risk["p_fail"] >= risk["p_splits"]).all()


def test_cli_analyze_athlete_options(tmp_path):
    from finishline.cli import build_parser

    args = build_parser().parse_args(
        [
            "analyze",
            "x.fit",
            "--sex",
            "F",
            "--age",
            "41",
            "--body-mass",
            "58",
            "--carbs-g-per-h",
            "45",
            "--critical-speed",
            "3.6",
        ]
    )
    assert (args.sex, args.age, args.body_mass) == ("F", 41.0, 58.0)
    assert (args.carbs_g_per_h, args.critical_speed) == (45.0, 3.6)


def test_components_assumed_from_the_race_stay_out_of_the_index(result):
    from finishline.analysis import assumed_components

    assert assumed_components(result.athlete) == {"d_prime", "glycogen"}
    assert result.signal_onsets_km["glycogen"] is None
    given = analyze(result.activity, max_hr_bpm=185, critical_speed_mps=3.6)
    assert assumed_components(given.athlete) == set()
    # With every input measured, the index averages more components than without.
    assumed_index = result.fatigue["fatigue_index"]
    full_index = given.fatigue["fatigue_index"]
    assert not np.allclose(assumed_index.to_numpy(), full_index.to_numpy())
