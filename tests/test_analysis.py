"""analyze(): composition, athlete flags, JSON safety, the CLI commands."""

from __future__ import annotations

import json

import numpy as np
import pytest
from synthetic import make_run

import finishline
from finishline.analysis import analyze
from finishline.errors import EstimateWarning
from finishline.fatigue.state import assumed_components
from finishline.results import RaceAnalysis


@pytest.fixture(scope="module")
def result() -> RaceAnalysis:
    rng = np.random.default_rng(7)
    n = 9000  # 27 km
    hr = 150 + np.linspace(0, 10, n) + rng.normal(0, 1, n)
    return analyze(make_run(np.full(n, 3.0), heart_rate_bpm=hr))


def test_all_stages_ran_and_are_timed(result):
    assert set(result.stage_times) >= {"clean", "splits", "efforts", "zones", "decoupling"}
    assert len(result.splits_km) == 27 and len(result.splits_mile) == 17
    assert result.race.label == "27.0 km run"
    assert result.final_mile.reference == "5-13.5 km"  # min(20 km, half the race)
    assert result.summary.moving_s == pytest.approx(n_moving(result))


def n_moving(result: RaceAnalysis) -> float:
    return float(result.track["moving"].sum())


def test_athlete_parameters_are_flagged(result):
    assert result.athlete.source("max_hr_bpm") == "estimated"
    assert result.athlete.source("rest_hr_bpm") == "default"
    given = analyze(result.activity, max_hr_bpm=185, rest_hr_bpm=48, sex="F", age=41)
    assert given.athlete.to_json()["max_hr_bpm"] == {"value": 185.0, "source": "given"}
    assert given.athlete.sex == "F"
    assert analyze(result.activity, sex="female").athlete.sex == "F"
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
    assert result.fatigue.per_km["fatigue_index"].between(0, 1).all()
    assert result.fatigue.per_second.index.equals(result.track.index)
    risk = result.risk.table
    # 5 km to the last whole km before the final mile starts (27.0 - 1.609 = 25.4 km)
    assert risk["km"].tolist() == list(range(5, 26))
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
    assert len(doc["fatigue"]["per_km"]) == len(result.fatigue.per_km)
    assert "onset_km" in doc["fatigue"]
    fm = doc["final_mile"]
    assert fm["grade"] in {"none", "moderate", "failure", "severe"}
    assert fm["grade"] == fm["severity"]
    assert doc["verdict"] == result.verdict


def test_max_hr_rules_and_one_warning_per_estimate(result):
    hr = result.track["heart_rate_bpm"].to_numpy(float)
    moving = result.track["moving"].to_numpy(bool)
    expected = max(np.percentile(hr[np.isfinite(hr)], 99.5), hr[moving].mean() / 0.88)
    assert result.athlete.max_hr_bpm == pytest.approx(expected)
    assert "0.88" in result.athlete.rule("max_hr_bpm")
    with pytest.warns(EstimateWarning) as caught:
        aged = analyze(result.activity, age=50)
    assert aged.athlete.max_hr_bpm == pytest.approx(max(208 - 0.7 * 50, hr.max()), abs=2)
    assert "Tanaka" in aged.athlete.rule("max_hr_bpm")
    texts = [str(w.message) for w in caught if w.category is EstimateWarning]
    assert len(texts) == 3  # max HR, rest HR, critical speed: once each
    assert sum("max heart rate" in t for t in texts) == 1


def test_zones_and_fatigue_use_the_same_athlete_values(result):
    hr_max = result.athlete.max_hr_bpm
    hr_rest = result.athlete.rest_hr_bpm
    assert hr_rest == 50.0
    assert result.zones["high_bpm"].iloc[-1] == pytest.approx(hr_max)
    attrs = result.fatigue.per_km.attrs
    assert attrs["hr_max_bpm"] == pytest.approx(hr_max)
    assert attrs["hr_rest_bpm"] == pytest.approx(hr_rest)
    assert attrs["critical_speed_mps"] == pytest.approx(result.athlete.critical_speed_mps)


def test_given_critical_speed_enables_the_cs_terms(result):
    given = analyze(result.activity, max_hr_bpm=185, rest_hr_bpm=48, critical_speed_mps=3.1)
    assert given.athlete.to_json()["critical_speed_mps"] == {"value": 3.1, "source": "given"}
    risk = given.risk.table.set_index("km")
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
    assert assumed_components(result.athlete) == {"d_prime", "glycogen"}
    assert result.fatigue.assumed == {"d_prime", "glycogen"}
    assert result.fatigue.signal_onsets_km["glycogen"] is None
    given = analyze(result.activity, max_hr_bpm=185, critical_speed_mps=3.6)
    assert assumed_components(given.athlete) == set()
    # With every input measured, the index averages more components than without.
    assumed_index = result.fatigue.per_km["fatigue_index"]
    full_index = given.fatigue.per_km["fatigue_index"]
    assert not np.allclose(assumed_index.to_numpy(), full_index.to_numpy())


def test_only_runs_are_races(result):
    from finishline.errors import AnalysisError

    ride = make_run(np.full(3000, 8.0), sport="cycling")
    with pytest.raises(AnalysisError, match="records cycling, not a run"):
        analyze(ride)
    as_run = analyze(ride, sport="running")
    assert as_run.summary.distance_m > 20_000
    assert finishline.summarize(ride)["sport"] == "cycling"  # summary keeps working


def test_race_distance_given_or_detected():
    speed = np.full(int(21_400 / 3.2), 3.2)
    half = analyze(make_run(speed))
    assert half.race.key == "half" and half.race.source == "detected"
    assert half.final_mile.reference == "4.2-10.5 km"
    assert half.risk.calibration in half.verdict
    assert "marathon" not in half.verdict.replace(half.risk.calibration, "").replace(
        "half marathon", ""
    )
    longer = analyze(make_run(speed), race_distance_m=20_000.0)
    assert longer.race.source == "given" and longer.race.distance_m == 20_000.0
    assert longer.final_mile.reference == "4-10 km"
