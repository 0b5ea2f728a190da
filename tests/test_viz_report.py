"""The HTML race report and the page shell: self-contained, light, stable hooks, warnings first,
numbers matching the analysis."""

from __future__ import annotations

import html as html_lib
import re
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from corpus import SAMPLE_RUNS
from test_viz_race import MARATHON_M, synthetic_analysis

from finishline.athlete import Athlete
from finishline.viz import page as page_module
from finishline.viz.page import figure_section, page_html, plotly_bundle, warnings_banner
from finishline.viz.report import race_report_html, summary_numbers, write_race_report
from finishline.viz.tables import athlete_table_html, html_table
from finishline.viz.theme import format_duration

BUNDLE_BANNER = "plotly.js v4.1.1 partial bundle"


def _value(html: str, ident: str) -> tuple[str, str]:
    match = re.search(rf'id="{ident}" data-value="([^"]*)">([^<]*)<', html)
    assert match, ident
    return match.group(1), match.group(2)


def _markup(html: str) -> str:
    return re.sub(r"<script[^>]*>.*?</script>", "", html, flags=re.DOTALL)


@pytest.fixture(scope="module")
def analysis():
    return synthetic_analysis()


def test_report_is_self_contained_light_with_stable_hooks(analysis) -> None:
    html = race_report_html(analysis)
    assert html.count(BUNDLE_BANNER) == 1  # plotly.js once
    assert len(html.encode("utf-8")) < 2_000_000
    markup = _markup(html)
    assert not re.search(r"""(src|href)=["']https?://""", markup)
    assert "<link" not in markup and "@import" not in markup
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    names = re.findall(r'data-figure="(\w+)"', markup)
    assert names == ["pace", "splits", "heart", "final_mile", "risk", "fatigue", "route"]
    assert html.count('class="fl-fig-data"') == 7
    raw, text = _value(html, "fl-distance")
    assert float(raw) == pytest.approx(MARATHON_M, abs=5)
    assert text == f"{float(raw) / 1000:.2f} km"
    raw, text = _value(html, "fl-elapsed")
    assert text == format_duration(float(raw))
    outcome = analysis.final_mile.outcome
    assert f'data-outcome="{outcome}" data-failed="true"' in html
    assert f">{html_lib.escape(analysis.verdict)}</p>" in html
    rows = re.search(r'<table id="fl-splits">.*?<tbody>(.*?)</tbody>', html, re.DOTALL)
    assert rows and rows.group(1).count("<tr") == len(analysis.splits_km)


def test_reference_tile_is_the_analysis_window(analysis) -> None:
    fm = replace(analysis.final_mile, reference="7-13 km", reference_pace_s_per_km=311.0)
    html = race_report_html(replace(analysis, final_mile=fm))
    assert "7-13 km pace" in html and _value(html, "fl-reference") == ("311.0", "5:11 /km")
    assert "7-13 km reference" in html  # the splits figure's title says the same window


def test_warnings_banner_lists_every_warning_first(analysis) -> None:
    damaged = replace(
        analysis,
        warnings=["the file is damaged after record 5,173 (16.2 km) <b>", *analysis.warnings],
    )
    html = race_report_html(damaged)
    banner = re.search(r'<section class="fl-warnings" id="fl-warnings".*?</section>', html, re.S)
    assert banner and "<h2>Read this first</h2>" in banner.group(0)
    items = re.findall(r"<li>(.*?)</li>", banner.group(0))
    assert items == [html_lib.escape(w) for w in damaged.warnings]  # escaped, one each
    assert html.index('id="fl-warnings"') < html.index('class="fl-card"')
    assert 'id="fl-warnings"' not in race_report_html(replace(analysis, warnings=[]))
    assert warnings_banner([]) == ""


def test_athlete_values_table_marks_the_source() -> None:
    athlete = Athlete.given(max_hr_bpm=190, goal_marathon_s=12600).with_values(
        "estimated", "Tanaka", rest_hr_bpm=48.0
    )
    athlete = athlete.with_values("default", "assumed", body_mass_kg=70.0)
    table = athlete_table_html(athlete)
    rows = re.findall(r'<tr class="fl-source-(\w+)">(.*?)</tr>', table)
    assert sorted(r[0] for r in rows) == ["default", "estimated", "given", "given"]
    text = {source: cells for source, cells in rows}
    assert "190 bpm" in table and "3:30:00" in table and "48 bpm" in text["estimated"]
    assert "Tanaka" in text["estimated"] and 'class="fl-estimated fl-text"' in table


def test_report_in_miles(analysis) -> None:
    html = race_report_html(analysis, unit="mile")
    _, text = _value(html, "fl-distance")
    assert text == f"{MARATHON_M / 1609.344:.2f} mi"
    assert _value(html, "fl-pace")[1].endswith("/mi")
    rows = re.search(r'<table id="fl-splits">.*?<tbody>(.*?)</tbody>', html, re.DOTALL)
    assert rows and rows.group(1).count("<tr") == len(analysis.splits_mile) == 27


def test_a_short_run_without_hr_degrades_and_says_no_marathon(tmp_path: Path) -> None:
    from synthetic import make_run

    from finishline.analysis import analyze

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        short = analyze(make_run(np.full(1300, 3.0), heart_rate_bpm=None))  # 3.9 km, no HR
    html = write_race_report(short, tmp_path / "sub" / "r.html").read_text(encoding="utf-8")
    assert html.count("Not available:") == 2  # route (no GPS), risk (< 5 km)
    assert summary_numbers(short)["avg_hr_bpm"] is None
    assert _value(html, "fl-avg-hr") == ("", "-")
    assert short.race.label in html
    assert "marathon" not in _markup(html).replace("marathon model", "").lower()


def test_plotly_bundle_partial_when_versions_match(monkeypatch) -> None:
    import plotly.offline

    partial = plotly_bundle()
    assert partial.startswith(f"/* {BUNDLE_BANNER}") and len(partial) < 1_300_000
    plotly_bundle.cache_clear()
    monkeypatch.setattr(plotly.offline, "get_plotlyjs_version", lambda: "99.0.0")
    try:
        full = plotly_bundle()  # another plotly.js major: the library's own full bundle
        assert full == plotly.offline.get_plotlyjs() and BUNDLE_BANNER not in full
    finally:
        plotly_bundle.cache_clear()


def test_page_shell_embeds_figures_as_safe_json() -> None:
    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4], name="</script><b>"))
    fig.update_layout(title={"text": "A <title>", "subtitle": {"text": "why"}}, height=300)
    section = figure_section("demo", fig)
    assert "</script><b>" not in section.split('class="fl-fig-data"')[1].rsplit("</script>", 1)[0]
    assert '<h2 class="fl-fig-title">A &lt;title&gt;</h2>' in section
    assert '<p class="fl-note fl-fig-note">why</p>' in section
    assert 'style="height:300px"' in section
    assert fig.layout.title.text == "A <title>"  # the caller's figure is untouched
    page = page_html("T", [section], subtitle="sub", scripts=["var x = 1;"])
    assert page.count(BUNDLE_BANNER) == 1 and page.rstrip().endswith("</html>")
    assert page.index("fl-fig-data") < page.index(BUNDLE_BANNER) < page.index("var x = 1;")
    assert page_module.PLOTLY_CONFIG["displaylogo"] is False


def test_one_table_helper_escapes_and_sorts() -> None:
    table = html_table(
        [{"a": "<x>", "b": 2}, {"a": "y", "b": None}],
        [("a", "A"), ("b", "B")],
        ident="t",
        sortable=True,
        text_columns=("a",),
    )
    assert '<table id="t" class="fl-sortable">' in table and "&lt;x&gt;" in table
    assert "<td data-sort=''></td>" in table  # a missing value is empty, not "None"


def test_report_from_real_analyze_on_polar_marathon(tmp_path: Path) -> None:
    from finishline.analysis import analyze
    from finishline.cli import main

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        analysis = analyze(SAMPLE_RUNS / "PolarMarathon.fit")
    numbers = summary_numbers(analysis)
    assert numbers["reference_pace_s_per_km"] == pytest.approx(
        analysis.final_mile.reference_pace_s_per_km
    )
    out = tmp_path / "polar.html"
    assert main(["analyze", str(SAMPLE_RUNS / "PolarMarathon.fit"), "--html", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert html.count('class="fl-figure"') == 7 and out.stat().st_size < 2_000_000
    assert "Not available: the file has no GPS" in html  # the Polar file: no route
    for warning in analysis.warnings:
        assert f"<li>{html_lib.escape(warning)}</li>" in html


def test_cli_report_in_miles(tmp_path: Path) -> None:
    from finishline.cli import main

    out = tmp_path / "miles.html"
    args = ["analyze", str(SAMPLE_RUNS / "TwinCitiesMarathon2014.tcx"), "--html", str(out)]
    assert main([*args, "--unit", "mile"]) == 0
    html = out.read_text(encoding="utf-8")
    assert "units: mi" in html and "/mi" in html
