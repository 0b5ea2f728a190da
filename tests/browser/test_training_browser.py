"""The training dashboard of the runpandas GPX season draws in headless Chromium, offline.

Every request other than ``file://`` is aborted; console errors or warnings, page errors and
blocked requests fail the test, as do overlapping axis titles or text outside a figure at
desktop and phone widths. Needs ``/usr/bin/chromium``: skipped with a reason when missing,
failed under ``CI=true``; the shared corpus likewise.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from chromium import open_offline
from corpus import CORPUS, require_shared
from layout_checks import DRAWN_COUNTS, layout_problems

from finishline.viz.theme import format_duration

FIGURES = {"load", "weekly", "critical_speed", "predictions"}

pytestmark = [pytest.mark.browser, pytest.mark.real]


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """``finishline train`` on the 68 GPX sessions: the HTML path and the season JSON."""
    from finishline.cli import main

    require_shared(CORPUS)
    root = tmp_path_factory.mktemp("training")
    season = root / "season"
    season.mkdir()
    for path in sorted((CORPUS / "gpx").glob("runpandas__session_*.gpx")):
        shutil.copy(path, season / path.name)
    html_path, json_path = root / "training.html", root / "season.json"
    code = main(["train", str(season), "--html", str(html_path), "--json", str(json_path)])
    assert code == 0
    return html_path, json.loads(json_path.read_text(encoding="utf-8"))


def test_dashboard_draws_offline_with_the_json_numbers(browser, dashboard, tmp_path: Path):
    html_path, season = dashboard
    markup = re.sub(r"<script[^>]*>.*?</script>", "", html_path.read_text(), flags=re.DOTALL)
    assert not re.search(r"""(src|href)=["']https?://""", markup), "external resource"
    problems: list[str] = []
    page = open_offline(browser, html_path, 1200, problems)

    keys = page.evaluate(
        "() => [...document.querySelectorAll('.fl-figure')].map(s => s.dataset.figure)"
    )
    assert set(keys) == FIGURES
    drawn = page.evaluate(DRAWN_COUNTS)
    assert len(drawn) == len(FIGURES) and all(n > 0 for n in drawn), drawn
    # the load figure draws a bar per day and three curves; weekly volume a bar per week
    assert page.locator("[data-figure=load] .barlayer .point").count() == len(season["load"])
    assert page.locator("[data-figure=load] .scatterlayer .trace").count() == 3

    cs = season["critical_speed"]
    assert cs["valid"]
    shown = page.locator("#fl-cs")
    assert float(shown.get_attribute("data-value")) == pytest.approx(cs["critical_speed_mps"])
    assert shown.inner_text().startswith(f"{cs['critical_speed_mps']:.2f} m/s")
    assert page.locator("#fl-d-prime").inner_text() == f"{cs['d_prime_m']:.0f} m"
    marathon = next(
        p
        for p in season["predictions"]["races"]
        if p["race"] == "marathon" and p["method"] == "vdot"
    )
    shown = page.locator("#fl-marathon")
    assert float(shown.get_attribute("data-value")) == pytest.approx(marathon["time_s"])
    assert shown.inner_text() == format_duration(marathon["time_s"])
    assert page.locator("#fl-runs").inner_text() == str(len(season["activities"]))
    rows = page.locator("#fl-predictions tbody tr")
    assert rows.count() == len(season["predictions"]["races"])
    table_times = rows.locator("td:nth-child(3)").all_inner_texts()
    assert table_times == [format_duration(p["time_s"]) for p in season["predictions"]["races"]]

    problems.extend(layout_problems(page))
    page.screenshot(path=str(tmp_path / "training_1200.png"), full_page=True)
    page.close()
    assert not problems, problems


def test_dashboard_layout_on_a_phone(browser, dashboard, tmp_path: Path) -> None:
    html_path, _ = dashboard
    problems: list[str] = []
    page = open_offline(browser, html_path, 420, problems)
    problems.extend(layout_problems(page))
    page.screenshot(path=str(tmp_path / "training_420.png"), full_page=True)
    page.close()
    assert not problems, problems
