"""The HTML race report: self-contained, stable hooks, numbers matching the analysis."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from corpus import SAMPLE_RUNS
from test_viz_race import MARATHON_M, synthetic_analysis

from finishline.viz.report import race_report_html, summary_numbers, write_race_report
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


def test_the_card_shows_the_analysis_verdict() -> None:
    analysis = synthetic_analysis()
    html = race_report_html(analysis)
    assert analysis.final_mile.failed and analysis.verdict.startswith("Final mile failed")
    import html as html_lib

    assert f">{html_lib.escape(analysis.verdict)}</p>" in html


def test_missing_optional_results_degrade(tmp_path: Path) -> None:
    import warnings

    import numpy as np
    from synthetic import make_run

    from finishline.analysis import analyze

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        analysis = analyze(make_run(np.full(1300, 3.0), heart_rate_bpm=None))  # 3.9 km, no HR
    path = write_race_report(analysis, tmp_path / "sub" / "r.html")
    html = path.read_text(encoding="utf-8")
    assert html.count("Not available:") == 2  # route (no GPS), risk (shorter than 5 km)
    assert summary_numbers(analysis)["avg_hr_bpm"] is None
    assert _value(html, "fl-avg-hr") == ("", "-")


def test_report_from_real_analyze_on_polar_marathon(tmp_path: Path) -> None:
    from finishline.analysis import analyze
    from finishline.cli import main

    analysis = analyze(SAMPLE_RUNS / "PolarMarathon.fit")
    numbers = summary_numbers(analysis)
    assert numbers["distance_m"] == pytest.approx(analysis.summary.distance_m)
    assert numbers["reference_pace_s_per_km"] == pytest.approx(
        analysis.final_mile.reference_pace_s_per_km
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
    from finishline.viz.report import _fatigue_scores

    analysis = synthetic_analysis()
    analysis.fatigue.assumed = frozenset({"glycogen"})
    out = _fatigue_scores(analysis)
    assert "score_glycogen (assumed, not in index)" in out.columns
    assert "score_pace" in out.columns and "fatigue_index" in out.columns
    assert not any(c.startswith("cho_") for c in out.columns)
