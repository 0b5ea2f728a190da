"""The race plan page in headless Chromium at 1400 and 400 px, offline, and printed.

``finishline plan`` on the Twin Cities 2014 course (its GPX route) at 3:30:00 in 18 degC with
a critical speed: every request other than ``file://`` is aborted; console errors or warnings,
page errors, blocked requests, overlapping texts, figures under 300 px or anything wider than
the screen fail; the page stays under 2 MB; printed, the pace band fits one A4 page. Needs
``/usr/bin/chromium``: skipped with a reason when missing, failed under ``CI=true``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from chromium import open_offline
from corpus import SAMPLE_RUNS
from layout_checks import DRAWN_COUNTS, FIGURE_WIDTHS, layout_problems

from finishline.formatting import format_duration

MAX_PLAN_BYTES = 2_000_000
#: A4 minus 10 mm margins, in CSS px (96 per inch): 190 x 277 mm.
A4_PRINT_PX = (190 / 25.4 * 96, 277 / 25.4 * 96)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", params=["km", "mile"])
def plan_page(request, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """``finishline plan`` HTML and JSON for the Twin Cities course, per km or per mile."""
    from finishline.cli import main

    root = tmp_path_factory.mktemp(f"plan_{request.param}")
    html_path, json_path = root / "plan.html", root / "plan.json"
    args = [
        "plan",
        str(SAMPLE_RUNS / "TwinCitiesMarathon2014.gpx"),
        "--goal",
        "3:30:00",
        "--temperature-c",
        "18",
        "--critical-speed",
        "3.75",
        "--unit",
        request.param,
        "--html",
        str(html_path),
        "--json",
        str(json_path),
    ]
    assert main(args) == 0
    return html_path, json.loads(json_path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("width", [1400, 400])
def test_plan_page(width: int, browser, plan_page, tmp_path: Path) -> None:
    html_path, plan = plan_page
    markup = re.sub(r"<script[^>]*>.*?</script>", "", html_path.read_text(), flags=re.DOTALL)
    assert not re.search(r"""(src|href)=["']https?://""", markup), "external resource"
    assert html_path.stat().st_size < MAX_PLAN_BYTES
    problems: list[str] = []
    page = open_offline(browser, html_path, width, problems)
    page.screenshot(path=str(tmp_path / f"plan_{plan['unit']}_{width}.png"), full_page=True)
    problems.extend(layout_problems(page))
    assert not problems, problems
    drawn = page.evaluate(DRAWN_COUNTS)
    assert drawn and all(n > 0 for n in drawn), drawn
    for key, figure_px, plot_px in page.evaluate(FIGURE_WIDTHS):
        assert 300 <= figure_px <= width, (key, figure_px)
        assert plot_px == 0 or plot_px >= 0.6 * figure_px, (key, plot_px)
    # the numbers on the page are the plan's
    targets = plan[f"targets_{plan['unit']}"]
    rows = page.locator("#fl-pace-band tbody tr")
    assert rows.count() == len(targets)
    clocks = page.locator("#fl-pace-band tbody tr td:nth-child(5)").all_inner_texts()
    assert clocks == [format_duration(t["cumulative_time_s"]) for t in targets]
    risk = float(page.locator("#fl-plan-risk").get_attribute("data-value"))
    assert risk == pytest.approx(plan["risk"]["p_fail"])
    band = page.locator("#fl-plan-risk-band")
    assert float(band.get_attribute("data-lo")) <= risk <= float(band.get_attribute("data-hi"))
    assert page.locator("#fl-plan-risk-parts", has_text="assumed").count() == 1
    assert page.locator("#fl-conditions", has_text="WBGT").count() == 1
    assert page.locator("#fl-warnings li").count() == len(plan["warnings"]) > 0
    page.close()


def test_printed_pace_band_fits_one_a4_page(browser, plan_page, tmp_path: Path) -> None:
    html_path, plan = plan_page
    page = open_offline(browser, html_path, int(A4_PRINT_PX[0]), [])
    page.emulate_media(media="print")
    hidden = page.evaluate(
        "() => [...document.querySelectorAll('.fl-figure, #fl-plan-risk-section')]"
        ".map(e => getComputedStyle(e).display)"
    )
    assert hidden and set(hidden) == {"none"}
    width, height = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.querySelector('main')"
        ".getBoundingClientRect().bottom]"
    )
    assert width <= A4_PRINT_PX[0] + 1 and height <= A4_PRINT_PX[1], (width, height)
    pdf = tmp_path / "plan.pdf"
    page.pdf(
        path=str(pdf), format="A4", margin=dict.fromkeys(("top", "bottom", "left", "right"), "10mm")
    )
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf.read_bytes())) == 1
    page.close()


@pytest.fixture(scope="module")
def race_with_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``finishline analyze`` of the Twin Cities 2014 TCX against a 4:14 plan of its course."""
    from finishline.cli import main

    root = tmp_path_factory.mktemp("race_plan")
    plan = root / "plan.json"
    course = str(SAMPLE_RUNS / "TwinCitiesMarathon2014.gpx")
    assert main(["plan", course, "--goal", "4:14:00", "--json", str(plan)]) == 0
    html_path = root / "race.html"
    race = str(SAMPLE_RUNS / "TwinCitiesMarathon2014.tcx")
    assert main(["analyze", race, "--plan", str(plan), "--html", str(html_path)]) == 0
    return html_path


@pytest.mark.parametrize("width", [1400, 400])
def test_race_report_with_a_plan(width: int, browser, race_with_plan: Path, tmp_path: Path) -> None:
    problems: list[str] = []
    page = open_offline(browser, race_with_plan, width, problems)
    section = page.locator("[data-figure=plan_vs_actual]")
    section.screenshot(path=str(tmp_path / f"race_plan_{width}.png"))
    widths = {key: px for key, px, _ in page.evaluate(FIGURE_WIDTHS)}
    # the race report's other figures are tested in test_report_browser.py: here, the plan's
    # section and the page as a whole (console, network, overflow)
    others = tuple(f"{key}:" for key in widths if key != "plan_vs_actual")
    problems.extend(p for p in layout_problems(page) if not p.startswith(others))
    assert not problems, problems
    assert 300 <= widths["plan_vs_actual"] <= width
    assert section.locator(".barlayer .point").count() == 43
    assert "left the plan" in section.inner_text().lower()
    page.close()
