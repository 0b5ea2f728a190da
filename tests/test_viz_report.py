"""The HTML race report: self-contained, stable hooks, numbers matching the analysis."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from corpus import SAMPLE_RUNS
from test_viz_race import MARATHON_M, synthetic_analysis

from finishline.viz.report import race_report_html, summary_numbers, verdict_text, write_race_report
from finishline.viz.theme import format_duration


def _value(html: str, ident: str) -> tuple[str, str]:
    match = re.search(rf'id="{ident}" data-value="([^"]*)">([^<]*)<', html)
    assert match, ident
    return match.group(1), match.group(2)


def test_report_is_self_contained_with_stable_hooks() -> None:
    analysis = synthetic_analysis()
    html = race_report_html(analysis)
    # plotly.js inline exactly once, no CDN, no external fonts or stylesheets
    assert len(re.findall(r"\* plotly\.js v\d", html)) == 1
    markup = re.sub(r"<script[^>]*>.*?</script>", "", html, flags=re.DOTALL)
    assert not re.search(r"""(src|href)=["']https?://""", markup)
    assert "<link" not in markup and "@import" not in markup
    assert markup.count('class="fl-figure"') == 7
    names = re.findall(r'data-figure="(\w+)"', markup)
    assert names == ["pace", "splits", "heart", "final_mile", "risk", "fatigue", "route"]
    raw, text = _value(html, "fl-distance")
    assert float(raw) == pytest.approx(MARATHON_M, abs=5)
    assert text == f"{float(raw) / 1000:.2f} km"
    raw, text = _value(html, "fl-elapsed")
    assert text == format_duration(float(raw))
    assert re.search(r'id="fl-verdict" data-failed="true"', html)
    rows = re.search(r'<table id="fl-splits">.*?<tbody>(.*?)</tbody>', html, re.DOTALL)
    assert rows and rows.group(1).count("<tr") == len(analysis.splits_km)


def test_report_in_miles() -> None:
    analysis = synthetic_analysis()
    html = race_report_html(analysis, unit="mile")
    _, text = _value(html, "fl-distance")
    assert text == f"{MARATHON_M / 1609.344:.2f} mi"
    _, pace = _value(html, "fl-pace")
    assert pace.endswith("/mi")
    rows = re.search(r'<table id="fl-splits">.*?<tbody>(.*?)</tbody>', html, re.DOTALL)
    assert rows and rows.group(1).count("<tr") == len(analysis.splits_mile) == 27


def test_verdict_in_words() -> None:
    analysis = synthetic_analysis()
    assert verdict_text(analysis).startswith("Final-mile failure: the last mile was 31 % slower")
    analysis.final_mile = {"pace_ratio": 0.95, "failed": False}
    assert verdict_text(analysis) == "Final mile held: 5 % faster than your 5-20 km pace."
    analysis.verdict = "Low risk all race."
    assert verdict_text(analysis) == "Low risk all race."


def test_missing_optional_results_degrade(tmp_path: Path) -> None:
    analysis = synthetic_analysis(gps=False, hr=False)
    analysis.fatigue = None
    analysis.risk = None
    path = write_race_report(analysis, tmp_path / "sub" / "r.html")
    html = path.read_text(encoding="utf-8")
    assert html.count("Not available:") == 3  # route, fatigue, risk
    assert summary_numbers(analysis)["avg_hr_bpm"] is None
    assert _value(html, "fl-avg-hr") == ("", "-")


def test_report_from_real_analyze_on_polar_marathon(tmp_path: Path) -> None:
    from finishline.analysis import analyze
    from finishline.cli import main

    analysis = analyze(SAMPLE_RUNS / "PolarMarathon.fit")
    numbers = summary_numbers(analysis)
    assert numbers["distance_m"] == pytest.approx(analysis.summary["distance_m"])
    assert numbers["reference_pace_s_per_km"] == pytest.approx(
        analysis.final_mile["reference_pace_s_per_km"]
    )
    out = tmp_path / "polar.html"
    assert main(["analyze", str(SAMPLE_RUNS / "PolarMarathon.fit"), "--html", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert html.count('class="fl-figure"') == 7
    # the Polar file has no GPS: the route says so instead of failing
    assert "no GPS positions" in html


def test_cli_report_in_miles(tmp_path):
    from finishline.cli import main

    out = tmp_path / "miles.html"
    args = ["analyze", str(SAMPLE_RUNS / "TwinCitiesMarathon2014.tcx"), "--html", str(out)]
    assert main([*args, "--unit", "mile"]) == 0
    html = out.read_text(encoding="utf-8")
    assert "units: mi" in html and "/mi" in html


def test_assumed_fatigue_components_are_labelled():
    import pandas as pd

    from finishline.viz.report import _fatigue_scores

    frame = pd.DataFrame(
        {"fatigue_index": [0.1], "score_pace": [0.2], "score_glycogen": [0.9], "km_s": [300.0]}
    )
    out = _fatigue_scores(frame, {"glycogen"})
    assert list(out.columns) == [
        "fatigue_index",
        "score_pace",
        "score_glycogen (assumed, not in index)",
    ]
