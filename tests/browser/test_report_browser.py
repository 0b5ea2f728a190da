"""The race report of each real marathon in sample_runs/ draws in headless Chromium, offline.

Every network request other than ``file://`` is aborted; any console error or warning, page
error or blocked request fails the test. Needs ``/usr/bin/chromium`` (``make browser``): skipped
with a reason when it is missing, but failed under ``CI=true``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from chromium import open_offline
from corpus import SAMPLE_RUNS
from layout_checks import DRAWN_COUNTS

from finishline.viz.theme import format_duration

MARATHONS = ["TwinCitiesMarathon2014.tcx", "TwinCitiesMarathon2014.gpx", "PolarMarathon.fit"]

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("name", MARATHONS)
def test_marathon_report_draws_offline(name: str, browser, tmp_path: Path) -> None:
    from finishline.analysis import analyze
    from finishline.viz.report import write_race_report

    analysis = analyze(SAMPLE_RUNS / name)
    html_path = write_race_report(analysis, tmp_path / "report.html")
    html = html_path.read_text(encoding="utf-8")
    markup = re.sub(r"<script[^>]*>.*?</script>", "", html, flags=re.DOTALL)  # drop plotly.js
    assert not re.search(r"""(src|href)=["']https?://""", markup), "external resource in report"
    assert "cdn.plot.ly" not in markup and "<link" not in markup

    problems: list[str] = []
    page = open_offline(browser, html_path, 1200, problems)
    n_figures = page.locator(".fl-figure .js-plotly-plot").count()
    assert n_figures >= 6
    # every figure actually drew data or a "not available" note, not an empty frame
    drawn = page.evaluate(DRAWN_COUNTS)
    assert all(count > 0 for count in drawn), drawn

    summary = analysis.summary
    distance = page.locator("#fl-distance")
    assert float(distance.get_attribute("data-value")) == pytest.approx(summary.distance_m)
    assert distance.inner_text() == f"{summary.distance_m / 1000:.2f} km"
    elapsed = page.locator("#fl-elapsed")
    assert float(elapsed.get_attribute("data-value")) == pytest.approx(summary.elapsed_s)
    assert elapsed.inner_text() == format_duration(summary.elapsed_s)
    hr = page.locator("#fl-avg-hr").inner_text()
    assert hr == f"{summary.avg_hr_bpm:.0f} bpm"
    assert page.locator("#fl-verdict").inner_text().strip()
    rows = page.locator("#fl-splits tbody tr").count()
    assert rows == len(analysis.splits_km)

    page.screenshot(path=str(tmp_path / f"{Path(name).stem}.png"), full_page=True)
    page.close()
    assert not problems, problems


LAYOUT_CASES = [
    (name, unit, width)
    for name in ("PolarMarathon.fit", "TwinCitiesMarathon2014.tcx")
    for unit in ("km", "mile")
    for width in (1200, 420)
]


@pytest.fixture(scope="module")
def analyses() -> dict:
    from finishline.analysis import analyze

    cache: dict = {}

    def get(name: str):
        if name not in cache:
            cache[name] = analyze(SAMPLE_RUNS / name)
        return cache[name]

    return get  # type: ignore[return-value]


@pytest.mark.parametrize(("name", "unit", "width"), LAYOUT_CASES)
def test_report_layout_is_clean_on_desktop_and_phone(
    name: str, unit: str, width: int, browser, analyses, tmp_path: Path
) -> None:
    """No axis title on its tick labels, no annotation, legend or colour bar outside its
    figure, nothing wider than the screen (the splits table scrolls), in km and miles, at
    1200 px and at a 420 px phone width."""
    from layout_checks import layout_problems

    from finishline.viz.report import write_race_report

    html_path = write_race_report(analyses(name), tmp_path / "report.html", unit=unit)
    page = open_offline(browser, html_path, width, [])
    problems = layout_problems(page)
    # the figures fill the screen's width, not a fixed desktop width
    widths = page.evaluate(
        "() => [...document.querySelectorAll('.fl-figure .main-svg')].map(s => s.clientWidth)"
    )
    assert max(widths) <= width
    page.screenshot(path=str(tmp_path / f"{Path(name).stem}_{unit}_{width}.png"), full_page=True)
    page.close()
    assert not problems, problems
